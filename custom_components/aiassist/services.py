"""Memory services, for automations and for privacy: remember, forget, forget a person, export."""

import probatio

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv

from .const import DOMAIN
from .memory import HOUSEHOLD, KINDS, SOURCE_SERVICE, MemoryStore

ATTR_CONFIG_ENTRY = "config_entry_id"
ATTR_PERSON = "person"
ATTR_TEXT = "text"
ATTR_KIND = "kind"
ATTR_MEMORY_ID = "memory_id"

_ENTRY = {probatio.Optional(ATTR_CONFIG_ENTRY): cv.string}
_PERSON = {probatio.Optional(ATTR_PERSON): cv.entity_id}


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the services once for the integration."""
    hass.services.async_register(
        DOMAIN,
        "remember",
        _async_remember,
        schema=probatio.Schema(
            {
                **_ENTRY,
                **_PERSON,
                probatio.Required(ATTR_TEXT): cv.string,
                probatio.Optional(ATTR_KIND, default="fact"): probatio.In(list(KINDS)),
            }
        ),
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        "forget",
        _async_forget,
        schema=probatio.Schema({**_ENTRY, probatio.Required(ATTR_MEMORY_ID): cv.string}),
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        "forget_person",
        _async_forget_person,
        schema=probatio.Schema({**_ENTRY, probatio.Required(ATTR_PERSON): cv.entity_id}),
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        "export",
        _async_export,
        schema=probatio.Schema({**_ENTRY, **_PERSON}),
        supports_response=SupportsResponse.ONLY,
    )


def _store(call: ServiceCall) -> MemoryStore:
    """The memory of the entry named, or of the only loaded entry."""
    entries = [
        entry
        for entry in call.hass.config_entries.async_entries(DOMAIN)
        if entry.state is ConfigEntryState.LOADED
        and (ATTR_CONFIG_ENTRY not in call.data or entry.entry_id == call.data[ATTR_CONFIG_ENTRY])
    ]
    if len(entries) != 1:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="no_entry" if not entries else "choose_entry"
        )
    store: MemoryStore = entries[0].runtime_data.memory
    return store


def _owner(call: ServiceCall, store: MemoryStore, removed_too: bool = False) -> str:
    """The person id of the `person` entity, or the household when none is given.

    With `removed_too`, a person since removed from Home Assistant is found by the entity id
    they had, so that what is remembered about them can still be exported and forgotten.
    """
    if (entity_id := call.data.get(ATTR_PERSON)) is None:
        return HOUSEHOLD
    if (state := call.hass.states.get(entity_id)) is not None and state.domain == "person":
        return str(state.attributes.get("id") or entity_id)
    if removed_too and state is None and (owner := store.owner_of(entity_id)) is not None:
        return owner
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="unknown_person",
        translation_placeholders={"person": entity_id},
    )


async def _async_remember(call: ServiceCall) -> ServiceResponse:
    store = _store(call)
    try:
        memory, updated = await store.async_remember(
            call.data[ATTR_TEXT], _owner(call, store), call.data[ATTR_KIND], SOURCE_SERVICE
        )
    except ValueError as err:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="empty_memory") from err
    return {"memory": memory.as_dict(), "updated": updated}


async def _async_forget(call: ServiceCall) -> ServiceResponse:
    forgotten = _store(call).forget([call.data[ATTR_MEMORY_ID]])
    if not forgotten:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="memory_not_found")
    return {"forgotten": [memory.as_dict() for memory in forgotten]}


async def _async_forget_person(call: ServiceCall) -> ServiceResponse:
    store = _store(call)
    return {"forgotten": store.forget_owner(_owner(call, store, removed_too=True))}


async def _async_export(call: ServiceCall) -> ServiceResponse:
    store = _store(call)
    memories = store.owned_by(_owner(call, store, removed_too=True))
    return {"memories": [memory.as_dict() for memory in memories]}
