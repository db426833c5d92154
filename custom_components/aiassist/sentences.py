"""Text as it is written, cut into pieces a speech engine can say while the rest is written.

A piece ends at the end of a sentence: `.`, `!`, `?` or `…` followed by a space (so "3.5" and
"e.g.x" stay whole), a CJK full stop, exclamation or question mark or semicolon at once, or a
line break. A clause that runs on is cut at its last comma, colon or space once it is long, so
that a model that never stops a sentence still starts speaking.
"""

from collections.abc import AsyncGenerator, AsyncIterable
import re

# Long enough that most sentences are whole, short enough that speech starts soon.
LONG_CLAUSE = 160
# Chinese and Japanese say more in fewer characters.
LONG_CJK_CLAUSE = 60

_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)|[。！？；]+[”’」』）]*|\n+")
_CLAUSE = re.compile(r"[,;:，、；：](?=\s|[^\x00-\x7f])|\s")
_ABBREVIATIONS = frozenset(
    {"mr.", "mrs.", "ms.", "dr.", "st.", "vs.", "etc.", "e.g.", "i.e.", "no.", "approx."}
)
_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")


def split_ready(text: str) -> tuple[list[str], str]:
    """The complete pieces at the start of `text`, and the rest that may still grow."""
    pieces: list[str] = []
    while True:
        if match := _sentence_end(text):
            end = match.end()
        elif len(text) >= _limit(text):
            end = _clause_end(text)
        else:
            break
        if end <= 0:
            break
        if piece := text[:end].strip():
            pieces.append(piece)
        text = text[end:]
    return pieces, text


async def async_sentences(chunks: AsyncIterable[str]) -> AsyncGenerator[str]:
    """The pieces of a text that arrives in chunks, each as soon as it is complete."""
    pending = ""
    async for chunk in chunks:
        pieces, pending = split_ready(pending + chunk)
        for piece in pieces:
            yield piece
    if rest := pending.strip():
        yield rest


def _sentence_end(text: str) -> re.Match[str] | None:
    """The first end of a sentence, past abbreviations such as "Dr." and "e.g."."""
    for match in _END.finditer(text):
        words = text[: match.start() + 1].split()
        if match.group() == "." and words and words[-1].casefold() in _ABBREVIATIONS:
            continue
        return match
    return None


def _limit(text: str) -> int:
    return LONG_CJK_CLAUSE if _CJK.search(text[:LONG_CJK_CLAUSE]) else LONG_CLAUSE


def _clause_end(text: str) -> int:
    """Where to cut a long clause: after its last comma or colon, else its last space."""
    window = text[: _limit(text)]
    commas = [match.end() for match in _CLAUSE.finditer(window) if not match.group().isspace()]
    if commas:
        return commas[-1]
    spaces = [match.start() for match in _CLAUSE.finditer(window) if match.group().isspace()]
    return spaces[-1] + 1 if spaces else len(window)
