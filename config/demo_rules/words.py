"""Small word helpers the rules share: tokens, fuzzy equality, lists and numbers in two languages."""

from __future__ import annotations

import difflib
import re

STOPWORDS = frozenset({
    "a", "an", "and", "are", "at", "be", "can", "could", "do", "for", "i", "in", "is", "it", "me", "my", "of",
    "on", "off", "our", "please", "the", "this", "to", "turn", "up", "down", "you", "your", "we", "what",
    "whats", "should", "would", "will",
})  # fmt: skip
_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
    "forty-five": 45, "sixty": 60, "ninety": 90,
}  # fmt: skip
_CHINESE_DIGITS = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}


def singular(word: str) -> str:
    """Lights -> light, switches -> switch, batteries -> battery; short words are kept."""
    if len(word) <= 3 or word.endswith("ss"):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    return word[:-1] if word.endswith("s") else word


def tokens(text: str) -> list[str]:
    """The content words of an English text, lower case and singular."""
    words = re.findall(r"[a-z0-9]+", text.casefold())
    return [singular(word) for word in words if word not in STOPWORDS and (len(word) > 1 or word.isdigit())]


def similar(said: str, known: str) -> float:
    """1 for the same word, 0.8 for a near miss ("ceilling"), else 0."""
    if said == known:
        return 1.0
    if min(len(said), len(known)) >= 4 and difflib.SequenceMatcher(None, said, known).ratio() >= 0.8:
        return 0.8
    return 0.0


def overlap(said: list[str], known: list[str]) -> float:
    """How well the words said cover the words of a known name."""
    return sum(max((similar(word, other) for other in known), default=0.0) for word in said)


def join(items: list[str], chinese: bool = False, *, alternative: bool = False) -> str:
    """'A, B and C' (or 'A、B和C'); with `alternative`, 'A, B or C' (or 'A、B还是C')."""
    if len(items) <= 1:
        return "".join(items)
    if chinese:
        return "、".join(items[:-1]) + ("还是" if alternative else "和") + items[-1]
    return ", ".join(items[:-1]) + (" or " if alternative else " and ") + items[-1]


def number(text: str) -> int | None:
    """12, 'twelve'-style English words up to ninety, or Chinese numerals up to 99 (十五, 二十)."""
    text = text.strip().casefold()
    if text.isdigit():
        return int(text)
    if text in _NUMBERS:
        return _NUMBERS[text]
    if text and all(char in _CHINESE_DIGITS or char == "十" for char in text):
        tens, _, ones = text.partition("十")
        if "十" not in text:
            return _CHINESE_DIGITS[text] if len(text) == 1 else None
        return (_CHINESE_DIGITS.get(tens, 1) if tens else 1) * 10 + (
            _CHINESE_DIGITS.get(ones, 0) if ones else 0
        )
    return None
