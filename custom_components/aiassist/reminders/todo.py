"""Each person's reminders, and the household's, as a to-do list: add, rename, move, tick off, delete.

Every change goes to the schedule at once. Like the memory lists, they are kept from Assist:
one person's reminders are not another's to hear.
"""

from datetime import datetime
from typing import override

from homeassistant.components.todo.const import TodoItemStatus, TodoListEntityFeature
from homeassistant.components.todo.entity import TodoItem
from homeassistant.const import EVENT_CORE_CONFIG_UPDATE
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_state_added_domain
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util

from ..const import DOMAIN
from ..memory import HOUSEHOLD
from ..owner_list import OwnerList
from ..runtime import AIAssistConfigEntry
from ..speaker import people, person_of
from .model import Reminder
from .store import ReminderStore

_COMMON = f"component.{DOMAIN}.common."


async def async_setup_reminder_lists(
    hass: HomeAssistant, entry: AIAssistConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add a reminder list for the household and each person, and for each person added later."""
    store = entry.runtime_data.reminders
    strings: dict[str, str] = {}
    lists: dict[str, ReminderList] = {}

    @callback
    def add(owners: list[tuple[str, str | None]]) -> None:
        new = [
            ReminderList(entry, store, strings, owner, name) for owner, name in owners if owner not in lists
        ]
        lists.update((reminder_list.owner, reminder_list) for reminder_list in new)
        async_add_entities(new)

    async def load_strings() -> None:
        strings.clear()
        strings.update(await async_get_translations(hass, hass.config.language, "common", {DOMAIN}))

    await load_strings()
    owners: list[tuple[str, str | None]] = [(HOUSEHOLD, None)]
    owners.extend((person.id, person.name) for person in people(hass))
    # A removed person's reminders stay listed (and editable) until deleted.
    known = entry.runtime_data.memory.people
    for owner in sorted(store.owners() - {owner for owner, _ in owners}):
        owners.append((owner, known[owner][0] if owner in known else owner))
    add(owners)

    @callback
    def person_added(event: Event[EventStateChangedData]) -> None:
        if (state := event.data["new_state"]) is not None:
            person = person_of(state)
            add([(person.id, person.name)])

    async def config_changed(event: Event) -> None:
        if "language" in event.data:
            await load_strings()
            for reminder_list in lists.values():
                reminder_list.async_write_ha_state()

    entry.async_on_unload(async_track_state_added_domain(hass, "person", person_added))
    entry.async_on_unload(hass.bus.async_listen(EVENT_CORE_CONFIG_UPDATE, config_changed))


class ReminderList(OwnerList):
    """One owner's reminders; an item's due date-time is when it is said."""

    _attr_supported_features = (
        TodoListEntityFeature.CREATE_TODO_ITEM
        | TodoListEntityFeature.UPDATE_TODO_ITEM
        | TodoListEntityFeature.DELETE_TODO_ITEM
        | TodoListEntityFeature.SET_DUE_DATETIME_ON_ITEM
    )

    def __init__(
        self,
        entry: AIAssistConfigEntry,
        store: ReminderStore,
        strings: dict[str, str],
        owner: str,
        person_name: str | None,
    ) -> None:
        """Show the reminders of `owner` (a person id, or the household)."""
        super().__init__(entry, "reminders", owner, store.async_add_listener)
        if person_name is None:
            self._attr_translation_key = "household_reminders"
        else:
            self._attr_translation_key = "person_reminders"
            self._attr_translation_placeholders = {"person": person_name}
        self.store = store
        self.strings = strings

    @property
    @override
    def todo_items(self) -> list[TodoItem]:
        """The owner's reminders, soonest first; said ones ticked off."""
        return [
            TodoItem(
                uid=reminder.id,
                summary=reminder.text,
                status=TodoItemStatus.COMPLETED if reminder.status == "done" else TodoItemStatus.NEEDS_ACTION,
                due=dt_util.as_local(reminder.due_at),
                description=self._describe(reminder),
            )
            for reminder in self.store.owned_by(self.owner)
        ]

    @override
    async def async_create_todo_item(self, item: TodoItem) -> None:
        """Set a reminder typed in the list; it needs a date and time to come."""
        self.store.add(self._text(item), self.owner, self._future(item.due))

    @override
    async def async_update_todo_item(self, item: TodoItem) -> None:
        """Rename, move or tick off a reminder; the schedule follows at once."""
        reminder = self.store.reminders.get(item.uid or "")
        if reminder is None or reminder.owner != self.owner:
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="reminder_not_found")
        due = item.due if isinstance(item.due, datetime) else None
        moved = due is not None and dt_util.as_utc(due) != reminder.due_at
        done = item.status == TodoItemStatus.COMPLETED
        if moved or (not done and reminder.status != "pending"):
            due = self._future(due or reminder.due_at)
        self.store.update(reminder, text=self._text(item), due=due if moved or not done else None, done=done)

    @override
    async def async_delete_todo_items(self, uids: list[str]) -> None:
        """Delete reminders: they will not be said."""
        self.store.remove(
            uid
            for uid in uids
            if (reminder := self.store.reminders.get(uid)) and reminder.owner == self.owner
        )

    def _describe(self, reminder: Reminder) -> str | None:
        if reminder.status == "missed":
            return self.strings.get(_COMMON + "reminder_missed", "missed")
        if not reminder.repeats:
            return None
        # "," is followed by a space; "、" (Chinese) is not.
        separator = self.strings.get(_COMMON + "list_separator", ",")
        separator += " " if separator.isascii() else ""
        days = separator.join(self.strings.get(f"{_COMMON}weekday_{day}", str(day)) for day in reminder.days)
        text = self.strings.get(_COMMON + "reminder_repeats", "{days} {time}")
        return text.format(days=days, time=reminder.at)

    @staticmethod
    def _text(item: TodoItem) -> str:
        text = " ".join((item.summary or "").split())
        if not text:
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="empty_reminder")
        return text

    @staticmethod
    def _future(due: object) -> datetime:
        if not isinstance(due, datetime):
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="reminder_needs_time")
        if dt_util.as_utc(due) <= dt_util.utcnow():
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="reminder_in_past")
        return due
