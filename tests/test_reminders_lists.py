"""People see and edit their reminders in to-do lists; every change goes to the schedule at once."""

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from homeassistant.components.homeassistant.exposed_entities import async_should_expose
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util

from .conftest import People
from .test_memory import items

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 12, 1, 16, tzinfo=AMSTERDAM)
ANNA = "todo.ai_assist_127_0_0_1_reminders_anna"
BEN = "todo.ai_assist_127_0_0_1_reminders_ben"
HOUSEHOLD = "todo.ai_assist_127_0_0_1_reminders_household"


@pytest.fixture(autouse=True)
async def home_clock(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to(NOW)
    await hass.config.async_set_time_zone("Europe/Amsterdam")


@pytest.fixture
async def loaded(people: People, setup_integration: MockConfigEntry) -> MockConfigEntry:
    """The entry, loaded after Anna and Ben exist."""
    return setup_integration


@pytest.fixture
def heard(hass: HomeAssistant) -> list[str]:
    """What reminders were said (as events, whatever they were said on)."""
    said: list[str] = []
    hass.bus.async_listen("aiassist_reminder", lambda event: said.append(event.data["text"]))
    return said


async def todo(hass: HomeAssistant, service: str, entity_id: str, **data: Any) -> None:
    await hass.services.async_call("todo", service, {"entity_id": entity_id, **data}, blocking=True)


async def travel(hass: HomeAssistant, freezer: FrozenDateTimeFactory, moment: datetime) -> None:
    freezer.move_to(moment)
    async_fire_time_changed(hass, dt_util.as_utc(moment))
    await hass.async_block_till_done()


async def test_each_person_and_the_household_has_a_list_kept_from_assist(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    for entity_id, name in ((ANNA, "Anna"), (BEN, "Ben"), (HOUSEHOLD, "household")):
        state = hass.states.get(entity_id)
        assert state is not None
        assert state.name == f"AI Assist (127.0.0.1) Reminders — {name}"
        assert not async_should_expose(hass, "conversation", entity_id)


async def test_a_reminder_added_in_the_list_is_said_when_due(
    hass: HomeAssistant, loaded: MockConfigEntry, heard: list[str], freezer: FrozenDateTimeFactory
) -> None:
    await todo(hass, "add_item", BEN, item="Call mum", due_datetime="2026-12-01 18:30:00")
    (item,) = await items(hass, BEN)
    assert (item["summary"], item["status"], item["due"]) == (
        "Call mum",
        "needs_action",
        "2026-12-01T18:30:00+01:00",
    )
    assert hass.states.get(BEN).state == "1"  # type: ignore[union-attr]

    await travel(hass, freezer, NOW.replace(hour=18, minute=30))
    assert heard == ["Call mum"]
    (item,) = await items(hass, BEN)
    assert item["status"] == "completed"
    assert hass.states.get(BEN).state == "0"  # type: ignore[union-attr]


async def test_renaming_and_moving_in_the_list_changes_what_is_said_and_when(
    hass: HomeAssistant, loaded: MockConfigEntry, heard: list[str], freezer: FrozenDateTimeFactory
) -> None:
    await todo(hass, "add_item", ANNA, item="Call mum", due_datetime="2026-12-01 18:30:00")
    await todo(
        hass, "update_item", ANNA, item="Call mum", rename="Call dad", due_datetime="2026-12-01 19:00:00"
    )
    await travel(hass, freezer, NOW.replace(hour=18, minute=45))
    assert heard == []
    await travel(hass, freezer, NOW.replace(hour=19))
    assert heard == ["Call dad"]

    # Reopened with a new time, it comes again.
    await todo(
        hass, "update_item", ANNA, item="Call dad", status="needs_action", due_datetime="2026-12-01 20:00:00"
    )
    await travel(hass, freezer, NOW.replace(hour=20))
    assert heard == ["Call dad", "Call dad"]


async def test_deleting_or_ticking_off_in_the_list_stops_it_at_once(
    hass: HomeAssistant, loaded: MockConfigEntry, heard: list[str], freezer: FrozenDateTimeFactory
) -> None:
    await todo(hass, "add_item", HOUSEHOLD, item="Bins", due_datetime="2026-12-01 18:00:00")
    await todo(hass, "add_item", HOUSEHOLD, item="Plants", due_datetime="2026-12-01 18:00:00")
    await todo(hass, "remove_item", HOUSEHOLD, item=["Bins"])
    await todo(hass, "update_item", HOUSEHOLD, item="Plants", status="completed")
    await travel(hass, freezer, NOW.replace(hour=18))
    assert heard == []
    assert [(item["summary"], item["status"]) for item in await items(hass, HOUSEHOLD)] == [
        ("Plants", "completed")
    ]


async def test_ticking_off_a_repeating_reminder_skips_its_next_day(
    hass: HomeAssistant, loaded: MockConfigEntry, heard: list[str], freezer: FrozenDateTimeFactory
) -> None:
    store = loaded.runtime_data.reminders
    due = datetime(2026, 12, 7, 7, tzinfo=AMSTERDAM)
    store.add("Gym", "anna", due, None, [0, 3], due.time())
    (item,) = await items(hass, ANNA)
    assert item["description"] == "Every Monday, Thursday at 07:00"
    await todo(hass, "update_item", ANNA, item="Gym", status="completed")
    (item,) = await items(hass, ANNA)
    assert (item["status"], item["due"]) == ("needs_action", "2026-12-10T07:00:00+01:00")

    # Moved to 08:00, it repeats at 08:00.
    await todo(hass, "update_item", ANNA, item="Gym", due_datetime="2026-12-10 08:00:00")
    await travel(hass, freezer, datetime(2026, 12, 10, 8, tzinfo=AMSTERDAM))
    (item,) = await items(hass, ANNA)
    assert item["due"] == "2026-12-14T08:00:00+01:00"
    assert heard == ["Gym"]


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"item": "Bins"}, "reminder_needs_time"),
        ({"item": "Bins", "due_datetime": "2026-12-01 15:00:00"}, "reminder_in_past"),
    ],
)
async def test_a_reminder_without_a_time_to_come_is_refused(
    hass: HomeAssistant, loaded: MockConfigEntry, data: dict[str, str], key: str
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await todo(hass, "add_item", BEN, **data)
    assert err.value.translation_key == key
    assert await items(hass, BEN) == []


async def test_an_empty_reminder_is_refused(hass: HomeAssistant, loaded: MockConfigEntry) -> None:
    # Home Assistant's schema or ours: either way, nothing is stored.
    with pytest.raises((ServiceValidationError, probatio.Invalid)):
        await todo(hass, "add_item", BEN, item="  ", due_datetime="2026-12-01 18:00:00")
    assert await items(hass, BEN) == []


async def test_a_said_reminder_is_not_reopened_in_the_past(
    hass: HomeAssistant, loaded: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await todo(hass, "add_item", BEN, item="Bins", due_datetime="2026-12-01 17:00:00")
    await travel(hass, freezer, NOW.replace(hour=17))
    with pytest.raises(ServiceValidationError) as err:
        await todo(hass, "update_item", BEN, item="Bins", status="needs_action")
    assert err.value.translation_key == "reminder_in_past"


async def test_one_list_cannot_touch_another_persons_reminder(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    await todo(hass, "add_item", ANNA, item="Doctor", due_datetime="2026-12-02 09:00:00")
    (anna,) = await items(hass, ANNA)
    with pytest.raises(ServiceValidationError):
        await todo(hass, "update_item", BEN, item=anna["uid"], rename="gone")
    with pytest.raises(ServiceValidationError):
        await todo(hass, "remove_item", BEN, item=[anna["uid"]])
    assert [item["summary"] for item in await items(hass, ANNA)] == ["Doctor"]


async def test_a_person_added_later_gets_a_list_and_a_removed_ones_stays(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    hass.states.async_set("person.carl", "home", {"id": "carl", "friendly_name": "Carl"})
    await hass.async_block_till_done()
    assert hass.states.get("todo.ai_assist_127_0_0_1_reminders_carl") is not None
    loaded.runtime_data.reminders.add("Old", "dora", NOW + timedelta(days=1))
    assert await hass.config_entries.async_reload(loaded.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get("todo.ai_assist_127_0_0_1_reminders_dora") is not None


async def test_the_lists_speak_chinese_when_home_assistant_does(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    due = datetime(2026, 12, 7, 7, tzinfo=AMSTERDAM)
    loaded.runtime_data.reminders.add("健身", "anna", due, None, [0, 5], due.time())
    await hass.config.async_update(language="zh-Hans")
    await hass.async_block_till_done()
    (item,) = await items(hass, ANNA)
    assert item["description"] == "每周一、周六 07:00"
