"""manifest.json (M1-M9) and hacs.json (H1-H3), as hassfest and HACS check them."""

import ast
from collections.abc import Iterator
import importlib
import importlib.metadata
from pathlib import Path
import re
import sys
from typing import Any

from awesomeversion import AwesomeVersion, AwesomeVersionException, AwesomeVersionStrategy
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
import probatio as pb

from custom_components.aiassist.const import DOMAIN
from homeassistant import config_entries
from homeassistant.const import Platform, __version__ as HA_VERSION
from homeassistant.core import valid_domain
from homeassistant.generated.countries import COUNTRIES
from homeassistant.helpers import config_validation as cv

from .common import (
    BRAND,
    COMPONENTS,
    HACS,
    INTEGRATION,
    JSON_FILES,
    MANIFEST,
    PACKAGE,
    ROOT,
    SOURCES,
    Errors,
    read_json,
    relative,
    report_invalid,
)

# hassfest's sets (script/hassfest/manifest.py).
IOT_CLASSES = ["assumed_state", "calculated", "cloud_polling", "cloud_push", "local_polling", "local_push"]
INTEGRATION_TYPES = ["device", "entity", "hardware", "helper", "hub", "service", "system"]
QUALITY_SCALES = ["bronze", "silver", "gold", "platinum", "internal"]
# Components the code may import without declaring them (hassfest allows these too).
UNDECLARED_COMPONENTS = frozenset({*(p.value for p in Platform), "homeassistant", "diagnostics"})


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
            read_json(path)
        except ValueError as err:
            errors.add(relative(path), str(err))
    return errors


def check_manifest() -> Errors:
    """M2-M6."""
    errors = Errors()
    report_invalid(MANIFEST, MANIFEST_SCHEMA, "manifest.json", errors)
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
            elif read_json(manifest).get("integration_type") == "virtual":
                errors.add("manifest.json", f"{key}: {domain!r} is a virtual integration")
    if both := set(declared["dependencies"]) & set(declared["after_dependencies"]):
        errors.add("manifest.json", f"in both dependencies and after_dependencies: {sorted(both)}")
    allowed = {*declared["dependencies"], *declared["after_dependencies"], *UNDECLARED_COMPONENTS}
    for path, module in _imports():
        parts = module.split(".")
        if parts[:2] == ["homeassistant", "components"] and len(parts) > 2 and parts[2] not in allowed:
            errors.add(relative(path), f"imports {module} but {parts[2]} is not in (after_)dependencies")
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
        if names & _on_demand(path):
            continue
        if not names & provided:
            errors.add(
                relative(path),
                f"imports {top}, which neither the manifest requirements nor Home Assistant provide"
                + (
                    f" (it comes with {_required_by(names, required)})"
                    if _required_by(names, required)
                    else ""
                ),
            )
    return errors


def _on_demand(path: Path) -> set[str]:
    """Requirements a module installs itself when the user picks it: `REQUIREMENT = "name==x.y"`.

    They must be exact pins: Home Assistant's installer puts them in as written.
    """
    found: set[str] = set()
    for node in ast.walk(SOURCES[path]):
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(target, ast.Name) and target.id == "REQUIREMENT" for target in node.targets)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            and "==" in node.value.value
        ):
            found.add(canonicalize_name(Requirement(node.value.value).name))
    return found


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
    report_invalid(HACS, HACS_SCHEMA, "hacs.json", errors)
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
