"""Where a due reminder is heard: its satellite, the fallback, a notification; after a restart, once."""

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
    async_mock_service,
)

from custom_components.aiassist.const import (
    CONF_REMINDER_FALLBACK,
    CONF_REMINDER_MISSED_AGE,
    CONF_TOOLS,
    TOOL_FAMILIES,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.util import dt as dt_util

from .conftest import AGENT_OPTIONS, BEDROOM_SATELLITE, KITCHEN_SATELLITE, People, Satellites, converse
from .model_server import ModelServer
from .test_memory import items

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 12, 1, 16, tzinfo=AMSTERDAM)
ANNA = "todo.ai_assist_127_0_0_1_reminders_anna"


@pytest.fixture(autouse=True)
async def home_clock(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to(NOW)
    await hass.config.async_set_time_zone("Europe/Amsterdam")


def stored(reminder_id: str, text: str, due: datetime, **extra: Any) -> dict[str, Any]:
    return {"id": reminder_id, "text": text, "owner": "anna", "due": dt_util.as_utc(due).isoformat(), **extra}


async def set_on_kitchen(
    hass: HomeAssistant, entry: MockConfigEntry, satellites: Satellites, text: str
) -> None:
    entry.runtime_data.reminders.add(
        text, "anna", NOW + timedelta(minutes=5), satellites.home.kitchen_satellite
    )


async def fall_back_to(hass: HomeAssistant, entry: MockConfigEntry, target: str) -> None:
    """Choose where reminders go when their satellite cannot say them (the entry reloads)."""
    hass.config_entries.async_update_entry(entry, options={CONF_REMINDER_FALLBACK: target})
    await hass.async_block_till_done()


async def due(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to(NOW + timedelta(minutes=5))
    async_fire_time_changed(hass, dt_util.utcnow())
    await hass.async_block_till_done()


async def test_reminders_missed_while_down_are_said_at_start_once_or_marked_missed(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    people: People,
    announcing: Satellites,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    kitchen = announcing.home.kitchen_satellite
    hass_storage[f"aiassist.{config_entry.entry_id}.reminders"] = {
        "version": 1,
        "key": f"aiassist.{config_entry.entry_id}.reminders",
        "data": {
            "reminders": [
                stored("a1", "take the pizza out", NOW - timedelta(minutes=30), device_id=kitchen),
                stored("b2", "call the bank", NOW - timedelta(hours=4), device_id=kitchen),
                stored("c3", "feed the cat", NOW + timedelta(hours=2), device_id=kitchen),
            ]
        },
    }
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert announcing.said == [(KITCHEN_SATELLITE, "Earlier reminder: take the pizza out")]
    listed = {item["summary"]: item for item in await items(hass, ANNA)}
    assert listed["call the bank"]["description"] == "Missed while Home Assistant was off"
    assert listed["call the bank"]["status"] == "needs_action"
    assert listed["take the pizza out"]["status"] == "completed"

    # Restarted again: nothing is said twice; the one to come comes on time.
    assert await hass.config_entries.async_reload(config_entry.entry_id)
    await hass.async_block_till_done()
    freezer.move_to(NOW + timedelta(hours=2))
    async_fire_time_changed(hass, dt_util.utcnow())
    await hass.async_block_till_done()
    assert announcing.said == [
        (KITCHEN_SATELLITE, "Earlier reminder: take the pizza out"),
        (KITCHEN_SATELLITE, "Reminder: feed the cat"),
    ]


async def test_a_broken_satellite_hands_over_to_the_fallback_satellite(
    hass: HomeAssistant,
    announcing: Satellites,
    setup_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await fall_back_to(hass, setup_integration, BEDROOM_SATELLITE)
    await set_on_kitchen(hass, setup_integration, announcing, "tea")
    announcing.broken = {KITCHEN_SATELLITE}
    await due(hass, freezer)
    assert announcing.said == [(BEDROOM_SATELLITE, "Reminder: tea")]


async def test_an_unavailable_satellite_hands_over_to_a_media_player(
    hass: HomeAssistant,
    announcing: Satellites,
    setup_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await fall_back_to(hass, setup_integration, "media_player.living")
    hass.states.async_set("media_player.living", "idle")
    hass.states.async_set("tts.piper", "unknown")
    spoken = async_mock_service(hass, "tts", "speak")
    await set_on_kitchen(hass, setup_integration, announcing, "tea")
    hass.states.async_set(KITCHEN_SATELLITE, "unavailable")
    await due(hass, freezer)
    assert announcing.said == []
    assert [call.data for call in spoken] == [
        {
            "entity_id": "tts.piper",
            "media_player_entity_id": "media_player.living",
            "message": "Reminder: tea",
        }
    ]


async def test_a_reminder_set_in_the_list_goes_to_a_notifier(
    hass: HomeAssistant,
    announcing: Satellites,
    setup_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await fall_back_to(hass, setup_integration, "notify.phone")
    hass.states.async_set("notify.phone", "unknown")
    sent = async_mock_service(hass, "notify", "send_message")
    setup_integration.runtime_data.reminders.add("tea", "anna", NOW + timedelta(minutes=5))
    await due(hass, freezer)
    assert [call.data for call in sent] == [
        {"entity_id": "notify.phone", "message": "Reminder: tea", "title": "Reminder"}
    ]


async def test_a_fallback_that_cannot_speak_leaves_a_notification(
    hass: HomeAssistant,
    announcing: Satellites,
    setup_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    # A media player, but no text-to-speech engine to read it out.
    await fall_back_to(hass, setup_integration, "media_player.living")
    hass.states.async_set("media_player.living", "idle")
    await set_on_kitchen(hass, setup_integration, announcing, "tea")
    announcing.broken = {KITCHEN_SATELLITE}
    await due(hass, freezer)
    (notification,) = async_get_persistent_notifications(hass).values()
    assert notification["message"] == "Reminder: tea"


async def test_a_removed_notifier_leaves_a_notification(
    hass: HomeAssistant,
    announcing: Satellites,
    setup_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await fall_back_to(hass, setup_integration, "notify.old_phone")
    sent = async_mock_service(hass, "notify", "send_message")
    setup_integration.runtime_data.reminders.add("tea", "anna", NOW + timedelta(minutes=5))
    await due(hass, freezer)
    assert sent == []
    (notification,) = async_get_persistent_notifications(hass).values()
    assert notification["message"] == "Reminder: tea"


async def test_reminders_are_said_in_chinese_when_home_assistant_speaks_it(
    hass: HomeAssistant,
    announcing: Satellites,
    setup_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await hass.config.async_update(language="zh-Hans")
    await set_on_kitchen(hass, setup_integration, announcing, "喝茶")
    await due(hass, freezer)
    assert announcing.said == [(KITCHEN_SATELLITE, "提醒：喝茶")]


async def test_the_options_choose_the_fallback_and_how_late_is_still_said(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    result = await hass.config_entries.options.async_init(setup_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_REMINDER_FALLBACK: "media_player.living", CONF_REMINDER_MISSED_AGE: 30}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert setup_integration.options == {
        CONF_REMINDER_FALLBACK: "media_player.living",
        CONF_REMINDER_MISSED_AGE: 30,
    }
    assert setup_integration.state is ConfigEntryState.LOADED


@pytest.mark.parametrize("agent_options", [AGENT_OPTIONS | {CONF_TOOLS: []}], ids=["reminders_off"])
async def test_an_agent_without_the_reminders_family_offers_no_reminder_tools(
    hass: HomeAssistant, model_server: ModelServer, agent_id: str
) -> None:
    await converse(hass, agent_id, "hello")
    names = {tool["function"]["name"] for tool in model_server.chat_requests[0]["tools"]}
    assert not any("reminder" in name for name in names)


async def test_the_reminder_tools_are_terse(
    hass: HomeAssistant, model_server: ModelServer, agent_id: str
) -> None:
    assert "reminders" in TOOL_FAMILIES
    await converse(hass, agent_id, "hello")
    tools = {
        tool["function"]["name"]: tool
        for tool in model_server.chat_requests[0]["tools"]
        if "reminder" in tool["function"]["name"]
    }
    assert sorted(tools) == [
        "aiassist__cancel_reminder",
        "aiassist__list_reminders",
        "aiassist__set_reminder",
        "aiassist__snooze_reminder",
    ]
    # About four characters a token: the four schemas add under 360 tokens to every request.
    assert sum(len(json.dumps(tool, ensure_ascii=False)) for tool in tools.values()) / 4 < 360
