"""Reminders and alarms, proven through conversations: set, listed, cancelled, snoozed, said where set."""

from datetime import datetime, timedelta
import json
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_get_persistent_notifications,
)

from custom_components.aiassist.reminders import delivery
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util

from .conftest import BEDROOM_SATELLITE, KITCHEN_SATELLITE, People, Satellites, converse, speech
from .model_server import ModelServer, Reply, ToolCall

SET, LIST, CANCEL, SNOOZE = (
    f"aiassist__{name}" for name in ("set_reminder", "list_reminders", "cancel_reminder", "snooze_reminder")
)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# A Tuesday, 16:00 at home.
NOW = datetime(2026, 12, 1, 16, tzinfo=AMSTERDAM)
KITCHEN, BEDROOM = KITCHEN_SATELLITE, BEDROOM_SATELLITE


@pytest.fixture(autouse=True)
async def home_clock(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Freeze time on a Tuesday afternoon in Amsterdam."""
    freezer.move_to(NOW)
    await hass.config.async_set_time_zone("Europe/Amsterdam")


@pytest.fixture
async def satellites(
    hass: HomeAssistant, people: People, announcing: Satellites, setup_integration: MockConfigEntry
) -> Satellites:
    """The kitchen satellite is Anna's, the bedroom one Ben's."""
    home = announcing.home
    (subentry,) = setup_integration.subentries.values()
    hass.config_entries.async_update_subentry(
        setup_integration,
        subentry,
        data={
            **subentry.data,
            "satellites": {"anna": [home.kitchen_satellite], "ben": [home.bedroom_satellite]},
        },
    )
    await hass.async_block_till_done()
    return announcing


@pytest.fixture
def events(hass: HomeAssistant) -> list[Event]:
    """The aiassist_reminder events fired, for automations."""
    fired: list[Event] = []
    hass.bus.async_listen("aiassist_reminder", fired.append)
    return fired


@pytest.fixture
def agent(hass: HomeAssistant, satellites: Satellites) -> str:
    entity_id = er.async_get(hass).async_get_entity_id("conversation", "aiassist", _subentry_id(hass))
    assert entity_id is not None
    return entity_id


def _subentry_id(hass: HomeAssistant) -> str:
    (entry,) = hass.config_entries.async_entries("aiassist")
    (subentry,) = entry.subentries.values()
    return subentry.subentry_id


def tool_results(request: dict[str, Any]) -> list[dict[str, Any]]:
    return [json.loads(m["content"]) for m in request["messages"] if m["role"] == "tool"]


async def ask(
    hass: HomeAssistant, model_server: ModelServer, agent: str, device: str, *calls: ToolCall
) -> list[dict[str, Any]]:
    """One turn on a satellite in which the model makes `calls`; what the tools answered."""
    model_server.chat.add(Reply(tool_calls=list(calls)), Reply(content="Done."))
    result = await converse(hass, agent, "remind me", device_id=device)
    assert speech(result) == "Done."
    return tool_results(model_server.chat_requests[-1])


async def travel(hass: HomeAssistant, freezer: FrozenDateTimeFactory, moment: datetime) -> None:
    freezer.move_to(moment)
    async_fire_time_changed(hass, dt_util.as_utc(moment))
    await hass.async_block_till_done()


async def test_remind_me_at_8_pm_is_said_on_the_satellite_where_it_was_set(
    hass: HomeAssistant,
    model_server: ModelServer,
    satellites: Satellites,
    agent: str,
    freezer: FrozenDateTimeFactory,
    events: list[Event],
) -> None:
    (result,) = await ask(
        hass,
        model_server,
        agent,
        satellites.home.kitchen_satellite,
        ToolCall(SET, {"text": "take the bins out", "at": "20:00"}),
    )
    assert result["set"]["text"] == "take the bins out"
    assert result["set"]["when"] == "Tue 2026-12-01 20:00"

    await travel(hass, freezer, NOW.replace(hour=19, minute=59))
    assert satellites.said == []
    await travel(hass, freezer, NOW.replace(hour=20))
    assert satellites.said == [(KITCHEN, "Reminder: take the bins out")]
    (event,) = events
    assert event.data["text"] == "take the bins out"
    assert event.data["owner"] == "anna"
    assert event.data["heard_on"] == KITCHEN
    assert event.data["earlier"] is False

    await travel(hass, freezer, NOW.replace(hour=21))
    assert len(satellites.said) == 1


async def test_in_20_minutes_and_snooze_10_minutes(
    hass: HomeAssistant,
    model_server: ModelServer,
    satellites: Satellites,
    agent: str,
    freezer: FrozenDateTimeFactory,
) -> None:
    bedroom = satellites.home.bedroom_satellite
    (result,) = await ask(
        hass, model_server, agent, bedroom, ToolCall(SET, {"text": "tea", "in_minutes": 20})
    )
    assert result["set"]["when"] == "Tue 2026-12-01 16:20"
    await travel(hass, freezer, NOW + timedelta(minutes=20))
    assert satellites.said == [(BEDROOM, "Reminder: tea")]

    (snoozed,) = await ask(hass, model_server, agent, bedroom, ToolCall(SNOOZE, {}))
    assert snoozed["snoozed"]["when"] == "Tue 2026-12-01 16:30"
    await travel(hass, freezer, NOW + timedelta(minutes=30))
    assert satellites.said == [(BEDROOM, "Reminder: tea")] * 2


async def test_wake_me_up_at_6_30_on_weekdays_repeats_and_is_listed(
    hass: HomeAssistant,
    model_server: ModelServer,
    satellites: Satellites,
    agent: str,
    freezer: FrozenDateTimeFactory,
) -> None:
    kitchen = satellites.home.kitchen_satellite
    weekdays = ["mon", "tue", "wed", "thu", "fri"]
    (alarm,) = await ask(
        hass,
        model_server,
        agent,
        kitchen,
        ToolCall(SET, {"text": "wake up", "at": "06:30", "days": weekdays}),
    )
    assert alarm["set"] == {
        "id": alarm["set"]["id"],
        "text": "wake up",
        "when": "Wed 2026-12-02 06:30",
        "repeats": "mon,tue,wed,thu,fri 06:30",
    }
    for day in (2, 3, 4, 7):  # Wednesday to Friday, then Monday
        await travel(hass, freezer, datetime(2026, 12, day, 6, 30, tzinfo=AMSTERDAM))
    assert satellites.said == [(KITCHEN, "Reminder: wake up")] * 4

    # "Snooze 10 minutes": once more at 06:40; the alarm itself still comes on Tuesday.
    (snoozed,) = await ask(hass, model_server, agent, kitchen, ToolCall(SNOOZE, {"minutes": 10}))
    assert snoozed["snoozed"]["when"] == "Mon 2026-12-07 06:40"
    assert "repeats" not in snoozed["snoozed"]
    await travel(hass, freezer, datetime(2026, 12, 7, 6, 40, tzinfo=AMSTERDAM))
    assert satellites.said == [(KITCHEN, "Reminder: wake up")] * 5

    (listed,) = await ask(hass, model_server, agent, kitchen, ToolCall(LIST, {}))
    assert listed == {"count": 1, "reminders": [{**alarm["set"], "when": "Tue 2026-12-08 06:30"}]}


async def test_every_monday_at_7_cancelled_by_its_words(
    hass: HomeAssistant,
    model_server: ModelServer,
    satellites: Satellites,
    agent: str,
    freezer: FrozenDateTimeFactory,
) -> None:
    kitchen = satellites.home.kitchen_satellite
    await ask(
        hass,
        model_server,
        agent,
        kitchen,
        ToolCall(SET, {"text": "put the bins out", "at": "7:00", "days": ["mon"]}),
    )
    await ask(hass, model_server, agent, kitchen, ToolCall(SET, {"text": "bring the bins in", "at": "19:00"}))

    (which,) = await ask(hass, model_server, agent, kitchen, ToolCall(CANCEL, {"reminder": "bins"}))
    assert which["error"] == "Which one?"
    assert [match["text"] for match in which["matches"]] == ["bring the bins in", "put the bins out"]
    (cancelled,) = await ask(
        hass, model_server, agent, kitchen, ToolCall(CANCEL, {"reminder": "put the bins"})
    )
    assert cancelled["cancelled"]["text"] == "put the bins out"

    await travel(hass, freezer, datetime(2026, 12, 7, 7, tzinfo=AMSTERDAM))
    assert satellites.said == [(KITCHEN, "Reminder: bring the bins in")]


async def test_another_person_can_neither_list_nor_cancel_nor_snooze_it(
    hass: HomeAssistant, model_server: ModelServer, satellites: Satellites, agent: str
) -> None:
    kitchen, bedroom = satellites.home.kitchen_satellite, satellites.home.bedroom_satellite
    (anna,) = await ask(
        hass, model_server, agent, kitchen, ToolCall(SET, {"text": "call the doctor", "at": "18:00"})
    )
    await ask(
        hass,
        model_server,
        agent,
        kitchen,
        ToolCall(SET, {"text": "water the plants", "at": "18:00", "about": "household"}),
    )
    reminder_id = anna["set"]["id"]

    listed, by_id, by_words, snoozed = await ask(
        hass,
        model_server,
        agent,
        bedroom,
        ToolCall(LIST, {}),
        ToolCall(CANCEL, {"reminder": reminder_id}),
        ToolCall(CANCEL, {"reminder": "doctor"}),
        ToolCall(SNOOZE, {"reminder": reminder_id}),
    )
    assert [item["text"] for item in listed["reminders"]] == ["water the plants"]
    assert listed["reminders"][0]["for"] == "household"
    assert by_id == by_words == snoozed == {"error": "No such reminder."}
    (entry,) = hass.config_entries.async_entries("aiassist")
    assert reminder_id in entry.runtime_data.reminders.reminders


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"text": "tea"}, "Give exactly one of `at` (HH:MM or YYYY-MM-DDTHH:MM) or `in_minutes`."),
        ({"text": "tea", "at": "20:00", "in_minutes": 5}, "Give exactly one of"),
        ({"text": "tea", "at": "8 pm"}, "`at` must be HH:MM or YYYY-MM-DDTHH:MM."),
        ({"text": "tea", "at": "2026-12-01T15:00"}, "That time has passed; it is now Tue 2026-12-01 16:00."),
        ({"text": "tea", "at": "2028-12-01T15:00"}, "At most a year ahead."),
        ({"text": "tea", "in_minutes": 0}, "`in_minutes` must be more than 0 and at most a year."),
        ({"text": "tea", "in_minutes": 5, "days": ["mon"]}, "`days` needs `at` as HH:MM, not `in_minutes`."),
        ({"text": "tea", "at": "2026-12-07T07:00", "days": ["mon"]}, "With `days`, give `at` as HH:MM."),
        ({"text": "  ", "in_minutes": 5}, "Say what to remind of in `text`."),
    ],
)
async def test_wrong_times_get_an_error_the_model_can_correct(
    hass: HomeAssistant,
    model_server: ModelServer,
    satellites: Satellites,
    agent: str,
    arguments: dict[str, Any],
    error: str,
) -> None:
    (result,) = await ask(
        hass, model_server, agent, satellites.home.kitchen_satellite, ToolCall(SET, arguments)
    )
    assert result["error"].startswith(error)
    (entry,) = hass.config_entries.async_entries("aiassist")
    assert entry.runtime_data.reminders.reminders == {}


async def test_a_date_and_time_with_an_offset_or_a_snooze_without_anything_said(
    hass: HomeAssistant, model_server: ModelServer, satellites: Satellites, agent: str
) -> None:
    kitchen = satellites.home.kitchen_satellite
    (dentist, nothing_said, too_long) = await ask(
        hass,
        model_server,
        agent,
        kitchen,
        ToolCall(SET, {"text": "dentist", "at": "2026-12-03T09:15:00+00:00"}),
        ToolCall(SNOOZE, {}),
        ToolCall(SNOOZE, {"minutes": 2000}),
    )
    assert dentist["set"]["when"] == "Thu 2026-12-03 10:15"
    assert nothing_said == {"error": "No such reminder."}
    assert too_long == {"error": "`minutes` must be more than 0 and at most a day."}


async def test_a_busy_satellite_is_tried_once_more(
    hass: HomeAssistant,
    model_server: ModelServer,
    satellites: Satellites,
    agent: str,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(delivery, "BUSY_RETRY", 0)
    await ask(
        hass,
        model_server,
        agent,
        satellites.home.kitchen_satellite,
        ToolCall(SET, {"text": "tea", "in_minutes": 5}),
    )
    satellites.busy = 1
    await travel(hass, freezer, NOW + timedelta(minutes=5))
    assert satellites.said == [(KITCHEN, "Reminder: tea")]

    satellites.busy = 2
    await ask(
        hass,
        model_server,
        agent,
        satellites.home.kitchen_satellite,
        ToolCall(SET, {"text": "pizza", "in_minutes": 5}),
    )
    await travel(hass, freezer, NOW + timedelta(minutes=10))
    assert len(satellites.said) == 1
    notifications = async_get_persistent_notifications(hass).values()
    assert [notification["message"] for notification in notifications] == ["Reminder: pizza"]


async def test_a_disconnected_satellite_falls_back_to_a_notification(
    hass: HomeAssistant,
    model_server: ModelServer,
    satellites: Satellites,
    agent: str,
    freezer: FrozenDateTimeFactory,
    events: list[Event],
) -> None:
    await ask(
        hass,
        model_server,
        agent,
        satellites.home.kitchen_satellite,
        ToolCall(SET, {"text": "tea", "in_minutes": 5}),
    )
    satellites.broken = {KITCHEN}
    await travel(hass, freezer, NOW + timedelta(minutes=5))
    assert satellites.said == []
    (notification,) = async_get_persistent_notifications(hass).values()
    assert (notification["title"], notification["message"]) == ("Reminder", "Reminder: tea")
    assert events[0].data["heard_on"] == "persistent_notification"
