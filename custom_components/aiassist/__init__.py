"""AI Assist: an LLM voice assistant with memory on any OpenAI-compatible service."""

from datetime import timedelta

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.typing import ConfigType

from .const import (
    BUILTIN_EMBEDDINGS,
    CONF_EMBEDDING_MODEL,
    CONF_REMINDER_MISSED_AGE,
    DEFAULT_REMINDER_MISSED_AGE,
    DOMAIN,
)
from .coordinator import AIAssistCoordinator
from .home import Home
from .learning import Learner
from .memory import MemoryStore, async_remove_memory
from .memory.builtin import BuiltinEmbedder
from .memory.embeddings import Embedder, EmbeddingModel
from .recent import RecentConversations, async_remove_recent
from .reminders import ReminderDelivery, ReminderStore, async_remove_reminders
from .runtime import AIAssistConfigEntry, AIAssistRuntime
from .services import async_setup_services
from .speaker import SpeakerResolver

PLATFORMS = (Platform.CONVERSATION, Platform.STT, Platform.TODO, Platform.TTS)
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the memory services (they act on any loaded entry)."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: AIAssistConfigEntry) -> bool:
    """Connect to the service (retrying later if it is down), load the memory, add the agents."""
    coordinator = AIAssistCoordinator(hass, entry)
    await coordinator.async_config_entry_first_refresh()
    memory = MemoryStore(hass, entry.entry_id)
    embedding_model = entry.options.get(CONF_EMBEDDING_MODEL)
    await memory.async_load(_embedder(hass, coordinator, embedding_model))
    recent = RecentConversations(hass, entry.entry_id)
    await recent.async_load()
    learner = Learner(hass, coordinator, memory)
    entry.async_on_unload(learner.async_stop)
    reminders = ReminderStore(hass, entry.entry_id, ReminderDelivery(hass, lambda: entry.options))
    await reminders.async_load()
    home = Home.async_start(hass, entry.async_on_unload, memory.async_embed if memory.embedder else None)
    entry.runtime_data = AIAssistRuntime(
        coordinator, memory, recent, SpeakerResolver(), learner, reminders, home
    )
    if memory.embedder is not None:
        entry.async_create_background_task(hass, _async_embed(memory, home), "aiassist embed memories")
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(entry.add_update_listener(_async_reload_on_update))
    missed_age = timedelta(
        minutes=float(entry.options.get(CONF_REMINDER_MISSED_AGE, DEFAULT_REMINDER_MISSED_AGE))
    )

    async def start_reminders(_: HomeAssistant) -> None:
        """Satellites connect during start-up: reminders missed while down are said once it is done."""
        await reminders.async_start(missed_age)

    entry.async_on_unload(async_at_started(hass, start_reminders))
    return True


async def _async_embed(memory: MemoryStore, home: Home) -> None:
    """Install or load the embedding model, then embed the memories, then the devices."""
    if await memory.async_backfill_vectors() and home.vectors is not None:
        home.vectors.async_schedule()


def _embedder(
    hass: HomeAssistant, coordinator: AIAssistCoordinator, model: str | None
) -> EmbeddingModel | None:
    """The memory's embedding model: none (words only), the built-in one, or the service's."""
    if not model:
        return None
    if model == BUILTIN_EMBEDDINGS:
        return BuiltinEmbedder(hass)
    return Embedder(coordinator.client, model)


async def async_unload_entry(hass: HomeAssistant, entry: AIAssistConfigEntry) -> bool:
    """Unload the agents and write the memory now."""
    if not await hass.config_entries.async_unload_platforms(entry, PLATFORMS):
        return False
    await entry.runtime_data.memory.async_unload()
    await entry.runtime_data.recent.async_unload()
    await entry.runtime_data.reminders.async_unload()
    return True


async def async_remove_entry(hass: HomeAssistant, entry: AIAssistConfigEntry) -> None:
    """Delete what the removed service kept: memories, their vectors, recent conversations, reminders."""
    await async_remove_memory(hass, entry.entry_id)
    await async_remove_recent(hass, entry.entry_id)
    await async_remove_reminders(hass, entry.entry_id)


async def _async_reload_on_update(hass: HomeAssistant, entry: AIAssistConfigEntry) -> None:
    """Reload when an agent or the options change."""
    await hass.config_entries.async_reload(entry.entry_id)
