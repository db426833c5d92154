"""Big homes: our first request and turn time against core's `llama_cpp`, side by side.

One real Home Assistant (the test harness, loopback only) holds a synthetic home
(bench/scale_home.py) grown to each size in turn; both agents talk to the same scripted
OpenAI-compatible server (tests/model_server.py), which answers every request with a short
text, so a turn measures the agents' own work. Per size:

- tokens of the first request (messages and tools, o200k_base counted offline by `bpe_openai`,
  or characters/4 when it is missing, said in the output), ours and core's;
- recall: share of the labelled sentences (bench/scale_sentences.json, written by this run)
  whose target entities all appear in what our model saw;
- whole-turn time median/p95, ours and core's turns interleaved, as ratios ours/core.

Prints the targets of issue 9 as PASS/FAIL, writes docs/benchmarks.md and
docs/images/benchmark_scale.png (when matplotlib is installed). Exits non-zero when a target fails.
Usage: .venv/bin/python bench/scale.py [--sizes 100,500,1000,3000] [--turns N]
"""

import argparse
import asyncio
from dataclasses import dataclass, field
import json
from pathlib import Path
import re
import socket
import statistics
import sys
import tempfile
import time
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pytest_homeassistant_custom_component.common import (  # noqa: E402
    MockConfigEntry,
    async_test_home_assistant,
)

from bench.scale_home import Home, Spec, sentences  # noqa: E402
import custom_components  # noqa: E402  (ours, before HA mounts its test config dir)
from custom_components.aiassist import context  # noqa: E402
from custom_components.aiassist.agent_flow import default_agent_options  # noqa: E402
from homeassistant import loader  # noqa: E402
from homeassistant.components import conversation  # noqa: E402
from homeassistant.components.http.config import DATA_STORE as HTTP_STORE  # noqa: E402
from homeassistant.components.llama_cpp.const import (  # noqa: E402
    CONF_BASE_URL,
    CONF_CHAT_MODEL,
    CONF_RECOMMENDED,
    CONF_STREAMING,
)
from homeassistant.config_entries import ConfigEntryState, ConfigSubentryData  # noqa: E402
from homeassistant.const import CONF_API_KEY, CONF_LLM_HASS_API, CONF_PROMPT, CONF_URL  # noqa: E402
from homeassistant.core import Context, HomeAssistant  # noqa: E402
from homeassistant.helpers import entity_registry as er, llm  # noqa: E402
from homeassistant.setup import async_setup_component  # noqa: E402
from tests.model_server import ModelServer, Reply  # noqa: E402

assert "pytest_homeassistant_custom_component" not in custom_components.__path__[0]

API_KEY = "sk-bench"
MODEL = "test-model"
ANSWER = "Done."
SENTENCES = ROOT / "bench" / "scale_sentences.json"
REPORT = ROOT / "docs" / "benchmarks.md"
SECTION = "## Big homes (`bench/scale.py`)"
PLOT = ROOT / "docs" / "images" / "benchmark_scale.png"
DOMAINS = ("light", "switch", "sensor", "binary_sensor", "cover", "climate", "media_player", "lock", "fan")
LANGUAGES = {"en": "en", "zh": "zh-Hans"}
TARGET_TOKENS = 3000
TARGET_RECALL = 0.98
TARGET_TURN_RATIO = {1000: 0.5, 3000: 0.2}
TARGET_SELECTION_MS = 10.0

try:
    from bpe_openai import get_encoding

    _ENCODING = get_encoding("o200k_base")
    TOKENIZER = "o200k_base (bpe_openai, offline)"

    def count_tokens(text: str) -> int:
        return len(_ENCODING.encode(text))

except ImportError:
    TOKENIZER = "characters/4 (bpe_openai not installed: NOT a tokenizer count)"

    def count_tokens(text: str) -> int:
        return len(text) // 4


@dataclass
class Size:
    """What one home size measured."""

    size: int
    tokens: dict[str, list[int]] = field(default_factory=lambda: {"ours": [], "core": []})
    tools: dict[str, tuple[int, int]] = field(default_factory=dict)  # agent -> (tools, their tokens)
    times: dict[str, list[float]] = field(default_factory=lambda: {"ours": [], "core": []})
    recalled: list[bool] = field(default_factory=list)
    per_tool: dict[str, dict[str, int]] = field(default_factory=dict)  # agent -> tool -> tokens
    sample: dict[str, dict[str, Any]] = field(default_factory=dict)  # agent -> a first request
    selection: list[float] = field(default_factory=list)  # seconds per selection, every turn of ours

    def median_tokens(self, agent: str) -> int:
        return int(statistics.median(self.tokens[agent]))

    def max_tokens(self, agent: str) -> int:
        return max(self.tokens[agent])

    def selection_ms(self, share: float) -> float:
        return percentile(self.selection, share) * 1000

    def turn(self, agent: str, share: float) -> float:
        return percentile(self.times[agent], share)

    def ratio(self, share: float) -> float:
        return self.turn("ours", share) / self.turn("core", share)

    @property
    def recall(self) -> float:
        return sum(self.recalled) / len(self.recalled)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[int(share * (len(ordered) - 1))]


def request_text(request: dict[str, Any]) -> str:
    """What the model saw: the messages and the tools, as sent."""
    return json.dumps(
        {"messages": request["messages"], "tools": request.get("tools", [])}, ensure_ascii=False
    )


def seen(spec: Spec, text: str) -> bool:
    """Whether `text` (JSON) names the entity: its name or id as a whole item, not in a longer name."""
    return any(
        re.search(rf"(?<!\w){re.escape(needle)}(?=[,\"\\]| \||$)", text)
        for needle in (spec.name, spec.entity_id)
    )


async def add_agents(hass: HomeAssistant, server: ModelServer) -> tuple[str, str]:
    """Our agent and core's, on the same server, each as its config flow would create it."""
    ours = MockConfigEntry(
        domain="aiassist",
        data={CONF_URL: server.url, CONF_API_KEY: API_KEY},
        subentries_data=[
            ConfigSubentryData(
                data=default_agent_options(MODEL),
                subentry_type="conversation",
                title="AI Assist",
                unique_id=None,
            )
        ],
    )
    core = MockConfigEntry(
        domain="llama_cpp",
        data={CONF_BASE_URL: server.url, CONF_API_KEY: API_KEY, CONF_STREAMING: True},
        subentries_data=[
            ConfigSubentryData(
                data={
                    CONF_RECOMMENDED: True,
                    CONF_LLM_HASS_API: [llm.LLM_API_ASSIST],
                    CONF_PROMPT: llm.DEFAULT_INSTRUCTIONS_PROMPT,
                    CONF_CHAT_MODEL: MODEL,
                },
                subentry_type="conversation",
                title="llama.cpp",
                unique_id=None,
            )
        ],
    )
    agent_ids = []
    for entry in (ours, core):
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        assert entry.state is ConfigEntryState.LOADED, entry.domain
        entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        agent_ids.append(next(e.entity_id for e in entities if e.domain == "conversation"))
    return agent_ids[0], agent_ids[1]


async def run_sentence(
    hass: HomeAssistant, server: ModelServer, home: Home, agent_id: str, sentence: dict[str, Any]
) -> tuple[float, dict[str, Any]]:
    """One labelled sentence in a new conversation (after its history); its turn time and first request."""
    language = LANGUAGES[sentence["lang"]]
    device_id = home.satellites[sentence["satellite_area"]] if "satellite_area" in sentence else None
    conversation_id = None
    for text in sentence.get("history", []):
        result = await conversation.async_converse(
            hass, text, conversation_id, Context(), language=language, agent_id=agent_id, device_id=device_id
        )
        conversation_id = result.conversation_id
    first = len(server.chat_requests)
    start = time.perf_counter()
    result = await conversation.async_converse(
        hass,
        sentence["text"],
        conversation_id,
        Context(),
        language=language,
        agent_id=agent_id,
        device_id=device_id,
    )
    elapsed = time.perf_counter() - start
    assert result.response.speech["plain"]["speech"] == ANSWER, result.response.speech
    return elapsed, server.chat_requests[first]


class SelectionTimer:
    """Times our agent's device selection inside its real turns (context.select, wrapped)."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._select = context.select

    def __enter__(self) -> SelectionTimer:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return self._select(*args, **kwargs)
            finally:
                self.samples.append(time.perf_counter() - start)

        context.select = timed
        return self

    def __exit__(self, *_exc: object) -> None:
        context.select = self._select


async def measure(
    hass: HomeAssistant, server: ModelServer, home: Home, agents: dict[str, str], size: int, turns: int
) -> Size:
    """Every sentence through ours (recall); the first `turns` also through core's, interleaved."""
    home.grow(size)
    await hass.async_block_till_done()
    labelled = json.loads(SENTENCES.read_text())
    by_id = {spec.entity_id: spec for spec in home.entities}
    result = Size(size)
    order = labelled[::7] + [s for i, s in enumerate(labelled) if i % 7]  # the timed ones spread over kinds
    for index, sentence in enumerate(order):
        for agent in ("ours", "core") if index < turns else ("ours",):
            with SelectionTimer() as timer:
                elapsed, request = await run_sentence(hass, server, home, agents[agent], sentence)
            result.selection.extend(timer.samples)
            text = request_text(request)
            if agent == "ours":
                result.recalled.append(all(seen(by_id[target], text) for target in sentence["targets"]))
            if index < turns:
                result.times[agent].append(elapsed)
            # Every first request of a new conversation: ours on all sentences, core's on the timed ones.
            if (index < turns or agent == "ours") and not sentence.get("history"):
                result.tokens[agent].append(count_tokens(text))
                if agent == "ours" and result.tokens[agent][-1] == max(result.tokens[agent]):
                    result.sample["ours-largest"] = request
                tools = request.get("tools", [])
                result.tools[agent] = (len(tools), count_tokens(json.dumps(tools, ensure_ascii=False)))
                result.per_tool[agent] = {
                    tool["function"]["name"]: count_tokens(json.dumps(tool, ensure_ascii=False))
                    for tool in tools
                }
                result.sample[agent] = request
    return result


def targets(results: list[Size]) -> list[tuple[str, bool, str]]:
    """Issue 9's targets: (line, passed, measured)."""
    lines = []
    for item in results:
        if item.size not in TARGET_TURN_RATIO:
            continue
        tokens = item.median_tokens("ours")
        lines.append(
            (f"{item.size}: first request <= {TARGET_TOKENS} tokens", tokens <= TARGET_TOKENS, f"{tokens:,}")
        )
        lines.append(
            (f"{item.size}: recall >= {TARGET_RECALL}", item.recall >= TARGET_RECALL, f"{item.recall:.3f}")
        )
        limit = TARGET_TURN_RATIO[item.size]
        lines.append(
            (
                f"{item.size}: turn time <= {limit}x core (median)",
                item.ratio(0.5) <= limit,
                f"{item.ratio(0.5):.2f}x",
            )
        )
        if item.size == 3000:
            p95 = item.selection_ms(0.95)
            lines.append(("3000: selection p95 < 10 ms", p95 < TARGET_SELECTION_MS, f"{p95:.2f} ms"))
    return lines


def table(results: list[Size]) -> list[str]:
    lines = [
        "| exposed entities | first request, core | first request, ours (max) | ours ÷ core | recall "
        "| selection, median / p95 | turn time ours ÷ core, median | p95 |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for item in results:
        core, ours = item.median_tokens("core"), item.median_tokens("ours")
        lines.append(
            f"| {item.size:,} | {core:,} | {ours:,} ({item.max_tokens('ours'):,}) | {ours / core:.2f} "
            f"| {item.recall:.3f} | {item.selection_ms(0.5):.2f} / {item.selection_ms(0.95):.2f} ms "
            f"| {item.ratio(0.5):.2f} | {item.ratio(0.95):.2f} |"
        )
    return lines


def per_tool_table(results: list[Size]) -> list[str]:
    """Tokens of each tool's schema as sent, ours and core's, in the largest home."""
    last = results[-1]
    ours, core = last.per_tool.get("ours", {}), last.per_tool.get("core", {})
    lines = ["| tool | ours | core's |", "|---|---:|---:|"]
    for name in sorted({*ours, *core}):
        lines.append(f"| `{name}` | {ours.get(name, '')} | {core.get(name, '')} |")
    lines.append(f"| **all** | **{sum(ours.values()):,}** | **{sum(core.values()):,}** |")
    return lines


def tools_line(results: list[Size]) -> str:
    last = results[-1]
    return "Tool schemas alone: " + ", ".join(
        f"{name} {last.tools[agent][0]} tools, {last.tools[agent][1]:,} tokens"
        for agent, name in (("ours", "ours"), ("core", "core's"))
    )


def times_line(results: list[Size]) -> str:
    return "Absolute turn times (median ms, ours / core): " + ", ".join(
        f"{r.size:,}: {r.turn('ours', 0.5) * 1000:.0f} / {r.turn('core', 0.5) * 1000:.0f}" for r in results
    )


def write_samples(folder: Path, results: list[Size]) -> None:
    """Each agent's first request per size, to read what the model saw."""
    folder.mkdir(parents=True, exist_ok=True)
    for result in results:
        for agent, request in result.sample.items():
            text = json.dumps(request, ensure_ascii=False, indent=1)
            (folder / f"{agent}-{result.size}.json").write_text(text)


def write_report(results: list[Size], checks: list[tuple[str, bool, str]], turns: int, plotted: bool) -> None:
    """Replace this benchmark's section of docs/benchmarks.md, keeping any other section."""
    lines = [
        SECTION,
        "",
        "Regenerated by `.venv/bin/python bench/scale.py`. Our agent and core's `llama_cpp` on the same",
        "synthetic homes in one Home Assistant, the same scripted server answering a short text at once,",
        f"turns interleaved ({turns} per agent and size); recall over all "
        f"{len(results[0].recalled)} labelled sentences.",
        f"Tokens: {TOKENIZER}, of the messages and tools of a new conversation's first request "
        "(median, and the largest in brackets). Selection: the time our agent takes to choose the devices",
        "a request shows, in every turn of ours.",
        "",
        *table(results),
        "",
        times_line(results),
        "",
        "Our p95 includes the first turn after the home grew, which builds Home Assistant's LLM API",
        "once (as core does on every turn); later turns reuse it until the home changes again.",
        "",
        tools_line(results),
        "",
        "Each tool's schema, tokens as sent (largest home):",
        "",
        *per_tool_table(results),
        "",
        "Targets (issue 9):",
        "",
        *(f"- {'PASS' if passed else 'FAIL'} {line}: {value}" for line, passed, value in checks),
    ]
    if plotted:
        lines += ["", f"![tokens and turn time vs home size](images/{PLOT.name})"]
    text = REPORT.read_text() if REPORT.exists() else "# Benchmarks\n"
    head, _, rest = text.partition(SECTION)
    tail = rest[rest.index("\n## ") + 1 :] if "\n## " in rest else ""
    REPORT.write_text(head.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n" + ("\n" + tail if tail else ""))


def plot(results: list[Size]) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot")
        return False
    sizes = [r.size for r in results]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for agent, label in (("ours", "AI Assist"), ("core", "core llama_cpp")):
        left.plot(sizes, [r.median_tokens(agent) for r in results], marker="o", label=label)
        right.plot(sizes, [r.turn(agent, 0.5) * 1000 for r in results], marker="o", label=label)
    left.axhline(TARGET_TOKENS, color="grey", linestyle="--", label="target")
    left.set(title="First request (tokens, log scale)", xlabel="exposed entities", yscale="log")
    right.set(title="Turn time, median (ms)", xlabel="exposed entities")
    for axis in (left, right):
        axis.legend()
        axis.grid(alpha=0.3)
    figure.tight_layout()
    PLOT.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(PLOT, dpi=100)
    return True


async def main(sizes: list[int], turns: int, dump: Path | None = None) -> int:
    SENTENCES.write_text(json.dumps(sentences(), ensure_ascii=False, indent=1) + "\n")
    results = []
    with tempfile.TemporaryDirectory() as config_dir:
        async with (
            async_test_home_assistant(config_dir=config_dir) as hass,
            ModelServer(api_key=API_KEY) as server,
        ):
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
            # Conversation needs http: on a free loopback port, never a running Home Assistant's 8123.
            http = {"server_host": "127.0.0.1", "server_port": free_port()}
            assert await async_setup_component(hass, "http", {"http": http})
            await hass.data[HTTP_STORE].async_promote_pending()  # or it reverts to 8123 after 5 minutes
            for component in ("homeassistant", "intent", *DOMAINS):
                assert await async_setup_component(hass, component, {})
            devices = MockConfigEntry(domain="bench")
            devices.add_to_hass(hass)
            server.chat.responder = lambda _request: Reply(content=ANSWER)
            ours, core = await add_agents(hass, server)
            home = Home(hass, devices.entry_id)
            for size in sizes:
                start = time.perf_counter()
                results.append(await measure(hass, server, home, {"ours": ours, "core": core}, size, turns))
                print(f"  {size:,} entities measured in {time.perf_counter() - start:.0f} s", flush=True)
    checks = targets(results)
    print(f"Big homes, tokens by {TOKENIZER}, {turns} interleaved turns per agent and size")
    print("\n".join(table(results)))
    print(times_line(results))
    print(tools_line(results))
    if not checks:
        print("No target size (1000, 3000) measured: no PASS/FAIL lines")
    for line, passed, value in checks:
        print(f"{'PASS' if passed else 'FAIL'}  {line}: {value}")
    if dump:
        write_samples(dump, results)
    write_report(results, checks, turns, plot(results))
    return 0 if all(passed for _, passed, _ in checks) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,500,1000,3000")
    parser.add_argument("--turns", type=int, default=30)
    parser.add_argument("--dump", type=Path, help="write each agent's first request per size here")
    arguments = parser.parse_args()
    sizes = [int(size) for size in arguments.sizes.split(",")]
    sys.exit(asyncio.run(main(sizes, arguments.turns, arguments.dump)))
