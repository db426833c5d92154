"""Tools as the model sees them, and tool calls as small local models actually write them."""

import ast
from collections.abc import Callable
import json
import re
from typing import Any, cast

from openai.types.chat import ChatCompletionFunctionToolParam
from openai.types.shared_params import FunctionDefinition
import probatio

from homeassistant.helpers import llm

from .const import DOMAIN

type JsonSchema = dict[str, Any]

_CODE_FENCE = re.compile(r"^```[a-zA-Z]*\s*|\s*```$")
# Keywords that some OpenAI-compatible servers (Ollama, llama.cpp grammars) reject or misread.
_DROPPED_KEYWORDS = frozenset({"$schema", "additionalProperties", "format", "default", "title"})


class ToolArgumentsError(ValueError):
    """The model's arguments cannot be read without guessing."""


def format_tool(
    tool: llm.Tool, custom_serializer: Callable[[Any], Any] | None
) -> ChatCompletionFunctionToolParam:
    """Describe a tool as HA core does, flattened so that small local models can fill it.

    Other integrations' tools are made compact: every request pays for them.
    """
    schema = probatio.to_openapi(
        tool.parameters, custom_serializer=custom_serializer, openapi_version="3.1.0"
    )
    parameters = flatten_schema(schema)
    parameters.setdefault("type", "object")
    parameters.setdefault("properties", {})
    description = tool.description
    if not tool.name.startswith(f"{DOMAIN}__"):
        parameters = compact_schema(parameters)
        description = first_sentence(description)
    function = FunctionDefinition(name=tool.name, parameters=parameters)
    if description:
        function["description"] = description
    return ChatCompletionFunctionToolParam(type="function", function=function)


def compact_schema(schema: JsonSchema) -> JsonSchema:
    """Leave out what says nothing the model needs.

    A `domain` that can only be one value (the tool is for that domain), the list of every
    device class (each device's class is shown with it), and what a parameter's type and
    range already say.
    """
    properties: dict[str, JsonSchema] = dict(schema.get("properties", {}))
    domain = properties.get("domain", {})
    if len(domain.get("items", domain).get("enum", ())) == 1:
        del properties["domain"]
        properties.pop("device_class", None)
    if "device_class" in properties:
        device_class = dict(properties["device_class"])
        if "items" in device_class:
            device_class["items"] = {k: v for k, v in device_class["items"].items() if k != "enum"}
        properties["device_class"] = {k: v for k, v in device_class.items() if k != "enum"}
    for name, prop in properties.items():
        if "description" in prop and "type" in prop:
            properties[name] = {k: v for k, v in prop.items() if k != "description"}
    compact = {**schema, "properties": properties}
    if required := [name for name in schema.get("required", []) if name in properties]:
        compact["required"] = required
    else:
        compact.pop("required", None)
    return compact


def first_sentence(text: str | None) -> str | None:
    """The first sentence: HA's descriptions go on with examples every request pays for."""
    if not text:
        return text
    head = re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]
    return head.rstrip(".")


def flatten_schema(schema: JsonSchema) -> JsonSchema:
    """Replace unions with one plain type and drop keywords local servers choke on.

    `str | list[str]` becomes the list (it accepts both meanings); any other union becomes
    its first non-null member. Nested objects and arrays are flattened the same way.
    """
    for union in ("anyOf", "oneOf"):
        if union in schema:
            options = [flatten_schema(option) for option in schema[union] if option.get("type") != "null"]
            rest = {k: v for k, v in schema.items() if k != union}
            arrays = [option for option in options if option.get("type") == "array"]
            chosen = arrays[0] if arrays else (options[0] if options else {"type": "string"})
            return flatten_schema({**chosen, **rest})
    flat: JsonSchema = {}
    for key, value in schema.items():
        if key in _DROPPED_KEYWORDS:
            continue
        if key == "type" and isinstance(value, list):
            value = next((kind for kind in value if kind != "null"), "string")
        elif key == "properties":
            value = {name: flatten_schema(prop) for name, prop in value.items()}
        elif key == "items" and isinstance(value, dict):
            value = flatten_schema(value)
        flat[key] = value
    return flat


def parse_arguments(text: str | None) -> dict[str, Any]:
    """Read tool arguments, repairing only mistakes whose intent is unambiguous.

    Accepted: valid JSON; JSON encoded twice (a JSON string holding the object); a code
    fence around it; text before or after one complete object; Python-style quoting.
    Anything else raises ToolArgumentsError with a message the model can act on.
    """
    text = _CODE_FENCE.sub("", (text or "").strip())
    if not text:
        return {}
    value: Any = _loads(text)
    if isinstance(value, str):
        value = _loads(value.strip())
    if not isinstance(value, dict):
        raise ToolArgumentsError(f"arguments must be a JSON object, got: {text[:200]}")
    return cast(dict[str, Any], value)


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    start = text.find("{")
    if start != -1:
        try:
            value, _end = json.JSONDecoder().raw_decode(text, start)
        except json.JSONDecodeError:
            pass
        else:
            return value
        try:
            return ast.literal_eval(text[start : text.rfind("}") + 1])
        except ValueError, SyntaxError, MemoryError, RecursionError:
            pass
    raise ToolArgumentsError(f"arguments are not valid JSON: {text[:200]}")
