"""Tests of the scripted model server, driven by the real openai client."""

from collections.abc import AsyncIterator
import math

import httpx2
import openai
from openai.types.chat import ChatCompletionChunk, ChatCompletionMessageParam
import pytest

from .model_server import (
    EmbeddingReply,
    Fault,
    ModelServer,
    RecordedRequest,
    Reply,
    ToolCall,
    embed_text,
)

MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]


@pytest.fixture
async def server(socket_enabled: None) -> AsyncIterator[ModelServer]:
    """A running model server."""
    async with ModelServer() as model_server:
        yield model_server


@pytest.fixture
async def client(server: ModelServer) -> AsyncIterator[openai.AsyncOpenAI]:
    """An openai client of the server that does not retry."""
    async with openai.AsyncOpenAI(base_url=server.url, api_key="test-key", max_retries=0) as api:
        yield api


async def _chunks(client: openai.AsyncOpenAI, include_usage: bool = False) -> list[ChatCompletionChunk]:
    stream = await client.chat.completions.create(
        model="test-model",
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": include_usage},
    )
    return [chunk async for chunk in stream]


async def _drain(stream: AsyncIterator[ChatCompletionChunk], into: list[ChatCompletionChunk]) -> None:
    async for chunk in stream:
        into.append(chunk)


async def test_models_list(server: ModelServer, client: openai.AsyncOpenAI) -> None:
    """The model list is served and settable; it can be faulted too."""
    assert [m.id for m in (await client.models.list()).data] == [
        "test-model",
        "test-embed",
    ]
    server.models = ["m1", "m2"]
    assert [m.id async for m in client.models.list()] == ["m1", "m2"]
    server.models_queue.add(Fault(500))
    with pytest.raises(openai.InternalServerError):
        await client.models.list()


async def test_plain_completion(server: ModelServer, client: openai.AsyncOpenAI) -> None:
    """Default and scripted non-streamed replies, consumed in order."""
    server.chat.add(Reply(content="Hello there", finish_reason="length"))
    first = await client.chat.completions.create(model="m", messages=MESSAGES)
    second = await client.chat.completions.create(model="m", messages=MESSAGES)
    assert first.choices[0].message.content == "Hello there"
    assert first.choices[0].finish_reason == "length"
    assert first.usage is not None
    assert first.usage.total_tokens == 15
    assert first.model == "m"
    assert second.choices[0].message.content == "OK"
    assert second.choices[0].finish_reason == "stop"


async def test_stream_content(server: ModelServer, client: openai.AsyncOpenAI) -> None:
    """Content arrives in several chunks after a role chunk, then usage."""
    server.chat.add(Reply(content="The kitchen light is on now."))
    chunks = await _chunks(client, include_usage=True)
    assert chunks[0].choices[0].delta.role == "assistant"
    pieces = [c.choices[0].delta.content for c in chunks[1:] if c.choices]
    texts = [p for p in pieces if p]
    assert len(texts) > 1
    assert "".join(texts) == "The kitchen light is on now."
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 5


async def test_stream_tool_calls(server: ModelServer, client: openai.AsyncOpenAI) -> None:
    """Tool calls are split across deltas and reassemble by index."""
    broken = '{"name": "kitchen'
    server.chat.add(
        Reply(
            tool_calls=[
                ToolCall("HassTurnOn", {"name": "kitchen light"}, id="call_a"),
                ToolCall("HassTurnOff", broken),
            ]
        )
    )
    calls: dict[int, dict[str, str]] = {}
    chunks = await _chunks(client)
    for chunk in chunks:
        for delta in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            assert delta.function is not None
            if delta.index not in calls:
                assert delta.id
                assert delta.type == "function"
                assert delta.function.name
                calls[delta.index] = {"id": delta.id, "name": delta.function.name}
                calls[delta.index]["args"] = delta.function.arguments or ""
            else:
                assert delta.id is None
                assert delta.function.name is None
                calls[delta.index]["args"] += delta.function.arguments or ""
    assert sorted(calls) == [0, 1]
    assert calls[0] == {
        "id": "call_a",
        "name": "HassTurnOn",
        "args": '{"name": "kitchen light"}',
    }
    assert calls[1]["name"] == "HassTurnOff"
    assert calls[1]["args"] == broken
    assert sum(1 for c in chunks if c.choices and c.choices[0].delta.tool_calls) > 4
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


async def test_tool_calls_not_streamed(server: ModelServer, client: openai.AsyncOpenAI) -> None:
    """Tool calls come whole in ``message.tool_calls``."""
    server.chat.add(Reply(tool_calls=[ToolCall("HassTurnOn", '"{\\"a\\":1}"')]))
    reply = await client.chat.completions.create(model="m", messages=MESSAGES)
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    assert choice.message.tool_calls is not None
    call = choice.message.tool_calls[0]
    assert call.type == "function"
    assert call.id.startswith("call_")
    assert (call.function.name, call.function.arguments) == (
        "HassTurnOn",
        '"{\\"a\\":1}"',
    )


async def test_reasoning_content(server: ModelServer, client: openai.AsyncOpenAI) -> None:
    """Reasoning deltas arrive before content, as vLLM and DeepSeek send them."""
    server.chat.add(Reply(content="Done.", reasoning="Let me think about it."))
    chunks = await _chunks(client)
    kinds: list[str] = []
    reasoning = ""
    for chunk in chunks:
        delta = chunk.choices[0].delta
        if piece := getattr(delta, "reasoning_content", None):
            kinds.append("reasoning")
            reasoning += piece
        if delta.content:
            kinds.append("content")
    assert reasoning == "Let me think about it."
    assert kinds.index("content") > len(kinds) - kinds[::-1].index("reasoning") - 1
    server.chat.add(Reply(content="Done.", reasoning="Hmm."))
    message = await client.chat.completions.create(model="m", messages=MESSAGES)
    assert getattr(message.choices[0].message, "reasoning_content", None) == "Hmm."


async def test_api_key(server: ModelServer, client: openai.AsyncOpenAI) -> None:
    """A wrong key gets an OpenAI-style 401."""
    server.api_key = "secret"
    with pytest.raises(openai.AuthenticationError) as err:
        await client.models.list()
    assert err.value.code == "invalid_api_key"
    assert "Incorrect API key provided" in err.value.message
    good = openai.AsyncOpenAI(base_url=server.url, api_key="secret", max_retries=0)
    async with good:
        assert (await good.chat.completions.create(model="m", messages=MESSAGES)).id


async def test_faults(server: ModelServer, client: openai.AsyncOpenAI) -> None:
    """404 model not found, 429 with Retry-After, 503 with a text body."""
    server.chat.add(
        Fault.model_not_found("x"),
        Fault.rate_limited(retry_after=2),
        Fault(503, "overloaded"),
    )
    with pytest.raises(openai.NotFoundError) as not_found:
        await client.chat.completions.create(model="x", messages=MESSAGES)
    assert not_found.value.code == "model_not_found"
    assert "The model `x` does not exist" in not_found.value.message
    with pytest.raises(openai.RateLimitError) as limited:
        await client.chat.completions.create(model="m", messages=MESSAGES)
    assert limited.value.response.headers["retry-after"] == "2"
    with pytest.raises(openai.InternalServerError) as unavailable:
        await client.chat.completions.create(model="m", messages=MESSAGES)
    assert unavailable.value.status_code == 503


async def test_cut_stream(server: ModelServer, client: openai.AsyncOpenAI) -> None:
    """A stream cut without [DONE] breaks the client's iteration."""
    server.chat.add(Reply(content="one two three four five six", cut_after=3))
    received: list[ChatCompletionChunk] = []
    stream = await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    # openai < 3.14 lets the transport's error through; later ones raise it as the cause of theirs.
    with pytest.raises((httpx2.RemoteProtocolError, openai.APIConnectionError)) as caught:
        await _drain(stream, received)
    error = caught.value.__cause__ if isinstance(caught.value, openai.APIConnectionError) else caught.value
    assert isinstance(error, httpx2.RemoteProtocolError)
    assert len(received) == 3


async def test_malformed_chunk(server: ModelServer, client: openai.AsyncOpenAI) -> None:
    """A chunk that is not JSON breaks the client's iteration."""
    server.chat.add(Reply(content="one two three four", malformed=True))
    with pytest.raises(ValueError, match="Expecting"):
        await _chunks(client)


async def test_delay_timeout(server: ModelServer, client: openai.AsyncOpenAI) -> None:
    """A delayed reply makes a client with a short timeout give up."""
    server.chat.add(Reply(content="late", delay=5))
    with pytest.raises(openai.APITimeoutError):
        await client.with_options(timeout=0.2).chat.completions.create(model="m", messages=MESSAGES)


async def test_embeddings(server: ModelServer, client: openai.AsyncOpenAI) -> None:
    """Deterministic hashed vectors (base64 or float) and scripted ones."""
    texts = ["turn on the kitchen light", "kitchen light on", "weather tomorrow"]
    result = await client.embeddings.create(model="test-embed", input=texts)
    vectors = [item.embedding for item in result.data]
    assert [item.index for item in result.data] == [0, 1, 2]
    assert vectors[0] == pytest.approx(embed_text(texts[0]), abs=1e-6)
    assert math.dist(vectors[0], vectors[1]) < math.dist(vectors[0], vectors[2])
    single = await client.embeddings.create(model="e", input="hello", encoding_format="float")
    assert single.data[0].embedding == embed_text("hello")
    server.embeddings.add(EmbeddingReply(vectors=[[1.0, 0.0]]))
    scripted = await client.embeddings.create(model="e", input="x")
    assert scripted.data[0].embedding == [1.0, 0.0]
    assert server.embedding_requests[1]["input"] == "hello"


async def test_requests_recorded(server: ModelServer, client: openai.AsyncOpenAI) -> None:
    """Requests are recorded; responders (sync or async) compute replies."""

    async def echo(request: RecordedRequest) -> Reply:
        assert request.json is not None
        return Reply(content=f"echo {request.json['messages'][-1]['content']}")

    server.chat.responder = echo
    reply = await client.chat.completions.create(model="m", messages=MESSAGES, max_tokens=50, temperature=0.3)
    assert reply.choices[0].message.content == "echo hi"
    server.chat.responder = lambda _: Fault(500)
    with pytest.raises(openai.InternalServerError):
        await client.chat.completions.create(model="m", messages=MESSAGES)
    assert server.requests[0].method == "POST"
    assert server.requests[0].path == "/v1/chat/completions"
    assert server.requests[0].headers["Authorization"] == "Bearer test-key"
    body = server.chat_requests[0]
    assert (body["max_tokens"], body["temperature"], body["messages"]) == (
        50,
        0.3,
        MESSAGES,
    )
    server.reset()
    assert server.requests == []
    assert (await client.chat.completions.create(model="m", messages=MESSAGES)).choices[
        0
    ].message.content == "OK"


async def test_down_up(server: ModelServer, client: openai.AsyncOpenAI) -> None:
    """down() refuses connections; up() serves again on the same port."""
    await client.models.list()
    port = server.port
    await server.down()
    with pytest.raises(openai.APIConnectionError):
        await client.models.list()
    await server.up()
    assert server.port == port
    assert len((await client.models.list()).data) == 2
