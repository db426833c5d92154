"""Forecasts in words: which slots answer 'tonight' or 'Friday', and one short line for each."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import groupby

HOURLY = "hourly"
DAILY = "daily"
TWICE_DAILY = "twice_daily"

NAMED_PERIODS = ("now", "next_hours", "today", "tonight", "tomorrow", "weekend", "week")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
NEXT_HOURS = 12
_EVENING, _MORNING = time(18), time(6)

_CONDITIONS = {
    "clear-night": "clear",
    "partlycloudy": "partly cloudy",
    "lightning": "thunderstorms",
    "lightning-rainy": "thunderstorms with rain",
    "snowy-rainy": "sleet",
    "windy-variant": "windy and cloudy",
    "exceptional": "exceptional weather",
}
_SNOW = frozenset({"snowy", "snowy-rainy"})


@dataclass(frozen=True, slots=True)
class Units:
    """The units figures are given in."""

    temperature: str
    precipitation: str
    wind: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Slot:
    """One forecast entry (an hour, half a day or a day), in the place's time zone."""

    start: datetime
    condition: str | None = None
    temperature: float | None = None
    low: float | None = None
    rain_chance: float | None = None
    rain: float | None = None
    wind: float | None = None
    daytime: bool | None = None


@dataclass(frozen=True, slots=True)
class Period:
    """The time a question is about: whole days, and the hours within them that matter."""

    label: str
    days: tuple[date, ...]
    start: datetime
    end: datetime
    hourly: bool = False
    night: bool = False

    def kinds(self, supported: Sequence[str]) -> list[str]:
        """The forecast kinds to try, best for this period first."""
        order = (HOURLY, TWICE_DAILY, DAILY) if self.hourly else (DAILY, TWICE_DAILY, HOURLY)
        return [kind for kind in order if kind in supported]

    def select(self, kind: str, slots: Sequence[Slot]) -> list[Slot]:
        """The slots of this period, of one forecast kind."""
        if kind == HOURLY:
            return [slot for slot in slots if self.start - timedelta(hours=1) < slot.start < self.end]
        return [
            slot
            for slot in slots
            if slot.start.date() in self.days and not (self.night and kind == TWICE_DAILY and slot.daytime)
        ]


def resolve_period(when: str, now: datetime) -> Period | str:
    """The period meant by `when`, or the reason it is not understood."""
    word = when.strip().casefold().replace(" ", "_").replace("-", "_").removeprefix("this_")
    today = now.date()

    def days(label: str, first: date, count: int = 1) -> Period:
        chosen = tuple(first + timedelta(days=offset) for offset in range(count))
        start = max(now, datetime.combine(first, time(), now.tzinfo))
        return Period(
            label, chosen, start, datetime.combine(chosen[-1] + timedelta(days=1), time(), now.tzinfo)
        )

    match word:
        case "next_hours":
            return Period("next hours", (today,), now, now + timedelta(hours=NEXT_HOURS), hourly=True)
        case "today":
            return days("today", today)
        case "tonight":
            if now.time() < _MORNING:
                return Period(
                    "tonight", (today,), now, datetime.combine(today, _MORNING, now.tzinfo), True, True
                )
            start = max(now, datetime.combine(today, _EVENING, now.tzinfo))
            end = datetime.combine(today + timedelta(days=1), _MORNING, now.tzinfo)
            return Period("tonight", (today,), start, end, hourly=True, night=True)
        case "tomorrow":
            return days("tomorrow", today + timedelta(days=1))
        case "weekend":
            if today.weekday() == 6:
                return days("the weekend", today)
            return days("the weekend", today + timedelta(days=(5 - today.weekday()) % 7), 2)
        case "week":
            return days("the week", today, 7)
    if word[:3] in (name[:3] for name in WEEKDAYS) and word.isalpha():
        target = next(index for index, name in enumerate(WEEKDAYS) if name.startswith(word[:3]))
        day = today + timedelta(days=(target - today.weekday()) % 7)
        return days(day_name(day, today), day)
    try:
        day = date.fromisoformat(when.strip())
    except ValueError:
        return (
            f"`when` must be one of {', '.join(NAMED_PERIODS)}, a weekday or a date YYYY-MM-DD; not {when!r}."
        )
    if day < today:
        return f"{day.isoformat()} has passed; today is {today.isoformat()}."
    return days(day_name(day, today), day)


def day_name(day: date, today: date) -> str:
    """'today', 'tomorrow' or 'Friday 5 December'."""
    if day == today:
        return "today"
    if day == today + timedelta(days=1):
        return "tomorrow"
    return f"{day:%A} {day.day} {day:%B}"


def describe_now(slot: Slot, units: Units) -> str:
    """The weather right now, in one line."""
    return _join(
        [
            f"now: {condition_words(slot.condition)}" if slot.condition else "now",
            _figure(slot.temperature, units.temperature),
            f"wind {_figure(slot.wind, units.wind)}" if slot.wind is not None else None,
        ]
    )


def describe(kind: str, slots: Sequence[Slot], period: Period, units: Units, today: date) -> list[str]:
    """Short lines a speaker can read: one per day (or half day), or one per stretch of hours."""
    if kind != HOURLY:
        return [_describe_day(slot, kind, units, today) for slot in slots]
    if period.hourly:
        return [_describe_hours(period.label, slots, units)]
    return [
        _describe_hours(day_name(day, today), list(group), units)
        for day, group in groupby(slots, key=lambda slot: slot.start.date())
    ]


def condition_words(condition: str | None) -> str:
    """HA's condition as words."""
    return _CONDITIONS.get(condition or "", condition or "unknown")


def rain_words(chance: float | None, amount: float | None, unit: str, snow: bool = False) -> str | None:
    """Rain as words and a chance: 'rain likely (80%, 6.5 mm)'."""
    what = "snow" if snow else "rain"
    figures = [f"{round(chance)}%"] if chance is not None else []
    if amount:
        figures.append(f"{_number(amount)} {unit}")
    if chance is None:
        return f"{what} ({figures[0]})" if figures else None
    if chance == 0 and not amount:
        return "dry"
    if chance < 20:
        words = f"{what} unlikely"
    elif chance < 50:
        words = f"chance of {what}"
    elif chance < 90:
        words = f"{what} likely"
    else:
        words = f"{what} almost certain"
    return f"{words} ({', '.join(figures)})"


def _describe_day(slot: Slot, kind: str, units: Units, today: date) -> str:
    label = day_name(slot.start.date(), today)
    if kind == TWICE_DAILY and slot.daytime is not None:
        label += " day" if slot.daytime else " night"
    temperatures = (
        f"{_number(slot.low)} to {_figure(slot.temperature, units.temperature)}"
        if slot.low is not None and slot.temperature is not None
        else _figure(slot.temperature, units.temperature)
    )
    return _join(
        [
            f"{label}: {condition_words(slot.condition)}",
            temperatures,
            rain_words(slot.rain_chance, slot.rain, units.precipitation, slot.condition in _SNOW),
            f"wind up to {_figure(slot.wind, units.wind)}" if slot.wind is not None else None,
        ]
    )


def _describe_hours(label: str, slots: Sequence[Slot], units: Units) -> str:
    """A stretch of hours: how the sky changes, the range of temperatures, when it rains."""
    first, last = slots[0], slots[-1]
    changes = [
        f"{condition_words(condition)} from {_clock(next(group).start)}"
        if index
        else condition_words(condition)
        for index, (condition, group) in enumerate(groupby(slots, key=lambda slot: slot.condition))
    ]
    temperatures = [slot.temperature for slot in slots if slot.temperature is not None]
    winds = [slot.wind for slot in slots if slot.wind is not None]
    return _join(
        [
            f"{label} ({_clock(first.start)} to {_clock(last.start + timedelta(hours=1))}): "
            + ", then ".join(changes[:4]),
            _range(temperatures, units.temperature),
            _rain_hours(slots, units),
            f"wind up to {_figure(max(winds), units.wind)}" if winds else None,
        ]
    )


def _rain_hours(slots: Sequence[Slot], units: Units) -> str | None:
    """When it rains within the hours: 'rain likely (70%) from 00:00 until 05:00'."""
    chances = [slot.rain_chance for slot in slots if slot.rain_chance is not None]
    amount = sum(slot.rain or 0 for slot in slots)
    snow = any(slot.condition in _SNOW for slot in slots)
    if not chances:
        return rain_words(None, amount, units.precipitation, snow)
    peak = max(chances)
    words = rain_words(peak, amount, units.precipitation, snow)
    wet = [index for index, slot in enumerate(slots) if (slot.rain_chance or 0) >= 50]
    if not wet or words is None:
        return words
    start, end = wet[0], wet[-1] + 1
    when = "now" if start == 0 else f"from {_clock(slots[start].start)}"
    if end < len(slots):
        when += f" until {_clock(slots[end].start)}"
    return f"{words} {when}"


def _range(values: Sequence[float], unit: str) -> str | None:
    if not values:
        return None
    low, high = min(values), max(values)
    return _figure(high, unit) if low == high else f"{_number(low)} to {_figure(high, unit)}"


def _clock(moment: datetime) -> str:
    return f"{moment:%H:%M}"


def _number(value: float) -> str:
    return f"{round(value, 1):g}"


def _figure(value: float | None, unit: str) -> str | None:
    return None if value is None else f"{_number(value)} {unit}"


def _join(parts: Sequence[str | None]) -> str:
    return ", ".join(part for part in parts if part)
