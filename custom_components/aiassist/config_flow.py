"""Config flow: one entry per OpenAI-compatible service; its agents' flow is in agent_flow.py."""

from collections.abc import Mapping
from typing import Any, override

import probatio
from yarl import URL

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
)
from homeassistant.const import CONF_API_KEY, CONF_MODEL, CONF_URL
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.selector import (
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .agent_flow import ConversationFlowHandler, default_agent_options, model_selector
from .api import AIServiceError, async_create_client, async_list_models, normalize_url
from .const import (
    BUILTIN_EMBEDDINGS,
    CONF_EMBEDDING_MODEL,
    CONF_FORECAST_URL,
    CONF_GEOCODING_URL,
    CONF_PRESET,
    CONF_REMINDER_FALLBACK,
    CONF_REMINDER_MISSED_AGE,
    CONF_SHOPPING_LIST,
    CONF_WEATHER_ENTITY,
    DEFAULT_AGENT_NAME,
    DEFAULT_FORECAST_URL,
    DEFAULT_GEOCODING_URL,
    DEFAULT_REMINDER_MISSED_AGE,
    DOMAIN,
    LOGGER,
    PRESET_CUSTOM,
    PRESETS,
    PRESETS_NEEDING_KEY,
    SUBENTRY_CONVERSATION,
    SUBENTRY_STT,
    SUBENTRY_TTS,
)
from .memory.builtin import BuiltinEmbedder
from .memory.embeddings import Embedder, EmbeddingModel
from .models import recommended_model
from .runtime import AIAssistConfigEntry
from .speech_flow import SpeechToTextFlowHandler, TextToSpeechFlowHandler

# Errors of ours that the form shows under their own name; anything else is "unknown".
_FORM_ERRORS = {
    "cannot_connect": "cannot_connect",
    "server_error": "cannot_connect",
    "timeout": "timeout",
    "invalid_auth": "invalid_auth",
}

_PRESET_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_PRESET, default="ollama"): SelectSelector(
            SelectSelectorConfig(
                options=list(PRESETS), translation_key=CONF_PRESET, mode=SelectSelectorMode.LIST
            )
        )
    }
)
_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
_WEATHER_ENTITY = EntitySelector(EntitySelectorConfig(domain="weather"))
_REMINDER_FALLBACK = EntitySelector(
    EntitySelectorConfig(domain=["assist_satellite", "media_player", "notify"])
)
_MINUTES = NumberSelector(
    NumberSelectorConfig(min=0, max=1440, step=5, unit_of_measurement="min", mode=NumberSelectorMode.BOX)
)
_OPEN_METEO_URLS = {CONF_GEOCODING_URL: DEFAULT_GEOCODING_URL, CONF_FORECAST_URL: DEFAULT_FORECAST_URL}
_OPTION_KEYS = frozenset(
    {
        CONF_EMBEDDING_MODEL,
        CONF_WEATHER_ENTITY,
        CONF_SHOPPING_LIST,
        *_OPEN_METEO_URLS,
        CONF_REMINDER_FALLBACK,
        CONF_REMINDER_MISSED_AGE,
    }
)


def _connection_schema(key_required: bool) -> probatio.Schema:
    key = probatio.Required(CONF_API_KEY) if key_required else probatio.Optional(CONF_API_KEY)
    return probatio.Schema(
        {
            probatio.Required(CONF_URL): TextSelector(TextSelectorConfig(type=TextSelectorType.URL)),
            key: _PASSWORD,
        }
    )


def _clean_connection(user_input: Mapping[str, Any]) -> dict[str, str]:
    """Entry data as stored: a normalized URL and a key that is always present."""
    return {
        CONF_URL: normalize_url(user_input[CONF_URL]),
        CONF_API_KEY: (user_input.get(CONF_API_KEY) or "").strip(),
    }


def _url_is_valid(url: str) -> bool:
    try:
        parsed = URL(url)
    except ValueError:
        return False
    return parsed.scheme in ("http", "https") and bool(parsed.host)


async def _async_probe(hass: HomeAssistant, data: Mapping[str, str]) -> tuple[list[str], dict[str, str]]:
    """List the server's models; return them, or the form errors that explain why not."""
    if not _url_is_valid(data[CONF_URL]):
        return [], {CONF_URL: "invalid_url"}
    try:
        client = await async_create_client(hass, data)
        return await async_list_models(client), {}
    except AIServiceError as err:
        LOGGER.debug("Validation of %s failed: %s", data[CONF_URL], err.detail)
        return [], {"base": _FORM_ERRORS.get(err.key, "unknown")}
    except Exception:  # noqa: BLE001 - a config flow must answer the user, whatever happened
        LOGGER.exception("Unexpected error validating %s", data[CONF_URL])
        return [], {"base": "unknown"}


def _where(url: str) -> str:
    """The host (and port, unless the scheme's default) that tells two services apart."""
    return URL(url).host_port_subcomponent or url


class AIAssistConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add an OpenAI-compatible service."""

    VERSION = 1

    def __init__(self) -> None:
        """Initialize the flow."""
        self._preset = PRESET_CUSTOM
        self._data: dict[str, str] = {}
        self._models: list[str] = []

    @override
    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Pick the kind of service; the preset fills the URL of the next step."""
        if user_input is not None:
            self._preset = user_input[CONF_PRESET]
            return await self.async_step_connection()
        return self.async_show_form(step_id="user", data_schema=_PRESET_SCHEMA)

    async def async_step_connection(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the URL and key, and check them by listing the models."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _clean_connection(user_input)
            if self._configured(data):
                errors = {"base": "already_configured"}
            else:
                self._models, errors = await _async_probe(self.hass, data)
            if not errors:
                self._data = data
                return await self.async_step_model()
        suggested = user_input or {CONF_URL: PRESETS[self._preset]}
        return self.async_show_form(
            step_id="connection",
            data_schema=self.add_suggested_values_to_schema(
                _connection_schema(self._preset in PRESETS_NEEDING_KEY), suggested
            ),
            errors=errors,
        )

    async def async_step_model(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Pick the model of the first agent; more agents can be added later."""
        if user_input is not None:
            where = _where(self._data[CONF_URL])
            model = str(user_input[CONF_MODEL]).strip()
            return self.async_create_entry(
                title=f"{DEFAULT_AGENT_NAME} ({where})",
                data=self._data,
                # Memories found by meaning from the start, offline: the built-in model is
                # installed in the background, and words find them until it is ready.
                options={CONF_EMBEDDING_MODEL: BUILTIN_EMBEDDINGS},
                subentries=[
                    {
                        "subentry_type": SUBENTRY_CONVERSATION,
                        "data": default_agent_options(model),
                        # Two services' first agents must not share a name in the agent pickers.
                        "title": f"{DEFAULT_AGENT_NAME} ({model}, {where})",
                        "unique_id": None,
                    }
                ],
            )
        schema = probatio.Schema({probatio.Required(CONF_MODEL): model_selector(self._models)})
        return self.async_show_form(
            step_id="model",
            data_schema=self.add_suggested_values_to_schema(
                schema, {CONF_MODEL: recommended_model(self._models)}
            ),
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start reauthentication when the service rejected the key."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for a new key and check it against the same URL."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _clean_connection({**entry.data, **user_input})
            _, errors = await _async_probe(self.hass, data)
            if not errors:
                return self.async_update_reload_and_abort(
                    entry, data_updates=data, reason="reauth_successful"
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=probatio.Schema({probatio.Required(CONF_API_KEY): _PASSWORD}),
            errors=errors,
            description_placeholders={CONF_URL: entry.data[CONF_URL]},
        )

    async def async_step_reconfigure(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Change the URL or the key of the service."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _clean_connection(user_input)
            if self._configured(data, but=entry):
                errors = {"base": "already_configured"}
            else:
                _, errors = await _async_probe(self.hass, data)
            if not errors:
                return self.async_update_reload_and_abort(
                    entry, data_updates=data, reason="reconfigure_successful"
                )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                _connection_schema(key_required=False), user_input or entry.data
            ),
            errors=errors,
        )

    def _configured(self, data: Mapping[str, str], but: ConfigEntry | None = None) -> bool:
        """Whether another entry already has this URL and key; the user then corrects them."""
        return any(
            entry is not but
            and entry.data.get(CONF_URL) == data[CONF_URL]
            and entry.data.get(CONF_API_KEY, "") == data[CONF_API_KEY]
            for entry in self._async_current_entries(include_ignore=False)
        )

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> AIAssistOptionsFlow:
        """Memory settings of the service."""
        return AIAssistOptionsFlow()

    @classmethod
    @callback
    @override
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Return the subentry types: agents, and speech on the same service."""
        return {
            SUBENTRY_CONVERSATION: ConversationFlowHandler,
            SUBENTRY_TTS: TextToSpeechFlowHandler,
            SUBENTRY_STT: SpeechToTextFlowHandler,
        }


class AIAssistOptionsFlow(OptionsFlow):
    """The service's settings: embedding model, weather sources, shopping list, reminders' fallback."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Pick an embedding model (or none: by words), weather and shopping defaults, reminders' fallback."""
        entry: AIAssistConfigEntry = self.config_entry
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="entry_not_loaded")
        errors: dict[str, str] = {}
        if user_input is not None:
            weather, errors = _weather_options(user_input)
            # Options this form does not show are kept; those it shows are as submitted.
            options = (
                {key: value for key, value in entry.options.items() if key not in _OPTION_KEYS}
                | weather
                | _reminder_options(user_input)
            )
            if shopping_list := user_input.get(CONF_SHOPPING_LIST):
                options[CONF_SHOPPING_LIST] = shopping_list
            model = str(user_input.get(CONF_EMBEDDING_MODEL) or "").strip()
            if model:
                embedder: EmbeddingModel = (
                    BuiltinEmbedder(self.hass)
                    if model == BUILTIN_EMBEDDINGS
                    else Embedder(entry.runtime_data.coordinator.client, model)
                )
                try:
                    await embedder.async_embed(["test"])
                except AIServiceError as err:
                    LOGGER.debug("Embedding model %s does not work: %s", model, err.detail)
                    errors[CONF_EMBEDDING_MODEL] = "embedding_failed"
                options[CONF_EMBEDDING_MODEL] = model
            if not errors:
                return self.async_create_entry(data=options)
        models = entry.runtime_data.coordinator.data or []
        schema = probatio.Schema(
            {
                probatio.Optional(CONF_EMBEDDING_MODEL): SelectSelector(
                    SelectSelectorConfig(
                        options=[BUILTIN_EMBEDDINGS, *models],
                        mode=SelectSelectorMode.DROPDOWN,
                        custom_value=True,
                        translation_key=CONF_EMBEDDING_MODEL,
                    )
                ),
                probatio.Optional(CONF_WEATHER_ENTITY): _WEATHER_ENTITY,
                probatio.Optional(CONF_GEOCODING_URL): _URL,
                probatio.Optional(CONF_FORECAST_URL): _URL,
                probatio.Optional(CONF_SHOPPING_LIST): _shopping_list_selector(self.hass),
                probatio.Optional(CONF_REMINDER_FALLBACK): _REMINDER_FALLBACK,
                probatio.Optional(CONF_REMINDER_MISSED_AGE, default=DEFAULT_REMINDER_MISSED_AGE): _MINUTES,
            }
        )
        suggested = user_input or _OPEN_METEO_URLS | dict(entry.options)
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
        )


def _weather_options(user_input: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The weather options as stored (defaults left out), or the fields' errors."""
    options: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if entity_id := user_input.get(CONF_WEATHER_ENTITY):
        options[CONF_WEATHER_ENTITY] = entity_id
    for key, default in _OPEN_METEO_URLS.items():
        url = str(user_input.get(key) or "").strip().rstrip("/")
        if url and not _url_is_valid(url):
            errors[key] = "invalid_url"
        elif url and url != default:
            options[key] = url
    return options, errors


def _shopping_list_selector(hass: HomeAssistant) -> EntitySelector:
    """Any to-do list but AI Assist's own (memories and reminders are private)."""
    ours = [
        entry.entity_id
        for entry in er.async_get(hass).entities.values()
        if entry.platform == DOMAIN and entry.domain == "todo"
    ]
    return EntitySelector(EntitySelectorConfig(domain="todo", exclude_entities=ours))


def _reminder_options(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """The reminder options as stored: the fallback when one is picked, an age other than the default."""
    options: dict[str, Any] = {}
    if fallback := user_input.get(CONF_REMINDER_FALLBACK):
        options[CONF_REMINDER_FALLBACK] = fallback
    age = int(user_input.get(CONF_REMINDER_MISSED_AGE, DEFAULT_REMINDER_MISSED_AGE))
    if age != DEFAULT_REMINDER_MISSED_AGE:
        options[CONF_REMINDER_MISSED_AGE] = age
    return options
