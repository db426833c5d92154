"""How much time AI Assist adds to a turn, on top of a model that answers instantly.

Runs a real Home Assistant (the test harness, no network but loopback) with 60 exposed
lights in 6 areas, the scripted model server answering at once, and measures:

- turn: `conversation.async_converse` to our agent, a new conversation each time;
- model: the same streamed request sent straight to the server with the same client;
- overhead: turn minus model (the integration plus Home Assistant's conversation layer).

Reports medians and p95 over TURNS turns, after WARMUP turns, and the ratio turn/model.
Usage: .venv/bin/python bench/turn_overhead.py [turns]
"""

import asyncio
from pathlib import Path
import statistics
import sys
import tempfile
import time

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pytest_homeassistant_custom_component.common import (  # noqa: E402
    MockConfigEntry,
    async_test_home_assistant,
)

from bench.scale import free_port  # noqa: E402
import custom_components  # noqa: E402  (ours, before HA mounts its test config dir)
from homeassistant import loader  # noqa: E402
from homeassistant.components import conversation  # noqa: E402
from homeassistant.components.http.config import DATA_STORE as HTTP_STORE  # noqa: E402
from homeassistant.config_entries import ConfigEntryState, ConfigSubentryData  # noqa: E402
from homeassistant.const import CONF_API_KEY, CONF_URL  # noqa: E402
from homeassistant.core import Context, HomeAssistant  # noqa: E402
from homeassistant.helpers import area_registry as ar, entity_registry as er  # noqa: E402
from homeassistant.setup import async_setup_component  # noqa: E402
from tests.conftest import AGENT_OPTIONS, API_KEY  # noqa: E402
from tests.model_server import ModelServer, Reply  # noqa: E402

assert "pytest_homeassistant_custom_component" not in custom_components.__path__[0]

WARMUP = 20
TURNS = int(sys.argv[1]) if len(sys.argv) > 1 else 200
AREAS = ["Kitchen", "Living Room", "Bedroom", "Office", "Hall", "Garden"]
ANSWER = "The kitchen light is on."


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return f"median {statistics.median(ordered) * 1000:7.2f} ms   p95 {p95 * 1000:7.2f} ms"


async def setup_home(hass: HomeAssistant) -> None:
    # Conversation needs http: on a free loopback port, never 0.0.0.0 or a running HA's 8123.
    http = {"server_host": "127.0.0.1", "server_port": free_port()}
    assert await async_setup_component(hass, "http", {"http": http})
    await hass.data[HTTP_STORE].async_promote_pending()
    assert await async_setup_component(hass, "homeassistant", {})
    keys = [f"{area.lower().replace(' ', '_')}_{n}" for area in AREAS for n in range(10)]
    assert await async_setup_component(hass, "input_boolean", {"input_boolean": {key: {} for key in keys}})
    lights = [
        {
            "name": f"{key.replace('_', ' ').title()} light",
            "unique_id": key,
            "state": f"{{{{ is_state('input_boolean.{key}', 'on') }}}}",
            "turn_on": {"action": "input_boolean.turn_on", "target": {"entity_id": f"input_boolean.{key}"}},
            "turn_off": {"action": "input_boolean.turn_off", "target": {"entity_id": f"input_boolean.{key}"}},
        }
        for key in keys
    ]
    assert await async_setup_component(hass, "template", {"template": [{"light": lights}]})
    await hass.async_block_till_done()
    areas, entities = ar.async_get(hass), er.async_get(hass)
    for key in keys:
        area = areas.async_get_or_create(
            next(a for a in AREAS if key.startswith(a.lower().replace(" ", "_")))
        )
        entity_id = entities.async_get_entity_id("light", "template", key)
        assert entity_id
        entities.async_update_entity(entity_id, area_id=area.id)


async def main() -> None:
    with tempfile.TemporaryDirectory() as config_dir:
        async with (
            async_test_home_assistant(config_dir=config_dir) as hass,
            ModelServer(api_key=API_KEY) as server,
        ):
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
            await setup_home(hass)
            entry = MockConfigEntry(
                domain="aiassist",
                data={CONF_URL: server.url, CONF_API_KEY: API_KEY},
                subentries_data=[
                    ConfigSubentryData(
                        data=AGENT_OPTIONS, subentry_type="conversation", title="AI Assist", unique_id=None
                    )
                ],
            )
            entry.add_to_hass(hass)
            assert await hass.config_entries.async_setup(entry.entry_id)
            assert entry.state is ConfigEntryState.LOADED
            agent_id = "conversation.ai_assist"
            server.chat.responder = lambda _request: Reply(content=ANSWER)

            turn_times: list[float] = []
            for index in range(WARMUP + TURNS):
                start = time.perf_counter()
                result = await conversation.async_converse(
                    hass, "Is the kitchen light on?", None, Context(), agent_id=agent_id
                )
                elapsed = time.perf_counter() - start
                assert result.response.speech["plain"]["speech"] == ANSWER
                if index >= WARMUP:
                    turn_times.append(elapsed)

            # The same request, straight to the server through the same client.
            request = dict(server.chat_requests[-1])
            client = entry.runtime_data.coordinator.client
            model_times: list[float] = []
            for index in range(WARMUP + TURNS):
                start = time.perf_counter()
                stream = await client.chat.completions.create(**request)
                async with stream:
                    async for _chunk in stream:
                        pass
                elapsed = time.perf_counter() - start
                if index >= WARMUP:
                    model_times.append(elapsed)

            ratio = statistics.median(turn_times) / statistics.median(model_times)
            overhead = [turn - statistics.median(model_times) for turn in turn_times]
            print(f"AI Assist turn overhead, {TURNS} turns, {len(request['tools'])} tools, 60 exposed lights")
            print(f"  turn (async_converse)  {summary(turn_times)}")
            print(f"  model request alone    {summary(model_times)}")
            print(f"  overhead (turn-model)  {summary(overhead)}")
            print(f"  ratio turn/model (medians) {ratio:.2f}")
            await hass.config_entries.async_unload(entry.entry_id)


if __name__ == "__main__":
    asyncio.run(main())
