"""Each person's memories, and the household's, as a to-do list people can read and edit.

The HA To-do dashboard lists, adds, edits and deletes memories with no custom frontend.
The lists are kept from Assist (not exposed): one person's memories are not another's to read.
They belong to the service's device, so two services' lists carry two names.
"""

from typing import override

from homeassistant.components.todo.const import TodoItemStatus, TodoListEntityFeature
from homeassistant.components.todo.entity import TodoItem
from homeassistant.const import EVENT_CORE_CONFIG_UPDATE
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_state_added_domain

from .const import DOMAIN
from .memory import HOUSEHOLD, SOURCE_TODO, MemoryStore
from .memory.describe import MemoryDescriber
from .owner_list import OwnerList
from .reminders.todo import async_setup_reminder_lists
from .runtime import AIAssistConfigEntry
from .speaker import people, person_of

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant, entry: AIAssistConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add a memory list for the household and each person, and for each person added later."""
    store = entry.runtime_data.memory
    describer = MemoryDescriber()
    await describer.async_load(hass)
    lists: dict[str, MemoryList] = {}

    @callback
    def add(owners: list[tuple[str, str | None]]) -> None:
        new = [
            MemoryList(entry, store, describer, owner, name) for owner, name in owners if owner not in lists
        ]
        lists.update((memory_list.owner, memory_list) for memory_list in new)
        async_add_entities(new)

    owners: list[tuple[str, str | None]] = [(HOUSEHOLD, None)]
    for person in people(hass):
        store.note_person(person.id, person.name, person.entity_id)
        owners.append((person.id, person.name))
    # A person removed from Home Assistant keeps their list while anything about them is remembered.
    for owner in sorted(store.owners() - {owner for owner, _ in owners}):
        owners.append((owner, store.people[owner][0] if owner in store.people else owner))
    add(owners)

    @callback
    def person_added(event: Event[EventStateChangedData]) -> None:
        if (state := event.data["new_state"]) is not None:
            person = person_of(state)
            store.note_person(person.id, person.name, person.entity_id)
            add([(person.id, person.name)])

    async def config_changed(event: Event) -> None:
        if "language" in event.data:
            await describer.async_load(hass)
            for memory_list in lists.values():
                memory_list.async_write_ha_state()

    entry.async_on_unload(async_track_state_added_domain(hass, "person", person_added))
    entry.async_on_unload(hass.bus.async_listen(EVENT_CORE_CONFIG_UPDATE, config_changed))
    await async_setup_reminder_lists(hass, entry, async_add_entities)


class MemoryList(OwnerList):
    """One owner's memories; each item is a memory, its summary the memory's words."""

    _attr_supported_features = (
        TodoListEntityFeature.CREATE_TODO_ITEM
        | TodoListEntityFeature.UPDATE_TODO_ITEM
        | TodoListEntityFeature.DELETE_TODO_ITEM
    )

    def __init__(
        self,
        entry: AIAssistConfigEntry,
        store: MemoryStore,
        describer: MemoryDescriber,
        owner: str,
        person_name: str | None,
    ) -> None:
        """Show the memories of `owner` (a person id, or the household)."""
        super().__init__(entry, "memory", owner, store.async_add_listener)
        if person_name is None:
            self._attr_translation_key = "household_memory"
        else:
            self._attr_translation_key = "person_memory"
            self._attr_translation_placeholders = {"person": person_name}
        self.store = store
        self.describer = describer

    @property
    @override
    def todo_items(self) -> list[TodoItem]:
        """The owner's memories, oldest first, each described in a few translated words."""
        return [
            TodoItem(
                uid=memory.id,
                summary=memory.text,
                status=TodoItemStatus.NEEDS_ACTION,
                description=self.describer.describe(memory),
            )
            for memory in self.store.owned_by(self.owner)
        ]

    @override
    async def async_create_todo_item(self, item: TodoItem) -> None:
        """Remember what the user typed."""
        await self.store.async_remember(self._text(item), self.owner, "other", SOURCE_TODO)

    @override
    async def async_update_todo_item(self, item: TodoItem) -> None:
        """Change a memory's words; a memory cannot be ticked off (deleting it forgets it)."""
        memory = self.store.memories.get(item.uid or "")
        if memory is None or memory.owner != self.owner:
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="memory_not_found")
        if item.status == TodoItemStatus.COMPLETED:
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="memory_cannot_be_done")
        if (text := self._text(item)) != memory.text:
            await self.store.async_edit(memory.id, text)
        self.async_write_ha_state()

    @override
    async def async_delete_todo_items(self, uids: list[str]) -> None:
        """Forget memories: from storage and from every index at once."""
        self.store.forget(
            uid for uid in uids if (memory := self.store.memories.get(uid)) and memory.owner == self.owner
        )

    @staticmethod
    def _text(item: TodoItem) -> str:
        text = " ".join((item.summary or "").split())
        if not text:
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="empty_memory")
        return text
