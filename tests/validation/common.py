"""What every rule reads: the integration's files and code, loaded once, and shared schemas."""

import ast
from collections.abc import Callable, Iterator
import importlib
import importlib.metadata
import json
from pathlib import Path
import re
from typing import Any

import probatio as pb

from custom_components.aiassist.const import DOMAIN
import homeassistant
from homeassistant.helpers import config_validation as cv
from homeassistant.util.yaml import load_yaml_dict

ROOT = Path(__file__).parents[2]
INTEGRATION = ROOT / "custom_components" / DOMAIN
BRAND = INTEGRATION / "brand"
COMPONENTS = Path(homeassistant.__file__).parent / "components"
PACKAGE = f"custom_components.{DOMAIN}"


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


def read_json(path: Path) -> Any:
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
TRANSLATIONS = {path: read_json(path) for path in sorted((INTEGRATION / "translations").glob("*.json"))}


def relative(path: Path) -> str:
    return str(path.relative_to(INTEGRATION if INTEGRATION in path.parents else ROOT))


def report_invalid(data: Any, schema: Callable[[Any], Any], where: str, errors: Errors) -> None:
    try:
        schema(data)
    except pb.MultipleInvalid as err:
        for error in err.errors:
            errors.add(where, f"{'.'.join(map(str, error.path))}: {error.msg}")
    except pb.Invalid as err:
        errors.add(where, f"{'.'.join(map(str, err.path))}: {err.msg}")


# --- The integration's code, read once --------------------------------------------------------


def module_name_of(path: Path) -> str:
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


def static_value(node: ast.AST | None, path: Path) -> Any:
    """A literal, or a module-level name the module resolves; None when not static."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return getattr(importlib.import_module(module_name_of(path)), node.id, None)
    return None


def keyword_arg(call: ast.Call, name: str) -> ast.expr | None:
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


def called_name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def static_dict_keys(node: ast.AST | None, path: Path) -> set[str] | None:
    """The keys of a dict display whose keys are all static, else None."""
    if not isinstance(node, ast.Dict) or any(key is None for key in node.keys):
        return None
    keys = {static_value(key, path) for key in node.keys}
    return None if None in keys else keys


def calls_in(tree: ast.AST) -> Iterator[ast.Call]:
    return (node for node in ast.walk(tree) if isinstance(node, ast.Call))


PLACEHOLDER = re.compile(r"\{(\w+)\}")
REFERENCE = re.compile(r"\[%key:([a-z0-9_:-]+)%\]")
TRANSLATION_KEY = re.compile(r"^[a-z0-9]+(?:[_-][a-z0-9]+)*$")


def placeholders_in(*texts: str | None) -> set[str]:
    return {name for text in texts if text for name in PLACEHOLDER.findall(text)}


# --- Schemas ------------------------------------------------------------------------------------


def text_schema(value: Any) -> str:
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


def translation_key_schema(value: Any) -> str:
    if not isinstance(value, str) or not TRANSLATION_KEY.match(value):
        raise pb.Invalid(f"invalid translation key {value!r}: [a-z0-9_-], no leading, trailing or double _/-")
    return value


def mapping_of(key: Callable[[Any], Any], value: Any) -> pb.Schema:
    return pb.Schema({key: value})
