"""The demo model of script/develop (config/demo_model.py), through a real AI Assist entry.

The demo model's app runs on 127.0.0.1; an AI Assist entry points at it, and conversation turns
go through Home Assistant's conversation agent, tools and memory as a newcomer's would.
"""

import base64
from collections.abc import AsyncGenerator
import importlib.util
import json
import math
from pathlib import Path
import struct
import sys
from types import ModuleType
from typing import Any

from aiohttp import web
import openai
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.aiassist.const import (
    CONF_EMBEDDING_MODEL,
    DEFAULT_PROMPT,
    DOMAIN,
    SUBENTRY_CONVERSATION,
)
from custom_components.aiassist.learning import PROMPT as LEARNING_PROMPT
from homeassistant.components import conversation
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.components.intent import TimerEventType, TimerInfo, async_register_timer_handler
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import CONF_API_KEY, CONF_LLM_HASS_API, CONF_MODEL, CONF_PROMPT, CONF_URL
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import area_registry as ar, device_registry as dr, entity_registry as er, llm
from homeassistant.setup import async_setup_component

from .conftest import People, speech

CONFIG = Path(__file__).parent.parent / "config"


def _load_demo_model() -> ModuleType:
    """Import config/demo_model.py by path, as script/develop runs it (demo_rules/ beside it)."""
    sys.path.insert(0, str(CONFIG))
    try:
        spec = importlib.util.spec_from_file_location("demo_model", CONFIG / "demo_model.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(CONFIG))
    return module


demo_model = _load_demo_model()

# As script/develop's configuration.yaml has them: optimistic template lights in two areas.
LIGHTS = {
    "Kitchen Ceiling Light": "Kitchen",
    "Living Room Ceiling Light": "Living Room",
    "Living Room Lamp": "Living Room",
}
KITCHEN = "light.kitchen_ceiling_light"
LIVING_ROOM = ("light.living_room_ceiling_light", "light.living_room_lamp")


@pytest.fixture
async def demo_url(socket_enabled: None) -> AsyncGenerator[str]:
    """The demo model, serving on a free port of 127.0.0.1."""
    runner = web.AppRunner(demo_model.make_app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    yield f"http://{host}:{port}/v1"
    await runner.cleanup()


@pytest.fixture
async def demo_home(hass: HomeAssistant) -> None:
    """Three lights in the areas Kitchen and Living Room, and a rainy weather entity, exposed to Assist."""
    lights = [
        {
            "name": name,
            "unique_id": name.lower().replace(" ", "_"),
            "optimistic": True,
            "turn_on": [],
            "turn_off": [],
        }
        for name in LIGHTS
    ]
    weather = {"name": "Home", "condition": "rainy", "temperature": "{{ 12 }}", "humidity": "{{ 80 }}"}
    assert await async_setup_component(
        hass, "template", {"template": [{"light": lights, "weather": [weather]}]}
    )
    await hass.async_block_till_done()
    areas, entities = ar.async_get(hass), er.async_get(hass)
    for name, area in LIGHTS.items():
        entity_id = f"light.{name.lower().replace(' ', '_')}"
        entities.async_update_entity(entity_id, area_id=areas.async_get_or_create(area).id)
    # Weather entities are not exposed by default.
    async_expose_entity(hass, conversation.DOMAIN, "weather.home", True)


@pytest.fixture
def embedding_model() -> str | None:
    """The memory's embedding model (entry option); tests override it."""
    return "demo-embed"


@pytest.fixture
def config_entry(
    hass: HomeAssistant, demo_url: str, embedding_model: str | None, demo_home: None, people: People
) -> MockConfigEntry:
    """An AI Assist entry for the demo model, as script/develop seeds it (instead of conftest's).

    conftest's `setup_integration` loads it (and checks it is LOADED); `agent_id` is its agent.
    """
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="AI Assist (develop)",
        data={CONF_URL: demo_url, CONF_API_KEY: ""},
        options={CONF_EMBEDDING_MODEL: embedding_model} if embedding_model else {},
        subentries_data=[
            ConfigSubentryData(
                data={
                    CONF_MODEL: "demo-model",
                    CONF_PROMPT: DEFAULT_PROMPT,
                    CONF_LLM_HASS_API: [llm.LLM_API_ASSIST],
                },
                subentry_type=SUBENTRY_CONVERSATION,
                title="AI Assist",
                unique_id=None,
            )
        ],
    )
    entry.add_to_hass(hass)
    return entry


def _satellite(hass: HomeAssistant, area: str) -> str:
    """A voice satellite's device in an area."""
    owner = MockConfigEntry(domain="test")
    owner.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=owner.entry_id, identifiers={("test", area)}, name=f"{area} satellite"
    )
    dr.async_get(hass).async_update_device(device.id, area_id=ar.async_get(hass).async_get_or_create(area).id)
    return device.id


async def say(
    hass: HomeAssistant,
    agent: str,
    text: str,
    people: People | None = None,
    device_id: str | None = None,
    language: str = "en",
) -> str:
    """One turn, as Anna when `people` is given; what the user hears."""
    context = Context(user_id=people.anna_user.id) if people else Context()
    result = await conversation.async_converse(
        hass, text, None, context, language=language, agent_id=agent, device_id=device_id
    )
    return speech(result)


async def memories(hass: HomeAssistant, person: str | None = "person.anna") -> list[dict[str, Any]]:
    data = {"person": person} if person else {}
    response = await hass.services.async_call(DOMAIN, "export", data, blocking=True, return_response=True)
    assert response is not None
    return list(response["memories"])  # type: ignore[call-overload]


def on(hass: HomeAssistant, entity_id: str) -> bool:
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state == "on"


async def test_turns_on_the_kitchen_light(hass: HomeAssistant, agent_id: str) -> None:
    answer = await say(hass, agent_id, "Turn on the kitchen light")

    assert on(hass, KITCHEN)
    assert not any(on(hass, light) for light in LIVING_ROOM)
    assert answer == "Done: I turned on the Kitchen Ceiling Light."


async def test_lights_of_a_room_and_of_the_satellites_area(hass: HomeAssistant, agent_id: str) -> None:
    await say(hass, agent_id, "turn on the living room lamp")
    assert on(hass, "light.living_room_lamp")
    assert not on(hass, "light.living_room_ceiling_light")

    await say(hass, agent_id, "Turn on the lights in the living room")
    assert all(on(hass, light) for light in LIVING_ROOM)
    answer = await say(hass, agent_id, "Switch off the lights in the living room")
    assert not any(on(hass, light) for light in LIVING_ROOM)
    assert "turned off" in answer
    assert "Living Room Lamp" in answer

    # Said to a satellite in the kitchen, "the lights" are the kitchen's.
    await say(hass, agent_id, "turn on the lights", device_id=_satellite(hass, "Kitchen"))
    assert on(hass, KITCHEN)
    assert not any(on(hass, light) for light in LIVING_ROOM)
    # Nowhere in particular, it asks.
    assert await say(hass, agent_id, "turn on the lights") == "In which room: Kitchen or Living Room?"


async def test_state_and_chinese_control(hass: HomeAssistant, agent_id: str) -> None:
    answer = await say(hass, agent_id, "打开厨房的灯", language="zh-Hans")
    assert on(hass, KITCHEN)
    assert answer == "好的，已打开Kitchen Ceiling Light。"
    assert await say(hass, agent_id, "Is the kitchen light on?") == "Kitchen Ceiling Light is on."
    assert await say(hass, agent_id, "关掉客厅的台灯", language="zh-Hans") == "好的，已关闭Living Room Lamp。"
    assert await say(hass, agent_id, "客厅的台灯开着吗？", language="zh-Hans") == "Living Room Lamp现在关着。"


async def test_remembers_what_anna_says_and_cooks_for_her(
    hass: HomeAssistant, agent_id: str, people: People
) -> None:
    answer = await say(hass, agent_id, "Remember that I am vegetarian", people)

    assert answer == "Got it, I'll remember that Anna is vegetarian."
    (memory,) = await memories(hass)
    assert (memory["text"], memory["kind"]) == ("Anna is vegetarian", "preference")
    assert "vegetable lasagna" in await say(hass, agent_id, "What should I cook tonight?", people)
    assert "Anna is vegetarian" in await say(hass, agent_id, "What do you remember about me?", people)
    assert "forgotten" in await say(hass, agent_id, "Forget that I am vegetarian", people)
    assert await memories(hass) == []
    assert "spaghetti bolognese" in await say(hass, agent_id, "what's for dinner?", people)


@pytest.mark.parametrize("embedding_model", [None])
async def test_without_embeddings_it_searches_the_memories(
    hass: HomeAssistant, agent_id: str, people: People
) -> None:
    await hass.services.async_call(
        DOMAIN, "remember", {"text": "Anna is allergic to mushrooms", "person": "person.anna"}, blocking=True
    )
    await say(hass, agent_id, "I'm a gluten-intolerant vegetarian", people)
    answer = await say(hass, agent_id, "What should I cook tonight?", people)
    # Vegetarian and gluten-free rule out the lasagna, mushrooms the risotto.
    assert answer.startswith("How about a chickpea and spinach curry with rice tonight?")
    assert "Anna is a gluten-intolerant vegetarian" in answer


async def test_an_unknown_speaker_is_asked_their_name(hass: HomeAssistant, agent_id: str) -> None:
    answer = await say(hass, agent_id, "Remember that I am vegetarian")
    assert "Tell me your name" in answer
    assert await memories(hass) == []
    assert await memories(hass, None) == []


async def test_chinese_memory_and_dinner(hass: HomeAssistant, agent_id: str, people: People) -> None:
    assert (
        await say(hass, agent_id, "记住我是素食者", people, language="zh-Hans")
        == "好的，我记住了：Anna是素食者。"
    )
    assert [m["text"] for m in await memories(hass)] == ["Anna是素食者"]
    answer = await say(hass, agent_id, "今晚做什么菜？", people, language="zh-Hans")
    assert answer.startswith("今晚做蔬菜千层面怎么样？")


async def test_embeddings_rank_the_food_memory_first(
    hass: HomeAssistant, setup_integration: MockConfigEntry, people: People
) -> None:
    for text in ("Anna works at the hospital", "Anna is vegetarian", "Anna has a dog called Rex"):
        await hass.services.async_call(
            DOMAIN, "remember", {"text": text, "person": "person.anna"}, blocking=True
        )
    store = setup_integration.runtime_data.memory
    assert store.embedder is not None
    assert store.embedder.model == "demo-embed"
    found = await store.async_search("What should I cook tonight?", ("anna", "household"), 3)
    assert found[0].text == "Anna is vegetarian"


async def test_an_unknown_request_gets_the_demo_help(
    hass: HomeAssistant, agent_id: str, people: People
) -> None:
    answer = await say(hass, agent_id, "What is the capital of France?")
    assert answer.startswith("I'm the demo model")
    assert "turn on the kitchen light" in answer
    assert (await say(hass, agent_id, "hi, it's Anna")).startswith("Hello Anna! I'm the demo model")
    assert "演示模型" in await say(hass, agent_id, "你会做什么？", language="zh-Hans")


async def test_shopping_list_weather_and_time(hass: HomeAssistant, agent_id: str) -> None:
    shopping = MockConfigEntry(domain="shopping_list")
    shopping.add_to_hass(hass)
    assert await hass.config_entries.async_setup(shopping.entry_id)
    await hass.async_block_till_done()

    assert await say(hass, agent_id, "Add milk and eggs to the shopping list") == (
        "I added milk and eggs to the Shopping list; it has 2 things on it now."
    )
    items = await hass.services.async_call(
        "todo", "get_items", {"entity_id": "todo.shopping_list"}, blocking=True, return_response=True
    )
    assert [item["summary"] for item in items["todo.shopping_list"]["items"]] == ["Milk", "Eggs"]  # type: ignore[index, call-overload]

    # AI Assist's own forecast tool, on the home's weather entity.
    answer = await say(hass, agent_id, "Do I need an umbrella?")
    assert answer == "Home: now: rainy, 12 degrees Celsius. Take an umbrella."
    assert (await say(hass, agent_id, "What time is it?")).startswith("It's ")


async def test_timer_on_a_satellite_that_runs_timers(hass: HomeAssistant, agent_id: str) -> None:
    satellite = _satellite(hass, "Kitchen")
    started: list[TimerInfo] = []

    def handle(event: TimerEventType, timer: TimerInfo) -> None:
        if event is TimerEventType.STARTED:
            started.append(timer)

    async_register_timer_handler(hass, satellite, handle)
    assert await say(hass, agent_id, "Set a timer for 5 minutes", device_id=satellite) == (
        "Your 5 minute timer is running."
    )
    assert [timer.seconds for timer in started] == [300]
    # The Assist dialog has no timers, and says so.
    assert "can't run timers" in await say(hass, agent_id, "Set a timer for 5 minutes")


# The raw HTTP, as the openai client sees it.
OVERVIEW = (
    "Static Context: An overview of the areas and the devices in this smart home:\n"
    "- names: Kitchen Ceiling Light\n  domain: light\n  areas: Kitchen\n"
    "- names: Living Room Lamp\n  domain: light\n  areas: Living Room\n"
)
TURN_ON: Any = {
    "type": "function",
    "function": {
        "name": "intent__HassTurnOn",
        "parameters": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "area": {"type": "string"}},
        },
    },
}


@pytest.fixture
async def client(demo_url: str) -> AsyncGenerator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(base_url=demo_url, api_key="demo", max_retries=0) as api:
        yield api


def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


async def test_streamed_tool_call_and_the_answer_after_it(client: openai.AsyncOpenAI) -> None:
    messages: list[Any] = [
        {"role": "system", "content": OVERVIEW},
        {
            "role": "user",
            "content": "<context>\nThe person speaking is Anna.\n</context>\nturn on the kitchen light",
        },
    ]
    stream = await client.chat.completions.create(
        model="demo-model",
        messages=messages,
        tools=[TURN_ON],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [chunk async for chunk in stream]

    assert chunks[0].choices[0].delta.role == "assistant"
    pieces = [call for chunk in chunks if chunk.choices for call in chunk.choices[0].delta.tool_calls or ()]
    head, *rest = pieces
    assert head.id
    assert head.function is not None
    assert head.function.name == "intent__HassTurnOn"
    assert len(rest) > 1
    assert all(piece.id is None and piece.index == 0 for piece in rest)
    arguments = "".join(piece.function.arguments or "" for piece in pieces if piece.function)
    assert json.loads(arguments) == {"name": "Kitchen Ceiling Light", "domain": ["light"]}
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None

    # The tool's result comes back: one spoken sentence, not streamed this time.
    result = {
        "response_type": "action_done",
        "data": {
            "success": [{"type": "entity", "name": "Kitchen Ceiling Light", "id": "light.k"}],
            "failed": [],
        },
    }
    call = {
        "id": head.id,
        "type": "function",
        "function": {"name": "intent__HassTurnOn", "arguments": arguments},
    }
    messages += [
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": head.id, "content": json.dumps(result)},
    ]
    answer = await client.chat.completions.create(model="demo-model", messages=messages, tools=[TURN_ON])
    assert answer.choices[0].finish_reason == "stop"
    assert answer.choices[0].message.content == "Done: I turned on the Kitchen Ceiling Light."

    # A tool that is not offered is never called.
    unoffered = await client.chat.completions.create(model="demo-model", messages=messages[:2])
    assert unoffered.choices[0].message.tool_calls is None
    assert "demo model" in (unoffered.choices[0].message.content or "")


async def test_models_and_embeddings(client: openai.AsyncOpenAI) -> None:
    assert [model.id for model in (await client.models.list()).data] == ["demo-model", "demo-embed"]
    texts = ["What should I cook tonight?", "Anna is vegetarian", "Anna works at the hospital"]
    floats = await client.embeddings.create(model="demo-embed", input=texts, encoding_format="float")
    cook, vegetarian, hospital = (item.embedding for item in floats.data)
    assert math.isclose(_cosine(cook, cook), 1.0, rel_tol=1e-6)
    assert _cosine(cook, vegetarian) > _cosine(cook, hospital) + 0.2

    encoded = await client.embeddings.create(model="demo-embed", input=texts[:1], encoding_format="base64")
    raw = encoded.data[0].embedding
    assert isinstance(raw, str)
    decoded = struct.unpack(f"<{len(cook)}f", base64.b64decode(raw))
    assert all(math.isclose(a, b, abs_tol=1e-6) for a, b in zip(decoded, cook, strict=True))


async def test_learning_call_is_answered_with_json(client: openai.AsyncOpenAI) -> None:
    transcript = (
        "Anna: I'm a vegetarian\nAssistant: Noted.\n"
        "Anna: turn on the kitchen light\nAssistant: Done.\n"
        "Anna: we always eat dinner at 7 pm\nAssistant: Nice."
    )
    answer = await client.chat.completions.create(
        model="demo-model",
        messages=[
            {"role": "system", "content": LEARNING_PROMPT.format(who="Anna")},
            {"role": "user", "content": transcript},
        ],
        temperature=0,
    )
    assert json.loads(answer.choices[0].message.content or "") == {
        "memories": [
            {"text": "Anna is a vegetarian", "about": "speaker", "kind": "preference"},
            {"text": "We always eat dinner at 7 pm", "about": "household", "kind": "routine"},
        ]
    }


async def test_reminders_are_set_listed_snoozed_and_cancelled(
    hass: HomeAssistant, agent_id: str, people: People
) -> None:
    """AI Assist's reminder tools, as the demo model calls them for Anna."""
    answer = await say(hass, agent_id, "Remind me to take the bins out in 20 minutes", people)
    assert answer.startswith("OK, I'll remind you: Take the bins out, ")
    answer = await say(hass, agent_id, "Wake me up at 6:30 on weekdays", people)
    assert answer.startswith("OK, I'll remind you: Wake up, ")
    assert "mon,tue,wed,thu,fri 6:30 AM" in answer
    answer = await say(hass, agent_id, "What reminders do I have?", people)
    assert answer.startswith("You have 2: ")
    assert "Take the bins out" in answer
    assert await say(hass, agent_id, "Cancel the bins reminder", people) == "Done."
    assert (await say(hass, agent_id, "What reminders do I have?", people)).startswith("You have 1: Wake up")
