"""Reminders keep time: on HA's clock, across clock changes and restarts, said once and only once."""

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.aiassist.reminders import Reminder, ReminderStore, next_on_days
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import UnsupportedStorageVersionError
from homeassistant.util import dt as dt_util

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MON, SAT, SUN = 0, 5, 6


class Said:
    """A delivery that writes down what it was asked to say."""

    def __init__(self) -> None:
        self.said: list[tuple[str, datetime, bool]] = []

    async def __call__(self, reminder: Reminder, due: datetime, earlier: bool) -> None:
        self.said.append((reminder.text, due, earlier))


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMSTERDAM)  # type: ignore[misc]


async def travel(hass: HomeAssistant, freezer: FrozenDateTimeFactory, moment: datetime) -> None:
    freezer.move_to(moment)
    async_fire_time_changed(hass, dt_util.as_utc(moment))
    await hass.async_block_till_done()


@pytest.fixture(autouse=True)
async def amsterdam(hass: HomeAssistant) -> None:
    await hass.config.async_set_time_zone("Europe/Amsterdam")


async def loaded(hass: HomeAssistant, said: Said, max_age: timedelta = timedelta(hours=2)) -> ReminderStore:
    store = ReminderStore(hass, "entry", said)
    await store.async_load()
    await store.async_start(max_age)
    return store


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        # Last Sunday of March: 02:00 CET becomes 03:00 CEST; 07:00 stays 07:00 local.
        (local(2026, 3, 28, 8), local(2026, 3, 29, 7)),
        # Last Sunday of October: 03:00 CEST becomes 02:00 CET.
        (local(2026, 10, 24, 8), local(2026, 10, 25, 7)),
    ],
)
def test_the_next_day_keeps_its_local_time_across_a_clock_change(after: datetime, expected: datetime) -> None:
    dt_util.set_default_time_zone(AMSTERDAM)
    assert next_on_days([SUN], time(7), after) == expected
    assert dt_util.as_local(next_on_days([SUN], time(7), after)).hour == 7


async def test_a_weekend_alarm_rings_at_seven_before_and_after_summer_time(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to(local(2026, 3, 27, 12))
    said = Said()
    store = await loaded(hass, said)
    store.add(
        "wake up", "anna", next_on_days([SAT, SUN], time(7), dt_util.utcnow()), None, [SAT, SUN], time(7)
    )

    await travel(hass, freezer, local(2026, 3, 28, 7))
    await travel(hass, freezer, local(2026, 3, 29, 6, 59))
    assert len(said.said) == 1
    await travel(hass, freezer, local(2026, 3, 29, 7))
    assert [dt_util.as_local(due).strftime("%a %H:%M %Z") for _, due, _ in said.said] == [
        "Sat 07:00 CET",
        "Sun 07:00 CEST",
    ]
    (reminder,) = store.reminders.values()
    assert dt_util.as_local(reminder.due_at) == local(2026, 4, 4, 7)
    await store.async_unload()


async def test_a_reminder_due_while_home_assistant_was_down_is_said_once_at_start(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_storage: dict[str, Any]
) -> None:
    freezer.move_to(local(2026, 12, 1, 19))
    said = Said()
    store = await loaded(hass, said)
    bins = store.add("take the bins out", "anna", local(2026, 12, 1, 20))
    store.add("call the plumber", "household", local(2026, 12, 1, 14, 30) + timedelta(hours=6))
    gym = store.add("gym", "ben", local(2026, 12, 1, 19, 30))
    await store.async_unload()

    # Down from 19:00 to 23:00: bins (20:00) is 3 hours late, the plumber (20:30) 2.5, gym 3.5.
    freezer.move_to(local(2026, 12, 1, 23))
    store = await loaded(hass, said, timedelta(hours=3))
    assert said.said == [
        ("take the bins out", dt_util.as_utc(local(2026, 12, 1, 20)), True),
        ("call the plumber", dt_util.as_utc(local(2026, 12, 1, 20, 30)), True),
    ]
    assert store.reminders[bins.id].status == "done"
    assert store.reminders[gym.id].status == "missed"
    await store.async_unload()

    # Another restart says nothing again.
    store = await loaded(hass, said, timedelta(hours=3))
    await travel(hass, freezer, local(2026, 12, 2, 9))
    assert len(said.said) == 2
    stored = {
        item["text"]: item["status"] for item in hass_storage["aiassist.entry.reminders"]["data"]["reminders"]
    }
    assert stored == {"take the bins out": "done", "call the plumber": "done", "gym": "missed"}
    await store.async_unload()


async def test_a_repeating_reminder_missed_long_ago_waits_for_its_next_day(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to(local(2026, 11, 30, 6))
    said = Said()
    store = await loaded(hass, said)
    bins = store.add("bins", "household", local(2026, 11, 30, 7), None, [MON], time(7))
    await store.async_unload()

    freezer.move_to(local(2026, 12, 1, 12))
    store = await loaded(hass, said)
    assert said.said == []
    assert store.reminders[bins.id].status == "pending"
    assert dt_util.as_local(store.reminders[bins.id].due_at) == local(2026, 12, 7, 7)
    await store.async_unload()


async def test_it_is_recorded_as_said_before_it_is_said(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_storage: dict[str, Any]
) -> None:
    freezer.move_to(local(2026, 12, 1, 19))
    stored: list[str] = []

    async def deliver(reminder: Reminder, due: datetime, earlier: bool) -> None:
        (item,) = hass_storage["aiassist.entry.reminders"]["data"]["reminders"]
        stored.append(item["status"])

    store = await loaded(hass, deliver)  # type: ignore[arg-type]
    store.add("bins", "anna", local(2026, 12, 1, 20))
    await travel(hass, freezer, local(2026, 12, 1, 20))
    await travel(hass, freezer, local(2026, 12, 1, 21))
    assert stored == ["done"]
    await store.async_unload()


async def test_an_unreadable_reminder_is_left_out(
    hass: HomeAssistant, hass_storage: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    good = {"id": "a1", "text": "bins", "owner": "anna", "due": "2030-01-01T10:00:00+00:00"}
    broken = {"id": "b2", "text": "gym", "owner": "ben", "due": "someday"}
    repeating_without_time = {**good, "id": "c3", "days": [0]}
    hass_storage["aiassist.entry.reminders"] = {
        "version": 1,
        "key": "aiassist.entry.reminders",
        "data": {"reminders": [good, broken, repeating_without_time]},
    }
    store = await loaded(hass, Said())
    assert list(store.reminders) == ["a1"]
    assert "Unreadable reminder" in caplog.text
    await store.async_unload()


async def test_a_reminder_file_from_a_newer_release_is_not_loaded(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    hass_storage["aiassist.entry.reminders"] = {"version": 2, "key": "aiassist.entry.reminders", "data": {}}
    store = ReminderStore(hass, "entry", Said())
    with pytest.raises(UnsupportedStorageVersionError):
        await store.async_load()
