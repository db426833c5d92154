"""Setting up and unloading the integration."""

from pathlib import Path
from typing import Any

from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.aiassist.const import DOMAIN
from homeassistant.components import conversation
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Context, HomeAssistant
from homeassistant.loader import async_get_integration

from .conftest import People
from .model_server import Fault, ModelServer
from .test_memory import remember

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


async def test_removing_the_service_deletes_what_it_remembered(
    hass: HomeAssistant,
    people: People,
    agent_id: str,
    setup_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    await remember(hass, "Anna is vegetarian", "person.anna")
    as_anna = Context(user_id=people.anna_user.id)
    await conversation.async_converse(hass, "hello", None, as_anna, agent_id=agent_id)
    keys = [
        f"{DOMAIN}.{setup_integration.entry_id}.{name}"
        for name in ("memories", "vectors", "recent", "reminders")
    ]
    assert await hass.config_entries.async_unload(setup_integration.entry_id)
    assert all(key in hass_storage for key in keys)
    # A damaged file's copy, kept aside earlier, holds memories too.
    aside = Path(hass.config.path(".storage", f"{keys[0]}.unreadable.20260101T000000"))
    aside.parent.mkdir(parents=True, exist_ok=True)
    aside.write_text("{}", encoding="utf-8")

    assert await hass.config_entries.async_remove(setup_integration.entry_id)
    await hass.async_block_till_done()
    assert [key for key in keys if key in hass_storage] == []
    assert not aside.exists()
