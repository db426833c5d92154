"""A reminder reaches a real Wyoming satellite through Home Assistant, or a notification when it is gone."""

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_get_persistent_notifications,
    async_mock_service,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.aiassist.const import CONF_REMINDER_FALLBACK
from homeassistant.components import assist_pipeline
from homeassistant.components.assist_pipeline.pipeline import async_update_pipeline
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util

from .wyoming_fakes import FakeSatellite, FakeTts, async_add_wyoming, speech_loaded

# Set up before the entry: its speech platforms set up ffmpeg with whatever binary is known then.
pytestmark = pytest.mark.usefixtures("ffmpeg")


@dataclass
class Hall:
    """A Wyoming satellite in the hall, its device, and the Wyoming TTS it speaks with."""

    satellite: FakeSatellite
    tts: FakeTts
    device_id: str
    entry: MockConfigEntry


@pytest.fixture
async def hall(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    aiohttp_client: ClientSessionGenerator,
) -> AsyncGenerator[Hall]:
    """Home Assistant's wyoming integration connected to a satellite and a TTS on 127.0.0.1.

    The ffmpeg binary comes with imageio-ffmpeg (no system ffmpeg needed). Announcing fetches
    the spoken message from Home Assistant's HTTP server, so it is served on a real port last.
    """
    tts, satellite = FakeTts(), FakeSatellite()
    await tts.start()
    await satellite.start()
    tts_entry = await async_add_wyoming(hass, tts.port)
    entities = er.async_get(hass)
    tts_entity = entities.async_get_entity_id("tts", "wyoming", f"{tts_entry.entry_id}-tts")
    await async_update_pipeline(
        hass,
        assist_pipeline.async_get_pipeline(hass),
        tts_engine=tts_entity,
        tts_language="en",
        tts_voice="fake-voice",
    )
    satellite_entry = await async_add_wyoming(hass, satellite.port)
    await satellite.wait_for(lambda: satellite.connected)
    entity_id = entities.async_get_entity_id(
        "assist_satellite", "wyoming", f"{satellite_entry.entry_id}-assist_satellite"
    )
    device_id = entities.async_get(entity_id).device_id  # type: ignore[arg-type, union-attr]
    client = await aiohttp_client(hass.http.app)
    await hass.config.async_update(internal_url=f"http://127.0.0.1:{client.port}")

    yield Hall(satellite, tts, str(device_id), satellite_entry)

    await speech_loaded()
    for entry in (satellite_entry, tts_entry):
        await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    await tts.stop()
    if not satellite.stopped:
        await satellite.stop()


async def test_the_reminder_is_spoken_by_the_satellite_it_was_set_on(
    hass: HomeAssistant, setup_integration: MockConfigEntry, hall: Hall
) -> None:
    setup_integration.runtime_data.reminders.add(
        "feed the cat", "household", dt_util.utcnow() + timedelta(minutes=1), hall.device_id
    )
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=1))
    await hass.async_block_till_done()
    await hall.satellite.wait_for(lambda: any(event.type == "audio-stop" for event in hall.satellite.events))
    assert hall.tts.texts == ["Reminder: feed the cat"]
    assert (
        sum(len(event.payload or b"") for event in hall.satellite.events if event.type == "audio-chunk") > 0
    )
    assert async_get_persistent_notifications(hass) == {}


async def test_a_disconnected_satellite_leaves_a_notification_instead(
    hass: HomeAssistant, setup_integration: MockConfigEntry, hall: Hall
) -> None:
    await hall.satellite.stop()
    setup_integration.runtime_data.reminders.add(
        "feed the cat", "household", dt_util.utcnow() + timedelta(minutes=1), hall.device_id
    )
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=1))
    await hass.async_block_till_done()
    (notification,) = async_get_persistent_notifications(hass).values()
    assert notification["message"] == "Reminder: feed the cat"
    assert not any(event.type == "audio-start" for event in hall.satellite.events)


async def test_a_media_player_fallback_speaks_with_the_pipelines_voice(
    hass: HomeAssistant, setup_integration: MockConfigEntry, hall: Hall
) -> None:
    hass.config_entries.async_update_entry(
        setup_integration, options={CONF_REMINDER_FALLBACK: "media_player.hall"}
    )
    await hass.async_block_till_done()
    hass.states.async_set("media_player.hall", "idle")
    hass.states.async_set("tts.another_voice", "unknown")
    spoken = async_mock_service(hass, "tts", "speak")
    await hall.satellite.stop()
    setup_integration.runtime_data.reminders.add(
        "feed the cat", "household", dt_util.utcnow() + timedelta(minutes=1), hall.device_id
    )
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=1))
    await hass.async_block_till_done()
    (call,) = spoken
    assert call.data["entity_id"] == assist_pipeline.async_get_pipeline(hass).tts_engine
    assert call.data["message"] == "Reminder: feed the cat"
