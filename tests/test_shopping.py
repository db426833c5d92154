"""The shopping tools through conversations: real to-do lists, merged items, meals that respect diets."""

import json
import os
from typing import Any
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.aiassist.const import CONF_SHOPPING_LIST, CONF_TOOLS, DOMAIN, TOOLS_WEATHER
from homeassistant.components import conversation
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError

from .conftest import AGENT_OPTIONS, People, speech
from .model_server import ModelServer, RecordedRequest, Reply, ToolCall

LIST = "aiassist__shopping_list"
ADD = "aiassist__shopping_add"
EDIT = "aiassist__shopping_edit"
SHOPPING = "todo.shopping_list"
HARDWARE = "todo.hardware"


@pytest.fixture
async def lists(hass: HomeAssistant) -> None:
    """HA's shopping list and a Local To-do list called Hardware."""
    os.makedirs(hass.config.path(".storage"), exist_ok=True)
    shopping = MockConfigEntry(domain="shopping_list")
    hardware = MockConfigEntry(
        domain="local_todo", data={"todo_list_name": "Hardware", "storage_key": "hardware"}
    )
    for entry in (shopping, hardware):
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(SHOPPING) is not None
    assert hass.states.get(HARDWARE) is not None


@pytest.fixture
async def agent(lists: None, setup_integration: MockConfigEntry, agent_id: str) -> str:
    """The agent, with both lists there."""
    return agent_id


async def todo_items(hass: HomeAssistant, entity_id: str, status: str | None = None) -> list[str]:
    """A list's item summaries, as the To-do dashboard shows them."""
    data = {"entity_id": entity_id} | ({"status": status} if status else {})
    response = await hass.services.async_call("todo", "get_items", data, blocking=True, return_response=True)
    listed: dict[str, Any] = response[entity_id]  # type: ignore[index, assignment]
    return [item["summary"] for item in listed["items"]]


async def put(hass: HomeAssistant, entity_id: str, *summaries: str) -> None:
    for summary in summaries:
        await hass.services.async_call(
            "todo", "add_item", {"entity_id": entity_id, "item": summary}, blocking=True
        )


def tool_results(request: dict[str, Any]) -> list[dict[str, Any]]:
    """The tool results the model was sent, oldest first."""
    return [json.loads(message["content"]) for message in request["messages"] if message["role"] == "tool"]


async def call(
    hass: HomeAssistant,
    model_server: ModelServer,
    agent: str,
    name: str,
    arguments: dict[str, Any],
    context: Context | None = None,
) -> dict[str, Any]:
    """Have the model call one shopping tool; return the result it got in its next request."""
    model_server.chat.add(Reply(tool_calls=[ToolCall(name, arguments)]), Reply(content="Done."))
    result = await conversation.async_converse(hass, "shopping", None, context or Context(), agent_id=agent)
    assert speech(result) == "Done."
    answer = tool_results(model_server.chat_requests[-1])[-1]
    model_server.reset()
    return answer


async def test_items_are_added_with_quantities_merging_what_is_already_there(
    hass: HomeAssistant, model_server: ModelServer, agent: str, setup_integration: MockConfigEntry
) -> None:
    await put(hass, SHOPPING, "milk", "3 eggs")
    result = await call(
        hass, model_server, agent, ADD, {"items": ["2 milk", "2 l oat milk", "6 eggs", "bread", "Bread"]}
    )
    assert result == {
        "list": "Shopping list",
        "updated": ["2 milk (was milk)", "9 eggs (was 3 eggs)"],
        "added": ["2 l oat milk", "bread"],
        "count": 4,
    }
    assert await todo_items(hass, SHOPPING) == ["2 milk", "9 eggs", "2 l oat milk", "bread"]
    assert setup_integration.state is ConfigEntryState.LOADED


async def test_an_item_already_there_or_done_is_not_added_again(
    hass: HomeAssistant, model_server: ModelServer, agent: str
) -> None:
    await put(hass, SHOPPING, "2 milk", "butter")
    await hass.services.async_call(
        "todo", "update_item", {"entity_id": SHOPPING, "item": "butter", "status": "completed"}, blocking=True
    )
    result = await call(hass, model_server, agent, ADD, {"items": ["milk", "butter"]})
    assert result == {
        "list": "Shopping list",
        "already_there": ["2 milk"],
        "put_back": ["butter"],
        "count": 2,
    }
    assert await todo_items(hass, SHOPPING, "needs_action") == ["2 milk", "butter"]


async def test_check_off_uncheck_remove_and_clear_the_done_ones(
    hass: HomeAssistant, model_server: ModelServer, agent: str
) -> None:
    await put(hass, SHOPPING, "2 l oat milk", "eggs", "bread", "apples")
    checked = await call(
        hass, model_server, agent, EDIT, {"action": "check", "items": ["oat milk", "Eggs", "cake"]}
    )
    assert checked == {
        "list": "Shopping list",
        "checked": ["2 l oat milk", "eggs"],
        "not_found": ["cake"],
        "count": 2,
    }
    assert await todo_items(hass, SHOPPING, "completed") == ["2 l oat milk", "eggs"]

    unchecked = await call(hass, model_server, agent, EDIT, {"action": "uncheck", "items": ["eggs"]})
    assert unchecked == {"list": "Shopping list", "unchecked": ["eggs"], "count": 3}

    removed = await call(hass, model_server, agent, EDIT, {"action": "remove", "items": ["apple"]})
    assert removed == {"list": "Shopping list", "removed": ["apples"], "count": 2}

    cleared = await call(hass, model_server, agent, EDIT, {"action": "clear_done"})
    assert cleared == {"list": "Shopping list", "cleared": 1, "count": 2}
    assert await todo_items(hass, SHOPPING) == ["eggs", "bread"]


async def test_the_list_is_read_back_briefly(
    hass: HomeAssistant, model_server: ModelServer, agent: str
) -> None:
    await put(hass, SHOPPING, *[f"thing {number}" for number in range(1, 16)])
    await hass.services.async_call(
        "todo",
        "update_item",
        {"entity_id": SHOPPING, "item": "thing 15", "status": "completed"},
        blocking=True,
    )
    result = await call(hass, model_server, agent, LIST, {})
    assert result == {
        "list": "Shopping list",
        "count": 14,
        "items": [f"thing {number}" for number in range(1, 13)],
        "more": 2,
        "done": 1,
    }


async def test_items_move_to_a_list_named_as_people_say_it(
    hass: HomeAssistant, model_server: ModelServer, agent: str
) -> None:
    await put(hass, SHOPPING, "screws", "milk", "2 batteries")
    await put(hass, HARDWARE, "batteries")
    result = await call(
        hass,
        model_server,
        agent,
        EDIT,
        {"action": "move", "items": ["screws", "batteries"], "to_list": "the hardware list"},
    )
    assert result == {
        "list": "Shopping list",
        "to_list": "Hardware",
        "added": ["screws"],
        "updated": ["2 batteries (was batteries)"],
        "moved": ["screws", "2 batteries"],
        "count": 1,
    }
    assert await todo_items(hass, SHOPPING) == ["milk"]
    assert await todo_items(hass, HARDWARE) == ["2 batteries", "screws"]

    read = await call(hass, model_server, agent, LIST, {"list": "hardware"})
    assert read == {"list": "Hardware", "count": 2, "items": ["2 batteries", "screws"]}


async def test_the_default_list_is_picked_in_the_options(
    hass: HomeAssistant,
    model_server: ModelServer,
    people: People,
    agent: str,
    setup_integration: MockConfigEntry,
) -> None:
    result = await hass.config_entries.options.async_init(setup_integration.entry_id)
    schema = result["data_schema"]
    assert schema is not None
    (field,) = [key for key in schema.schema if str(key) == CONF_SHOPPING_LIST]
    selector = schema.schema[field].config
    # AI Assist's own lists (memories, reminders) are never offered.
    assert "todo.ai_assist_127_0_0_1_memory_anna" in selector["exclude_entities"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SHOPPING_LIST: HARDWARE}
    )
    await hass.async_block_till_done()
    assert setup_integration.options == {CONF_SHOPPING_LIST: HARDWARE}
    assert setup_integration.state is ConfigEntryState.LOADED

    added = await call(hass, model_server, agent, ADD, {"items": ["nails"]})
    assert added == {"list": "Hardware", "added": ["nails"], "count": 1}
    assert await todo_items(hass, SHOPPING) == []


@pytest.mark.parametrize(
    "agent_options", [AGENT_OPTIONS | {CONF_TOOLS: [TOOLS_WEATHER]}], ids=["shopping_off"]
)
async def test_switching_the_shopping_family_off_removes_its_tools(
    hass: HomeAssistant, model_server: ModelServer, agent: str
) -> None:
    await conversation.async_converse(hass, "Add milk", None, Context(), agent_id=agent)
    names = {tool["function"]["name"] for tool in model_server.chat_requests[0]["tools"]}
    assert not names & {LIST, ADD, EDIT}
    assert "aiassist__weather_forecast" in names


async def test_an_unknown_list_names_the_lists_and_never_the_memory_lists(
    hass: HomeAssistant, model_server: ModelServer, people: People, agent: str
) -> None:
    assert hass.states.get("todo.ai_assist_127_0_0_1_memory_anna") is not None
    for name in ("garden", "Anna", "memory"):
        result = await call(hass, model_server, agent, ADD, {"items": ["seeds"], "list": name})
        assert result == {
            "error": f"No list called {name!r}. Lists: Hardware, Shopping list. Ask which.",
        }
    assert await todo_items(hass, SHOPPING) == []


async def test_without_a_shopping_list_the_model_is_asked_to_ask_which(
    hass: HomeAssistant, model_server: ModelServer, agent: str
) -> None:
    async_expose_entity(hass, conversation.DOMAIN, SHOPPING, False)
    # One list left: it is the default.
    assert (await call(hass, model_server, agent, LIST, {}))["list"] == "Hardware"
    await put(hass, SHOPPING, "x")
    local = MockConfigEntry(domain="local_todo", data={"todo_list_name": "Garden", "storage_key": "garden"})
    local.add_to_hass(hass)
    assert await hass.config_entries.async_setup(local.entry_id)
    result = await call(hass, model_server, agent, LIST, {})
    assert result == {"error": "Which list? Lists: Garden, Hardware. Ask, or pass `list`."}
    result = await call(hass, model_server, agent, LIST, {"list": "Shopping"})
    assert "No list called 'Shopping'" in result["error"]


async def test_no_list_at_all(hass: HomeAssistant, model_server: ModelServer, agent_id: str) -> None:
    result = await call(hass, model_server, agent_id, LIST, {})
    assert result == {"error": "There is no to-do list to use. Say so: one can be added in Home Assistant."}


async def test_a_list_that_fails_is_said_to_have_failed(
    hass: HomeAssistant, model_server: ModelServer, agent: str, caplog: pytest.LogCaptureFixture
) -> None:
    with patch(
        "homeassistant.components.shopping_list.todo.ShoppingTodoListEntity.async_create_todo_item",
        side_effect=HomeAssistantError("the list service is offline"),
    ):
        result = await call(hass, model_server, agent, ADD, {"items": ["milk"]})
    assert result == {
        "error": "Shopping list did not answer (the list service is offline). "
        "Say the list could not be read or changed."
    }
    assert "refused add_item" in caplog.text


@pytest.mark.parametrize(
    ("name", "arguments", "error"),
    [
        (ADD, {"items": "milk"}, "Invalid arguments"),
        (ADD, {"items": [" "]}, "No items given. Pass `items`, e.g. ['2 l oat milk']."),
        (EDIT, {"action": "eat", "items": ["milk"]}, "Invalid arguments"),
        (EDIT, {"action": "check"}, "No items given. Pass `items` to check."),
        (EDIT, {"action": "move", "items": ["milk"]}, "Pass `to_list`, the list to move the items to."),
        (EDIT, {"action": "move", "items": ["milk"], "to_list": "shopping"}, "already on Shopping list"),
        (EDIT, {"action": "remove", "items": ["caviar"]}, "Not found on Shopping list: caviar."),
    ],
)
async def test_wrong_arguments_get_an_error_the_model_can_correct(
    hass: HomeAssistant,
    model_server: ModelServer,
    agent: str,
    name: str,
    arguments: dict[str, Any],
    error: str,
) -> None:
    await put(hass, SHOPPING, "milk")
    result = await call(hass, model_server, agent, name, arguments)
    assert error in result["error"]
    assert await todo_items(hass, SHOPPING) == ["milk"]


LASAGNA = [
    "lasagne sheets",
    "500 g minced beef",
    "2 cans chopped tomatoes",
    "1 onion",
    "500 ml milk",
    "parmesan",
]


def cook(request: RecordedRequest) -> Reply:
    """The scripted model's rule: plan the meal with what it is told, add everything in one call."""
    assert request.json is not None
    results = tool_results(request.json)
    if not results:
        return Reply(tool_calls=[ToolCall(LIST, {"meal": "lasagna"})])
    if "food_memories" in results[-1]:
        gluten_free = any("gluten" in memory.casefold() for memory in results[-1]["food_memories"])
        needed = [
            f"gluten-free {ingredient}" if gluten_free and ingredient == "lasagne sheets" else ingredient
            for ingredient in LASAGNA
        ]
        return Reply(tool_calls=[ToolCall(ADD, {"items": needed})])
    return Reply(content="I added what you need for a gluten-free lasagna.")


async def test_a_gluten_free_persons_lasagna(
    hass: HomeAssistant, model_server: ModelServer, people: People, agent: str
) -> None:
    for text, person in (
        ("Anna is gluten intolerant", "person.anna"),
        ("Anna works from home on Fridays", "person.anna"),
        ("Ben is allergic to nuts", "person.ben"),
        ("Nobody in the house eats pork", None),
    ):
        data = {"text": text} | ({"person": person} if person else {})
        await hass.services.async_call(DOMAIN, "remember", data, blocking=True, return_response=True)
    await put(hass, SHOPPING, "Milk", "onion", "apples")
    people.anna_user.mock_policy({"entities": {"all": True}})
    model_server.chat.responder = cook

    result = await conversation.async_converse(
        hass, "Add what I need for lasagna", None, Context(user_id=people.anna_user.id), agent_id=agent
    )

    assert speech(result) == "I added what you need for a gluten-free lasagna."
    planned, added = tool_results(model_server.chat_requests[-1])
    assert planned["items"] == ["Milk", "onion", "apples"]
    assert "Anna is gluten intolerant" in planned["food_memories"]
    assert "Nobody in the house eats pork" in planned["food_memories"]
    assert "Ben is allergic to nuts" not in planned["food_memories"]
    assert added["updated"] == ["1 onion (was onion)", "500 ml Milk (was Milk)"]
    items = await todo_items(hass, SHOPPING)
    assert items == [
        "500 ml Milk",
        "1 onion",
        "apples",
        "gluten-free lasagne sheets",
        "500 g minced beef",
        "2 cans chopped tomatoes",
        "parmesan",
    ]
    assert "lasagne sheets" not in items


async def test_the_shopping_tools_are_terse(
    hass: HomeAssistant, model_server: ModelServer, agent: str
) -> None:
    await conversation.async_converse(hass, "hello", None, Context(), agent_id=agent)
    tools = {tool["function"]["name"]: tool for tool in model_server.chat_requests[0]["tools"]}
    assert set(tools[LIST]["function"]["parameters"]["properties"]) == {"list", "meal"}
    assert set(tools[ADD]["function"]["parameters"]["properties"]) == {"items", "list"}
    assert set(tools[EDIT]["function"]["parameters"]["properties"]) == {"action", "items", "list", "to_list"}
    sizes = {name: len(json.dumps(tools[name], ensure_ascii=False)) / 4 for name in (LIST, ADD, EDIT)}
    # About four characters a token: the three schemas add under 330 tokens to every request.
    assert sum(sizes.values()) < 330, sizes


async def test_a_person_not_allowed_the_list_hears_so(
    hass: HomeAssistant, model_server: ModelServer, people: People, agent: str
) -> None:
    people.anna_user.mock_policy({"entities": {"entity_ids": {HARDWARE: True}}})
    as_anna = Context(user_id=people.anna_user.id)
    result = await call(hass, model_server, agent, ADD, {"items": ["milk"]}, as_anna)
    assert result == {"error": "The person speaking may not use Shopping list. Say so."}
    assert await todo_items(hass, SHOPPING) == []
    assert await call(hass, model_server, agent, ADD, {"items": ["nails"], "list": "hardware"}, as_anna) == {
        "list": "Hardware",
        "added": ["nails"],
        "count": 1,
    }


@pytest.mark.parametrize(
    ("listed", "added", "merged"),
    [
        ("milk", "2 Milk", "2 milk"),
        ("2 milk", "milk", "2 milk"),
        ("1 litre oat milk", "2 l oat milk", "3 litre oat milk"),
        ("2 packs butter", "1 pack of butter", "3 packs butter"),
        ("eggs (6)", "12 eggs", "18 eggs"),
        ("flour x2", "500g flour", "500 g flour"),
        ("牛奶", "3瓶牛奶", "3瓶牛奶"),
    ],
)
async def test_quantities_merge_as_people_write_them(
    hass: HomeAssistant, model_server: ModelServer, agent: str, listed: str, added: str, merged: str
) -> None:
    await put(hass, SHOPPING, listed)
    await call(hass, model_server, agent, ADD, {"items": [added]})
    assert await todo_items(hass, SHOPPING) == [merged]
