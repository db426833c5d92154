"""Every translation says everything strings.json says, with the same placeholders."""

import json
from pathlib import Path
import re
from typing import Any

import pytest

BASE = Path(__file__).parent.parent / "custom_components" / "aiassist"
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat |= _flatten(value, f"{prefix}{key}.")
        else:
            flat[prefix + key] = value
    return flat


STRINGS = _flatten(json.loads((BASE / "strings.json").read_text(encoding="utf-8")))


def test_english_is_strings_json() -> None:
    assert _flatten(json.loads((BASE / "translations" / "en.json").read_text(encoding="utf-8"))) == STRINGS


@pytest.mark.parametrize("path", sorted((BASE / "translations").glob("*.json")), ids=lambda p: p.stem)
def test_translation_is_complete(path: Path) -> None:
    translated = _flatten(json.loads(path.read_text(encoding="utf-8")))
    assert translated.keys() == STRINGS.keys()
    for key, text in STRINGS.items():
        assert translated[key].strip(), key
        assert set(PLACEHOLDER.findall(translated[key])) == set(PLACEHOLDER.findall(text)), key


def test_no_unresolved_references() -> None:
    # Custom integrations get no [%key:...%] resolution: every string must be literal.
    assert not [key for key, text in STRINGS.items() if "[%key:" in text]


def test_chinese_is_offered() -> None:
    assert (BASE / "translations" / "zh-Hans.json").is_file()
