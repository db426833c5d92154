"""Diagnostics: settings (key and PIN redacted), the models the server offers, the last error."""

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant

from .const import CONF_PIN
from .runtime import AIAssistConfigEntry

TO_REDACT = {CONF_API_KEY, CONF_PIN}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: AIAssistConfigEntry
) -> dict[str, Any]:
    """Return what helps to debug a connection or an agent, without secrets."""
    coordinator = entry.runtime_data.coordinator
    memory = entry.runtime_data.memory
    return {
        "entry": async_redact_data(dict(entry.data), TO_REDACT),
        "agents": {
            subentry.subentry_id: {
                "type": subentry.subentry_type,
                "title": subentry.title,
                "options": async_redact_data(dict(subentry.data), TO_REDACT),
            }
            for subentry in entry.subentries.values()
        },
        "service": {
            "available": coordinator.last_update_success,
            "models": coordinator.data,
            "last_error": coordinator.last_error,
        },
        # Counts only: what people told the assistant is theirs, not a debug log's.
        "memory": {
            "memories": len(memory.memories),
            "owners": len({item.owner for item in memory.memories.values()}),
            "embedding_model": memory.embedder.model if memory.embedder else None,
        },
    }
