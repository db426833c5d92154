"""Confirmation before risky actions, held in code whatever the model does.

Unlocking a lock, opening a garage door, gate or door cover, disarming an alarm, and acting
on any entity the user marked sensitive: the call is held, the turn ends with our own
question, and only a yes in the next turn of the same conversation, from the same device,
runs it. A no, anything else, another device, a new conversation or a minute's silence
drops it. The same rule holds when the model is down and Home Assistant's own agent answers.
"""

from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
import json
import re
import time
from typing import Any, Self, override
import unicodedata

from homeassistant.components import conversation
from homeassistant.components.conversation.agent_manager import get_agent_manager
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import intent, llm
from homeassistant.util.json import JsonObjectType

from .const import DOMAIN, LOGGER
from .tool_group import GroupedIntentTool

# How long a question waits for its answer, in seconds.
CONFIRM_WINDOW = 60.0

_READ_ONLY_INTENTS = frozenset(
    {
        intent.INTENT_GET_STATE,
        intent.INTENT_GET_CURRENT_DATE,
        intent.INTENT_GET_CURRENT_TIME,
        intent.INTENT_GET_TEMPERATURE,
        intent.INTENT_TIMER_STATUS,
        intent.INTENT_NEVERMIND,
        intent.INTENT_RESPOND,
        "HassGetWeather",
        "GetLiveContext",
        "GetDateTime",
    }
)
# Intents that can unlock a lock (turning a lock "off" unlocks it) or open a cover.
_UNLOCKING_INTENTS = frozenset({intent.INTENT_TURN_OFF, intent.INTENT_TOGGLE})
_OPENING_INTENTS = frozenset(
    {intent.INTENT_TURN_ON, intent.INTENT_TOGGLE, intent.INTENT_SET_POSITION, "HassOpenCover"}
)
_GUARDED_COVERS = frozenset({"garage", "gate", "door"})
_SCRIPT_TOOL = "script__"


class Check(StrEnum):
    """What the guard found in a sentence before Home Assistant's own agent may run it."""

    SAFE = "safe"
    HELD = "held"
    UNCHECKED = "unchecked"


class Action(StrEnum):
    """What is held, which picks the question the user hears."""

    UNLOCK = "unlock"
    OPEN = "open"
    DISARM = "disarm"
    OTHER = "other"


type Run = Callable[[], Awaitable[str | None]]


@dataclass(slots=True)
class Pending:
    """What a turn held, waiting for the next turn of its conversation.

    `runs` holds each distinct call once: a model that sends the same call twice still
    gets it run once. Each run returns None when it acted, or why it failed.
    """

    conversation_id: str
    device_id: str | None
    agent_id: str
    action: Action
    expires: float
    names: list[str] = field(default_factory=list)
    runs: dict[str, Run] = field(default_factory=dict)


class Confirmations:
    """The held actions of an entry, one question per conversation, never persisted."""

    def __init__(self) -> None:
        """Start with nothing held."""
        self._pending: dict[str, Pending] = {}

    def hold(
        self,
        conversation_id: str,
        device_id: str | None,
        agent_id: str,
        action: Action,
        names: list[str],
        key: str,
        run: Run,
    ) -> None:
        """Hold a call; more risky calls in the same turn join the same question.

        Every turn takes what the previous one held before anything runs, so whatever is
        held for the conversation now was held by this turn.
        """
        pending = self._pending.setdefault(
            conversation_id,
            Pending(conversation_id, device_id, agent_id, action, time.monotonic() + CONFIRM_WINDOW),
        )
        pending.names.extend(name for name in names if name not in pending.names)
        pending.runs.setdefault(key, run)

    def held(self, conversation_id: str) -> Pending | None:
        """What this turn held, if anything."""
        return self._pending.get(conversation_id)

    def take(self, conversation_id: str, device_id: str | None, agent_id: str) -> Pending | None:
        """What the previous turn held, removed: a question is answered only once.

        A turn also drops what its device held in another conversation: a new conversation
        on the same satellite means the question was left unanswered. Only the agent that
        asked takes the answer: another agent on the same satellite drops it.
        """
        now = time.monotonic()
        for key, held in list(self._pending.items()):
            stale = held.expires < now or (device_id is not None and held.device_id == device_id)
            if stale and key != conversation_id:
                del self._pending[key]
        pending = self._pending.pop(conversation_id, None)
        if pending is None or pending.expires < now or pending.agent_id != agent_id:
            return None
        return pending


@dataclass(slots=True)
class Guard:
    """The rule for one turn: what counts as risky, and where a held action is kept."""

    hass: HomeAssistant
    confirmations: Confirmations
    sensitive: frozenset[str]
    conversation_id: str
    device_id: str | None
    agent_id: str

    def wrap(self, tools: list[llm.Tool]) -> list[llm.Tool]:
        """The tools, each checked before it runs."""
        return [GuardedTool(tool, self) for tool in tools]

    def tool_call(
        self, tool: llm.Tool, tool_input: llm.ToolInput, llm_context: llm.LLMContext
    ) -> llm.ToolResult | None:
        """Hold a risky call and say so to the model; None lets the call run."""
        risky: tuple[Action, list[State]] | None = None
        checked, args = tool, tool_input.tool_args
        while isinstance(checked, llm.NamespacedTool):
            checked = checked.tool
        if isinstance(checked, GroupedIntentTool):
            # The group runs one of its intents: check that one.
            args = {key: value for key, value in args.items() if key != "action"}
            checked = checked.tools.get(str(tool_input.tool_args.get("action")), checked)
        if isinstance(checked, llm.IntentTool):
            risky = risky_targets(
                self.hass,
                checked.intent_type,
                args,
                llm.async_get_match_preferences(self.hass, llm_context),
                self.sensitive,
            )
        elif checked.name.startswith(_SCRIPT_TOOL):
            script = f"script.{checked.name.removeprefix(_SCRIPT_TOOL)}"
            if script in self.sensitive and (state := self.hass.states.get(script)) is not None:
                risky = (Action.OTHER, [state])
        if risky is None:
            return None

        async def run() -> str | None:
            result = await tool.async_call(self.hass, tool_input, llm_context)
            return _failure(result.data if isinstance(result, llm.ToolResult) else result)

        key = json.dumps([tool.name, tool_input.tool_args], sort_keys=True, default=str)
        self._hold(*risky, key, run)
        return llm.ToolResult(
            data={
                "held": "The user must confirm first. AI Assist asks them; do not say it was done.",
            }
        )

    async def async_sentence(self, user_input: conversation.ConversationInput) -> Check:
        """Before Home Assistant's own agent runs a sentence: hold it when it is risky.

        A sentence that cannot be checked is UNCHECKED: the fallback must not run it.
        """
        try:
            agent = get_agent_manager(self.hass).default_agent
            recognized = await agent.async_recognize_intent(user_input) if agent else None
        except Exception:  # noqa: BLE001 - unknown means unsafe, not a failed turn
            LOGGER.exception("Could not check %r before Home Assistant's agent runs it", user_input.text)
            return Check.UNCHECKED
        if recognized is None or recognized.unmatched_entities:
            return Check.SAFE
        slots = {entity.name: entity.value for entity in recognized.entities_list}
        preferences = llm.async_get_match_preferences(self.hass, user_input.as_llm_context(DOMAIN))
        risky = risky_targets(self.hass, recognized.intent.name, slots, preferences, self.sensitive)
        if risky is None:
            return Check.SAFE
        hass, text = self.hass, user_input.text

        async def run() -> str | None:
            result = await conversation.async_converse(
                hass,
                text,
                None,
                user_input.context,
                language=user_input.language,
                agent_id=conversation.HOME_ASSISTANT_AGENT,
                device_id=user_input.device_id,
            )
            if result.response.response_type is intent.IntentResponseType.ERROR:
                return str(result.response.speech.get("plain", {}).get("speech", "")) or "error"
            return None

        self._hold(*risky, text, run)
        return Check.HELD

    def _hold(self, action: Action, states: list[State], key: str, run: Run) -> None:
        names = [state.name for state in states]
        self.confirmations.hold(self.conversation_id, self.device_id, self.agent_id, action, names, key, run)


class GuardedTool(llm.Tool):
    """A tool as the model sees it, checked by the turn's guard before it runs."""

    def __init__(self, tool: llm.Tool, guard: Guard) -> None:
        """Look exactly like `tool`."""
        self.tool = tool
        self.guard = guard
        self.name = tool.name
        self.title = tool.title
        self.description = tool.description
        self.parameters = tool.parameters
        self.annotations = tool.annotations
        self.integration = tool.integration

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        """A conversation trace copies the tools it lists; the guard belongs to the live turn."""
        return self

    @override
    async def async_call(
        self, hass: HomeAssistant, tool_input: llm.ToolInput, llm_context: llm.LLMContext
    ) -> llm.ToolResult | JsonObjectType:
        """Run the tool, unless the guard holds the call."""
        if (held := self.guard.tool_call(self.tool, tool_input, llm_context)) is not None:
            return held
        return await self.tool.async_call(hass, tool_input, llm_context)


def risky_targets(
    hass: HomeAssistant,
    intent_type: str,
    slots: Mapping[str, Any],
    preferences: intent.MatchTargetsPreferences,
    sensitive: Collection[str],
) -> tuple[Action, list[State]] | None:
    """The risky entities an intent would act on, matched as Home Assistant's handler does."""
    if intent_type in _READ_ONLY_INTENTS:
        return None
    handler = intent.async_get(hass)
    known = next((item for item in handler if item.intent_type == intent_type), None)
    name = slots.get("name")
    domains = _as_set(slots.get("domain")) or getattr(known, "required_domains", None)
    constraints = intent.MatchTargetsConstraints(
        name=None if name == "all" else name,
        area_name=slots.get("area"),
        floor_name=slots.get("floor"),
        domains=domains,
        device_classes=_as_set(slots.get("device_class")),
        assistant=conversation.DOMAIN,
    )
    if not constraints.has_constraints:
        return None
    match = intent.async_match_targets(hass, constraints, preferences)
    if not match.is_match:
        return None
    risky = [(action, state) for state in match.states if (action := _action(intent_type, state, sensitive))]
    if not risky:
        return None
    return risky[0][0], [state for _action_, state in risky]


def _action(intent_type: str, state: State, sensitive: Collection[str]) -> Action | None:
    if state.domain == "lock" and intent_type in _UNLOCKING_INTENTS:
        return Action.UNLOCK
    if (
        state.domain == "cover"
        and state.attributes.get("device_class") in _GUARDED_COVERS
        and intent_type in _OPENING_INTENTS
    ):
        return Action.OPEN
    if state.domain == "alarm_control_panel":
        return Action.DISARM
    if state.entity_id in sensitive:
        return Action.OTHER
    return None


def _as_set(value: Any) -> set[str] | None:
    if not value:
        return None
    return {value} if isinstance(value, str) else {str(item) for item in value}


def _failure(data: Mapping[str, Any]) -> str | None:
    """Why an intent's result says it failed, or None when it acted."""
    if data.get("response_type") != intent.IntentResponseType.ERROR.value:
        failed = (data.get("data") or {}).get("failed") or []
        return ", ".join(str(item.get("name", "")) for item in failed) or None
    return str((data.get("speech") or {}).get("plain", {}).get("speech", "")) or "error"


# What a reply to the question means, in the languages we translate.
_YES = {
    "en": (
        "yes",
        "yeah",
        "yep",
        "yup",
        "sure",
        "ok",
        "okay",
        "confirm",
        "confirmed",
        "correct",
        "go ahead",
        "do it",
        "please do",
        "affirmative",
        "absolutely",
        "of course",
        "right",
    ),
    "zh": ("是", "好", "对", "确认", "确定", "可以", "行", "没错", "嗯", "要"),
}
_NO = {
    "en": (
        "no",
        "nope",
        "nah",
        "don't",
        "do not",
        "cancel",
        "stop",
        "never mind",
        "nevermind",
        "not now",
        "negative",
        "wait",
    ),
    "zh": ("不", "别", "取消", "算了", "等等", "没有"),
}
_NUMBER_WORDS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
    "零": "0", "〇": "0", "一": "1", "幺": "1", "二": "2", "两": "2", "三": "3", "四": "4",
    "五": "5", "六": "6", "七": "7", "八": "8", "九": "9",
}  # fmt: skip
_PUNCTUATION = re.compile(r"[^\w\s']+")
_DIGITS = re.compile(
    r"\d|[零〇一幺二两三四五六七八九]|\b(?:zero|one|two|three|four|five|six|seven|eight|nine)\b"
)


class Reply(StrEnum):
    """What the user said to the question."""

    YES = "yes"
    NO = "no"
    OTHER = "other"


def reply(text: str, language: str) -> Reply:
    """Yes, no, or something else (the user moved on) in the user's language."""
    spoken = " ".join(_PUNCTUATION.sub(" ", text.casefold()).split())
    family = "zh" if language.casefold().startswith("zh") else "en"
    if family == "zh":
        spoken = spoken.replace(" ", "")
        if spoken.startswith(_NO["zh"]):
            return Reply.NO
        return Reply.YES if spoken.startswith(_YES["zh"]) else Reply.OTHER
    padded = f" {spoken} "
    if any(f" {word} " in padded for word in _NO["en"]):
        return Reply.NO
    return Reply.YES if any(padded.startswith(f" {word} ") for word in _YES["en"]) else Reply.OTHER


def spoken_digits(text: str) -> str:
    """The digits said, in order: "1 2 3 4", "one two three four", "一二三四" and "１２３４" are all 1234."""
    return "".join(
        _NUMBER_WORDS.get(digit) or str(unicodedata.decimal(digit))
        for digit in _DIGITS.findall(text.casefold())
    )


def without_digits(text: str) -> str:
    """The text with every spoken digit hidden: what may be kept or sent on."""
    return _DIGITS.sub("•", text.casefold())
