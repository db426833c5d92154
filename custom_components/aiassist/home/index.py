"""What the home holds that the assistant may see: exposed entities, their names, areas and floors.

Built once, then kept up to date from the registries' events, the exposure settings and
entities appearing or leaving the state machine, so that a turn never walks the whole home.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
import math
from typing import Any

from homeassistant.components import conversation
from homeassistant.components.homeassistant.exposed_entities import (
    async_listen_entity_updates,
    async_should_expose,
)
from homeassistant.const import ATTR_DEVICE_CLASS, EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, State, callback
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
    floor_registry as fr,
    intent,
)

from .words import words

# Calendars and scripts have tools of their own, as in HA's own overview of the home.
SKIPPED_DOMAINS = frozenset({"calendar", "script"})


@dataclass(frozen=True, slots=True)
class HomeEntity:
    """An exposed entity as the assistant knows it."""

    entity_id: str
    domain: str
    names: tuple[str, ...]
    area_id: str | None
    device_class: str | None
    # The words of each name, for matching.
    name_words: tuple[frozenset[str], ...]

    @property
    def kind(self) -> str:
        """Its domain, and its device class when it has one: "cover garage"."""
        return f"{self.domain} {self.device_class}" if self.device_class else self.domain


@dataclass(frozen=True, slots=True)
class Place:
    """An area or a floor: its names and their words."""

    id: str
    name: str
    name_words: tuple[frozenset[str], ...]
    floor_id: str | None = None


class HomeIndex:
    """Exposed entities by word, area and kind; updated incrementally, never rebuilt per turn."""

    def __init__(self, hass: HomeAssistant, assistant: str = conversation.DOMAIN) -> None:
        """Empty until `async_start`."""
        self.hass = hass
        self.assistant = assistant
        self.entities: dict[str, HomeEntity] = {}
        self.areas: dict[str, Place] = {}
        self.floors: dict[str, Place] = {}
        self._by_word: dict[str, set[str]] = {}
        # Each name filed under one of its words, the rarest when it was filed: a name is said
        # whole only if that word is said, so few names need a look.
        self._by_key: dict[str, set[tuple[str, int]]] = {}
        self._keys: dict[str, list[str]] = {}
        self._places_by_word: dict[str, list[Place]] = {}
        self._by_area: dict[str, set[str]] = {}
        self._by_domain: dict[str, set[str]] = {}
        self._listeners: list[Callable[[], None]] = []
        # Derived from the index as it is; emptied on every change.
        self._weights: dict[str, float] = {}
        self._totals: dict[str, tuple[float, ...]] = {}
        # Exposure changed and which entities is not said: looked at on the next query.
        self._exposure_stale = False
        # Bumped on every change, so that what is derived from the home can tell it is stale.
        self.version = 0

    @callback
    def async_start(self) -> list[Callable[[], None]]:
        """Index the home and follow its changes; returns the unsubscribers."""
        self._async_index_places()
        for state in self.hass.states.async_all():
            self._async_update(state.entity_id)
        hass = self.hass
        return [
            hass.bus.async_listen(er.EVENT_ENTITY_REGISTRY_UPDATED, self._async_entity_event),
            hass.bus.async_listen(dr.EVENT_DEVICE_REGISTRY_UPDATED, self._async_device_event),
            hass.bus.async_listen(ar.EVENT_AREA_REGISTRY_UPDATED, self._async_places_event),
            hass.bus.async_listen(fr.EVENT_FLOOR_REGISTRY_UPDATED, self._async_places_event),
            hass.bus.async_listen(EVENT_STATE_CHANGED, self._async_state_event, self._entity_came_or_went),
            async_listen_entity_updates(hass, self.assistant, self._async_exposure_changed),
        ]

    @callback
    def async_listen(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener` after every change to the home."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    # Queries -----------------------------------------------------------------------------------

    @callback
    def async_refresh(self) -> None:
        """Catch up with exposure changes; cheap when there were none."""
        if not self._exposure_stale:
            return
        self._exposure_stale = False
        for state in self.hass.states.async_all():
            entity_id = state.entity_id
            if async_should_expose(self.hass, self.assistant, entity_id) != (entity_id in self.entities):
                self._async_update(entity_id)
        for entity_id in [e for e in self.entities if self.hass.states.get(e) is None]:
            self._async_remove(entity_id)

    def with_words(self, said: Iterable[str]) -> set[str]:
        """Entities with at least one of these words in a name."""
        found: set[str] = set()
        for word in said:
            found |= self._by_word.get(word, set())
        return found

    def said_whole(self, said: frozenset[str]) -> set[str]:
        """Entities with a name or alias all of whose words are said."""
        entities = self.entities
        return {
            entity_id
            for word in said
            for entity_id, name in self._by_key.get(word, ())
            if entities[entity_id].name_words[name] <= said
        }

    def places_said(self, said: frozenset[str]) -> list[Place]:
        """Areas and floors with a name or alias all of whose words are said."""
        found: dict[int, Place] = {}  # an area and a floor may share an id
        for word in said:
            for place in self._places_by_word.get(word, ()):
                if any(name and name <= said for name in place.name_words):
                    found[id(place)] = place
        return list(found.values())

    def in_areas(self, area_ids: Iterable[str]) -> set[str]:
        """Entities in these areas (their own or their device's)."""
        found: set[str] = set()
        for area_id in area_ids:
            found |= self._by_area.get(area_id, set())
        return found

    def of_domain(self, domain: str) -> set[str]:
        """Entities of one domain."""
        return self._by_domain.get(domain, set())

    def weight(self, word: str) -> float:
        """How telling a word is: rare words say more than "light" in a home full of lights."""
        if (found := self._weights.get(word)) is None:
            found = self._weights[word] = math.log(
                1 + len(self.entities) / (1 + len(self._by_word.get(word, ())))
            )
        return found

    def name_weights(self, entity: HomeEntity) -> tuple[float, ...]:
        """The whole weight of each of the entity's names."""
        if (found := self._totals.get(entity.entity_id)) is None:
            found = self._totals[entity.entity_id] = tuple(
                sum(self.weight(word) for word in name) for name in entity.name_words
            )
        return found

    def area_of(self, entity: HomeEntity) -> Place | None:
        """The entity's area."""
        return self.areas.get(entity.area_id) if entity.area_id else None

    # Upkeep ------------------------------------------------------------------------------------

    @staticmethod
    @callback
    def _entity_came_or_went(event_data: EventStateChangedData) -> bool:
        old, new = event_data["old_state"], event_data["new_state"]
        return old is None or new is None or old.name != new.name

    @callback
    def _async_state_event(self, event: Event[EventStateChangedData]) -> None:
        self._async_update(event.data["entity_id"])
        self._async_changed()

    @callback
    def _async_entity_event(self, event: Event[er.EventEntityRegistryUpdatedData]) -> None:
        self._async_update(event.data["entity_id"])
        if event.data["action"] == "update" and (old_id := event.data.get("old_entity_id")):
            self._async_update(old_id)
        self._async_changed()

    @callback
    def _async_device_event(self, event: Event[dr.EventDeviceRegistryUpdatedData]) -> None:
        for entry in er.async_entries_for_device(
            er.async_get(self.hass), event.data["device_id"], include_disabled_entities=True
        ):
            self._async_update(entry.entity_id)
        self._async_changed()

    @callback
    def _async_places_event(self, _event: Event[Any]) -> None:
        self._async_index_places()
        self._async_changed()

    @callback
    def _async_exposure_changed(self) -> None:
        """Someone exposed or unexposed entities; which ones is not said, so look on the next query."""
        self._exposure_stale = True
        self._async_changed()

    @callback
    def _async_changed(self) -> None:
        self.version += 1
        self._weights.clear()
        self._totals.clear()
        for listener in list(self._listeners):
            listener()

    @callback
    def _async_index_places(self) -> None:
        self.floors = {
            floor.floor_id: _place(floor.floor_id, floor.name, floor.aliases)
            for floor in fr.async_get(self.hass).async_list_floors()
        }
        self.areas = {
            area.id: _place(area.id, area.name, area.aliases, area.floor_id)
            for area in ar.async_get(self.hass).async_list_areas()
        }
        self._places_by_word = {}
        for place in (*self.floors.values(), *self.areas.values()):
            for word in {word for name in place.name_words for word in name}:
                self._places_by_word.setdefault(word, []).append(place)

    @callback
    def _async_update(self, entity_id: str) -> None:
        """Index one entity as it is now: exposed or not, its names and its area."""
        self._async_remove(entity_id)
        state = self.hass.states.get(entity_id)
        if state is None or state.domain in SKIPPED_DOMAINS:
            return
        if not async_should_expose(self.hass, self.assistant, entity_id):
            return
        entity = self._entity(state)
        self.entities[entity_id] = entity
        keys = self._keys[entity_id] = []
        for number, name in enumerate(entity.name_words):
            for word in name:
                self._by_word.setdefault(word, set()).add(entity_id)
            if name:
                key = min(name, key=lambda word: (len(self._by_word[word]), word))
                self._by_key.setdefault(key, set()).add((entity_id, number))
                keys.append(key)
        if entity.area_id:
            self._by_area.setdefault(entity.area_id, set()).add(entity_id)
        self._by_domain.setdefault(entity.domain, set()).add(entity_id)

    def _entity(self, state: State) -> HomeEntity:
        registry_entry = er.async_get(self.hass).async_get(state.entity_id)
        names = tuple(
            name for name in intent.async_get_entity_aliases(self.hass, registry_entry, state=state) if name
        ) or (state.name,)
        area_id = None
        if registry_entry is not None:
            area_id = registry_entry.area_id
            if area_id is None and registry_entry.device_id is not None:
                device = dr.async_get(self.hass).async_get(registry_entry.device_id)
                area_id = dr.async_get_effective_area_id(self.hass, device) if device else None
        device_class = state.attributes.get(ATTR_DEVICE_CLASS)
        return HomeEntity(
            entity_id=state.entity_id,
            domain=state.domain,
            names=names,
            area_id=area_id,
            device_class=str(device_class) if device_class else None,
            name_words=tuple(frozenset(words(name)) for name in names),
        )

    @callback
    def _async_remove(self, entity_id: str) -> None:
        if (entity := self.entities.pop(entity_id, None)) is None:
            return
        names = [number for number, name in enumerate(entity.name_words) if name]
        for number, key in zip(names, self._keys.pop(entity_id, []), strict=True):
            if (filed := self._by_key.get(key)) is not None:
                filed.discard((entity_id, number))
                if not filed:
                    del self._by_key[key]
        for name in entity.name_words:
            for word in name:
                if (holders := self._by_word.get(word)) is not None:
                    holders.discard(entity_id)
                    if not holders:
                        del self._by_word[word]
        if entity.area_id and (members := self._by_area.get(entity.area_id)) is not None:
            members.discard(entity_id)
        self._by_domain.get(entity.domain, set()).discard(entity_id)


def _place(place_id: str, name: str, aliases: Iterable[str], floor_id: str | None = None) -> Place:
    names = [name, *sorted(aliases)]
    return Place(
        id=place_id,
        name=name,
        name_words=tuple(frozenset(words(alias)) for alias in names if alias.strip()),
        floor_id=floor_id,
    )
