"""Words for the lexical index: Snowball stems in the home's language, CJK as character pairs.

Function words say nothing about which memory is meant ("Can I..." must not find every
"can't stand"), so they are left out: English ones by list, contractions whole ("can't",
"I'm"), and in Chinese the characters that are only grammar (的, 了, 吗, 我...), which also
cut a run into the words around them.
"""

from functools import lru_cache
import itertools
import re

import snowballstemmer

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_STOPWORDS_TEXT = (
    "a an and are as at be been but by do does did for from has have had he her hers him his i if in "
    "into is it its me my mine of on or our ours she so than that the their them they this those to "
    "us was we were what when where which who whom why will with you your yours "
    "am can could should would shall may might must get gets got go goes going out up off not no "
    "just also very too about all any some there here then now how much many more most other such "
    "only own same each both again once let lets please tell know want need does doing "
    "i'm i've i'll i'd you're you've you'll we're we've they're they've he's she's it's that's "
    "there's what's where's who's how's let's can't cannot don't doesn't didn't isn't aren't wasn't "
    "weren't won't wouldn't shouldn't couldn't haven't hasn't hadn't"
)
# Chinese characters that are grammar, not meaning: left out, and they split a run in two.
_CJK_FUNCTION = frozenset("的了吗呢吧啊呀么什我你他她它们这那哪谁是和与就都也很还又把被给让对在")
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


@lru_cache(maxsize=20_000)
def _stem(language: str, word: str) -> str:
    """A word's stem: Snowball's pure-Python stemmer is most of a search's time, and words repeat."""
    return str(_stemmer(language).stemWord(word))


def tokenize(text: str, language: str = "en") -> list[str]:
    """Return the index terms of a text: stems, or characters and their pairs for CJK."""
    english = _ALGORITHMS.get(language.split("-")[0].lower(), "english") == "english"
    terms: list[str] = []
    for word in _WORD.findall(text.casefold().replace("’", "'")):
        if _CJK.search(word):
            terms.extend(_cjk_terms(word))
            continue
        if word.endswith("'s"):  # Anna's -> anna
            word = word[:-2]
        if (len(word) > 1 or word.isdigit()) and not (english and word in _ENGLISH_STOPWORDS):
            terms.append(_stem(language, word))
    return terms


def _cjk_terms(run: str) -> list[str]:
    """The characters and character pairs of each stretch between grammar characters.

    Pairs find words; single characters find paraphrases (睡觉 and 睡眠 share 睡), and idf
    weighs the common ones down.
    """
    terms: list[str] = []
    for part in re.split(f"[{''.join(_CJK_FUNCTION)}]+", run):
        terms.extend(part)
        terms.extend(a + b for a, b in itertools.pairwise(part))
    return terms
