"""Every translation says everything strings.json says, with the same placeholders."""

import ast
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


ABORTING = {"async_abort", "async_update_reload_and_abort", "async_update_and_abort"}
ABORT_STRINGS = {
    "ConfigFlow": "config.abort.",
    "OptionsFlow": "options.abort.",
    "ConfigSubentryFlow": "config_subentries.conversation.abort.",
}


def _abort_reasons() -> list[tuple[str, str | None]]:
    """(strings prefix, reason) of every abort the flows can return, read from their source."""
    found: list[tuple[str, str | None]] = []
    for module in ("config_flow.py", "agent_flow.py"):
        tree = ast.parse((BASE / module).read_text(encoding="utf-8"))
        for flow in (node for node in tree.body if isinstance(node, ast.ClassDef)):
            bases = [getattr(base, "id", "") for base in flow.bases]
            bases = [base for base in bases if base in ABORT_STRINGS]
            for call in ast.walk(flow):
                if isinstance(call, ast.Call) and getattr(call.func, "attr", None) in ABORTING:
                    reason = next((kw.value for kw in call.keywords if kw.arg == "reason"), None)
                    text = reason.value if isinstance(reason, ast.Constant) else None
                    found.append((ABORT_STRINGS[bases[0]], text))
    return found


def test_every_abort_shows_our_own_string() -> None:
    reasons = _abort_reasons()
    assert len(reasons) >= 5
    # An explicit reason, never HA's default, and one strings.json says in our words.
    assert [(prefix, reason) for prefix, reason in reasons if prefix + str(reason) not in STRINGS] == []
