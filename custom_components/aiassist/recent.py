"""Recent conversations, so that one started in the kitchen continues in the living room.

Per person (never for an unknown speaker: two people on two satellites must not see each
other's turns), the last turns of their latest conversation, persisted across restarts.
"""

from dataclasses import asdict, dataclass, field
import time
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from .const import DOMAIN
from .speaker import Speaker

MAX_TURNS = 6
SAVE_DELAY = 5.0

type Turn = tuple[str, str]


def _store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    return Store[dict[str, Any]](hass, 1, f"{DOMAIN}.{entry_id}.recent", atomic_writes=True)


async def async_remove_recent(hass: HomeAssistant, entry_id: str) -> None:
    """Delete a removed service's recent conversations."""
    await _store(hass, entry_id).async_remove()


@dataclass
class Recent:
    """A person's latest conversation."""

    conversation_id: str
    updated: float
    turns: list[list[str]] = field(default_factory=list)


class RecentConversations:
    """What each person said and heard lately, on any satellite."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Prepare the store; call async_load before use."""
        self._store = _store(hass, entry_id)
        self._by_person: dict[str, Recent] = {}
        self._carried: dict[str, tuple[list[Turn], float]] = {}

    async def async_load(self) -> None:
        """Read the recent conversations saved before a restart."""
        data = await self._store.async_load() or {}
        for person_id, recent in dict(data.get("people", {})).items():
            try:
                self._by_person[person_id] = Recent(**recent)
            except TypeError:
                continue

    async def async_unload(self) -> None:
        """Write now, so that a reload or restart reads the latest turns."""
        await self._store.async_save(self._data())

    def carried(self, speaker: Speaker, conversation_id: str, first_turn: bool, window: float) -> list[Turn]:
        """The turns a new conversation carries over from the speaker's previous one."""
        if conversation_id in self._carried:
            # The conversation's own history: whoever speaks next in it sees it anyway.
            return self._carried[conversation_id][0]
        if speaker.person is None:
            return []
        recent = self._by_person.get(speaker.person.id)
        turns: list[Turn] = []
        if (
            first_turn
            and recent is not None
            and recent.conversation_id != conversation_id
            and time.time() - recent.updated <= window
        ):
            turns = [(user, answer) for user, answer in recent.turns]
        self._carried[conversation_id] = (turns, time.time())
        return turns

    def record(self, speaker: Speaker, conversation_id: str, said: str, answer: str) -> None:
        """Remember a finished turn of a known speaker."""
        if speaker.person is None:
            return
        now = time.time()
        recent = self._by_person.get(speaker.person.id)
        if recent is None or recent.conversation_id != conversation_id:
            carried = self._carried.get(conversation_id, ([], now))[0]
            recent = Recent(conversation_id, now, [[user, reply] for user, reply in carried])
            self._by_person[speaker.person.id] = recent
        recent.turns = [*recent.turns, [said, answer]][-MAX_TURNS:]
        recent.updated = now
        # Conversations whose carried turns could still matter are an hour old at most.
        self._carried = {key: value for key, value in self._carried.items() if now - value[1] < 3600}
        self._store.async_delay_save(self._data, SAVE_DELAY)

    def _data(self) -> dict[str, Any]:
        return {"people": {person_id: asdict(recent) for person_id, recent in self._by_person.items()}}
