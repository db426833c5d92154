"""The model's memory tools, bound to the resolved speaker: privacy is enforced here, in code."""

from typing import Any, override

import probatio

from homeassistant.core import HomeAssistant
from homeassistant.helpers import llm
from homeassistant.util.json import JsonObjectType

from ..const import DOMAIN
from ..speaker import Speaker
from ..tool_base import AIAssistTool
from .model import HOUSEHOLD, KINDS, Memory
from .store import MemoryStore

SEARCH_LIMIT = 8
MEMORY_PROMPT = (
    "You have a long-term memory of the people here and of the household; memories that may "
    "matter come with each request. Save what someone tells you that lasts (a preference, fact, "
    f"routine or relationship) with {DOMAIN}__remember, passing `replaces` with the id of a memory "
    "it changes. Forget when asked. Never say memory ids aloud."
)


def _describe(memory: Memory, speaker: Speaker) -> JsonObjectType:
    about = "household" if memory.owner == HOUSEHOLD else (speaker.person.name if speaker.person else "")
    return {"id": memory.id, "about": about, "kind": memory.kind, "text": memory.text}


class _MemoryTool(AIAssistTool):
    def __init__(self, store: MemoryStore, speaker: Speaker, source: str) -> None:
        self.store = store
        self.speaker = speaker
        self.source = source


class RememberTool(_MemoryTool):
    """Save or update a memory about the speaker or the household."""

    name = f"{DOMAIN}__remember"
    description = "Remember a lasting fact, one short sentence naming the person: 'Anna is vegetarian'."
    parameters = probatio.Schema(
        {
            probatio.Required("text"): str,
            probatio.Optional("about", default="speaker"): probatio.In(["speaker", "household"]),
            probatio.Optional("kind", default="fact"): probatio.In(list(KINDS)),
            probatio.Optional("replaces", description="Id of the memory it changes"): str,
        }
    )
    annotations = llm.ToolAnnotations(read_only=False, destructive=False, idempotent=True, open_world=False)

    @override
    async def async_call(
        self, hass: HomeAssistant, tool_input: llm.ToolInput, llm_context: llm.LLMContext
    ) -> llm.ToolResult:
        args: dict[str, Any] = self.parameters(tool_input.tool_args)
        if args["about"] == "speaker" and self.speaker.person is None:
            return llm.ToolResult(
                data={"error": "The speaker is unknown. Ask their name, or save it about the household."},
                error=True,
            )
        owner = HOUSEHOLD if args["about"] == "household" else self.speaker.owner
        memory, updated = await self.store.async_remember(
            args["text"], owner, args["kind"], self.source, replaces=args.get("replaces")
        )
        return llm.ToolResult(data={"updated" if updated else "saved": _describe(memory, self.speaker)})


class SearchTool(_MemoryTool):
    """Search the speaker's and the household's memories."""

    name = f"{DOMAIN}__search_memories"
    description = "Search what you remember about the person speaking and the household."
    parameters = probatio.Schema({probatio.Required("query"): str})
    annotations = llm.ToolAnnotations(read_only=True, destructive=False, idempotent=True, open_world=False)

    @override
    async def async_call(
        self, hass: HomeAssistant, tool_input: llm.ToolInput, llm_context: llm.LLMContext
    ) -> llm.ToolResult:
        args: dict[str, Any] = self.parameters(tool_input.tool_args)
        found = await self.store.async_search(args["query"], self.speaker.readable, SEARCH_LIMIT)
        return llm.ToolResult(data={"memories": [_describe(memory, self.speaker) for memory in found]})


class ForgetTool(_MemoryTool):
    """Forget one of the speaker's or the household's memories."""

    name = f"{DOMAIN}__forget"
    description = "Forget a memory, by its id, when the person asks you to."
    parameters = probatio.Schema({probatio.Required("memory_id"): str})
    annotations = llm.ToolAnnotations(read_only=False, destructive=True, idempotent=True, open_world=False)

    @override
    async def async_call(
        self, hass: HomeAssistant, tool_input: llm.ToolInput, llm_context: llm.LLMContext
    ) -> llm.ToolResult:
        args: dict[str, Any] = self.parameters(tool_input.tool_args)
        memory = self.store.memories.get(args["memory_id"])
        # Someone else's memory is "not found": its existence is private too.
        if memory is None or memory.owner not in self.speaker.readable:
            return llm.ToolResult(data={"error": "No such memory."}, error=True)
        self.store.forget([memory.id])
        return llm.ToolResult(data={"forgotten": memory.text})


def memory_tools(store: MemoryStore, speaker: Speaker, source: str) -> list[llm.Tool]:
    """The memory tools for one turn of one speaker."""
    return [tool(store, speaker, source) for tool in (RememberTool, SearchTool, ForgetTool)]
