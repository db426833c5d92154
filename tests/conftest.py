"""Shared fixtures: the scripted model server and a loaded AI Assist entry.

`import custom_components` happens here, before any `hass` fixture exists: the HA test plugin
puts its own `testing_config/custom_components` on sys.path when it builds `hass`, and whichever
`custom_components` is imported first wins for the whole session.
"""

from collections.abc import AsyncGenerator
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

import custom_components
from custom_components.aiassist.const import (
    CONF_MAX_TOKENS,
    CONF_MAX_TOOL_ITERATIONS,
    CONF_TEMPERATURE,
    DOMAIN,
    SUBENTRY_CONVERSATION,
)
from homeassistant.config_entries import ConfigEntryState, ConfigSubentryData
from homeassistant.const import CONF_API_KEY, CONF_LLM_HASS_API, CONF_MODEL, CONF_PROMPT, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.helpers import llm
from homeassistant.setup import async_setup_component

from .model_server import ModelServer

assert "pytest_homeassistant_custom_component" not in custom_components.__path__[0]

API_KEY = "sk-test-key"
AGENT_OPTIONS: dict[str, Any] = {
    CONF_MODEL: "test-model",
    CONF_PROMPT: "You are a test assistant.",
    CONF_LLM_HASS_API: [llm.LLM_API_ASSIST],
    CONF_TEMPERATURE: 0.5,
    CONF_MAX_TOKENS: 500,
    CONF_MAX_TOOL_ITERATIONS: 10,
}


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let HA load integrations from custom_components/."""


@pytest.fixture(autouse=True)
async def setup_core(hass: HomeAssistant) -> None:
    """Set up HA's core integration: conversation needs it for exposed entities."""
    assert await async_setup_component(hass, "homeassistant", {})


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """Give HA a writable config dir (tts cache, .storage)."""
    return hass_tmp_config_dir


@pytest.fixture
async def model_server(socket_enabled: None) -> AsyncGenerator[ModelServer]:
    """The scripted OpenAI-compatible server on 127.0.0.1, demanding API_KEY."""
    async with ModelServer(api_key=API_KEY) as server:
        yield server


@pytest.fixture
def agent_options() -> dict[str, Any]:
    """Options of the agent the entry is created with; tests override this fixture."""
    return dict(AGENT_OPTIONS)


@pytest.fixture
def config_entry(
    hass: HomeAssistant, model_server: ModelServer, agent_options: dict[str, Any]
) -> MockConfigEntry:
    """An entry for the scripted server, with one conversation agent."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="AI Assist (127.0.0.1)",
        data={CONF_URL: model_server.url, CONF_API_KEY: API_KEY},
        subentries_data=[
            ConfigSubentryData(
                data=agent_options,
                subentry_type=SUBENTRY_CONVERSATION,
                title="AI Assist",
                unique_id=None,
            )
        ],
    )
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
async def setup_integration(hass: HomeAssistant, config_entry: MockConfigEntry) -> MockConfigEntry:
    """Set up our integration and check it really loaded."""
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.LOADED
    return config_entry
