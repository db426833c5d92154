"""The package as hassfest, HACS and the brands repository would check it.

hassfest cannot run here: it lives in Home Assistant core's repository (`script/hassfest`),
which neither the `homeassistant` wheel nor its sdist ships, and that repository cannot be
fetched offline. So these tests are our own implementation of the rules, written from
hassfest's validators (manifest, translations, services, icons, quality_scale, config_flow,
dependencies), HACS's (hacs.json and integration manifest schemas, core domain override) and
the brands repository's image rules, asked of the Home Assistant installed in .venv wherever it
can answer (integrations, selectors, platforms, languages, package constraints, the quality
scale rules of its own integrations, the brand view). No network is used.

Rules covered (a violation names its file and key):

manifest.json
  M1  JSON without duplicate keys (all JSON files).
  M2  Keys and types (hassfest custom-integration schema + HACS): only known keys;
      required domain, name, codeowners, documentation, issue_tracker, version, iot_class,
      integration_type; codeowners are GitHub users/teams starting with @; documentation and
      issue_tracker are https URLs (documentation on home-assistant.io only under
      /integrations/); iot_class and integration_type from hassfest's sets.
  M3  Key order: domain, name, then alphabetical.
  M4  domain equals the folder name and DOMAIN, is a valid domain, and is no core
      integration (HACS refuses to override one).
  M5  version is a valid AwesomeVersion in hassfest's strategies and, as HACS releases need,
      SemVer.
  M6  config_flow is true exactly when config_flow.py exists and defines a ConfigFlow for
      the domain.
  M7  dependencies and after_dependencies are real (non-virtual) HA integrations, unique, not
      the domain itself and not in both lists; every homeassistant.components.X the code
      imports is a dependency, an after_dependency, an entity platform, or homeassistant /
      diagnostics (hassfest dependencies).
  M8  requirements are PEP 508, unique, with a lower bound and NO `==`/`===` pin (HA's
      installer applies its own package constraints); the version installed for the tests and
      HA's own constraint for the package (package_constraints.txt) both fall in the range.
  M9  Every third-party module the code imports comes from a manifest requirement or from
      Home Assistant itself (its requirements or package constraints), never from a
      requirement's own dependencies (dependency transparency).

hacs.json (HACS's HACS_MANIFEST_JSON_SCHEMA and checks)
  H1  Only HACS's keys with their types (name required and non-empty; homeassistant and hacs
      valid versions, homeassistant CalVer; country ISO 3166 codes; zip_release needs
      filename).
  H2  Repository layout: hacs.json at the root, content_in_root not set, exactly one
      integration under custom_components/.
  H3  homeassistant (the minimum HA) is at least what the code needs (FEATURE_FLOORS: the
      brand/ folder 2026.3, probatio 2026.9, ConfigSubentryFlow._get_entry 2025.4) and no
      newer than the HA the tests run on.

strings.json and translations/*.json (hassfest translations)
  S1  Shape: only the sections and keys hassfest allows (title, common, config, options,
      config_subentries with entry_type and initiate_flow.user, selector.*.options,
      exceptions.*.message, issues with title and description or fix_flow, services with
      name/description/fields/sections, entity per platform with name/state/
      state_attributes, device, system_health, conversation...); data_description keys are in
      data; translation keys lowercase [a-z0-9_-] without leading/trailing/double separators.
  S2  Every string: non-empty, no leading or trailing whitespace, no HTML, no placeholder in
      single quotes, braces only as {placeholder}, a [%key:...%] reference only as the whole
      string.
  S3  Every translation file has exactly the keys of strings.json, the same placeholders per
      string, is in a language HA knows, and contains no [%key:...%] reference (HA does not
      resolve them for custom integrations); translations/en.json equals strings.json with
      its references resolved.
  S4  Config, options and subentry flows: every step in the strings is an async_step_ of its
      flow class; every literal step_id, abort reason and form error in the code is in the
      strings; every error in the strings is used by the code; description placeholders
      given by the code are the ones the step's strings use.
  S5  Exceptions and repair issues: every literal translation_key the code raises or files
      exists (also the `key` of our HomeAssistantError classes); every exception, issue,
      entity and selector key in the strings is used by the code or services.yaml;
      placeholders passed literally match the strings'.

services.yaml (hassfest services)
  V1  Schema: slug service names; fields with only example, default, required, advanced,
      selector, filter (+ sections); selectors valid for HA; no name/description in the yaml
      (they belong in strings.json so they translate).
  V2  Every service has name and description in strings.json and every field name and
      description, and the strings have no service, field or section the yaml lacks.
  V3  A select's translation_key is in strings.json selector with exactly its options, and
      its default is one of them.
  V4  Every service has an icon in icons.json and icons.json has no other services.
  V5  The services the code registers are those of services.yaml, with the same fields,
      required flags and defaults.

icons.json (hassfest icons)
  I1  Shape: entity per platform with default/state/state_attributes/range, services with
      service (+ sections); every icon `mdi:name`; no state icon equal to its default.
  I2  Every entity translation_key used in code is in strings.json entity and icons.json,
      for the platform of the module that sets it, and neither has keys the code does not
      use; entity name placeholders match the ones the code passes.

quality_scale.yaml (hassfest quality_scale)
  Q1  Lists every rule of HA's quality scale - the rules every core integration's
      quality_scale.yaml in the installed HA lists (a superset of hassfest's 52 named in
      HASSFEST_RULES) - and no other.
  Q2  Each status is done/todo, or {status: done|todo, comment}, or {status: exempt,
      comment}; an exempt rule has a non-empty comment.

brand/ (HA's brands view, home-assistant/brands validate.sh and README)
  B1  icon.png, icon@2x.png, logo.png, logo@2x.png exist; no file HA would not serve
      (ALLOWED_IMAGES); an @2x image has its 1x image; dark images come in pairs.
  B2  Real PNGs, RGBA (sRGB, no other colour profile), transparent corners.
  B3  Sizes: icons 256x256 and 512x512; logos' shortest side 128-256 (256-512 for @2x) and
      landscape; trimmed: a logo's drawing touches all four edges, an icon's two opposite ones.
  B4  A logo is not byte-identical to its icon, nor an @2x to its 1x image.
  B5  HA serves them at /api/brands/integration/aiassist/<image> (checked through HTTP).

Violations in files this test's owner may not change are listed in KNOWN_VIOLATIONS: they
are reported, not failed, until fixed; then test_known_violations_are_still_there fails to
say the entry can go.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
import importlib
import importlib.metadata
import json
from pathlib import Path
import re
import sys
from types import SimpleNamespace
from typing import Any
from unittest.mock import MagicMock
import warnings

from awesomeversion import AwesomeVersion, AwesomeVersionException, AwesomeVersionStrategy
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from PIL import Image
import probatio as pb
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.aiassist.const import DOMAIN
import homeassistant
from homeassistant import config_entries
from homeassistant.components.brands.const import ALLOWED_IMAGES
from homeassistant.const import Platform, __version__ as HA_VERSION
from homeassistant.core import HomeAssistant, valid_domain
from homeassistant.exceptions import HomeAssistantError
from homeassistant.generated.countries import COUNTRIES
from homeassistant.generated.languages import LANGUAGES
from homeassistant.helpers import config_validation as cv, selector
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml_dict

ROOT = Path(__file__).parent.parent
INTEGRATION = ROOT / "custom_components" / DOMAIN
BRAND = INTEGRATION / "brand"
COMPONENTS = Path(homeassistant.__file__).parent / "components"
PACKAGE = f"custom_components.{DOMAIN}"

# Findings in files owned elsewhere: reported in the test output, fixed by their owners.
KNOWN_VIOLATIONS: dict[str, str] = {}

# hassfest's sets (script/hassfest/manifest.py).
IOT_CLASSES = ["assumed_state", "calculated", "cloud_polling", "cloud_push", "local_polling", "local_push"]
INTEGRATION_TYPES = ["device", "entity", "hardware", "helper", "hub", "service", "system"]
QUALITY_SCALES = ["bronze", "silver", "gold", "platinum", "internal"]
# The rules hassfest's quality_scale.py names; HA's own integrations may list newer ones.
HASSFEST_RULES = frozenset(
    {
        # Bronze
        "action-setup", "appropriate-polling", "brands", "common-modules", "config-flow",
        "config-flow-test-coverage", "dependency-transparency", "docs-actions",
        "docs-high-level-description", "docs-installation-instructions", "docs-removal-instructions",
        "entity-event-setup", "entity-unique-id", "has-entity-name", "runtime-data",
        "test-before-configure", "test-before-setup", "unique-config-entry",
        # Silver
        "action-exceptions", "config-entry-unloading", "docs-configuration-parameters",
        "docs-installation-parameters", "entity-unavailable", "integration-owner",
        "log-when-unavailable", "parallel-updates", "reauthentication-flow", "test-coverage",
        # Gold
        "devices", "diagnostics", "discovery", "discovery-update-info", "docs-data-update",
        "docs-examples", "docs-known-limitations", "docs-supported-devices",
        "docs-supported-functions", "docs-troubleshooting", "docs-use-cases", "dynamic-devices",
        "entity-category", "entity-device-class", "entity-disabled-by-default",
        "entity-translations", "exception-translations", "icon-translations",
        "reconfiguration-flow", "repair-issues", "stale-devices",
        # Platinum
        "async-dependency", "inject-websession", "strict-typing",
    }
)  # fmt: skip
# Components the code may import without declaring them (hassfest allows these too).
UNDECLARED_COMPONENTS = frozenset({*(p.value for p in Platform), "homeassistant", "diagnostics"})


class Errors(list[str]):
    """Violations, each naming its file and key."""

    def add(self, where: str, message: str) -> None:
        """Record one."""
        self.append(f"{where}: {message}")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if duplicates := sorted({key for key in keys if keys.count(key) > 1}):
        raise ValueError(f"duplicate keys {duplicates}")
    return dict(pairs)


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_no_duplicates)


JSON_FILES = [
    ROOT / "hacs.json",
    INTEGRATION / "manifest.json",
    INTEGRATION / "strings.json",
    INTEGRATION / "icons.json",
    *sorted((INTEGRATION / "translations").glob("*.json")),
]
MANIFEST: dict[str, Any] = json.loads((INTEGRATION / "manifest.json").read_text(encoding="utf-8"))
HACS: dict[str, Any] = json.loads((ROOT / "hacs.json").read_text(encoding="utf-8"))
STRINGS: dict[str, Any] = json.loads((INTEGRATION / "strings.json").read_text(encoding="utf-8"))
ICONS: dict[str, Any] = json.loads((INTEGRATION / "icons.json").read_text(encoding="utf-8"))
SERVICES: dict[str, Any] = load_yaml_dict(str(INTEGRATION / "services.yaml"))
TRANSLATIONS = {path: _json(path) for path in sorted((INTEGRATION / "translations").glob("*.json"))}


def _where(path: Path) -> str:
    return str(path.relative_to(INTEGRATION if INTEGRATION in path.parents else ROOT))


def _humanized(data: Any, schema: Callable[[Any], Any], where: str, errors: Errors) -> None:
    try:
        schema(data)
    except pb.MultipleInvalid as err:
        for error in err.errors:
            errors.add(where, f"{'.'.join(map(str, error.path))}: {error.msg}")
    except pb.Invalid as err:
        errors.add(where, f"{'.'.join(map(str, err.path))}: {err.msg}")


# --- The integration's code, read once --------------------------------------------------------


def _module_name(path: Path) -> str:
    parts = path.relative_to(INTEGRATION).with_suffix("").parts
    return ".".join((PACKAGE, *(part for part in parts if part != "__init__")))


SOURCES: dict[Path, ast.Module] = {
    path: ast.parse(path.read_text(encoding="utf-8"), str(path)) for path in sorted(INTEGRATION.rglob("*.py"))
}
_DOCSTRINGS = {
    id(node.value)
    for tree in SOURCES.values()
    for node in ast.walk(tree)
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
}
# Every string the code holds (docstrings aside): what "used by the code" means for a key.
LITERALS = {
    node.value
    for tree in SOURCES.values()
    for node in ast.walk(tree)
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in _DOCSTRINGS
}


def _value(node: ast.AST | None, path: Path) -> Any:
    """A literal, or a module-level name the module resolves; None when not static."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return getattr(importlib.import_module(_module_name(path)), node.id, None)
    return None


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


def _func_name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _dict_keys(node: ast.AST | None, path: Path) -> set[str] | None:
    """The keys of a dict display whose keys are all static, else None."""
    if not isinstance(node, ast.Dict) or any(key is None for key in node.keys):
        return None
    keys = {_value(key, path) for key in node.keys}
    return None if None in keys else keys


def _calls(tree: ast.AST) -> Iterator[ast.Call]:
    return (node for node in ast.walk(tree) if isinstance(node, ast.Call))


PLACEHOLDER = re.compile(r"\{(\w+)\}")
REFERENCE = re.compile(r"\[%key:([a-z0-9_:-]+)%\]")
TRANSLATION_KEY = re.compile(r"^[a-z0-9]+(?:[_-][a-z0-9]+)*$")


def _placeholders(*texts: str | None) -> set[str]:
    return {name for text in texts if text for name in PLACEHOLDER.findall(text)}


# --- Schemas ------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    """A translated string as hassfest accepts it, and never empty."""
    if not isinstance(value, str):
        raise pb.Invalid("expected a string")
    if not value.strip():
        raise pb.Invalid("empty string")
    if value != value.strip():
        raise pb.Invalid("leading or trailing whitespace")
    cv.string_with_no_html(value)
    if re.search(r"'\{\w+\}'", value):
        raise pb.Invalid("placeholder inside single quotes")
    if REFERENCE.search(value) and not REFERENCE.fullmatch(value):
        raise pb.Invalid("a [%key:...%] reference must be the whole string")
    if re.search(r"[{}]", PLACEHOLDER.sub("", value)):
        raise pb.Invalid("a brace that is not part of a {placeholder}")
    return value


def _key(value: Any) -> str:
    if not isinstance(value, str) or not TRANSLATION_KEY.match(value):
        raise pb.Invalid(f"invalid translation key {value!r}: [a-z0-9_-], no leading, trailing or double _/-")
    return value


def _mapping(key: Callable[[Any], Any], value: Any) -> pb.Schema:
    return pb.Schema({key: value})


def _data_description_in_data(flow: dict[str, Any]) -> dict[str, Any]:
    for step_id, step in flow["step"].items():
        if extra := set(step.get("data_description", {})) - set(step.get("data", {})):
            raise pb.Invalid(f"step.{step_id}.data_description has keys not in data: {sorted(extra)}")
    return flow


def _flow_schema(*, subentry: bool = False, config: bool = False) -> pb.All:
    texts = _mapping(str, _text)
    step = {
        pb.Optional("title"): _text,
        pb.Optional("description"): _text,
        pb.Optional("data"): texts,
        pb.Optional("data_description"): texts,
        pb.Optional("menu_options"): texts,
        pb.Optional("menu_option_descriptions"): texts,
        pb.Optional("submit"): _text,
        pb.Optional("sections"): _mapping(
            str,
            {
                pb.Optional("name"): _text,
                pb.Optional("description"): _text,
                pb.Optional("data"): texts,
                pb.Optional("data_description"): texts,
            },
        ),
    }
    schema: dict[Any, Any] = {
        pb.Required("step"): _mapping(str, step),
        pb.Optional("flow_title"): _text,
        pb.Optional("error"): texts,
        pb.Optional("abort"): texts,
        pb.Optional("progress"): texts,
        pb.Optional("create_entry"): texts,
    }
    initiate = {pb.Optional("reconfigure"): _text}
    if subentry:
        schema[pb.Required("entry_type")] = _text
        schema[pb.Required("initiate_flow")] = {pb.Required("user"): _text, **initiate}
    elif config:
        schema[pb.Optional("entry_type")] = _text
        schema[pb.Optional("initiate_flow")] = {pb.Optional("user"): _text, **initiate}
    return pb.All(pb.Schema(schema), _data_description_in_data)


def _issue(value: Any) -> Any:
    if isinstance(value, dict) and ("description" in value) == ("fix_flow" in value):
        raise pb.Invalid("an issue needs a description or a fix_flow, not both")
    return pb.Schema(
        {
            pb.Required("title"): _text,
            pb.Optional("description"): _text,
            pb.Optional("fix_flow"): _flow_schema(),
        }
    )(value)


_STATES = _mapping(_key, _text)
STRINGS_SCHEMA = pb.Schema(
    {
        pb.Optional("title"): _text,
        pb.Optional("common"): _mapping(cv.slug, _text),
        pb.Optional("config"): _flow_schema(config=True),
        pb.Optional("options"): _flow_schema(),
        pb.Optional("config_subentries"): _mapping(cv.slug, _flow_schema(subentry=True)),
        pb.Optional("selector"): _mapping(_key, {pb.Required("options"): _STATES}),
        pb.Optional("device_automation"): {
            pb.Optional(section): _mapping(str, _text)
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
        pb.Optional("application_credentials"): {pb.Optional("description"): _text},
        pb.Optional("issues"): _mapping(_key, _issue),
        pb.Optional("device"): _mapping(_key, {pb.Optional("name"): _text}),
        pb.Optional("entity"): _mapping(
            pb.In([platform.value for platform in Platform]),
            _mapping(
                _key,
                {
                    pb.Optional("name"): _text,
                    pb.Optional("state"): _STATES,
                    pb.Optional("state_attributes"): _mapping(
                        _key, {pb.Optional("name"): _text, pb.Optional("state"): _STATES}
                    ),
                    pb.Optional("unit_of_measurement"): _text,
                },
            ),
        ),
        pb.Optional("exceptions"): _mapping(cv.slug, {pb.Required("message"): _text}),
        pb.Optional("services"): _mapping(
            cv.slug,
            {
                pb.Required("name"): _text,
                pb.Required("description"): _text,
                pb.Optional("fields"): _mapping(
                    _key,
                    {
                        pb.Required("name"): _text,
                        pb.Required("description"): _text,
                        pb.Optional("example"): _text,
                    },
                ),
                pb.Optional("sections"): _mapping(
                    _key, {pb.Required("name"): _text, pb.Optional("description"): _text}
                ),
            },
        ),
        pb.Optional("conversation"): {pb.Required("agent"): {pb.Required("done"): _text}},
    },
    extra=pb.PREVENT_EXTRA,
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
_SECTION = {pb.Required("fields"): _mapping(_key, _FIELD), pb.Optional("collapsed"): bool}


def _field_or_section(value: Any) -> Any:
    return pb.Schema(_SECTION if isinstance(value, dict) and "fields" in value else _FIELD)(value)


SERVICES_SCHEMA = pb.Schema(
    _mapping(
        cv.slug,
        pb.Any(
            None,
            pb.Schema(
                {
                    pb.Optional("target"): pb.Any(None, selector.TargetSelector.CONFIG_SCHEMA),
                    pb.Optional("fields"): _mapping(_key, _field_or_section),
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
        pb.Optional("entity"): _mapping(
            pb.In([platform.value for platform in Platform]),
            pb.All(
                _mapping(
                    _key,
                    {
                        pb.Optional("default"): _icon,
                        pb.Optional("state"): _mapping(_key, _icon),
                        pb.Optional("state_attributes"): _mapping(
                            _key, {pb.Optional("default"): _icon, pb.Optional("state"): _mapping(_key, _icon)}
                        ),
                        pb.Optional("range"): _mapping(str, _icon),
                    },
                ),
                _no_state_icon_as_default,
            ),
        ),
        pb.Optional("services"): _mapping(
            cv.slug, {pb.Required("service"): _icon, pb.Optional("sections"): _mapping(_key, _icon)}
        ),
        pb.Optional("config"): dict,
        pb.Optional("options"): dict,
        pb.Optional("issues"): dict,
    },
    extra=pb.PREVENT_EXTRA,
)


def _https(value: str) -> str:
    if not value.startswith("https://"):
        raise pb.Invalid("must be an https URL")
    if value.startswith("https://www.home-assistant.io/") and not value.startswith(
        "https://www.home-assistant.io/integrations/"
    ):
        raise pb.Invalid("a home-assistant.io documentation URL must be under /integrations/")
    return value


def _codeowner(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(
        r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:/[\w.-]+)?", value
    ):
        raise pb.Invalid(f"{value!r} is not a GitHub @user or @org/team")
    return value


def _version(value: Any) -> str:
    try:
        AwesomeVersion(
            value,
            ensure_strategy=[
                AwesomeVersionStrategy.CALVER,
                AwesomeVersionStrategy.SEMVER,
                AwesomeVersionStrategy.SIMPLEVER,
                AwesomeVersionStrategy.BUILDVER,
                AwesomeVersionStrategy.PEP440,
            ],
        )
    except AwesomeVersionException as err:
        raise pb.Invalid(f"{value!r} is not a valid version") from err
    return str(value)


MANIFEST_SCHEMA = pb.Schema(
    {
        pb.Required("domain"): str,
        pb.Required("name"): pb.All(str, pb.Length(min=1)),
        pb.Required("codeowners"): pb.All([_codeowner], pb.Length(min=1)),
        pb.Required("documentation"): pb.All(str, cv.url, _https),
        pb.Required("issue_tracker"): pb.All(str, cv.url, _https),
        pb.Required("version"): pb.All(str, _version),
        pb.Required("iot_class"): pb.In(IOT_CLASSES),
        pb.Required("integration_type"): pb.In(INTEGRATION_TYPES),
        pb.Optional("config_flow"): bool,
        pb.Optional("dependencies"): [str],
        pb.Optional("after_dependencies"): [str],
        pb.Optional("requirements"): [str],
        pb.Optional("loggers"): [str],
        pb.Optional("quality_scale"): pb.In(QUALITY_SCALES),
        pb.Optional("single_config_entry"): bool,
        pb.Optional("import_executor"): bool,
        pb.Optional("disabled"): str,
        # Discovery matchers: hassfest checks their insides; we use none.
        pb.Optional("bluetooth"): list,
        pb.Optional("dhcp"): list,
        pb.Optional("homekit"): dict,
        pb.Optional("mqtt"): list,
        pb.Optional("ssdp"): list,
        pb.Optional("usb"): list,
        pb.Optional("zeroconf"): list,
    },
    extra=pb.PREVENT_EXTRA,
)


def _country(value: Any) -> Any:
    for country in value if isinstance(value, list) else [value]:
        if not isinstance(country, str) or country.upper() not in COUNTRIES:
            raise pb.Invalid(f"{country!r} is not an ISO 3166 country code")
    return value


def _calver(value: Any) -> str:
    try:
        version = AwesomeVersion(value, ensure_strategy=[AwesomeVersionStrategy.CALVER])
    except AwesomeVersionException as err:
        raise pb.Invalid(f"{value!r} is not a Home Assistant (CalVer) version") from err
    return str(version)


HACS_SCHEMA = pb.Schema(
    {
        pb.Required("name"): pb.All(str, pb.Length(min=1)),
        pb.Optional("content_in_root"): bool,
        pb.Optional("country"): _country,
        pb.Optional("filename"): str,
        pb.Optional("hacs"): pb.All(str, _version),
        pb.Optional("hide_default_branch"): bool,
        pb.Optional("homeassistant"): pb.All(str, _calver),
        pb.Optional("persistent_directory"): str,
        pb.Optional("render_readme"): bool,
        pb.Optional("zip_release"): bool,
    },
    extra=pb.PREVENT_EXTRA,
)

# --- Checks -------------------------------------------------------------------------------------


def check_json_files() -> Errors:
    """M1."""
    errors = Errors()
    for path in JSON_FILES:
        try:
            _json(path)
        except ValueError as err:
            errors.add(_where(path), str(err))
    return errors


def check_manifest() -> Errors:
    """M2-M6."""
    errors = Errors()
    _humanized(MANIFEST, MANIFEST_SCHEMA, "manifest.json", errors)
    keys = list(MANIFEST)
    if keys != ["domain", "name", *sorted(keys[2:])] or keys[:2] != ["domain", "name"]:
        errors.add("manifest.json", f"keys must be domain, name, then alphabetical; are {keys}")
    domain = MANIFEST.get("domain")
    if domain != INTEGRATION.name or domain != DOMAIN or not valid_domain(str(domain)):
        errors.add("manifest.json", f"domain {domain!r} must be the folder name and const.DOMAIN")
    if (COMPONENTS / str(domain)).is_dir():
        errors.add("manifest.json", f"domain {domain!r} is a core integration")
    try:
        if AwesomeVersion(MANIFEST.get("version")).strategy is not AwesomeVersionStrategy.SEMVER:
            errors.add("manifest.json", f"version {MANIFEST.get('version')!r} is not SemVer")
    except AwesomeVersionException:
        errors.add("manifest.json", f"version {MANIFEST.get('version')!r} is not a version")
    flow_file = INTEGRATION / "config_flow.py"
    if bool(MANIFEST.get("config_flow")) != flow_file.is_file():
        errors.add("manifest.json", "config_flow must be true exactly when config_flow.py exists")
    flow_module = importlib.import_module(f"{PACKAGE}.config_flow")
    if not any(
        isinstance(cls, type)
        and issubclass(cls, config_entries.ConfigFlow)
        and cls.__module__ == flow_module.__name__
        and config_entries.HANDLERS.get(DOMAIN) is cls
        for cls in vars(flow_module).values()
    ):
        errors.add("config_flow.py", f"defines no ConfigFlow registered for domain {DOMAIN}")
    return errors


def _imports() -> Iterator[tuple[Path, str]]:
    for path, tree in SOURCES.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                yield from ((path, alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                yield path, node.module
                if node.module == "homeassistant.components":
                    yield from ((path, f"homeassistant.components.{alias.name}") for alias in node.names)


def check_dependencies() -> Errors:
    """M7."""
    errors = Errors()
    declared: dict[str, list[str]] = {
        key: MANIFEST.get(key, []) for key in ("dependencies", "after_dependencies")
    }
    for key, domains in declared.items():
        if len(set(domains)) != len(domains):
            errors.add("manifest.json", f"{key} has duplicates")
        for domain in domains:
            manifest = COMPONENTS / domain / "manifest.json"
            if domain == DOMAIN or not manifest.is_file():
                errors.add("manifest.json", f"{key}: {domain!r} is not a Home Assistant integration")
            elif _json(manifest).get("integration_type") == "virtual":
                errors.add("manifest.json", f"{key}: {domain!r} is a virtual integration")
    if both := set(declared["dependencies"]) & set(declared["after_dependencies"]):
        errors.add("manifest.json", f"in both dependencies and after_dependencies: {sorted(both)}")
    allowed = {*declared["dependencies"], *declared["after_dependencies"], *UNDECLARED_COMPONENTS}
    for path, module in _imports():
        parts = module.split(".")
        if parts[:2] == ["homeassistant", "components"] and len(parts) > 2 and parts[2] not in allowed:
            errors.add(_where(path), f"imports {module} but {parts[2]} is not in (after_)dependencies")
    return errors


def _constraints() -> dict[str, Requirement]:
    """Home Assistant's own package constraints, by canonical name."""
    constraints = {}
    for line in (COMPONENTS.parent / "package_constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            with_marker = Requirement(line)
            constraints[canonicalize_name(with_marker.name)] = with_marker
    return constraints


def _requirements(errors: Errors) -> dict[str, Requirement]:
    requirements: dict[str, Requirement] = {}
    for text in MANIFEST.get("requirements", []):
        try:
            requirement = Requirement(text)
        except InvalidRequirement as err:
            errors.add("manifest.json", f"requirements: {text!r} is not PEP 508: {err}")
            continue
        name = canonicalize_name(requirement.name)
        if name in requirements:
            errors.add("manifest.json", f"requirements: {requirement.name} is listed twice")
        requirements[name] = requirement
    return requirements


def check_requirements() -> Errors:
    """M8."""
    errors = Errors()
    constraints = _constraints()
    for name, requirement in _requirements(errors).items():
        where = f"manifest.json: requirements: {requirement}"
        operators = {spec.operator for spec in requirement.specifier}
        if operators & {"==", "==="}:
            errors.append(f"{where}: exact pin; use a range (Home Assistant applies its own constraints)")
            continue
        if not operators & {">=", ">", "~="}:
            errors.append(f"{where}: no lower bound")
        if requirement.url:
            errors.append(f"{where}: a URL requirement")
        installed = importlib.metadata.version(name)
        if not requirement.specifier.contains(installed, prereleases=True):
            errors.append(f"{where}: the tests run with {name} {installed}, outside the range")
        pinned = [
            spec.version for spec in getattr(constraints.get(name), "specifier", []) if spec.operator == "=="
        ]
        if pinned and not requirement.specifier.contains(pinned[0], prereleases=True):
            errors.append(
                f"{where}: Home Assistant {HA_VERSION} constrains {name}=={pinned[0]}, outside the range"
            )
    return errors


def _home_assistant_packages() -> set[str]:
    own = (Requirement(text).name for text in importlib.metadata.requires("homeassistant") or [])
    return {canonicalize_name(name) for name in own} | set(_constraints())


def check_third_party_imports() -> Errors:
    """M9."""
    errors = Errors()
    required = set(_requirements(Errors()))
    provided = _home_assistant_packages()
    distributions = importlib.metadata.packages_distributions()
    seen = set()
    for path, module in _imports():
        top = module.split(".")[0]
        if top in sys.stdlib_module_names or top in {"homeassistant", "custom_components"} or top in seen:
            continue
        seen.add(top)
        names = {canonicalize_name(name) for name in distributions.get(top, [top])}
        if names & required:
            continue
        if not names & provided:
            errors.add(
                _where(path),
                f"imports {top}, which neither the manifest requirements nor Home Assistant provide"
                + (
                    f" (it comes with {_required_by(names, required)})"
                    if _required_by(names, required)
                    else ""
                ),
            )
    return errors


def _required_by(names: set[str], required: set[str]) -> str:
    """Which of our requirements brings one of these distributions along."""
    for name in sorted(required):
        dependencies = {
            canonicalize_name(Requirement(text).name) for text in importlib.metadata.requires(name) or []
        }
        if dependencies & names:
            return name
    return ""


def check_hacs() -> Errors:
    """H1, H2."""
    errors = Errors()
    _humanized(HACS, HACS_SCHEMA, "hacs.json", errors)
    if HACS.get("zip_release") and not HACS.get("filename"):
        errors.add("hacs.json", "zip_release needs filename")
    if HACS.get("content_in_root"):
        errors.add("hacs.json", "content_in_root is set, but the integration is in custom_components/")
    integrations = [path.name for path in (ROOT / "custom_components").iterdir() if path.is_dir()]
    if integrations != [DOMAIN]:
        errors.add("custom_components", f"HACS needs exactly one integration here, found {integrations}")
    return errors


def _feature_floors() -> dict[str, str]:
    """The Home Assistant release each feature the code uses first appeared in."""
    floors = {}
    if BRAND.is_dir():
        floors["brand/ images served from the integration"] = "2026.3.0"
    if any(module.split(".")[0] == "probatio" for _, module in _imports()):
        floors["probatio as Home Assistant's validation library"] = "2026.9.0"
    source = "".join(path.read_text(encoding="utf-8") for path in SOURCES)
    if "ConfigSubentryFlow" in source and "._get_entry()" in source:
        floors["ConfigSubentryFlow._get_entry"] = "2025.4.0"
    return floors


def check_minimum_home_assistant() -> Errors:
    """H3."""
    errors = Errors()
    minimum = HACS.get("homeassistant")
    if minimum is None:
        errors.add("hacs.json", "homeassistant (the minimum version) is missing")
        return errors
    for feature, floor in _feature_floors().items():
        if AwesomeVersion(minimum) < AwesomeVersion(floor):
            errors.add("hacs.json", f"homeassistant {minimum} is older than {floor}, which {feature} needs")
    if AwesomeVersion(minimum) > AwesomeVersion(HA_VERSION):
        errors.add("hacs.json", f"homeassistant {minimum} is newer than the {HA_VERSION} the tests run on")
    return errors


def check_strings_schema() -> Errors:
    """S1, S2 for strings.json and every translation."""
    errors = Errors()
    _humanized(STRINGS, STRINGS_SCHEMA, "strings.json", errors)
    for path, translation in TRANSLATIONS.items():
        _humanized(translation, STRINGS_SCHEMA, _where(path), errors)
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
        tree = _json(COMPONENTS / parts[1] / "translations" / "en.json")
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
        where = _where(path)
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
            if key in strings and _placeholders(text) != _placeholders(resolved[key]):
                errors.add(
                    where,
                    f"{key}: placeholders {sorted(_placeholders(text))} "
                    f"differ from strings.json's {sorted(_placeholders(resolved[key]))}",
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


MODULE_FILES = {_module_name(path): path for path in SOURCES}


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
                errors.append(f"{where}.error.{key}: {_where(path)} never shows this error")
        for call in _calls(class_node):
            step_id = _value(_keyword(call, "step_id"), path)
            if isinstance(step_id, str):
                if step_id not in steps:
                    errors.append(f"{where}.step.{step_id}: missing; {cls.__name__} shows this step")
                else:
                    step = steps[step_id]
                    used = _placeholders(
                        step.get("title"), step.get("description"), *step.get("data_description", {}).values()
                    )
                    given = _dict_keys(_keyword(call, "description_placeholders"), path)
                    if given is None and _keyword(call, "description_placeholders") is None:
                        given = set()
                    if given is not None and given != used:
                        errors.append(
                            f"{where}.step.{step_id}: uses placeholders {sorted(used)}, "
                            f"{cls.__name__} gives {sorted(given)}"
                        )
            reason = _value(_keyword(call, "reason"), path)
            if (
                _func_name(call) == "async_abort"
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
                and isinstance(error := _value(node.value, path), str)
                and error not in strings.get("error", {})
            ):
                errors.append(f"{where}.error.{error}: missing; {cls.__name__} shows it")
    return errors


def _translation_calls() -> Iterator[tuple[Path, str, str, ast.Call]]:
    """(file, kind, key, call) for each call passing a static translation_key."""
    for path, tree in SOURCES.items():
        for call in _calls(tree):
            key = _value(_keyword(call, "translation_key"), path)
            if not isinstance(key, str):
                continue
            if _func_name(call) == "async_create_issue":
                yield path, "issues", key, call
            elif _func_name(call).endswith("SelectorConfig"):
                yield path, "selector", key, call
            elif _keyword(call, "translation_domain") is not None:
                yield path, "exceptions", key, call


def _exception_classes() -> Iterator[tuple[str, type]]:
    """Our HomeAssistantError classes that carry their translation key as `key`."""
    for path in SOURCES:
        module = importlib.import_module(_module_name(path))
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
            errors.append(f"{where}: missing; {_where(path)} uses it")
            continue
        entry = STRINGS[kind][key]
        used = _placeholders(*(entry.values() if kind != "selector" else []))
        given = _dict_keys(_keyword(call, "translation_placeholders"), path)
        if given is None and _keyword(call, "translation_placeholders") is None:
            given = set()
        if kind != "selector" and given is not None and given != used:
            errors.append(f"{where}: uses placeholders {sorted(used)}, {_where(path)} gives {sorted(given)}")
    for key, cls in _exception_classes():
        if key not in STRINGS.get("exceptions", {}):
            errors.append(f"strings.json: exceptions.{key}: missing; {cls.__name__} raises it")
    service_selectors = {
        field.get("selector", {}).get("select", {}).get("translation_key")
        for service in SERVICES.values()
        for field in _service_fields(service).values()
    }
    for kind in ("exceptions", "issues", "selector"):
        for key in STRINGS.get(kind, {}):
            if key not in LITERALS and not (kind == "selector" and key in service_selectors):
                errors.append(f"strings.json: {kind}.{key}: not used by the code")
    return errors


def _service_fields(service: dict[str, Any] | None) -> dict[str, Any]:
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
    _humanized(SERVICES, SERVICES_SCHEMA, "services.yaml", errors)
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
        fields = _service_fields(service)
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
        setup = getattr(importlib.import_module(_module_name(path)), "async_setup_services", None)
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
        fields = _service_fields(SERVICES[name])
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
    _humanized(ICONS, ICONS_SCHEMA, "icons.json", errors)
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
                    if name == "_attr_translation_key" and isinstance(_value(statement.value, path), str):
                        key = _value(statement.value, path)
                        yield path, path.stem, key, None
                    elif name == "_attr_translation_placeholders" and key is not None:
                        yield path, path.stem, key, _dict_keys(statement.value, path)


def check_entities() -> Errors:
    """I2."""
    errors = Errors()
    used: dict[str, set[str]] = {}
    given: dict[tuple[str, str], set[str] | None] = {}
    for path, platform, key, placeholders in _entity_keys():
        if platform not in {p.value for p in Platform}:
            errors.add(_where(path), f"sets translation_key {key!r} outside a platform module")
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
        wanted = _placeholders(STRINGS.get("entity", {}).get(platform, {}).get(key, {}).get("name"))
        if (placeholders or set()) != wanted:
            errors.add(
                "strings.json",
                f"entity.{platform}.{key}.name uses placeholders {sorted(wanted)}, "
                f"the code gives {sorted(placeholders or set())}",
            )
    return errors


def _quality_scale_rules() -> set[str]:
    """The rules the installed Home Assistant's own integrations list."""
    rules: set[str] = set()
    for path in COMPONENTS.glob("*/quality_scale.yaml"):
        rules |= set(load_yaml_dict(str(path)).get("rules", {}))
    return rules


def _comment(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise pb.Invalid("needs a comment that says why")
    return value


def _status(value: Any) -> Any:
    if isinstance(value, str):
        return pb.In(["done", "todo"])(value)
    if isinstance(value, dict) and value.get("status") == "exempt":
        return pb.Schema({pb.Required("status"): "exempt", pb.Required("comment"): _comment})(value)
    return pb.Schema({pb.Required("status"): pb.In(["done", "todo"]), pb.Optional("comment"): _comment})(
        value
    )


def check_quality_scale() -> Errors:
    """Q1, Q2."""
    errors = Errors()
    rules = _quality_scale_rules()
    if missing := HASSFEST_RULES - rules:
        errors.add("quality_scale.yaml", f"HA's rules lack hassfest's {sorted(missing)}")
    data = load_yaml_dict(str(INTEGRATION / "quality_scale.yaml"))
    listed = data.get("rules", {})
    _humanized(data, pb.Schema({pb.Required("rules"): _mapping(str, _status)}), "quality_scale.yaml", errors)
    for rule in sorted(rules - listed.keys()):
        errors.add("quality_scale.yaml", f"rules.{rule} is missing")
    for rule in sorted(listed.keys() - rules):
        errors.add("quality_scale.yaml", f"rules.{rule} is not a rule of Home Assistant's quality scale")
    return errors


ICON_SIZES = {"icon.png": 256, "icon@2x.png": 512, "dark_icon.png": 256, "dark_icon@2x.png": 512}
LOGO_SHORT_SIDE = {"logo.png": (128, 256), "logo@2x.png": (256, 512)}
LOGO_SHORT_SIDE |= {f"dark_{name}": limits for name, limits in LOGO_SHORT_SIDE.items()}


def check_brand() -> Errors:
    """B1-B4."""
    errors = Errors()
    files = {path.name for path in BRAND.iterdir()} if BRAND.is_dir() else set()
    for name in sorted({"icon.png", "icon@2x.png", "logo.png", "logo@2x.png"} - files):
        errors.add("brand", f"{name} is missing")
    for name in sorted(files - ALLOWED_IMAGES):
        errors.add("brand", f"{name} is not an image Home Assistant serves")
    for name in sorted(files & ALLOWED_IMAGES):
        if "@2x" in name and name.replace("@2x", "") not in files:
            errors.add("brand", f"{name} has no 1x version")
        if name.startswith("dark_") and name.replace("dark_", "") not in files:
            errors.add("brand", f"{name} has no light version")
        _check_image(BRAND / name, errors)
    for first, second in (
        ("icon.png", "logo.png"),
        ("icon@2x.png", "logo@2x.png"),
        ("icon.png", "icon@2x.png"),
        ("logo.png", "logo@2x.png"),
    ):
        if {first, second} <= files and (BRAND / first).read_bytes() == (BRAND / second).read_bytes():
            errors.add("brand", f"{second} is identical to {first}: leave it out, HA falls back to {first}")
    return errors


def _check_image(path: Path, errors: Errors) -> None:
    where = f"brand/{path.name}"
    if not path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n"):
        errors.add(where, "not a PNG file")
        return
    with Image.open(path) as image:
        image.load()
        width, height = image.size
        if image.format != "PNG" or image.mode != "RGBA":
            errors.add(where, f"{image.format} {image.mode}: must be an RGBA PNG (sRGB with transparency)")
            return
        if "icc_profile" in image.info:
            errors.add(where, "carries a colour profile; brand images are plain sRGB")
        alpha = image.getchannel("A")
        corners = [(0, 0), (width - 1, 0), (0, height - 1), (width - 1, height - 1)]
        if any(alpha.getpixel(corner) != 0 for corner in corners):
            errors.add(where, "corners are not transparent: the background must be transparent")
        bbox = alpha.getbbox() or (0, 0, 0, 0)
    if path.name in ICON_SIZES:
        size = ICON_SIZES[path.name]
        if (width, height) != (size, size):
            errors.add(where, f"is {width}x{height}, must be {size}x{size}")
        if bbox[0::2] != (0, width) and bbox[1::2] != (0, height):
            errors.add(where, f"not trimmed: the drawing spans {bbox}")
    else:
        low, high = LOGO_SHORT_SIDE[path.name]
        if not low <= min(width, height) <= high:
            errors.add(where, f"is {width}x{height}, its shortest side must be {low}-{high}px")
        if width < height:
            errors.add(where, f"is {width}x{height}: a logo should be landscape")
        if bbox != (0, 0, width, height):
            errors.add(where, f"not trimmed: the drawing spans {bbox} of {width}x{height}")


CHECKS = [
    check_json_files,
    check_manifest,
    check_dependencies,
    check_requirements,
    check_third_party_imports,
    check_hacs,
    check_minimum_home_assistant,
    check_strings_schema,
    check_translations,
    check_flows,
    check_exceptions_and_issues,
    check_services,
    check_services_code,
    check_icons,
    check_entities,
    check_quality_scale,
    check_brand,
]


def _assert_clean(errors: Errors) -> None:
    for error in errors:
        if error in KNOWN_VIOLATIONS:
            warnings.warn(f"known violation ({KNOWN_VIOLATIONS[error]}): {error}", stacklevel=2)
    unexpected = [error for error in errors if error not in KNOWN_VIOLATIONS]
    assert not unexpected, "\n".join(unexpected)


# --- Tests ----------------------------------------------------------------------------------------


def test_json_files() -> None:
    _assert_clean(check_json_files())


def test_manifest() -> None:
    _assert_clean(check_manifest())


def test_manifest_dependencies() -> None:
    _assert_clean(check_dependencies())


def test_manifest_requirements_are_ranges() -> None:
    _assert_clean(check_requirements())


def test_third_party_imports_are_declared() -> None:
    _assert_clean(check_third_party_imports())


def test_hacs_json() -> None:
    _assert_clean(check_hacs())


def test_hacs_minimum_home_assistant() -> None:
    _assert_clean(check_minimum_home_assistant())


def test_strings_schema() -> None:
    _assert_clean(check_strings_schema())


def test_translations_match_strings() -> None:
    _assert_clean(check_translations())


def test_flow_strings_match_the_flows() -> None:
    _assert_clean(check_flows())


def test_exception_and_issue_strings_match_the_code() -> None:
    _assert_clean(check_exceptions_and_issues())


def test_services_yaml() -> None:
    _assert_clean(check_services())


def test_services_match_the_code() -> None:
    _assert_clean(check_services_code())


def test_icons_json() -> None:
    _assert_clean(check_icons())


def test_entity_translation_keys() -> None:
    _assert_clean(check_entities())


def test_quality_scale() -> None:
    _assert_clean(check_quality_scale())


def test_brand_images() -> None:
    _assert_clean(check_brand())


def test_known_violations_are_still_there() -> None:
    """A fixed violation must leave KNOWN_VIOLATIONS, so that it cannot come back unnoticed."""
    found = {error for check in CHECKS for error in check()}
    fixed = [violation for violation in KNOWN_VIOLATIONS if violation not in found]
    assert not fixed, "fixed: remove from KNOWN_VIOLATIONS in tests/test_package.py:\n" + "\n".join(fixed)


async def test_home_assistant_serves_the_brand(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    """B5: HA's brands view answers from brand/, with its fallbacks for what we leave out."""
    assert await async_setup_component(hass, "brands", {})
    client = await hass_client()
    for image, source in (
        ("icon.png", "icon.png"),
        ("icon@2x.png", "icon@2x.png"),
        ("logo.png", "logo.png"),
        ("logo@2x.png", "logo@2x.png"),
        ("dark_icon.png", "icon.png"),
        ("dark_logo@2x.png", "logo@2x.png"),
    ):
        response = await client.get(f"/api/brands/integration/{DOMAIN}/{image}")
        assert response.status == 200, image
        assert response.content_type == "image/png"
        assert await response.read() == (BRAND / source).read_bytes(), image
