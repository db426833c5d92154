"""Confirmation before risky actions: held in code, whatever the model does, on every path."""

from types import MappingProxyType
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.aiassist.const import CONF_CONFIRMATION, CONF_PIN, CONF_SENSITIVE
from homeassistant.components import conversation
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import Event, HomeAssistant
from homeassistant.setup import async_setup_component

from .conftest import AGENT_OPTIONS, Home, converse, speech
from .model_server import ModelServer, Reply, ToolCall

UNLOCK = ToolCall("intent__HassTurnOff", {"name": "Front door"})
QUESTION = "Do you want me to unlock Front door?"


def _locked(hass: HomeAssistant) -> bool:
    return hass.states.get("lock.front_door").state == "locked"  # type: ignore[union-attr]


def _unlocks(calls: list[Event]) -> int:
    return sum(call.data["service"] == "unlock" for call in calls)


async def test_unlocking_waits_for_a_yes_from_the_same_satellite(
    hass: HomeAssistant, model_server: ModelServer, home: Home, doors: list[Event], agent_id: str
) -> None:
    assert _locked(hass)
    model_server.chat.add(Reply(tool_calls=[UNLOCK]), Reply(content="I unlocked the front door."))

    asked = await converse(hass, agent_id, "unlock the front door", device_id=home.kitchen_satellite)

    assert speech(asked) == QUESTION
    assert asked.continue_conversation  # the satellite keeps listening for the answer
    assert _locked(hass)
    assert len(model_server.chat_requests) == 1  # the model is not asked to go on

    done = await converse(hass, agent_id, "Yes, please.", asked.conversation_id, home.kitchen_satellite)

    assert speech(done) == "Done."
    assert not _locked(hass)
    assert _unlocks(doors) == 1
    assert len(model_server.chat_requests) == 1  # a yes is answered without the model


async def test_a_model_that_calls_twice_and_claims_it_is_done_still_waits(
    hass: HomeAssistant, model_server: ModelServer, home: Home, doors: list[Event], agent_id: str
) -> None:
    model_server.chat.add(
        Reply(content="I've unlocked the front door for you.", tool_calls=[UNLOCK, UNLOCK]),
        Reply(content="Done, the front door is unlocked."),
    )

    asked = await converse(hass, agent_id, "let me in", device_id=home.kitchen_satellite)

    assert speech(asked) == QUESTION
    assert _locked(hass)
    assert _unlocks(doors) == 0

    await converse(hass, agent_id, "yes", asked.conversation_id, home.kitchen_satellite)
    assert _unlocks(doors) == 1  # the same call twice runs once


@pytest.mark.parametrize(
    ("answer", "same_conversation", "same_satellite"),
    [
        ("No, leave it.", True, True),
        ("what's the time?", True, True),
        ("yes", True, False),
        ("yes", False, True),
    ],
    ids=["no", "something-else", "another-satellite", "new-conversation"],
)
async def test_anything_but_a_yes_in_the_same_conversation_drops_it(
    hass: HomeAssistant,
    model_server: ModelServer,
    home: Home,
    doors: list[Event],
    agent_id: str,
    answer: str,
    same_conversation: bool,
    same_satellite: bool,
) -> None:
    model_server.chat.add(Reply(tool_calls=[UNLOCK]))
    asked = await converse(hass, agent_id, "unlock the front door", device_id=home.kitchen_satellite)
    model_server.chat.add(Reply(content="Something else."), Reply(content="Something else."))

    reply = await converse(
        hass,
        agent_id,
        answer,
        asked.conversation_id if same_conversation else None,
        home.kitchen_satellite if same_satellite else home.bedroom_satellite,
    )
    if answer.startswith("No"):
        assert speech(reply) == "OK, I won't."
    # Whatever came between, a later yes finds nothing held.
    await converse(hass, agent_id, "yes", asked.conversation_id, home.kitchen_satellite)

    assert _locked(hass)
    assert _unlocks(doors) == 0


async def test_silence_drops_it(
    hass: HomeAssistant,
    model_server: ModelServer,
    home: Home,
    doors: list[Event],
    agent_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("custom_components.aiassist.confirm.CONFIRM_WINDOW", -1.0)
    model_server.chat.add(Reply(tool_calls=[UNLOCK]), Reply(content="Yes to what?"))
    asked = await converse(hass, agent_id, "unlock the front door", device_id=home.kitchen_satellite)

    late = await converse(hass, agent_id, "yes", asked.conversation_id, home.kitchen_satellite)

    assert speech(late) == "Yes to what?"
    assert _locked(hass)


async def test_opening_the_garage_asks_closing_it_and_the_lights_do_not(
    hass: HomeAssistant, model_server: ModelServer, home: Home, doors: list[Event], agent_id: str
) -> None:
    model_server.chat.add(
        Reply(tool_calls=[ToolCall("intent__HassTurnOn", {"name": "Garage door"})]),
        Reply(tool_calls=[ToolCall("intent__HassTurnOn", {"name": "Kitchen light"})]),
        Reply(content="The kitchen light is on."),
        Reply(tool_calls=[ToolCall("intent__HassTurnOn", {"name": "Front door"})]),
        Reply(content="Locked."),
    )

    asked = await converse(hass, agent_id, "open the garage", device_id=home.kitchen_satellite)
    assert speech(asked) == "Do you want me to open Garage door?"
    assert hass.states.get("cover.garage_door").state == "closed"  # type: ignore[union-attr]

    light = await converse(hass, agent_id, "kitchen light on", device_id=home.kitchen_satellite)
    assert speech(light) == "The kitchen light is on."
    assert hass.states.get("light.kitchen_light").state == "on"  # type: ignore[union-attr]

    lock = await converse(hass, agent_id, "lock the front door", device_id=home.kitchen_satellite)
    assert speech(lock) == "Locked."  # locking is safe: it runs at once


@pytest.mark.parametrize(
    "agent_options",
    [{**AGENT_OPTIONS, CONF_CONFIRMATION: {CONF_SENSITIVE: ["light.kitchen_light"], CONF_PIN: "4321"}}],
)
async def test_a_sensitive_entity_and_a_spoken_pin(
    hass: HomeAssistant,
    model_server: ModelServer,
    home: Home,
    doors: list[Event],
    agent_id: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    satellite = home.kitchen_satellite
    model_server.chat.add(Reply(tool_calls=[ToolCall("intent__HassTurnOn", {"name": "Kitchen light"})]))
    asked = await converse(hass, agent_id, "kitchen light on", device_id=satellite)
    assert speech(asked) == "Do you want me to go ahead with Kitchen light? Say your PIN to confirm."

    wrong = await converse(hass, agent_id, "yes", asked.conversation_id, satellite)
    assert speech(wrong) == "Without the right PIN, I did nothing."
    assert hass.states.get("light.kitchen_light").state == "off"  # type: ignore[union-attr]

    model_server.chat.add(Reply(tool_calls=[UNLOCK]))
    asked = await converse(hass, agent_id, "unlock the front door", asked.conversation_id, satellite)
    done = await converse(hass, agent_id, "yes, four three two one", asked.conversation_id, satellite)
    assert speech(done) == "Done."
    assert not _locked(hass)

    # Speech engines write digits many ways: full-width digits as Chinese engines do, and other scripts.
    for said, heard in (
        ("好的，４３２１", "好了。"),
        ("yes ٤٣٢١", "Done."),
        ("yes 1234", "Without the right PIN, I did nothing."),
    ):
        model_server.chat.add(Reply(tool_calls=[UNLOCK]))
        asked = await converse(hass, agent_id, "unlock the front door", asked.conversation_id, satellite)
        language = "zh-Hans" if said.startswith("好") else "en"
        answer = await converse(hass, agent_id, said, asked.conversation_id, satellite, language=language)
        assert speech(answer) == heard

    model_server.chat.add(Reply(content="You're welcome."))
    await converse(hass, agent_id, "thanks", asked.conversation_id, satellite)
    sent = str(model_server.chat_requests[-1]["messages"])
    assert "thanks" in sent
    assert "four three two one" not in sent
    ours = [record.getMessage() for record in caplog.records if record.name.startswith("custom_components")]
    assert ours
    assert not [message for message in ours if "four three two one" in message]


async def test_with_the_model_down_the_fallback_asks_too(
    hass: HomeAssistant, model_server: ModelServer, home: Home, doors: list[Event], agent_id: str
) -> None:
    await model_server.down()

    asked = await converse(hass, agent_id, "unlock the front door", device_id=home.kitchen_satellite)
    assert speech(asked) == QUESTION
    assert asked.continue_conversation
    assert _locked(hass)

    light = await converse(hass, agent_id, "turn on the kitchen light", device_id=home.kitchen_satellite)
    assert speech(light) == "Turned on the light"  # anything else runs at once, as before

    asked = await converse(
        hass, agent_id, "unlock the front door", light.conversation_id, home.kitchen_satellite
    )
    done = await converse(hass, agent_id, "yes", asked.conversation_id, home.kitchen_satellite)
    assert not _locked(hass)
    assert speech(done) == "Done."


async def test_with_the_model_down_a_sentence_that_cannot_be_checked_is_not_run(
    hass: HomeAssistant, model_server: ModelServer, home: Home, doors: list[Event], agent_id: str
) -> None:
    await model_server.down()
    with patch(
        "homeassistant.components.conversation.default_agent.DefaultAgent.async_recognize_intent",
        side_effect=RuntimeError("broken sentences"),
    ):
        result = await converse(hass, agent_id, "unlock the front door", device_id=home.kitchen_satellite)

    assert _locked(hass)
    assert speech(result).startswith("Sorry, the AI service is unavailable")


async def test_the_question_and_the_answer_in_chinese(
    hass: HomeAssistant, model_server: ModelServer, home: Home, doors: list[Event], agent_id: str
) -> None:
    model_server.chat.add(Reply(tool_calls=[UNLOCK]))
    satellite = home.kitchen_satellite

    asked = await converse(hass, agent_id, "打开前门的锁", device_id=satellite, language="zh-Hans")
    assert speech(asked) == "要我解锁Front door吗？"

    no = await converse(hass, agent_id, "不要", asked.conversation_id, satellite, language="zh-Hans")
    assert speech(no) == "好的，不做了。"

    model_server.chat.add(Reply(tool_calls=[UNLOCK]))
    asked = await converse(
        hass, agent_id, "打开前门的锁", asked.conversation_id, satellite, language="zh-Hans"
    )
    done = await converse(hass, agent_id, "好的", asked.conversation_id, satellite, language="zh-Hans")
    assert speech(done) == "好了。"
    assert not _locked(hass)


async def test_the_pin_is_checked_when_saved(hass: HomeAssistant, setup_integration: MockConfigEntry) -> None:
    flow = await hass.config_entries.subentries.async_init(
        (setup_integration.entry_id, "conversation"), context={"source": "user"}
    )
    form = {"name": "Door agent", "model": "test-model", "temperature": 0.5, "max_tokens": 500,
            "max_tool_iterations": 5, "recall_budget": 400, "home_budget": 400,
            "continuation_window": 5, "learn": False}  # fmt: skip
    result = await hass.config_entries.subentries.async_configure(
        flow["flow_id"], {**form, CONF_CONFIRMATION: {CONF_PIN: "12a4"}}
    )
    assert result["errors"] == {CONF_CONFIRMATION: "invalid_pin"}

    result = await hass.config_entries.subentries.async_configure(
        flow["flow_id"], {**form, CONF_CONFIRMATION: {CONF_PIN: "12 34", CONF_SENSITIVE: ["lock.front_door"]}}
    )
    assert result["type"] == "create_entry"
    assert result["data"][CONF_CONFIRMATION] == {CONF_PIN: "1234", CONF_SENSITIVE: ["lock.front_door"]}


@pytest.mark.parametrize(
    "agent_options", [{**AGENT_OPTIONS, CONF_CONFIRMATION: {CONF_SENSITIVE: ["script.disarm_the_alarm"]}}]
)
async def test_a_script_marked_sensitive_waits_too(
    hass: HomeAssistant, model_server: ModelServer, home: Home, agent_id: str
) -> None:
    turn_on = {"action": "input_boolean.turn_on", "target": {"entity_id": "input_boolean.garage"}}
    script = {"disarm_the_alarm": {"alias": "Alarm off", "sequence": [turn_on]}}
    assert await async_setup_component(hass, "script", {"script": script})
    async_expose_entity(hass, conversation.DOMAIN, "script.disarm_the_alarm", True)
    await converse(hass, agent_id, "hello")
    (tool,) = [
        t["function"]["name"]
        for t in model_server.chat_requests[-1]["tools"]
        if "disarm" in t["function"]["name"]
    ]
    model_server.chat.add(Reply(tool_calls=[ToolCall(tool)]))

    asked = await converse(hass, agent_id, "disarm the alarm", device_id=home.kitchen_satellite)
    assert speech(asked) == "Do you want me to go ahead with Alarm off?"
    assert hass.states.get("input_boolean.garage").state == "off"  # type: ignore[union-attr]

    await converse(hass, agent_id, "go ahead", asked.conversation_id, home.kitchen_satellite)
    await hass.async_block_till_done()
    assert hass.states.get("input_boolean.garage").state == "on"  # type: ignore[union-attr]


async def test_only_the_agent_that_asked_takes_the_yes(
    hass: HomeAssistant,
    model_server: ModelServer,
    home: Home,
    doors: list[Event],
    agent_id: str,
    setup_integration: MockConfigEntry,
) -> None:
    kids = ConfigSubentry(
        data=MappingProxyType(AGENT_OPTIONS), subentry_type="conversation", title="Kids", unique_id=None
    )
    hass.config_entries.async_add_subentry(setup_integration, kids)
    await hass.async_block_till_done()
    model_server.chat.add(Reply(tool_calls=[UNLOCK]), Reply(content="Yes what?"))
    asked = await converse(hass, agent_id, "unlock the front door", device_id=home.kitchen_satellite)

    # The satellite's pipeline now uses the other agent, in the same conversation.
    await converse(hass, "conversation.kids", "yes", asked.conversation_id, home.kitchen_satellite)
    await converse(hass, agent_id, "yes", asked.conversation_id, home.kitchen_satellite)

    assert _locked(hass)
