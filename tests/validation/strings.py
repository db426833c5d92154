"""strings.json and translations (S1-S5), as hassfest's translations validator checks them."""

import ast
from collections.abc import Iterator
import importlib
import importlib.metadata
from pathlib import Path
from typing import Any
from unittest.mock import MagicMock

import probatio as pb

from custom_components.aiassist.const import DOMAIN
from homeassistant import config_entries
from homeassistant.const import Platform
from homeassistant.exceptions import HomeAssistantError
from homeassistant.generated.languages import LANGUAGES
from homeassistant.helpers import config_validation as cv

from .common import (
    COMPONENTS,
    LITERALS,
    PACKAGE,
    REFERENCE,
    SERVICES,
    SOURCES,
    STRINGS,
    TRANSLATIONS,
    Errors,
    called_name,
    calls_in,
    keyword_arg,
    mapping_of,
    module_name_of,
    placeholders_in,
    read_json,
    relative,
    report_invalid,
    static_dict_keys,
    static_value,
    text_schema,
    translation_key_schema,
)
from .services import service_fields_of


def _data_description_in_data(flow: dict[str, Any]) -> dict[str, Any]:
    for step_id, step in flow["step"].items():
        if extra := set(step.get("data_description", {})) - set(step.get("data", {})):
            raise pb.Invalid(f"step.{step_id}.data_description has keys not in data: {sorted(extra)}")
    return flow


def _flow_schema(*, subentry: bool = False, config: bool = False) -> pb.All:
    texts = mapping_of(str, text_schema)
    step = {
        pb.Optional("title"): text_schema,
        pb.Optional("description"): text_schema,
        pb.Optional("data"): texts,
        pb.Optional("data_description"): texts,
        pb.Optional("menu_options"): texts,
        pb.Optional("menu_option_descriptions"): texts,
        pb.Optional("submit"): text_schema,
        pb.Optional("sections"): mapping_of(
            str,
            {
                pb.Optional("name"): text_schema,
                pb.Optional("description"): text_schema,
                pb.Optional("data"): texts,
                pb.Optional("data_description"): texts,
            },
        ),
    }
    schema: dict[Any, Any] = {
        pb.Required("step"): mapping_of(str, step),
        pb.Optional("flow_title"): text_schema,
        pb.Optional("error"): texts,
        pb.Optional("abort"): texts,
        pb.Optional("progress"): texts,
        pb.Optional("create_entry"): texts,
    }
    initiate = {pb.Optional("reconfigure"): text_schema}
    if subentry:
        schema[pb.Required("entry_type")] = text_schema
        schema[pb.Required("initiate_flow")] = {pb.Required("user"): text_schema, **initiate}
    elif config:
        schema[pb.Optional("entry_type")] = text_schema
        schema[pb.Optional("initiate_flow")] = {pb.Optional("user"): text_schema, **initiate}
    return pb.All(pb.Schema(schema), _data_description_in_data)


def _issue(value: Any) -> Any:
    if isinstance(value, dict) and ("description" in value) == ("fix_flow" in value):
        raise pb.Invalid("an issue needs a description or a fix_flow, not both")
    return pb.Schema(
        {
            pb.Required("title"): text_schema,
            pb.Optional("description"): text_schema,
            pb.Optional("fix_flow"): _flow_schema(),
        }
    )(value)


_STATES = mapping_of(translation_key_schema, text_schema)
STRINGS_SCHEMA = pb.Schema(
    {
        pb.Optional("title"): text_schema,
        pb.Optional("common"): mapping_of(cv.slug, text_schema),
        pb.Optional("config"): _flow_schema(config=True),
        pb.Optional("options"): _flow_schema(),
        pb.Optional("config_subentries"): mapping_of(cv.slug, _flow_schema(subentry=True)),
        pb.Optional("selector"): mapping_of(translation_key_schema, {pb.Required("options"): _STATES}),
        pb.Optional("device_automation"): {
            pb.Optional(section): mapping_of(str, text_schema)
            for section in (
                "action_type",
                "condition_type",
                "trigger_type",
                "trigger_subtype",
                "extra_fields",
                "extra_fields_descriptions",
            )
        },
        pb.Optional("system_health"): {pb.Optional("info"): _STATES},
        pb.Optional("application_credentials"): {pb.Optional("description"): text_schema},
        pb.Optional("issues"): mapping_of(translation_key_schema, _issue),
        pb.Optional("device"): mapping_of(translation_key_schema, {pb.Optional("name"): text_schema}),
        pb.Optional("entity"): mapping_of(
            pb.In([platform.value for platform in Platform]),
            mapping_of(
                translation_key_schema,
                {
                    pb.Optional("name"): text_schema,
                    pb.Optional("state"): _STATES,
                    pb.Optional("state_attributes"): mapping_of(
                        translation_key_schema,
                        {pb.Optional("name"): text_schema, pb.Optional("state"): _STATES},
                    ),
                    pb.Optional("unit_of_measurement"): text_schema,
                },
            ),
        ),
        pb.Optional("exceptions"): mapping_of(cv.slug, {pb.Required("message"): text_schema}),
        pb.Optional("services"): mapping_of(
            cv.slug,
            {
                pb.Required("name"): text_schema,
                pb.Required("description"): text_schema,
                pb.Optional("fields"): mapping_of(
                    translation_key_schema,
                    {
                        pb.Required("name"): text_schema,
                        pb.Required("description"): text_schema,
                        pb.Optional("example"): text_schema,
                    },
                ),
                pb.Optional("sections"): mapping_of(
                    translation_key_schema,
                    {pb.Required("name"): text_schema, pb.Optional("description"): text_schema},
                ),
            },
        ),
        pb.Optional("conversation"): {pb.Required("agent"): {pb.Required("done"): text_schema}},
    },
    extra=pb.PREVENT_EXTRA,
)


def check_strings_schema() -> Errors:
    """S1, S2 for strings.json and every translation."""
    errors = Errors()
    report_invalid(STRINGS, STRINGS_SCHEMA, "strings.json", errors)
    for path, translation in TRANSLATIONS.items():
        report_invalid(translation, STRINGS_SCHEMA, relative(path), errors)
    return errors


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            flat |= _flatten(value, f"{prefix}{key}.")
        else:
            flat[prefix + key] = value
    return flat


def _resolve(text: Any, errors: Errors, depth: int = 0) -> Any:
    """Resolve a [%key:...%] reference the way HA's translation build would."""
    if not isinstance(text, str) or not (match := REFERENCE.fullmatch(text)):
        return text
    parts = match.group(1).split("::")
    if parts[0] != "component" or len(parts) < 3 or depth > 3:
        errors.add("strings.json", f"{text} cannot be resolved here; write the text itself")
        return text
    if parts[1] == DOMAIN:
        tree: Any = STRINGS
    elif (COMPONENTS / parts[1] / "translations" / "en.json").is_file():
        tree = read_json(COMPONENTS / parts[1] / "translations" / "en.json")
    else:
        errors.add("strings.json", f"{text}: no integration {parts[1]}")
        return text
    for part in parts[2:]:
        if not isinstance(tree, dict) or part not in tree:
            errors.add("strings.json", f"{text}: no such key")
            return text
        tree = tree[part]
    return _resolve(tree, errors, depth + 1)


def check_translations() -> Errors:
    """S3."""
    errors = Errors()
    strings = _flatten(STRINGS)
    resolved = {key: _resolve(text, errors) for key, text in strings.items()}
    for path, translation in TRANSLATIONS.items():
        where = relative(path)
        if path.stem not in LANGUAGES:
            errors.add(where, f"{path.stem!r} is not a language Home Assistant knows")
        flat = _flatten(translation)
        for key in sorted(strings.keys() - flat.keys()):
            errors.add(where, f"{key} is missing")
        for key in sorted(flat.keys() - strings.keys()):
            errors.add(where, f"{key} is not in strings.json")
        for key, text in flat.items():
            if isinstance(text, str) and REFERENCE.search(text):
                errors.add(where, f"{key}: HA does not resolve [%key:...%] for custom integrations")
            if key in strings and placeholders_in(text) != placeholders_in(resolved[key]):
                errors.add(
                    where,
                    f"{key}: placeholders {sorted(placeholders_in(text))} "
                    f"differ from strings.json's {sorted(placeholders_in(resolved[key]))}",
                )
        if path.stem == "en":
            for key in sorted(strings.keys() & flat.keys()):
                if flat[key] != resolved[key]:
                    errors.add(where, f"{key} differs from strings.json")
    return errors


def _flow_sections() -> dict[type, tuple[str, ...]]:
    """Each flow class of config_flow.py and the path of its strings."""
    module = importlib.import_module(f"{PACKAGE}.config_flow")
    classes = [
        cls for cls in vars(module).values() if isinstance(cls, type) and cls.__module__ == module.__name__
    ]
    sections: dict[type, tuple[str, ...]] = {}
    for cls in classes:
        if issubclass(cls, config_entries.ConfigFlow):
            sections[cls] = ("config",)
            for subentry_type, flow in cls.async_get_supported_subentry_types(MagicMock()).items():
                sections[flow] = ("config_subentries", subentry_type)
        elif issubclass(cls, config_entries.OptionsFlow):
            sections[cls] = ("options",)
    return sections


MODULE_FILES = {module_name_of(path): path for path in SOURCES}


def _class_node(cls: type) -> tuple[Path, ast.ClassDef]:
    """The file and the syntax tree of one of our classes."""
    path = MODULE_FILES[cls.__module__]
    node = next(
        node
        for node in ast.walk(SOURCES[path])
        if isinstance(node, ast.ClassDef) and node.name == cls.__name__
    )
    return path, node


def check_flows() -> Errors:
    """S4."""
    errors = Errors()
    sections = _flow_sections()
    for section in {"config", "options", "config_subentries"} & STRINGS.keys():
        known = {path_[: 2 if section == "config_subentries" else 1] for path_ in sections.values()}
        names = (
            [(section, key) for key in STRINGS[section]] if section == "config_subentries" else [(section,)]
        )
        for name in names:
            if name not in known:
                errors.add("strings.json", f"{'.'.join(name)}: no flow of config_flow.py uses these strings")
    for cls, section in sections.items():
        where = "strings.json: " + ".".join(section)
        path, class_node = _class_node(cls)
        flow_literals = {
            node.value
            for node in ast.walk(SOURCES[path])
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        }
        strings: dict[str, Any] = STRINGS
        for part in section:
            strings = strings.get(part, {})
        steps = strings.get("step", {})
        for step_id in steps:
            if not hasattr(cls, f"async_step_{step_id}"):
                errors.append(f"{where}.step.{step_id}: {cls.__name__} has no async_step_{step_id}")
        for key in strings.get("error", {}):
            if key not in flow_literals:
                errors.append(f"{where}.error.{key}: {relative(path)} never shows this error")
        for call in calls_in(class_node):
            step_id = static_value(keyword_arg(call, "step_id"), path)
            if isinstance(step_id, str):
                if step_id not in steps:
                    errors.append(f"{where}.step.{step_id}: missing; {cls.__name__} shows this step")
                else:
                    step = steps[step_id]
                    used = placeholders_in(
                        step.get("title"), step.get("description"), *step.get("data_description", {}).values()
                    )
                    given = static_dict_keys(keyword_arg(call, "description_placeholders"), path)
                    if given is None and keyword_arg(call, "description_placeholders") is None:
                        given = set()
                    if given is not None and given != used:
                        errors.append(
                            f"{where}.step.{step_id}: uses placeholders {sorted(used)}, "
                            f"{cls.__name__} gives {sorted(given)}"
                        )
            reason = static_value(keyword_arg(call, "reason"), path)
            if (
                called_name(call) == "async_abort"
                and isinstance(reason, str)
                and reason not in strings.get("abort", {})
            ):
                errors.append(f"{where}.abort.{reason}: missing; {cls.__name__} aborts with it")
        for node in ast.walk(class_node):
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.targets[0], ast.Subscript)
                and isinstance(node.targets[0].value, ast.Name)
                and node.targets[0].value.id == "errors"
                and isinstance(error := static_value(node.value, path), str)
                and error not in strings.get("error", {})
            ):
                errors.append(f"{where}.error.{error}: missing; {cls.__name__} shows it")
    return errors


def _translation_calls() -> Iterator[tuple[Path, str, str, ast.Call]]:
    """(file, kind, key, call) for each call passing a static translation_key."""
    for path, tree in SOURCES.items():
        for call in calls_in(tree):
            key = static_value(keyword_arg(call, "translation_key"), path)
            if not isinstance(key, str):
                continue
            if called_name(call) == "async_create_issue":
                yield path, "issues", key, call
            elif called_name(call).endswith("SelectorConfig"):
                yield path, "selector", key, call
            elif keyword_arg(call, "translation_domain") is not None:
                yield path, "exceptions", key, call


def _exception_classes() -> Iterator[tuple[str, type]]:
    """Our HomeAssistantError classes that carry their translation key as `key`."""
    for path in SOURCES:
        module = importlib.import_module(module_name_of(path))
        for cls in vars(module).values():
            if (
                isinstance(cls, type)
                and issubclass(cls, HomeAssistantError)
                and cls.__module__ == module.__name__
                and isinstance(key := vars(cls).get("key"), str)
            ):
                yield key, cls


def check_exceptions_and_issues() -> Errors:
    """S5."""
    errors = Errors()
    for path, kind, key, call in _translation_calls():
        where = f"strings.json: {kind}.{key}"
        if key not in STRINGS.get(kind, {}):
            errors.append(f"{where}: missing; {relative(path)} uses it")
            continue
        entry = STRINGS[kind][key]
        used = placeholders_in(*(entry.values() if kind != "selector" else []))
        given = static_dict_keys(keyword_arg(call, "translation_placeholders"), path)
        if given is None and keyword_arg(call, "translation_placeholders") is None:
            given = set()
        if kind != "selector" and given is not None and given != used:
            errors.append(
                f"{where}: uses placeholders {sorted(used)}, {relative(path)} gives {sorted(given)}"
            )
    for key, cls in _exception_classes():
        if key not in STRINGS.get("exceptions", {}):
            errors.append(f"strings.json: exceptions.{key}: missing; {cls.__name__} raises it")
    service_selectors = {
        field.get("selector", {}).get("select", {}).get("translation_key")
        for service in SERVICES.values()
        for field in service_fields_of(service).values()
    }
    for kind in ("exceptions", "issues", "selector"):
        for key in STRINGS.get(kind, {}):
            if key not in LITERALS and not (kind == "selector" and key in service_selectors):
                errors.append(f"strings.json: {kind}.{key}: not used by the code")
    return errors
