"""Long-term memory through conversations, the to-do lists and the services; private per person."""

import asyncio
import json
import logging
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.aiassist.const import DOMAIN
from homeassistant.components import conversation
from homeassistant.components.conversation import trace
from homeassistant.components.homeassistant.exposed_entities import async_should_expose
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError

from .conftest import API_KEY, People, converse, speech
from .model_server import ModelServer, Reply, ToolCall

REMEMBER = "aiassist__remember"
# The lists belong to the service's device, named after the entry ("AI Assist (127.0.0.1)").
ANNA_LIST = "todo.ai_assist_127_0_0_1_memory_anna"
BEN_LIST = "todo.ai_assist_127_0_0_1_memory_ben"
HOUSEHOLD_LIST = "todo.ai_assist_127_0_0_1_memory_household"


@pytest.fixture
async def agent(people: People, setup_integration: MockConfigEntry, agent_id: str) -> str:
    """The agent, with Anna and Ben known to Home Assistant before it loaded."""
    return agent_id


async def items(hass: HomeAssistant, entity_id: str) -> list[dict[str, Any]]:
    """A memory list's items, as the To-do dashboard reads them."""
    response = await hass.services.async_call(
        "todo", "get_items", {"entity_id": entity_id}, blocking=True, return_response=True
    )
    return list(response[entity_id]["items"])  # type: ignore[index, call-overload]


async def texts(hass: HomeAssistant, entity_id: str) -> list[str]:
    return [item["summary"] for item in await items(hass, entity_id)]


async def remember(hass: HomeAssistant, text: str, person: str | None = None) -> dict[str, Any]:
    data = {"text": text} | ({"person": person} if person else {})
    return await hass.services.async_call(DOMAIN, "remember", data, blocking=True, return_response=True)  # type: ignore[return-value]


def as_anna(people: People) -> Context:
    return Context(user_id=people.anna_user.id)


def context_block(request: dict[str, Any]) -> str:
    return str(request["messages"][-1]["content"])


async def test_told_once_remembered_in_the_persons_list(
    hass: HomeAssistant, model_server: ModelServer, people: People, agent: str
) -> None:
    model_server.chat.add(
        Reply(
            tool_calls=[
                ToolCall(REMEMBER, {"text": "Anna is a gluten-intolerant vegetarian", "kind": "preference"})
            ]
        ),
        Reply(content="Noted."),
    )
    result = await converse_as(hass, agent, "I'm a gluten-intolerant vegetarian", as_anna(people))

    assert speech(result) == "Noted."
    assert await texts(hass, ANNA_LIST) == ["Anna is a gluten-intolerant vegetarian"]
    assert await texts(hass, BEN_LIST) == []
    assert (await items(hass, ANNA_LIST))[0]["description"].startswith("Preference · from a conversation · ")


async def test_recalled_later_after_the_cached_prompt(
    hass: HomeAssistant, model_server: ModelServer, people: People, agent: str
) -> None:
    await remember(hass, "Anna is a gluten-intolerant vegetarian", "person.anna")
    await remember(hass, "The family eats dinner at 7 pm")
    await converse_as(hass, agent, "What should I cook for dinner? Something vegetarian", as_anna(people))

    (request,) = model_server.chat_requests
    assert "vegetarian" not in request["messages"][0]["content"]
    block = context_block(request)
    assert "The person speaking is Anna." in block
    assert "Anna is a gluten-intolerant vegetarian" in block
    assert "The family eats dinner at 7 pm" in block


async def test_recall_stays_within_the_budget(
    hass: HomeAssistant, model_server: ModelServer, people: People, agent: str
) -> None:
    for number in range(60):
        await remember(hass, f"Anna likes dinner recipe number {number} with plenty of garlic", "person.anna")
    await converse_as(hass, agent, "Which dinner recipe do I like?", as_anna(people))
    block = context_block(model_server.chat_requests[0])
    recalled = [line for line in block.splitlines() if line.startswith("- [")]
    assert 0 < len(recalled) < 60
    assert sum(len(line) for line in recalled) <= 400 * 4


async def test_restating_updates_instead_of_duplicating(
    hass: HomeAssistant, model_server: ModelServer, people: People, agent: str
) -> None:
    await remember(hass, "Anna is vegetarian", "person.anna")
    model_server.chat.add(
        Reply(tool_calls=[ToolCall(REMEMBER, {"text": "Anna is a vegetarian"})]), Reply(content="I know.")
    )
    await converse_as(hass, agent, "Remember that I'm a vegetarian", as_anna(people))
    assert await texts(hass, ANNA_LIST) == ["Anna is a vegetarian"]


async def test_a_contradiction_replaces_the_old_memory(
    hass: HomeAssistant, model_server: ModelServer, people: People, agent: str
) -> None:
    munich = (await remember(hass, "Anna lives in Munich", "person.anna"))["memory"]
    model_server.chat.add(
        Reply(tool_calls=[ToolCall(REMEMBER, {"text": "Anna lives in Berlin", "replaces": munich["id"]})]),
        Reply(content="Congratulations on the move!"),
    )
    await converse_as(hass, agent, "I moved to Berlin", as_anna(people))

    assert await texts(hass, ANNA_LIST) == ["Anna lives in Berlin"]
    tool_result = json.loads(
        next(m for m in model_server.chat_requests[1]["messages"] if m["role"] == "tool")["content"]
    )
    assert tool_result["updated"]["id"] == munich["id"]


async def test_replacing_someone_elses_memory_is_impossible(
    hass: HomeAssistant, model_server: ModelServer, people: People, agent: str
) -> None:
    bens = (await remember(hass, "Ben lives in Munich", "person.ben"))["memory"]
    model_server.chat.add(
        Reply(tool_calls=[ToolCall(REMEMBER, {"text": "Anna lives in Berlin", "replaces": bens["id"]})]),
        Reply(content="Noted."),
    )
    await converse_as(hass, agent, "I live in Berlin", as_anna(people))
    assert await texts(hass, BEN_LIST) == ["Ben lives in Munich"]
    assert await texts(hass, ANNA_LIST) == ["Anna lives in Berlin"]


async def test_forget_through_conversation(
    hass: HomeAssistant, model_server: ModelServer, people: People, agent: str
) -> None:
    memory = (await remember(hass, "Anna hates coriander", "person.anna"))["memory"]
    model_server.chat.add(
        Reply(tool_calls=[ToolCall("aiassist__forget", {"memory_id": memory["id"]})]),
        Reply(content="Forgotten."),
    )
    await converse_as(hass, agent, "Forget that I hate coriander", as_anna(people))
    assert await texts(hass, ANNA_LIST) == []


async def test_another_persons_memories_never_reach_the_model(
    hass: HomeAssistant, model_server: ModelServer, people: People, agent: str
) -> None:
    anna = (await remember(hass, "Anna is allergic to penicillin", "person.anna"))["memory"]
    await remember(hass, "Ben is allergic to shellfish", "person.ben")
    model_server.chat.add(
        Reply(
            tool_calls=[
                ToolCall("aiassist__search_memories", {"query": "allergic penicillin"}),
                ToolCall("aiassist__forget", {"memory_id": anna["id"]}),
            ]
        ),
        Reply(content="You are allergic to shellfish."),
    )
    # Ben, on his own satellite-less dialog: he says who he is.
    await converse(hass, agent, "It's Ben. What am I allergic to?")

    everything = json.dumps(model_server.chat_requests)
    assert "penicillin" not in everything.replace("allergic penicillin", "")
    assert "Ben is allergic to shellfish" in everything
    assert await texts(hass, ANNA_LIST) == ["Anna is allergic to penicillin"]


async def test_unknown_speaker_sees_household_memories_only(
    hass: HomeAssistant, model_server: ModelServer, people: People, agent: str
) -> None:
    await remember(hass, "Anna's PIN for the bank is secret", "person.anna")
    await remember(hass, "The wifi password is on the fridge")
    model_server.chat.add(
        Reply(tool_calls=[ToolCall(REMEMBER, {"text": "I like jazz"})]),
        Reply(content="Who is this?"),
    )
    result = await converse(hass, agent, "What is the wifi password and my bank PIN?")

    block = context_block(model_server.chat_requests[0])
    assert "The wifi password is on the fridge" in block
    assert "PIN" not in block.replace("bank PIN?", "")
    assert "The speaker is unknown" in block
    # An unknown speaker's "I like jazz" belongs to no one: the model is told to ask.
    tool_result = json.loads(
        next(m for m in model_server.chat_requests[1]["messages"] if m["role"] == "tool")["content"]
    )
    assert "unknown" in tool_result["error"]
    assert result.continue_conversation


async def test_speaker_is_the_user_then_the_satellites_owner_then_a_name_then_the_household(
    hass: HomeAssistant, model_server: ModelServer, people: People, agent: str, home: Any
) -> None:
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    (subentry,) = entry.subentries.values()
    hass.config_entries.async_update_subentry(
        entry, subentry, data={**subentry.data, "satellites": {"ben": [home.bedroom_satellite]}}
    )
    await hass.async_block_till_done()

    async def speaker_of(text: str, **kwargs: Any) -> tuple[str | None, str]:
        trace.async_clear_traces()
        await conversation.async_converse(
            hass,
            text,
            kwargs.pop("conversation_id", None),
            Context(**kwargs.pop("context", {})),
            agent_id=agent,
            **kwargs,
        )
        (turn,) = trace.async_get_traces()
        (found,) = [e["data"]["speaker"] for e in turn.as_dict()["events"] if "speaker" in e["data"]]
        return found["name"], found["resolved_by"]

    assert await speaker_of("hello", context={"user_id": people.anna_user.id}) == ("Anna", "user")
    assert await speaker_of("hello", device_id=home.bedroom_satellite) == ("Ben", "satellite")
    first = await converse(hass, agent, "hi, it's Anna", device_id=home.kitchen_satellite)
    assert await speaker_of(
        "and again", conversation_id=first.conversation_id, device_id=home.kitchen_satellite
    ) == (
        "Anna",
        "named",
    )
    assert await speaker_of("hello", device_id=home.kitchen_satellite) == (None, "household")


async def test_the_answer_says_who_spoke_and_the_turn_is_logged_without_private_words(
    hass: HomeAssistant,
    model_server: ModelServer,
    people: People,
    agent: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    memory = (await remember(hass, "Anna is a gluten-intolerant vegetarian", "person.anna"))["memory"]
    model_server.chat.add(
        Reply(tool_calls=[ToolCall(REMEMBER, {"text": "Anna loves lentil soup", "kind": "preference"})]),
        Reply(content="Lentil soup it is."),
    )
    caplog.set_level(logging.DEBUG, logger="custom_components.aiassist")
    result = await converse_as(hass, agent, "Cook me something vegetarian", as_anna(people))

    # The conversation result as the pipeline's debug view shows it (intent-end, intent_output).
    assert result.as_dict()["response"]["speech"]["plain"]["extra_data"] == {
        "speaker": {"person": "person.anna", "name": "Anna", "resolved_by": "user"}
    }
    (line,) = [record.getMessage() for record in caplog.records if " turn: " in record.getMessage()]
    assert line.startswith(f"{agent} turn: speaker person.anna resolved by user")
    assert memory["id"] in line
    assert REMEMBER in line
    for private in ("vegetarian", "lentil", "Cook", API_KEY):
        assert private not in line


async def test_ten_conversations_saving_at_once_lose_nothing(
    hass: HomeAssistant, model_server: ModelServer, people: People, agent: str
) -> None:
    def responder(request: Any) -> Reply:
        said = request.json["messages"][-1]["content"].rsplit("\n", 1)[-1]
        if any(m["role"] == "tool" for m in request.json["messages"]):
            return Reply(content="Saved.")
        return Reply(tool_calls=[ToolCall(REMEMBER, {"text": f"Anna {said}", "kind": "preference"})])

    model_server.chat.responder = responder
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]
    sentences = [f"loves recipe {word}" for word in words]
    results = await asyncio.gather(*(converse_as(hass, agent, s, as_anna(people)) for s in sentences))

    assert all(speech(result) == "Saved." for result in results)
    assert sorted(await texts(hass, ANNA_LIST)) == sorted(f"Anna {s}" for s in sentences)


async def test_memory_lists_are_kept_from_assist(hass: HomeAssistant, agent: str) -> None:
    for entity_id in (ANNA_LIST, BEN_LIST, HOUSEHOLD_LIST):
        assert hass.states.get(entity_id) is not None
        assert not async_should_expose(hass, "conversation", entity_id)


async def converse_as(hass: HomeAssistant, agent: str, text: str, context: Context) -> Any:
    return await conversation.async_converse(hass, text, None, context, agent_id=agent)


async def test_service_errors_are_clear(hass: HomeAssistant, agent: str) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await remember(hass, "Someone likes tea", "person.nobody")
    assert err.value.translation_key == "unknown_person"
    with pytest.raises(ServiceValidationError) as err:
        await remember(hass, "   ")
    assert err.value.translation_key == "empty_memory"
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, "forget", {"memory_id": "nope"}, blocking=True)
    assert err.value.translation_key == "memory_not_found"
