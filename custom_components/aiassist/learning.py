"""Learning from conversations: once one has been idle a while, one model call finds what lasts.

Off by default (each learned conversation costs one extra model call). What it finds goes
through the same update-or-add path as everything else that is remembered.
"""

from dataclasses import dataclass, field
from functools import partial

from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.json import json_dumps

from .api import AIServiceError, translate_errors
from .const import LEARN_AFTER_IDLE, LOGGER
from .coordinator import AIAssistCoordinator
from .memory import HOUSEHOLD, KINDS, SOURCE_LEARNED, MemoryStore
from .speaker import Speaker
from .tool_calls import ToolArgumentsError, parse_arguments

PROMPT = (
    "You read a conversation between a home's voice assistant and {who}. List what is worth "
    "remembering for months: preferences, facts, routines and relationships that {who} stated "
    "about themselves or about the household. Leave out requests, questions, passing remarks and "
    "anything already answered by the assistant. Write each as one short sentence naming the "
    "person. Answer with JSON only: "
    '{{"memories": [{{"text": "...", "about": "speaker" or "household", '
    '"kind": "preference" or "fact" or "routine" or "relationship" or "other"}}]}}. '
    'An empty list is a fine answer: {{"memories": []}}.'
)


@dataclass
class _Conversation:
    speaker: Speaker
    model: str
    turns: list[tuple[str, str]] = field(default_factory=list)
    cancel: CALLBACK_TYPE | None = None


class Learner:
    """Watches conversations of agents that learn, and learns from each once it goes quiet."""

    def __init__(self, hass: HomeAssistant, coordinator: AIAssistCoordinator, memory: MemoryStore) -> None:
        """Learn with this service into this memory."""
        self.hass = hass
        self.coordinator = coordinator
        self.memory = memory
        self._conversations: dict[str, _Conversation] = {}

    @callback
    def async_turn(self, conversation_id: str, speaker: Speaker, model: str, said: str, answer: str) -> None:
        """Note a finished turn and restart the conversation's idle timer."""
        watched = self._conversations.setdefault(conversation_id, _Conversation(speaker, model))
        watched.speaker = speaker if speaker.person else watched.speaker
        watched.turns.append((said, answer))
        if watched.cancel:
            watched.cancel()
        watched.cancel = async_call_later(
            self.hass,
            LEARN_AFTER_IDLE,
            HassJob(partial(self._async_learn, conversation_id), cancel_on_shutdown=True),
        )

    @callback
    def async_stop(self) -> None:
        """Stop every timer (the entry unloads)."""
        for watched in self._conversations.values():
            if watched.cancel:
                watched.cancel()
        self._conversations.clear()

    async def _async_learn(self, conversation_id: str, _now: object) -> None:
        watched = self._conversations.pop(conversation_id, None)
        if watched is None:
            return
        who = watched.speaker.person.name if watched.speaker.person else "a member of the household"
        transcript = "\n".join(f"{who}: {said}\nAssistant: {answer}" for said, answer in watched.turns)
        try:
            with translate_errors(watched.model):
                response = await self.coordinator.client.chat.completions.create(
                    model=watched.model,
                    messages=[
                        {"role": "system", "content": PROMPT.format(who=who)},
                        {"role": "user", "content": transcript},
                    ],
                    temperature=0,
                )
            proposals = parse_arguments(response.choices[0].message.content).get("memories", [])
        except (AIServiceError, ToolArgumentsError, IndexError) as err:
            LOGGER.debug("Learning from %s failed: %s", conversation_id, err)
            return
        for proposal in proposals if isinstance(proposals, list) else []:
            await self._async_save(proposal, watched.speaker)

    async def _async_save(self, proposal: object, speaker: Speaker) -> None:
        if not isinstance(proposal, dict) or not isinstance(text := proposal.get("text"), str):
            return
        about_household = proposal.get("about") == "household"
        if not about_household and speaker.person is None:
            return  # an unknown speaker's own facts belong to no one we know
        kind = proposal.get("kind") if proposal.get("kind") in KINDS else "other"
        owner = HOUSEHOLD if about_household else speaker.owner
        try:
            memory, updated = await self.memory.async_remember(text, owner, str(kind), SOURCE_LEARNED)
        except ValueError:
            return
        LOGGER.debug("Learned %s: %s", "(update)" if updated else "", json_dumps(memory.as_dict()))
