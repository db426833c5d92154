"""Words for the lexical index: Snowball stems in the home's language, CJK as characters."""

from functools import lru_cache
import itertools
import re

import snowballstemmer

_WORD = re.compile(r"[^\W_]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_STOPWORDS_TEXT = (
    "a an and are as at be been but by do does did for from has have had he her hers him his i if in "
    "into is it its me my mine of on or our ours she so than that the their them they this those to "
    "us was we were what when where which who whom why will with you your yours"
)
_ENGLISH_STOPWORDS = frozenset(_STOPWORDS_TEXT.split(" "))
# Home Assistant language codes -> Snowball algorithms.
_ALGORITHMS = {
    "ar": "arabic", "ca": "catalan", "cs": "czech", "da": "danish", "de": "german", "el": "greek",
    "en": "english", "es": "spanish", "et": "estonian", "eu": "basque", "fi": "finnish", "fr": "french",
    "hi": "hindi", "hu": "hungarian", "hy": "armenian", "id": "indonesian", "it": "italian",
    "lt": "lithuanian", "nb": "norwegian", "ne": "nepali", "nl": "dutch", "nn": "norwegian",
    "no": "norwegian", "pl": "polish", "pt": "portuguese", "ro": "romanian", "ru": "russian",
    "sr": "serbian", "sv": "swedish", "ta": "tamil", "tr": "turkish", "fa": "persian",
}  # fmt: skip


@lru_cache(maxsize=8)
def _stemmer(language: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(_ALGORITHMS.get(language.split("-")[0].lower(), "english"))


def tokenize(text: str, language: str = "en") -> list[str]:
    """Return the index terms of a text: stems, or characters and their pairs for CJK."""
    stem = _stemmer(language).stemWord
    english = _ALGORITHMS.get(language.split("-")[0].lower(), "english") == "english"
    terms: list[str] = []
    for word in _WORD.findall(text.casefold()):
        if _CJK.search(word):
            terms.extend(word)
            terms.extend(a + b for a, b in itertools.pairwise(word))
        elif (len(word) > 1 or word.isdigit()) and not (english and word in _ENGLISH_STOPWORDS):
            terms.append(stem(word))
    return terms
