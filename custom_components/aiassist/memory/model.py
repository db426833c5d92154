"""One memory, as stored."""

from dataclasses import asdict, dataclass
from typing import Any, Final

# The owner of memories that belong to everyone in the home, and the only owner an
# unknown speaker may read.
HOUSEHOLD: Final = "household"
KINDS: Final = ("preference", "fact", "routine", "relationship", "other")


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
