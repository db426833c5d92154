"""Open-Meteo over HA's shared aiohttp session: any place by name, cached, failing in words.

Core's `open-meteo` library has geocoding but fixed hosts; a self-hosted Open-Meteo needs ours.
"""

import asyncio
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import aiohttp
from yarl import URL

from homeassistant.components.weather import (
    ATTR_CONDITION_CLEAR_NIGHT,
    ATTR_CONDITION_CLOUDY,
    ATTR_CONDITION_FOG,
    ATTR_CONDITION_LIGHTNING,
    ATTR_CONDITION_PARTLYCLOUDY,
    ATTR_CONDITION_POURING,
    ATTR_CONDITION_RAINY,
    ATTR_CONDITION_SNOWY,
    ATTR_CONDITION_SUNNY,
)
from homeassistant.const import UnitOfPrecipitationDepth, UnitOfSpeed, UnitOfTemperature
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.singleton import singleton
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from ..const import LOGGER
from .forecast import Slot, Units

REQUEST_TIMEOUT = 10.0
CACHE_TIME = timedelta(minutes=30)
CACHE_SIZE = 64
FORECAST_DAYS = 7
# A place this many times more populous than the next of its name is the one meant.
DOMINANT_POPULATION = 10

# As core's open_meteo integration maps them (its const module imports the library).
WMO_TO_HA_CONDITION = {
    0: ATTR_CONDITION_SUNNY,
    1: ATTR_CONDITION_SUNNY,
    2: ATTR_CONDITION_PARTLYCLOUDY,
    3: ATTR_CONDITION_CLOUDY,
    45: ATTR_CONDITION_FOG,
    48: ATTR_CONDITION_FOG,
    **dict.fromkeys((51, 53, 55, 56, 57, 61, 63, 66, 80, 81), ATTR_CONDITION_RAINY),
    **dict.fromkeys((65, 67, 82), ATTR_CONDITION_POURING),
    **dict.fromkeys((71, 73, 75, 77, 85, 86), ATTR_CONDITION_SNOWY),
    **dict.fromkeys((95, 96, 99), ATTR_CONDITION_LIGHTNING),
}
_TEMPERATURE: dict[str, str] = {
    UnitOfTemperature.CELSIUS: "celsius",
    UnitOfTemperature.FAHRENHEIT: "fahrenheit",
}
_WIND: dict[str, str] = {
    UnitOfSpeed.KILOMETERS_PER_HOUR: "kmh",
    UnitOfSpeed.METERS_PER_SECOND: "ms",
    UnitOfSpeed.MILES_PER_HOUR: "mph",
    UnitOfSpeed.KNOTS: "kn",
}
_PRECIPITATION: dict[str, str] = {
    UnitOfPrecipitationDepth.MILLIMETERS: "mm",
    UnitOfPrecipitationDepth.INCHES: "inch",
}
_CURRENT = "temperature_2m,weather_code,wind_speed_10m,is_day"
# Slot field -> Open-Meteo variable, hourly and daily (each also asks for weather_code).
_HOURLY_FIELDS = {
    "temperature": "temperature_2m",
    "rain_chance": "precipitation_probability",
    "rain": "precipitation",
    "wind": "wind_speed_10m",
}
_DAILY_FIELDS = {
    "temperature": "temperature_2m_max",
    "low": "temperature_2m_min",
    "rain_chance": "precipitation_probability_max",
    "rain": "precipitation_sum",
    "wind": "wind_speed_10m_max",
}


class OpenMeteoError(Exception):
    """Why there is no forecast for the place asked about."""


class ServiceDown(OpenMeteoError):
    """Open-Meteo did not answer, or answered with an error."""


class UnknownPlace(OpenMeteoError):
    """Geocoding found no place of that name."""


class AmbiguousPlace(OpenMeteoError):
    """Several places share the name; the person must say which."""

    def __init__(self, candidates: list[str]) -> None:
        """Keep the candidates, each as 'name, region, country'."""
        super().__init__(candidates)
        self.candidates = candidates


@dataclass(frozen=True, slots=True)
class Place:
    """A geocoded place."""

    name: str
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class Forecast:
    """One place's forecast, in its own time zone."""

    current: Slot
    hourly: list[Slot]
    daily: list[Slot]
    now: datetime


class _Cache[K, V]:
    """A small cache whose entries expire: bounded, least recently used dropped first."""

    def __init__(self, size: int = CACHE_SIZE, keep: timedelta = CACHE_TIME) -> None:
        self._items: OrderedDict[K, tuple[datetime, V]] = OrderedDict()
        self._size = size
        self._keep = keep

    def get(self, key: K) -> V | None:
        if (item := self._items.get(key)) is None or dt_util.utcnow() - item[0] > self._keep:
            self._items.pop(key, None)
            return None
        self._items.move_to_end(key)
        return item[1]

    def put(self, key: K, value: V) -> None:
        self._items[key] = (dt_util.utcnow(), value)
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)


class OpenMeteo:
    """Geocoding and forecasts, each cached: the same place and day is not fetched twice."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Use HA's shared session."""
        self.hass = hass
        self.places: _Cache[tuple[str, str, str], list[dict[str, Any]]] = _Cache()
        self.forecasts: _Cache[tuple[str, float, float, str, date], dict[str, Any]] = _Cache()

    def units(self) -> Units:
        """The home's units, which the forecast is asked in."""
        system = self.hass.config.units
        return Units(
            temperature=system.temperature_unit,
            precipitation=system.accumulated_precipitation_unit,
            wind=system.wind_speed_unit,
        )

    async def async_find(self, base_url: str, name: str, language: str) -> Place:
        """The one place meant by 'name[, region or country]'."""
        wanted, *qualifiers = [part.strip() for part in name.split(",")]
        key = (base_url, wanted.casefold(), language)
        if (results := self.places.get(key)) is None:
            url = URL(f"{base_url.rstrip('/')}/v1/search").with_query(
                name=wanted, count=5, language=language, format="json"
            )
            data = await self._async_get(url)
            results = [result for result in data.get("results") or [] if isinstance(result, dict)]
            self.places.put(key, results)
        return _choose(results, [qualifier.casefold() for qualifier in qualifiers if qualifier])

    async def async_forecast(self, base_url: str, place: Place) -> Forecast:
        """The place's forecast for the next days, hourly and daily."""
        units = self.units()
        key = (
            base_url,
            round(place.latitude, 2),
            round(place.longitude, 2),
            str(units),
            dt_util.now().date(),
        )
        if (data := self.forecasts.get(key)) is None:
            url = URL(f"{base_url.rstrip('/')}/v1/forecast").with_query(
                latitude=place.latitude,
                longitude=place.longitude,
                current=_CURRENT,
                hourly=",".join(["weather_code", *_HOURLY_FIELDS.values()]),
                daily=",".join(["weather_code", *_DAILY_FIELDS.values()]),
                timezone="auto",
                forecast_days=FORECAST_DAYS,
                temperature_unit=_TEMPERATURE.get(units.temperature, "celsius"),
                wind_speed_unit=_WIND.get(units.wind, "kmh"),
                precipitation_unit=_PRECIPITATION.get(units.precipitation, "mm"),
            )
            data = await self._async_get(url)
            self.forecasts.put(key, data)
        try:
            return await _async_read_forecast(data)
        except (KeyError, TypeError, ValueError) as err:
            raise ServiceDown(f"unexpected forecast: {err!r}") from err

    async def _async_get(self, url: URL) -> dict[str, Any]:
        session = async_get_clientsession(self.hass)
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT), session.get(url) as response:
                if response.status >= 400:
                    raise ServiceDown(f"HTTP {response.status}")
                data = await response.json(content_type=None)
        except TimeoutError as err:
            raise ServiceDown("timeout") from err
        except (aiohttp.ClientError, ValueError) as err:
            raise ServiceDown(str(err) or type(err).__name__) from err
        if not isinstance(data, dict):
            raise ServiceDown("not a JSON object")
        LOGGER.debug("Open-Meteo answered %s", url.path)
        return data


@callback
@singleton(HassKey[OpenMeteo]("aiassist_open_meteo"))
def async_get_open_meteo(hass: HomeAssistant) -> OpenMeteo:
    """One client per Home Assistant, so its cache serves every agent and turn."""
    return OpenMeteo(hass)


def _describe(result: dict[str, Any]) -> str:
    parts = [result.get("name"), result.get("admin1"), result.get("country")]
    unique = [part for index, part in enumerate(parts) if part and part not in parts[:index]]
    return ", ".join(str(part) for part in unique)


def _choose(results: list[dict[str, Any]], qualifiers: list[str]) -> Place:
    """Pick the place meant, or say why none can be picked."""

    def matches(result: dict[str, Any]) -> bool:
        fields = [
            str(result.get(key) or "").casefold() for key in ("country", "country_code", "admin1", "admin2")
        ]
        return all(any(qualifier in field for field in fields if field) for qualifier in qualifiers)

    candidates = [result for result in results if matches(result)]
    if not candidates:
        raise UnknownPlace
    first = candidates[0]
    others = [result for result in candidates[1:] if _describe(result) != _describe(first)]
    population = int(first.get("population") or 0)
    if others and not all(
        population >= DOMINANT_POPULATION * int(other.get("population") or 0) for other in others
    ):
        raise AmbiguousPlace([_describe(result) for result in [first, *others][:3]])
    return Place(
        name=_describe(first), latitude=float(first["latitude"]), longitude=float(first["longitude"])
    )


async def _async_read_forecast(data: dict[str, Any]) -> Forecast:
    """Open-Meteo's columns as slots, in the place's time zone."""
    zone = await dt_util.async_get_time_zone(str(data.get("timezone") or "UTC")) or dt_util.UTC

    def at(text: str) -> datetime:
        return datetime.fromisoformat(text).replace(tzinfo=zone)

    def condition(code: object) -> str | None:
        return WMO_TO_HA_CONDITION.get(int(code)) if isinstance(code, (int, float)) else None

    current = data["current"]
    now_condition = condition(current.get("weather_code"))
    if now_condition == ATTR_CONDITION_SUNNY and current.get("is_day") == 0:
        now_condition = ATTR_CONDITION_CLEAR_NIGHT

    def slots(block: dict[str, Any], fields: dict[str, str]) -> list[Slot]:
        return [
            Slot(
                start=at(moment),
                condition=condition(block["weather_code"][index]),
                **{field: block[column][index] for field, column in fields.items()},
            )
            for index, moment in enumerate(block["time"])
        ]

    return Forecast(
        current=Slot(
            start=at(current["time"]),
            condition=now_condition,
            temperature=current.get("temperature_2m"),
            wind=current.get("wind_speed_10m"),
        ),
        hourly=slots(data["hourly"], _HOURLY_FIELDS),
        daily=slots(data["daily"], _DAILY_FIELDS),
        now=dt_util.now(zone),
    )
