"""The memory store: persisted with HA's Store, indexed as it changes, never silently emptied."""

import base64
from collections.abc import Callable, Iterable
import glob
import os
import secrets
import time
from typing import Any, override

import numpy as np

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import UnsupportedStorageVersionError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.json import save_json
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..api import AIServiceError
from ..const import DOMAIN, LOGGER
from .embeddings import EmbeddingModel
from .index import PROMPT_ALL, MemoryIndex, Vector
from .model import Memory

STORAGE_VERSION = 1
STORAGE_MINOR_VERSION = 1
SAVE_DELAY = 2.0
# A new memory this close to an existing one of the same owner restates it: update, don't add.
SAME_WORDS = 0.8
SAME_MEANING = 0.92
EMBED_BATCH = 64
# After an embeddings failure, search by words alone for this long (seconds).
EMBEDDINGS_REST = 60.0
# A query's vector serves the turn it was said in.
QUERY_TTL = 10.0

type Listener = Callable[[set[str]], None]


class _MemoryStorage(Store[dict[str, Any]]):
    """The memories file, with the migration path for older minor versions."""

    @override
    async def _async_migrate_func(
        self, old_major_version: int, old_minor_version: int, old_data: dict[str, Any]
    ) -> dict[str, Any]:
        if old_major_version > STORAGE_VERSION:
            # A newer release wrote it: refuse to load (and so to overwrite) what we cannot read.
            raise UnsupportedStorageVersionError(self.key, old_major_version, STORAGE_VERSION)
        # Fields added after the first release get their defaults.
        for item in old_data.get("memories", []):
            if isinstance(item, dict):
                item.setdefault("kind", "other")
                item.setdefault("source", "unknown")
                item.setdefault("updated", item.get("created", ""))
        return old_data


def _memories_key(entry_id: str) -> str:
    return f"{DOMAIN}.{entry_id}.memories"


def _vectors_key(entry_id: str) -> str:
    return f"{DOMAIN}.{entry_id}.vectors"


def _write_copy(path: str, data: object) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    save_json(path, {"unreadable": data})


def _remove_copies(path: str) -> None:
    for copy in glob.glob(f"{glob.escape(path)}.unreadable.*"):
        os.remove(copy)


async def async_remove_memory(hass: HomeAssistant, entry_id: str) -> None:
    """Delete a removed service's memories: the file, its vectors, any damaged copies kept aside."""
    memories = Store[dict[str, Any]](hass, STORAGE_VERSION, _memories_key(entry_id))
    await memories.async_remove()
    await Store[dict[str, Any]](hass, 1, _vectors_key(entry_id)).async_remove()
    await hass.async_add_executor_job(_remove_copies, memories.path)
    ir.async_delete_issue(hass, DOMAIN, f"memory_unreadable_{entry_id}")


def _encode(vector: Vector) -> str:
    return base64.b64encode(vector.astype(np.float32).tobytes()).decode()


def _decode(text: str) -> Vector:
    return np.frombuffer(base64.b64decode(text), dtype=np.float32).copy()


class MemoryStore:
    """All memories of one AI Assist service, with their indexes."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Prepare the store; call async_load before use."""
        self.hass = hass
        self.entry_id = entry_id
        self.memories: dict[str, Memory] = {}
        self.index = MemoryIndex(hass.config.language)
        self.embedder: EmbeddingModel | None = None
        # Person id -> (name, person entity id), so that a removed person's memories keep a
        # name and can still be forgotten by the entity id the user knew.
        self.people: dict[str, tuple[str, str]] = {}
        self._vectors: dict[str, str] = {}
        self._store = _MemoryStorage(
            hass,
            STORAGE_VERSION,
            _memories_key(entry_id),
            minor_version=STORAGE_MINOR_VERSION,
            atomic_writes=True,
        )
        self._vector_store = Store[dict[str, Any]](hass, 1, _vectors_key(entry_id), atomic_writes=True)
        self._listeners: list[Listener] = []
        self._embeddings_resume = 0.0
        self._query: tuple[str, float, Vector | None] | None = None

    async def async_load(self, embedder: EmbeddingModel | None) -> None:
        """Load memories and vectors; anything unreadable is kept aside and reported."""
        self.embedder = embedder
        for memory in await self._async_read_memories():
            self.memories[memory.id] = memory
            self.index.add(memory.id, memory.owner, memory.text)
        stored = await self._vector_store.async_load() or {}
        if embedder is not None and stored.get("model") == embedder.model:
            for memory_id, encoded in dict(stored.get("vectors", {})).items():
                if memory_id in self.memories:
                    self._vectors[memory_id] = encoded
                    self.index.add_vector(memory_id, self.memories[memory_id].owner, _decode(encoded))

    async def _async_read_memories(self) -> list[Memory]:
        # Unparsable JSON: HA's Store moves the file aside and raises a repair issue itself.
        data = await self._store.async_load()
        if data is None:
            return []
        items = data.get("memories") if isinstance(data, dict) else None
        if not isinstance(items, list):
            await self._async_keep_aside(data, f"no list of memories in {type(data).__name__}", lost=-1)
            return []
        self.people = {
            owner: (str(person["name"]), str(person["entity_id"]))
            for owner, person in dict(data.get("people") or {}).items()
            if isinstance(person, dict) and {"name", "entity_id"} <= person.keys()
        }
        memories: list[Memory] = []
        for item in items:
            try:
                memories.append(Memory.from_dict(item))
            except (KeyError, TypeError, ValueError) as err:
                LOGGER.error("Unreadable memory %r: %s", item, err)
        if len(memories) < len(items):
            await self._async_keep_aside(
                data, "some memories are unreadable", lost=len(items) - len(memories)
            )
        return memories

    async def _async_keep_aside(self, data: object, error: str, lost: int) -> None:
        """Keep what was read, untouched, before the file is ever overwritten; tell the user where."""
        copy = f"{self._store.path}.unreadable.{dt_util.utcnow().strftime('%Y%m%dT%H%M%S')}"
        await self.hass.async_add_executor_job(_write_copy, copy, data)
        LOGGER.error(
            "AI Assist memory file %s is damaged (%s); a copy is kept at %s", self._store.path, error, copy
        )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"memory_unreadable_{self.entry_id}",
            is_fixable=False,
            is_persistent=True,
            severity=ir.IssueSeverity.ERROR,
            translation_key="memory_unreadable",
            translation_placeholders={
                "path": self._store.path,
                "copy": copy,
                "lost": "all" if lost < 0 else str(lost),
            },
        )

    async def async_unload(self) -> None:
        """Write what is pending now, so that a reload reads the latest state."""
        await self._store.async_save(self._data())
        await self._vector_store.async_save(self._vector_data())

    @callback
    def async_add_listener(self, listener: Listener) -> CALLBACK_TYPE:
        """Call `listener` with the owners whose memories changed."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @callback
    def note_person(self, person_id: str, name: str, entity_id: str) -> None:
        """Keep a person's name and entity id for after they are removed from Home Assistant."""
        if self.people.get(person_id) != (name, entity_id):
            self.people[person_id] = (name, entity_id)
            self._store.async_delay_save(self._data, SAVE_DELAY)

    def owner_of(self, entity_id: str) -> str | None:
        """The person id a person entity id stood for, also after the person was removed."""
        return next((owner for owner, (_, known) in self.people.items() if known == entity_id), None)

    def owners(self) -> set[str]:
        """Everyone who has memories."""
        return {memory.owner for memory in self.memories.values()}

    def owned_by(self, owner: str) -> list[Memory]:
        """Return the owner's memories, oldest first."""
        return sorted((m for m in self.memories.values() if m.owner == owner), key=lambda m: m.created)

    async def async_remember(
        self, text: str, owner: str, kind: str, source: str, replaces: str | None = None
    ) -> tuple[Memory, bool]:
        """Save a memory; return it and whether it updated an existing one.

        It updates instead of adding when `replaces` names one of the owner's memories, or
        when the owner already has a memory with nearly the same words or meaning.
        """
        text = " ".join(text.split())
        if not text:
            raise ValueError("a memory needs some text")
        vector = await self._async_embed_one(text)
        # No await from here on: the check and the write are one step for concurrent savers.
        target = self.memories.get(replaces) if replaces else None
        if target is None or target.owner != owner:
            target = self._restated(text, owner, vector)
        now = dt_util.utcnow().isoformat()
        if target is not None:
            target.text, target.kind, target.updated, target.source = text, kind, now, source
            memory = target
        else:
            memory = Memory(self._new_id(), text, owner, kind, now, now, source)
            self.memories[memory.id] = memory
        self.index.add(memory.id, owner, text)
        self._set_vector(memory, vector)
        self._changed({owner})
        return memory, target is not None

    async def async_edit(self, memory_id: str, text: str) -> Memory | None:
        """Change a memory's words (from the UI); None when it no longer exists."""
        text = " ".join(text.split())
        if not text:
            raise ValueError("a memory needs some text")
        vector = await self._async_embed_one(text)
        if (memory := self.memories.get(memory_id)) is None:
            return None
        memory.text, memory.updated = text, dt_util.utcnow().isoformat()
        self.index.add(memory.id, memory.owner, text)
        self._set_vector(memory, vector)
        self._changed({memory.owner})
        return memory

    def forget(self, memory_ids: Iterable[str]) -> list[Memory]:
        """Remove memories from storage and from every index at once."""
        removed = [memory for memory_id in memory_ids if (memory := self.memories.pop(memory_id, None))]
        for memory in removed:
            self.index.remove(memory.id, memory.owner)
            self._vectors.pop(memory.id, None)
        if removed:
            self._changed({memory.owner for memory in removed})
        return removed

    def forget_owner(self, owner: str) -> int:
        """Remove everything about one person (or the household)."""
        return len(self.forget([memory.id for memory in self.owned_by(owner)]))

    async def async_search(self, query: str, owners: tuple[str, ...], limit: int) -> list[Memory]:
        """Return the owners' memories most relevant to `query`, best first; no one else's, ever."""
        vector = await self.async_embed_query(query) if self._vectors else None
        return self._visible(self.index.search(query, owners, limit, vector), owners)

    async def async_recall(self, query: str, owners: tuple[str, ...], limit: int) -> list[Memory]:
        """The owners' memories that matter to `query`, for the prompt, best first.

        All of them when they are few; else by meaning, those close to the best one; by words
        alone, the best `limit`. Never anyone else's.

        The search itself runs in the event loop: with 10,000 memories and every core busy, its
        p95 is 2.1 ms there, and 6.3 ms with the vector half sent to the executor (bench/memory.py).
        """
        if len(visible := self.index.ids(owners)) <= PROMPT_ALL:
            best = [memory.id for memory in await self.async_search(query, owners, limit)]
            rank = {memory_id: number for number, memory_id in enumerate(best)}
            ordered = sorted(visible, key=lambda memory_id: (rank.get(memory_id, len(rank)), memory_id))
            return [self.memories[memory_id] for memory_id in ordered]
        vector = await self.async_embed_query(query) if self._vectors else None
        if vector is None:
            return await self.async_search(query, owners, limit)
        return self._visible(self.index.for_prompt(query, owners, vector), owners)

    def _visible(self, ids: list[str], owners: tuple[str, ...]) -> list[Memory]:
        """The memories of these ids that the owners may see (one forgotten meanwhile is skipped)."""
        return [
            memory
            for memory_id in ids
            if (memory := self.memories.get(memory_id)) is not None and memory.owner in owners
        ]

    async def async_backfill_vectors(self) -> bool:
        """Get the model ready, then embed the memories that have no vector yet.

        Memories said while the model was loading are embedded too. False when the model
        cannot embed (not installed, or the endpoint is down): words find memories meanwhile.
        """
        if self.embedder is None or not await self.embedder.async_prepare():
            return False
        while missing := [memory for memory in self.memories.values() if memory.id not in self._vectors]:
            for start in range(0, len(missing), EMBED_BATCH):
                batch = missing[start : start + EMBED_BATCH]
                if (vectors := await self.async_embed([memory.text for memory in batch])) is None:
                    return False
                for memory, vector in zip(batch, vectors, strict=True):
                    if self.memories.get(memory.id) is memory:
                        self._set_vector(memory, vector)
                self._vector_store.async_delay_save(self._vector_data, SAVE_DELAY)
        return True

    def _restated(self, text: str, owner: str, vector: Vector | None) -> Memory | None:
        for memory_id, words, meaning in self.index.similar(text, owner, vector):
            if words >= SAME_WORDS or (meaning is not None and meaning >= SAME_MEANING):
                return self.memories[memory_id]
        return None

    def _set_vector(self, memory: Memory, vector: Vector | None) -> None:
        if vector is None:
            # The old vector described the old words: better none than a wrong one.
            self._vectors.pop(memory.id, None)
            self.index.remove_vector(memory.id, memory.owner)
            return
        self._vectors[memory.id] = _encode(vector)
        self.index.add_vector(memory.id, memory.owner, vector)

    async def async_embed_query(self, text: str) -> Vector | None:
        """What was said, as a vector, embedded once per turn for the memory and the home alike."""
        now = time.monotonic()
        if self._query is not None and self._query[0] == text and now - self._query[1] < QUERY_TTL:
            return self._query[2]
        vector = await self._async_embed_one(text)
        self._query = (text, now, vector)
        return vector

    async def _async_embed_one(self, text: str) -> Vector | None:
        vectors = await self.async_embed([text])
        return vectors[0] if vectors else None

    async def async_embed(self, texts: list[str]) -> list[Vector] | None:
        """Embed, or None: without embeddings the lexical index still answers.

        After a failure, embeddings rest for a while, so that no answer waits on a dead endpoint;
        nor does one wait while the built-in model installs or loads.
        """
        if self.embedder is None or not self.embedder.ready or time.monotonic() < self._embeddings_resume:
            return None
        try:
            return await self.embedder.async_embed(texts)
        except AIServiceError as err:
            LOGGER.debug("Embeddings unavailable, searching by words alone: %s", err.detail or err.key)
            self._embeddings_resume = time.monotonic() + EMBEDDINGS_REST
            return None

    def _new_id(self) -> str:
        while (memory_id := secrets.token_hex(3)) in self.memories:
            pass
        return memory_id

    @callback
    def _changed(self, owners: set[str]) -> None:
        self._store.async_delay_save(self._data, SAVE_DELAY)
        self._vector_store.async_delay_save(self._vector_data, SAVE_DELAY)
        for listener in list(self._listeners):
            listener(owners)

    def _data(self) -> dict[str, Any]:
        return {
            "memories": [memory.as_dict() for memory in self.memories.values()],
            "people": {owner: {"name": name, "entity_id": who} for owner, (name, who) in self.people.items()},
        }

    def _vector_data(self) -> dict[str, Any]:
        model = self.embedder.model if self.embedder else None
        return {"model": model, "vectors": dict(self._vectors)}
