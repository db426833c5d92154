"""What the model sees of the home, and where: the one place that decides it.

The system prompt must be byte-identical from turn to turn, conversation to conversation and
satellite to satellite, so that servers can cache it. Everything that changes (the area of
the satellite, the time when no tool tells it, an automation's extra prompt) goes in the
situation, which is sent after the history, with the newest request.
"""

from dataclasses import dataclass, field

from homeassistant.components import conversation
from homeassistant.core import HomeAssistant
from homeassistant.helpers import area_registry as ar, device_registry as dr, floor_registry as fr, llm
from homeassistant.helpers.template import Template

from .const import DOMAIN
from .home import Home, Request, select
from .llm_api import NO_TIMERS
from .memory import HOUSEHOLD, MemoryStore
from .recent import Turn
from .speaker import Speaker

_TIMER_TOOL_SUFFIX = "HassStartTimer"
FIND_DEVICES_SUFFIX = "__find_devices"
_DATE_TIME_TOOL_SUFFIX = "GetDateTime"


# Roughly four characters per token, for the recall budget.
CHARS_PER_TOKEN = 4
RECALL_CANDIDATES = 20


@dataclass(frozen=True, slots=True)
class ModelContext:
    """The stable system prompt, turns carried over, and the situation of this one request."""

    system_prompt: str
    situation: str
    carried: list[Turn] = field(default_factory=list)
    # The ids of the memories recalled into the situation, for the turn's log line.
    recalled: tuple[str, ...] = ()
    # The devices shown to the model in this request.
    devices: tuple[str, ...] = ()
    # The language spoken: how numbers are said.
    language: str = "en"


@dataclass(frozen=True, slots=True)
class Recall:
    """Who speaks, what may be recalled for them, and within what budget."""

    speaker: Speaker
    memory: MemoryStore
    budget_tokens: int
    carried: list[Turn]


@dataclass(frozen=True, slots=True)
class Sight:
    """What of the home this agent's requests may show, and within what budget."""

    home: Home
    budget_tokens: int


async def async_build_context(
    hass: HomeAssistant,
    chat_log: conversation.ChatLog,
    user_input: conversation.ConversationInput,
    instructions: Template,
    recall: Recall,
    sight: Sight | None = None,
) -> ModelContext:
    """Decide what the model is told for this request."""
    llm_context = user_input.as_llm_context(DOMAIN)
    parts = [await _async_render_instructions(hass, instructions, llm_context)]
    tool_names: set[str] = set()
    devices = None
    if chat_log.llm_api is not None:
        tool_names = {tool.name for tool in chat_log.llm_api.tools}
        # The agent's API gives the prompt of no particular satellite: the same on all of them.
        if api_prompt := chat_log.llm_api.api_prompt.strip():
            parts.append(api_prompt)
        if sight is not None and any(name.endswith(FIND_DEVICES_SUFFIX) for name in tool_names):
            area_id = _area_id(hass, llm_context.device_id)
            history = (*(text for turn in recall.carried for text in turn), *_said_before(chat_log))
            home = sight.home
            vector = None
            if home.vectors is not None and home.vectors.ready:
                vector = await recall.memory.async_embed_query(user_input.text)
            request = Request(user_input.text, history, area_id, vector)
            devices = select(hass, home.index, request, sight.budget_tokens, home.vectors)
    recalled, recalled_ids = await _async_recalled(user_input.text, recall)
    shown = devices.text if devices else ""
    situation = [recalled, shown, _situation(hass, chat_log, llm_context, tool_names)]
    return ModelContext(
        system_prompt="\n".join(parts),
        situation="\n".join(part for part in situation if part),
        carried=recall.carried,
        recalled=recalled_ids,
        devices=devices.entity_ids if devices else (),
        language=user_input.language,
    )


def _said_before(chat_log: conversation.ChatLog) -> list[str]:
    """What was said earlier in the conversation, oldest first: it names what "it" is."""
    said = [
        content.content
        for content in chat_log.content[:-1]
        if isinstance(content, (conversation.UserContent, conversation.AssistantContent)) and content.content
    ]
    return said[-4:]


async def _async_recalled(text: str, recall: Recall) -> tuple[str, tuple[str, ...]]:
    """Who is speaking, and the memories most relevant to what they said, within the budget.

    Returns the lines for the model and the ids of the memories they hold.

    Only the speaker's and the household's memories are searched: privacy is the search's
    scope, not an instruction to the model.
    """
    speaker = recall.speaker
    lines = [
        f"The person speaking is {speaker.person.name}."
        if speaker.person
        else "The speaker is unknown; ask their name if it matters."
    ]
    budget = recall.budget_tokens * CHARS_PER_TOKEN
    memories: list[str] = []
    ids: list[str] = []
    for memory in await recall.memory.async_recall(text, speaker.readable, RECALL_CANDIDATES):
        about = "household" if memory.owner == HOUSEHOLD else speaker.person.name if speaker.person else ""
        line = f"- [{memory.id}] ({about}) {memory.text}"
        if len(line) > budget:
            break
        budget -= len(line)
        memories.append(line)
        ids.append(memory.id)
    if memories:
        lines.append("What you remember that may matter here:")
        lines.extend(memories)
    return "\n".join(lines), tuple(ids)


async def _async_render_instructions(
    hass: HomeAssistant, instructions: Template, llm_context: llm.LLMContext
) -> str:
    """Render the agent's instructions with the variables HA's own agents offer."""
    user_name: str | None = None
    if (
        llm_context.context
        and llm_context.context.user_id
        and (user := await hass.auth.async_get_user(llm_context.context.user_id))
    ):
        user_name = user.name
    rendered: str = instructions.async_render(
        {"ha_name": hass.config.location_name, "user_name": user_name, "llm_context": llm_context},
        parse_result=False,
    )
    return rendered.strip()


def _situation(
    hass: HomeAssistant, chat_log: conversation.ChatLog, llm_context: llm.LLMContext, tool_names: set[str]
) -> str:
    lines: list[str] = []
    if area_line := _area_line(hass, llm_context.device_id):
        lines.append(area_line)
    if chat_log.llm_api is not None and not any(name.endswith(_TIMER_TOOL_SUFFIX) for name in tool_names):
        lines.append(NO_TIMERS)
    if not any(name.endswith(_DATE_TIME_TOOL_SUFFIX) for name in tool_names):
        lines.append(Template(llm.DATE_TIME_PROMPT, hass).async_render(parse_result=False).strip())
    if chat_log.extra_system_prompt:
        lines.append(chat_log.extra_system_prompt.strip())
    return "\n".join(lines)


def _area_id(hass: HomeAssistant, device_id: str | None) -> str | None:
    """The area the satellite stands in."""
    if not device_id or not (device := dr.async_get(hass).async_get(device_id)):
        return None
    return dr.async_get_effective_area_id(hass, device)


def _area_line(hass: HomeAssistant, device_id: str | None) -> str | None:
    """Where the satellite stands, so that 'turn on the lights' means the lights here."""
    if not (area_id := _area_id(hass, device_id)) or not (area := ar.async_get(hass).async_get_area(area_id)):
        return None
    where = area.name
    if area.floor_id and (floor := fr.async_get(hass).async_get_floor(area.floor_id)):
        where = f"{area.name} (floor {floor.name})"
    return (
        f"You are in area {where} and all generic commands like 'turn on the lights' should target this area."
    )
