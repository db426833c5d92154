"""A scripted Wyoming satellite and TTS service on 127.0.0.1, built on the wyoming library.

After ../shared/examples/wyoming_e2e: Home Assistant's `wyoming` integration dials in to each;
the satellite records what it is sent (and answers pings and `played`), the TTS records the text.
"""

import asyncio
from collections.abc import Callable
from functools import partial
import math
import struct

from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import Event
from wyoming.info import Attribution, Describe, Info, Satellite, TtsProgram, TtsVoice
from wyoming.ping import Ping, Pong
from wyoming.satellite import RunSatellite
from wyoming.server import AsyncEventHandler, AsyncTcpServer
from wyoming.snd import Played
from wyoming.tts import Synthesize

ATTRIBUTION = Attribution(name="test", url="http://127.0.0.1")
RATE, WIDTH, CHANNELS = 16000, 2, 1


def tone(seconds: float = 0.25) -> bytes:
    """A short 16-bit mono sine tone: what the scripted TTS says."""
    samples = int(seconds * RATE)
    return b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / RATE))) for i in range(samples)
    )


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
    """Records the text it is asked to say; answers with a short tone."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

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
        )
        return Info(tts=[program])

    async def on_event(self, handler: _Handler, event: Event) -> bool:
        if not Synthesize.is_type(event.type):
            return True
        self.texts.append(Synthesize.from_event(event).text)
        audio = tone()
        await handler.write_event(AudioStart(rate=RATE, width=WIDTH, channels=CHANNELS).event())
        for start in range(0, len(audio), 2048):
            chunk = AudioChunk(rate=RATE, width=WIDTH, channels=CHANNELS, audio=audio[start : start + 2048])
            await handler.write_event(chunk.event())
        await handler.write_event(AudioStop().event())
        return False


class FakeSatellite(WyomingFake):
    """A satellite Home Assistant connects to; it plays what it is sent and says so."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[Event] = []
        self.connected = False
        self._changed = asyncio.Event()

    def info(self) -> Info:
        satellite = Satellite(
            name="Hall", attribution=ATTRIBUTION, installed=True, description="Hall", version="1"
        )
        return Info(satellite=satellite)

    async def on_event(self, handler: _Handler, event: Event) -> bool:
        self.events.append(event)
        if RunSatellite.is_type(event.type):
            self.connected = True
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
