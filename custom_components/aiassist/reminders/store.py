"""The reminders: persisted with HA's Store, each pending one on HA's clock, never spoken twice."""

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, time, timedelta
from functools import partial
import secrets
from typing import Any, override

from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.exceptions import UnsupportedStorageVersionError
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..const import DOMAIN, LOGGER
from .model import Reminder, next_on_days

STORAGE_VERSION = 1
SAVE_DELAY = 1.0

# Called with a reminder that is due, the moment it was due, and whether HA was down then.
type Deliver = Callable[[Reminder, datetime, bool], Awaitable[None]]
type Listener = Callable[[set[str]], None]


class _ReminderStorage(Store[dict[str, Any]]):
    @override
    async def _async_migrate_func(
        self, old_major_version: int, old_minor_version: int, old_data: dict[str, Any]
    ) -> dict[str, Any]:
        # A newer release wrote it: refuse to load (and so to overwrite) what we cannot read.
        raise UnsupportedStorageVersionError(self.key, old_major_version, STORAGE_VERSION)


def _key(entry_id: str) -> str:
    return f"{DOMAIN}.{entry_id}.reminders"


async def async_remove_reminders(hass: HomeAssistant, entry_id: str) -> None:
    """Delete a removed service's reminders."""
    await Store[dict[str, Any]](hass, STORAGE_VERSION, _key(entry_id)).async_remove()


class ReminderStore:
    """All reminders of one AI Assist service, each pending one with a timer."""

    def __init__(self, hass: HomeAssistant, entry_id: str, deliver: Deliver) -> None:
        """Prepare the store; call async_load, then async_start."""
        self.hass = hass
        self.reminders: dict[str, Reminder] = {}
        self._deliver = deliver
        self._store = _ReminderStorage(hass, STORAGE_VERSION, _key(entry_id), atomic_writes=True)
        self._timers: dict[str, CALLBACK_TYPE] = {}
        self._listeners: list[Listener] = []

    async def async_load(self) -> None:
        """Read the reminders; an unreadable one is logged and left out."""
        data = await self._store.async_load() or {}
        for item in data.get("reminders", []):
            try:
                reminder = Reminder.from_dict(item)
            except (KeyError, TypeError, ValueError) as err:
                LOGGER.error("Unreadable reminder %r: %s", item, err)
                continue
            self.reminders[reminder.id] = reminder

    async def async_start(self, max_age: timedelta) -> None:
        """Schedule what is pending; what fell due while HA was down is said now if recent, else missed."""
        now = dt_util.utcnow()
        for reminder in list(self.reminders.values()):
            if reminder.status != "pending":
                continue
            if reminder.due_at > now:
                self._schedule(reminder)
            elif now - reminder.due_at <= max_age:
                await self._async_due(reminder, earlier=True)
            elif reminder.repeats:
                LOGGER.info("Reminder %s missed while Home Assistant was down", reminder.id)
                self._advance(reminder, now)
            else:
                reminder.status = "missed"
                self._changed({reminder.owner})

    async def async_unload(self) -> None:
        """Stop the timers and write what is pending now."""
        for unsub in self._timers.values():
            unsub()
        self._timers.clear()
        await self._store.async_save(self._data())

    @callback
    def async_add_listener(self, listener: Listener) -> CALLBACK_TYPE:
        """Call `listener` with the owners whose reminders changed."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def owned_by(self, owner: str) -> list[Reminder]:
        """The owner's reminders, soonest first."""
        return sorted((r for r in self.reminders.values() if r.owner == owner), key=lambda r: r.due)

    def owners(self) -> set[str]:
        """Everyone who has reminders."""
        return {reminder.owner for reminder in self.reminders.values()}

    @callback
    def add(
        self,
        text: str,
        owner: str,
        due: datetime,
        device_id: str | None = None,
        days: Iterable[int] = (),
        at: time | None = None,
    ) -> Reminder:
        """Add a pending reminder and put it on the clock."""
        reminder = Reminder(
            self._new_id(),
            " ".join(text.split()),
            owner,
            dt_util.as_utc(due).isoformat(),
            device_id,
            sorted(set(days)),
            at.strftime("%H:%M") if at else None,
        )
        self.reminders[reminder.id] = reminder
        self._schedule(reminder)
        self._changed({owner})
        return reminder

    @callback
    def update(
        self,
        reminder: Reminder,
        text: str | None = None,
        due: datetime | None = None,
        done: bool | None = None,
    ) -> None:
        """Rename, move or tick off a reminder (a repeating one skips to its next day); the timer follows."""
        if text is not None:
            reminder.text = " ".join(text.split())
        if due is not None:
            reminder.due = dt_util.as_utc(due).isoformat()
            if reminder.repeats:
                reminder.at = dt_util.as_local(due).strftime("%H:%M")
            reminder.status = "pending"
        if done and reminder.repeats:
            self._advance(reminder, max(dt_util.utcnow(), reminder.due_at))
            return
        if done is not None:
            reminder.status = "done" if done else "pending"
        self._schedule(reminder)
        self._changed({reminder.owner})

    @callback
    def snooze(self, reminder: Reminder, minutes: float) -> Reminder:
        """Say it again in a while; a repeating one gets a one-off copy, its own days unchanged."""
        due = dt_util.utcnow() + timedelta(minutes=minutes)
        if reminder.repeats:
            return self.add(reminder.text, reminder.owner, due, reminder.device_id)
        self.update(reminder, due=due)
        return reminder

    @callback
    def remove(self, reminder_ids: Iterable[str]) -> list[Reminder]:
        """Delete reminders and their timers."""
        removed = [reminder for rid in reminder_ids if (reminder := self.reminders.pop(rid, None))]
        for reminder in removed:
            if unsub := self._timers.pop(reminder.id, None):
                unsub()
        if removed:
            self._changed({reminder.owner for reminder in removed})
        return removed

    def _schedule(self, reminder: Reminder) -> None:
        if unsub := self._timers.pop(reminder.id, None):
            unsub()
        if reminder.status == "pending":
            job = HassJob(partial(self._async_fire, reminder.id), f"aiassist reminder {reminder.id}")
            self._timers[reminder.id] = async_track_point_in_utc_time(self.hass, job, reminder.due_at)

    async def _async_fire(self, reminder_id: str, _now: datetime) -> None:
        self._timers.pop(reminder_id, None)
        reminder = self.reminders.get(reminder_id)
        if reminder is not None and reminder.status == "pending":
            await self._async_due(reminder, earlier=False)

    async def _async_due(self, reminder: Reminder, earlier: bool) -> None:
        """Record it as said before saying it: a crash in between loses it once, never repeats it."""
        due = reminder.due_at
        now = dt_util.utcnow()
        reminder.spoken = now.isoformat()
        if reminder.repeats:
            self._advance(reminder, max(now, due))
        else:
            reminder.status = "done"
            self._changed({reminder.owner})
        await self._store.async_save(self._data())
        await self._deliver(reminder, due, earlier)

    def _advance(self, reminder: Reminder, after: datetime) -> None:
        assert reminder.at is not None
        reminder.due = next_on_days(reminder.days, time.fromisoformat(reminder.at), after).isoformat()
        self._schedule(reminder)
        self._changed({reminder.owner})

    def _new_id(self) -> str:
        while (reminder_id := secrets.token_hex(3)) in self.reminders:
            pass
        return reminder_id

    @callback
    def _changed(self, owners: set[str]) -> None:
        self._store.async_delay_save(self._data, SAVE_DELAY)
        for listener in list(self._listeners):
            listener(owners)

    def _data(self) -> dict[str, Any]:
        return {"reminders": [reminder.as_dict() for reminder in self.reminders.values()]}
