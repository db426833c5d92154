"""A memory's short description in the to-do list: its kind, its origin and its date, translated."""

from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util

from ..const import DOMAIN
from .model import Memory, origin

_COMMON = f"component.{DOMAIN}.common."
_KINDS = f"component.{DOMAIN}.selector.kind.options."


class MemoryDescriber:
    """Describes memories in Home Assistant's language; strings are loaded ahead, never while describing."""

    def __init__(self) -> None:
        """Start without strings: descriptions fall back to the stored words until loaded."""
        self._strings: dict[str, str] = {}
        # Memory id -> (what the description says, the description): the lists describe every
        # memory each time one changes, and a household may have thousands.
        self._described: dict[str, tuple[tuple[str, str, str], str]] = {}

    async def async_load(self, hass: HomeAssistant) -> None:
        """Load the strings of Home Assistant's current language (HA caches them)."""
        language = hass.config.language
        self._strings = await async_get_translations(hass, language, "common", {DOMAIN}) | (
            await async_get_translations(hass, language, "selector", {DOMAIN})
        )
        self._described.clear()

    def describe(self, memory: Memory) -> str:
        """E.g. "Preference · from a conversation · 1 December 2026"."""
        said = (memory.kind, origin(memory.source), memory.updated)
        if (known := self._described.get(memory.id)) is not None and known[0] == said:
            return known[1]
        description = self._text(
            "memory_description",
            kind=self._strings.get(_KINDS + memory.kind, memory.kind),
            source=self._text(f"source_{said[1]}"),
            date=self._date(memory.updated),
        )
        self._described[memory.id] = (said, description)
        return description

    def _date(self, timestamp: str) -> str:
        if (moment := dt_util.parse_datetime(timestamp)) is None:
            return timestamp
        day = dt_util.as_local(moment).date()
        month = self._text(f"month_{day.month}")
        return self._text("memory_date", day=str(day.day), month=month, year=str(day.year))

    def _text(self, key: str, **placeholders: str) -> str:
        text = self._strings.get(_COMMON + key)
        if text is None:
            return " · ".join(placeholders.values()) if placeholders else key
        return text.format(**placeholders)
