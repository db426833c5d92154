"""Each person's memories, and the household's, as a to-do list people can read and edit.

The HA To-do dashboard lists, adds, edits and deletes memories with no custom frontend.
The lists are kept from Assist (not exposed): one person's memories are not another's to read.
"""

from typing import override

from homeassistant.components.homeassistant.exposed_entities import (
    KNOWN_ASSISTANTS,
    async_expose_entity,
    async_get_entity_settings,
)
from homeassistant.components.todo.const import TodoItemStatus, TodoListEntityFeature
from homeassistant.components.todo.entity import TodoItem, TodoListEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .memory import HOUSEHOLD, MemoryStore
from .runtime import AIAssistConfigEntry
from .speaker import people

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant, entry: AIAssistConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add a memory list for the household and for each person."""
    store = entry.runtime_data.memory
    lists = [MemoryList(entry.entry_id, store, HOUSEHOLD, None)]
    lists += [MemoryList(entry.entry_id, store, person.id, person.name) for person in people(hass)]
    async_add_entities(lists)


class MemoryList(TodoListEntity):
    """One owner's memories; each item is a memory, its summary the memory's words."""

    _attr_has_entity_name = True
    _attr_supported_features = (
        TodoListEntityFeature.CREATE_TODO_ITEM
        | TodoListEntityFeature.UPDATE_TODO_ITEM
        | TodoListEntityFeature.DELETE_TODO_ITEM
    )

    def __init__(self, entry_id: str, store: MemoryStore, owner: str, person_name: str | None) -> None:
        """Show the memories of `owner` (a person id, or the household)."""
        self.store = store
        self.owner = owner
        self._attr_unique_id = f"{entry_id}-memory-{owner}"
        if person_name is None:
            self._attr_translation_key = "household_memory"
        else:
            self._attr_translation_key = "person_memory"
            self._attr_translation_placeholders = {"person": person_name}

    @override
    async def async_added_to_hass(self) -> None:
        """Follow the store, and keep a new list out of Assist's reach."""
        await super().async_added_to_hass()
        self.async_on_remove(self.store.async_add_listener(self._async_store_changed))
        settings = async_get_entity_settings(self.hass, self.entity_id)
        for assistant in KNOWN_ASSISTANTS:
            if "should_expose" not in settings.get(assistant, {}):
                async_expose_entity(self.hass, assistant, self.entity_id, False)

    @callback
    def _async_store_changed(self, owners: set[str]) -> None:
        if self.owner in owners:
            self.async_write_ha_state()

    @property
    @override
    def todo_items(self) -> list[TodoItem]:
        """The owner's memories, oldest first."""
        return [
            TodoItem(
                uid=memory.id,
                summary=memory.text,
                status=TodoItemStatus.NEEDS_ACTION,
                description=f"{memory.kind} · {memory.source} · {memory.updated[:10]}",
            )
            for memory in self.store.owned_by(self.owner)
        ]

    @override
    async def async_create_todo_item(self, item: TodoItem) -> None:
        """Remember what the user typed."""
        await self.store.async_remember(self._text(item), self.owner, "other", "to-do list")

    @override
    async def async_update_todo_item(self, item: TodoItem) -> None:
        """Change a memory's words; ticking a memory off does not forget it (delete does)."""
        memory = self.store.memories.get(item.uid or "")
        if memory is None or memory.owner != self.owner:
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="memory_not_found")
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
