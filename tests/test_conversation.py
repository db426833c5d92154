"""The agent, through conversation.async_converse and the scripted model server."""

import json
from typing import Any

import pytest

from custom_components.aiassist.const import CONF_MAX_TOOL_ITERATIONS
from homeassistant.components import conversation
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import chat_session, intent

from .conftest import AGENT_OPTIONS, Home, converse, speech
from .model_server import ModelServer, Reply, ToolCall

TURN_ON = "intent__HassTurnOn"


def _tool_names(request: dict[str, Any]) -> set[str]:
    return {tool["function"]["name"] for tool in request.get("tools", [])}


def _tool_messages(request: dict[str, Any]) -> list[dict[str, Any]]:
    return [json.loads(m["content"]) for m in request["messages"] if m["role"] == "tool"]


async def test_plain_answer_is_spoken(hass: HomeAssistant, model_server: ModelServer, agent_id: str) -> None:
    model_server.chat.add(Reply(content="Paris is the capital of France."))
    result = await converse(hass, agent_id, "What is the capital of France?")

    assert speech(result) == "Paris is the capital of France."
    assert result.response.response_type is intent.IntentResponseType.ACTION_DONE
    (request,) = model_server.chat_requests
    assert request["stream"] is True
    assert request["model"] == "test-model"
    assert request["temperature"] == 0.5
    assert request["max_tokens"] == 500
    assert request["messages"][0]["role"] == "system"
    assert request["messages"][0]["content"].startswith("You are a test assistant.")
    assert request["messages"][-1]["content"].endswith("What is the capital of France?")


async def test_entity_is_an_agent_that_streams_and_controls(hass: HomeAssistant, agent_id: str) -> None:
    state = hass.states.get(agent_id)
    assert state is not None
    assert state.attributes["supported_features"] == conversation.ConversationEntityFeature.CONTROL
    info = conversation.async_get_agent_info(hass, agent_id)
    assert info is not None
    assert info.supports_streaming


async def test_answer_arrives_as_deltas_before_the_end(
    hass: HomeAssistant, model_server: ModelServer, agent_id: str
) -> None:
    model_server.chat.add(Reply(content="One two three four five six."))
    deltas: list[dict[str, Any]] = []
    with (
        chat_session.async_get_chat_session(hass) as session,
        conversation.async_get_chat_log(
            hass, session, chat_log_delta_listener=lambda _log, delta: deltas.append(delta)
        ),
    ):
        result = await converse(hass, agent_id, "Count to six", conversation_id=session.conversation_id)

    assert deltas[0] == {"role": "assistant"}
    pieces = [delta["content"] for delta in deltas if "content" in delta]
    assert len(pieces) >= 3
    assert "".join(pieces) == "One two three four five six."
    assert speech(result) == "One two three four five six."


async def test_exposed_light_is_turned_on(
    hass: HomeAssistant, model_server: ModelServer, home: Home, agent_id: str
) -> None:
    model_server.chat.add(
        Reply(tool_calls=[ToolCall(TURN_ON, {"name": "Kitchen light"})]),
        Reply(content="The kitchen light is on."),
    )
    result = await converse(hass, agent_id, "Turn on the kitchen light")

    assert hass.states.get("light.kitchen_light").state == STATE_ON  # type: ignore[union-attr]
    assert speech(result) == "The kitchen light is on."
    first, second = model_server.chat_requests
    assert TURN_ON in _tool_names(first)
    (tool_result,) = _tool_messages(second)
    assert tool_result["response_type"] == "action_done"


async def test_unexposed_light_is_refused(
    hass: HomeAssistant, model_server: ModelServer, home: Home, agent_id: str
) -> None:
    model_server.chat.add(
        Reply(tool_calls=[ToolCall(TURN_ON, {"name": "Garage light"})]),
        Reply(content="I cannot control the garage light."),
    )
    result = await converse(hass, agent_id, "Turn on the garage light")

    assert hass.states.get("light.garage_light").state == STATE_OFF  # type: ignore[union-attr]
    assert speech(result) == "I cannot control the garage light."
    (tool_result,) = _tool_messages(model_server.chat_requests[1])
    assert "error" in tool_result
    assert "Garage light" not in model_server.chat_requests[0]["messages"][0]["content"]


async def test_several_tool_calls_in_one_turn(
    hass: HomeAssistant, model_server: ModelServer, home: Home, agent_id: str
) -> None:
    model_server.chat.add(
        Reply(
            tool_calls=[
                ToolCall(TURN_ON, {"name": "Kitchen light"}),
                ToolCall(TURN_ON, {"name": "Living Room light"}),
            ]
        ),
        Reply(content="Both lights are on."),
    )
    result = await converse(hass, agent_id, "Turn on the kitchen and living room lights")

    assert hass.states.get("light.kitchen_light").state == STATE_ON  # type: ignore[union-attr]
    assert hass.states.get("light.living_room_light").state == STATE_ON  # type: ignore[union-attr]
    assert speech(result) == "Both lights are on."
    assert len(_tool_messages(model_server.chat_requests[1])) == 2


@pytest.mark.parametrize("agent_options", [{**AGENT_OPTIONS, CONF_MAX_TOOL_ITERATIONS: 3}])
async def test_last_round_offers_no_tools_so_the_model_must_answer(
    hass: HomeAssistant, model_server: ModelServer, agent_id: str
) -> None:
    def endless_tools(request: Any) -> Reply:
        if "tools" in request.json:
            return Reply(tool_calls=[ToolCall("llm__GetDateTime", {})])
        return Reply(content="It is late.", tool_calls=[ToolCall("llm__GetDateTime", {})])

    model_server.chat.responder = endless_tools
    result = await converse(hass, agent_id, "What time is it?")

    assert speech(result) == "It is late."
    requests = model_server.chat_requests
    assert len(requests) == 3
    assert all("tools" in request for request in requests[:2])
    assert "tools" not in requests[2]
    # The tool call made without tools on offer was not run.
    assert len(_tool_messages(requests[2])) == 2


async def test_question_continues_the_conversation_and_keeps_history(
    hass: HomeAssistant, model_server: ModelServer, home: Home, agent_id: str
) -> None:
    model_server.chat.add(
        Reply(content="Which room do you mean?"),
        Reply(tool_calls=[ToolCall(TURN_ON, {"name": "Kitchen light"})]),
        Reply(content="Done."),
    )
    first = await converse(hass, agent_id, "Turn on the light")
    assert first.continue_conversation

    second = await converse(hass, agent_id, "The kitchen", conversation_id=first.conversation_id)
    assert not second.continue_conversation
    assert speech(second) == "Done."
    messages = model_server.chat_requests[1]["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[1]["content"] == "Turn on the light"
    assert messages[2]["content"] == "Which room do you mean?"
    assert messages[3]["content"].endswith("The kitchen")


async def test_system_prompt_is_identical_across_turns_conversations_and_satellites(
    hass: HomeAssistant, model_server: ModelServer, home: Home, agent_id: str
) -> None:
    first = await converse(hass, agent_id, "Hello", device_id=home.kitchen_satellite)
    await converse(hass, agent_id, "And again", conversation_id=first.conversation_id)
    # The home changes between turns.
    await hass.services.async_call("light", "turn_on", {"entity_id": "light.kitchen_light"}, blocking=True)
    await converse(hass, agent_id, "Hello", device_id=home.bedroom_satellite)
    await converse(hass, agent_id, "Hello from the Assist dialog")

    systems = {request["messages"][0]["content"] for request in model_server.chat_requests}
    assert len(systems) == 1
    # The tools are byte-identical too: servers cache the prompt up to the first change.
    assert len({json.dumps(request["tools"]) for request in model_server.chat_requests}) == 1
    (system,) = systems
    # No device is in the cached prompt; each request shows those that may matter to it.
    assert "Kitchen light" not in system
    assert "Current time" not in system
    assert "You are in area" not in system
    # What changes comes with the request, after the cacheable history.
    kitchen_turn, _, bedroom_turn, dialog_turn = (
        r["messages"][-1]["content"] for r in model_server.chat_requests
    )
    assert "You are in area Kitchen" in kitchen_turn
    assert "- Kitchen light | light | Kitchen | off" in kitchen_turn
    assert "You are in area Bedroom" in bedroom_turn
    assert "You are in area" not in dialog_turn


async def test_extra_system_prompt_goes_with_the_request(
    hass: HomeAssistant, model_server: ModelServer, agent_id: str
) -> None:
    await conversation.async_converse(
        hass, "Hi", None, Context(), agent_id=agent_id, extra_system_prompt="The doorbell just rang."
    )
    (request,) = model_server.chat_requests
    assert "doorbell" not in request["messages"][0]["content"]
    assert "The doorbell just rang." in request["messages"][-1]["content"]


@pytest.mark.parametrize("agent_options", [{**AGENT_OPTIONS, "llm_hass_api": []}])
async def test_agent_without_home_control_gets_the_time_with_the_request(
    hass: HomeAssistant, model_server: ModelServer, agent_id: str
) -> None:
    assert not hass.states.get(agent_id).attributes.get("supported_features")  # type: ignore[union-attr]
    await converse(hass, agent_id, "What day is it?")
    (request,) = model_server.chat_requests
    # No home control: only AI Assist's own tools (memory, weather, shopping, reminders), no entity context.
    assert _tool_names(request) == {
        "aiassist__remember",
        "aiassist__search_memories",
        "aiassist__forget",
        "aiassist__weather_forecast",
        "aiassist__shopping_list",
        "aiassist__shopping_add",
        "aiassist__shopping_edit",
        "aiassist__set_reminder",
        "aiassist__list_reminders",
        "aiassist__cancel_reminder",
        "aiassist__snooze_reminder",
    }
    assert request["messages"][0]["content"].startswith(
        "You are a test assistant.\nYou have a long-term memory"
    )
    assert "Static Context" not in request["messages"][0]["content"]
    assert "Today's date is" in request["messages"][-1]["content"]


async def test_thinking_is_never_spoken(
    hass: HomeAssistant, model_server: ModelServer, agent_id: str
) -> None:
    model_server.chat.add(
        Reply(reasoning="The user wants 2+2.", content="<think>Add them up.</think>\n\nThe answer is 4.")
    )
    result = await converse(hass, agent_id, "What is 2+2?")
    assert speech(result) == "The answer is 4."

    with (
        chat_session.async_get_chat_session(hass, result.conversation_id) as session,
        conversation.async_get_chat_log(hass, session) as chat_log,
    ):
        answer = chat_log.content[-1]
    assert isinstance(answer, conversation.AssistantContent)
    assert answer.thinking_content == "The user wants 2+2.Add them up."
    assert answer.content == "The answer is 4."


async def test_speech_has_no_markdown_emoji_or_links(
    hass: HomeAssistant, model_server: ModelServer, agent_id: str
) -> None:
    model_server.chat.add(
        Reply(
            content="## Recipe\n**Pasta** is easy 😀 - see [the guide](https://example.com/pasta) "
            "or https://example.com for more.\n- Boil water\n- Add `salt`"
        )
    )
    result = await converse(hass, agent_id, "How do I cook pasta?")
    assert speech(result) == "Recipe\nPasta is easy - see the guide or for more.\nBoil water\nAdd salt"


async def test_numbers_times_dates_and_units_are_said_as_a_person_says_them(
    hass: HomeAssistant, model_server: ModelServer, agent_id: str
) -> None:
    model_server.chat.add(
        Reply(
            content="On 2026-12-01 at 14:30 it is -3°C, with 5-10 mm of snow, 80% humidity, wind at 12 km/h."
        )
    )
    result = await converse(hass, agent_id, "What's the weather tomorrow?")
    assert speech(result) == (
        "On December 1, 2026 at 2:30 PM it is minus 3 degrees Celsius, "
        "with 5 to 10 millimetres of snow, 80 percent humidity, wind at 12 kilometres per hour."
    )


async def test_a_chinese_answer_streams_and_reads_naturally(
    hass: HomeAssistant, model_server: ModelServer, agent_id: str
) -> None:
    model_server.chat.add(
        Reply(content="明天最高21°C，14:30有雨，湿度80%。记得07:00出门带伞！", chunk_size=3)
    )
    deltas: list[dict[str, Any]] = []
    with (
        chat_session.async_get_chat_session(hass) as session,
        conversation.async_get_chat_log(
            hass, session, chat_log_delta_listener=lambda _log, delta: deltas.append(delta)
        ),
    ):
        result = await converse(
            hass, agent_id, "明天天气怎么样？", conversation_id=session.conversation_id, language="zh-Hans"
        )

    # Chinese has no spaces: the text is still handed on as it is written, not at the end.
    pieces = [delta["content"] for delta in deltas if "content" in delta]
    assert len(pieces) >= 5
    assert speech(result) == "明天最高21摄氏度，下午2点半有雨，湿度百分之80。记得上午7点出门带伞！"


async def test_an_empty_answer_is_explained(
    hass: HomeAssistant, model_server: ModelServer, agent_id: str
) -> None:
    model_server.chat.add(Reply(content="<think>hmm</think>"))
    result = await converse(hass, agent_id, "Hmm?")
    assert speech(result) == "Sorry, something went wrong with the AI service. Please try again."


@pytest.mark.parametrize(
    "agent_options", [{**AGENT_OPTIONS, "llm_hass_api": ["assist", "removed_integration"]}]
)
async def test_an_llm_api_that_went_away_does_not_break_the_agent(
    hass: HomeAssistant, model_server: ModelServer, agent_id: str
) -> None:
    model_server.chat.add(Reply(content="Still here."))
    assert speech(await converse(hass, agent_id, "hello")) == "Still here."
    assert {"llm__GetDateTime", "aiassist__remember"} <= _tool_names(model_server.chat_requests[0])
