"""Text to speech on the same service (`/v1/audio/speech`), speaking while the agent writes.

The streamed answer is cut into sentences as it arrives; each sentence is synthesized while
the next is written, and the audio goes out in order, as one stream.
"""

import asyncio
from collections.abc import AsyncGenerator, AsyncIterable
import struct
from typing import Any, override

from homeassistant.components import tts
from homeassistant.components.tts.entity import TTSAudioRequest
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import translate_errors
from .const import (
    CONF_AUDIO_FORMAT,
    CONF_LANGUAGE,
    CONF_SPEED,
    CONF_VOICE,
    CONF_VOICES,
    DEFAULT_SPEED,
    DEFAULT_VOICE,
    DOMAIN,
    SPEECH_TIMEOUT,
    SUBENTRY_TTS,
)
from .entity import AIAssistEntity
from .languages import SPEECH_LANGUAGES
from .runtime import AIAssistConfigEntry
from .sentences import async_sentences

PARALLEL_UPDATES = 0
# Sentences synthesized ahead of the one being sent.
LOOKAHEAD = 2
# A WAV header's sizes when the length is not known: players read to the end.
_UNKNOWN_SIZE = 0xFFFFFFFF


async def async_setup_entry(
    hass: HomeAssistant, entry: AIAssistConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add a speech entity for each text-to-speech subentry."""
    for subentry in entry.subentries.values():
        if subentry.subentry_type == SUBENTRY_TTS:
            async_add_entities([AIAssistTTSEntity(entry, subentry)], config_subentry_id=subentry.subentry_id)


class AIAssistTTSEntity(tts.TextToSpeechEntity, AIAssistEntity):
    """The service's voice, for any Assist pipeline."""

    # Speech engines are picked by name in the pipeline's settings: the subentry's title.
    _attr_has_entity_name = False

    def __init__(self, entry: AIAssistConfigEntry, subentry: ConfigSubentry) -> None:
        """Speak with the subentry's model, voice, speed and format."""
        super().__init__(entry, subentry)
        self._attr_name = subentry.title
        self._attr_supported_options = [tts.ATTR_VOICE]
        self._attr_default_language = str(subentry.data.get(CONF_LANGUAGE) or "en")
        self._attr_supported_languages = sorted({*SPEECH_LANGUAGES, self._attr_default_language})
        self.voice = str(subentry.data.get(CONF_VOICE) or DEFAULT_VOICE)
        self.speed = float(subentry.data.get(CONF_SPEED, DEFAULT_SPEED))
        self.audio_format = str(subentry.data.get(CONF_AUDIO_FORMAT) or "wav")
        # The subentry's voice, unless the pipeline picks another.
        self._attr_default_options = {tts.ATTR_VOICE: self.voice}

    @callback
    @override
    def async_get_supported_voices(self, language: str) -> list[tts.Voice]:
        """The subentry's voice, and the voices the server listed when it was saved."""
        voices = [self.voice, *self.subentry.data.get(CONF_VOICES, ())]
        return [tts.Voice(voice, voice) for voice in dict.fromkeys(voices)]

    @override
    def async_supports_streaming_input(self) -> bool:
        """Text may arrive while the agent still writes it."""
        return True

    @override
    async def async_get_tts_audio(
        self, message: str, language: str, options: dict[str, Any]
    ) -> tts.TtsAudioType:
        """Say a whole message in one request."""
        audio = await self._async_synthesize(message, options)
        return self.audio_format, audio

    @override
    async def async_stream_tts_audio(self, request: TTSAudioRequest) -> tts.TTSAudioResponse:
        """Say each sentence as soon as it is written; the audio comes back in order."""
        return tts.TTSAudioResponse(
            self.audio_format, self._async_audio(async_sentences(request.message_gen), request.options)
        )

    async def _async_audio(
        self, sentences: AsyncIterable[str], options: dict[str, Any]
    ) -> AsyncGenerator[bytes]:
        """Synthesize up to LOOKAHEAD sentences ahead; yield one stream (one WAV header)."""
        queue: asyncio.Queue[asyncio.Task[bytes] | None] = asyncio.Queue(maxsize=LOOKAHEAD)

        async def read() -> None:
            """Start each sentence's speech as soon as it is written; None marks the end."""
            try:
                async for sentence in sentences:
                    task = self.hass.async_create_task(self._async_synthesize(sentence, options))
                    try:
                        await queue.put(task)
                    except asyncio.CancelledError:
                        # The listener went away: nobody will want this sentence.
                        task.cancel()
                        raise
            except asyncio.CancelledError:
                raise
            except Exception:
                # The text stopped with an error: what was queued is still said, then the error.
                await queue.put(None)
                raise
            await queue.put(None)

        reader = self.hass.async_create_task(read())
        started = False
        try:
            while (task := await queue.get()) is not None:
                audio = await task
                if self.audio_format != "wav":
                    yield audio
                    continue
                header, frames = split_wav(audio)
                if not started:
                    yield streaming_header(header)
                    started = True
                yield frames
            await reader
        finally:
            reader.cancel()
            while not queue.empty():
                if (pending := queue.get_nowait()) is not None:
                    pending.cancel()

    async def _async_synthesize(self, text: str, options: dict[str, Any]) -> bytes:
        client = self.coordinator.client.with_options(timeout=SPEECH_TIMEOUT)
        voice = str(options.get(tts.ATTR_VOICE) or self.voice)
        with translate_errors(self.model):
            response = await client.audio.speech.create(
                model=self.model,
                voice=voice,
                input=text,
                response_format=self.audio_format,  # type: ignore[arg-type]
                speed=self.speed,
            )
            return response.content


def split_wav(audio: bytes) -> tuple[bytes, bytes]:
    """A WAV file's header (up to its data chunk) and its samples.

    Servers that stream write unknown sizes into the header, so the data runs to the end.
    """
    if audio[:4] != b"RIFF" or audio[8:12] != b"WAVE":
        raise HomeAssistantError(translation_domain=DOMAIN, translation_key="speech_not_wav")
    offset = 12
    while offset + 8 <= len(audio):
        chunk, size = audio[offset : offset + 4], struct.unpack_from("<I", audio, offset + 4)[0]
        if chunk == b"data":
            return audio[: offset + 8], audio[offset + 8 :]
        offset += 8 + size + (size & 1)
    raise HomeAssistantError(translation_domain=DOMAIN, translation_key="speech_not_wav")


def streaming_header(header: bytes) -> bytes:
    """The first sentence's header with unknown sizes: the sentences that follow share it."""
    streaming = bytearray(header)
    struct.pack_into("<I", streaming, 4, _UNKNOWN_SIZE)
    struct.pack_into("<I", streaming, len(streaming) - 4, _UNKNOWN_SIZE)
    return bytes(streaming)
