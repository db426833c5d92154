"""End of speech to first audio on a satellite, through Home Assistant's real Assist pipeline.

A Wyoming satellite, STT and TTS built with the `wyoming` library on 127.0.0.1 talk to Home
Assistant's own `wyoming` integration; AI Assist is the pipeline's agent. The scripted model
answers at a realistic speed: its first token after 300 ms, then 30 tokens a second (a word per
token here), a 60-word answer. Speech takes 100 ms per sentence, however long the sentence.

Modes, interleaved turn by turn:
- AI Assist's voice, streamed: sentences synthesized while the model writes;
- AI Assist's voice, whole answer: the same voice told it cannot stream (as core's OpenAI TTS
  and most voices are), so Home Assistant waits for the answer, then says it;
- a Wyoming TTS that streams (Piper-like), with the same 100 ms per sentence.

For the streamed voice, the time is split: before the model (the pipeline's STT and our agent
preparing the request), the model's own first sentence, from that sentence to our speech request
(the answer streamed through our agent and Home Assistant's pipeline, and our sentence cut), the
TTS's 100 ms, and the rest (Home Assistant converting the audio with ffmpeg and sending it).
"Added by us" is the first and third parts together.

Usage: .venv/bin/python bench/voice_latency.py [turns per mode]    (PASS/FAIL lines at the end)
"""

import asyncio
from collections.abc import AsyncGenerator
from pathlib import Path
import statistics
import sys
import tempfile
import time
from types import MappingProxyType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import imageio_ffmpeg  # noqa: E402
from pytest_homeassistant_custom_component.common import (  # noqa: E402
    MockConfigEntry,
    async_test_home_assistant,
)

from bench.scale import free_port  # noqa: E402
import custom_components  # noqa: E402  (ours, before HA mounts its test config dir)
from custom_components.aiassist import entity as entity_module  # noqa: E402
from custom_components.aiassist.tts import AIAssistTTSEntity  # noqa: E402
from homeassistant import loader  # noqa: E402
from homeassistant.components import assist_pipeline  # noqa: E402
from homeassistant.components.assist_pipeline.pipeline import async_update_pipeline  # noqa: E402
from homeassistant.components.http.config import DATA_STORE as HTTP_STORE  # noqa: E402
from homeassistant.config_entries import ConfigEntryState, ConfigSubentry, ConfigSubentryData  # noqa: E402
from homeassistant.const import CONF_API_KEY, CONF_MODEL, CONF_URL  # noqa: E402
from homeassistant.helpers import entity_registry as er  # noqa: E402
from homeassistant.setup import async_setup_component  # noqa: E402
from tests.conftest import AGENT_OPTIONS, API_KEY  # noqa: E402
from tests.model_server import ModelServer, Reply, SpeechReply  # noqa: E402
from tests.wyoming_fakes import FakeSatellite, FakeStt, FakeTts, async_add_wyoming  # noqa: E402

assert "pytest_homeassistant_custom_component" not in custom_components.__path__[0]

TURNS = int(sys.argv[1]) if len(sys.argv) > 1 else 30
WARMUP = 2
FIRST_TOKEN = 0.3
TOKENS_PER_SECOND = 30
SPEECH_PER_SENTENCE = 0.1
ANSWER = (
    "Tonight you could make a mushroom risotto. "
    "It takes about thirty minutes and uses rice, stock, onions and parmesan. "
    "Start by softening the onions in butter, then add the rice and stir for a minute. "
    "Add warm stock a ladle at a time and keep stirring. "
    "Finish with the fried mushrooms, a knob of butter and a handful of cheese."
)
WORDS = ANSWER.split()
FIRST_SENTENCE_WORDS = 7  # "Tonight you could make a mushroom risotto."
# Home Assistant's pipeline streams the answer to TTS once it has more than this many characters.
STREAM_RESPONSE_CHARS = 60
THRESHOLD_WORDS = next(
    n for n in range(1, 61) if len(" ".join(ANSWER.split()[:n])) + 1 > STREAM_RESPONSE_CHARS
)
PLOT = ROOT / "docs" / "images" / "benchmark_voice.png"
TARGET_FIRST_AUDIO = 1.0
TARGET_ADDED = 0.1
STREAMED, WHOLE, WYOMING = (
    "AI Assist voice, streamed",
    "AI Assist voice, whole answer",
    "Wyoming streaming TTS",
)


class Probe:
    """When our agent handed each piece of the answer on, and when our voice was asked to speak.

    Measurement only: wraps the agent's stream and the voice's entry point, changes nothing.
    """

    def __init__(self) -> None:
        self.relayed: list[tuple[float, int]] = []  # (when, characters written so far)
        self.voice_asked = 0.0
        relay = entity_module.transform_stream
        speak = AIAssistTTSEntity.async_stream_tts_audio

        async def relaying(*args: Any, **kwargs: Any) -> AsyncGenerator[Any]:
            written = 0
            async for delta in relay(*args, **kwargs):
                written += len(delta.get("content") or "")
                self.relayed.append((time.monotonic(), written))
                yield delta

        async def speaking(entity: AIAssistTTSEntity, request: Any) -> Any:
            self.voice_asked = time.monotonic()
            return await speak(entity, request)

        entity_module.transform_stream = relaying  # type: ignore[assignment]
        AIAssistTTSEntity.async_stream_tts_audio = speaking  # type: ignore[method-assign]

    def reset(self) -> None:
        self.relayed.clear()
        self.voice_asked = 0.0


def plot(first_audio: dict[str, list[float]], parts: dict[str, list[float]]) -> bool:
    """The modes' first audio (median, p95), and where the streamed voice's time goes."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot")
        return False
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 3.6), gridspec_kw={"width_ratios": [1, 1.4]})
    names = list(first_audio)
    medians = [summary(first_audio[name])[0] * 1000 for name in names]
    p95s = [summary(first_audio[name])[1] * 1000 for name in names]
    left.barh(names, medians, xerr=[[0] * len(names), [p - m for p, m in zip(p95s, medians, strict=True)]])
    left.axvline(TARGET_FIRST_AUDIO * 1000, color="grey", linestyle="--", label="target")
    left.set_title("First audio after end of speech (ms): median, line to p95", fontsize=10)
    left.invert_yaxis()
    left.legend(loc="lower right")
    start = 0.0
    for name, samples in parts.items():
        width = summary(samples)[0] * 1000
        ours = name.startswith(("STT and our", "our "))
        right.barh(
            ["streamed"], [width], left=[start], color="tab:orange" if ours else "tab:blue", edgecolor="white"
        )
        if width > 40:
            right.text(
                start + width / 2, 0, f"{width:.0f}", ha="center", va="center", color="white", fontsize=8
            )
        start += width
    right.set_title("Streamed: where the time goes (ms); ours in orange", fontsize=10)
    right.set_yticks([])
    for axis in (left, right):
        axis.grid(alpha=0.3, axis="x")
    figure.tight_layout()
    PLOT.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(PLOT, dpi=100)
    return True


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


async def main() -> int:
    assert len(WORDS) == 60, len(WORDS)
    with tempfile.TemporaryDirectory() as config_dir:
        async with (
            async_test_home_assistant(config_dir=config_dir) as hass,
            ModelServer(api_key=API_KEY) as server,
        ):
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
            http = {"server_host": "127.0.0.1", "server_port": free_port()}
            assert await async_setup_component(hass, "http", {"http": http})
            await hass.data[HTTP_STORE].async_promote_pending()
            assert await async_setup_component(hass, "homeassistant", {})
            ffmpeg = {"ffmpeg": {"ffmpeg_bin": imageio_ffmpeg.get_ffmpeg_exe()}}
            assert await async_setup_component(hass, "ffmpeg", ffmpeg)
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
            voice = ConfigSubentry(
                data=MappingProxyType({CONF_MODEL: "tts-1", "voice": "alloy"}),
                subentry_type="tts",
                title="Voice",
                unique_id=None,
            )
            hass.config_entries.async_add_subentry(entry, voice)
            await hass.async_block_till_done()
            assert entry.state is ConfigEntryState.LOADED
            entities = er.async_get(hass)
            our_tts = entities.async_get_entity_id("tts", "aiassist", voice.subentry_id)

            stt, wyoming_tts, satellite = FakeStt(), FakeTts(True, SPEECH_PER_SENTENCE), FakeSatellite()
            for fake in (stt, wyoming_tts, satellite):
                await fake.start()
            stt.transcript = "what should I cook tonight?"
            stt_entry = await async_add_wyoming(hass, stt.port)
            tts_entry = await async_add_wyoming(hass, wyoming_tts.port)
            engines = {
                STREAMED: our_tts,
                WHOLE: our_tts,
                WYOMING: entities.async_get_entity_id("tts", "wyoming", f"{tts_entry.entry_id}-tts"),
            }
            voices = {STREAMED: "alloy", WHOLE: "alloy", WYOMING: "fake-voice"}
            pipeline = assist_pipeline.async_get_pipeline(hass)
            stt_engine = entities.async_get_entity_id("stt", "wyoming", f"{stt_entry.entry_id}-stt")
            satellite_entry = await async_add_wyoming(hass, satellite.port)
            await satellite.wait_for(lambda: satellite.connected)

            # The role comes first, then a word per event: the first word at FIRST_TOKEN.
            server.chat.responder = lambda _request: Reply(
                content=ANSWER, delay=FIRST_TOKEN - 1 / TOKENS_PER_SECOND, chunk_delay=1 / TOKENS_PER_SECOND
            )
            server.speech.responder = lambda _request: SpeechReply(delay=SPEECH_PER_SENTENCE)
            first_audio: dict[str, list[float]] = {mode: [] for mode in engines}
            parts: dict[str, list[float]] = {
                "STT and our agent, before the model": [],
                "the model writes its first sentence": [],
                f"the model writes on to {STREAM_RESPONSE_CHARS} characters (HA's wait before TTS)": [],
                "our agent relays that text": [],
                "HA starts the TTS stream": [],
                "our voice asks for the first sentence": [],
                "speech (100 ms)": [],
                "HA's ffmpeg conversion and delivery": [],
            }
            added: list[float] = []
            streams = AIAssistTTSEntity.async_supports_streaming_input
            probe = Probe()
            for turn in range(WARMUP + TURNS):
                for mode, engine in engines.items():
                    pipeline = assist_pipeline.async_get_pipeline(hass)
                    await async_update_pipeline(
                        hass,
                        pipeline,
                        conversation_engine="conversation.ai_assist",
                        conversation_language="en",
                        stt_engine=stt_engine,
                        stt_language="en",
                        tts_engine=engine,
                        tts_language="en",
                        tts_voice=voices[mode],
                    )
                    AIAssistTTSEntity.async_supports_streaming_input = (  # type: ignore[method-assign]
                        streams if mode != WHOLE else lambda _self: False
                    )
                    chats = len(server.request_times.get("/v1/chat/completions", []))
                    speeches = len(server.request_times.get("/v1/audio/speech", []))
                    start = len(satellite.events)
                    probe.reset()
                    await satellite.speak()
                    spoken = time.monotonic()
                    await satellite.wait_for(
                        lambda start=start: "audio-stop" in satellite.types(start),  # type: ignore[misc]
                        seconds=30,
                    )
                    heard = next(
                        satellite.times[start + index]
                        for index, event in enumerate(satellite.events[start:])
                        if event.type == "audio-chunk"
                    )
                    if turn < WARMUP:
                        continue
                    first_audio[mode].append(heard - spoken)
                    if mode == STREAMED:
                        asked = server.request_times["/v1/chat/completions"][chats]
                        sentence = asked + FIRST_TOKEN + (FIRST_SENTENCE_WORDS - 1) / TOKENS_PER_SECOND
                        threshold = asked + FIRST_TOKEN + (THRESHOLD_WORDS - 1) / TOKENS_PER_SECOND
                        relayed = next(
                            when for when, written in probe.relayed if written > STREAM_RESPONSE_CHARS
                        )
                        said = server.request_times["/v1/audio/speech"][speeches]
                        parts["STT and our agent, before the model"].append(asked - spoken)
                        parts["the model writes its first sentence"].append(sentence - asked)
                        parts[next(iter(name for name in parts if "characters" in name))].append(
                            threshold - sentence
                        )
                        parts["our agent relays that text"].append(relayed - threshold)
                        parts["HA starts the TTS stream"].append(probe.voice_asked - relayed)
                        parts["our voice asks for the first sentence"].append(said - probe.voice_asked)
                        parts["speech (100 ms)"].append(SPEECH_PER_SENTENCE)
                        parts["HA's ffmpeg conversion and delivery"].append(
                            heard - said - SPEECH_PER_SENTENCE
                        )
                        added.append((asked - spoken) + (relayed - threshold) + (said - probe.voice_asked))
            AIAssistTTSEntity.async_supports_streaming_input = streams  # type: ignore[method-assign]

            print(
                f"End of speech to first audio on a Wyoming satellite, {TURNS} turns per mode (interleaved); "
                f"model: first token {FIRST_TOKEN * 1000:.0f} ms, {TOKENS_PER_SECOND} tokens/s, "
                f"{len(WORDS)} words; speech {SPEECH_PER_SENTENCE * 1000:.0f} ms per sentence"
            )
            print("| mode | median | p95 |")
            print("|---|---:|---:|")
            for mode, samples in first_audio.items():
                median, p95 = summary(samples)
                print(f"| {mode} | {median * 1000:.0f} ms | {p95 * 1000:.0f} ms |")
            print("\nWhere the streamed voice's time goes:")
            print("| part | median | p95 |")
            print("|---|---:|---:|")
            for name, samples in parts.items():
                median, p95 = summary(samples)
                print(f"| {name} | {median * 1000:.0f} ms | {p95 * 1000:.0f} ms |")
            added_median, added_p95 = summary(added)
            label = "added by us (STT and agent before the model, relaying, our voice)"
            print(f"| {label} | {added_median * 1000:.0f} ms | {added_p95 * 1000:.0f} ms |")
            streamed_median, _ = summary(first_audio[STREAMED])
            whole_median, _ = summary(first_audio[WHOLE])
            print(f"\nratio whole answer / streamed (medians): {whole_median / streamed_median:.2f}")
            if plot(first_audio, parts):
                print(f"plot: {PLOT.relative_to(ROOT)}")
            checks = [
                (f"first audio within {TARGET_FIRST_AUDIO:.1f} s (streamed, median)", streamed_median),
                (f"under {TARGET_ADDED * 1000:.0f} ms added by us (median)", added_median),
            ]
            failed = 0
            for (label, value), target in zip(checks, (TARGET_FIRST_AUDIO, TARGET_ADDED), strict=True):
                verdict = "PASS" if value < target else "FAIL"
                failed += verdict == "FAIL"
                print(f"{verdict}: {label}: {value * 1000:.0f} ms")

            for done in (satellite_entry, tts_entry, stt_entry, entry):
                await hass.config_entries.async_unload(done.entry_id)
            await hass.async_block_till_done()
            for fake in (satellite, wyoming_tts, stt):
                await fake.stop()
            return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
