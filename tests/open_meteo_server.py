"""A scripted Open-Meteo on 127.0.0.1: geocoding and forecasts shaped as the real service answers."""

import asyncio
from datetime import datetime, timedelta
from typing import Any, Self
from zoneinfo import ZoneInfo

from aiohttp import web

LISBON = {
    "id": 2267057,
    "name": "Lisbon",
    "latitude": 38.71667,
    "longitude": -9.13333,
    "elevation": 45.0,
    "feature_code": "PPLC",
    "country_code": "PT",
    "admin1_id": 2267056,
    "timezone": "Europe/Lisbon",
    "population": 517802,
    "country_id": 2264397,
    "country": "Portugal",
    "admin1": "Lisbon",
}
LISBON_MAINE = {
    "id": 4969392,
    "name": "Lisbon",
    "latitude": 44.03176,
    "longitude": -70.10451,
    "elevation": 62.0,
    "feature_code": "PPL",
    "country_code": "US",
    "admin1_id": 4971068,
    "admin2_id": 4956184,
    "timezone": "America/New_York",
    "population": 9711,
    "country_id": 6252001,
    "country": "United States",
    "admin1": "Maine",
    "admin2": "Androscoggin",
}


def _springfield(
    place_id: int, latitude: float, longitude: float, population: int, state: str
) -> dict[str, Any]:
    return {
        "id": place_id,
        "name": "Springfield",
        "latitude": latitude,
        "longitude": longitude,
        "elevation": 180.0,
        "feature_code": "PPLA2",
        "country_code": "US",
        "timezone": "America/Chicago",
        "population": population,
        "country_id": 6252001,
        "country": "United States",
        "admin1": state,
    }


SPRINGFIELDS = [
    _springfield(4409896, 37.21533, -93.29824, 169176, "Missouri"),
    _springfield(4951788, 42.10148, -72.58981, 155929, "Massachusetts"),
    _springfield(4250542, 39.80172, -89.64371, 116565, "Illinois"),
]
BEIJING = {
    "id": 1816670,
    "name": "北京市",
    "latitude": 39.9075,
    "longitude": 116.39723,
    "elevation": 63.0,
    "feature_code": "PPLC",
    "country_code": "CN",
    "timezone": "Asia/Shanghai",
    "population": 18960744,
    "country_id": 1814991,
    "country": "中国",
    "admin1": "北京市",
}
PLACES = {"lisbon": [LISBON, LISBON_MAINE], "springfield": SPRINGFIELDS, "北京": [BEIJING]}

# A week from today: Friday (from a Tuesday) brings showers.
DAILY_CODES = [3, 61, 2, 80, 63, 0, 0]
DAILY_RAIN_CHANCE = [10, 85, 20, 60, 75, 0, 5]
DAILY_RAIN = [0.0, 7.2, 0.0, 1.5, 4.0, 0.0, 0.0]
DAYS = len(DAILY_CODES)


class OpenMeteoServer:
    """Answers /v1/search and /v1/forecast; `fault` makes it fail with a 500 or not answer in time."""

    def __init__(self) -> None:
        """Route both APIs on one port (the options point both base URLs at it)."""
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.fault: str | None = None
        self._release = asyncio.Event()
        app = web.Application()
        app.router.add_get("/v1/search", self._search)
        app.router.add_get("/v1/forecast", self._forecast)
        self._runner = web.AppRunner(app)
        self.url = ""

    def queries(self, path: str) -> list[dict[str, str]]:
        """The query of every request to one API."""
        return [query for seen, query in self.requests if seen == path]

    async def __aenter__(self) -> Self:
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *_: object) -> None:
        self._release.set()
        await self._runner.cleanup()

    async def _failed(self, request: web.Request) -> web.Response | None:
        self.requests.append((request.path, dict(request.query)))
        if self.fault == "500":
            return web.json_response({"error": True, "reason": "Internal Server Error"}, status=500)
        if self.fault == "timeout":
            await self._release.wait()
        return None

    async def _search(self, request: web.Request) -> web.Response:
        if failed := await self._failed(request):
            return failed
        results = PLACES.get(request.query["name"].casefold())
        body: dict[str, Any] = {"generationtime_ms": 0.61}
        if results:
            body["results"] = results[: int(request.query.get("count", 10))]
        return web.json_response(body)

    async def _forecast(self, request: web.Request) -> web.Response:
        if failed := await self._failed(request):
            return failed
        query = request.query
        latitude, longitude = float(query["latitude"]), float(query["longitude"])
        zone = next(
            (
                place["timezone"]
                for places in PLACES.values()
                for place in places
                if place["latitude"] == latitude
            ),
            "Europe/Amsterdam",
        )
        return web.json_response(forecast(latitude, longitude, str(zone), query))


def forecast(latitude: float, longitude: float, zone: str, query: Any) -> dict[str, Any]:
    """A forecast as Open-Meteo returns it with timezone=auto: local times without offset."""
    now = datetime.now(ZoneInfo(zone))
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    hours = [today + timedelta(hours=hour) for hour in range(24 * DAYS)]
    degrees = "°F" if query.get("temperature_unit") == "fahrenheit" else "°C"
    wind = {"ms": "m/s", "mph": "mp/h", "kn": "kn"}.get(query.get("wind_speed_unit", ""), "km/h")
    # Rain from 22:00 today until 09:00 tomorrow.
    wet = [22 <= hour < 33 for hour in range(24 * DAYS)]
    return {
        "latitude": round(latitude, 2),
        "longitude": round(longitude, 2),
        "generationtime_ms": 0.25,
        "utc_offset_seconds": int(now.utcoffset().total_seconds()),  # type: ignore[union-attr]
        "timezone": zone,
        "timezone_abbreviation": now.tzname(),
        "elevation": 45.0,
        "current_units": {"time": "iso8601", "interval": "seconds", "temperature_2m": degrees},
        "current": {
            "time": now.replace(minute=now.minute // 15 * 15, second=0, microsecond=0).strftime(
                "%Y-%m-%dT%H:%M"
            ),
            "interval": 900,
            "temperature_2m": 14.2,
            "weather_code": 0,
            "wind_speed_10m": 3.4,
            "is_day": 0 if now.hour < 7 or now.hour >= 18 else 1,
        },
        "hourly_units": {"time": "iso8601", "temperature_2m": degrees, "wind_speed_10m": wind},
        "hourly": {
            "time": [hour.strftime("%Y-%m-%dT%H:%M") for hour in hours],
            "temperature_2m": [round(12 + 4 * (12 <= hour.hour < 18), 1) for hour in hours],
            "weather_code": [61 if rain else 2 for rain in wet],
            "precipitation_probability": [80 if rain else 5 for rain in wet],
            "precipitation": [0.6 if rain else 0.0 for rain in wet],
            "wind_speed_10m": [4.1 for _ in hours],
        },
        "daily_units": {"time": "iso8601", "temperature_2m_max": degrees, "precipitation_sum": "mm"},
        "daily": {
            "time": [(today + timedelta(days=day)).strftime("%Y-%m-%d") for day in range(DAYS)],
            "weather_code": DAILY_CODES,
            "temperature_2m_max": [16.0, 15.2, 17.1, 18.0, 14.5, 19.3, 20.0],
            "temperature_2m_min": [9.0, 10.1, 11.0, 12.4, 9.8, 11.0, 12.0],
            "precipitation_probability_max": DAILY_RAIN_CHANCE,
            "precipitation_sum": DAILY_RAIN,
            "wind_speed_10m_max": [5.0, 8.2, 4.0, 6.1, 9.0, 3.0, 2.5],
        },
    }
