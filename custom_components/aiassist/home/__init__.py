"""The home as the assistant sees it: an index of what is exposed, and the APIs kept per home."""

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.core import HomeAssistant, callback

from .cache import APICache, PickedAPIs
from .index import HomeIndex
from .select import Request, Selection, select
from .tools import HOME_PROMPT, FindDevicesTool
from .vectors import Embed, HomeVectors

__all__ = [
    "HOME_PROMPT",
    "APICache",
    "FindDevicesTool",
    "Home",
    "HomeIndex",
    "HomeVectors",
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
    vectors: HomeVectors | None = None

    @classmethod
    @callback
    def async_start(
        cls, hass: HomeAssistant, on_unload: Callable[[Callable[[], None]], None], embed: Embed | None = None
    ) -> Home:
        """Index the home now and follow it until the entry unloads; by meaning too with `embed`."""
        index = HomeIndex(hass)
        apis = APICache(hass, index)
        vectors = HomeVectors(hass, index, embed) if embed is not None else None
        for unsub in (*index.async_start(), *apis.async_start(), *(vectors.async_start() if vectors else ())):
            on_unload(unsub)
        return cls(index, apis, vectors)
