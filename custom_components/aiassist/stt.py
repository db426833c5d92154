"""Speech to text on the same service (`/v1/audio/transcriptions`): Whisper and its kin."""

from collections.abc import AsyncIterable
import io
from typing import override
import wave

from homeassistant.components import stt
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import AIServiceError, translate_errors
from .const import CONF_LANGUAGE, LOGGER, SPEECH_TIMEOUT, SUBENTRY_STT
from .entity import AIAssistEntity
from .languages import SPEECH_LANGUAGES
from .runtime import AIAssistConfigEntry

PARALLEL_UPDATES = 0
# Ten minutes of 16 kHz speech; a satellite stops listening long before.
MAX_AUDIO_BYTES = 10 * 60 * 16000 * 2


async def async_setup_entry(
    hass: HomeAssistant, entry: AIAssistConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add a transcription entity for each speech-to-text subentry."""
    for subentry in entry.subentries.values():
        if subentry.subentry_type == SUBENTRY_STT:
            async_add_entities([AIAssistSTTEntity(entry, subentry)], config_subentry_id=subentry.subentry_id)


class AIAssistSTTEntity(stt.SpeechToTextEntity, AIAssistEntity):
    """The service's ears, for any Assist pipeline."""

    # Speech engines are picked by name in the pipeline's settings: the subentry's title.
    _attr_has_entity_name = False

    def __init__(self, entry: AIAssistConfigEntry, subentry: ConfigSubentry) -> None:
        """Transcribe with the subentry's model; its language, if set, wins over the pipeline's."""
        super().__init__(entry, subentry)
        self._attr_name = subentry.title
        self.language = str(subentry.data.get(CONF_LANGUAGE) or "")

    @property
    @override
    def supported_languages(self) -> list[str]:
        """Every language Whisper-like models know."""
        return sorted({*SPEECH_LANGUAGES, *([self.language] if self.language else [])})

    @property
    @override
    def supported_formats(self) -> list[stt.AudioFormats]:
        """Satellites send WAV."""
        return [stt.AudioFormats.WAV]

    @property
    @override
    def supported_codecs(self) -> list[stt.AudioCodecs]:
        """Raw samples, wrapped in WAV here."""
        return [stt.AudioCodecs.PCM]

    @property
    @override
    def supported_bit_rates(self) -> list[stt.AudioBitRates]:
        """16-bit samples."""
        return [stt.AudioBitRates.BITRATE_16]

    @property
    @override
    def supported_sample_rates(self) -> list[stt.AudioSampleRates]:
        """16 kHz, what every satellite records."""
        return [stt.AudioSampleRates.SAMPLERATE_16000]

    @property
    @override
    def supported_channels(self) -> list[stt.AudioChannels]:
        """One microphone."""
        return [stt.AudioChannels.CHANNEL_MONO]

    @override
    async def async_process_audio_stream(
        self, metadata: stt.SpeechMetadata, stream: AsyncIterable[bytes]
    ) -> stt.SpeechResult:
        """Send what was heard once the person stops speaking; an error is an error, not words."""
        samples = bytearray()
        async for chunk in stream:
            if len(samples) + len(chunk) > MAX_AUDIO_BYTES:
                break
            samples.extend(chunk)
        language = (self.language or metadata.language).split("-")[0].lower()
        client = self.coordinator.client.with_options(timeout=SPEECH_TIMEOUT)
        try:
            with translate_errors(self.model):
                result = await client.audio.transcriptions.create(
                    model=self.model,
                    file=("speech.wav", wav(bytes(samples), int(metadata.sample_rate)), "audio/wav"),
                    language=language,
                    response_format="json",
                )
        except AIServiceError as err:
            LOGGER.warning("%s could not transcribe: %s", self.entity_id, err.detail or err.key)
            return stt.SpeechResult(None, stt.SpeechResultState.ERROR)
        return stt.SpeechResult(result.text.strip(), stt.SpeechResultState.SUCCESS)


def wav(samples: bytes, rate: int) -> bytes:
    """16-bit mono samples as a WAV file."""
    with io.BytesIO() as buffer:
        with wave.open(buffer, "wb") as file:
            file.setnchannels(1)
            file.setsampwidth(2)
            file.setframerate(rate)
            file.writeframes(samples)
        return buffer.getvalue()
