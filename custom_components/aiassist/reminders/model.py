"""A reminder, and when it comes next: one-off, or on some weekdays at a local time."""

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from homeassistant.util import dt as dt_util

type Status = Literal["pending", "done", "missed"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(slots=True)
class Reminder:
    """One reminder; `due` is its next moment in UTC, `days` (0 = Monday) make it repeat at `at`."""

    id: str
    text: str
    owner: str
    due: str
    device_id: str | None = None
    days: list[int] = field(default_factory=list)
    at: str | None = None
    status: Status = "pending"
    spoken: str | None = None

    @property
    def due_at(self) -> datetime:
        """The next moment, aware, in UTC."""
        return dt_util.as_utc(datetime.fromisoformat(self.due))

    @property
    def repeats(self) -> bool:
        """Whether it comes back on its weekdays."""
        return bool(self.days)

    def as_dict(self) -> dict[str, Any]:
        """The stored form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reminder:
        """Read the stored form; raises on anything unreadable."""
        reminder = cls(
            id=str(data["id"]),
            text=str(data["text"]),
            owner=str(data["owner"]),
            due=str(data["due"]),
            device_id=data.get("device_id"),
            days=sorted({int(day) for day in data.get("days") or ()}),
            at=data.get("at"),
            status=data.get("status", "pending"),
            spoken=data.get("spoken"),
        )
        if reminder.status not in ("pending", "done", "missed") or (reminder.days and not reminder.at):
            raise ValueError("inconsistent reminder")
        reminder.due_at  # noqa: B018 - validates the timestamp
        return reminder


def next_on_days(days: list[int], at: time, after: datetime) -> datetime:
    """The first local `at` on one of `days` strictly after `after`, in UTC; DST-proof.

    Each candidate is built as a local wall-clock time and converted on its own day, so
    "07:00 on Mondays" stays 07:00 across a change of clock. A time that does not exist
    that day (02:30 when clocks spring forward) comes at the same offset as before the change.
    """
    zone = dt_util.get_default_time_zone()
    start: date = dt_util.as_local(after).date()
    for offset in range(8):
        day = start + timedelta(days=offset)
        if day.weekday() in days:
            moment = datetime.combine(day, at, zone)
            if moment > after:
                return dt_util.as_utc(moment)
    raise ValueError("no weekday given")
