"""The conversation agents, one per subentry, that Assist and voice satellites talk to."""

from dataclasses import replace
import hmac
from typing import Literal, override

from homeassistant.components import conversation
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import CONF_LLM_HASS_API, CONF_PROMPT, MATCH_ALL
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import intent
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .answers import async_answer_without_model, async_say, async_speech, spoken
from .api import AIServiceError, InvalidAuth, ServiceUnreachable
from .confirm import Action, Guard, Pending, Reply, reply, spoken_digits, without_digits
from .const import (
    CONF_CONFIRMATION,
    CONF_CONTINUATION_WINDOW,
    CONF_HOME_BUDGET,
    CONF_LEARN,
    CONF_PIN,
    CONF_RECALL_BUDGET,
    CONF_SATELLITES,
    CONF_SENSITIVE,
    CONF_TOOLS,
    DEFAULT_CONTINUATION_WINDOW,
    DEFAULT_HOME_BUDGET,
    DEFAULT_RECALL_BUDGET,
    DOMAIN,
    LOGGER,
    SUBENTRY_CONVERSATION,
    TOOL_FAMILIES,
)
from .context import Recall, Sight, async_build_context
from .entity import AIAssistEntity
from .llm_api import agent_api
from .memory import HOUSEHOLD
from .runtime import AIAssistConfigEntry
from .speaker import Speaker

# Turns run concurrently; the service, not Home Assistant, decides how many at once.
PARALLEL_UPDATES = 0

# The question a held action asks (translation keys).
_QUESTIONS = {
    Action.UNLOCK: "confirm_unlock",
    Action.OPEN: "confirm_open",
    Action.DISARM: "confirm_disarm",
    Action.OTHER: "confirm_other",
}


async def async_setup_entry(
    hass: HomeAssistant, entry: AIAssistConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add an agent for each conversation subentry."""
    for subentry in entry.subentries.values():
        if subentry.subentry_type == SUBENTRY_CONVERSATION:
            async_add_entities(
                [AIAssistConversationEntity(entry, subentry)], config_subentry_id=subentry.subentry_id
            )


class AIAssistConversationEntity(conversation.ConversationEntity, AIAssistEntity):
    """An LLM agent that streams its answer, so a satellite starts speaking at once."""

    _attr_supports_streaming = True

    def __init__(self, entry: AIAssistConfigEntry, subentry: ConfigSubentry) -> None:
        """Offer home control when the agent may use an LLM API."""
        super().__init__(entry, subentry)
        if subentry.data.get(CONF_LLM_HASS_API):
            self._attr_supported_features = conversation.ConversationEntityFeature.CONTROL

    @property
    @override
    def supported_languages(self) -> list[str] | Literal["*"]:
        """Any language the model speaks."""
        return MATCH_ALL

    @override
    async def _async_handle_message(
        self, user_input: conversation.ConversationInput, chat_log: conversation.ChatLog
    ) -> conversation.ConversationResult:
        """Answer one turn for the person speaking; they hear a sentence whatever goes wrong."""
        options = self.subentry.data
        runtime = self.entry.runtime_data
        speaker = runtime.speakers.resolve(
            self.hass, user_input, chat_log.conversation_id, options.get(CONF_SATELLITES) or {}
        )
        chat_log.async_trace({"speaker": speaker.as_trace()})
        if (
            pending := runtime.confirmations.take(
                chat_log.conversation_id, user_input.device_id, self.entity_id
            )
        ) is not None and (
            answered := await self._async_confirmation_reply(user_input, chat_log, pending, speaker)
        ) is not None:
            return answered
        confirmation = options.get(CONF_CONFIRMATION) or {}
        guard = Guard(
            self.hass,
            runtime.confirmations,
            frozenset(confirmation.get(CONF_SENSITIVE) or ()),
            chat_log.conversation_id,
            user_input.device_id,
            self.entity_id,
        )
        first_turn = not any(
            isinstance(content, conversation.AssistantContent) for content in chat_log.content
        )
        api = agent_api(
            self.hass,
            list(options.get(CONF_LLM_HASS_API) or []),
            runtime.memory,
            speaker,
            chat_log.conversation_id,
            runtime.home,
            options.get(CONF_TOOLS, TOOL_FAMILIES),
            self.entry.options,
            runtime.reminders,
            guard,
        )
        try:
            await chat_log.async_provide_llm_data(
                user_input.as_llm_context(DOMAIN),
                api,
                options.get(CONF_PROMPT),
                user_input.extra_system_prompt,
            )
        except conversation.ConverseError as err:
            return err.as_conversation_result()
        window = 60.0 * float(options.get(CONF_CONTINUATION_WINDOW, DEFAULT_CONTINUATION_WINDOW))
        recall = Recall(
            speaker,
            runtime.memory,
            int(options.get(CONF_RECALL_BUDGET, DEFAULT_RECALL_BUDGET)),
            runtime.recent.carried(speaker, chat_log.conversation_id, first_turn, window),
        )
        sight = Sight(runtime.home, int(options.get(CONF_HOME_BUDGET, DEFAULT_HOME_BUDGET)))
        result, recalled = await self._async_answer_turn(user_input, chat_log, recall, sight, guard)
        _show_speaker(result.response, speaker)
        LOGGER.debug(
            "%s turn: speaker %s resolved by %s, recalled memories %s, tool calls %s",
            self.entity_id,
            speaker.person.entity_id if speaker.person else HOUSEHOLD,
            speaker.how,
            list(recalled),
            _tool_names(chat_log),
        )
        self._async_after_turn(user_input, chat_log.conversation_id, speaker, result)
        return result

    async def _async_answer_turn(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
        recall: Recall,
        sight: Sight,
        guard: Guard,
    ) -> tuple[conversation.ConversationResult, tuple[str, ...]]:
        """Answer with the model, or without it when it fails; also return the memories recalled.

        When a risky action was held, by the model's call or on the way to Home Assistant's own
        agent, the answer is our question, whatever the model said.
        """
        recalled: tuple[str, ...] = ()
        result: conversation.ConversationResult | None
        try:
            model_context = await async_build_context(
                self.hass, chat_log, user_input, self.instructions, recall, sight
            )
            recalled = model_context.recalled
            await self._async_answer(chat_log, model_context)
        except AIServiceError as err:
            LOGGER.debug("%s could not answer: %s", self.entity_id, err.detail or err.key)
            if isinstance(err, ServiceUnreachable):
                self.coordinator.async_mark_down(err)
            elif isinstance(err, InvalidAuth):
                self.entry.async_start_reauth(self.hass)
            self.coordinator.last_error = f"{err.key}: {err.detail}"
            result = await async_answer_without_model(
                self.hass, user_input, chat_log, self.entity_id, err, guard
            )
        except Exception as err:  # noqa: BLE001 - the user must hear a sentence, not a traceback
            LOGGER.exception("Unexpected error answering %r", user_input.text)
            error = AIServiceError(str(err))
            result = await async_answer_without_model(
                self.hass, user_input, chat_log, self.entity_id, error, guard
            )
        else:
            result = None
        if (pending := self.entry.runtime_data.confirmations.held(chat_log.conversation_id)) is not None:
            return await self._async_ask(user_input, chat_log, pending), recalled
        if result is None:
            result = conversation.async_get_result_from_chat_log(user_input, chat_log)
        return result, recalled

    @override
    def _turn_held(self, chat_log: conversation.ChatLog) -> bool:
        return self.entry.runtime_data.confirmations.held(chat_log.conversation_id) is not None

    async def _async_ask(
        self, user_input: conversation.ConversationInput, chat_log: conversation.ChatLog, pending: Pending
    ) -> conversation.ConversationResult:
        """End the turn with our own question; the satellite keeps listening for the answer."""
        language = user_input.language
        question = await async_speech(
            self.hass, language, _QUESTIONS[pending.action], names=_join(pending.names, language)
        )
        if (self.subentry.data.get(CONF_CONFIRMATION) or {}).get(CONF_PIN):
            question = f"{question} {await async_speech(self.hass, language, 'confirm_say_pin')}"
        return await self._async_say_result(user_input, chat_log, question, continue_conversation=True)

    async def _async_confirmation_reply(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
        pending: Pending,
        speaker: Speaker,
    ) -> conversation.ConversationResult | None:
        """Answer our question's reply: run what was held on a yes, drop it on anything else.

        None: the reply is not about the question (or comes from another device), which
        drops the held action and lets the turn go on as any other. A spoken PIN is hidden
        from the chat log before anything else can read it: the model never sees it.
        """
        if pending.device_id != user_input.device_id:
            return None
        pin = str((self.subentry.data.get(CONF_CONFIRMATION) or {}).get(CONF_PIN) or "")
        said = reply(user_input.text, user_input.language)
        digits = spoken_digits(user_input.text)
        text = user_input.text
        if pin and digits:
            text = without_digits(text)
            _replace_last_user_text(chat_log, text)
        failures: list[str] = []
        if said is Reply.NO:
            key = "confirm_declined"
        elif pin and (digits or said is Reply.YES) and not hmac.compare_digest(digits.encode(), pin.encode()):
            key = "confirm_wrong_pin"
        elif said is Reply.YES or (pin and digits):
            for run in pending.runs.values():
                try:
                    failure = await run()
                except HomeAssistantError as err:
                    failure = str(err) or type(err).__name__
                if failure:
                    failures.append(failure)
            key = "confirm_failed" if failures else "confirm_done"
        else:
            return None
        answer = await async_speech(self.hass, user_input.language, key, reason="; ".join(failures))
        result = await self._async_say_result(user_input, chat_log, answer, continue_conversation=False)
        self.entry.runtime_data.recent.record(speaker, chat_log.conversation_id, text, answer)
        return result

    async def _async_say_result(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
        text: str,
        continue_conversation: bool,
    ) -> conversation.ConversationResult:
        await async_say(chat_log, self.entity_id, text)
        response = intent.IntentResponse(language=user_input.language)
        response.async_set_speech(text)
        return conversation.ConversationResult(
            response=response,
            conversation_id=chat_log.conversation_id,
            continue_conversation=continue_conversation,
        )

    def _async_after_turn(
        self,
        user_input: conversation.ConversationInput,
        conversation_id: str,
        speaker: Speaker,
        result: conversation.ConversationResult,
    ) -> None:
        """Keep the turn for continuation on another satellite, and for learning."""
        runtime = self.entry.runtime_data
        answer = spoken(result.response)
        runtime.recent.record(speaker, conversation_id, user_input.text, answer)
        if self.subentry.data.get(CONF_LEARN):
            runtime.learner.async_turn(conversation_id, speaker, self.model, user_input.text, answer)


def _join(names: list[str], language: str) -> str:
    """Names as a sentence says them: "the front door and the back door", "前门和后门"."""
    if len(names) < 2:
        return "".join(names)
    if language.casefold().startswith("zh"):
        return f"{'、'.join(names[:-1])}和{names[-1]}"
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _replace_last_user_text(chat_log: conversation.ChatLog, text: str) -> None:
    """Keep the reply in the history without the PIN it carried."""
    for index in range(len(chat_log.content) - 1, -1, -1):
        if isinstance(content := chat_log.content[index], conversation.UserContent):
            chat_log.content[index] = replace(content, content=text)
            return


def _show_speaker(response: intent.IntentResponse, speaker: Speaker) -> None:
    """Put the speaker in the answer's speech data, which the pipeline's debug view shows."""
    plain = response.speech.get("plain", {})
    extra = plain.get("extra_data")
    response.async_set_speech(
        str(plain.get("speech", "")),
        extra_data={**(extra if isinstance(extra, dict) else {}), "speaker": speaker.as_trace()},
    )


def _tool_names(chat_log: conversation.ChatLog) -> list[str]:
    """The names of the tools the model called in this turn."""
    return [
        call.tool_name
        for content in chat_log.content[chat_log.llm_input_provided_index :]
        if isinstance(content, conversation.AssistantContent)
        for call in content.tool_calls or ()
    ]
