"""Diagnostics help without leaking the API key."""

from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import get_diagnostics_for_config_entry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component

from .conftest import API_KEY, converse
from .model_server import Fault, ModelServer


async def test_diagnostics_redact_the_key(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    model_server: ModelServer,
    setup_integration: MockConfigEntry,
    agent_id: str,
) -> None:
    model_server.chat.add(Fault.model_not_found("test-model"))
    await converse(hass, agent_id, "hello")
    assert await async_setup_component(hass, "diagnostics", {})

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, setup_integration)

    assert API_KEY not in str(diagnostics)
    assert diagnostics["entry"] == {"url": model_server.url, "api_key": "**REDACTED**"}
    (agent,) = diagnostics["agents"].values()
    assert agent["options"]["model"] == "test-model"
    assert diagnostics["service"]["models"] == ["test-embed", "test-model"]
    assert diagnostics["service"]["available"] is True
    assert diagnostics["service"]["last_error"].startswith("model_not_found")
