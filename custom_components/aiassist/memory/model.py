"""One memory, as stored."""

from dataclasses import asdict, dataclass
from typing import Any, Final

# The owner of memories that belong to everyone in the home, and the only owner an
# unknown speaker may read.
HOUSEHOLD: Final = "household"
KINDS: Final = ("preference", "fact", "routine", "relationship", "other")

# Where a memory came from, as stored; a conversation's source also names the conversation.
SOURCE_CONVERSATION: Final = "conversation"
SOURCE_LEARNED: Final = "learned from a conversation"
SOURCE_TODO: Final = "to-do list"
SOURCE_SERVICE: Final = "service"
ORIGINS: Final = ("conversation", "learned", "todo", "service", "unknown")


def origin(source: str) -> str:
    """The kind of place a memory came from, one of ORIGINS, whatever else the source names."""
    if source == SOURCE_LEARNED:
        return "learned"
    if source.split(" ", 1)[0] == SOURCE_CONVERSATION:
        return "conversation"
    if source == SOURCE_TODO:
        return "todo"
    if source == SOURCE_SERVICE:
        return "service"
    return "unknown"


@dataclass(slots=True)
class Memory:
    """Something remembered about a person (their person id) or the household."""

    id: str
    text: str
    owner: str
    kind: str
    created: str
    updated: str
    source: str

    def as_dict(self) -> dict[str, Any]:
        """Return the stored form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Memory:
        """Read the stored form; raises KeyError/TypeError when it is not one."""
        memory = cls(**{key: data[key] for key in cls.__slots__})
        if not isinstance(memory.text, str) or not isinstance(memory.owner, str) or memory.kind not in KINDS:
            raise TypeError(f"not a memory: {data!r}")
        return memory
