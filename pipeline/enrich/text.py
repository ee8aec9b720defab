"""Text basics shared by the enrichers: cleaning, tokenising, cached Dutch stemming, stop words."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

from nltk.stem.snowball import SnowballStemmer

# URLs, placeholders, hashtags/mentions, words (with inner ' or -), emoji, emoticons, ! and ? runs,
# clause punctuation. Applied to lower-cased text.
_TOKEN_PATTERN = (
    r"https?://\S+|www\.\S+"
    r"|\[[a-z_\-]+\]"
    r"|[#@]\w+(?:[\-_]\w+)*"
    r"|\w+(?:['’\-]\w+)*"
    r"|[\U0001F300-\U0001FAFF\u2600-\u27BF]"
    r"|[:;]-?[()dp](?!\w)"
    r"|[!?]+"
    r"|[.,;:]"
)
# Plain `re` rather than nltk's RegexpTokenizer: recent nltk compiles through the `regex` engine with
# timeouts, which is about five times slower here; this pattern has no nested quantifiers.
_TOKEN_RE = re.compile(_TOKEN_PATTERN)
# C0/C1 control characters except tab, newline and carriage return, plus lone surrogates.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_STEMMER = SnowballStemmer("dutch")
_STEM_CACHE: dict[str, str] = {}
_STEM_CACHE_LIMIT = 200_000
MAX_STEM_CHARS = 40   # longer "words" (URL fragments, keyboard mashing) are kept as they are


def clean_text(text: str) -> str:
    """Remove control characters (keeping tab and newlines) so the text is safe to store and show."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    return _CONTROL.sub("", text)


def tokenize(text: str) -> list[str]:
    """Lower-cased tokens: words, hashtags, mentions, URLs, placeholders, emoji and sentiment punctuation."""
    return _TOKEN_RE.findall(text.lower())


def is_word(token: str) -> bool:
    """True for plain word tokens (not URLs, hashtags, mentions, placeholders, emoji or punctuation)."""
    return token[:1].isalnum() and "://" not in token and not token.startswith("www.")


def bare(token: str) -> str:
    """The token without a leading '#' (hashtags count as the word they contain)."""
    return token[1:] if token[:1] == "#" else token


def snowball_stem(word: str) -> str:
    """The plain Dutch Snowball stem of one lower-case word (no caching, no extra rules)."""
    return _STEMMER.stem(word)


def strip_accents(text: str) -> str:
    """The text with diacritics removed (é -> e, ë -> e), by Unicode decomposition."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def stem(token: str) -> str:
    """The Dutch Snowball stem of a lower-case token, cached; possessive "'s" is dropped first."""
    cached = _STEM_CACHE.get(token)
    if cached is not None:
        return cached
    word = token
    if word.endswith(("'s", "’s")):
        word = word[:-2]
    stemmable = len(word) <= MAX_STEM_CHARS and (word.isalpha() or "-" in word)
    result = _STEMMER.stem(word) if stemmable else word
    if len(_STEM_CACHE) >= _STEM_CACHE_LIMIT:
        _STEM_CACHE.clear()
    _STEM_CACHE[token] = result
    return result


_TOKEN_STEMS: dict[str, str] = {}


def stem_tokens(tokens: list[str]) -> list[str]:
    """Stems of a token list, hashtags counted as their word (cached per token)."""
    cache = _TOKEN_STEMS
    try:
        return list(map(cache.__getitem__, tokens))   # the usual case once the cache is warm: all in C
    except KeyError:
        pass
    out = []
    for token in tokens:
        value = cache.get(token)
        if value is None:
            if len(cache) >= _STEM_CACHE_LIMIT:
                cache.clear()
            value = cache[token] = stem(bare(token))
        out.append(value)
    return out


def read_data(name: str) -> str:
    """The text of a data file shipped in pipeline/enrich/data."""
    return resources.files("pipeline.enrich").joinpath("data", name).read_text(encoding="utf-8")


def read_word_list(name: str) -> list[str]:
    """Non-empty, non-comment lines of a data file, lower-cased and stripped."""
    words = []
    for line in read_data(name).splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words.append(line.lower())
    return words


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """The team's Dutch stop-word list (data/stopwords_nl.txt)."""
    return frozenset(read_word_list("stopwords_nl.txt"))
