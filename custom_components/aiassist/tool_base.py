"""What AI Assist's own tools (memory, weather, shopping, reminders) have in common."""

from typing import Self

from homeassistant.helpers import llm

from .const import DOMAIN


class AIAssistTool(llm.Tool):
    """A tool of ours, bound to one turn's speaker and settings."""

    integration = DOMAIN

    def __deepcopy__(self, memo: dict[int, object]) -> Self:
        """Be copied as the handle it is: the conversation trace deep-copies its tools."""
        return self


def tool_error(message: str) -> llm.ToolResult:
    """An error the model can read aloud or correct."""
    return llm.ToolResult(data={"error": message}, error=True)
