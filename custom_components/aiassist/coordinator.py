"""Knows whether the AI service is up: the entities' availability and the model list."""

from datetime import timedelta
from typing import override

import openai

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .api import AIServiceError, InvalidAuth, async_create_client, async_list_models
from .const import DOMAIN, LOGGER

UPDATE_INTERVAL_UP = timedelta(minutes=30)
UPDATE_INTERVAL_DOWN = timedelta(minutes=1)


class AIAssistCoordinator(DataUpdateCoordinator[list[str]]):
    """Polls the model list; checks often while the service is down, rarely while up."""

    config_entry: ConfigEntry
    client: openai.AsyncOpenAI

    def __init__(self, hass: HomeAssistant, config_entry: ConfigEntry) -> None:
        """Initialize the coordinator."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=config_entry,
            name=config_entry.title,
            update_interval=UPDATE_INTERVAL_UP,
            always_update=False,
        )
        self.last_error: str | None = None

    @override
    async def _async_setup(self) -> None:
        """Create the client once; every request reuses it."""
        self.client = await async_create_client(self.hass, self.config_entry.data)

    @override
    async def _async_update_data(self) -> list[str]:
        """Fetch the model list."""
        self.update_interval = UPDATE_INTERVAL_DOWN
        try:
            models = await async_list_models(self.client)
        except InvalidAuth as err:
            self.last_error = repr(err.detail)
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key=err.key,
                translation_placeholders={"message": err.detail},
            ) from err
        except AIServiceError as err:
            self.last_error = f"{err.key}: {err.detail}"
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key=err.key,
                translation_placeholders={"message": err.detail},
            ) from err
        self.update_interval = UPDATE_INTERVAL_UP
        return models

    @callback
    def async_mark_down(self, err: AIServiceError) -> None:
        """Go unavailable after a request found the service unreachable; log once, check soon."""
        self.last_error = f"{err.key}: {err.detail}"
        self.update_interval = UPDATE_INTERVAL_DOWN
        if not self.last_update_success:
            return
        LOGGER.warning("%s is unavailable: %s", self.name, err.detail or err.key)
        self.last_update_success = False
        self.async_update_listeners()
        if self._listeners and not self.hass.is_stopping:
            self._schedule_refresh()

    @callback
    def async_mark_up(self) -> None:
        """Become available again after a request succeeded, if the service was down."""
        if self.last_update_success:
            return
        LOGGER.info("%s is available again", self.name)
        self.last_update_success = True
        self.update_interval = UPDATE_INTERVAL_UP
        self.async_update_listeners()
