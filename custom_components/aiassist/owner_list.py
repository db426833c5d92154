"""A to-do list of one owner (a person or the household) on the service's device, kept from Assist.

The memory and reminder lists are private: one person's are not another's to hear, so a new
list starts unexposed to every assistant (the user may still expose it on purpose).
"""

from collections.abc import Callable
from typing import override

from homeassistant.components.homeassistant.exposed_entities import (
    KNOWN_ASSISTANTS,
    async_expose_entity,
    async_get_entity_settings,
)
from homeassistant.components.todo.entity import TodoListEntity
from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers import device_registry as dr

from .const import DOMAIN
from .runtime import AIAssistConfigEntry

# Subscribes a callback that is called with the owners whose items changed.
type Follow = Callable[[Callable[[set[str]], None]], CALLBACK_TYPE]


class OwnerList(TodoListEntity):
    """One owner's list of `kind` ("memory", "reminders")."""

    _attr_has_entity_name = True

    def __init__(self, entry: AIAssistConfigEntry, kind: str, owner: str, follow: Follow) -> None:
        """Show the items of `owner` (a person id, or the household); `follow` tells of changes.

        Subclasses set the translation key in their platform module, where hassfest looks for it.
        """
        self.owner = owner
        self._follow = follow
        self._attr_unique_id = f"{entry.entry_id}-{kind}-{owner}"
        self._attr_device_info = dr.DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            name=entry.title,
            manufacturer="AI Assist",
            entry_type=dr.DeviceEntryType.SERVICE,
        )

    @override
    async def async_added_to_hass(self) -> None:
        """Follow the store, and keep a new list out of Assist's reach."""
        await super().async_added_to_hass()
        self.async_on_remove(self._follow(self._async_store_changed))
        settings = async_get_entity_settings(self.hass, self.entity_id)
        for assistant in KNOWN_ASSISTANTS:
            if "should_expose" not in settings.get(assistant, {}):
                async_expose_entity(self.hass, assistant, self.entity_id, False)

    @callback
    def _async_store_changed(self, owners: set[str]) -> None:
        if self.owner in owners:
            self.async_write_ha_state()
