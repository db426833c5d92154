"""The weather tool, proven through conversations: the home's weather entity, any place via Open-Meteo."""

import asyncio
from collections.abc import AsyncGenerator
from datetime import datetime, timedelta
import json
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.aiassist.const import (
    CONF_FORECAST_URL,
    CONF_GEOCODING_URL,
    CONF_TOOLS,
    CONF_WEATHER_ENTITY,
    SUBENTRY_CONVERSATION,
)
from homeassistant import config_entries
from homeassistant.components import conversation
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import area_registry as ar, device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component

from .conftest import AGENT_OPTIONS, converse, speech
from .model_server import ModelServer, Reply, ToolCall
from .open_meteo_server import OpenMeteoServer

WEATHER = "aiassist__weather_forecast"
# A Tuesday, 10:00 at home (Amsterdam).
NOW = "2026-12-01 09:00:00+00:00"

_MORNING = datetime(2026, 12, 1, 10, tzinfo=ZoneInfo("Europe/Amsterdam"))
_NOON = _MORNING.replace(hour=12)
# Literal forecasts (a template with now() would leave its time listener behind).
DAILY = [
    {
        "datetime": (_NOON + timedelta(days=day)).isoformat(),
        "condition": ["partlycloudy", "rainy", "cloudy", "sunny", "snowy", "sunny", "rainy"][day],
        "temperature": 19 + day,
        "templow": 11 + day,
        "precipitation": [0, 6.5, 1.2, 0, 2, 0, 3][day],
        "precipitation_probability": [0, 80, 40, 10, 95, 0, 60][day],
        "wind_speed": [14, 25, 18, 10, 8, 9, 30][day],
    }
    for day in range(7)
]
# Dry until 22:00, then rain until 03:00 tomorrow.
HOURLY = [
    {
        "datetime": (_MORNING + timedelta(hours=hour)).isoformat(),
        "condition": "rainy" if 12 <= hour < 17 else "partlycloudy",
        "temperature": 18 - 0.5 * hour,
        "precipitation_probability": 70 if 12 <= hour < 17 else 10,
        "wind_speed": 12,
    }
    for hour in range(24)
]
TWICE_DAILY = [
    {
        "datetime": _MORNING.replace(hour=6).isoformat(),
        "is_daytime": True,
        "condition": "sunny",
        "temperature": 15,
    },
    {
        "datetime": _MORNING.replace(hour=18).isoformat(),
        "is_daytime": False,
        "condition": "clear-night",
        "temperature": 4,
        "precipitation_probability": 30,
    },
]


def _template(forecast: list[dict[str, Any]]) -> str:
    return "{{ " + json.dumps(forecast).replace("true", "True").replace("false", "False") + " }}"


def _weather(name: str, unique_id: str, **forecasts: str) -> dict[str, Any]:
    return {
        "name": name,
        "unique_id": unique_id,
        "condition": "partlycloudy",
        "temperature": "{{ 18.5 }}",
        "humidity": "{{ 64 }}",
        "wind_speed": "{{ 14 }}",
        "temperature_unit": "°C",
        "wind_speed_unit": "km/h",
        "precipitation_unit": "mm",
        **forecasts,
    }


@pytest.fixture(autouse=True)
async def home_clock(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Freeze time on a Tuesday morning in Amsterdam."""
    freezer.move_to(NOW)
    await hass.config.async_set_time_zone("Europe/Amsterdam")


@pytest.fixture
async def open_meteo_server(socket_enabled: None) -> AsyncGenerator[OpenMeteoServer]:
    """The scripted Open-Meteo."""
    async with OpenMeteoServer() as server:
        yield server


@pytest.fixture
def config_entry(
    hass: HomeAssistant, config_entry: MockConfigEntry, open_meteo_server: OpenMeteoServer
) -> MockConfigEntry:
    """The entry, with both Open-Meteo base URLs on the scripted server (as a self-hosted one)."""
    hass.config_entries.async_update_entry(
        config_entry,
        options={CONF_GEOCODING_URL: open_meteo_server.url, CONF_FORECAST_URL: open_meteo_server.url},
    )
    return config_entry


@pytest.fixture
async def weather_entities(hass: HomeAssistant) -> None:
    """A home weather entity with daily and hourly forecasts, exposed to Assist; one twice-daily."""
    entities = [
        _weather("Home", "home_weather", forecast_daily=_template(DAILY), forecast_hourly=_template(HOURLY)),
        _weather("Bedroom station", "bedroom_weather", forecast_twice_daily=_template(TWICE_DAILY)),
    ]
    assert await async_setup_component(hass, "template", {"template": [{"weather": entities}]})
    await hass.async_block_till_done()
    for entity_id in ("weather.home", "weather.bedroom_station"):
        async_expose_entity(hass, conversation.DOMAIN, entity_id, True)


async def ask(
    hass: HomeAssistant,
    model_server: ModelServer,
    agent_id: str,
    arguments: dict[str, str],
    device_id: str | None = None,
    language: str = "en",
) -> dict[str, Any]:
    """Have the model call the weather tool once; return the tool result the model received."""
    model_server.chat.add(Reply(tool_calls=[ToolCall(WEATHER, arguments)]), Reply(content="Here you go."))
    result = await converse(hass, agent_id, "What's the weather?", device_id=device_id, language=language)
    assert speech(result) == "Here you go."
    messages = model_server.chat_requests[-1]["messages"]
    (tool,) = [message for message in messages if message["role"] == "tool"]
    model_server.reset()
    return dict(json.loads(tool["content"]))


async def test_rain_tomorrow_from_the_home_weather_entity(
    hass: HomeAssistant, model_server: ModelServer, weather_entities: None, agent_id: str
) -> None:
    result = await ask(hass, model_server, agent_id, {"when": "tomorrow"})
    assert result == {
        "place": "Home",
        "forecast": ["tomorrow: rainy, 12 to 20 °C, rain likely (80%, 6.5 mm), wind up to 25 km/h"],
    }


async def test_tonight_uses_the_hourly_forecast_and_says_when_rain_stops(
    hass: HomeAssistant, model_server: ModelServer, weather_entities: None, agent_id: str
) -> None:
    result = await ask(hass, model_server, agent_id, {"when": "tonight"})
    assert result["forecast"] == [
        "tonight (18:00 to 06:00): partly cloudy, then rainy from 22:00, then partly cloudy from 03:00, "
        "8.5 to 14 °C, rain likely (70%) from 22:00 until 03:00, wind up to 12 km/h"
    ]


async def test_weekend_week_and_now_at_home(
    hass: HomeAssistant, model_server: ModelServer, weather_entities: None, agent_id: str
) -> None:
    weekend = await ask(hass, model_server, agent_id, {"when": "weekend"})
    assert weekend["forecast"] == [
        "Saturday 5 December: snowy, 15 to 23 °C, snow almost certain (95%, 2 mm), wind up to 8 km/h",
        "Sunday 6 December: sunny, 16 to 24 °C, dry, wind up to 9 km/h",
    ]
    week = await ask(hass, model_server, agent_id, {"when": "week"})
    assert len(week["forecast"]) == 7
    assert week["forecast"][0].startswith("today: partly cloudy")
    now = await ask(hass, model_server, agent_id, {"when": "now"})
    assert now["forecast"] == ["now: partly cloudy, 18.5 °C, wind 14 km/h"]
    hours = await ask(hass, model_server, agent_id, {"when": "next hours"})
    assert hours["forecast"] == [
        "next hours (10:00 to 22:00): partly cloudy, 12.5 to 18 °C, rain unlikely (10%), wind up to 12 km/h"
    ]


async def test_the_speakers_area_picks_the_weather_entity(
    hass: HomeAssistant, model_server: ModelServer, weather_entities: None, agent_id: str
) -> None:
    satellites = MockConfigEntry(domain="test")
    satellites.add_to_hass(hass)
    bedroom = ar.async_get(hass).async_get_or_create("Bedroom")
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=satellites.entry_id, identifiers={("test", "bedroom")}, name="Bedroom satellite"
    )
    dr.async_get(hass).async_update_device(device.id, area_id=bedroom.id)
    er.async_get(hass).async_update_entity("weather.bedroom_station", area_id=bedroom.id)

    # Only a twice-daily forecast there: tonight is its night half.
    result = await ask(hass, model_server, agent_id, {"when": "tonight"}, device_id=device.id)
    assert result == {
        "place": "Bedroom station",
        "forecast": ["today night: clear, 4 °C, chance of rain (30%)"],
    }
    # Elsewhere the home's entity answers; it has no forecast that far ahead.
    far = await ask(hass, model_server, agent_id, {"when": "2026-12-20"})
    assert far == {"error": "The forecast for Home does not cover Sunday 20 December."}


@pytest.mark.parametrize("agent_options", [AGENT_OPTIONS | {CONF_TOOLS: ["weather"]}], ids=["weather_on"])
async def test_the_options_entity_is_used_first(
    hass: HomeAssistant,
    model_server: ModelServer,
    weather_entities: None,
    config_entry: MockConfigEntry,
    agent_id: str,
) -> None:
    hass.config_entries.async_update_entry(
        config_entry, options={**config_entry.options, CONF_WEATHER_ENTITY: "weather.bedroom_station"}
    )
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.LOADED
    result = await ask(hass, model_server, agent_id, {"when": "tomorrow"})
    # Its twice-daily forecast has nothing for tomorrow.
    assert result == {"error": "The forecast for Bedroom station does not cover tomorrow."}


async def test_a_wrong_when_is_explained_so_the_model_can_correct_it(
    hass: HomeAssistant, model_server: ModelServer, weather_entities: None, agent_id: str
) -> None:
    result = await ask(hass, model_server, agent_id, {"when": "soonish"})
    assert result["error"].startswith("`when` must be one of now, next_hours, today, tonight, tomorrow")
    past = await ask(hass, model_server, agent_id, {"when": "2026-11-30"})
    assert past == {"error": "2026-11-30 has passed; today is 2026-12-01."}
    wrong = await ask(hass, model_server, agent_id, {"place": ["Lisbon"]})  # type: ignore[dict-item]
    assert wrong["error"].startswith("Invalid arguments")


async def test_weather_in_lisbon_on_friday_from_open_meteo(
    hass: HomeAssistant,
    model_server: ModelServer,
    open_meteo_server: OpenMeteoServer,
    agent_id: str,
    freezer: FrozenDateTimeFactory,
) -> None:
    result = await ask(hass, model_server, agent_id, {"place": "Lisbon", "when": "Friday"})
    assert result == {
        "place": "Lisbon, Portugal",
        "forecast": [
            "Friday 4 December: rainy, 12.4 to 18 °C, rain likely (60%, 1.5 mm), wind up to 6.1 m/s"
        ],
    }
    (search,) = open_meteo_server.queries("/v1/search")
    assert search == {"name": "Lisbon", "count": "5", "language": "en", "format": "json"}
    (query,) = open_meteo_server.queries("/v1/forecast")
    assert query["latitude"] == "38.71667"
    assert query["longitude"] == "-9.13333"
    assert query["timezone"] == "auto"
    assert query["forecast_days"] == "7"
    # The home's unit system (metric: m/s wind).
    assert (query["temperature_unit"], query["wind_speed_unit"], query["precipitation_unit"]) == (
        "celsius",
        "ms",
        "mm",
    )
    assert set(query["hourly"].split(",")) >= {"weather_code", "precipitation_probability", "temperature_2m"}

    # Asked again: nothing fetched twice within 30 minutes; after that, fetched anew.
    tonight = await ask(hass, model_server, agent_id, {"place": "lisbon", "when": "tonight"})
    assert tonight["forecast"] == [
        "tonight (18:00 to 06:00): partly cloudy, then rainy from 22:00, 12 °C, "
        "rain likely (80%, 4.8 mm) from 22:00, wind up to 4.1 m/s"
    ]
    assert len(open_meteo_server.requests) == 2
    freezer.tick(timedelta(minutes=31))
    now = await ask(hass, model_server, agent_id, {"place": "Lisbon", "when": "now"})
    assert now["forecast"] == ["now: sunny, 14.2 °C, wind 3.4 m/s"]
    assert len(open_meteo_server.queries("/v1/forecast")) == 2


async def test_a_place_named_in_chinese(
    hass: HomeAssistant, model_server: ModelServer, open_meteo_server: OpenMeteoServer, agent_id: str
) -> None:
    result = await ask(
        hass, model_server, agent_id, {"place": "北京", "when": "tomorrow"}, language="zh-Hans"
    )
    assert result["place"] == "北京市, 中国"
    assert result["forecast"] == [
        "tomorrow: rainy, 10.1 to 15.2 °C, rain likely (85%, 7.2 mm), wind up to 8.2 m/s"
    ]
    assert open_meteo_server.queries("/v1/search")[0]["language"] == "zh"


async def test_an_unknown_place_is_said_plainly(
    hass: HomeAssistant, model_server: ModelServer, open_meteo_server: OpenMeteoServer, agent_id: str
) -> None:
    result = await ask(hass, model_server, agent_id, {"place": "Atlantis"})
    assert result == {"error": "No place called 'Atlantis' was found. Ask the person to say it another way."}
    assert open_meteo_server.queries("/v1/forecast") == []


async def test_an_ambiguous_place_asks_which_one(
    hass: HomeAssistant, model_server: ModelServer, open_meteo_server: OpenMeteoServer, agent_id: str
) -> None:
    result = await ask(hass, model_server, agent_id, {"place": "Springfield", "when": "tomorrow"})
    assert result == {
        "error": "Several places are called 'Springfield': Springfield, Missouri, United States; "
        "Springfield, Massachusetts, United States; Springfield, Illinois, United States. "
        "Ask which one, then call again with place 'name, region or country'."
    }
    chosen = await ask(hass, model_server, agent_id, {"place": "Springfield, Illinois", "when": "tomorrow"})
    assert chosen["place"] == "Springfield, Illinois, United States"
    # The place list was cached: one search for both questions.
    assert len(open_meteo_server.queries("/v1/search")) == 1


@pytest.mark.parametrize("fault", ["500", "timeout"])
async def test_the_service_down_is_said_plainly(
    hass: HomeAssistant,
    model_server: ModelServer,
    open_meteo_server: OpenMeteoServer,
    agent_id: str,
    fault: str,
    freezer: FrozenDateTimeFactory,
) -> None:
    open_meteo_server.fault = fault
    asking = hass.async_create_task(ask(hass, model_server, agent_id, {"place": "Lisbon"}))
    # Time is frozen: move it past the request timeout while Open-Meteo keeps silent.
    for _ in range(200):
        if asking.done():
            break
        freezer.tick(timedelta(seconds=1))
        await asyncio.sleep(0)
    result = await asking
    assert result == {"error": "The weather service is not answering right now. Say so; try again later."}


async def test_without_a_weather_entity_home_is_forecast_by_open_meteo(
    hass: HomeAssistant, model_server: ModelServer, open_meteo_server: OpenMeteoServer, agent_id: str
) -> None:
    result = await ask(hass, model_server, agent_id, {"when": "today"})
    assert result["place"] == hass.config.location_name
    assert result["forecast"] == ["today: cloudy, 9 to 16 °C, rain unlikely (10%), wind up to 5 m/s"]
    (query,) = open_meteo_server.queries("/v1/forecast")
    assert (float(query["latitude"]), float(query["longitude"])) == (
        hass.config.latitude,
        hass.config.longitude,
    )


@pytest.mark.parametrize("agent_options", [AGENT_OPTIONS | {CONF_TOOLS: []}], ids=["weather_off"])
async def test_disabling_the_weather_family_removes_the_tool(
    hass: HomeAssistant, model_server: ModelServer, setup_integration: MockConfigEntry, agent_id: str
) -> None:
    await converse(hass, agent_id, "Will it rain?")
    names = [tool["function"]["name"] for tool in model_server.chat_requests[0]["tools"]]
    assert WEATHER not in names
    assert "aiassist__remember" in names


async def test_the_weather_tool_is_offered_by_default_and_costs_few_tokens(
    hass: HomeAssistant, model_server: ModelServer, setup_integration: MockConfigEntry, agent_id: str
) -> None:
    await converse(hass, agent_id, "Will it rain?")
    (tool,) = [tool for tool in model_server.chat_requests[0]["tools"] if tool["function"]["name"] == WEATHER]
    assert set(tool["function"]["parameters"]["properties"]) == {"place", "when"}
    # About four characters a token: the schema adds about 100 tokens to every request.
    assert len(json.dumps(tool, ensure_ascii=False)) / 4 <= 105
    assert setup_integration.state is ConfigEntryState.LOADED


async def test_weather_options_take_a_self_hosted_open_meteo_and_an_entity(
    hass: HomeAssistant, weather_entities: None, setup_integration: MockConfigEntry
) -> None:
    result = await hass.config_entries.options.async_init(setup_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_GEOCODING_URL: "not a url", CONF_FORECAST_URL: "http://meteo.lan:8080/"}
    )
    assert result["errors"] == {CONF_GEOCODING_URL: "invalid_url"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_WEATHER_ENTITY: "weather.home",
            CONF_GEOCODING_URL: "https://geocoding-api.open-meteo.com",
            CONF_FORECAST_URL: "http://meteo.lan:8080/",
        },
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    # Defaults are not stored; a trailing slash is dropped.
    assert setup_integration.options == {
        CONF_WEATHER_ENTITY: "weather.home",
        CONF_FORECAST_URL: "http://meteo.lan:8080",
    }
    assert setup_integration.state is ConfigEntryState.LOADED


async def test_an_agent_from_before_the_tools_option_has_them_on(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    (subentry,) = setup_integration.subentries.values()
    assert CONF_TOOLS not in subentry.data
    result = await hass.config_entries.subentries.async_init(
        (setup_integration.entry_id, SUBENTRY_CONVERSATION),
        context={"source": config_entries.SOURCE_RECONFIGURE, "subentry_id": subentry.subentry_id},
    )
    suggested = {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description and "suggested_value" in key.description
    }
    assert suggested[CONF_TOOLS] == ["weather", "shopping", "reminders"]
