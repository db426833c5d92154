"""AI Assist's own tools, in families an agent can switch off: weather for now."""

from collections.abc import Collection, Mapping
from typing import Any

from homeassistant.helpers import llm

from ..const import TOOLS_WEATHER
from .weather import WeatherTool


def family_tools(families: Collection[str], settings: Mapping[str, Any]) -> list[llm.Tool]:
    """The tools of the families the agent enables, set up with the entry's options."""
    tools: list[llm.Tool] = []
    if TOOLS_WEATHER in families:
        tools.append(WeatherTool(settings))
    return tools
