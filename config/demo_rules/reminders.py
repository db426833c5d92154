"""Reminder rules: set, list, cancel and snooze with AI Assist's reminder tools, when offered.

"Remind me to take the bins out at 8 pm", "in 20 minutes", "wake me up at 6:30 on weekdays",
"every Monday at 7", "what reminders do I have?", "cancel the bins reminder", "snooze 10
minutes", and in Chinese "20分钟后提醒我关火", "明天早上7点叫醒我".
"""

from __future__ import annotations

import re
from typing import Any

from .turn import Outcome, Reply, Turn

SET, LIST, CANCEL, SNOOZE = "set_reminder", "list_reminders", "cancel_reminder", "snooze_reminder"

_SET_EN = re.compile(
    r"\b(?:remind me(?:\s+to)?|(?:remember|don't forget)\s+to)\s+(?P<what>.+?)"
    r"(?=\s+(?:at|in|every|on)\b|\s*[?.!]?$)"
    r"|\b(?P<wake>wake me(?: up)?|set an alarm)\b",
    re.IGNORECASE,
)
_SET_ZH = re.compile(r"提醒我(?P<what>.+?)[。！!]?$|(?P<wake>叫醒我|叫我起床|闹钟)")
_AT = re.compile(
    r"\bat\s+(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?\b|(\d{1,2})点(?:(\d{1,2})分|半)?", re.IGNORECASE
)
_IN = re.compile(r"\bin\s+(\d+)\s*(minute|min|hour)s?\b|(\d+)\s*(分钟|小时)后", re.IGNORECASE)
_DAYS = {
    "monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu", "friday": "fri",
    "saturday": "sat", "sunday": "sun",
}  # fmt: skip
_LIST = re.compile(
    r"what reminders|which reminders|my reminders|any reminders|什么提醒|哪些提醒", re.IGNORECASE
)
_CANCEL = re.compile(
    r"\b(?:cancel|delete|remove)\b\s+(?:the\s+|my\s+)?(?P<what>.+?)\s*(?:reminder|alarm)|取消(?P<zh>.+?)提醒",
    re.IGNORECASE,
)
_SNOOZE = re.compile(r"\bsnooze\b(?:\D*(?P<minutes>\d+))?|再睡(?P<zh>\d+)?", re.IGNORECASE)


def reminders(turn: Turn) -> Reply | None:
    """Set, list, cancel or snooze reminders with AI Assist's tools; None when not offered."""
    for name, report in ((SET, _set_report), (LIST, _list_report), (CANCEL, _done), (SNOOZE, _done)):
        if outcome := turn.outcome(name):
            return report(turn, outcome)
    if _LIST.search(turn.said) and (tool := turn.tool(LIST)):
        return turn.call(tool)
    if (found := _SNOOZE.search(turn.said)) and (tool := turn.tool(SNOOZE)):
        minutes = found["minutes"] or found["zh"]
        return turn.call(tool, **({"minutes": int(minutes)} if minutes else {}))
    if (found := _CANCEL.search(turn.said)) and (tool := turn.tool(CANCEL)):
        return turn.call(tool, reminder=(found["what"] or found["zh"]).strip())
    if (found := _SET_EN.search(turn.said) or _SET_ZH.search(turn.said)) and (tool := turn.tool(SET)):
        return _set(turn, tool, found)
    return None


def _set(turn: Turn, tool: str, found: re.Match[str]) -> Reply:
    wake = bool(found["wake"])
    what = "Wake up" if wake else _strip_time(found["what"] or "")
    arguments: dict[str, Any] = {"text": what[:1].upper() + what[1:]}
    if minutes := _in_minutes(turn.said):
        arguments["in_minutes"] = minutes
    elif at := _at(turn.said):
        arguments["at"] = at
    else:
        return turn.say("When should I remind you?", "什么时候提醒你？")
    said = turn.said.lower()
    days = [short for day, short in _DAYS.items() if day in said]
    if "weekday" in said or "工作日" in said:
        days = ["mon", "tue", "wed", "thu", "fri"]
    if days and "at" in arguments:
        arguments["days"] = days
    return turn.call(tool, **arguments)


def _strip_time(text: str) -> str:
    text = _IN.sub("", _AT.sub("", text))
    return re.sub(r"\s+", " ", text).strip(" ,.。")


def _in_minutes(said: str) -> int | None:
    if not (found := _IN.search(said)):
        return None
    amount, unit = int(found[1] or found[3]), (found[2] or found[4]).lower()
    return amount * 60 if unit in ("hour", "小时") else amount


def _at(said: str) -> str | None:
    if not (found := _AT.search(said)):
        return None
    if found[1]:
        hour, minute, half = int(found[1]), int(found[2] or 0), (found[3] or "").lower()
        hour = hour % 12 + (12 if half == "pm" else 0) if half else hour
    else:
        hour, minute = int(found[4]), int(found[5] or (30 if "半" in found[0] else 0))
        if re.search(r"晚上|下午", said) and hour < 12:
            hour += 12
    return f"{hour:02d}:{minute:02d}"


def _set_report(turn: Turn, outcome: Outcome) -> Reply:
    if outcome.failed:
        return turn.say(f"Sorry, {outcome.error}", f"抱歉，{outcome.error}")
    data = outcome.data.get("set", {}) if isinstance(outcome.data, dict) else {}
    text, when = str(data.get("text", "")), str(data.get("repeats") or data.get("when", ""))
    return turn.say(f"OK, I'll remind you: {text}, {when}.", f"好的，我会提醒你：{text}，{when}。")


def _list_report(turn: Turn, outcome: Outcome) -> Reply:
    data = outcome.data if isinstance(outcome.data, dict) else {}
    found = [item for item in data.get("reminders", []) if isinstance(item, dict)]
    if not found:
        return turn.say("You have no reminders.", "你没有提醒。")
    lines = [f"{item.get('text', '')} ({item.get('repeats') or item.get('when', '')})" for item in found[:5]]
    return turn.say(
        f"You have {len(found)}: " + "; ".join(lines) + ".",
        f"你有{len(found)}个提醒：" + "；".join(lines) + "。",
    )


def _done(turn: Turn, outcome: Outcome) -> Reply:
    if outcome.failed:
        return turn.say(f"Sorry, {outcome.error}", f"抱歉，{outcome.error}")
    return turn.say("Done.", "好了。")
