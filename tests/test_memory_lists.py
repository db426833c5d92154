"""People see and edit what is remembered: the to-do lists, and the services for automations."""

from typing import Any

import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.aiassist.const import DOMAIN
from homeassistant.components.homeassistant.exposed_entities import async_should_expose
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util

from .conftest import People
from .model_server import ModelServer
from .test_memory import ANNA_LIST, BEN_LIST, HOUSEHOLD_LIST, items, remember, texts


@pytest.fixture
async def loaded(people: People, setup_integration: MockConfigEntry) -> MockConfigEntry:
    """The entry, loaded after Anna and Ben exist."""
    return setup_integration


async def todo(hass: HomeAssistant, service: str, entity_id: str, **data: Any) -> None:
    await hass.services.async_call("todo", service, {"entity_id": entity_id, **data}, blocking=True)


async def test_a_memory_added_in_the_list_is_remembered(hass: HomeAssistant, loaded: MockConfigEntry) -> None:
    await todo(hass, "add_item", BEN_LIST, item="Ben takes his coffee black")
    assert await texts(hass, BEN_LIST) == ["Ben takes his coffee black"]
    assert hass.states.get(BEN_LIST).state == "1"  # type: ignore[union-attr]
    exported = await hass.services.async_call(
        DOMAIN, "export", {"person": "person.ben"}, blocking=True, return_response=True
    )
    assert [m["text"] for m in exported["memories"]] == ["Ben takes his coffee black"]  # type: ignore[index, union-attr]


async def test_editing_in_the_list_changes_the_memory_and_what_search_finds(
    hass: HomeAssistant, model_server: ModelServer, loaded: MockConfigEntry
) -> None:
    await remember(hass, "Ben takes his coffee black", "person.ben")
    await todo(
        hass, "update_item", BEN_LIST, item="Ben takes his coffee black", rename="Ben drinks green tea"
    )
    assert await texts(hass, BEN_LIST) == ["Ben drinks green tea"]
    store = loaded.runtime_data.memory
    assert [m.text for m in await store.async_search("tea", ("ben",), 5)] == ["Ben drinks green tea"]
    assert await store.async_search("coffee black", ("ben",), 5) == []


async def test_ticking_a_memory_off_is_refused_and_says_how_to_forget(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    await remember(hass, "Ben takes his coffee black", "person.ben")
    with pytest.raises(ServiceValidationError) as err:
        await todo(
            hass, "update_item", BEN_LIST, item="Ben takes his coffee black", rename="Ben", status="completed"
        )
    assert err.value.translation_key == "memory_cannot_be_done"
    assert "delete it" in str(err.value)
    (item,) = await items(hass, BEN_LIST)
    assert (item["summary"], item["status"]) == ("Ben takes his coffee black", "needs_action")


async def test_memories_are_described_in_words_in_the_homes_language(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    await remember(hass, "The bins go out on Thursday")
    await todo(hass, "add_item", HOUSEHOLD_LIST, item="The cat is called Miso")
    today = dt_util.now().date()

    english = f"{today.day} {today.strftime('%B')} {today.year}"
    assert [item["description"] for item in await items(hass, HOUSEHOLD_LIST)] == [
        f"Fact · added by an automation or script · {english}",
        f"Other · added in the to-do list · {english}",
    ]

    await hass.config.async_update(language="zh-Hans")
    await hass.async_block_till_done()
    chinese = f"{today.year}年{today.month}月{today.day}日"
    assert [item["description"] for item in await items(hass, HOUSEHOLD_LIST)] == [
        f"事实 · 由自动化或脚本添加 · {chinese}",
        f"其他 · 在待办清单中添加 · {chinese}",
    ]


async def test_deleting_in_the_list_forgets_everywhere_at_once(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    await remember(hass, "Ben is afraid of spiders", "person.ben")
    await remember(hass, "Ben likes spider-man comics", "person.ben")
    await todo(hass, "remove_item", BEN_LIST, item=["Ben is afraid of spiders"])
    assert await texts(hass, BEN_LIST) == ["Ben likes spider-man comics"]
    store = loaded.runtime_data.memory
    assert [m.text for m in await store.async_search("afraid spiders", ("ben",), 5)] == [
        "Ben likes spider-man comics"
    ]


async def test_an_empty_memory_is_refused(hass: HomeAssistant, loaded: MockConfigEntry) -> None:
    # Home Assistant's schema or ours: either way, nothing is stored.
    with pytest.raises((ServiceValidationError, probatio.Invalid)):
        await todo(hass, "add_item", HOUSEHOLD_LIST, item="   ")
    assert await texts(hass, HOUSEHOLD_LIST) == []


async def test_one_list_cannot_touch_another_persons_memory(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    await remember(hass, "Anna is allergic to penicillin", "person.anna")
    anna_uid = (await items(hass, ANNA_LIST))[0]["uid"]
    entity = loaded.runtime_data.memory
    # Through Ben's list, Anna's memory is not there to change or delete.
    with pytest.raises(ServiceValidationError):
        await todo(hass, "update_item", BEN_LIST, item=anna_uid, rename="gone")
    assert await texts(hass, ANNA_LIST) == ["Anna is allergic to penicillin"]
    assert anna_uid in entity.memories


async def test_services_remember_export_forget_and_forget_a_person(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    first = await remember(hass, "Anna plays the cello", "person.anna")
    await remember(hass, "Anna runs on Sundays", "person.anna")
    await remember(hass, "The bins go out on Thursday")
    assert first["updated"] is False

    again = await remember(hass, "Anna plays the cello", "person.anna")
    assert again["updated"] is True
    assert again["memory"]["id"] == first["memory"]["id"]

    await hass.services.async_call(DOMAIN, "forget", {"memory_id": first["memory"]["id"]}, blocking=True)
    assert await texts(hass, ANNA_LIST) == ["Anna runs on Sundays"]

    result = await hass.services.async_call(
        DOMAIN, "forget_person", {"person": "person.anna"}, blocking=True, return_response=True
    )
    assert result == {"forgotten": 1}
    assert await texts(hass, ANNA_LIST) == []
    assert await texts(hass, HOUSEHOLD_LIST) == ["The bins go out on Thursday"]


async def test_services_need_a_choice_between_two_services(
    hass: HomeAssistant, loaded: MockConfigEntry, model_server: ModelServer
) -> None:
    other = MockConfigEntry(domain=DOMAIN, data={"url": model_server.url, "api_key": "sk-test-key"})
    other.add_to_hass(hass)
    assert await hass.config_entries.async_setup(other.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await remember(hass, "The cat is called Miso")
    assert err.value.translation_key == "choose_entry"
    await hass.services.async_call(
        DOMAIN,
        "remember",
        {"text": "The cat is called Miso", "config_entry_id": other.entry_id},
        blocking=True,
    )
    assert [m.text for m in other.runtime_data.memory.memories.values()] == ["The cat is called Miso"]
    await hass.config_entries.async_unload(other.entry_id)


async def test_services_without_a_loaded_service(hass: HomeAssistant, loaded: MockConfigEntry) -> None:
    await hass.config_entries.async_unload(loaded.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await remember(hass, "The cat is called Miso")
    assert err.value.translation_key == "no_entry"


CARLA_LIST = "todo.ai_assist_127_0_0_1_memory_carla"


async def people_command(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, command: str, **data: Any
) -> dict[str, Any]:
    """Add or remove a person as Settings → People does."""
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": f"person/{command}", **data})
    response = await client.receive_json()
    assert response["success"], response
    await hass.async_block_till_done()
    return dict(response["result"] or {})


async def test_a_person_added_later_gets_a_list_at_once(
    hass: HomeAssistant, loaded: MockConfigEntry, hass_ws_client: WebSocketGenerator
) -> None:
    assert hass.states.get(CARLA_LIST) is None
    await people_command(hass, hass_ws_client, "create", name="Carla")

    assert hass.states.get(CARLA_LIST) is not None
    assert not async_should_expose(hass, "conversation", CARLA_LIST)
    await remember(hass, "Carla plays chess", "person.carla")
    assert await texts(hass, CARLA_LIST) == ["Carla plays chess"]


async def test_a_removed_persons_memories_stay_until_forgotten(
    hass: HomeAssistant, loaded: MockConfigEntry, hass_ws_client: WebSocketGenerator
) -> None:
    carla = await people_command(hass, hass_ws_client, "create", name="Carla")
    await remember(hass, "Carla plays chess", "person.carla")
    await people_command(hass, hass_ws_client, "delete", person_id=carla["id"])
    assert hass.states.get("person.carla") is None
    assert await texts(hass, CARLA_LIST) == ["Carla plays chess"]

    # Also after a restart: her list keeps her name while anything about her is remembered.
    assert await hass.config_entries.async_reload(loaded.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(CARLA_LIST).name == "AI Assist (127.0.0.1) Memory — Carla"  # type: ignore[union-attr]
    exported = await hass.services.async_call(
        DOMAIN, "export", {"person": "person.carla"}, blocking=True, return_response=True
    )
    assert [m["text"] for m in exported["memories"]] == ["Carla plays chess"]  # type: ignore[index, union-attr]
    # Forgotten by the entity id she had; nothing new is remembered for someone who is gone.
    with pytest.raises(ServiceValidationError):
        await remember(hass, "Carla moved away", "person.carla")
    forgotten = await hass.services.async_call(
        DOMAIN, "forget_person", {"person": "person.carla"}, blocking=True, return_response=True
    )
    assert forgotten == {"forgotten": 1}
    assert await texts(hass, CARLA_LIST) == []
