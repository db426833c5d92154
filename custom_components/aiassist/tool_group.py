"""One tool for an integration's many intent tools: eight media player tools cost one's tokens.

The grouped tool takes the intent as `action` and the union of the intents' arguments; it
calls the intent tool itself, so Home Assistant's own intent handling and exposure checks
decide, exactly as if the model had called that tool.
"""

from dataclasses import replace
from typing import Any, override

import probatio

from homeassistant.core import HomeAssistant
from homeassistant.helpers import llm

# The generic intents (turn on/off, position, timers) stay tools of their own: they are the
# ones every request may use, and Home Assistant's prompt names them.
_UNGROUPED = frozenset({"intent"})
_GROUP_FROM = 3
_PREFIX = "Hass"


class GroupedIntentTool(llm.Tool):
    """An integration's intent tools behind one name, the intent chosen by `action`."""

    def __init__(self, integration: str, tools: list[llm.IntentTool]) -> None:
        """Offer `tools` (all of `integration`) as one."""
        self.name = f"{integration}__actions"
        self.integration = integration
        self.tools = {_action(tool): tool for tool in tools}
        self.description = f"{integration.replace('_', ' ').capitalize()} actions"
        fields: dict[Any, Any] = {probatio.Required("action"): probatio.In(list(self.tools))}
        for tool in tools:
            for name, validator in _fields(tool):
                # Each action checks its own required arguments when it runs.
                fields.setdefault(probatio.Optional(name), validator)
        self.parameters = probatio.Schema(fields)
        self.annotations = llm.ToolAnnotations(open_world=False)

    @override
    async def async_call(
        self, hass: HomeAssistant, tool_input: llm.ToolInput, llm_context: llm.LLMContext
    ) -> llm.ToolResult:
        args = dict(tool_input.tool_args)
        action = args.pop("action", None)
        if (tool := self.tools.get(str(action))) is None:
            return llm.ToolResult(
                data={"error": f"Unknown action {action!r}; use one of {', '.join(self.tools)}"}, error=True
            )
        known = {name for name, _validator in _fields(tool)}
        inner = replace(
            tool_input, tool_name=tool.name, tool_args={k: v for k, v in args.items() if k in known}
        )
        return await tool.async_call(hass, inner, llm_context)


def group_tools(tools: list[llm.Tool]) -> list[llm.Tool]:
    """The tools, with each integration's many intent tools grouped into one, where they were."""
    by_integration: dict[str, list[llm.IntentTool]] = {}
    for tool in tools:
        if isinstance(tool, llm.IntentTool) and (integration := _integration(tool)) not in _UNGROUPED:
            by_integration.setdefault(integration, []).append(tool)
    groups = {name: members for name, members in by_integration.items() if len(members) >= _GROUP_FROM}
    grouped: list[llm.Tool] = []
    for tool in tools:
        members = groups.get(_integration(tool)) if isinstance(tool, llm.IntentTool) else None
        if members is None:
            grouped.append(tool)
        elif tool is members[0]:
            grouped.append(GroupedIntentTool(_integration(tool), members))
    return grouped


def _fields(tool: llm.Tool) -> list[tuple[str, Any]]:
    """The tool's named arguments; rules across them ("name, area or floor") are its own to check."""
    named = []
    for key, validator in tool.parameters.schema.items():
        name = key.schema if isinstance(key, probatio.Marker) else key
        if isinstance(name, str):
            named.append((name, validator))
    return named


def _integration(tool: llm.Tool) -> str:
    return tool.integration or tool.name.partition("__")[0]


def _action(tool: llm.IntentTool) -> str:
    """The intent without its "Hass": MediaPause, SetVolume."""
    return tool.intent_type.removeprefix(_PREFIX)
