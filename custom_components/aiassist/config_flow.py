"""Config flow: one entry per OpenAI-compatible service, one subentry per agent."""

from collections.abc import Mapping
from typing import Any, override

import probatio
from yarl import URL

from homeassistant.config_entries import (
    SOURCE_USER,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_API_KEY, CONF_LLM_HASS_API, CONF_MODEL, CONF_NAME, CONF_PROMPT, CONF_URL
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import llm
from homeassistant.helpers.selector import (
    BooleanSelector,
    DeviceSelector,
    DeviceSelectorConfig,
    EntityFilterSelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TemplateSelector,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .api import AIServiceError, async_create_client, async_list_models, normalize_url
from .const import (
    CONF_CONTINUATION_WINDOW,
    CONF_EMBEDDING_MODEL,
    CONF_LEARN,
    CONF_MAX_TOKENS,
    CONF_MAX_TOOL_ITERATIONS,
    CONF_PRESET,
    CONF_RECALL_BUDGET,
    CONF_SATELLITES,
    CONF_TEMPERATURE,
    DEFAULT_AGENT_NAME,
    DEFAULT_CONTINUATION_WINDOW,
    DEFAULT_MAX_TOKENS,
    DEFAULT_MAX_TOOL_ITERATIONS,
    DEFAULT_PROMPT,
    DEFAULT_RECALL_BUDGET,
    DEFAULT_TEMPERATURE,
    DOMAIN,
    LOGGER,
    PRESET_CUSTOM,
    PRESETS,
    PRESETS_NEEDING_KEY,
    SUBENTRY_CONVERSATION,
)
from .memory.embeddings import Embedder
from .models import recommended_model
from .runtime import AIAssistConfigEntry
from .speaker import people

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


def _default_agent_options(model: str) -> dict[str, Any]:
    return {
        CONF_MODEL: model,
        CONF_PROMPT: DEFAULT_PROMPT,
        CONF_LLM_HASS_API: [llm.LLM_API_ASSIST],
        CONF_TEMPERATURE: DEFAULT_TEMPERATURE,
        CONF_MAX_TOKENS: DEFAULT_MAX_TOKENS,
        CONF_MAX_TOOL_ITERATIONS: DEFAULT_MAX_TOOL_ITERATIONS,
        CONF_RECALL_BUDGET: DEFAULT_RECALL_BUDGET,
        CONF_CONTINUATION_WINDOW: DEFAULT_CONTINUATION_WINDOW,
        CONF_LEARN: False,
    }


def _model_selector(models: list[str]) -> SelectSelector:
    return SelectSelector(
        SelectSelectorConfig(options=models, mode=SelectSelectorMode.DROPDOWN, custom_value=True, sort=True)
    )


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
            self._async_abort_entries_match(data)
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
            host = URL(self._data[CONF_URL]).host
            return self.async_create_entry(
                title=f"{DEFAULT_AGENT_NAME} ({host})",
                data=self._data,
                subentries=[
                    {
                        "subentry_type": SUBENTRY_CONVERSATION,
                        "data": _default_agent_options(user_input[CONF_MODEL]),
                        "title": DEFAULT_AGENT_NAME,
                        "unique_id": None,
                    }
                ],
            )
        schema = probatio.Schema({probatio.Required(CONF_MODEL): _model_selector(self._models)})
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
                return self.async_update_reload_and_abort(entry, data_updates=data)
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
            if data != {CONF_URL: entry.data[CONF_URL], CONF_API_KEY: entry.data.get(CONF_API_KEY, "")}:
                self._async_abort_entries_match(data)
            _, errors = await _async_probe(self.hass, data)
            if not errors:
                return self.async_update_reload_and_abort(entry, data_updates=data)
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                _connection_schema(key_required=False), user_input or entry.data
            ),
            errors=errors,
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
        """Return the subentry types: agents."""
        return {SUBENTRY_CONVERSATION: ConversationFlowHandler}


class ConversationFlowHandler(ConfigSubentryFlow):
    """Add or change a conversation agent: its model and behaviour, then whose satellites are whose."""

    def __init__(self) -> None:
        """Start the flow."""
        self._options: dict[str, Any] = {}
        self._title = DEFAULT_AGENT_NAME

    def _entry(self) -> AIAssistConfigEntry:
        entry: AIAssistConfigEntry = self._get_entry()
        return entry

    def _adding(self) -> bool:
        return self.source == SOURCE_USER

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Add an agent."""
        return await self._async_step_options("user", user_input)

    async def async_step_reconfigure(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Change an agent."""
        return await self._async_step_options("reconfigure", user_input)

    async def _async_step_options(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> SubentryFlowResult:
        entry = self._entry()
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="entry_not_loaded")
        models = entry.runtime_data.coordinator.data or []
        if user_input is not None:
            self._options = _clean_agent_options(user_input)
            self._title = self._options.pop(CONF_NAME, self._title)
            if people(self.hass):
                return await self.async_step_satellites()
            return self._async_finish()
        if self._adding():
            suggested = {CONF_NAME: DEFAULT_AGENT_NAME, **_default_agent_options(recommended_model(models))}
        else:
            suggested = dict(self._get_reconfigure_subentry().data)
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                _agent_schema(self.hass, models, self._adding()), suggested
            ),
        )

    async def async_step_satellites(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Say whose satellites are whose, so a bedroom satellite speaks for its owner."""
        persons = people(self.hass)
        if user_input is not None:
            self._options[CONF_SATELLITES] = {
                person.id: devices for person in persons if (devices := list(user_input.get(person.id) or []))
            }
            return self._async_finish()
        current: dict[str, list[str]] = {}
        if not self._adding():
            current = dict(self._get_reconfigure_subentry().data.get(CONF_SATELLITES) or {})
        selector = DeviceSelector(
            DeviceSelectorConfig(multiple=True, entity=EntityFilterSelectorConfig(domain="assist_satellite"))
        )
        schema = probatio.Schema({probatio.Optional(person.id): selector for person in persons})
        return self.async_show_form(
            step_id="satellites",
            data_schema=self.add_suggested_values_to_schema(schema, current),
            description_placeholders={"people": ", ".join(f"{p.id}: {p.name}" for p in persons)},
        )

    def _async_finish(self) -> SubentryFlowResult:
        if self._adding():
            return self.async_create_entry(title=self._title, data=self._options)
        return self.async_update_and_abort(
            self._entry(), self._get_reconfigure_subentry(), data=self._options
        )


class AIAssistOptionsFlow(OptionsFlow):
    """The service's memory settings: which model embeds memories for search by meaning."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Pick an embedding model, or none (search by words alone)."""
        entry: AIAssistConfigEntry = self.config_entry
        errors: dict[str, str] = {}
        if user_input is not None:
            model = str(user_input.get(CONF_EMBEDDING_MODEL) or "").strip()
            if not model:
                return self.async_create_entry(data={})
            try:
                await Embedder(entry.runtime_data.coordinator.client, model).async_embed(["test"])
            except AIServiceError as err:
                LOGGER.debug("Embedding model %s does not work: %s", model, err.detail)
                errors[CONF_EMBEDDING_MODEL] = "embedding_failed"
            else:
                return self.async_create_entry(data={CONF_EMBEDDING_MODEL: model})
        models = entry.runtime_data.coordinator.data or []
        schema = probatio.Schema({probatio.Optional(CONF_EMBEDDING_MODEL): _model_selector(models)})
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or dict(entry.options)),
            errors=errors,
        )


def _agent_schema(hass: HomeAssistant, models: list[str], adding: bool) -> probatio.Schema:
    apis = [SelectOptionDict(value=api.id, label=api.name) for api in llm.async_get_apis(hass)]
    schema: dict[probatio.Marker, Any] = {}
    if adding:
        schema[probatio.Required(CONF_NAME)] = str
    schema.update(
        {
            probatio.Required(CONF_MODEL): _model_selector(models),
            probatio.Optional(CONF_PROMPT): TemplateSelector(),
            probatio.Optional(CONF_LLM_HASS_API): SelectSelector(
                SelectSelectorConfig(options=apis, multiple=True)
            ),
            probatio.Required(CONF_TEMPERATURE, default=DEFAULT_TEMPERATURE): _number(
                0, 2, 0.05, slider=True
            ),
            probatio.Required(CONF_MAX_TOKENS, default=DEFAULT_MAX_TOKENS): _number(64, 65536),
            probatio.Required(CONF_MAX_TOOL_ITERATIONS, default=DEFAULT_MAX_TOOL_ITERATIONS): _number(1, 30),
            probatio.Required(CONF_RECALL_BUDGET, default=DEFAULT_RECALL_BUDGET): _number(0, 4000),
            probatio.Required(CONF_CONTINUATION_WINDOW, default=DEFAULT_CONTINUATION_WINDOW): _number(0, 120),
            probatio.Required(CONF_LEARN, default=False): BooleanSelector(),
        }
    )
    return probatio.Schema(schema)


def _number(low: float, high: float, step: float = 1, slider: bool = False) -> NumberSelector:
    mode = NumberSelectorMode.SLIDER if slider else NumberSelectorMode.BOX
    return NumberSelector(NumberSelectorConfig(min=low, max=high, step=step, mode=mode))


def _clean_agent_options(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Store numbers as the types the agent uses, and an empty API list when none is picked."""
    options = dict(user_input)
    options[CONF_MODEL] = str(options[CONF_MODEL]).strip()
    options[CONF_PROMPT] = options.get(CONF_PROMPT) or ""
    options[CONF_LLM_HASS_API] = list(options.get(CONF_LLM_HASS_API) or [])
    options[CONF_TEMPERATURE] = float(options[CONF_TEMPERATURE])
    for key in (CONF_MAX_TOKENS, CONF_MAX_TOOL_ITERATIONS, CONF_RECALL_BUDGET, CONF_CONTINUATION_WINDOW):
        options[key] = int(options[key])
    options[CONF_LEARN] = bool(options[CONF_LEARN])
    return options
