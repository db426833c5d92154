"""Long-term memory of people and the household: stored, indexed, searched, private."""

from .model import HOUSEHOLD, KINDS, Memory
from .store import MemoryStore

__all__ = ["HOUSEHOLD", "KINDS", "Memory", "MemoryStore"]
