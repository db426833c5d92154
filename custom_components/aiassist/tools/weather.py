"""The weather tool: forecasts from the home's weather entity, or any named place via Open-Meteo."""

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, override

import probatio

from homeassistant.components.homeassistant.exposed_entities import async_should_expose
from homeassistant.components.weather.const import (
    ATTR_WEATHER_PRECIPITATION_UNIT,
    ATTR_WEATHER_TEMPERATURE,
    ATTR_WEATHER_TEMPERATURE_UNIT,
    ATTR_WEATHER_WIND_SPEED,
    ATTR_WEATHER_WIND_SPEED_UNIT,
    DOMAIN as WEATHER_DOMAIN,
    SERVICE_GET_FORECASTS,
    WeatherEntityFeature,
)
from homeassistant.const import ATTR_SUPPORTED_FEATURES, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr, entity_registry as er, llm
from homeassistant.util import dt as dt_util
from homeassistant.util.json import JsonObjectType

from ..const import (
    CONF_FORECAST_URL,
    CONF_GEOCODING_URL,
    CONF_WEATHER_ENTITY,
    DEFAULT_FORECAST_URL,
    DEFAULT_GEOCODING_URL,
    DOMAIN,
    LOGGER,
)
from ..tool_base import AIAssistTool, tool_error
from .forecast import (
    DAILY,
    HOURLY,
    NAMED_PERIODS,
    TWICE_DAILY,
    Period,
    Slot,
    Units,
    describe,
    describe_now,
    resolve_period,
)
from .open_meteo import AmbiguousPlace, OpenMeteoError, Place, UnknownPlace, async_get_open_meteo

_KINDS = (
    (DAILY, WeatherEntityFeature.FORECAST_DAILY),
    (HOURLY, WeatherEntityFeature.FORECAST_HOURLY),
    (TWICE_DAILY, WeatherEntityFeature.FORECAST_TWICE_DAILY),
)

_WHEN = f"{', '.join(NAMED_PERIODS)}, weekday or YYYY-MM-DD"

type SlotSource = Callable[[str], Awaitable[Sequence[Slot]]]


class WeatherTool(AIAssistTool):
    """Forecasts a speaker can hear, for home or anywhere."""

    name = f"{DOMAIN}__weather_forecast"
    description = "Weather forecast at home or at a named place."
    parameters = probatio.Schema(
        {
            probatio.Optional("place", description="City[, region or country]; omit for home"): str,
            probatio.Optional("when", description=_WHEN): str,
        }
    )
    annotations = llm.ToolAnnotations(read_only=True, destructive=False, idempotent=True, open_world=True)

    def __init__(self, settings: Mapping[str, Any]) -> None:
        """Use the entry's weather options: default entity and Open-Meteo servers."""
        self.settings = settings

    @override
    async def async_call(
        self, hass: HomeAssistant, tool_input: llm.ToolInput, llm_context: llm.LLMContext
    ) -> llm.ToolResult:
        try:
            args: dict[str, Any] = self.parameters(tool_input.tool_args)
        except probatio.Invalid as err:
            return tool_error(f"Invalid arguments ({err}); pass `place` and `when` as text.")
        place = str(args.get("place") or "").strip()
        when = str(args.get("when") or "today")
        try:
            if place:
                language = (llm_context.language or "en").split("-")[0].lower()
                return await self._async_place(hass, place, language, when)
            state = pick_weather_entity(hass, self.settings.get(CONF_WEATHER_ENTITY), llm_context.device_id)
            if state is None:
                home = Place(hass.config.location_name, hass.config.latitude, hass.config.longitude)
                return await self._async_open_meteo(hass, home, when)
            return await _async_entity(hass, state, when)
        except UnknownPlace:
            return tool_error(f"No place called {place!r} was found. Ask the person to say it another way.")
        except AmbiguousPlace as err:
            return tool_error(
                f"Several places are called {place!r}: {'; '.join(err.candidates)}. Ask which one, "
                "then call again with place 'name, region or country'."
            )
        except OpenMeteoError as err:
            LOGGER.warning("Open-Meteo failed: %s", err)
            return tool_error("The weather service is not answering right now. Say so; try again later.")

    async def _async_place(self, hass: HomeAssistant, name: str, language: str, when: str) -> llm.ToolResult:
        client = async_get_open_meteo(hass)
        place = await client.async_find(
            self.settings.get(CONF_GEOCODING_URL) or DEFAULT_GEOCODING_URL, name, language
        )
        return await self._async_open_meteo(hass, place, when)

    async def _async_open_meteo(self, hass: HomeAssistant, place: Place, when: str) -> llm.ToolResult:
        client = async_get_open_meteo(hass)
        forecast = await client.async_forecast(
            self.settings.get(CONF_FORECAST_URL) or DEFAULT_FORECAST_URL, place
        )
        units = client.units()
        if _is_now(when):
            return _answer(place.name, [describe_now(forecast.current, units)])

        async def slots(kind: str) -> Sequence[Slot]:
            return forecast.hourly if kind == HOURLY else forecast.daily

        return await _async_forecast(place.name, when, forecast.now, (HOURLY, DAILY), slots, units)


def pick_weather_entity(hass: HomeAssistant, configured: str | None, device_id: str | None) -> State | None:
    """The options' entity, else an exposed one in the speaker's area, else the home's (or any)."""
    if configured and _usable(state := hass.states.get(configured)):
        return state
    candidates = sorted(
        (
            state
            for state in hass.states.async_all(WEATHER_DOMAIN)
            if _usable(state) and async_should_expose(hass, "conversation", state.entity_id)
        ),
        key=lambda state: state.entity_id,
    )
    devices = dr.async_get(hass)
    if device_id and (device := devices.async_get(device_id)) and device.area_id:
        for state in candidates:
            if _area(hass, state.entity_id) == device.area_id:
                return state
    home = [state for state in candidates if "home" in state.entity_id]
    return next(iter(home + candidates), None)


def _area(hass: HomeAssistant, entity_id: str) -> str | None:
    """An entity's area: its own, else its device's."""
    if (entry := er.async_get(hass).async_get(entity_id)) is None:
        return None
    if entry.area_id or entry.device_id is None:
        return entry.area_id
    device = dr.async_get(hass).async_get(entry.device_id)
    return device.area_id if device else None


def _usable(state: State | None) -> bool:
    return state is not None and state.state not in (STATE_UNAVAILABLE, STATE_UNKNOWN)


def _is_now(when: str) -> bool:
    return when.strip().casefold() == "now"


async def _async_entity(hass: HomeAssistant, state: State, when: str) -> llm.ToolResult:
    """Forecast from a weather entity, in its units (the home's, unless the user chose others)."""
    entity_id = state.entity_id
    units = Units(
        temperature=state.attributes.get(ATTR_WEATHER_TEMPERATURE_UNIT, hass.config.units.temperature_unit),
        precipitation=state.attributes.get(
            ATTR_WEATHER_PRECIPITATION_UNIT, hass.config.units.accumulated_precipitation_unit
        ),
        wind=state.attributes.get(ATTR_WEATHER_WIND_SPEED_UNIT, hass.config.units.wind_speed_unit),
    )
    name = state.name
    features = int(state.attributes.get(ATTR_SUPPORTED_FEATURES) or 0)
    kinds = [kind for kind, flag in _KINDS if features & flag]
    if _is_now(when) or not kinds:
        now = Slot(
            start=dt_util.now(),
            condition=state.state,
            temperature=state.attributes.get(ATTR_WEATHER_TEMPERATURE),
            wind=state.attributes.get(ATTR_WEATHER_WIND_SPEED),
        )
        return _answer(name, [describe_now(now, units)])

    async def slots(kind: str) -> Sequence[Slot]:
        try:
            response = await hass.services.async_call(
                WEATHER_DOMAIN,
                SERVICE_GET_FORECASTS,
                {"entity_id": entity_id, "type": kind},
                blocking=True,
                return_response=True,
            )
        except HomeAssistantError as err:
            LOGGER.warning("%s gave no %s forecast: %s", entity_id, kind, err)
            return []
        entries: list[dict[str, Any]] = response[entity_id]["forecast"]  # type: ignore[index, call-overload, assignment]
        return [
            _slot(entry, start)
            for entry in entries
            if (start := dt_util.parse_datetime(str(entry.get("datetime")))) is not None
        ]

    return await _async_forecast(name, when, dt_util.now(), kinds, slots, units)


def _slot(entry: Mapping[str, Any], start: datetime) -> Slot:
    return Slot(
        start=dt_util.as_local(start),
        condition=entry.get("condition"),
        temperature=entry.get("temperature"),
        low=entry.get("templow"),
        rain_chance=entry.get("precipitation_probability"),
        rain=entry.get("precipitation"),
        wind=entry.get("wind_speed"),
        daytime=entry.get("is_daytime"),
    )


async def _async_forecast(
    name: str, when: str, now: datetime, supported: Sequence[str], slots: SlotSource, units: Units
) -> llm.ToolResult:
    """Answer from the first forecast kind that covers the period."""
    period: Period | str = resolve_period(when, now)
    if isinstance(period, str):
        return tool_error(period)
    for kind in period.kinds(supported):
        if chosen := period.select(kind, await slots(kind)):
            return _answer(name, describe(kind, chosen, period, units, now.date()))
    return tool_error(f"The forecast for {name} does not cover {period.label}.")


def _answer(place: str, lines: list[str]) -> llm.ToolResult:
    data: JsonObjectType = {"place": place, "forecast": list(lines)}
    return llm.ToolResult(data=data)
