"""The speech subentry flows: a voice (text to speech) and ears (speech to text) on the service.

Models and voices are listed where the server says them and typed otherwise; what is saved
is tried first: one short sentence said, or a moment of silence transcribed.
"""

from collections.abc import Awaitable, Callable
from typing import Any, cast

import openai
import probatio

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState, ConfigSubentryFlow, SubentryFlowResult
from homeassistant.const import CONF_MODEL, CONF_NAME
from homeassistant.helpers.selector import (
    LanguageSelector,
    LanguageSelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)

from .api import AIServiceError, CannotConnect, InvalidAuth, ModelNotFound, ServiceTimeout, translate_errors
from .const import (
    AUDIO_FORMATS,
    CONF_AUDIO_FORMAT,
    CONF_LANGUAGE,
    CONF_SPEED,
    CONF_VOICE,
    CONF_VOICES,
    DEFAULT_SPEED,
    DEFAULT_STT_NAME,
    DEFAULT_TTS_NAME,
    DEFAULT_VOICE,
    LOGGER,
    OPENAI_VOICES,
    PROBE_TIMEOUT,
    SPEECH_TIMEOUT,
)
from .languages import SPEECH_LANGUAGES
from .models import speech_models
from .runtime import AIAssistConfigEntry
from .stt import wav

_ERRORS: dict[type[AIServiceError], str] = {
    CannotConnect: "cannot_connect",
    ServiceTimeout: "timeout",
    InvalidAuth: "invalid_auth",
    ModelNotFound: "model_not_found",
}


class _SpeechFlow(ConfigSubentryFlow):
    """What the voice and the ears share: the form, its check, add or change."""

    kind: str
    default_name: str
    # What is tried before the subentry is saved; each kind of flow says it.
    _async_try: Callable[[openai.AsyncOpenAI, dict[str, Any]], Awaitable[None]]

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Add one."""
        return await self._async_step("user", user_input)

    async def async_step_reconfigure(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Change one."""
        return await self._async_step("reconfigure", user_input)

    async def _async_step(self, step_id: str, user_input: dict[str, Any] | None) -> SubentryFlowResult:
        entry: AIAssistConfigEntry = self._get_entry()
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="entry_not_loaded")
        adding = self.source == SOURCE_USER
        previous = {} if adding else dict(self._get_reconfigure_subentry().data)
        client = entry.runtime_data.coordinator.client
        models = speech_models(entry.runtime_data.coordinator.data or [], self.kind)
        errors: dict[str, str] = {}
        placeholders = {"message": ""}
        if user_input is not None:
            data = self._clean(user_input)
            try:
                await self._async_try(client, data)
            except AIServiceError as err:
                errors["base"] = _ERRORS.get(type(err), "rejected")
                placeholders["message"] = err.detail
            else:
                title = str(data.pop(CONF_NAME, self.default_name))
                if adding:
                    return self.async_create_entry(title=title, data=data)
                return self.async_update_and_abort(
                    entry, self._get_reconfigure_subentry(), data=data, reason="reconfigure_successful"
                )
        suggested = {CONF_NAME: self.default_name, CONF_MODEL: models[0] if models else "", **previous}
        if user_input is not None:
            suggested.update(user_input)
        schema = await self._async_schema(client, models, adding, previous)
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
            description_placeholders=placeholders,
        )

    def _clean(self, user_input: dict[str, Any]) -> dict[str, Any]:
        data = dict(user_input)
        data[CONF_MODEL] = str(data[CONF_MODEL]).strip()
        data[CONF_LANGUAGE] = str(data.get(CONF_LANGUAGE) or "")
        return data

    async def _async_schema(
        self, client: openai.AsyncOpenAI, models: list[str], adding: bool, previous: dict[str, Any]
    ) -> probatio.Schema:
        schema: dict[probatio.Marker, Any] = {}
        if adding:
            schema[probatio.Required(CONF_NAME)] = str
        schema[probatio.Required(CONF_MODEL)] = _pick(models)
        schema[probatio.Optional(CONF_LANGUAGE)] = LanguageSelector(
            LanguageSelectorConfig(languages=list(SPEECH_LANGUAGES))
        )
        return probatio.Schema(schema)


class TextToSpeechFlowHandler(_SpeechFlow):
    """Add or change the service's voice: model, voice, language, speed, audio format."""

    kind = "tts"
    default_name = DEFAULT_TTS_NAME

    def _clean(self, user_input: dict[str, Any]) -> dict[str, Any]:
        data = super()._clean(user_input)
        data[CONF_VOICE] = str(data.get(CONF_VOICE) or DEFAULT_VOICE).strip()
        data[CONF_SPEED] = float(data.get(CONF_SPEED, DEFAULT_SPEED))
        data[CONF_AUDIO_FORMAT] = str(data.get(CONF_AUDIO_FORMAT) or AUDIO_FORMATS[0])
        return data

    async def _async_schema(
        self, client: openai.AsyncOpenAI, models: list[str], adding: bool, previous: dict[str, Any]
    ) -> probatio.Schema:
        schema = dict((await super()._async_schema(client, models, adding, previous)).schema)
        self._voices = await _async_voices(client)
        schema[probatio.Required(CONF_VOICE, default=DEFAULT_VOICE)] = _pick(self._voices)
        schema[probatio.Required(CONF_SPEED, default=DEFAULT_SPEED)] = NumberSelector(
            NumberSelectorConfig(min=0.25, max=4.0, step=0.05, mode=NumberSelectorMode.SLIDER)
        )
        schema[probatio.Required(CONF_AUDIO_FORMAT, default=AUDIO_FORMATS[0])] = SelectSelector(
            SelectSelectorConfig(options=list(AUDIO_FORMATS), translation_key=CONF_AUDIO_FORMAT)
        )
        return probatio.Schema(schema)

    async def _async_try(self, client: openai.AsyncOpenAI, data: dict[str, Any]) -> None:
        """Say one short sentence with what the form holds; keep the voices the server listed."""
        with translate_errors(data[CONF_MODEL]):
            response = await client.with_options(timeout=SPEECH_TIMEOUT, max_retries=0).audio.speech.create(
                model=data[CONF_MODEL],
                voice=data[CONF_VOICE],
                input="OK.",
                response_format=data[CONF_AUDIO_FORMAT],
                speed=data[CONF_SPEED],
            )
            if not response.content:
                raise AIServiceError("the server sent no audio")
        voices = getattr(self, "_voices", None) or await _async_voices(client)
        data[CONF_VOICES] = [voice for voice in voices if voice != data[CONF_VOICE]]


class SpeechToTextFlowHandler(_SpeechFlow):
    """Add or change the service's ears: model and language."""

    kind = "stt"
    default_name = DEFAULT_STT_NAME

    async def _async_try(self, client: openai.AsyncOpenAI, data: dict[str, Any]) -> None:
        """Transcribe a moment of silence: the model exists and takes audio."""
        with translate_errors(data[CONF_MODEL]):
            await client.with_options(timeout=SPEECH_TIMEOUT, max_retries=0).audio.transcriptions.create(
                model=data[CONF_MODEL],
                file=("silence.wav", wav(bytes(16000), 16000), "audio/wav"),
                response_format="json",
            )


def _pick(options: list[str]) -> SelectSelector:
    """What the server lists, or any name the user types."""
    return SelectSelector(
        SelectSelectorConfig(options=options, mode=SelectSelectorMode.DROPDOWN, custom_value=True, sort=True)
    )


async def _async_voices(client: openai.AsyncOpenAI) -> list[str]:
    """The voices a server lists (Kokoro-FastAPI, Speaches, LocalAI do at /audio/voices); else OpenAI's."""
    try:
        with translate_errors():
            listed = await client.with_options(timeout=PROBE_TIMEOUT, max_retries=0).get(
                "/audio/voices", cast_to=cast(Any, object)
            )
    except AIServiceError as err:
        LOGGER.debug("The server lists no voices (%s); offering OpenAI's", err.detail or err.key)
        return list(OPENAI_VOICES)
    if isinstance(listed, dict):
        listed = listed.get("voices") or listed.get("data") or []
    voices = [
        str(voice.get("id") or voice.get("name") or voice.get("voice_id") or "")
        if isinstance(voice, dict)
        else str(voice)
        for voice in (listed if isinstance(listed, list) else [])
    ]
    return [voice for voice in voices if voice] or list(OPENAI_VOICES)
