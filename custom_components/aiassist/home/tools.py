"""Tools that find devices the request's own list missed: never the whole home, always capped.

Both only read; every action still goes through Home Assistant's intent tools and their
exposure checks, so a device found here is controlled as if the model had known it.
"""

from typing import Any, override

import probatio

from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv, llm

from ..const import DOMAIN
from ..tool_base import AIAssistTool, tool_error
from .index import HomeIndex
from .select import Matcher, describe

SEARCH_LIMIT = 25
LIVE_LIMIT = 15
HOME_PROMPT = (
    "Each request lists the devices that may matter, with their state. For any other device, or "
    f"to read states again, use {DOMAIN}__find_devices. Control devices by their names with the "
    "intent tools, even ones not listed."
)


class FindDevicesTool(AIAssistTool):
    """Search the exposed devices by words, area, floor and kind; with their state on request."""

    name = f"{DOMAIN}__find_devices"
    description = "Find exposed devices and their current state."
    parameters = probatio.Schema(
        {
            probatio.Optional("name", description="Words of a name or alias"): cv.string,
            probatio.Optional("area"): cv.string,
            probatio.Optional("floor"): cv.string,
            probatio.Optional("domain"): probatio.Any(cv.string, [cv.string]),
            probatio.Optional("device_class"): cv.string,
            probatio.Optional("state", default=True): bool,
        }
    )
    annotations = llm.ToolAnnotations(read_only=True, open_world=False)

    def __init__(self, index: HomeIndex) -> None:
        """Search this home."""
        self.index = index

    @override
    async def async_call(
        self, hass: HomeAssistant, tool_input: llm.ToolInput, llm_context: llm.LLMContext
    ) -> llm.ToolResult:
        args: dict[str, Any] = self.parameters(tool_input.tool_args)
        index = self.index
        found = set(index.entities)
        if place := args.get("area"):
            if not (areas := Matcher(index, place).area_ids):
                return tool_error(f"No area is called {place}.")
            found &= index.in_areas(areas)
        if place := args.get("floor"):
            if not (areas := Matcher(index, place).area_ids):
                return tool_error(f"No floor is called {place}.")
            found &= index.in_areas(areas)
        if domains := args.get("domain"):
            found &= set().union(
                *(
                    index.of_domain(domain.strip().lower())
                    for domain in ([domains] if isinstance(domains, str) else domains)
                )
            )
        if device_class := args.get("device_class"):
            wanted = device_class.strip().lower()
            found = {e for e in found if index.entities[e].device_class == wanted}
        ranked = sorted(found)
        if text := args.get("name"):
            matcher = Matcher(index, text)
            # Devices it names wholly, else those it names in part.
            named = [e for e in matcher.named() if e in found] or [
                e for e in matcher.half_named(None) if e in found
            ]
            ranked = named or [e for e in matcher.kinds_anywhere() if e in found]
        if not ranked:
            return tool_error("No exposed device matches; try fewer filters.")
        limit = LIVE_LIMIT if args["state"] else SEARCH_LIMIT
        lines = [_line(hass, index, entity_id, args["state"]) for entity_id in ranked[:limit]]
        result: dict[str, Any] = {"devices": lines}
        if len(ranked) > limit:
            result["truncated"] = f"{len(ranked) - limit} more match; narrow by area, floor or domain."
        return llm.ToolResult(data=result)


def _line(hass: HomeAssistant, index: HomeIndex, entity_id: str, state: bool) -> str:
    line = describe(hass, index, index.entities[entity_id])
    return line if state else line.rsplit(" | ", 1)[0]
