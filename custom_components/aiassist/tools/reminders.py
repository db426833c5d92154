"""Reminders and alarms the model sets, lists, cancels and snoozes for the person speaking.

Times are the home's local time. Privacy is enforced here: a speaker reaches their own reminders
and the household's; anyone else's are "not found", like memories.
"""

from datetime import datetime, time, timedelta
import re
from typing import Any, override

import probatio

from homeassistant.core import HomeAssistant
from homeassistant.helpers import llm
from homeassistant.util import dt as dt_util
from homeassistant.util.json import JsonObjectType, JsonValueType

from ..const import DOMAIN
from ..memory import HOUSEHOLD
from ..reminders import WEEKDAYS, Reminder, ReminderStore, next_on_days
from ..speaker import Speaker
from ..tool_base import AIAssistTool, tool_error

# Furthest ahead a reminder may be set.
MAX_AHEAD = timedelta(days=366)
LIST_LIMIT = 10
# "Snooze" without naming one means the reminder said to this speaker in the last so many minutes.
SNOOZE_RECENT = timedelta(minutes=30)
DEFAULT_SNOOZE = 10
NOT_FOUND = "No such reminder."
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::00)?")


def _when(reminder: Reminder) -> str:
    """E.g. "Mon 2026-12-07 07:00", local time."""
    return f"{dt_util.as_local(reminder.due_at):%a %Y-%m-%d %H:%M}"


def describe(reminder: Reminder, speaker: Speaker) -> JsonObjectType:
    """A reminder as the model reads it: short, local time, whose."""
    summary: JsonObjectType = {"id": reminder.id, "text": reminder.text, "when": _when(reminder)}
    if reminder.repeats:
        summary["repeats"] = f"{','.join(WEEKDAYS[day] for day in reminder.days)} {reminder.at}"
    if reminder.owner == HOUSEHOLD and speaker.person is not None:
        summary["for"] = "household"
    if reminder.status == "missed":
        summary["missed"] = True
    return summary


class _ReminderTool(AIAssistTool):
    def __init__(self, store: ReminderStore, speaker: Speaker) -> None:
        self.store = store
        self.speaker = speaker

    def readable(self) -> list[Reminder]:
        """The speaker's and the household's reminders, soonest first."""
        return sorted(
            (r for r in self.store.reminders.values() if r.owner in self.speaker.readable),
            key=lambda r: r.due,
        )

    def find(self, words: str) -> Reminder | list[Reminder] | None:
        """A readable reminder by id or by its words; several when the words fit more than one."""
        if (reminder := self.store.reminders.get(words.strip())) and reminder.owner in self.speaker.readable:
            return reminder
        wanted = words.casefold().split()
        found = [
            r
            for r in self.readable()
            if r.status != "done" and wanted and all(word in r.text.casefold() for word in wanted)
        ]
        return found[0] if len(found) == 1 else found or None

    def not_one(self, found: list[Reminder] | None) -> llm.ToolResult:
        """The error when `find` found none, or several to choose from."""
        if not found:
            return tool_error(NOT_FOUND)
        matches: list[JsonValueType] = [describe(r, self.speaker) for r in found]
        return llm.ToolResult(data={"error": "Which one?", "matches": matches}, error=True)


class SetReminderTool(_ReminderTool):
    """Set a one-off or repeating reminder or alarm."""

    name = f"{DOMAIN}__set_reminder"
    description = "Set a reminder or alarm, said where it was set: give `at` or `in_minutes`."
    parameters = probatio.Schema(
        {
            probatio.Required("text"): str,
            probatio.Optional("at", description="HH:MM or YYYY-MM-DDTHH:MM, local."): str,
            probatio.Optional("in_minutes"): probatio.Coerce(float),
            probatio.Optional("days", description="Repeat on these days"): [probatio.In(list(WEEKDAYS))],
            probatio.Optional("about", default="speaker"): probatio.In(["speaker", "household"]),
        }
    )
    annotations = llm.ToolAnnotations(read_only=False, destructive=False, idempotent=False, open_world=False)

    @override
    async def async_call(
        self, hass: HomeAssistant, tool_input: llm.ToolInput, llm_context: llm.LLMContext
    ) -> llm.ToolResult:
        args: dict[str, Any] = self.parameters(tool_input.tool_args)
        text = " ".join(str(args["text"]).split())
        if not text:
            return tool_error("Say what to remind of in `text`.")
        now = dt_util.utcnow()
        days = sorted({WEEKDAYS.index(day) for day in args.get("days") or ()})
        when = _resolve(args.get("at"), args.get("in_minutes"), days, now)
        if isinstance(when, str):
            return tool_error(when)
        due, at = when
        owner = HOUSEHOLD if args["about"] == "household" else self.speaker.owner
        reminder = self.store.add(text, owner, due, llm_context.device_id, days, at)
        return llm.ToolResult(data={"set": describe(reminder, self.speaker)})


def _resolve(
    at_text: str | None, minutes: float | None, days: list[int], now: datetime
) -> tuple[datetime, time | None] | str:
    """The first moment and the repeating time; or what the model must correct."""
    if (at_text is None) == (minutes is None):
        return "Give exactly one of `at` (HH:MM or YYYY-MM-DDTHH:MM) or `in_minutes`."
    if minutes is not None:
        if days:
            return "`days` needs `at` as HH:MM, not `in_minutes`."
        if not 0 < minutes <= MAX_AHEAD.total_seconds() / 60:
            return "`in_minutes` must be more than 0 and at most a year."
        return now + timedelta(minutes=minutes), None
    assert at_text is not None
    at_text = at_text.strip()
    if (clock := _clock(at_text)) is not None:
        due = next_on_days(days or list(range(7)), clock, now)
        return due, clock if days else None
    if days:
        return "With `days`, give `at` as HH:MM."
    try:
        moment = datetime.fromisoformat(at_text)
    except ValueError:
        return "`at` must be HH:MM or YYYY-MM-DDTHH:MM."
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt_util.get_default_time_zone())
    if moment <= now:
        return f"That time has passed; it is now {dt_util.as_local(now):%a %Y-%m-%d %H:%M}."
    if moment - now > MAX_AHEAD:
        return "At most a year ahead."
    return moment, None


def _clock(text: str) -> time | None:
    """A time of day, "7:00" or "07:00[:00]"; None when it is something else."""
    if (match := _CLOCK.fullmatch(text)) is None:
        return None
    try:
        return time(int(match[1]), int(match[2]))
    except ValueError:
        return None


class ListRemindersTool(_ReminderTool):
    """List the speaker's and the household's reminders."""

    name = f"{DOMAIN}__list_reminders"
    description = "List the speaker's and the household's reminders and alarms."
    parameters = probatio.Schema({})
    annotations = llm.ToolAnnotations(read_only=True, destructive=False, idempotent=True, open_world=False)

    @override
    async def async_call(
        self, hass: HomeAssistant, tool_input: llm.ToolInput, llm_context: llm.LLMContext
    ) -> llm.ToolResult:
        waiting = [r for r in self.readable() if r.status != "done"]
        data: JsonObjectType = {
            "count": len(waiting),
            "reminders": [describe(r, self.speaker) for r in waiting[:LIST_LIMIT]],
        }
        return llm.ToolResult(data=data)


class CancelReminderTool(_ReminderTool):
    """Cancel a reminder."""

    name = f"{DOMAIN}__cancel_reminder"
    description = "Cancel a reminder or alarm."
    parameters = probatio.Schema(
        {probatio.Required("reminder", description="Its id, or words from it."): str}
    )
    annotations = llm.ToolAnnotations(read_only=False, destructive=True, idempotent=True, open_world=False)

    @override
    async def async_call(
        self, hass: HomeAssistant, tool_input: llm.ToolInput, llm_context: llm.LLMContext
    ) -> llm.ToolResult:
        args: dict[str, Any] = self.parameters(tool_input.tool_args)
        found = self.find(args["reminder"])
        if not isinstance(found, Reminder):
            return self.not_one(found)
        self.store.remove([found.id])
        return llm.ToolResult(data={"cancelled": describe(found, self.speaker)})


class SnoozeReminderTool(_ReminderTool):
    """Say a reminder again later."""

    name = f"{DOMAIN}__snooze_reminder"
    description = "Snooze a reminder or alarm: say it again later."
    parameters = probatio.Schema(
        {
            probatio.Optional("minutes", default=DEFAULT_SNOOZE): probatio.Coerce(float),
            probatio.Optional("reminder", description="Id or words; omit: the one just said."): str,
        }
    )
    annotations = llm.ToolAnnotations(read_only=False, destructive=False, idempotent=False, open_world=False)

    @override
    async def async_call(
        self, hass: HomeAssistant, tool_input: llm.ToolInput, llm_context: llm.LLMContext
    ) -> llm.ToolResult:
        args: dict[str, Any] = self.parameters(tool_input.tool_args)
        minutes = float(args["minutes"])
        if not 0 < minutes <= 24 * 60:
            return tool_error("`minutes` must be more than 0 and at most a day.")
        found = self.find(args["reminder"]) if args.get("reminder") else self.just_said(llm_context.device_id)
        if not isinstance(found, Reminder):
            return self.not_one(found)
        snoozed = self.store.snooze(found, minutes)
        return llm.ToolResult(data={"snoozed": describe(snoozed, self.speaker)})

    def just_said(self, device_id: str | None) -> Reminder | None:
        """The reminder said most recently, preferably on this device, within the last half hour."""
        since = (dt_util.utcnow() - SNOOZE_RECENT).isoformat()
        said = [r for r in self.readable() if r.spoken and r.spoken >= since]
        said.sort(key=lambda r: (r.device_id == device_id, r.spoken or ""))
        return said[-1] if said else None


def reminder_tools(store: ReminderStore, speaker: Speaker) -> list[llm.Tool]:
    """The reminder tools for one turn of one speaker."""
    tools = (SetReminderTool, ListRemindersTool, CancelReminderTool, SnoozeReminderTool)
    return [tool(store, speaker) for tool in tools]
