"""When the model server fails: the home keeps working and the user hears a clear sentence."""

import logging
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant import config_entries
from homeassistant.const import STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant

from .conftest import Home, converse, speech
from .model_server import Fault, ModelServer, Reply

UNAVAILABLE = (
    "Sorry, the AI service is unavailable right now, and Home Assistant could not do that on its own."
)
BUSY = "Sorry, the AI service is busy. Please try again in a moment."
ERROR = "Sorry, something went wrong with the AI service. Please try again."


def _logged(caplog: pytest.LogCaptureFixture, text: str) -> int:
    return sum(
        1
        for record in caplog.records
        if record.name == "custom_components.aiassist"
        and record.levelno >= logging.INFO
        and text in record.getMessage()
    )


async def test_server_down_the_built_in_agent_still_turns_on_the_light(
    hass: HomeAssistant, model_server: ModelServer, home: Home, agent_id: str
) -> None:
    await model_server.down()
    result = await converse(hass, agent_id, "turn on the kitchen light")

    assert hass.states.get("light.kitchen_light").state == STATE_ON  # type: ignore[union-attr]
    assert speech(result) == "Turned on the light"


async def test_server_down_and_a_sentence_only_the_ai_understands(
    hass: HomeAssistant, model_server: ModelServer, agent_id: str
) -> None:
    await model_server.down()
    result = await converse(hass, agent_id, "tell me a joke about penguins")
    assert speech(result) == UNAVAILABLE


async def test_server_down_goes_unavailable_logs_once_and_recovers(
    hass: HomeAssistant, model_server: ModelServer, agent_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    await model_server.down()
    for _ in range(3):
        assert speech(await converse(hass, agent_id, "tell me a joke")) == UNAVAILABLE
    assert hass.states.get(agent_id).state == STATE_UNAVAILABLE  # type: ignore[union-attr]
    assert _logged(caplog, "is unavailable") == 1

    await model_server.up()
    model_server.chat.add(Reply(content="Why did the penguin cross the ice?"))
    assert speech(await converse(hass, agent_id, "tell me a joke")) == "Why did the penguin cross the ice?"
    assert hass.states.get(agent_id).state != STATE_UNAVAILABLE  # type: ignore[union-attr]
    assert _logged(caplog, "is available again") == 1


async def test_timeout_falls_back(
    hass: HomeAssistant,
    model_server: ModelServer,
    config_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("custom_components.aiassist.api.REQUEST_TIMEOUT", 0.3)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    (subentry,) = config_entry.subentries.values()
    agent_id = f"conversation.{subentry.title.lower().replace(' ', '_')}"
    model_server.chat.add(Reply(content="too late", delay=3), Reply(content="too late", delay=3))
    assert speech(await converse(hass, agent_id, "tell me a joke")) == UNAVAILABLE


async def test_stream_cut_in_the_middle_falls_back(
    hass: HomeAssistant, model_server: ModelServer, agent_id: str
) -> None:
    model_server.chat.add(Reply(content="This answer will never be finished by the server", cut_after=3))
    assert speech(await converse(hass, agent_id, "tell me a story")) == UNAVAILABLE


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_error_is_retried_once_then_falls_back(
    hass: HomeAssistant, model_server: ModelServer, agent_id: str, status: int
) -> None:
    model_server.chat.add(Fault(status=status), Fault(status=status))
    assert speech(await converse(hass, agent_id, "tell me a joke")) == UNAVAILABLE
    assert len(model_server.chat_requests) == 2


async def test_server_error_once_is_invisible(
    hass: HomeAssistant, model_server: ModelServer, agent_id: str
) -> None:
    model_server.chat.add(Fault(status=503), Reply(content="Here is a joke."))
    assert speech(await converse(hass, agent_id, "tell me a joke")) == "Here is a joke."


async def test_rejected_key_starts_reauth(
    hass: HomeAssistant, model_server: ModelServer, setup_integration: MockConfigEntry, agent_id: str
) -> None:
    model_server.chat.add(Fault.unauthorized())
    result = await converse(hass, agent_id, "hello")
    await hass.async_block_till_done()

    assert (
        speech(result)
        == "Sorry, the AI service rejected my API key. Please update it in the AI Assist settings."
    )
    (flow,) = hass.config_entries.flow.async_progress()
    assert flow["context"]["source"] == config_entries.SOURCE_REAUTH
    assert flow["context"]["entry_id"] == setup_integration.entry_id


async def test_missing_model_is_named(hass: HomeAssistant, model_server: ModelServer, agent_id: str) -> None:
    model_server.chat.add(Fault.model_not_found("test-model"))
    result = await converse(hass, agent_id, "hello")
    assert speech(result) == (
        "Sorry, the AI service has no model called test-model. "
        "Please pick another model in the AI Assist settings."
    )


async def test_rate_limit_honours_retry_after_once(
    hass: HomeAssistant, model_server: ModelServer, agent_id: str
) -> None:
    model_server.chat.add(Fault.rate_limited(retry_after=0.1), Reply(content="Made it."))
    assert speech(await converse(hass, agent_id, "hello")) == "Made it."
    assert len(model_server.chat_requests) == 2


async def test_rate_limit_twice_says_busy(
    hass: HomeAssistant, model_server: ModelServer, agent_id: str
) -> None:
    model_server.chat.add(Fault.rate_limited(retry_after=0.1), Fault.rate_limited(retry_after=0.1))
    assert speech(await converse(hass, agent_id, "hello")) == BUSY
    assert len(model_server.chat_requests) == 2


@pytest.mark.parametrize(
    "reply",
    [
        Reply(content="Half an answer", malformed=True),
        Fault(status=400, body={"error": {"message": "context length exceeded"}}),
    ],
)
async def test_broken_answers_are_explained(
    hass: HomeAssistant, model_server: ModelServer, agent_id: str, reply: Any
) -> None:
    model_server.chat.add(reply)
    assert speech(await converse(hass, agent_id, "hello")) == ERROR


async def test_unexpected_errors_are_a_sentence_not_a_traceback(
    hass: HomeAssistant, model_server: ModelServer, agent_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*_: Any, **__: Any) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr("custom_components.aiassist.conversation.async_build_context", explode)
    assert speech(await converse(hass, agent_id, "hello")) == ERROR


async def test_the_user_hears_it_in_their_language(
    hass: HomeAssistant, model_server: ModelServer, agent_id: str
) -> None:
    await model_server.down()
    result = await converse(hass, agent_id, "给我讲个笑话", language="zh-Hans")
    assert speech(result) == "抱歉，AI 服务现在不可用，Home Assistant 自己也无法完成这个请求。"


async def test_a_language_we_do_not_speak_gets_english(
    hass: HomeAssistant, model_server: ModelServer, agent_id: str
) -> None:
    model_server.chat.add(Fault.rate_limited(retry_after=0.1), Fault.rate_limited(retry_after=0.1))
    assert speech(await converse(hass, agent_id, "Hallo", language="de")) == BUSY


async def test_history_stays_whole_after_a_failure(
    hass: HomeAssistant, model_server: ModelServer, agent_id: str
) -> None:
    model_server.chat.add(Fault.rate_limited(retry_after=0.1), Fault.rate_limited(retry_after=0.1))
    first = await converse(hass, agent_id, "hello")
    await converse(hass, agent_id, "are you there?", conversation_id=first.conversation_id)
    roles = [m["role"] for m in model_server.chat_requests[-1]["messages"]]
    assert roles == ["system", "user", "assistant", "user"]
