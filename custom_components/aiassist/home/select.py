"""Which devices one request shows the model, with their state, within a token budget.

In order: the devices the sentence names (a name or alias, in any language), the devices of
the areas and floors it names (only the kinds it speaks of, when it speaks of kinds), the kinds
it speaks of in the speaker's area, the devices the recent turns named, the rest of the
speaker's area, and, when it names no device whole, devices whose names it half says; devices
close in meaning when the service embeds (an embedding model is set); and when
it names no device or place and the speaker's area has none of them, the kinds it speaks of
wherever they are.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT
from homeassistant.core import HomeAssistant, State

from .index import HomeEntity, HomeIndex
from .vectors import HomeVectors, Vector
from .words import KIND_TOKENS, kinds_in, says_everywhere, words

# Share of a name's weight the sentence must say for a device to count as half named.
_PARTIAL = 0.5
_STATE_ATTRIBUTES: dict[str, Callable[[Any], str]] = {
    "brightness": lambda value: f"{round(int(value) / 255 * 100)}%",
    "current_position": lambda value: f"position {value}%",
    "current_temperature": lambda value: f"now {value}",
    "temperature": lambda value: f"set {value}",
    "hvac_action": str,
    "percentage": lambda value: f"{value}%",
    "volume_level": lambda value: f"volume {round(float(value) * 100)}%",
    "media_title": lambda value: f"playing {value}",
}
HEADER = "Devices (names | type | area | state):"


@dataclass(frozen=True, slots=True)
class Request:
    """What one request says: its sentence, the recent turns, and where the speaker is."""

    text: str
    history: tuple[str, ...] = ()
    area_id: str | None = None
    # What was said, embedded, when the devices have vectors.
    vector: Vector | None = None


@dataclass(frozen=True, slots=True)
class Selection:
    """The devices chosen, and the lines that show them to the model."""

    entity_ids: tuple[str, ...]
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        """The block for the request's context, empty when nothing was chosen."""
        return "\n".join((HEADER, *self.lines)) if self.lines else ""


class Matcher:
    """What one sentence says about the home: names, places and kinds of device."""

    def __init__(self, index: HomeIndex, text: str) -> None:
        """Read the sentence once; weigh names only when asked to."""
        self.index = index
        self.text = text
        self.said = frozenset(words(text))
        self.kinds = kinds_in(text, set(self.said))
        self.everywhere = says_everywhere(text, set(self.said))
        places = index.places_said(self.said)
        areas = [place for place in places if place.id in index.areas and index.areas[place.id] is place]
        floors = [place for place in places if place.id in index.floors and index.floors[place.id] is place]
        self.area_ids = {area.id for area in areas}
        self.area_ids |= {
            area.id for floor in floors for area in index.areas.values() if area.floor_id == floor.id
        }
        # The words that named a place do not also half name a device ("the dining area lights").
        self._place_words = frozenset(
            word
            for place in (*areas, *floors)
            for name in place.name_words
            if name <= self.said
            for word in name
        )

    def named(self) -> list[str]:
        """Devices whose whole name or alias the sentence says, the longest names first."""
        entities = self.index.entities
        full = self.index.said_whole(self.said)
        return sorted(full, key=lambda entity_id: (-_longest_name(entities[entity_id]), entity_id))

    def half_named(self, near: str | None) -> list[str]:
        """Devices whose names the sentence half says, best first, the speaker's area first."""
        entities = self.index.entities
        scores = {
            entity_id: score
            for entity_id in self.index.with_words(self.said)
            if _PARTIAL <= (score := self._name_score(entities[entity_id])) < 1.0
        }
        return sorted(scores, key=lambda e: (-scores[e], entities[e].area_id != near, e))

    def of_kinds(
        self, candidates: Iterable[str], kinds: set[tuple[str, str | None]] | None = None
    ) -> list[str]:
        """The candidates of the kinds spoken of (or all), those whose names share a word first."""
        entities = self.index.entities
        kinds = self.kinds if kinds is None else kinds
        chosen = [e for e in candidates if not kinds or _is_kind(entities[e], kinds)]
        said = self.said
        return sorted(chosen, key=lambda e: (not any(name & said for name in entities[e].name_words), e))

    def kinds_anywhere(self) -> list[str]:
        """Every device of the kinds spoken of."""
        found: set[str] = set()
        for domain, _device_class in self.kinds:
            found |= self.index.of_domain(domain)
        return self.of_kinds(found)

    def _name_score(self, entity: HomeEntity) -> float:
        """The largest share of a name's weight that the sentence says."""
        best = 0.0
        weight = self.index.weight
        for name, total in zip(entity.name_words, self.index.name_weights(entity), strict=True):
            said = (name & self.said) - self._place_words
            # "the blinds" speaks of a kind, not of the one named "Hallway blinds".
            if total and said - KIND_TOKENS:
                best = max(best, sum(weight(word) for word in said) / total)
        return best


def select(
    hass: HomeAssistant,
    index: HomeIndex,
    request: Request,
    budget_tokens: int,
    vectors: HomeVectors | None = None,
) -> Selection:
    """Choose the devices for one request, within `budget_tokens`."""
    index.async_refresh()
    chosen: list[str] = []
    lines: list[str] = []
    left = budget_tokens
    for entity_id in _candidates(index, request, vectors):
        if entity_id in chosen:
            continue
        line = describe(hass, index, index.entities[entity_id])
        if (cost := estimate_tokens(line)) > left:
            break
        left -= cost
        chosen.append(entity_id)
        lines.append(line)
    return Selection(tuple(chosen), tuple(lines))


def _candidates(index: HomeIndex, request: Request, vectors: HomeVectors | None) -> Iterator[str]:
    now = Matcher(index, request.text)
    yield from (named := now.named())
    before = [Matcher(index, text) for text in request.history[-4:]]
    if now.area_ids:
        # "And in the bedroom?" speaks of the kind the conversation was about.
        kinds = now.kinds or next((matcher.kinds for matcher in reversed(before) if matcher.kinds), set())
        yield from now.of_kinds(index.in_areas(now.area_ids), kinds)
    here = {request.area_id} if request.area_id else set()
    local: list[str] = []
    if now.kinds and here and not now.everywhere:
        yield from (local := now.of_kinds(index.in_areas(here)))
    for matcher in reversed(before):
        yield from matcher.named()
    if now.kinds and now.everywhere:
        yield from now.kinds_anywhere()
    yield from sorted(index.in_areas(here))
    if not named:
        # Only when no device is named whole: "the ceiling light" in a home of ceiling lights.
        yield from now.half_named(request.area_id)
    if vectors is not None:
        # "It's stuffy in here": no word of a name, but the meaning of one.
        yield from vectors.nearest(request.vector)
    for matcher in reversed(before):
        if matcher.area_ids:
            yield from matcher.of_kinds(index.in_areas(matcher.area_ids))
    if now.kinds and not (named or now.area_ids or local):
        # "What's the temperature?" nowhere in particular, or where there is none: wherever it is.
        yield from now.kinds_anywhere()


def describe(hass: HomeAssistant, index: HomeIndex, entity: HomeEntity) -> str:
    """One device as the model reads it: names | type | area | state."""
    area = index.area_of(entity)
    state = _state(hass.states.get(entity.entity_id))
    parts = [", ".join(entity.names), entity.kind, area.name if area else "", state]
    return "- " + " | ".join(parts)


def _state(state: State | None) -> str:
    if state is None:
        return "unavailable"
    value = state.state
    if unit := state.attributes.get(ATTR_UNIT_OF_MEASUREMENT):
        value = f"{value} {unit}"
    details = []
    for name, show in _STATE_ATTRIBUTES.items():
        if (attribute := state.attributes.get(name)) is None:
            continue
        try:
            details.append(show(attribute))
        except TypeError, ValueError:  # an integration's odd value: leave it out, keep the rest
            continue
    return ", ".join([value, *details])


def estimate_tokens(text: str) -> int:
    """Tokens a line costs, roughly: four Latin characters, or one CJK character, per token."""
    wide = sum(1 for char in text if ord(char) > 0x2E7F)
    return (len(text) - wide) // 4 + wide + 1


def _is_kind(entity: HomeEntity, kinds: set[tuple[str, str | None]]) -> bool:
    """Of one of the kinds; a device without a class counts as any class of its domain (most TVs)."""
    return any(
        entity.domain == domain
        and (device_class is None or entity.device_class is None or entity.device_class == device_class)
        for domain, device_class in kinds
    )


def _longest_name(entity: HomeEntity) -> int:
    return max((len(name) for name in entity.name_words), default=0)
