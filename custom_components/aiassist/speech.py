"""Text for a speaker: thinking kept apart, no markdown, emoji or links read aloud.

The model's text arrives in small deltas, so tags and markup can be split between two
deltas: text is held back until it can be judged, and released as soon as it can.
"""

from dataclasses import dataclass, field
import re

from .speakable import speakable

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"
# Hold back at most this much text waiting for a link or tag to close.
MAX_HELD = 400

_LINK = re.compile(r"!?\[([^\]]*)\]\((?:[^)\s]*)\)")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_LINE_MARKUP = re.compile(r"(?m)^[ \t]*(?:#{1,6}[ \t]+|>[ \t]?|[-*+•][ \t]+)")
_INLINE_MARKUP = re.compile(r"\*\*|__|~~|`+|\*|\|")
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U0001f1e6-\U0001f1ff\U00002b00-\U00002bff\u200d\ufe0f\u20e3]"
)
_SPACES = re.compile(r"[ \t]{2,}")
_TRAILING_NUMBER = re.compile(r"(?:^|(?<=\s))([-−]?\d[\d.,:%°\-–]*)\s+$")
# A CJK character ends a token: Chinese text has no spaces to wait for.
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")


def clean_for_speech(text: str, at_line_start: bool = True, language: str = "en") -> str:
    """Remove what a speaker should not say; keep words and punctuation; numbers in words.

    `at_line_start` False: the text continues a line, so a leading "- " is not a bullet.
    """
    if not at_line_start:
        return clean_for_speech("\0" + text, language=language)[1:]
    text = _LINK.sub(r"\1", text)
    text = _URL.sub("", text)
    text = _LINE_MARKUP.sub("", text)
    text = _INLINE_MARKUP.sub("", text)
    text = _EMOJI.sub("", text)
    return speakable(_SPACES.sub(" ", text), language)


def _last_cjk_end(text: str, after: int) -> int:
    """Just past the last CJK character of `text` that comes after `after`; else 0."""
    for index in range(len(text) - 1, after - 1, -1):
        if _CJK.match(text[index]):
            return index + 1
    return 0


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest end of `text` that could be the start of `tag`."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0


@dataclass
class SpeechStream:
    """Splits streamed model text into speech and thinking, cleaning the speech."""

    language: str = "en"
    _raw: str = ""
    _speech: str = ""
    _thinking: bool = False
    _started: bool = False
    _last: str = "\n"
    _out_speech: list[str] = field(default_factory=list)
    _out_thinking: list[str] = field(default_factory=list)

    def feed(self, text: str) -> tuple[str, str]:
        """Take a delta; return the (speech, thinking) text that can be released now."""
        self._raw += text
        self._split_thinking(final=False)
        self._release_speech(final=False)
        return self._take()

    def flush(self) -> tuple[str, str]:
        """Release everything held back, at the end of the answer."""
        self._split_thinking(final=True)
        self._release_speech(final=True)
        return self._take()

    def _take(self) -> tuple[str, str]:
        speech, thinking = "".join(self._out_speech), "".join(self._out_thinking)
        self._out_speech.clear()
        self._out_thinking.clear()
        return speech, thinking

    def _split_thinking(self, final: bool) -> None:
        while self._raw:
            tag = THINK_CLOSE if self._thinking else THINK_OPEN
            index = self._raw.find(tag)
            if index == -1:
                keep = 0 if final else _partial_suffix(self._raw, tag)
                self._route(self._raw[: len(self._raw) - keep])
                self._raw = self._raw[len(self._raw) - keep :]
                return
            self._route(self._raw[:index])
            self._raw = self._raw[index + len(tag) :]
            self._thinking = not self._thinking

    def _route(self, text: str) -> None:
        if not text:
            return
        if self._thinking:
            self._out_thinking.append(text)
        else:
            self._speech += text

    def _release_speech(self, final: bool) -> None:
        """Release speech up to the last whitespace or CJK character, unless a link is still open."""
        if final:
            cut = len(self._speech)
        else:
            cut = max(self._speech.rfind(" "), self._speech.rfind("\n")) + 1
            cut = max(cut, _last_cjk_end(self._speech, cut))
            if number := _TRAILING_NUMBER.search(self._speech, 0, cut):
                # "12 " may be followed by "km/h": keep the number until its unit is known.
                cut = number.start(1)
            opening = self._speech.rfind("[", 0, cut)
            if opening != -1 and ")" not in self._speech[opening:] and len(self._speech) < MAX_HELD:
                cut = opening
        if cut <= 0:
            return
        text = clean_for_speech(self._speech[:cut], at_line_start=self._last == "\n", language=self.language)
        self._speech = self._speech[cut:]
        if not self._started or self._last in " \n":
            # Nothing to say yet, or markup removed at a word boundary: no doubled spaces.
            text = text.lstrip(" \t") if self._started else text.lstrip()
        if text:
            self._started = True
            self._last = text[-1]
            self._out_speech.append(text)
