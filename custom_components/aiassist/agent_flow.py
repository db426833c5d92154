"""The agent subentry flow: one form to add or change an agent, satellites in a section of it."""

from collections.abc import Mapping
from typing import Any

import probatio

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState, ConfigSubentryFlow, SubentryFlowResult
from homeassistant.const import CONF_LLM_HASS_API, CONF_MODEL, CONF_NAME, CONF_PROMPT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import section
from homeassistant.helpers import entity_registry as er, llm
from homeassistant.helpers.selector import (
    BooleanSelector,
    DeviceSelector,
    DeviceSelectorConfig,
    EntityFilterSelectorConfig,
    EntitySelector,
    EntitySelectorConfig,
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

from .const import (
    CONF_CONFIRMATION,
    CONF_CONTINUATION_WINDOW,
    CONF_HOME_BUDGET,
    CONF_LEARN,
    CONF_MAX_TOKENS,
    CONF_MAX_TOOL_ITERATIONS,
    CONF_PIN,
    CONF_RECALL_BUDGET,
    CONF_SATELLITES,
    CONF_SENSITIVE,
    CONF_TEMPERATURE,
    CONF_TOOLS,
    DEFAULT_AGENT_NAME,
    DEFAULT_CONTINUATION_WINDOW,
    DEFAULT_HOME_BUDGET,
    DEFAULT_MAX_TOKENS,
    DEFAULT_MAX_TOOL_ITERATIONS,
    DEFAULT_PROMPT,
    DEFAULT_RECALL_BUDGET,
    DEFAULT_TEMPERATURE,
    TOOL_FAMILIES,
)
from .models import recommended_model
from .runtime import AIAssistConfigEntry
from .speaker import people

_CONFIRMATION_SCHEMA = probatio.Schema(
    {
        probatio.Optional(CONF_SENSITIVE): EntitySelector(EntitySelectorConfig(multiple=True)),
        probatio.Optional(CONF_PIN): TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD)),
    }
)
_SATELLITE_SELECTOR = DeviceSelector(
    DeviceSelectorConfig(multiple=True, entity=EntityFilterSelectorConfig(domain="assist_satellite"))
)


def default_agent_options(model: str) -> dict[str, Any]:
    """The options of a new agent that uses `model`."""
    return {
        CONF_MODEL: model,
        CONF_PROMPT: DEFAULT_PROMPT,
        CONF_LLM_HASS_API: [llm.LLM_API_ASSIST],
        CONF_TOOLS: list(TOOL_FAMILIES),
        CONF_TEMPERATURE: DEFAULT_TEMPERATURE,
        CONF_MAX_TOKENS: DEFAULT_MAX_TOKENS,
        CONF_MAX_TOOL_ITERATIONS: DEFAULT_MAX_TOOL_ITERATIONS,
        CONF_RECALL_BUDGET: DEFAULT_RECALL_BUDGET,
        CONF_HOME_BUDGET: DEFAULT_HOME_BUDGET,
        CONF_CONTINUATION_WINDOW: DEFAULT_CONTINUATION_WINDOW,
        CONF_LEARN: False,
    }


def model_selector(models: list[str]) -> SelectSelector:
    """The service's models, or any model name the user types."""
    return SelectSelector(
        SelectSelectorConfig(options=models, mode=SelectSelectorMode.DROPDOWN, custom_value=True, sort=True)
    )


class ConversationFlowHandler(ConfigSubentryFlow):
    """Add or change a conversation agent: its model, its behaviour, whose satellites are whose."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Add an agent."""
        return await self._async_step_agent("user", user_input)

    async def async_step_reconfigure(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Change an agent."""
        return await self._async_step_agent("reconfigure", user_input)

    async def _async_step_agent(self, step_id: str, user_input: dict[str, Any] | None) -> SubentryFlowResult:
        entry: AIAssistConfigEntry = self._get_entry()
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="entry_not_loaded")
        adding = self.source == SOURCE_USER
        previous = {} if adding else dict(self._get_reconfigure_subentry().data)
        owners = _satellite_owners(self.hass)
        errors: dict[str, str] = {}
        if (
            user_input is not None
            and (pin := _pin(user_input))
            and not (pin.isdigit() and 4 <= len(pin) <= 8)
        ):
            errors[CONF_CONFIRMATION] = "invalid_pin"
        elif user_input is not None:
            options = _clean_agent_options(user_input)
            if CONF_CONFIRMATION in previous:
                # A form sent without the section (an older frontend, a script) keeps it.
                options.setdefault(CONF_CONFIRMATION, previous[CONF_CONFIRMATION])
            title = options.pop(CONF_NAME, DEFAULT_AGENT_NAME)
            satellites = dict(previous.get(CONF_SATELLITES) or {})
            if (chosen := user_input.get(CONF_SATELLITES)) is not None:
                satellites = {owners[name]: list(devices) for name, devices in chosen.items() if devices}
            if satellites:
                options[CONF_SATELLITES] = satellites
            if adding:
                return self.async_create_entry(title=title, data=options)
            return self.async_update_and_abort(
                entry, self._get_reconfigure_subentry(), data=options, reason="reconfigure_successful"
            )
        models = entry.runtime_data.coordinator.data or []
        if adding:
            suggested = {CONF_NAME: DEFAULT_AGENT_NAME, **default_agent_options(recommended_model(models))}
        else:
            # Agents made before a tool family existed have it on, as new agents do.
            suggested = {CONF_TOOLS: list(TOOL_FAMILIES), **previous}
        names = {person_id: name for name, person_id in owners.items()}
        suggested[CONF_SATELLITES] = {
            names[person_id]: devices
            for person_id, devices in (previous.get(CONF_SATELLITES) or {}).items()
            if person_id in names
        }
        if user_input is not None:
            # Shown again with what the user typed, the PIN left for them to correct.
            suggested = {**suggested, **user_input}
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                _agent_schema(self.hass, models, adding, list(owners)), suggested
            ),
            errors=errors,
        )


def _satellite_owners(hass: HomeAssistant) -> dict[str, str]:
    """Each person's field name (their name, which the form shows) -> person id.

    Empty unless the home has both voice satellites and people: then there is nothing to ask.
    """
    if not any(entity.domain == "assist_satellite" for entity in er.async_get(hass).entities.values()):
        return {}
    owners: dict[str, str] = {}
    for person in sorted(people(hass), key=lambda person: person.name.casefold()):
        name = person.name if person.name not in owners else f"{person.name} ({person.entity_id})"
        owners[name] = person.id
    return owners


def _agent_schema(hass: HomeAssistant, models: list[str], adding: bool, owners: list[str]) -> probatio.Schema:
    apis = [SelectOptionDict(value=api.id, label=api.name) for api in llm.async_get_apis(hass)]
    schema: dict[probatio.Marker, Any] = {}
    if adding:
        schema[probatio.Required(CONF_NAME)] = str
    schema.update(
        {
            probatio.Required(CONF_MODEL): model_selector(models),
            probatio.Optional(CONF_PROMPT): TemplateSelector(),
            probatio.Optional(CONF_LLM_HASS_API): SelectSelector(
                SelectSelectorConfig(options=apis, multiple=True)
            ),
            probatio.Optional(CONF_TOOLS): SelectSelector(
                SelectSelectorConfig(options=list(TOOL_FAMILIES), multiple=True, translation_key=CONF_TOOLS)
            ),
            probatio.Required(CONF_TEMPERATURE, default=DEFAULT_TEMPERATURE): _number(
                0, 2, 0.05, slider=True
            ),
            probatio.Required(CONF_MAX_TOKENS, default=DEFAULT_MAX_TOKENS): _number(64, 65536),
            probatio.Required(CONF_MAX_TOOL_ITERATIONS, default=DEFAULT_MAX_TOOL_ITERATIONS): _number(1, 30),
            probatio.Required(CONF_RECALL_BUDGET, default=DEFAULT_RECALL_BUDGET): _number(0, 4000),
            probatio.Required(CONF_HOME_BUDGET, default=DEFAULT_HOME_BUDGET): _number(0, 8000),
            probatio.Required(CONF_CONTINUATION_WINDOW, default=DEFAULT_CONTINUATION_WINDOW): _number(0, 120),
            probatio.Required(CONF_LEARN, default=False): BooleanSelector(),
        }
    )
    schema[probatio.Optional(CONF_CONFIRMATION)] = section(_CONFIRMATION_SCHEMA, {"collapsed": True})
    if owners:
        satellites = probatio.Schema({probatio.Optional(name): _SATELLITE_SELECTOR for name in owners})
        schema[probatio.Required(CONF_SATELLITES)] = section(satellites, {"collapsed": True})
    return probatio.Schema(schema)


def _number(low: float, high: float, step: float = 1, slider: bool = False) -> NumberSelector:
    mode = NumberSelectorMode.SLIDER if slider else NumberSelectorMode.BOX
    return NumberSelector(NumberSelectorConfig(min=low, max=high, step=step, mode=mode))


def _clean_agent_options(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Store numbers as the types the agent uses, and empty lists when no API or tools are picked."""
    options = {key: value for key, value in user_input.items() if key != CONF_SATELLITES}
    options[CONF_MODEL] = str(options[CONF_MODEL]).strip()
    options[CONF_PROMPT] = options.get(CONF_PROMPT) or ""
    options[CONF_LLM_HASS_API] = list(options.get(CONF_LLM_HASS_API) or [])
    options[CONF_TOOLS] = list(options.get(CONF_TOOLS) or [])
    options[CONF_TEMPERATURE] = float(options[CONF_TEMPERATURE])
    for key in (
        CONF_MAX_TOKENS,
        CONF_MAX_TOOL_ITERATIONS,
        CONF_RECALL_BUDGET,
        CONF_HOME_BUDGET,
        CONF_CONTINUATION_WINDOW,
    ):
        options[key] = int(options[key])
    options[CONF_LEARN] = bool(options[CONF_LEARN])
    if (confirmation := options.get(CONF_CONFIRMATION)) is not None:
        options[CONF_CONFIRMATION] = {
            CONF_SENSITIVE: list(confirmation.get(CONF_SENSITIVE) or []),
            CONF_PIN: _pin(user_input),
        }
    return options


def _pin_valid(pin: str) -> bool:
    """No PIN, or 4 to 8 digits: what a person says and a speech engine writes."""
    return not pin or (pin.isdigit() and 4 <= len(pin) <= 8)


def _pin(user_input: Mapping[str, Any]) -> str:
    """The PIN typed, without spaces: "1234", or "" for none."""
    return "".join(str((user_input.get(CONF_CONFIRMATION) or {}).get(CONF_PIN) or "").split())
