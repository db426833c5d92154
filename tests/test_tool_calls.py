"""Tool calls as small local models write them: repaired when unambiguous, else sent back."""

import json
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import async_mock_service

from homeassistant.components import conversation
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.components.media_player import MediaPlayerEntityFeature
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component

from .conftest import Home, converse, speech
from .model_server import ModelServer, Reply, ToolCall

TURN_ON = "intent__HassTurnOn"
MEDIA = "media_player__actions"


@pytest.mark.parametrize(
    "arguments",
    [
        '{"name": "Kitchen light"}',
        '"{\\"name\\": \\"Kitchen light\\"}"',
        '{"name": "Kitchen light"} I will turn it on now.',
        '```json\n{"name": "Kitchen light"}\n```',
        "{'name': 'Kitchen light'}",
    ],
    ids=["valid", "json-in-a-string", "trailing-text", "code-fence", "python-quotes"],
)
async def test_repairable_arguments_are_repaired(
    hass: HomeAssistant, model_server: ModelServer, home: Home, agent_id: str, arguments: str
) -> None:
    model_server.chat.add(Reply(tool_calls=[ToolCall(TURN_ON, arguments)]), Reply(content="Done."))
    assert speech(await converse(hass, agent_id, "Kitchen light on")) == "Done."
    assert hass.states.get("light.kitchen_light").state == STATE_ON  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "arguments",
    ['{"name": "Kitchen', '["Kitchen light"]', "turn on the kitchen light", '"Kitchen light"'],
    ids=["truncated", "a-list", "prose", "a-string"],
)
async def test_unreadable_arguments_go_back_to_the_model_which_corrects_them(
    hass: HomeAssistant, model_server: ModelServer, home: Home, agent_id: str, arguments: str
) -> None:
    model_server.chat.add(
        Reply(tool_calls=[ToolCall(TURN_ON, arguments, id="call_broken")]),
        Reply(tool_calls=[ToolCall(TURN_ON, {"name": "Kitchen light"})]),
        Reply(content="The kitchen light is on."),
    )
    result = await converse(hass, agent_id, "Kitchen light on")

    assert speech(result) == "The kitchen light is on."
    assert hass.states.get("light.kitchen_light").state == STATE_ON  # type: ignore[union-attr]
    messages = model_server.chat_requests[1]["messages"]
    call = next(m for m in messages if m["role"] == "assistant")["tool_calls"][0]
    assert call["id"] == "call_broken"
    assert json.loads(call["function"]["arguments"]) == {}
    error = json.loads(next(m for m in messages if m["role"] == "tool")["content"])
    assert error["error"] == "InvalidToolArguments"
    assert "valid JSON object" in error["error_text"]


async def test_unreadable_call_is_never_run_with_guessed_arguments(
    hass: HomeAssistant, model_server: ModelServer, home: Home, agent_id: str
) -> None:
    model_server.chat.add(
        Reply(tool_calls=[ToolCall(TURN_ON, '{"name": "Kitchen light", "area": ')]),
        Reply(content="Sorry, I could not do that."),
    )
    await converse(hass, agent_id, "Kitchen light on")
    assert hass.states.get("light.kitchen_light").state == STATE_OFF  # type: ignore[union-attr]


async def test_unknown_tool_is_an_error_the_model_sees(
    hass: HomeAssistant, model_server: ModelServer, agent_id: str
) -> None:
    model_server.chat.add(
        Reply(tool_calls=[ToolCall("MakeCoffee", {})]), Reply(content="I cannot make coffee.")
    )
    assert speech(await converse(hass, agent_id, "Make coffee")) == "I cannot make coffee."
    error = json.loads(
        next(m for m in model_server.chat_requests[1]["messages"] if m["role"] == "tool")["content"]
    )
    assert "not found" in error["error_text"]


async def test_tool_schemas_are_flat_for_local_servers(
    hass: HomeAssistant, model_server: ModelServer, home: Home, agent_id: str
) -> None:
    await converse(hass, agent_id, "hello")
    tools: list[dict[str, Any]] = model_server.chat_requests[0]["tools"]
    names = {tool["function"]["name"] for tool in tools}
    assert {"intent__HassTurnOn", "aiassist__find_devices", "llm__GetDateTime"} <= names
    # Core's live context, which returns the whole home, is replaced by find_devices.
    assert "homeassistant__GetLiveContext" not in names

    def unions(schema: Any) -> list[str]:
        if isinstance(schema, dict):
            found = [key for key in ("anyOf", "oneOf", "allOf") if key in schema]
            if isinstance(schema.get("type"), list):
                found.append("type-list")
            return found + [item for value in schema.values() for item in unions(value)]
        if isinstance(schema, list):
            return [item for value in schema for item in unions(value)]
        return []

    assert unions([tool["function"]["parameters"] for tool in tools]) == []
    for tool in tools:
        assert tool["function"]["parameters"]["type"] == "object"
    turn_on = next(tool for tool in tools if tool["function"]["name"] == "intent__HassTurnOn")
    # `domain` accepts a string or a list: flattened to the list, which accepts both meanings.
    assert turn_on["function"]["parameters"]["properties"]["domain"]["type"] == "array"


async def test_media_player_intents_are_one_tool_that_still_runs_them(
    hass: HomeAssistant, model_server: ModelServer, home: Home, agent_id: str
) -> None:
    # Loaded after AI Assist: its tools reach the agent without a restart.
    assert await async_setup_component(hass, "media_player", {})
    hass.states.async_set(
        "media_player.kitchen_speaker",
        "playing",
        {"friendly_name": "Kitchen speaker", "supported_features": MediaPlayerEntityFeature.PAUSE},
    )
    async_expose_entity(hass, conversation.DOMAIN, "media_player.kitchen_speaker", True)
    paused = async_mock_service(hass, "media_player", "media_pause")
    model_server.chat.add(
        Reply(tool_calls=[ToolCall(MEDIA, {"action": "MediaPause", "name": "Kitchen speaker"})]),
        Reply(tool_calls=[ToolCall(MEDIA, {"action": "Dance", "name": "Kitchen speaker"})]),
        Reply(content="Paused."),
    )

    assert speech(await converse(hass, agent_id, "Pause the kitchen speaker")) == "Paused."

    names = {tool["function"]["name"] for tool in model_server.chat_requests[0]["tools"]}
    assert MEDIA in names
    assert not {name for name in names if name.startswith("media_player__Hass")}
    # HA's own intent ran, on the entity it matched by name.
    assert [call.data["entity_id"] for call in paused] == ["media_player.kitchen_speaker"]
    unknown = json.loads(
        [m for m in model_server.chat_requests[2]["messages"] if m["role"] == "tool"][-1]["content"]
    )
    assert "Unknown action 'Dance'" in unknown["error"]
    assert "MediaPause" in unknown["error"]
