"""Who is speaking: the user, the satellite's owner, a name said aloud, or the household.

Satellites carry no user, so the order is: the conversation's Home Assistant user (as a
person), the person a satellite belongs to (agent options), a person the speaker named in
this conversation ("it's Anna"), and otherwise the household, who sees household memories only.
"""

from collections.abc import Iterable
from dataclasses import dataclass
import re
import time
from typing import Literal

from homeassistant.components import conversation
from homeassistant.core import HomeAssistant, State

from .memory import HOUSEHOLD

type How = Literal["user", "satellite", "named", "household"]

# A name said in a conversation stands for this long after the last turn.
NAMED_TTL = 3600.0
_NAMING = re.compile(
    r"(?:\b(?:it'?s|it is|this is|i am|i'm|im|my name is|call me)\s+|我是|我叫)([^\W\d_]+)", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Person:
    """A person entity as the memory knows it."""

    id: str
    name: str
    entity_id: str
    user_id: str | None


@dataclass(frozen=True, slots=True)
class Speaker:
    """The resolved speaker of a turn."""

    person: Person | None
    how: How

    @property
    def owner(self) -> str:
        """Whose memories this speaker saves."""
        return self.person.id if self.person else HOUSEHOLD

    @property
    def readable(self) -> tuple[str, ...]:
        """Whose memories this speaker may see: their own and the household's."""
        return (self.person.id, HOUSEHOLD) if self.person else (HOUSEHOLD,)

    def as_trace(self) -> dict[str, str | None]:
        """Who spoke, as the conversation trace and the answer's speech data show it."""
        return {
            "person": self.person.entity_id if self.person else None,
            "name": self.person.name if self.person else None,
            "resolved_by": self.how,
        }


def person_of(state: State) -> Person:
    """The person a person entity's state stands for."""
    return Person(
        id=str(state.attributes.get("id") or state.entity_id),
        name=state.name,
        entity_id=state.entity_id,
        user_id=state.attributes.get("user_id"),
    )


def people(hass: HomeAssistant) -> list[Person]:
    """The household's people, from their person entities."""
    return [person_of(state) for state in hass.states.async_all("person")]


class SpeakerResolver:
    """Resolves speakers and remembers names said in conversations."""

    def __init__(self) -> None:
        """Start with no names heard."""
        self._named: dict[str, tuple[str, float]] = {}

    def resolve(
        self,
        hass: HomeAssistant,
        user_input: conversation.ConversationInput,
        conversation_id: str,
        satellites: dict[str, list[str]],
    ) -> Speaker:
        """Resolve the speaker of this turn; `satellites` maps person ids to device ids."""
        everyone = {person.id: person for person in people(hass)}
        if user_id := user_input.context.user_id:
            for person in everyone.values():
                if person.user_id == user_id:
                    return Speaker(person, "user")
        if user_input.device_id:
            for person_id, devices in satellites.items():
                if user_input.device_id in devices and person_id in everyone:
                    return Speaker(everyone[person_id], "satellite")
        now = time.monotonic()
        if named := _named_in(user_input.text, everyone.values()):
            self._named[conversation_id] = (named.id, now)
            return Speaker(named, "named")
        person_id, seen = self._named.get(conversation_id, ("", 0.0))
        if person_id in everyone and now - seen < NAMED_TTL:
            self._named[conversation_id] = (person_id, now)
            return Speaker(everyone[person_id], "named")
        self._named = {key: value for key, value in self._named.items() if now - value[1] < NAMED_TTL}
        return Speaker(None, "household")


def _named_in(text: str, persons: Iterable[Person]) -> Person | None:
    """The person the speaker names ("it's Anna", "我是小明"), matched by full or first name."""
    for match in _NAMING.finditer(text):
        said = match.group(1).casefold()
        for person in persons:
            names = person.name.casefold().split()
            if said == person.name.casefold() or (names and said == names[0]):
                return person
    return None
