"""A scripted OpenAI-compatible model server for the tests.

It serves ``/v1/models``, ``/v1/chat/completions`` (plain and SSE streaming) and
``/v1/embeddings`` on 127.0.0.1 in the shapes the ``openai`` client parses. Each
endpoint answers from a queue of scripted answers, then from an optional
``responder`` function, then with a default; every request is recorded.

Example::

    async with ModelServer() as server:
        server.chat.add(Reply(tool_calls=[ToolCall("HassTurnOn", {"name": "kitchen"})]))
        server.chat.add(Fault.rate_limited(retry_after=2))
        client = openai.AsyncOpenAI(base_url=server.url, api_key="key", max_retries=0)
        stream = await client.chat.completions.create(model="m", messages=[], stream=True)
        ...
        assert server.chat_requests[0]["stream"] is True
"""

import array
import asyncio
import base64
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
import hashlib
import inspect
import json
import math
import re
import time
from typing import Any, Protocol, Self

from aiohttp import web

HOST = "127.0.0.1"
DEFAULT_MODELS = ("test-model", "test-embed")
ARGUMENT_PIECE = 6  # characters of tool call arguments per streamed delta by default
ERROR_KINDS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "bad_request"),
    401: ("invalid_request_error", "invalid_api_key"),
    404: ("invalid_request_error", "not_found"),
    429: ("requests", "rate_limit_exceeded"),
}

# Request bodies are arbitrary JSON the tests index freely, hence ``Any``.
type JSONBody = dict[str, Any]


@dataclass(frozen=True)
class Usage:
    """Token counts reported with a reply."""

    prompt_tokens: int = 10
    completion_tokens: int = 5

    def as_dict(self) -> dict[str, int]:
        """Return the OpenAI ``usage`` object."""
        prompt, completion = self.prompt_tokens, self.completion_tokens
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


@dataclass(frozen=True)
class ToolCall:
    """A tool call of a reply; a ``str`` ``arguments`` is sent verbatim (may be broken)."""

    name: str
    arguments: str | dict[str, object] = "{}"
    id: str | None = None

    def arguments_text(self) -> str:
        """Return the arguments as the JSON text the server sends."""
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(self.arguments)


@dataclass
class Reply:
    """A chat completion answer; streamed when the request asks for it."""

    content: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    reasoning: str | None = None
    finish_reason: str | None = None  # None: "tool_calls" if tool_calls else "stop"
    usage: Usage = field(default_factory=Usage)
    model: str | None = None  # None: echo the requested model
    delay: float = 0.0  # seconds before answering
    chunk_size: int | None = None  # streamed text piece size; None: one word per chunk
    chunk_delay: float = 0.0  # seconds between streamed chunks
    cut_after: int | None = None  # stream: close the connection after N events
    malformed: bool = False  # stream: insert an event that is not JSON mid-stream

    def finish(self) -> str:
        """Return the finish reason, derived when not set."""
        if self.finish_reason is not None:
            return self.finish_reason
        return "tool_calls" if self.tool_calls else "stop"


@dataclass
class EmbeddingReply:
    """An embeddings answer; ``vectors=None`` embeds each input with `embed_text`."""

    vectors: list[list[float]] | None = None
    prompt_tokens: int = 4
    delay: float = 0.0


@dataclass
class SpeechReply:
    """A ``/v1/audio/speech`` answer: a tone as long as a person takes to say the input.

    ``body`` is sent verbatim instead (not audio, say); mp3 is a run of MPEG frame headers.
    """

    characters_per_second: float = 15.0
    rate: int = 24000
    body: bytes | None = None
    delay: float = 0.0


@dataclass
class TranscriptReply:
    """A ``/v1/audio/transcriptions`` answer."""

    text: str = "hello"
    delay: float = 0.0


@dataclass
class ModelList:
    """A ``/v1/models`` answer."""

    ids: list[str]
    delay: float = 0.0


@dataclass
class Fault:
    """An HTTP error answer; ``body=None`` makes an OpenAI-style error body."""

    status: int
    body: dict[str, object] | str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    @classmethod
    def unauthorized(cls) -> Self:
        """401 as OpenAI sends it for a wrong key."""
        return cls(401, error_body("Incorrect API key provided", 401))

    @classmethod
    def model_not_found(cls, model: str) -> Self:
        """404 as OpenAI sends it for an unknown model."""
        message = f"The model `{model}` does not exist"
        return cls(404, error_body(message, 404, code="model_not_found"))

    @classmethod
    def rate_limited(cls, retry_after: float = 1) -> Self:
        """429 with a ``Retry-After`` header."""
        return cls(429, headers={"Retry-After": f"{retry_after:g}"})

    def render(self) -> web.Response:
        """Return the HTTP response for this fault."""
        if isinstance(self.body, str):
            return web.Response(status=self.status, text=self.body, headers=self.headers)
        body = self.body or error_body(f"Scripted error {self.status}", self.status)
        return web.json_response(body, status=self.status, headers=self.headers)


@dataclass(frozen=True)
class RecordedRequest:
    """One request as it arrived."""

    method: str
    path: str
    headers: dict[str, str]
    json: JSONBody | None


class Delayed(Protocol):
    """Anything that can be answered after a delay."""

    delay: float


type Responder[T] = Callable[[RecordedRequest], T | Fault | Awaitable[T | Fault]]


class Script[T: Delayed]:
    """The answers of one endpoint: a queue, then a responder, then a default."""

    def __init__(self, default: Callable[[RecordedRequest], T]) -> None:
        """Answer with ``default(request)`` when nothing is scripted."""
        self._default = default
        self.queue: deque[T | Fault] = deque()
        self.responder: Responder[T] | None = None

    def add(self, *answers: T | Fault) -> None:
        """Queue answers, consumed one per request in order."""
        self.queue.extend(answers)

    def clear(self) -> None:
        """Forget queued answers and the responder."""
        self.queue.clear()
        self.responder = None

    async def next(self, request: RecordedRequest) -> T | Fault:
        """Return the answer for ``request`` after its delay."""
        answer = await self._pick(request)
        if answer.delay > 0:
            await asyncio.sleep(answer.delay)
        return answer

    async def _pick(self, request: RecordedRequest) -> T | Fault:
        if self.queue:
            return self.queue.popleft()
        if self.responder is None:
            return self._default(request)
        answer = self.responder(request)
        if inspect.isawaitable(answer):
            return await answer
        return answer


def error_body(message: str, status: int, code: str | None = None) -> dict[str, object]:
    """Return an OpenAI-style error body."""
    kind, default_code = ERROR_KINDS.get(status, ("server_error", "server_error"))
    return {"error": {"message": message, "type": kind, "param": None, "code": code or default_code}}


def embed_text(text: str, dimensions: int = 64) -> list[float]:
    """Return a deterministic L2-normalised hashed bag-of-words vector of ``text``."""
    vector = [0.0] * dimensions
    for word in re.findall(r"\w+", text.lower()):
        digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
        number = int.from_bytes(digest)
        vector[number % dimensions] += 1.0 if number >> 63 else -1.0
    norm = math.sqrt(sum(value * value for value in vector))
    if norm == 0:
        return [1.0] + [0.0] * (dimensions - 1)
    return [value / norm for value in vector]


def wav_tone(seconds: float, rate: int = 24000) -> bytes:
    """A 16-bit mono WAV of a quiet 400 Hz tone."""
    period = rate // 400
    wave_period = array.array("h", (int(6000 * math.sin(2 * math.pi * i / period)) for i in range(period)))
    samples = array.array("h", wave_period) * max(1, int(seconds * 400))
    return wav_file(samples.tobytes(), rate)


def wav_file(data: bytes, rate: int = 24000) -> bytes:
    """16-bit mono samples as a WAV file."""
    header = b"RIFF" + (36 + len(data)).to_bytes(4, "little") + b"WAVEfmt " + (16).to_bytes(4, "little")
    header += (1).to_bytes(2, "little") + (1).to_bytes(2, "little") + rate.to_bytes(4, "little")
    header += (rate * 2).to_bytes(4, "little") + (2).to_bytes(2, "little") + (16).to_bytes(2, "little")
    return header + b"data" + len(data).to_bytes(4, "little") + data


def split_text(text: str, size: int | None) -> list[str]:
    """Split ``text`` into pieces of ``size`` characters, or into words if ``None``."""
    if size is None:
        return re.findall(r"\S+\s*|\s+", text)
    return [text[start : start + size] for start in range(0, len(text), size)]


@dataclass(frozen=True)
class _Completion:
    """What every chunk of one completion shares."""

    id: str
    model: str
    include_usage: bool = False
    created: int = field(default_factory=lambda: int(time.time()))

    def chunk(self, delta: dict[str, object], finish: str | None = None) -> dict[str, object]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return self.envelope("chat.completion.chunk", [choice])

    def usage_chunk(self, usage: Usage) -> dict[str, object]:
        return self.envelope("chat.completion.chunk", []) | {"usage": usage.as_dict()}

    def envelope(self, kind: str, choices: list[dict[str, object]]) -> dict[str, object]:
        return {
            "id": self.id,
            "object": kind,
            "created": self.created,
            "model": self.model,
            "system_fingerprint": None,
            "choices": choices,
        }


def _message(reply: Reply, ids: list[str]) -> dict[str, object]:
    message: dict[str, object] = {"role": "assistant", "content": reply.content, "refusal": None}
    if reply.reasoning is not None:
        message["reasoning_content"] = reply.reasoning
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": call_id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments_text()},
            }
            for call_id, call in zip(ids, reply.tool_calls, strict=True)
        ]
    return message


def _tool_call_deltas(reply: Reply, ids: list[str]) -> list[dict[str, object]]:
    deltas: list[dict[str, object]] = []
    for index, (call_id, call) in enumerate(zip(ids, reply.tool_calls, strict=True)):
        head = {
            "index": index,
            "id": call_id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        pieces = split_text(call.arguments_text(), reply.chunk_size or ARGUMENT_PIECE)
        deltas.append({"tool_calls": [head]})
        deltas.extend(
            {"tool_calls": [{"index": index, "function": {"arguments": piece}}]} for piece in pieces
        )
    return deltas


def _deltas(reply: Reply, ids: list[str]) -> list[dict[str, object]]:
    deltas: list[dict[str, object]] = [{"role": "assistant", "content": ""}]
    deltas += [{"reasoning_content": p} for p in split_text(reply.reasoning or "", reply.chunk_size)]
    deltas += [{"content": p} for p in split_text(reply.content or "", reply.chunk_size)]
    return deltas + _tool_call_deltas(reply, ids)


def _wants_usage(body: JSONBody) -> bool:
    options = body.get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


def _embedding_inputs(body: JSONBody) -> list[str]:
    raw = body.get("input", "")
    items = raw if isinstance(raw, list) else [raw]
    return [item if isinstance(item, str) else json.dumps(item) for item in items]


def _encode_vector(vector: list[float], encoding: object) -> list[float] | str:
    if encoding != "base64":
        return vector
    return base64.b64encode(array.array("f", vector).tobytes()).decode()


class ModelServer:
    """An OpenAI-compatible HTTP server answering from scripts (see module docstring)."""

    def __init__(self, api_key: str | None = None, embedding_dimensions: int = 64) -> None:
        """Create a stopped server; ``api_key`` makes it demand that bearer token."""
        self.api_key = api_key
        self.embedding_dimensions = embedding_dimensions
        self.models: list[str] = list(DEFAULT_MODELS)
        self.chat: Script[Reply] = Script(lambda _: Reply(content="OK"))
        self.embeddings: Script[EmbeddingReply] = Script(lambda _: EmbeddingReply())
        self.models_queue: Script[ModelList] = Script(lambda _: ModelList(list(self.models)))
        self.speech: Script[SpeechReply] = Script(lambda _: SpeechReply())
        self.transcriptions: Script[TranscriptReply] = Script(lambda _: TranscriptReply())
        # What GET /v1/audio/voices lists; None: 404, as OpenAI answers.
        self.voices: list[str] | None = None
        self.requests: list[RecordedRequest] = []
        # When each request arrived (time.monotonic), by path.
        self.request_times: dict[str, list[float]] = {}
        self.port = 0
        self._ids = 0
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None

    @property
    def url(self) -> str:
        """The base URL for ``openai.AsyncOpenAI(base_url=...)``."""
        return f"http://{HOST}:{self.port}/v1"

    @property
    def chat_requests(self) -> list[JSONBody]:
        """The JSON bodies of the chat completion requests, in order."""
        return self._bodies("/v1/chat/completions")

    @property
    def embedding_requests(self) -> list[JSONBody]:
        """The JSON bodies of the embeddings requests, in order."""
        return self._bodies("/v1/embeddings")

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application()
        app.router.add_get("/v1/models", self._handle_models)
        app.router.add_post("/v1/chat/completions", self._handle_chat)
        app.router.add_post("/v1/embeddings", self._handle_embeddings)
        app.router.add_post("/v1/audio/speech", self._handle_speech)
        app.router.add_post("/v1/audio/transcriptions", self._handle_transcriptions)
        app.router.add_get("/v1/audio/voices", self._handle_voices)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=1)
        await self._runner.setup()
        await self.up()

    async def stop(self) -> None:
        """Close every connection and the listening socket."""
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = self._site = None

    async def down(self) -> None:
        """Refuse connections (and drop open ones) until `up`; the port is kept."""
        if self._site is not None:
            await self._site.stop()
            self._site = None
        server = self._runner.server if self._runner else None
        for connection in server.connections if server else []:
            connection.force_close()

    async def up(self) -> None:
        """Listen again, on the same port once one was chosen."""
        if self._runner is None:
            message = "ModelServer is not started"
            raise RuntimeError(message)
        if self._site is None:
            self._site = web.TCPSite(self._runner, HOST, self.port, reuse_address=True)
            await self._site.start()
            self.port = self._runner.addresses[0][1]

    def reset(self) -> None:
        """Forget scripted answers, responders and recorded requests."""
        for script in (self.chat, self.embeddings, self.models_queue, self.speech, self.transcriptions):
            script.clear()
        self.requests.clear()

    async def __aenter__(self) -> Self:
        """Start the server."""
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        """Stop the server."""
        await self.stop()

    def _bodies(self, path: str) -> list[JSONBody]:
        return [r.json for r in self.requests if r.path == path and r.json is not None]

    def _new_id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}{self._ids:06d}"

    async def _record(self, request: web.Request) -> RecordedRequest:
        try:
            body = await request.json() if request.can_read_body else None
        except ValueError:
            body = None
        recorded = RecordedRequest(
            request.method,
            request.path,
            dict(request.headers),
            body if isinstance(body, dict) else None,
        )
        self.requests.append(recorded)
        self.request_times.setdefault(request.path, []).append(time.monotonic())
        return recorded

    def _denied(self, request: web.Request) -> web.Response | None:
        if self.api_key is None:
            return None
        if request.headers.get("Authorization") == f"Bearer {self.api_key}":
            return None
        return Fault.unauthorized().render()

    async def _answer[T: Delayed](
        self, request: web.Request, script: Script[T]
    ) -> tuple[JSONBody, T] | web.Response:
        """Record ``request`` and pick its answer; a response means it is already answered."""
        recorded = await self._record(request)
        if (denied := self._denied(request)) is not None:
            return denied
        answer = await script.next(recorded)
        if isinstance(answer, Fault):
            return answer.render()
        return recorded.json or {}, answer

    async def _handle_models(self, request: web.Request) -> web.StreamResponse:
        if isinstance(answered := await self._answer(request, self.models_queue), web.Response):
            return answered
        ids = answered[1].ids
        data = [{"id": i, "object": "model", "created": 0, "owned_by": "test"} for i in ids]
        return web.json_response({"object": "list", "data": data})

    @property
    def speech_requests(self) -> list[JSONBody]:
        """The JSON bodies of the speech requests, in order."""
        return self._bodies("/v1/audio/speech")

    @property
    def transcription_requests(self) -> list[JSONBody]:
        """The form fields of the transcription requests (the file as its size in bytes)."""
        return self._bodies("/v1/audio/transcriptions")

    async def _handle_speech(self, request: web.Request) -> web.StreamResponse:
        if isinstance(answered := await self._answer(request, self.speech), web.Response):
            return answered
        body, answer = answered
        if answer.body is not None:
            return web.Response(body=answer.body, content_type="application/octet-stream")
        seconds = len(str(body.get("input", ""))) / answer.characters_per_second
        if body.get("response_format") == "mp3":
            return web.Response(body=b"\xff\xfb\x90\x00" * int(seconds * 100), content_type="audio/mpeg")
        return web.Response(body=wav_tone(seconds, answer.rate), content_type="audio/wav")

    async def _handle_transcriptions(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        fields: JSONBody = {
            key: (len(value.file.read()) if isinstance(value, web.FileField) else value)
            for key, value in form.items()
        }
        recorded = RecordedRequest(request.method, request.path, dict(request.headers), fields)
        self.requests.append(recorded)
        if (denied := self._denied(request)) is not None:
            return denied
        answer = await self.transcriptions.next(recorded)
        if isinstance(answer, Fault):
            return answer.render()
        return web.json_response({"text": answer.text})

    async def _handle_voices(self, request: web.Request) -> web.StreamResponse:
        await self._record(request)
        if self.voices is None:
            return web.json_response(error_body("Not found", 404), status=404)
        return web.json_response({"voices": self.voices})

    async def _handle_embeddings(self, request: web.Request) -> web.StreamResponse:
        if isinstance(answered := await self._answer(request, self.embeddings), web.Response):
            return answered
        body, answer = answered
        texts = _embedding_inputs(body)
        vectors = answer.vectors or [embed_text(t, self.embedding_dimensions) for t in texts]
        data = [
            {"object": "embedding", "index": i, "embedding": _encode_vector(v, body.get("encoding_format"))}
            for i, v in enumerate(vectors)
        ]
        usage = {"prompt_tokens": answer.prompt_tokens, "total_tokens": answer.prompt_tokens}
        model = body.get("model", DEFAULT_MODELS[1])
        return web.json_response({"object": "list", "data": data, "model": model, "usage": usage})

    async def _handle_chat(self, request: web.Request) -> web.StreamResponse:
        if isinstance(answered := await self._answer(request, self.chat), web.Response):
            return answered
        body, answer = answered
        ids = [call.id or self._new_id("call_") for call in answer.tool_calls]
        model = answer.model or body.get("model", "")
        completion = _Completion(self._new_id("chatcmpl-"), model, _wants_usage(body))
        if body.get("stream") is True:
            return await self._stream(request, answer, completion, ids)
        message = _message(answer, ids)
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": answer.finish()}
        payload = completion.envelope("chat.completion", [choice])
        return web.json_response(payload | {"usage": answer.usage.as_dict()})

    async def _stream(
        self, request: web.Request, reply: Reply, completion: _Completion, ids: list[str]
    ) -> web.StreamResponse:
        events = [json.dumps(completion.chunk(delta)) for delta in _deltas(reply, ids)]
        events.append(json.dumps(completion.chunk({}, reply.finish())))
        if completion.include_usage:
            events.append(json.dumps(completion.usage_chunk(reply.usage)))
        if reply.malformed:
            events.insert(max(1, len(events) // 2), '{"id": "broken", "choices": [')
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        for number, event in enumerate([*events, "[DONE]"]):
            if reply.cut_after is not None and number >= min(reply.cut_after, len(events)):
                return self._cut(request, response)
            if number and reply.chunk_delay > 0:
                await asyncio.sleep(reply.chunk_delay)
            await response.write(f"data: {event}\n\n".encode())
        await response.write_eof()
        return response

    @staticmethod
    def _cut(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
        """Drop the connection mid-body: the client sees an incomplete chunked read."""
        if request.transport is not None:
            request.transport.close()
        return response
