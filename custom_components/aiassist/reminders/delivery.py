"""Saying a reminder: on the satellite where it was set, else the fallback, else a notification."""

import asyncio
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from homeassistant.components import persistent_notification
from homeassistant.components.assist_pipeline.pipeline import async_get_pipeline
from homeassistant.components.assist_satellite import SatelliteBusyError
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.translation import async_get_translations

from ..const import CONF_REMINDER_FALLBACK, DOMAIN, LOGGER
from .model import Reminder

EVENT_REMINDER = f"{DOMAIN}_reminder"
# A busy satellite (mid-conversation) is tried once more after this many seconds.
BUSY_RETRY = 10.0
# An announcement that has not finished by then is taken as not heard.
SPEAK_TIMEOUT = 60.0
PERSISTENT_NOTIFICATION = "persistent_notification"

_COMMON = f"component.{DOMAIN}.common."


def satellite_of(hass: HomeAssistant, device_id: str | None) -> str | None:
    """The assist_satellite entity of a device (the one a turn came from)."""
    if device_id is None:
        return None
    entries = er.async_entries_for_device(er.async_get(hass), device_id)
    return next((entry.entity_id for entry in entries if entry.domain == "assist_satellite"), None)


def _tts_engine(hass: HomeAssistant) -> str | None:
    """The voice of the preferred Assist pipeline, else any text-to-speech entity."""
    if "assist_pipeline" in hass.config.components:
        engine = async_get_pipeline(hass).tts_engine
        if engine and hass.states.get(engine) is not None:
            return engine
    return next(iter(hass.states.async_entity_ids("tts")), None)


class ReminderDelivery:
    """Says due reminders aloud where they were set and tells automations through an event."""

    def __init__(self, hass: HomeAssistant, options: Callable[[], Mapping[str, Any]]) -> None:
        """`options` gives the entry's current options (the fallback)."""
        self.hass = hass
        self._options = options

    async def __call__(self, reminder: Reminder, due: datetime, earlier: bool) -> None:
        """Say it once, wherever it can be heard, and fire `aiassist_reminder`."""
        strings = await async_get_translations(self.hass, self.hass.config.language, "common", {DOMAIN})
        key = "reminder_earlier" if earlier else "reminder_due"
        message = strings.get(_COMMON + key, "{text}").format(text=reminder.text)
        title = strings.get(_COMMON + "reminder_title", "Reminder")
        heard_on = await self._async_say(reminder, message, title)
        self.hass.bus.async_fire(
            EVENT_REMINDER,
            {
                "id": reminder.id,
                "text": reminder.text,
                "owner": reminder.owner,
                "due": due.isoformat(),
                "earlier": earlier,
                "device_id": reminder.device_id,
                "heard_on": heard_on,
            },
        )

    async def _async_say(self, reminder: Reminder, message: str, title: str) -> str:
        """Where it was said: an entity id, a notify service, or the persistent notification."""
        if (satellite := satellite_of(self.hass, reminder.device_id)) and await self._async_announce(
            satellite, message
        ):
            return satellite
        fallback = str(self._options().get(CONF_REMINDER_FALLBACK) or "")
        if fallback and await self._async_fallback(fallback, message, title):
            return fallback
        persistent_notification.async_create(
            self.hass, message, title, notification_id=f"{DOMAIN}_reminder_{reminder.id}"
        )
        return PERSISTENT_NOTIFICATION

    async def _async_fallback(self, target: str, message: str, title: str) -> bool:
        domain = target.partition(".")[0]
        if domain == "assist_satellite":
            return await self._async_announce(target, message)
        if domain == "media_player":
            if (engine := _tts_engine(self.hass)) is None:
                LOGGER.warning("No text-to-speech engine to say a reminder on %s", target)
                return False
            data = {"entity_id": engine, "media_player_entity_id": target, "message": message}
            return await self._async_call(target, "tts", "speak", data)
        if domain == "notify":
            return await self._async_call(
                target, "notify", "send_message", {"entity_id": target, "message": message, "title": title}
            )
        LOGGER.warning("Reminder fallback %s is not a satellite, media player or notifier", target)
        return False

    async def _async_announce(self, satellite: str, message: str) -> bool:
        """Announce; a busy satellite is tried once more, a failing or absent one is skipped."""
        data = {"entity_id": satellite, "message": message}
        for attempt in (1, 2):
            try:
                return await self._async_call(satellite, "assist_satellite", "announce", data)
            except SatelliteBusyError:
                if attempt == 1:
                    await asyncio.sleep(BUSY_RETRY)
        LOGGER.warning("%s stayed busy; the reminder goes elsewhere", satellite)
        return False

    async def _async_call(self, target: str, domain: str, service: str, data: dict[str, Any]) -> bool:
        """Call a service that speaks; False when it failed (a busy satellite raises, to be retried)."""
        # A removed or unavailable entity would take the call and say nothing.
        state = self.hass.states.get(target)
        if state is None or state.state == STATE_UNAVAILABLE:
            return False
        try:
            async with asyncio.timeout(SPEAK_TIMEOUT):
                await self.hass.services.async_call(domain, service, data, blocking=True)
        except SatelliteBusyError:
            raise
        except (HomeAssistantError, OSError, TimeoutError) as err:
            LOGGER.warning("Could not say a reminder on %s: %s", target, err)
            return False
        return True
