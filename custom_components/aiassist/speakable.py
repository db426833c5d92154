"""Numbers as a person says them: times, dates, temperatures, units, percentages and ranges.

Speech engines read "14:30" as "fourteen thirty", "21°C" as "twenty-one degree sign C" and
"2026-12-01" digit by digit; these are rewritten in words the engine reads naturally, in
English or Chinese (other languages keep the text as written).
"""

from collections.abc import Callable
import re

_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_NUMBER = r"\d+(?:[.,]\d+)?"
_DATE = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?![\d-])")
_TIME = re.compile(
    r"(?<![\d:])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])(?!\s*(?:[ap]\.?m\.?|[AP]\.?M\.?)(?![a-zA-Z]))"
)
_TEMPERATURE = re.compile(rf"(-|−)?({_NUMBER})\s?°\s?([CF])?(?![a-zA-Z])")
_PERCENT = re.compile(rf"({_NUMBER})\s?%")
_RANGE = re.compile(rf"(?<![\d.,:-])({_NUMBER})\s?[-–]\s?({_NUMBER})(?![\d:-])")
# Units after a number: (English singular, English plural, Chinese).
_UNITS = {
    "km/h": ("kilometre per hour", "kilometres per hour", "公里每小时"),
    "m/s": ("metre per second", "metres per second", "米每秒"),
    "mph": ("mile per hour", "miles per hour", "英里每小时"),
    "kWh": ("kilowatt hour", "kilowatt hours", "千瓦时"),
    "hPa": ("hectopascal", "hectopascals", "百帕"),
    "km": ("kilometre", "kilometres", "公里"),
    "kg": ("kilogram", "kilograms", "公斤"),
    "cm": ("centimetre", "centimetres", "厘米"),
    "mm": ("millimetre", "millimetres", "毫米"),
    "ml": ("millilitre", "millilitres", "毫升"),
    "kW": ("kilowatt", "kilowatts", "千瓦"),
    "W": ("watt", "watts", "瓦"),
}
_UNIT = re.compile(rf"({_NUMBER})\s?({'|'.join(re.escape(unit) for unit in _UNITS)})(?![a-zA-Z/²³])")


def speakable(text: str, language: str) -> str:
    """`text` with its numbers in words a speech engine says naturally in `language`."""
    family = language.casefold()[:2]
    if family not in ("en", "zh"):
        return text
    chinese = family == "zh"
    for pattern, say in (
        (_DATE, _date_zh if chinese else _date_en),
        (_TIME, _time_zh if chinese else _time_en),
        (_TEMPERATURE, _temperature_zh if chinese else _temperature_en),
        (_PERCENT, (lambda m: f"百分之{m[1]}") if chinese else (lambda m: f"{m[1]} percent")),
        (_UNIT, _unit_zh if chinese else _unit_en),
        (_RANGE, _range_zh if chinese else _range_en),
    ):
        text = pattern.sub(say, text)
    return text


def _date_en(match: re.Match[str]) -> str:
    year, month, day = int(match[1]), int(match[2]), int(match[3])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return match[0]
    return f"{_MONTHS[month - 1]} {day}, {year}"


def _date_zh(match: re.Match[str]) -> str:
    year, month, day = int(match[1]), int(match[2]), int(match[3])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return match[0]
    return f"{year}年{month}月{day}日"


def _time_en(match: re.Match[str]) -> str:
    hour, minute = int(match[1]), int(match[2])
    if minute == 0 and hour in (0, 12):
        return "midnight" if hour == 0 else "noon"
    half = "AM" if hour < 12 else "PM"
    hour = hour % 12 or 12
    return f"{hour} {half}" if minute == 0 else f"{hour}:{minute:02d} {half}"


def _time_zh(match: re.Match[str]) -> str:
    hour, minute = int(match[1]), int(match[2])
    if hour < 6:
        period = "凌晨"
    elif hour < 12:
        period = "上午"
    elif hour < 13:
        period = "中午"
    elif hour < 18:
        period = "下午"
    else:
        period = "晚上"
    spoken_hour = hour if hour <= 12 else hour - 12
    if hour == 0:
        return "零点" if minute == 0 else f"凌晨零点{minute}分"
    if minute == 0:
        return f"{period}{spoken_hour}点"
    if minute == 30:
        return f"{period}{spoken_hour}点半"
    return f"{period}{spoken_hour}点{minute}分"


def _temperature_en(match: re.Match[str]) -> str:
    sign = "minus " if match[1] else ""
    scale = {"C": " Celsius", "F": " Fahrenheit"}.get(match[3] or "", "")
    unit = "degree" if match[2] == "1" else "degrees"
    return f"{sign}{match[2]} {unit}{scale}"


def _temperature_zh(match: re.Match[str]) -> str:
    sign = "零下" if match[1] else ""
    scale = {"C": "摄氏度", "F": "华氏度"}.get(match[3] or "", "度")
    return f"{sign}{match[2]}{scale}"


def _unit_en(match: re.Match[str]) -> str:
    singular, plural, _chinese = _UNITS[match[2]]
    return f"{match[1]} {singular if match[1] == '1' else plural}"


def _unit_zh(match: re.Match[str]) -> str:
    return f"{match[1]}{_UNITS[match[2]][2]}"


def _ranged(joiner: str) -> Callable[[re.Match[str]], str]:
    def say(match: re.Match[str]) -> str:
        low, high = (float(value.replace(",", ".")) for value in (match[1], match[2]))
        # "5-10" is a range; "555-1234" (a phone number) or "3-1" (a score) is not.
        phone = len(match[1]) == 3 and len(match[2]) == 4
        return f"{match[1]}{joiner}{match[2]}" if low < high and not phone else match[0]

    return say


_range_en = _ranged(" to ")
_range_zh = _ranged("到")
