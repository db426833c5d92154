"""Setting up and unloading the integration."""

from pathlib import Path

from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.aiassist.const import DOMAIN
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.loader import async_get_integration

from .model_server import Fault, ModelServer

REPO = Path(__file__).parent.parent


async def test_the_integration_under_test_is_this_repository(hass: HomeAssistant) -> None:
    integration = await async_get_integration(hass, DOMAIN)
    assert integration.file_path == REPO / "custom_components" / DOMAIN
    assert not integration.is_built_in


async def test_setup_and_unload(hass: HomeAssistant, setup_integration: MockConfigEntry) -> None:
    assert setup_integration.runtime_data.coordinator.data == ["test-embed", "test-model"]
    assert await hass.config_entries.async_unload(setup_integration.entry_id)
    assert setup_integration.state is ConfigEntryState.NOT_LOADED


async def test_server_down_at_start_retries_later(
    hass: HomeAssistant, model_server: ModelServer, config_entry: MockConfigEntry
) -> None:
    await model_server.down()
    assert not await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY


async def test_server_error_at_start_retries_later(
    hass: HomeAssistant, model_server: ModelServer, config_entry: MockConfigEntry
) -> None:
    model_server.models_queue.add(Fault(status=502))
    assert not await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
