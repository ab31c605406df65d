"""The terms memory is indexed and searched by: one analysis for both backends and queries.

Neither SQLite's FTS5 nor PostgreSQL's text search can split Chinese into words here, so both
index the output of this function (space-separated terms) and queries go through it too:
lowercased, Unicode-normalised, English stemmed without stop words, Chinese cut by jieba's
search mode, which also yields the 2-character words inside longer ones (数据 in 数据库)."""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from functools import lru_cache
from typing import Any

# Han ideographs (with extensions and compatibility forms) are cut by jieba; every other run of
# letters and digits is a word of its own.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef"
_RUNS = re.compile(rf"([{_HAN}]+)|([^\W_{_HAN}]+)")
_HAN_WORD = re.compile(rf"[{_HAN}0-9a-z]+")
MAX_TERM_CHARS = 40

# The Snowball project's English stop words, less the negations (they change a fact's meaning).
ENGLISH_STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just let me more most my myself of off on once only or other ought our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up us very was we
    were what when where which while who whom why will with would you your yours yourself
    yourselves s t d ll m re ve""".split()  # noqa: SIM905 - a word list reads better as text
)
# Particles and pronouns that jieba returns as words of their own and that match everything.
CHINESE_STOP_WORDS = frozenset(
    (
        "的",
        "了",
        "是",
        "在",
        "和",
        "与",
        "及",
        "或",
        "也",
        "都",
        "就",
        "而",
        "被",
        "把",
        "对",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "着",
        "过",
        "这",
        "那",
        "之",
        "其",
        "于",
        "以",
        "我",
        "你",
        "他",
        "她",
        "它",
        "我们",
        "你们",
        "他们",
        "她们",
        "它们",
        "这个",
        "那个",
        "一个",
        "什么",
        "怎么",
    )
)

_jieba_lock = threading.Lock()
_tokenizer: Any = None


def _jieba() -> Any:
    """jieba's tokenizer, built on first use: it loads a dictionary (~0.5 s) and logs to stderr."""
    global _tokenizer
    with _jieba_lock:
        if _tokenizer is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            tokenizer.initialize()
            _tokenizer = tokenizer
    return _tokenizer


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def normalize(text: str) -> str:
    """NFKC folds full-width letters and digits (common in Chinese text) into ASCII forms."""
    return unicodedata.normalize("NFKC", text).casefold()


def analyze(text: str) -> list[str]:
    """The terms of `text`, in order, repeated as often as they occur (ranking counts them)."""
    terms: list[str] = []
    words: list[str] = []
    for match in _RUNS.finditer(normalize(text)):
        han, word = match.groups()
        if word is not None:
            if word not in ENGLISH_STOP_WORDS and len(word) <= MAX_TERM_CHARS:
                words.append(word)
            continue
        terms.extend(_stem(words))
        words = []
        terms.extend(
            piece
            for piece in _jieba().cut_for_search(han, HMM=True)
            if piece not in CHINESE_STOP_WORDS and _HAN_WORD.fullmatch(piece)
        )
    terms.extend(_stem(words))
    return terms


def _stem(words: list[str]) -> list[str]:
    return _stemmer().stemWords(words) if words else []


def query_terms(text: str) -> list[str]:
    """The distinct terms of a query, in order of first appearance."""
    return list(dict.fromkeys(analyze(text)))


def index_text(text: str) -> str:
    """What the full-text index stores for `text`: its terms, separated by spaces."""
    return " ".join(analyze(text))
