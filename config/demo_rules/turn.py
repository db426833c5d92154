"""One chat request, read the way the rules need it, and the reply they give."""

from __future__ import annotations

from dataclasses import dataclass, field
import json
import re
from typing import Any

_CONTEXT = re.compile(r"(?s)<context>\s*(.*?)\s*</context>")
_SPEAKER = re.compile(r"The person speaking is (.+?)\.$", re.MULTILINE)
_AREA = re.compile(r"You are in area (.+?)(?: \(floor [^)]*\))? and all generic commands", re.MULTILINE)
# "- [id] (Anna) Anna is vegetarian", as AI Assist lists recalled memories.
_MEMORY = re.compile(r"^- \[(?P<id>[^\]]+)\] \((?P<about>[^)]*)\) (?P<text>.+)$", re.MULTILINE)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
NO_TIMERS = "This device is not able to start timers."


@dataclass(frozen=True)
class Call:
    """A tool call the model makes."""

    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Reply:
    """What the model answers: spoken text, or tool calls."""

    text: str = ""
    calls: tuple[Call, ...] = ()


@dataclass(frozen=True)
class Memory:
    """A memory AI Assist recalled for this request, or a search found."""

    id: str
    about: str
    text: str


@dataclass(frozen=True)
class Outcome:
    """A tool the model called in this turn, and what it answered."""

    name: str
    arguments: dict[str, Any]
    data: Any

    @property
    def failed(self) -> bool:
        """Whether the tool answered with an error (a tool's or Home Assistant's)."""
        if not isinstance(self.data, dict):
            return False
        return "error" in self.data or self.data.get("response_type") == "error"

    @property
    def error(self) -> str:
        """The error, as a short sentence."""
        data = self.data if isinstance(self.data, dict) else {}
        text = (
            data.get("error_text") or data.get("error") or data.get("data", {}).get("code") or "unknown error"
        )
        return str(text).rstrip(".")


@dataclass
class Turn:
    """What was said, what AI Assist told the model, and what the tools answered so far."""

    said: str  # the last user message without the context block, on one line
    system: str = ""
    situation: str = ""
    tools: dict[str, dict[str, Any]] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)
    written: str = ""  # the same message with its lines (a transcript, say)

    @property
    def chinese(self) -> bool:
        """Whether the person wrote Chinese, so the answer is Chinese too."""
        return bool(_CJK.search(self.said))

    @property
    def speaker(self) -> str | None:
        """The name of the person speaking, when AI Assist knows it."""
        found = _SPEAKER.search(self.situation)
        return found[1] if found else None

    @property
    def area(self) -> str | None:
        """The area of the satellite that heard the request."""
        found = _AREA.search(self.situation) or _AREA.search(self.system)
        return found[1] if found else None

    @property
    def cannot_start_timers(self) -> bool:
        """Whether AI Assist said this device cannot start timers."""
        return NO_TIMERS in self.situation

    @property
    def memories(self) -> list[Memory]:
        """The memories recalled in the context block, then those the search tool found."""
        found = [Memory(m["id"], m["about"], m["text"].strip()) for m in _MEMORY.finditer(self.situation)]
        for outcome in self.outcomes_of("search_memories"):
            for item in outcome.data.get("memories", []) if isinstance(outcome.data, dict) else []:
                if isinstance(item, dict) and item.get("id") not in {m.id for m in found}:
                    found.append(
                        Memory(str(item["id"]), str(item.get("about", "")), str(item.get("text", "")))
                    )
        return found

    def tool(self, suffix: str) -> str | None:
        """The offered tool with this name, or whose name ends with it (`intent__HassTurnOn`)."""
        for name in self.tools:
            if name.endswith(suffix):
                return name
        return None

    def outcomes_of(self, suffix: str) -> list[Outcome]:
        """The results of the calls of this tool in this turn, oldest first."""
        return [o for o in self.outcomes if o.name == suffix or o.name.endswith(suffix)]

    def outcome(self, suffix: str) -> Outcome | None:
        """The latest result of this tool in this turn."""
        found = self.outcomes_of(suffix)
        return found[-1] if found else None

    def say(self, english: str, chinese: str) -> Reply:
        """Answer in the language the person used."""
        return Reply(text=chinese if self.chinese else english)

    def call(self, tool: str, **arguments: Any) -> Reply:
        """Call one offered tool."""
        return Reply(calls=(Call(tool, arguments),))


def text_of(content: Any) -> str:
    """The text of a message's content: a string or a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(part.get("text", "") for part in content if isinstance(part, dict)).strip()
    return ""


def read_turn(body: dict[str, Any]) -> Turn:
    """Read a chat completions request body."""
    messages = [m for m in body.get("messages", []) if isinstance(m, dict)]
    system = "\n".join(
        text_of(m.get("content")) for m in messages if m.get("role") in ("system", "developer")
    )
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
    written, situation = "", ""
    if last_user >= 0:
        text = text_of(messages[last_user].get("content"))
        if found := _CONTEXT.search(text):
            situation = found[1]
        written = _CONTEXT.sub("", text).replace("\u2019", "'").strip()
    tools: dict[str, dict[str, Any]] = {}
    if body.get("tool_choice") != "none":
        for tool in body.get("tools") or []:
            function = tool.get("function") if isinstance(tool, dict) else None
            if isinstance(function, dict) and isinstance(function.get("name"), str):
                tools[function["name"]] = function
    outcomes = _outcomes(messages[last_user + 1 :])
    return Turn(" ".join(written.split()), system, situation, tools, outcomes, written)


def _outcomes(messages: list[dict[str, Any]]) -> list[Outcome]:
    """Pair the tool calls the model made after the person spoke with their results."""
    calls: dict[str, tuple[str, dict[str, Any]]] = {}
    outcomes: list[Outcome] = []
    for message in messages:
        if message.get("role") == "assistant":
            for call in message.get("tool_calls") or []:
                function = call.get("function") or {}
                calls[call.get("id", "")] = (function.get("name", ""), _json(function.get("arguments")))
        elif message.get("role") == "tool":
            name, arguments = calls.get(message.get("tool_call_id", ""), (message.get("name", ""), {}))
            outcomes.append(
                Outcome(name, arguments if isinstance(arguments, dict) else {}, _json(message.get("content")))
            )
    return outcomes


def _json(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text
