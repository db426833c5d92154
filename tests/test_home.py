"""Which devices each request shows the model: chosen per sentence, kept up to date, never the whole home."""

from dataclasses import dataclass
from itertools import takewhile
import json
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.aiassist.const import CONF_EMBEDDING_MODEL, CONF_HOME_BUDGET
from homeassistant.components import conversation
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers import area_registry as ar, entity_registry as er, floor_registry as fr, llm

from .conftest import AGENT_OPTIONS, Home, converse
from .model_server import EmbeddingReply, ModelServer, RecordedRequest, Reply, ToolCall

HEADER = "Devices (names | type | area | state):"
FIND_DEVICES = "aiassist__find_devices"
TURN_ON = "intent__HassTurnOn"
GARDEN_SPOTS = 30

DESK_LIGHT = "- Desk light, Reading lamp | light | Bedroom | off"
CEILING_LIGHT = "- Kitchen ceiling light, 厨房吸顶灯 | light | Kitchen | off"
COUNTER_LIGHT = "- Kitchen counter light | light | Kitchen | off"
KITCHEN_LIGHT = "- Kitchen light | light | Kitchen | off"
KITCHEN_TEMPERATURE = "- Kitchen temperature | sensor temperature | Kitchen | 21.5 °C"
COFFEE_MAKER = "- Coffee maker | switch | Kitchen | off"
LIVING_ROOM_LIGHT = "- Living Room light | light | Living Room | off"


@pytest.fixture
def agent_options() -> dict[str, Any]:
    """A small home budget: a request can show only a few devices."""
    return {**AGENT_OPTIONS, CONF_HOME_BUDGET: 120}


@dataclass
class House:
    """The conftest home with more devices, area aliases and a floor."""

    kitchen_satellite: str
    living_room: str


def _add(
    hass: HomeAssistant,
    domain: str,
    object_id: str,
    name: str,
    area_id: str,
    *,
    state: str = "off",
    aliases: tuple[str, ...] = (),
    attributes: dict[str, Any] | None = None,
) -> str:
    """An entity in the registry and the state machine, in an area."""
    attributes = attributes or {}
    entities = er.async_get(hass)
    entry = entities.async_get_or_create(
        domain,
        "test",
        object_id,
        suggested_object_id=object_id,
        original_name=name,
        original_device_class=attributes.get("device_class"),
    )
    entities.async_update_entity(entry.entity_id, area_id=area_id, aliases=[er.COMPUTED_NAME, *aliases])
    hass.states.async_set(entry.entity_id, state, {"friendly_name": name, **attributes})
    return entry.entity_id


@pytest.fixture
async def house(hass: HomeAssistant, home: Home) -> House:
    """Kitchen (alias Galley) with near-twin lights, Bedroom upstairs, Living Room, and a big garden."""
    areas = ar.async_get(hass)
    upstairs = fr.async_get(hass).async_create("Upstairs")
    kitchen = areas.async_get_area_by_name("Kitchen")
    bedroom = areas.async_get_area_by_name("Bedroom")
    living_room = areas.async_get_area_by_name("Living Room")
    assert kitchen
    assert bedroom
    assert living_room
    areas.async_update(kitchen.id, aliases={"Galley"})
    areas.async_update(bedroom.id, floor_id=upstairs.floor_id)
    garden = areas.async_create("Garden")

    _add(hass, "light", "kitchen_ceiling_light", "Kitchen ceiling light", kitchen.id, aliases=("厨房吸顶灯",))
    _add(hass, "light", "kitchen_counter_light", "Kitchen counter light", kitchen.id)
    _add(
        hass,
        "sensor",
        "kitchen_temperature",
        "Kitchen temperature",
        kitchen.id,
        state="21.5",
        attributes={"device_class": "temperature", "unit_of_measurement": "°C"},
    )
    _add(hass, "switch", "coffee_maker", "Coffee maker", kitchen.id)
    _add(hass, "light", "desk_light", "Desk light", bedroom.id, aliases=("Reading lamp",))
    _add(hass, "fan", "bedroom_fan", "Bedroom fan", bedroom.id)
    _add(hass, "media_player", "television", "Television", living_room.id)
    for number in range(1, GARDEN_SPOTS + 1):
        _add(hass, "light", f"garden_spot_{number}", f"Garden spot {number}", garden.id)
    await hass.async_block_till_done()
    return House(kitchen_satellite=home.kitchen_satellite, living_room=living_room.id)


def _shown(request: dict[str, Any]) -> list[str]:
    """The device lines in the context of the request's last user message."""
    user = [message for message in request["messages"] if message["role"] == "user"][-1]
    context = user["content"].split("</context>")[0].splitlines()
    assert HEADER in context, context
    return list(takewhile(lambda line: line.startswith("- "), context[context.index(HEADER) + 1 :]))


def _tool_messages(request: dict[str, Any]) -> list[dict[str, Any]]:
    return [json.loads(m["content"]) for m in request["messages"] if m["role"] == "tool"]


def _assert_same_prompt_and_tools(requests: list[dict[str, Any]]) -> None:
    """The system prompt and the tools are byte-identical, whatever the devices shown."""
    assert len({request["messages"][0]["content"] for request in requests}) == 1
    assert len({json.dumps(request["tools"]) for request in requests}) == 1
    assert len({tuple(_shown(request)) for request in requests}) == len(requests)


async def test_device_named_only_by_alias_is_shown_alone(
    hass: HomeAssistant, model_server: ModelServer, house: House, agent_id: str
) -> None:
    await converse(hass, agent_id, "Turn on the reading lamp")

    (request,) = model_server.chat_requests
    # The device meant, and nothing else spends tokens.
    assert _shown(request) == [DESK_LIGHT]
    assert "Desk light" not in request["messages"][0]["content"]


async def test_a_kind_said_nowhere_in_particular_is_cut_to_the_budget(
    hass: HomeAssistant, model_server: ModelServer, house: House, agent_id: str
) -> None:
    await converse(hass, agent_id, "Are any lights on?")

    shown = _shown(model_server.chat_requests[0])
    # Only lights were asked about, and fewer than the home has: the budget cut the list.
    assert all(" | light | " in line for line in shown)
    assert 1 < len(shown) < GARDEN_SPOTS
    assert COFFEE_MAKER not in shown


async def test_device_named_in_another_area_is_shown_with_the_satellites_area(
    hass: HomeAssistant, model_server: ModelServer, house: House, agent_id: str
) -> None:
    await converse(hass, agent_id, "Turn on the desk light", device_id=house.kitchen_satellite)

    shown = _shown(model_server.chat_requests[0])
    assert shown[0] == DESK_LIGHT
    for line in (CEILING_LIGHT, COUNTER_LIGHT, KITCHEN_LIGHT, KITCHEN_TEMPERATURE, COFFEE_MAKER):
        assert line in shown
    assert not any("Television" in line or "Bedroom fan" in line for line in shown)


async def test_it_refers_to_the_device_named_in_the_previous_turn(
    hass: HomeAssistant, model_server: ModelServer, house: House, agent_id: str
) -> None:
    first = await converse(hass, agent_id, "Turn on the desk light")
    desk = hass.states.get("light.desk_light")
    assert desk is not None
    hass.states.async_set("light.desk_light", "on", desk.attributes)
    await converse(hass, agent_id, "Turn it off", conversation_id=first.conversation_id)

    requests = model_server.chat_requests
    # The device of the previous turn, as it is now.
    assert DESK_LIGHT.replace("| off", "| on") in _shown(requests[1])
    assert "Turn it off" in requests[1]["messages"][-1]["content"]
    _assert_same_prompt_and_tools(requests)


async def test_chinese_alias_selects_its_device(
    hass: HomeAssistant, model_server: ModelServer, house: House, agent_id: str
) -> None:
    await converse(hass, agent_id, "关掉厨房吸顶灯", language="zh-Hans")

    shown = _shown(model_server.chat_requests[0])
    # Named first, ahead of its near twin.
    assert shown[0] == CEILING_LIGHT
    assert COFFEE_MAKER not in shown


async def test_area_alias_and_floor_select_their_devices(
    hass: HomeAssistant, model_server: ModelServer, house: House, agent_id: str
) -> None:
    await converse(hass, agent_id, "Switch off the galley lights")
    await converse(hass, agent_id, "What is on upstairs?")

    galley, upstairs = (_shown(request) for request in model_server.chat_requests)
    assert galley[:3] == [CEILING_LIGHT, COUNTER_LIGHT, KITCHEN_LIGHT]
    assert DESK_LIGHT in upstairs
    assert "- Bedroom fan | fan | Bedroom | off" in upstairs


async def test_registry_rename_alias_and_move_show_on_the_next_turn(
    hass: HomeAssistant, model_server: ModelServer, house: House, agent_id: str
) -> None:
    first = await converse(hass, agent_id, "Turn on the desk light")
    er.async_get(hass).async_update_entity(
        "light.desk_light",
        name="Study lamp",
        aliases=[er.COMPUTED_NAME, "Reading lamp", "Book light"],
        area_id=house.living_room,
    )
    await converse(hass, agent_id, "Turn on the book light", conversation_id=first.conversation_id)

    requests = model_server.chat_requests
    assert _shown(requests[0])[0] == DESK_LIGHT
    shown = _shown(requests[1])
    assert shown[0] == "- Study lamp, Reading lamp, Book light | light | Living Room | off"
    assert not any("Desk light" in line for line in shown)
    _assert_same_prompt_and_tools(requests)


async def test_exposure_change_shows_at_once_in_the_same_conversation(
    hass: HomeAssistant, model_server: ModelServer, house: House, agent_id: str
) -> None:
    kitchen = ar.async_get(hass).async_get_area_by_name("Kitchen")
    assert kitchen
    pantry = _add(hass, "light", "pantry_light", "Pantry light", kitchen.id)
    async_expose_entity(hass, conversation.DOMAIN, pantry, False)
    pantry_line = "- Pantry light | light | Kitchen | off"

    first = await converse(hass, agent_id, "Turn on the kitchen lights", device_id=house.kitchen_satellite)
    async_expose_entity(hass, conversation.DOMAIN, "light.kitchen_counter_light", False)
    async_expose_entity(hass, conversation.DOMAIN, pantry, True)
    await converse(
        hass,
        agent_id,
        "Turn on the kitchen lights",
        conversation_id=first.conversation_id,
        device_id=house.kitchen_satellite,
    )

    requests = model_server.chat_requests
    before, after = (_shown(request) for request in requests)
    assert COUNTER_LIGHT in before
    assert pantry_line not in before
    assert COUNTER_LIGHT not in after
    assert pantry_line in after
    _assert_same_prompt_and_tools(requests)


async def test_find_devices_is_capped_and_reaches_devices_not_shown_which_can_be_controlled(
    hass: HomeAssistant, model_server: ModelServer, house: House, agent_id: str
) -> None:
    model_server.chat.add(
        Reply(
            tool_calls=[
                ToolCall(FIND_DEVICES, {"area": "Garden"}),
                ToolCall(FIND_DEVICES, {"name": "living room light"}),
            ]
        ),
        Reply(tool_calls=[ToolCall(TURN_ON, {"name": "Living Room light"})]),
        Reply(content="The living room light is on."),
    )
    await converse(hass, agent_id, "Turn on the coffee maker", device_id=house.kitchen_satellite)

    first, second, third = model_server.chat_requests
    tool_names = {tool["function"]["name"] for tool in first["tools"]}
    assert FIND_DEVICES in tool_names
    assert not any(name.endswith("GetLiveContext") for name in tool_names)
    shown = _shown(first)
    assert COFFEE_MAKER in shown
    assert LIVING_ROOM_LIGHT not in shown
    assert not any("Garden spot" in line for line in shown)

    garden, living_room = _tool_messages(second)
    # Capped: never the whole garden, and the model is told how many more there are.
    listed = len(garden["devices"])
    assert 10 <= listed < GARDEN_SPOTS
    assert all(" | light | Garden | off" in line for line in garden["devices"])
    assert garden["truncated"].startswith(f"{GARDEN_SPOTS - listed} more match")
    assert living_room == {"devices": [LIVING_ROOM_LIGHT]}

    assert _tool_messages(third)[-1]["response_type"] == "action_done"
    assert hass.states.get("light.living_room_light").state == STATE_ON  # type: ignore[union-attr]


async def test_assist_api_is_built_once_until_the_home_changes(
    hass: HomeAssistant,
    model_server: ModelServer,
    house: House,
    agent_id: str,
    setup_integration: MockConfigEntry,
) -> None:
    assert setup_integration.state is ConfigEntryState.LOADED
    with patch.object(llm, "async_get_api", wraps=llm.async_get_api) as get_api:
        await converse(hass, agent_id, "Turn on the reading lamp")
        built = get_api.call_count
        assert built >= 1

        # A device turning on is not a change of the home.
        desk = hass.states.get("light.desk_light")
        assert desk
        hass.states.async_set(desk.entity_id, STATE_ON, desk.attributes)
        await converse(hass, agent_id, "Turn on the reading lamp")
        await converse(hass, agent_id, "Turn on the reading lamp")
        assert get_api.call_count == built

        er.async_get(hass).async_update_entity(
            "light.desk_light", aliases=[er.COMPUTED_NAME, "Reading lamp", "Book light"]
        )
        await converse(hass, agent_id, "Turn on the book light")
        assert get_api.call_count == built + 1
        await converse(hass, agent_id, "Turn on the book light")
        assert get_api.call_count == built + 1

    renamed = "- Desk light, Reading lamp, Book light | light | Bedroom | on"
    assert _shown(model_server.chat_requests[-1])[0] == renamed


async def test_a_word_of_several_kinds_and_the_kind_of_the_last_turn(
    hass: HomeAssistant, model_server: ModelServer, house: House, agent_id: str
) -> None:
    bedroom = ar.async_get(hass).async_get_area_by_name("Bedroom")
    assert bedroom
    _add(
        hass,
        "climate",
        "bedroom_thermostat",
        "Bedroom thermostat",
        bedroom.id,
        state="heat",
        attributes={"current_temperature": 19.5, "temperature": 21},
    )
    _add(hass, "media_player", "bedroom_tv", "Bedroom TV", bedroom.id)  # a TV without a device class
    await hass.async_block_till_done()

    first = await converse(hass, agent_id, "How warm is it upstairs?")
    # A temperature is a sensor's or a thermostat's; upstairs is the Bedroom's floor.
    assert _shown(model_server.chat_requests[0]) == [
        "- Bedroom thermostat | climate | Bedroom | heat, now 19.5, set 21"
    ]
    await converse(hass, agent_id, "Turn off the kitchen lights", conversation_id=first.conversation_id)
    await converse(hass, agent_id, "And in the bedroom?", conversation_id=first.conversation_id)
    # The bedroom's lights, as the conversation was about lights; not its fan.
    shown = _shown(model_server.chat_requests[2])
    assert shown[0] == DESK_LIGHT
    assert not any("Bedroom fan" in line for line in shown)

    await converse(hass, agent_id, "Pause the TV")
    assert "- Bedroom TV | media_player | Bedroom | off" in _shown(model_server.chat_requests[3])


async def test_find_devices_filters_and_says_what_it_cannot_find(
    hass: HomeAssistant, model_server: ModelServer, house: House, agent_id: str
) -> None:
    model_server.chat.add(
        Reply(
            tool_calls=[
                ToolCall(FIND_DEVICES, {"floor": "Upstairs"}),
                ToolCall(FIND_DEVICES, {"device_class": "temperature"}),
                ToolCall(FIND_DEVICES, {"name": "lights", "area": "Galley", "domain": ["light", "switch"]}),
                ToolCall(FIND_DEVICES, {"area": "Attic"}),
                ToolCall(FIND_DEVICES, {"floor": "Basement"}),
                ToolCall(FIND_DEVICES, {"domain": "vacuum"}),
            ]
        ),
        Reply(content="Found them."),
    )

    await converse(hass, agent_id, "What is there?")

    upstairs, temperature, kitchen_lights, attic, basement, vacuum = _tool_messages(
        model_server.chat_requests[1]
    )
    assert upstairs == {"devices": ["- Bedroom fan | fan | Bedroom | off", DESK_LIGHT]}
    assert temperature == {"devices": [KITCHEN_TEMPERATURE]}
    # A kind said in words: the kitchen's lights, not its coffee maker.
    assert sorted(kitchen_lights["devices"]) == sorted([CEILING_LIGHT, COUNTER_LIGHT, KITCHEN_LIGHT])
    assert attic == {"error": "No area is called Attic."}
    assert basement == {"error": "No floor is called Basement."}
    assert vacuum == {"error": "No exposed device matches; try fewer filters."}


def _by_meaning(request: RecordedRequest) -> EmbeddingReply:
    """Vectors that put the bedroom fan and stuffiness together, everything else elsewhere."""
    texts = request.json["input"] if request.json else []
    vectors = []
    for text in texts:
        near = "Bedroom fan" in text or "stuffy" in text
        vectors.append([1.0, 0.0, 0.0] if near else [0.0, 1.0, 0.0] if "Garden" in text else [0.0, 0.0, 1.0])
    return EmbeddingReply(vectors=vectors)


async def test_with_an_embedding_model_a_device_is_found_by_meaning(
    hass: HomeAssistant,
    model_server: ModelServer,
    house: House,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    hass.config_entries.async_update_entry(config_entry, options={CONF_EMBEDDING_MODEL: "test-embed"})
    model_server.embeddings.responder = _by_meaning
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.LOADED
    agent_id = next(
        entry.entity_id
        for entry in er.async_entries_for_config_entry(er.async_get(hass), config_entry.entry_id)
        if entry.domain == "conversation"
    )
    vectors = config_entry.runtime_data.home.vectors
    assert vectors is not None
    # The devices are embedded a while after the home last changed, in batches, not per turn.
    freezer.tick(60)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert vectors.ready
    # A memory, so that the memory's recall embeds what is said too.
    await hass.services.async_call(
        "aiassist", "remember", {"text": "The household likes it cool"}, blocking=True, return_response=True
    )
    embedded = len(model_server.embedding_requests)

    await converse(hass, agent_id, "It is stuffy, do something")

    # No word of its name was said; its meaning was.
    assert "- Bedroom fan | fan | Bedroom | off" in _shown(model_server.chat_requests[0])
    # The turn embedded only what was said, once for the memory and the home together.
    assert [body["input"] for body in model_server.embedding_requests[embedded:]] == [
        ["It is stuffy, do something"]
    ]
