"""A tiny OpenAI-compatible "demo model" server for script/develop.

It lets Home Assistant load the aiassist integration without a real model server. It
answers the three endpoints the integration uses, with one model, `demo-model`:

- GET  /v1/models (and /v1/models/{id})
- POST /v1/chat/completions, plain or streamed (`"stream": true`, server-sent events):
  a short canned answer quoting the last user message; it never calls tools.
- POST /v1/embeddings: small deterministic vectors (float or base64 encoding).

Run it with the repository's venv (it only needs aiohttp):
    .venv/bin/python config/demo_model.py [--host 127.0.0.1] [--port 11435]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import logging
import math
import re
import struct
import time
import uuid
from typing import Any

from aiohttp import web

MODEL = "demo-model"
EMBEDDING_DIMENSIONS = 16
CREATED = 1_700_000_000

_LOGGER = logging.getLogger("demo_model")


def _error(status: int, message: str, kind: str = "invalid_request_error") -> web.Response:
    """Return an error in OpenAI's format."""
    return web.json_response(
        {"error": {"message": message, "type": kind, "param": None, "code": None}},
        status=status,
    )


def _model_info(model_id: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": CREATED, "owned_by": "aiassist-develop"}


def _text(content: Any) -> str:
    """Return the text of a message's content: a string or a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(part.get("text", "") for part in content if isinstance(part, dict)).strip()
    return ""


def _answer(messages: list[dict[str, Any]]) -> str:
    """Return the canned answer to a conversation."""
    said = next(
        (_text(msg.get("content")) for msg in reversed(messages) if msg.get("role") == "user"),
        "",
    )
    # AI Assist puts the request's situation before the user's words.
    said = re.sub(r"(?s)<context>.*?</context>", "", said)
    said = " ".join(said.split())
    if len(said) > 120:
        said = said[:117] + "..."
    if not said:
        return "Hello from the demo model."
    return f'Demo model here. You said: "{said}". Start script/develop with --url for real answers.'


def _usage(prompt: str, completion: str) -> dict[str, int]:
    prompt_tokens = max(1, len(prompt) // 4)
    completion_tokens = max(1, len(completion) // 4)
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


async def _read_json(request: web.Request) -> dict[str, Any] | None:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


async def list_models(request: web.Request) -> web.Response:
    """GET /v1/models."""
    return web.json_response({"object": "list", "data": [_model_info(MODEL)]})


async def get_model(request: web.Request) -> web.Response:
    """GET /v1/models/{model}."""
    model_id = request.match_info["model"]
    if model_id != MODEL:
        return _error(404, f"The model '{model_id}' does not exist", "not_found_error")
    return web.json_response(_model_info(model_id))


async def chat_completions(request: web.Request) -> web.StreamResponse:
    """POST /v1/chat/completions."""
    body = await _read_json(request)
    if body is None or not isinstance(body.get("messages"), list):
        return _error(400, "Expected a JSON body with a 'messages' list")
    messages: list[dict[str, Any]] = [m for m in body["messages"] if isinstance(m, dict)]
    model = str(body.get("model") or MODEL)
    answer = _answer(messages)
    prompt = " ".join(_text(m.get("content")) for m in messages)
    completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    created = int(time.time())
    _LOGGER.info("chat (%s, stream=%s): %s", model, bool(body.get("stream")), answer)

    if not body.get("stream"):
        return web.json_response(
            {
                "id": completion_id,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": answer, "refusal": None},
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": _usage(prompt, answer),
            }
        )

    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    await response.prepare(request)

    async def send(choices: list[dict[str, Any]], **extra: Any) -> None:
        chunk = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": choices,
            **extra,
        }
        await response.write(f"data: {json.dumps(chunk)}\n\n".encode())

    def choice(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}

    await send([choice({"role": "assistant", "content": ""})])
    words = answer.split(" ")
    for i, word in enumerate(words):
        await send([choice({"content": word if i == 0 else f" {word}"})])
    await send([choice({}, "stop")])
    stream_options = body.get("stream_options")
    if isinstance(stream_options, dict) and stream_options.get("include_usage"):
        await send([], usage=_usage(prompt, answer))
    await response.write(b"data: [DONE]\n\n")
    await response.write_eof()
    return response


def _embedding(text: str, dimensions: int) -> list[float]:
    """Return a deterministic unit vector for a text."""
    values: list[float] = []
    counter = 0
    while len(values) < dimensions:
        digest = hashlib.sha256(f"{counter}:{text}".encode()).digest()
        values.extend((byte - 127.5) / 127.5 for byte in digest)
        counter += 1
    values = values[:dimensions]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [v / norm for v in values]


async def embeddings(request: web.Request) -> web.Response:
    """POST /v1/embeddings."""
    body = await _read_json(request)
    if body is None or "input" not in body:
        return _error(400, "Expected a JSON body with an 'input'")
    raw = body["input"]
    # A string, a list of strings, a list of token ids, or a list of lists of token ids.
    if isinstance(raw, str) or (isinstance(raw, list) and raw and isinstance(raw[0], int)):
        inputs = [raw]
    elif isinstance(raw, list):
        inputs = raw
    else:
        return _error(400, "'input' must be a string or a list")
    dimensions = body.get("dimensions") or EMBEDDING_DIMENSIONS
    if not isinstance(dimensions, int) or not 1 <= dimensions <= 4096:
        return _error(400, "'dimensions' must be an integer from 1 to 4096")
    as_base64 = body.get("encoding_format") == "base64"
    data = []
    for index, item in enumerate(inputs):
        vector = _embedding(json.dumps(item), dimensions)
        encoded: Any = vector
        if as_base64:
            encoded = base64.b64encode(struct.pack(f"<{dimensions}f", *vector)).decode()
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    text = " ".join(json.dumps(item) for item in inputs)
    usage = _usage(text, "")
    _LOGGER.info("embeddings: %d input(s)", len(inputs))
    return web.json_response(
        {
            "object": "list",
            "data": data,
            "model": str(body.get("model") or MODEL),
            "usage": {"prompt_tokens": usage["prompt_tokens"], "total_tokens": usage["prompt_tokens"]},
        }
    )


def make_app() -> web.Application:
    """Return the demo model's web application."""
    app = web.Application()
    app.router.add_get("/v1/models", list_models)
    app.router.add_get("/v1/models/{model}", get_model)
    app.router.add_post("/v1/chat/completions", chat_completions)
    app.router.add_post("/v1/embeddings", embeddings)
    return app


def main() -> None:
    """Serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=11435)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    web.run_app(
        make_app(),
        host=args.host,
        port=args.port,
        print=lambda _: _LOGGER.info("serving %s at http://%s:%d/v1", MODEL, args.host, args.port),
        access_log=None,
    )


if __name__ == "__main__":
    main()
