"""AI Assist: an LLM voice assistant with memory on any OpenAI-compatible service."""

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant

from .coordinator import AIAssistConfigEntry, AIAssistCoordinator

PLATFORMS = (Platform.CONVERSATION,)


async def async_setup_entry(hass: HomeAssistant, entry: AIAssistConfigEntry) -> bool:
    """Connect to the service (retrying later if it is down) and add the agents."""
    coordinator = AIAssistCoordinator(hass, entry)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = coordinator
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(entry.add_update_listener(_async_reload_on_update))
    return True


async def async_unload_entry(hass: HomeAssistant, entry: AIAssistConfigEntry) -> bool:
    """Unload the agents."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def _async_reload_on_update(hass: HomeAssistant, entry: AIAssistConfigEntry) -> None:
    """Reload when an agent is added, changed or removed."""
    await hass.config_entries.async_reload(entry.entry_id)
