"""An OpenAI chat completion stream, turned into Home Assistant's chat log deltas."""

from collections.abc import AsyncGenerator, AsyncIterable
from dataclasses import dataclass

from openai.types.chat import ChatCompletionChunk
from openai.types.chat.chat_completion_chunk import ChoiceDelta

from homeassistant.components import conversation
from homeassistant.helpers import llm
from homeassistant.util.ulid import ulid_now

from .const import LOGGER
from .speech import SpeechStream
from .tool_calls import ToolArgumentsError, parse_arguments

type Delta = conversation.AssistantContentDeltaDict | conversation.ToolResultContentDeltaDict


@dataclass
class _PendingCall:
    """A tool call whose pieces are still arriving."""

    id: str = ""
    name: str = ""
    arguments: str = ""


def _reasoning(delta: ChoiceDelta) -> str | None:
    """Reasoning text, as DeepSeek/vLLM (`reasoning_content`) or OpenRouter (`reasoning`) send it."""
    extra = delta.model_extra or {}
    value = extra.get("reasoning_content") or extra.get("reasoning")
    return value if isinstance(value, str) else None


async def transform_stream(
    chunks: AsyncIterable[ChatCompletionChunk], *, allow_tools: bool, language: str = "en"
) -> AsyncGenerator[Delta]:
    """Yield the role first, then speech and thinking as they come, then the tool calls.

    Tool calls are collected by index (servers split their arguments over many deltas) and
    yielded once complete. With `allow_tools` False (the last allowed round), any tool call
    the model still makes is dropped, so nothing runs that the user did not get to hear about.
    """
    yield {"role": "assistant"}
    speech = SpeechStream(language)
    calls: dict[int, _PendingCall] = {}
    async for chunk in chunks:
        if not chunk.choices:
            continue
        delta = chunk.choices[0].delta
        if thinking := _reasoning(delta):
            yield {"thinking_content": thinking}
        if delta.content:
            said, thought = speech.feed(delta.content)
            if thought:
                yield {"thinking_content": thought}
            if said:
                yield {"content": said}
        for piece in delta.tool_calls or ():
            pending = calls.setdefault(piece.index, _PendingCall())
            pending.id = pending.id or piece.id or ""
            if piece.function:
                pending.name = pending.name or piece.function.name or ""
                pending.arguments += piece.function.arguments or ""
    said, thought = speech.flush()
    if thought:
        yield {"thinking_content": thought}
    if said:
        yield {"content": said}
    if not calls:
        return
    if not allow_tools:
        LOGGER.debug("Dropped tool calls made after the last tool round: %s", calls)
        return
    async for item in _tool_call_deltas([calls[index] for index in sorted(calls)]):
        yield item


async def _tool_call_deltas(calls: list[_PendingCall]) -> AsyncGenerator[Delta]:
    """Yield the calls; a call whose arguments cannot be read is answered with an error.

    Such a call is marked external, so Home Assistant does not run it with guessed
    arguments; the error goes back to the model, which can send the call again.
    """
    inputs: list[llm.ToolInput] = []
    errors: list[conversation.ToolResultContentDeltaDict] = []
    for call in calls:
        call_id = call.id or ulid_now()
        try:
            inputs.append(
                llm.ToolInput(
                    tool_name=_tool_name(call), tool_args=parse_arguments(call.arguments), id=call_id
                )
            )
        except ToolArgumentsError as err:
            LOGGER.debug("Unreadable tool call %s(%s): %s", call.name, call.arguments, err)
            inputs.append(
                llm.ToolInput(tool_name=call.name or "unknown", tool_args={}, id=call_id, external=True)
            )
            errors.append(
                {
                    "role": "tool_result",
                    "tool_call_id": call_id,
                    "tool_name": call.name or "unknown",
                    "result": llm.ToolResult(
                        data={
                            "error": "InvalidToolArguments",
                            "error_text": f"{err}. Call the tool again with a valid JSON object.",
                        },
                        error=True,
                    ),
                }
            )
    yield {"tool_calls": inputs}
    for error in errors:
        yield error


def _tool_name(call: _PendingCall) -> str:
    if not call.name:
        raise ToolArgumentsError("the tool call has no tool name")
    return call.name
