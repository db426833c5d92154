"""Everyday rules: the weather, the shopping list, timers and the time, with Home Assistant's tools."""

from __future__ import annotations

import re
from typing import Any

from .devices import Entity, best_match, english, entities_in, known_entities
from .turn import Call, Outcome, Reply, Turn
from .words import join, number, tokens

_CONDITIONS = {
    "clear-night": ("clear", "晴朗"), "cloudy": ("cloudy", "多云"), "exceptional": ("unusual", "异常"),
    "fog": ("foggy", "有雾"), "hail": ("hailing", "下冰雹"), "lightning": ("stormy", "有雷电"),
    "lightning-rainy": ("stormy and rainy", "雷雨"), "partlycloudy": ("partly cloudy", "局部多云"),
    "pouring": ("pouring", "大雨"), "rainy": ("rainy", "下雨"), "snowy": ("snowy", "下雪"),
    "snowy-rainy": ("sleeting", "雨夹雪"), "sunny": ("sunny", "晴"), "windy": ("windy", "有风"),
}  # fmt: skip
_WET = {"rainy", "pouring", "lightning-rainy", "snowy-rainy", "hail"}


_WEATHER = re.compile(
    r"\b(?:weather|rain\w*|umbrella|forecast|sunny|snow\w*|temperature outside|how (?:hot|cold|warm) is it)\b"
    r"|天气|下雨|雨伞|带伞|气温|多少度",
    re.IGNORECASE,
)
_WEATHER_TOOL_SUFFIXES = ("weather", "get_forecast", "get_forecasts", "GetWeather")


# AI Assist's own forecast tool: `when` and `place` read off the sentence.
_FORECAST_TOOL = "weather_forecast"
_WHEN = (
    (re.compile(r"tonight|今晚", re.IGNORECASE), "tonight"),
    (re.compile(r"tomorrow|明天", re.IGNORECASE), "tomorrow"),
    (re.compile(r"weekend|周末", re.IGNORECASE), "weekend"),
    (re.compile(r"this week|next days|这周|本周", re.IGNORECASE), "week"),
    (re.compile(r"today|今天", re.IGNORECASE), "today"),
    (re.compile(r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.IGNORECASE), ""),
)
_PLACE = re.compile(
    r"\b(?:in|at|for)\s+([A-Z][\w' -]*?)(?:\s+(?:on|this|next|tomorrow|today|tonight)\b|[?.!]|$)"
    r"|^(?!明天|今天|今晚|周末)([\u4e00-\u9fff]{2,4}?)(?:明天|今天|今晚|周末)?(?:的)?天气"
)


def weather(turn: Turn) -> Reply | None:
    """The weather, from AI Assist's forecast tool or another weather tool, else GetLiveContext."""
    if not _WEATHER.search(turn.said):
        return None
    if outcome := turn.outcome(_FORECAST_TOOL):
        return _forecast_report(turn, outcome)
    if forecast := turn.tool(_FORECAST_TOOL):
        return turn.call(forecast, **_forecast_arguments(turn.said))
    for outcome in turn.outcomes:
        if outcome.name.endswith(_WEATHER_TOOL_SUFFIXES) or outcome.name.endswith("GetLiveContext"):
            return _weather_report(turn, outcome)
    for name, function in turn.tools.items():
        if (
            name.endswith(_WEATHER_TOOL_SUFFIXES)
            and (arguments := _weather_arguments(turn, function)) is not None
        ):
            return turn.call(name, **arguments)
    if live := turn.tool("GetLiveContext"):
        return turn.call(live, domain="weather")
    return None


def _forecast_arguments(said: str) -> dict[str, str]:
    arguments: dict[str, str] = {}
    for pattern, when in _WHEN:
        if match := pattern.search(said):
            arguments["when"] = when or match.group(0).lower()
            break
    if place := _PLACE.search(said):
        arguments["place"] = (place.group(1) or place.group(2)).strip()
    return arguments


def _forecast_report(turn: Turn, outcome: Outcome) -> Reply:
    if outcome.failed:
        return turn.say(f"Sorry, {outcome.error}", f"抱歉，{outcome.error}")
    data = outcome.data if isinstance(outcome.data, dict) else {}
    lines = [str(line) for line in data.get("forecast", [])][:2]
    where = str(data.get("place", ""))
    text = "; ".join(lines) or "no forecast"
    answer = f"{where}: {text}." if where else f"{text}."
    if re.search(r"rain|umbrella|下雨|伞", turn.said, re.IGNORECASE):
        wet = re.search(r"rain|shower|drizzle", text, re.IGNORECASE) and "unlikely" not in text
        answer += " Take an umbrella." if wet else " No umbrella needed."
    return turn.say(answer, answer)


def _weather_arguments(turn: Turn, function: dict[str, Any]) -> dict[str, Any] | None:
    """Fill a weather tool's required parameters, or None when they are not ones the rules know."""
    schema = function.get("parameters") or {}
    properties: dict[str, Any] = schema.get("properties") or {}
    weather_entities = [e for e in known_entities(turn) if e.domain == "weather"]
    arguments: dict[str, Any] = {}
    for key in schema.get("required") or []:
        spec = properties.get(key, {})
        if "enum" in spec:
            arguments[key] = "daily" if "daily" in spec["enum"] else spec["enum"][0]
        elif key in ("name", "entity", "entity_id", "location") and weather_entities:
            arguments[key] = weather_entities[0].name
        else:
            return None
    return arguments


def _find(data: Any, key: str) -> Any:
    """The first value of `key` anywhere in a JSON answer."""
    if isinstance(data, dict):
        if key in data and not isinstance(data[key], (dict, list)):
            return data[key]
        data = list(data.values())
    if isinstance(data, list):
        for item in data:
            if (value := _find(item, key)) is not None:
                return value
    return None


def _weather_report(turn: Turn, outcome: Outcome) -> Reply:
    if outcome.failed:
        return turn.say(
            f"I can't see the weather: {outcome.error}. Expose a weather entity to Assist and ask again.",
            f"我看不到天气：{outcome.error}。请把天气实体公开给 Assist 再问一次。",
        )
    found = [e for e in entities_in(str(_find(outcome.data, "result") or "")) if e.domain == "weather"]
    if found:
        where, condition = found[0].name, found[0].state or ""
        temperature, unit = (
            found[0].attributes.get("temperature"),
            found[0].attributes.get("temperature_unit", ""),
        )
        humidity = found[0].attributes.get("humidity")
    else:
        where, condition = "", str(_find(outcome.data, "condition") or "")
        temperature, unit, humidity = _find(outcome.data, "temperature"), "", _find(outcome.data, "humidity")
    en, zh = _CONDITIONS.get(condition, (condition.replace("-", " ") or "unknown", condition or "未知"))
    text = f"At {where} it is {en}" if where else f"It is {en}"
    text_zh = f"{where}现在{zh}" if where else f"现在{zh}"
    if temperature is not None:
        text, text_zh = (
            f"{text} and {temperature} {unit}".rstrip(),
            f"{text_zh}，{temperature} {unit}".rstrip(),
        )
    if humidity is not None:
        text, text_zh = f"{text}, with {humidity}% humidity", f"{text_zh}，湿度{humidity}%"
    if re.search(r"rain|umbrella|下雨|伞", turn.said, re.IGNORECASE):
        wet = condition in _WET
        text += ". Take an umbrella" if wet else ". No umbrella needed right now"
        text_zh += "。记得带伞" if wet else "。现在不用带伞"
    return turn.say(f"{text}.", f"{text_zh}。")


_ADD_EN = re.compile(
    r"\b(?:add|put)\s+(?P<item>.+?)\s+(?:to|on|onto|in)\s+(?:the\s+|my\s+|our\s+)?(?P<list>[\w\s]*?list)\b",
    re.IGNORECASE,
)
_ADD_ZH = re.compile(
    r"把(?P<item>.+?)(?:加到|加入|添加到|放到|放进)(?P<list>.*?)(?:清单|列表|单)"
    r"|(?P<list2>购物清单|购物单|购物列表)(?:里|上|中)?(?:加上?|添加)(?P<item2>.+?)[。！!.]*$"
)


def add_to_list(turn: Turn) -> Reply | None:
    """'Add milk to the shopping list': HassListAddItem (to-do lists) or HassShoppingListAddItem."""
    if found := _ADD_EN.search(turn.said):
        said, list_words = found["item"], tokens(found["list"])
    elif found := _ADD_ZH.search(turn.said):
        said = found["item"] or found["item2"]
        list_words = [*tokens(english(found["list"] or found["list2"] or "")), "list"]
    else:
        return None
    items = [item.strip() for item in re.split(r",\s*|\s+and\s+|、|和", said) if item.strip()]
    if outcome := turn.outcome("shopping_add"):
        return _shopping_report(turn, outcome, items)
    if tool := turn.tool("shopping_add"):
        # AI Assist's own shopping tool: every item in one call, merged with what is on the list.
        named = [word for word in list_words if word not in ("shopping", "list", "the", "my")]
        written = [item[:1].upper() + item[1:] for item in items]  # as a model writes list items
        return turn.call(tool, items=written, **({"list": " ".join(named)} if named else {}))
    if outcomes := turn.outcomes_of("HassListAddItem") + turn.outcomes_of("HassShoppingListAddItem"):
        added = [o.arguments.get("item", "") for o in outcomes if not o.failed]
        name = outcomes[0].arguments.get("name", "shopping list")
        if failed := [o for o in outcomes if o.failed]:
            error = failed[0].error
            return turn.say(
                f"Sorry, I couldn't add that to the {name}: {error}.", f"抱歉，没能加到{name}：{error}。"
            )
        return turn.say(f"I added {join(added)} to the {name}.", f"已把{join(added, True)}加到{name}。")
    if tool := turn.tool("HassListAddItem"):
        lists = [e for e in known_entities(turn) if e.domain == "todo"]
        best = best_match(lists, list_words or ["shopping"], None)
        name = best.name if isinstance(best, Entity) else lists[0].name if lists else "Shopping List"
        return Reply(calls=tuple(Call(tool, {"item": item, "name": name}) for item in items))
    if tool := turn.tool("HassShoppingListAddItem"):
        return Reply(calls=tuple(Call(tool, {"item": item}) for item in items))
    return None


def _shopping_report(turn: Turn, outcome: Outcome, items: list[str]) -> Reply:
    if outcome.failed:
        return turn.say(f"Sorry, I couldn't add that: {outcome.error}", f"抱歉，没能加上：{outcome.error}")
    data = outcome.data if isinstance(outcome.data, dict) else {}
    name, count = data.get("list", "shopping list"), data.get("count")
    text = f"I added {join(items)} to the {name}"
    text_zh = f"已把{join(items, True)}加到{name}"
    if isinstance(count, int):
        text, text_zh = f"{text}; it has {count} things on it now", f"{text_zh}，现在共有{count}样"
    return turn.say(f"{text}.", f"{text_zh}。")


_TIMER = re.compile(r"\btimer\b|计时|定时|倒计时", re.IGNORECASE)
_DURATION_EN = re.compile(r"(\d+|[a-z-]+)\s*(hour|hr|minute|min|second|sec)s?\b", re.IGNORECASE)
_DURATION_ZH = re.compile(r"([\d零一二两三四五六七八九十]+)\s*(?:个)?(小时|分钟|分|秒钟|秒)")
_UNITS = {
    "hour": "hours", "hr": "hours", "小时": "hours",
    "minute": "minutes", "min": "minutes", "分钟": "minutes", "分": "minutes",
    "second": "seconds", "sec": "seconds", "秒钟": "seconds", "秒": "seconds",
}  # fmt: skip
_UNITS_ZH = {"hours": "小时", "minutes": "分钟", "seconds": "秒"}


def start_timer(turn: Turn) -> Reply | None:
    """'Set a timer for 5 minutes': HassStartTimer, when the satellite can run timers."""
    if not _TIMER.search(turn.said):
        return None
    duration: dict[str, int] = {}
    if re.search(r"half an hour", turn.said, re.IGNORECASE):
        duration["minutes"] = 30
    for amount, unit in _DURATION_EN.findall(turn.said) + _DURATION_ZH.findall(turn.said):
        if (value := number(amount)) is not None:
            duration[_UNITS[unit.lower()]] = value
    if not duration:
        return None
    said = " ".join(f"{value} {unit[:-1]}" for unit, value in duration.items())  # "a 5 minute timer"
    said_zh = "".join(f"{value}{_UNITS_ZH[unit]}" for unit, value in duration.items())
    if outcome := turn.outcome("HassStartTimer"):
        if outcome.failed:
            return turn.say(
                f"Sorry, I couldn't start the timer: {outcome.error}.",
                f"抱歉，计时器没能启动：{outcome.error}。",
            )
        return turn.say(f"Your {said} timer is running.", f"好的，{said_zh}的计时器开始了。")
    if tool := turn.tool("HassStartTimer"):
        return turn.call(tool, **duration)
    if turn.cannot_start_timers:
        return turn.say(
            "This device can't run timers. Ask a voice satellite instead.",
            "这个设备不能计时，请在语音助手设备上设置。",
        )
    return None


_TIME = re.compile(
    r"\bwhat time is it\b|\bwhat(?:'s| is) the (?:time|date)\b|\bwhat day is (?:it|today)\b|\btoday's date\b"
    r"|几点|什么时间|几号|星期几|日期",
    re.IGNORECASE,
)
_CLOCK = re.compile(r"Current time is (\d\d:\d\d):\d\d\. Today's date is ([\d-]+)\.")


def date_and_time(turn: Turn) -> Reply | None:
    """The time and date: from GetDateTime when offered, else from the context block."""
    if not _TIME.search(turn.said):
        return None
    if outcome := turn.outcome("GetDateTime"):
        data = outcome.data if isinstance(outcome.data, dict) else {}
        time, date, weekday = str(data.get("time", ""))[:5], data.get("date", ""), data.get("weekday", "")
        return turn.say(f"It's {time} on {weekday}, {date}.", f"现在是{date} {time}。")
    if tool := turn.tool("GetDateTime"):
        return turn.call(tool)
    if clock := _CLOCK.search(turn.situation):
        return turn.say(f"It's {clock[1]} on {clock[2]}.", f"现在是{clock[2]} {clock[1]}。")
    return None
