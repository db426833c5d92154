"""A tiny OpenAI-compatible "demo model" for script/develop: a few rules that really use the tools.

It lets a newcomer try AI Assist without a GPU or an account. It serves what the integration uses:

- GET  /v1/models (and /v1/models/{id}): the chat model `demo-model` and the embedding model
  `demo-embed` (for the memory's embedding model option).
- POST /v1/chat/completions, plain or streamed (`"stream": true`, server-sent events, with
  `stream_options.include_usage`): an answer from the rules below, in words or as tool calls
  (streamed as deltas, finish_reason "tool_calls"). After the tool results come back (role
  "tool") the same rule speaks one short sentence about them, success or error.
- POST /v1/embeddings (float or base64): hand-made concepts plus hashed words, so related words
  land near each other ("what should I cook" is nearer "Anna is vegetarian" than "Anna works at
  the hospital"); see demo_rules/embeddings.py.

The rules (demo_rules/), first match wins. A tool is only called when the request offers it
(matched by the end of its name, e.g. `intent__HassTurnOn`); it answers in Chinese when spoken to
in Chinese.

- learn: AI Assist's learning call (a transcript, JSON asked for) -> {"memories": [...]} with the
  lasting things people said, found as the remember rule finds them.
- forget: "forget that I hate coriander" -> aiassist__forget with the id of the closest memory
  in the context block (after aiassist__search_memories when the context has none).
- recall: "what do you remember about me" -> the memories of the context block (or a search).
- cook: "what should I cook tonight?", "what's for dinner", "今晚做什么菜" -> a dish that fits the
  diets, allergies and dislikes remembered ("Anna is vegetarian" -> a vegetable lasagna); when the
  context recalled none, it searches the memories first; without any, a generic dish.
- remember: "remember that I am vegetarian", "I'm vegetarian", "记住我是素食者" -> aiassist__remember
  {"text": "Anna is vegetarian", "about": "speaker" (or "household" for we/our), "kind": ...};
  an unknown speaker's error is answered by asking for their name. ("Remember to ..." is a
  reminder: it says it cannot set those.)
- weather: "what's the weather", "do I need an umbrella" -> a tool named like *weather or
  *get_forecast if offered, else GetLiveContext for the weather entity.
- date_and_time: "what time is it" -> GetDateTime, else the time in the context block.
- add_to_list: "add milk to the shopping list" -> HassListAddItem (or HassShoppingListAddItem).
- start_timer: "set a timer for 5 minutes" -> HassStartTimer (offered on timer-capable satellites).
- device_state: "is the kitchen light on?" -> GetLiveContext for those devices, then their states.
- control_devices: "turn on the kitchen light", "switch off the lights in the living room", "turn
  on the lights", "打开厨房的灯" -> HassTurnOn / HassTurnOff with {"name": "Kitchen Ceiling Light",
  "domain": ["light"]} or {"area": "Living Room", "domain": ["light"]}. Devices and areas come from
  the exposed entities the Assist API lists in the system prompt (or from GetLiveContext when the
  prompt has none), matched word by word with some tolerance; "the lights" means the area named,
  else the satellite's area from the context block ("You are in area Kitchen ..."), else it asks.
- anything else: a friendly sentence saying it is a demo model, with three things to try.

Run it with the repository's venv (it only needs aiohttp):
    .venv/bin/python config/demo_model.py [--host 127.0.0.1] [--port 11435]
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import struct
import time
from typing import Any
import uuid

from aiohttp import web
from demo_rules import DEFAULT_DIMENSIONS, Reply, embed, respond

MODEL = "demo-model"
EMBEDDING_MODEL = "demo-embed"
CREATED = 1_700_000_000
ARGUMENT_PIECE = 16  # characters of tool call arguments per streamed delta

_LOGGER = logging.getLogger("demo_model")


def _error(status: int, message: str, kind: str = "invalid_request_error") -> web.Response:
    """An error in OpenAI's format."""
    return web.json_response(
        {"error": {"message": message, "type": kind, "param": None, "code": None}}, status=status
    )


def _model_info(model_id: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": CREATED, "owned_by": "aiassist-develop"}


def _usage(prompt: str, completion: str) -> dict[str, int]:
    prompt_tokens, completion_tokens = max(1, len(prompt) // 4), max(1, len(completion) // 4)
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


async def _read_json(request: web.Request) -> dict[str, Any] | None:
    try:
        body = await request.json()
    except json.JSONDecodeError, UnicodeDecodeError:
        return None
    return body if isinstance(body, dict) else None


async def list_models(request: web.Request) -> web.Response:
    """GET /v1/models."""
    return web.json_response({"object": "list", "data": [_model_info(MODEL), _model_info(EMBEDDING_MODEL)]})


async def get_model(request: web.Request) -> web.Response:
    """GET /v1/models/{model}."""
    model_id = request.match_info["model"]
    if model_id not in (MODEL, EMBEDDING_MODEL):
        return _error(404, f"The model '{model_id}' does not exist", "not_found_error")
    return web.json_response(_model_info(model_id))


def _tool_calls(reply: Reply) -> list[dict[str, Any]]:
    return [
        {
            "id": f"call_{uuid.uuid4().hex[:24]}",
            "type": "function",
            "function": {"name": call.name, "arguments": json.dumps(call.arguments, ensure_ascii=False)},
        }
        for call in reply.calls
    ]


async def chat_completions(request: web.Request) -> web.StreamResponse:
    """POST /v1/chat/completions."""
    body = await _read_json(request)
    if body is None or not isinstance(body.get("messages"), list):
        return _error(400, "Expected a JSON body with a 'messages' list")
    reply = respond(body)
    calls = _tool_calls(reply)
    model = str(body.get("model") or MODEL)
    prompt = json.dumps(body["messages"], ensure_ascii=False)
    usage = _usage(prompt, reply.text + json.dumps(calls))
    finish_reason = "tool_calls" if calls else "stop"
    _LOGGER.info(
        "chat (stream=%s): %s",
        bool(body.get("stream")),
        "; ".join(f"{c['function']['name']}({c['function']['arguments']})" for c in calls) or reply.text,
    )
    completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    created = int(time.time())
    if not body.get("stream"):
        message: dict[str, Any] = {"role": "assistant", "content": reply.text or None, "refusal": None}
        if calls:
            message["tool_calls"] = calls
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}
        return web.json_response(
            {
                "id": completion_id,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "choices": [choice],
                "usage": usage,
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
        await response.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())

    def choice(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}

    await send([choice({"role": "assistant", "content": ""})])
    for i, word in enumerate(reply.text.split(" ") if reply.text else []):
        await send([choice({"content": word if i == 0 else f" {word}"})])
    for index, call in enumerate(calls):
        arguments = call["function"]["arguments"]
        head = {**call, "index": index, "function": {"name": call["function"]["name"], "arguments": ""}}
        await send([choice({"tool_calls": [head]})])
        for start in range(0, len(arguments), ARGUMENT_PIECE):
            piece = arguments[start : start + ARGUMENT_PIECE]
            await send([choice({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})])
    await send([choice({}, finish_reason)])
    stream_options = body.get("stream_options")
    if isinstance(stream_options, dict) and stream_options.get("include_usage"):
        await send([], usage=usage)
    await response.write(b"data: [DONE]\n\n")
    await response.write_eof()
    return response


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
    dimensions = body.get("dimensions") or DEFAULT_DIMENSIONS
    if not isinstance(dimensions, int) or not 1 <= dimensions <= 4096:
        return _error(400, "'dimensions' must be an integer from 1 to 4096")
    texts = [item if isinstance(item, str) else json.dumps(item) for item in inputs]
    data = []
    for index, text in enumerate(texts):
        vector: Any = embed(text, dimensions)
        if body.get("encoding_format") == "base64":
            vector = base64.b64encode(struct.pack(f"<{dimensions}f", *vector)).decode()
        data.append({"object": "embedding", "index": index, "embedding": vector})
    tokens = _usage(" ".join(texts), "")["prompt_tokens"]
    _LOGGER.info("embeddings: %d input(s)", len(texts))
    return web.json_response(
        {
            "object": "list",
            "data": data,
            "model": str(body.get("model") or EMBEDDING_MODEL),
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
    )


def make_app() -> web.Application:
    """The demo model's web application."""
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
