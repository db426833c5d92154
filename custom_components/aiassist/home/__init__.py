"""The home as the assistant sees it: an index of what is exposed, and the APIs kept per home."""

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.core import HomeAssistant, callback

from .cache import APICache, PickedAPIs
from .index import HomeIndex
from .select import Request, Selection, select
from .tools import HOME_PROMPT, FindDevicesTool

__all__ = [
    "HOME_PROMPT",
    "APICache",
    "FindDevicesTool",
    "Home",
    "HomeIndex",
    "PickedAPIs",
    "Request",
    "Selection",
    "select",
]


@dataclass(frozen=True, slots=True)
class Home:
    """The entry's view of the home."""

    index: HomeIndex
    apis: APICache

    @classmethod
    @callback
    def async_start(cls, hass: HomeAssistant, on_unload: Callable[[Callable[[], None]], None]) -> Home:
        """Index the home now and follow it until the entry unloads."""
        index = HomeIndex(hass)
        apis = APICache(hass, index)
        for unsub in (*index.async_start(), *apis.async_start()):
            on_unload(unsub)
        return cls(index, apis)
