"""services.yaml (V1-V5), icons.json and entity translation keys (I1-I2), as hassfest checks them."""

import ast
from collections.abc import Iterator
import importlib
import importlib.metadata
from pathlib import Path
import re
from types import SimpleNamespace
from typing import Any

import probatio as pb

from custom_components.aiassist.const import DOMAIN
from homeassistant.const import Platform
from homeassistant.helpers import config_validation as cv, selector

from .common import (
    ICONS,
    SERVICES,
    SOURCES,
    STRINGS,
    Errors,
    mapping_of,
    module_name_of,
    placeholders_in,
    relative,
    report_invalid,
    static_dict_keys,
    static_value,
    translation_key_schema,
)


def _not_none(value: Any) -> Any:
    if value is None:
        raise pb.Invalid("value cannot be empty")
    return value


_FIELD = {
    pb.Optional("example"): _not_none,
    pb.Optional("default"): _not_none,
    pb.Optional("required"): bool,
    pb.Optional("advanced"): bool,
    pb.Optional("selector"): selector.validate_selector,
    pb.Optional("filter"): dict,
}
_SECTION = {pb.Required("fields"): mapping_of(translation_key_schema, _FIELD), pb.Optional("collapsed"): bool}


def _field_or_section(value: Any) -> Any:
    return pb.Schema(_SECTION if isinstance(value, dict) and "fields" in value else _FIELD)(value)


SERVICES_SCHEMA = pb.Schema(
    mapping_of(
        cv.slug,
        pb.Any(
            None,
            pb.Schema(
                {
                    pb.Optional("target"): pb.Any(None, selector.TargetSelector.CONFIG_SCHEMA),
                    pb.Optional("fields"): mapping_of(translation_key_schema, _field_or_section),
                }
            ),
        ),
    )
)


def _icon(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"mdi:[a-z0-9]+(?:-[a-z0-9]+)*", value):
        raise pb.Invalid(f"{value!r} is not an icon of the form mdi:name")
    return value


def _no_state_icon_as_default(icons: dict[str, Any]) -> dict[str, Any]:
    for key, entry in icons.items():
        for state, icon in entry.get("state", {}).items():
            if icon == entry.get("default"):
                raise pb.Invalid(f"{key}.state.{state} repeats the default icon")
    return icons


ICONS_SCHEMA = pb.Schema(
    {
        pb.Optional("entity"): mapping_of(
            pb.In([platform.value for platform in Platform]),
            pb.All(
                mapping_of(
                    translation_key_schema,
                    {
                        pb.Optional("default"): _icon,
                        pb.Optional("state"): mapping_of(translation_key_schema, _icon),
                        pb.Optional("state_attributes"): mapping_of(
                            translation_key_schema,
                            {
                                pb.Optional("default"): _icon,
                                pb.Optional("state"): mapping_of(translation_key_schema, _icon),
                            },
                        ),
                        pb.Optional("range"): mapping_of(str, _icon),
                    },
                ),
                _no_state_icon_as_default,
            ),
        ),
        pb.Optional("services"): mapping_of(
            cv.slug,
            {
                pb.Required("service"): _icon,
                pb.Optional("sections"): mapping_of(translation_key_schema, _icon),
            },
        ),
        pb.Optional("config"): dict,
        pb.Optional("options"): dict,
        pb.Optional("issues"): dict,
    },
    extra=pb.PREVENT_EXTRA,
)


def service_fields_of(service: dict[str, Any] | None) -> dict[str, Any]:
    """A service's fields, those in sections included."""
    fields: dict[str, Any] = {}
    for name, field in ((service or {}).get("fields") or {}).items():
        fields |= field["fields"] if isinstance(field, dict) and "fields" in field else {name: field or {}}
    return fields


def _service_sections(service: dict[str, Any] | None) -> set[str]:
    return {
        name
        for name, field in ((service or {}).get("fields") or {}).items()
        if isinstance(field, dict) and "fields" in field
    }


def check_services() -> Errors:
    """V1-V4."""
    errors = Errors()
    report_invalid(SERVICES, SERVICES_SCHEMA, "services.yaml", errors)
    strings = STRINGS.get("services", {})
    for name in sorted(strings.keys() - SERVICES.keys()):
        errors.add("strings.json", f"services.{name}: no such service in services.yaml")
    icons = ICONS.get("services", {})
    for name in sorted(icons.keys() - SERVICES.keys()):
        errors.add("icons.json", f"services.{name}: no such service in services.yaml")
    for name, service in SERVICES.items():
        if name not in icons:
            errors.add("icons.json", f"services.{name}: no icon")
        for key in ("name", "description"):
            if key in (service or {}):
                errors.add("services.yaml", f"{name}.{key}: belongs in strings.json, where it translates")
        if name not in strings:
            errors.add("strings.json", f"services.{name}: missing (name, description)")
            continue
        fields = service_fields_of(service)
        for field in sorted(fields.keys() - strings[name].get("fields", {}).keys()):
            errors.add("strings.json", f"services.{name}.fields.{field}: missing (name, description)")
        for field in sorted(strings[name].get("fields", {}).keys() - fields.keys()):
            errors.add("strings.json", f"services.{name}.fields.{field}: no such field in services.yaml")
        sections = _service_sections(service)
        for section in sorted(sections ^ strings[name].get("sections", {}).keys()):
            errors.add("strings.json", f"services.{name}.sections.{section}: differs from services.yaml")
        for section in sorted(sections - icons.get(name, {}).get("sections", {}).keys()):
            errors.add("icons.json", f"services.{name}.sections.{section}: no icon")
        for field_name, field in fields.items():
            for key in ("name", "description"):
                if key in field:
                    errors.add("services.yaml", f"{name}.fields.{field_name}.{key}: belongs in strings.json")
            select = (field.get("selector") or {}).get("select") or {}
            if (translation_key := select.get("translation_key")) is None:
                continue
            where = f"{name}.fields.{field_name}"
            options = [option if isinstance(option, str) else option["value"] for option in select["options"]]
            translated = STRINGS.get("selector", {}).get(translation_key, {}).get("options", {})
            if set(options) != set(translated):
                errors.add(
                    "strings.json",
                    f"selector.{translation_key}.options: {sorted(translated)} != {where}: {options}",
                )
            if "default" in field and field["default"] not in options:
                errors.add("services.yaml", f"{where}.default {field['default']!r} is not an option")
    return errors


class _ServiceRecorder:
    def __init__(self) -> None:
        self.registered: dict[str, Any] = {}

    def async_register(
        self, domain: str, service: str, handler: Any, schema: Any = None, **kwargs: Any
    ) -> None:
        assert domain == DOMAIN
        self.registered[service] = schema


def _registered_services() -> dict[str, Any]:
    """What the code registers: async_setup_services run against a recorder."""
    recorder = _ServiceRecorder()
    for path in SOURCES:
        setup = getattr(importlib.import_module(module_name_of(path)), "async_setup_services", None)
        if callable(setup):
            setup(SimpleNamespace(services=recorder))
    return recorder.registered


def check_services_code() -> Errors:
    """V5."""
    errors = Errors()
    registered = _registered_services()
    for name in sorted(registered.keys() ^ SERVICES.keys()):
        errors.add(
            "services.yaml", f"{name}: {'not in' if name in registered else 'not registered by'} the code"
        )
    for name in sorted(registered.keys() & SERVICES.keys()):
        markers = {str(marker): marker for marker in getattr(registered[name], "schema", {})}
        fields = service_fields_of(SERVICES[name])
        for field in sorted(markers.keys() ^ fields.keys()):
            errors.add("services.yaml", f"{name}.fields.{field}: differs from the schema the code registers")
        for field in sorted(markers.keys() & fields.keys()):
            marker, yaml_field = markers[field], fields[field]
            if isinstance(marker, pb.Required) != bool(yaml_field.get("required")):
                errors.add("services.yaml", f"{name}.fields.{field}.required differs from the code's schema")
            if marker.default is not pb.UNDEFINED and yaml_field.get("default") != marker.default():
                errors.add("services.yaml", f"{name}.fields.{field}.default differs from the code's schema")
    return errors


def check_icons() -> Errors:
    """I1."""
    errors = Errors()
    report_invalid(ICONS, ICONS_SCHEMA, "icons.json", errors)
    return errors


def _entity_keys() -> Iterator[tuple[Path, str, str, set[str] | None]]:
    """(file, platform, key, placeholders given) for each static _attr_translation_key."""
    for path, tree in SOURCES.items():
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            for statements in (body, getattr(node, "orelse", None)):
                if not isinstance(statements, list):
                    continue
                key = None
                for statement in statements:
                    if not isinstance(statement, ast.Assign | ast.AnnAssign):
                        continue
                    target = statement.targets[0] if isinstance(statement, ast.Assign) else statement.target
                    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
                    if name == "_attr_translation_key" and isinstance(
                        static_value(statement.value, path), str
                    ):
                        key = static_value(statement.value, path)
                        yield path, path.stem, key, None
                    elif name == "_attr_translation_placeholders" and key is not None:
                        yield path, path.stem, key, static_dict_keys(statement.value, path)


def check_entities() -> Errors:
    """I2."""
    errors = Errors()
    used: dict[str, set[str]] = {}
    given: dict[tuple[str, str], set[str] | None] = {}
    for path, platform, key, placeholders in _entity_keys():
        if platform not in {p.value for p in Platform}:
            errors.add(relative(path), f"sets translation_key {key!r} outside a platform module")
            continue
        used.setdefault(platform, set()).add(key)
        if placeholders is not None or (platform, key) not in given:
            given[(platform, key)] = placeholders
    for source, tree in (
        ("strings.json", STRINGS.get("entity", {})),
        ("icons.json", ICONS.get("entity", {})),
    ):
        for platform in sorted(used.keys() | tree.keys()):
            for key in sorted(used.get(platform, set()) - tree.get(platform, {}).keys()):
                errors.add(source, f"entity.{platform}.{key}: missing; the code uses it")
            for key in sorted(tree.get(platform, {}).keys() - used.get(platform, set())):
                errors.add(source, f"entity.{platform}.{key}: not used by the code")
    for (platform, key), placeholders in given.items():
        wanted = placeholders_in(STRINGS.get("entity", {}).get(platform, {}).get(key, {}).get("name"))
        if (placeholders or set()) != wanted:
            errors.add(
                "strings.json",
                f"entity.{platform}.{key}.name uses placeholders {sorted(wanted)}, "
                f"the code gives {sorted(placeholders or set())}",
            )
    return errors
