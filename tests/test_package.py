"""The package as hassfest, HACS and the brands repository would check it.

The rules live in tests/validation/ (one module per file kind); each test below runs one.

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
      requirement's own dependencies (dependency transparency), or from an exact pin the
      importing module installs on demand (`REQUIREMENT = "name==x.y"`, the built-in model).

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

import warnings

from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.aiassist.const import DOMAIN
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component

from .validation.common import BRAND, Errors
from .validation.manifest import (
    check_dependencies,
    check_hacs,
    check_json_files,
    check_manifest,
    check_minimum_home_assistant,
    check_requirements,
    check_third_party_imports,
)
from .validation.quality import check_brand, check_quality_scale
from .validation.services import check_entities, check_icons, check_services, check_services_code
from .validation.strings import (
    check_exceptions_and_issues,
    check_flows,
    check_strings_schema,
    check_translations,
)

KNOWN_VIOLATIONS: dict[str, str] = {}


# Findings in files owned elsewhere: reported in the test output, fixed by their owners.
KNOWN_VIOLATIONS: dict[str, str] = {}


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
