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

LIMIT = 20
HOME_PROMPT = (
    f"Requests list devices that may matter, with their state; find others with {DOMAIN}__find_devices. "
    "Control any exposed device by name with the intent tools."
)


class FindDevicesTool(AIAssistTool):
    """Search the exposed devices by words, area, floor and kind, with their state."""

    name = f"{DOMAIN}__find_devices"
    description = "Find exposed devices, with their state."
    parameters = probatio.Schema(
        {
            probatio.Optional("name"): cv.string,
            probatio.Optional("area"): cv.string,
            probatio.Optional("floor"): cv.string,
            probatio.Optional("domain"): probatio.Any(cv.string, [cv.string]),
            probatio.Optional("device_class"): cv.string,
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
        index.async_refresh()
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
        lines = [describe(hass, index, index.entities[entity_id]) for entity_id in ranked[:LIMIT]]
        result: dict[str, Any] = {"devices": lines}
        if len(ranked) > LIMIT:
            result["truncated"] = f"{len(ranked) - LIMIT} more match; narrow by area, floor or domain."
        return llm.ToolResult(data=result)
