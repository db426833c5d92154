"""Shared fixtures: the scripted model server and a loaded AI Assist entry.

`import custom_components` happens here, before any `hass` fixture exists: the HA test plugin
puts its own `testing_config/custom_components` on sys.path when it builds `hass`, and whichever
`custom_components` is imported first wins for the whole session.
"""

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
import gc
from typing import Any

import imageio_ffmpeg
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
    setup_test_component_platform,
)

import custom_components
from custom_components.aiassist.const import (
    CONF_MAX_TOKENS,
    CONF_MAX_TOOL_ITERATIONS,
    CONF_TEMPERATURE,
    DOMAIN,
    SUBENTRY_CONVERSATION,
)
from homeassistant.components import conversation
from homeassistant.components.assist_satellite import SatelliteBusyError
from homeassistant.components.cover import CoverDeviceClass, CoverEntity, CoverEntityFeature
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.components.lock import LockEntity
from homeassistant.config_entries import ConfigEntryState, ConfigSubentryData
from homeassistant.const import (
    CONF_API_KEY,
    CONF_LLM_HASS_API,
    CONF_MODEL,
    CONF_PROMPT,
    CONF_URL,
    EVENT_CALL_SERVICE,
)
from homeassistant.core import Context, Event, HomeAssistant, ServiceCall
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import area_registry as ar, device_registry as dr, entity_registry as er, llm
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
async def finalize_async_generators(hass: HomeAssistant) -> AsyncGenerator[None]:
    """Let async generators that were dropped unclosed finish closing before HA's check.

    openai's AsyncStream leaves its SSE iterator suspended after `[DONE]`; Python closes it
    through a task when it is collected, which HA's test plugin would report as lingering.
    """
    yield
    gc.collect()
    for _ in range(3):
        await asyncio.sleep(0)


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
async def ffmpeg(hass: HomeAssistant) -> None:
    """HA's ffmpeg with the binary imageio-ffmpeg carries; request it before the entry is set up.

    The entry's speech platforms set up `tts`, which sets up `ffmpeg` with whatever binary is
    configured by then.
    """
    assert await async_setup_component(
        hass, "ffmpeg", {"ffmpeg": {"ffmpeg_bin": imageio_ffmpeg.get_ffmpeg_exe()}}
    )


@pytest.fixture
async def setup_integration(hass: HomeAssistant, config_entry: MockConfigEntry) -> MockConfigEntry:
    """Set up our integration and check it really loaded."""
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.LOADED
    return config_entry


@pytest.fixture
def agent_id(hass: HomeAssistant, setup_integration: MockConfigEntry) -> str:
    """The entity id of the entry's agent."""
    (subentry,) = setup_integration.subentries.values()
    entity_id = er.async_get(hass).async_get_entity_id("conversation", DOMAIN, subentry.subentry_id)
    assert entity_id is not None
    return entity_id


@dataclass
class Home:
    """Real (template) lights in areas, and two satellites' devices."""

    kitchen_satellite: str
    bedroom_satellite: str


LIGHTS = {"kitchen": "Kitchen", "living_room": "Living Room", "garage": "Garage"}


def _template_light(key: str, name: str) -> dict[str, Any]:
    target = {"entity_id": f"input_boolean.{key}"}
    return {
        "name": f"{name} light",
        "unique_id": f"{key}_light",
        "state": f"{{{{ is_state('input_boolean.{key}', 'on') }}}}",
        "turn_on": {"action": "input_boolean.turn_on", "target": target},
        "turn_off": {"action": "input_boolean.turn_off", "target": target},
    }


@pytest.fixture
async def home(hass: HomeAssistant) -> Home:
    """Kitchen and living room lights exposed to Assist, the garage light not."""
    assert await async_setup_component(hass, "input_boolean", {"input_boolean": {key: {} for key in LIGHTS}})
    lights = [_template_light(key, name) for key, name in LIGHTS.items()]
    assert await async_setup_component(hass, "template", {"template": [{"light": lights}]})
    await hass.async_block_till_done()
    areas, entities = ar.async_get(hass), er.async_get(hass)
    for key, name in LIGHTS.items():
        area = areas.async_get_or_create(name)
        entities.async_update_entity(f"light.{key}_light", area_id=area.id)
    async_expose_entity(hass, conversation.DOMAIN, "light.garage_light", False)

    satellites = MockConfigEntry(domain="test")
    satellites.add_to_hass(hass)
    devices = dr.async_get(hass)
    bedroom = areas.async_get_or_create("Bedroom")
    kitchen = devices.async_get_or_create(
        config_entry_id=satellites.entry_id, identifiers={("test", "kitchen")}, name="Kitchen satellite"
    )
    devices.async_update_device(kitchen.id, area_id=areas.async_get_area_by_name("Kitchen").id)  # type: ignore[union-attr]
    bedroom_device = devices.async_get_or_create(
        config_entry_id=satellites.entry_id, identifiers={("test", "bedroom")}, name="Bedroom satellite"
    )
    devices.async_update_device(bedroom_device.id, area_id=bedroom.id)
    return Home(kitchen_satellite=kitchen.id, bedroom_satellite=bedroom_device.id)


async def converse(
    hass: HomeAssistant,
    agent_id: str,
    text: str,
    conversation_id: str | None = None,
    device_id: str | None = None,
    language: str = "en",
) -> conversation.ConversationResult:
    """Say something to the agent, as a satellite or the Assist dialog does."""
    return await conversation.async_converse(
        hass, text, conversation_id, Context(), language=language, agent_id=agent_id, device_id=device_id
    )


def speech(result: conversation.ConversationResult) -> str:
    """What the user hears."""
    return str(result.response.speech["plain"]["speech"])


@dataclass
class People:
    """Anna (a Home Assistant user), Ben (no user), and Anna's user."""

    anna_user: MockUser


@pytest.fixture
async def people(hass: HomeAssistant) -> People:
    """Two people; set up before the integration, which makes a memory list for each."""
    anna_user = MockUser(name="Anna").add_to_hass(hass)
    config = {
        "person": [{"id": "anna", "name": "Anna", "user_id": anna_user.id}, {"id": "ben", "name": "Ben"}]
    }
    assert await async_setup_component(hass, "person", config)
    await hass.async_block_till_done()
    return People(anna_user=anna_user)


KITCHEN_SATELLITE = "assist_satellite.kitchen"
BEDROOM_SATELLITE = "assist_satellite.bedroom"


@dataclass
class Satellites:
    """What the home's satellites announced; `busy` refusals to come, `broken` ones cannot speak."""

    home: Home
    said: list[tuple[str, str]] = field(default_factory=list)
    busy: int = 0
    broken: set[str] = field(default_factory=set)


@pytest.fixture
async def announcing(hass: HomeAssistant, home: Home) -> Satellites:
    """An assist_satellite entity on each satellite device, and their announce action."""
    entities = er.async_get(hass)
    for entity_id, device in (
        (KITCHEN_SATELLITE, home.kitchen_satellite),
        (BEDROOM_SATELLITE, home.bedroom_satellite),
    ):
        name = entity_id.split(".")[1]
        entities.async_get_or_create(
            "assist_satellite", "test", name, device_id=device, suggested_object_id=name
        )
        hass.states.async_set(entity_id, "idle")
    satellites = Satellites(home)

    async def announce(call: ServiceCall) -> None:
        if satellites.busy:
            satellites.busy -= 1
            raise SatelliteBusyError
        if call.data["entity_id"] in satellites.broken:
            raise HomeAssistantError("Satellite is not connected")
        satellites.said.append((call.data["entity_id"], call.data["message"]))

    hass.services.async_register("assist_satellite", "announce", announce)
    return satellites


class FrontDoor(LockEntity):
    _attr_name = "Front door"
    _attr_unique_id = "front_door"
    _attr_is_locked = True

    async def async_lock(self, **kwargs: Any) -> None:
        self._attr_is_locked = True
        self.async_write_ha_state()

    async def async_unlock(self, **kwargs: Any) -> None:
        self._attr_is_locked = False
        self.async_write_ha_state()


class GarageDoor(CoverEntity):
    _attr_name = "Garage door"
    _attr_unique_id = "garage_door"
    _attr_device_class = CoverDeviceClass.GARAGE
    _attr_supported_features = CoverEntityFeature.OPEN | CoverEntityFeature.CLOSE
    _attr_is_closed = True

    async def async_open_cover(self, **kwargs: Any) -> None:
        self._attr_is_closed = False
        self.async_write_ha_state()

    async def async_close_cover(self, **kwargs: Any) -> None:
        self._attr_is_closed = True
        self.async_write_ha_state()


@pytest.fixture
async def doors(hass: HomeAssistant, home: Home) -> list[Event]:
    """A locked front door and a closed garage door, exposed; returns the service calls made."""
    setup_test_component_platform(hass, "lock", [FrontDoor()])
    setup_test_component_platform(hass, "cover", [GarageDoor()])
    assert await async_setup_component(hass, "lock", {"lock": {"platform": "test"}})
    assert await async_setup_component(hass, "cover", {"cover": {"platform": "test"}})
    await hass.async_block_till_done()
    hallway = ar.async_get(hass).async_get_or_create("Hallway")
    er.async_get(hass).async_update_entity("lock.front_door", area_id=hallway.id)
    for entity_id in ("lock.front_door", "cover.garage_door"):
        async_expose_entity(hass, conversation.DOMAIN, entity_id, True)
    calls: list[Event] = []
    hass.bus.async_listen(
        EVENT_CALL_SERVICE,
        lambda event: calls.append(event) if event.data["domain"] in ("lock", "cover") else None,
    )
    return calls
