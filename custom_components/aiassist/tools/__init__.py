"""AI Assist's own tools, in families an agent can switch off: weather, shopping."""

from collections.abc import Collection, Mapping
from typing import Any

from homeassistant.helpers import llm

from ..const import TOOLS_SHOPPING, TOOLS_WEATHER
from ..memory import MemoryStore
from ..speaker import Speaker
from .shopping import shopping_tools
from .weather import WeatherTool


def family_tools(
    families: Collection[str], settings: Mapping[str, Any], store: MemoryStore, speaker: Speaker
) -> list[llm.Tool]:
    """The tools of the families the agent enables, with the entry's options, for this speaker."""
    tools: list[llm.Tool] = []
    if TOOLS_WEATHER in families:
        tools.append(WeatherTool(settings))
    if TOOLS_SHOPPING in families:
        tools.extend(shopping_tools(settings, store, speaker))
    return tools
