"""Conversations that follow a person from satellite to satellite, and learning when one goes quiet."""

from datetime import timedelta
import json
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.aiassist.const import CONF_LEARN, LEARN_AFTER_IDLE
from homeassistant.components import conversation
from homeassistant.core import Context, HomeAssistant
from homeassistant.util import dt as dt_util

from .conftest import AGENT_OPTIONS, Home, People, converse
from .model_server import ModelServer, Reply
from .test_memory import ANNA_LIST, HOUSEHOLD_LIST, texts


@pytest.fixture
async def satellites(
    hass: HomeAssistant, people: People, home: Home, setup_integration: MockConfigEntry, agent_id: str
) -> Home:
    """The kitchen satellite is Anna's, the bedroom one Ben's."""
    (subentry,) = setup_integration.subentries.values()
    hass.config_entries.async_update_subentry(
        setup_integration,
        subentry,
        data={
            **subentry.data,
            "satellites": {"anna": [home.kitchen_satellite], "ben": [home.bedroom_satellite]},
        },
    )
    await hass.async_block_till_done()
    return home


def history(request: dict[str, Any]) -> list[tuple[str, str]]:
    return [(m["role"], m["content"]) for m in request["messages"][1:-1]]


async def test_a_conversation_continues_on_another_device_within_the_window(
    hass: HomeAssistant, model_server: ModelServer, satellites: Home, people: People, agent_id: str
) -> None:
    model_server.chat.add(
        Reply(content="Sunny and 21 degrees in Berlin today."), Reply(content="Rain tomorrow.")
    )
    await converse(hass, agent_id, "What's the weather in Berlin?", device_id=satellites.kitchen_satellite)
    # Anna walks to another room and asks the Assist dialog, logged in as herself.
    await conversation.async_converse(
        hass, "and tomorrow?", None, Context(user_id=people.anna_user.id), agent_id=agent_id
    )
    assert history(model_server.chat_requests[1]) == [
        ("user", "What's the weather in Berlin?"),
        ("assistant", "Sunny and 21 degrees in Berlin today."),
    ]


async def test_nothing_carries_over_after_the_window(
    hass: HomeAssistant,
    model_server: ModelServer,
    satellites: Home,
    people: People,
    agent_id: str,
    freezer: FrozenDateTimeFactory,
) -> None:
    await converse(hass, agent_id, "What's the weather in Berlin?", device_id=satellites.kitchen_satellite)
    freezer.tick(timedelta(minutes=6))
    await converse(hass, agent_id, "and tomorrow?", device_id=satellites.kitchen_satellite)
    assert history(model_server.chat_requests[1]) == []


async def test_two_people_never_see_each_others_turns(
    hass: HomeAssistant, model_server: ModelServer, satellites: Home, agent_id: str
) -> None:
    await converse(
        hass, agent_id, "Remind me of my doctor's appointment", device_id=satellites.kitchen_satellite
    )
    await converse(hass, agent_id, "and tomorrow?", device_id=satellites.bedroom_satellite)
    assert history(model_server.chat_requests[1]) == []
    assert "doctor" not in str(model_server.chat_requests[1])


async def test_unknown_speakers_carry_nothing_over(
    hass: HomeAssistant,
    model_server: ModelServer,
    people: People,
    setup_integration: MockConfigEntry,
    agent_id: str,
) -> None:
    await converse(hass, agent_id, "My secret is 1234")
    await converse(hass, agent_id, "what did I just say?")
    assert "1234" not in str(model_server.chat_requests[1])


async def test_the_carried_turns_stay_for_the_whole_new_conversation(
    hass: HomeAssistant, model_server: ModelServer, satellites: Home, agent_id: str
) -> None:
    model_server.chat.add(Reply(content="It is 21 degrees."), Reply(content="Rain."), Reply(content="Wind."))
    await converse(hass, agent_id, "Weather in Berlin?", device_id=satellites.kitchen_satellite)
    second = await converse(hass, agent_id, "tomorrow?", device_id=satellites.kitchen_satellite)
    await converse(hass, agent_id, "and the wind?", conversation_id=second.conversation_id)
    roles = [m["role"] for m in model_server.chat_requests[2]["messages"]]
    assert roles == ["system", "user", "assistant", "user", "assistant", "user"]


async def test_recent_context_survives_a_restart(
    hass: HomeAssistant,
    model_server: ModelServer,
    satellites: Home,
    agent_id: str,
    setup_integration: MockConfigEntry,
) -> None:
    model_server.chat.add(Reply(content="It is 21 degrees."))
    await converse(hass, agent_id, "Weather in Berlin?", device_id=satellites.kitchen_satellite)
    assert await hass.config_entries.async_reload(setup_integration.entry_id)
    await hass.async_block_till_done()
    await converse(hass, agent_id, "and tomorrow?", device_id=satellites.kitchen_satellite)
    assert history(model_server.chat_requests[1]) == [
        ("user", "Weather in Berlin?"),
        ("assistant", "It is 21 degrees."),
    ]


@pytest.mark.parametrize("agent_options", [{**AGENT_OPTIONS, CONF_LEARN: True}])
async def test_learning_from_a_quiet_conversation(
    hass: HomeAssistant, model_server: ModelServer, people: People, satellites: Home, agent_id: str
) -> None:
    model_server.chat.add(Reply(content="Enjoy your tea!"))
    await converse(
        hass, agent_id, "I only drink green tea after lunch", device_id=satellites.kitchen_satellite
    )
    model_server.chat.add(
        Reply(
            content="```json\n"
            + json.dumps(
                {
                    "memories": [
                        {"text": "Anna drinks green tea after lunch", "about": "speaker", "kind": "routine"},
                        {"text": "The household has a kettle", "about": "household"},
                        {"oops": 1},
                    ]
                }
            )
            + "\n```"
        )
    )
    async_fire_time_changed(hass, _later(LEARN_AFTER_IDLE))
    await hass.async_block_till_done()

    learn = model_server.chat_requests[-1]
    assert learn.get("stream") is not True
    assert "I only drink green tea after lunch" in learn["messages"][1]["content"]
    assert await texts(hass, ANNA_LIST) == ["Anna drinks green tea after lunch"]
    assert await texts(hass, HOUSEHOLD_LIST) == ["The household has a kettle"]


async def test_learning_is_off_by_default(
    hass: HomeAssistant, model_server: ModelServer, people: People, satellites: Home, agent_id: str
) -> None:
    await converse(
        hass, agent_id, "I only drink green tea after lunch", device_id=satellites.kitchen_satellite
    )
    async_fire_time_changed(hass, _later(LEARN_AFTER_IDLE))
    await hass.async_block_till_done()
    assert len(model_server.chat_requests) == 1


def _later(seconds: float) -> Any:
    return dt_util.utcnow() + timedelta(seconds=seconds + 1)
