"""Long-term memory of people and the household: stored, indexed, searched, private."""

from .model import (
    HOUSEHOLD,
    KINDS,
    SOURCE_CONVERSATION,
    SOURCE_LEARNED,
    SOURCE_SERVICE,
    SOURCE_TODO,
    Memory,
    origin,
)
from .store import MemoryStore, async_remove_memory

__all__ = [
    "HOUSEHOLD",
    "KINDS",
    "SOURCE_CONVERSATION",
    "SOURCE_LEARNED",
    "SOURCE_SERVICE",
    "SOURCE_TODO",
    "Memory",
    "MemoryStore",
    "async_remove_memory",
    "origin",
]
