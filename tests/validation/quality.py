"""quality_scale.yaml (Q1-Q2) as hassfest checks it, and brand/ (B1-B4) as the brands repository does."""

from pathlib import Path
from typing import Any

from PIL import Image
import probatio as pb

from homeassistant.components.brands.const import ALLOWED_IMAGES
from homeassistant.util.yaml import load_yaml_dict

from .common import BRAND, COMPONENTS, INTEGRATION, Errors, mapping_of, report_invalid

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
    report_invalid(
        data, pb.Schema({pb.Required("rules"): mapping_of(str, _status)}), "quality_scale.yaml", errors
    )
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
