"""A scripted Wyoming satellite and TTS service on 127.0.0.1, built on the wyoming library.

After ../shared/examples/wyoming_e2e: Home Assistant's `wyoming` integration dials in to each;
the satellite records what it is sent (and answers pings and `played`), the TTS records the text.
"""

import asyncio
from collections.abc import Callable
from functools import partial
import math
import struct
import time

from pytest_homeassistant_custom_component.common import MockConfigEntry
from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import Event
from wyoming.info import AsrModel, AsrProgram, Attribution, Describe, Info, Satellite, TtsProgram, TtsVoice
from wyoming.ping import Ping, Pong
from wyoming.pipeline import PipelineStage, RunPipeline
from wyoming.satellite import RunSatellite
from wyoming.server import AsyncEventHandler, AsyncTcpServer
from wyoming.snd import Played
from wyoming.tts import Synthesize, SynthesizeChunk, SynthesizeStart, SynthesizeStop, SynthesizeStopped

from homeassistant.core import HomeAssistant

ATTRIBUTION = Attribution(name="test", url="http://127.0.0.1")
RATE, WIDTH, CHANNELS = 16000, 2, 1
SPOKEN_CHARACTERS_PER_SECOND = 15


def tone(seconds: float = 0.25) -> bytes:
    """A short 16-bit mono sine tone: what the scripted TTS says."""
    period = [int(8000 * math.sin(2 * math.pi * i / 40)) for i in range(40)]  # 400 Hz
    samples = int(seconds * RATE)
    return struct.pack(f"<{samples}h", *(period[i % 40] for i in range(samples)))


class _Handler(AsyncEventHandler):
    def __init__(
        self, service: WyomingFake, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        super().__init__(reader, writer)
        self.service = service

    async def handle_event(self, event: Event) -> bool:
        keep_open = await self.service.on_event(self, event)
        if Describe.is_type(event.type):
            await self.write_event(self.service.info().event())
        return keep_open


class WyomingFake:
    """One TCP server on an ephemeral port of 127.0.0.1."""

    def __init__(self) -> None:
        self._server: AsyncTcpServer | None = None
        self.port = 0
        self.stopped = False

    def info(self) -> Info:
        raise NotImplementedError

    async def on_event(self, handler: _Handler, event: Event) -> bool:
        raise NotImplementedError

    async def start(self) -> None:
        self._server = AsyncTcpServer("127.0.0.1", 0)
        await self._server.start(partial(_Handler, self))
        self.port = self._server._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        assert self._server is not None
        self.stopped = True
        handlers = list(self._server._handlers)
        await self._server.stop()
        await self._server._server.wait_closed()  # type: ignore[union-attr]
        if handlers:
            await asyncio.wait(handlers, timeout=5)


class FakeTts(WyomingFake):
    """Records the text it is asked to say; answers with a short tone per sentence.

    With `streaming`, it takes text as it is written (synthesize-start/-chunk/-stop) and
    speaks each sentence as soon as it is complete, as Piper and other streaming TTS do.
    """

    def __init__(self, streaming: bool = False, seconds_per_sentence: float = 0.0) -> None:
        super().__init__()
        self.streaming = streaming
        self.seconds_per_sentence = seconds_per_sentence  # synthesis time, as a real engine takes
        self.texts: list[str] = []
        self.chunks: list[str] = []
        self.chunk_times: list[float] = []  # when each streamed piece of text arrived
        self._pending = ""

    def info(self) -> Info:
        voice = TtsVoice(
            name="fake-voice",
            attribution=ATTRIBUTION,
            installed=True,
            description=None,
            version="1",
            languages=["en"],
        )
        program = TtsProgram(
            name="fake-tts",
            attribution=ATTRIBUTION,
            installed=True,
            description="TTS",
            version="1",
            voices=[voice],
            supports_synthesize_streaming=self.streaming,
        )
        return Info(tts=[program])

    async def on_event(self, handler: _Handler, event: Event) -> bool:
        if self.streaming and SynthesizeStart.is_type(event.type):
            self._pending = ""
            await handler.write_event(AudioStart(rate=RATE, width=WIDTH, channels=CHANNELS).event())
        elif self.streaming and SynthesizeChunk.is_type(event.type):
            text = SynthesizeChunk.from_event(event).text
            self.chunks.append(text)
            self.chunk_times.append(time.monotonic())
            self._pending += text
            while (end := _sentence_end(self._pending)) is not None:
                await self._say(handler, self._pending[:end])
                self._pending = self._pending[end:]
        elif self.streaming and SynthesizeStop.is_type(event.type):
            if self._pending.strip():
                await self._say(handler, self._pending)
            await handler.write_event(AudioStop().event())
            await handler.write_event(SynthesizeStopped().event())
            return False
        elif Synthesize.is_type(event.type) and not self.streaming:
            self.texts.append(Synthesize.from_event(event).text)
            await handler.write_event(AudioStart(rate=RATE, width=WIDTH, channels=CHANNELS).event())
            await self._audio(handler, tone())
            await handler.write_event(AudioStop().event())
            return False
        return True

    async def _say(self, handler: _Handler, text: str) -> None:
        self.texts.append(text.strip())
        if self.seconds_per_sentence:
            await asyncio.sleep(self.seconds_per_sentence)
        # As long as a person takes to say it (about 15 characters a second): Home Assistant's
        # ffmpeg conversion holds back its output until it has read about 64 KB.
        await self._audio(handler, tone(len(text.strip()) / SPOKEN_CHARACTERS_PER_SECOND))

    async def _audio(self, handler: _Handler, audio: bytes) -> None:
        for start in range(0, len(audio), 2048):
            chunk = AudioChunk(rate=RATE, width=WIDTH, channels=CHANNELS, audio=audio[start : start + 2048])
            await handler.write_event(chunk.event())


def _sentence_end(text: str) -> int | None:
    """Where the first complete sentence of `text` ends, if one is complete."""
    for index, char in enumerate(text[:-1]):
        if char in ".!?" and text[index + 1].isspace():
            return index + 1
    return None


class FakeStt(WyomingFake):
    """Hears whatever the test sets as `transcript`, however long the audio."""

    def __init__(self) -> None:
        super().__init__()
        self.transcript = ""
        self.audio_bytes = 0

    def info(self) -> Info:
        model = AsrModel(
            name="fake-stt",
            attribution=ATTRIBUTION,
            installed=True,
            description=None,
            version="1",
            languages=["en", "zh"],
        )
        program = AsrProgram(
            name="fake-stt",
            attribution=ATTRIBUTION,
            installed=True,
            description="STT",
            version="1",
            models=[model],
        )
        return Info(asr=[program])

    async def on_event(self, handler: _Handler, event: Event) -> bool:
        if Transcribe.is_type(event.type):
            self.audio_bytes = 0
        elif AudioChunk.is_type(event.type):
            self.audio_bytes += len(AudioChunk.from_event(event).audio)
        elif AudioStop.is_type(event.type):
            await handler.write_event(Transcript(text=self.transcript).event())
            return False
        return True


class FakeSatellite(WyomingFake):
    """A satellite Home Assistant connects to; it plays what it is sent and says so."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[Event] = []
        self.times: list[float] = []  # when each event arrived (time.monotonic)
        self.connected = False
        self.handler: _Handler | None = None
        self._changed = asyncio.Event()

    def info(self) -> Info:
        satellite = Satellite(
            name="Hall", attribution=ATTRIBUTION, installed=True, description="Hall", version="1"
        )
        return Info(satellite=satellite)

    async def on_event(self, handler: _Handler, event: Event) -> bool:
        self.events.append(event)
        self.times.append(time.monotonic())
        if RunSatellite.is_type(event.type):
            self.connected = True
            self.handler = handler
        elif Ping.is_type(event.type):
            await handler.write_event(Pong(text=Ping.from_event(event).text).event())
        elif AudioStop.is_type(event.type):
            await handler.write_event(Played().event())
        self._changed.set()
        return True

    async def wait_for(self, predicate: Callable[[], bool], seconds: float = 10) -> None:
        async with asyncio.timeout(seconds):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

    async def speak(self, seconds: float = 0.2) -> None:
        """The wake word fired: run the pipeline from speech to speech, and send the microphone's audio."""
        assert self.handler is not None, "Home Assistant is not connected"
        await self.handler.write_event(
            RunPipeline(start_stage=PipelineStage.ASR, end_stage=PipelineStage.TTS).event()
        )
        silence = bytes(2048)
        for _ in range(int(seconds * RATE * WIDTH / len(silence)) + 1):
            await self.handler.write_event(
                AudioChunk(rate=RATE, width=WIDTH, channels=CHANNELS, audio=silence).event()
            )
        await self.handler.write_event(AudioStop().event())

    def types(self, after: int = 0) -> list[str]:
        """The types of the events received, from `after` on."""
        return [event.type for event in self.events[after:]]


async def async_add_wyoming(hass: HomeAssistant, port: int) -> MockConfigEntry:
    """Home Assistant's wyoming integration, connected to the fake on `port`."""
    entry = MockConfigEntry(domain="wyoming", data={"host": "127.0.0.1", "port": port})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def speech_loaded(seconds: float = 10) -> None:
    """Wait for Home Assistant to finish loading speech into its cache (its own background tasks).

    Under load it may still be converting the last answer when a test ends.
    """
    loading = [task for task in asyncio.all_tasks() if task.get_name().startswith("tts_load_data_into_cache")]
    if loading:
        await asyncio.wait(loading, timeout=seconds)
