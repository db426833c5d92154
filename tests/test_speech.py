"""Speech on the same service: a voice that speaks while the agent writes, and ears."""

import asyncio
from collections.abc import AsyncGenerator

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.aiassist.const import (
    CONF_AUDIO_FORMAT,
    CONF_LANGUAGE,
    CONF_SPEED,
    CONF_VOICE,
    CONF_VOICES,
    SUBENTRY_STT,
    SUBENTRY_TTS,
)
from homeassistant.components import stt, tts
from homeassistant.config_entries import ConfigEntryState, ConfigSubentry
from homeassistant.const import CONF_MODEL
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er

from .model_server import Fault, ModelServer, SpeechReply, TranscriptReply, wav_file

VOICE = {
    CONF_MODEL: "kokoro",
    CONF_VOICE: "af_bella",
    CONF_LANGUAGE: "en",
    CONF_SPEED: 1.0,
    CONF_AUDIO_FORMAT: "wav",
}
EARS = {CONF_MODEL: "whisper-1", CONF_LANGUAGE: ""}


async def _add(hass: HomeAssistant, entry: MockConfigEntry, kind: str, data: dict[str, object]) -> str:
    """Add a speech subentry (the entry reloads) and return its entity."""
    subentry = ConfigSubentry(data=data, subentry_type=kind, title=f"Test {kind}", unique_id=None)  # type: ignore[arg-type]
    hass.config_entries.async_add_subentry(entry, subentry)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    entity_id = er.async_get(hass).async_get_entity_id(kind, "aiassist", subentry.subentry_id)
    assert entity_id is not None
    return entity_id


@pytest.fixture
async def voice(hass: HomeAssistant, setup_integration: MockConfigEntry) -> str:
    """The service's voice entity."""
    return await _add(hass, setup_integration, SUBENTRY_TTS, VOICE)


@pytest.fixture
async def ears(hass: HomeAssistant, setup_integration: MockConfigEntry) -> str:
    """The service's transcription entity."""
    return await _add(hass, setup_integration, SUBENTRY_STT, EARS)


def _even(text: str) -> bytes:
    """Text as samples: an even number of bytes."""
    data = text.encode()
    return data + b"\0" * (len(data) % 2)


async def _stream(
    hass: HomeAssistant, voice: str, message: AsyncGenerator[str], options: dict[str, object] | None = None
) -> AsyncGenerator[bytes]:
    # WAV, as the voice makes it: no conversion by Home Assistant in between.
    stream = tts.async_create_stream(hass, voice, "en", {tts.ATTR_PREFERRED_FORMAT: "wav", **(options or {})})
    stream.async_set_message_stream(message)
    async for chunk in stream.async_stream_result():
        yield chunk


async def test_the_voice_speaks_the_first_sentence_while_the_rest_is_written(
    hass: HomeAssistant, model_server: ModelServer, voice: str
) -> None:
    first_audio = asyncio.Event()
    # Each sentence's "audio" is its own text, and the sentences take longer the earlier they
    # come: the audio must still come out in the order they were written.
    model_server.speech.responder = lambda request: SpeechReply(
        body=wav_file(_even(request.json["input"])),
        delay=0.3 if request.json["input"].startswith("First") else 0,
    )

    async def answer() -> AsyncGenerator[str]:
        yield "Here is the plan"
        yield " for tonight. First, preheat"
        # The rest is written only once the first sentence is heard: a voice that waited for
        # the whole answer would never be heard.
        async with asyncio.timeout(5):
            await first_audio.wait()
        yield " the oven. 然后切菜。最后上桌！"

    audio = b""
    async for chunk in _stream(hass, voice, answer()):
        audio += chunk
        first_audio.set()

    said = ["Here is the plan for tonight.", "First, preheat the oven.", "然后切菜。", "最后上桌！"]
    assert sorted(request["input"] for request in model_server.speech_requests) == sorted(said)
    assert {request["voice"] for request in model_server.speech_requests} == {"af_bella"}
    # One stream: one header, then every sentence's samples in order.
    assert audio[:4] == b"RIFF"
    assert audio[44:] == b"".join(_even(text) for text in said)


async def test_a_whole_message_and_the_pipelines_voice(
    hass: HomeAssistant, model_server: ModelServer, voice: str
) -> None:
    stream = tts.async_create_stream(
        hass, voice, "en", {tts.ATTR_VOICE: "am_adam", tts.ATTR_PREFERRED_FORMAT: "wav"}
    )
    stream.async_set_message("Good morning.")
    audio = b"".join([chunk async for chunk in stream.async_stream_result()])

    assert audio[:4] == b"RIFF"
    assert model_server.speech_requests[-1]["voice"] == "am_adam"
    assert model_server.speech_requests[-1]["model"] == "kokoro"


async def test_a_speech_server_fault_is_a_clear_error(
    hass: HomeAssistant, model_server: ModelServer, voice: str
) -> None:
    model_server.speech.add(SpeechReply(), Fault(500), Fault(500))

    async def answer() -> AsyncGenerator[str]:
        yield "One sentence. And another one."

    with pytest.raises(HomeAssistantError, match="AI service"):
        async for _chunk in _stream(hass, voice, answer()):
            pass


async def test_audio_that_is_not_wav_is_refused_clearly(
    hass: HomeAssistant, model_server: ModelServer, voice: str
) -> None:
    model_server.speech.add(SpeechReply(body=b"not audio at all"))

    async def answer() -> AsyncGenerator[str]:
        yield "Hello."

    with pytest.raises(HomeAssistantError, match="did not send WAV"):
        async for _chunk in _stream(hass, voice, answer()):
            pass


async def test_the_ears_transcribe_in_the_pipelines_language(
    hass: HomeAssistant, model_server: ModelServer, ears: str
) -> None:
    model_server.transcriptions.add(TranscriptReply(text=" 打开厨房的灯 "), Fault(400), Fault(400))
    engine = stt.async_get_speech_to_text_entity(hass, ears)
    assert engine is not None
    metadata = stt.SpeechMetadata(
        language="zh-Hans",
        format=stt.AudioFormats.WAV,
        codec=stt.AudioCodecs.PCM,
        bit_rate=stt.AudioBitRates.BITRATE_16,
        sample_rate=stt.AudioSampleRates.SAMPLERATE_16000,
        channel=stt.AudioChannels.CHANNEL_MONO,
    )

    async def microphone() -> AsyncGenerator[bytes]:
        for _ in range(10):
            yield bytes(3200)

    heard = await engine.internal_async_process_audio_stream(metadata, microphone())
    assert heard.result is stt.SpeechResultState.SUCCESS
    assert heard.text == "打开厨房的灯"
    request = model_server.transcription_requests[-1]
    assert request["language"] == "zh"
    assert request["model"] == "whisper-1"
    assert request["file"] == 44 + 32000

    failed = await engine.internal_async_process_audio_stream(metadata, microphone())
    assert failed.result is stt.SpeechResultState.ERROR


async def test_a_voice_is_added_with_the_servers_voices_and_tried_first(
    hass: HomeAssistant, model_server: ModelServer, setup_integration: MockConfigEntry
) -> None:
    model_server.models = ["test-model", "kokoro", "whisper-1"]
    await setup_integration.runtime_data.coordinator.async_refresh()
    model_server.voices = ["af_bella", "am_adam"]
    flow = await hass.config_entries.subentries.async_init(
        (setup_integration.entry_id, SUBENTRY_TTS), context={"source": "user"}
    )
    schema = flow["data_schema"].schema
    model_options = next(value for key, value in schema.items() if key == CONF_MODEL).config["options"]
    assert model_options == ["kokoro"]  # the speech models the server lists
    voices = next(value for key, value in schema.items() if key == CONF_VOICE).config["options"]
    assert voices == ["af_bella", "am_adam"]

    model_server.speech.add(Fault.model_not_found("kokoro-typo"))
    form = {"name": "Kitchen voice", CONF_MODEL: "kokoro-typo", CONF_VOICE: "af_bella", CONF_SPEED: 1.0}
    result = await hass.config_entries.subentries.async_configure(flow["flow_id"], form)
    assert result["errors"] == {"base": "model_not_found"}

    result = await hass.config_entries.subentries.async_configure(
        flow["flow_id"], {**form, CONF_MODEL: "kokoro"}
    )
    assert result["type"] == "create_entry"
    assert result["data"][CONF_VOICES] == ["am_adam"]
    assert model_server.speech_requests[-1]["input"] == "OK."
    await hass.async_block_till_done()
    assert hass.states.get("tts.kitchen_voice") is not None


async def test_ears_are_added_after_a_moment_of_silence_is_transcribed(
    hass: HomeAssistant, model_server: ModelServer, setup_integration: MockConfigEntry
) -> None:
    flow = await hass.config_entries.subentries.async_init(
        (setup_integration.entry_id, SUBENTRY_STT), context={"source": "user"}
    )
    model_server.transcriptions.add(Fault(401))
    result = await hass.config_entries.subentries.async_configure(
        flow["flow_id"], {"name": "Ears", CONF_MODEL: "whisper-1"}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.subentries.async_configure(
        flow["flow_id"], {"name": "Ears", CONF_MODEL: "whisper-1", CONF_LANGUAGE: "en"}
    )
    assert result["type"] == "create_entry"
    assert model_server.transcription_requests[-1]["file"] == 44 + 16000
    await hass.async_block_till_done()
    assert hass.states.get("stt.ears") is not None


async def test_a_voice_that_hangs_is_given_up_on_within_its_timeout(
    hass: HomeAssistant, model_server: ModelServer, voice: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("custom_components.aiassist.tts.SPEECH_TIMEOUT", 0.3)
    model_server.speech.add(SpeechReply(delay=5), SpeechReply(delay=5))

    async def answer() -> AsyncGenerator[str]:
        yield "Hello."

    started = asyncio.get_running_loop().time()
    with pytest.raises(HomeAssistantError, match="did not answer in time"):
        async for _chunk in _stream(hass, voice, answer()):
            pass
    assert asyncio.get_running_loop().time() - started < 2  # one retry at most, never 5 s


async def test_when_the_text_breaks_off_what_was_written_is_still_said(
    hass: HomeAssistant, model_server: ModelServer, voice: str
) -> None:
    async def answer() -> AsyncGenerator[str]:
        yield "One sentence. Another one. "
        raise HomeAssistantError("the agent stopped")

    chunks: list[bytes] = []

    async def listen() -> None:
        async for chunk in _stream(hass, voice, answer()):
            chunks.append(chunk)

    with pytest.raises(HomeAssistantError, match="the agent stopped"):
        await listen()
    audio = b"".join(chunks)

    assert sorted(request["input"] for request in model_server.speech_requests) == [
        "Another one.",
        "One sentence.",
    ]
    assert len(audio) > 44
