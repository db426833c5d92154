"""Reminders and alarms: stored, on HA's clock, said where they were set, private per person."""

from .delivery import EVENT_REMINDER, ReminderDelivery
from .model import WEEKDAYS, Reminder, next_on_days
from .store import ReminderStore, async_remove_reminders

__all__ = [
    "EVENT_REMINDER",
    "WEEKDAYS",
    "Reminder",
    "ReminderDelivery",
    "ReminderStore",
    "async_remove_reminders",
    "next_on_days",
]
