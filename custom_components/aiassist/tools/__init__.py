"""AI Assist's own tools, in families an agent can switch off: weather, shopping, reminders."""

from collections.abc import Collection, Mapping
from typing import Any

from homeassistant.helpers import llm

from ..const import TOOLS_REMINDERS, TOOLS_SHOPPING, TOOLS_WEATHER
from ..memory import MemoryStore
from ..reminders import ReminderStore
from ..speaker import Speaker
from .reminders import reminder_tools
from .shopping import shopping_tools
from .weather import WeatherTool


def family_tools(
    families: Collection[str],
    settings: Mapping[str, Any],
    store: MemoryStore,
    speaker: Speaker,
    reminders: ReminderStore | None = None,
) -> list[llm.Tool]:
    """The tools of the families the agent enables, with the entry's options, for this speaker."""
    tools: list[llm.Tool] = []
    if TOOLS_WEATHER in families:
        tools.append(WeatherTool(settings))
    if TOOLS_SHOPPING in families:
        tools.extend(shopping_tools(settings, store, speaker))
    if TOOLS_REMINDERS in families and reminders is not None:
        tools.extend(reminder_tools(reminders, speaker))
    return tools
