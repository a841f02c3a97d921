"""Chinese text handling, in one place: normalisation, PII masking, clause splitting, and
(through :mod:`pipeline.segmenter`) jieba / rjieba.

jieba is loaded once per (user dictionaries, stopwords) combination and reused; every other
module gets tokens through :func:`get_segmenter`.
"""

from __future__ import annotations

import functools
import html
import logging
import re
import unicodedata

# Segmentation lives in pipeline.segmenter; its public names are re-exported from here.
from pipeline.segmenter import SEGMENT_BACKENDS, Segmenter, get_segmenter, parse_user_dict, read_word_list

__all__ = [
    "CLAUSE_PUNCT", "DEFAULT_CONTRAST_WORDS", "PII_MASKS", "PII_PATTERNS", "SEGMENT_BACKENDS", "Segmenter",
    "count_cjk", "get_segmenter", "has_cjk", "mask_pii", "normalize_unicode", "parse_user_dict", "read_word_list",
    "split_clauses", "starts_with_contrast", "strip_noise", "to_halfwidth", "to_simplified",
]

logger = logging.getLogger(__name__)

# --- normalisation --------------------------------------------------------------------------

URL_RE = re.compile(r"(?:https?://|www\.)[^\s\u4e00-\u9fff，。！？；、]+", re.IGNORECASE)
# Tags and comments only: "价格<300元，性价比>高" is text, not markup.
HTML_TAG_RE = re.compile(r"<!--[\s\S]{0,2000}?-->|</?[A-Za-z][A-Za-z0-9:-]{0,30}(?:\s[^<>\n]{0,200})?/?>")
HTML_ENTITY_RE = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,30}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")
WHITESPACE_RE = re.compile(r"\s+")
CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN_RE = re.compile(r"[A-Za-z]")
# Pictographs, dingbats, variation selectors, zero-width joiners and skin-tone modifiers.
EMOJI_RE = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U0001f1e6-\U0001f1ff"
    "\u200d\ufe0e\ufe0f\u20e3\U0001f3fb-\U0001f3ff\u2b50\u2b06\u2194-\u21aa\u2300-\u23ff]+"
)
# Runs of the same punctuation ("！！！！", "。。。。") collapse to one.
REPEAT_PUNCT_RE = re.compile(r"([!?.,~。！？，、…~])\1+")

_FULLWIDTH_TABLE = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH_TABLE[0x3000] = 0x20
# Chinese punctuation that carries clause structure is kept full-width on purpose.
for _keep in "，。！？；：（）":
    _FULLWIDTH_TABLE.pop(ord(_keep), None)


_FULLWIDTH_RE = re.compile("[" + "".join(map(chr, sorted(_FULLWIDTH_TABLE))) + "]")


def to_halfwidth(text: str) -> str:
    """Fold full-width Latin letters, digits and symbols (ＷＩＦＩ３０) to ASCII (WIFI30)."""
    return text.translate(_FULLWIDTH_TABLE) if _FULLWIDTH_RE.search(text) else text


@functools.lru_cache(maxsize=1)
def _t2s_converter():
    from opencc import OpenCC

    return OpenCC("t2s")


@functools.lru_cache(maxsize=1)
def _t2s_trigger_chars() -> frozenset[str] | None:
    """Characters at least one of which a text must hold for opencc's t2s to change it.

    Every dictionary entry that changes text (traditional → simplified character or phrase)
    contains one of them, so a text without any is returned unchanged. None when opencc's
    dictionaries cannot be read (then every text is converted).
    """
    converter = _t2s_converter()
    try:
        converter.convert("")
        tables: list = []
        pending = list(converter._dict_chain_data)
        while pending:
            item = pending.pop()
            if isinstance(item, list):
                pending.extend(item)
            else:
                tables.append(item[2])
        changes = [key for table in tables for key, value in table.items() if key != value]
        chars = {key for key in changes if len(key) == 1}
        # A phrase holding one of those is covered; the few others add their characters.
        for key in changes:
            if chars.isdisjoint(key):
                chars.update(key)
    except (AttributeError, IndexError, TypeError, ValueError) as exc:  # another opencc build
        logger.debug("opencc dictionaries not readable (%s); converting every text", exc)
        return None
    return frozenset(chars)


def to_simplified(text: str) -> str:
    """Convert traditional characters (HK/TW/Macau reviews) to simplified ones."""
    trigger = _t2s_trigger_chars()
    if trigger is not None and trigger.isdisjoint(text):
        return text
    return _t2s_converter().convert(text)


# Every url, tag, entity and emoji holds one of these: most reviews hold none and skip
# the three substitutions.
_NOISE_HINT_RE = re.compile(r"[<&]|(?i:https?://|www\.)|" + EMOJI_RE.pattern)


def strip_noise(text: str, *, urls: bool = True, html: bool = True, emoji: bool = True) -> str:
    """Remove urls, html tags and emoji, collapse repeated punctuation and whitespace."""
    if (html or urls or emoji) and _NOISE_HINT_RE.search(text):
        text = _strip_markup(text, urls=urls, html=html, emoji=emoji)
    text = REPEAT_PUNCT_RE.sub(r"\1", text)
    return WHITESPACE_RE.sub(" ", text).strip()


def _strip_markup(text: str, *, urls: bool, html: bool, emoji: bool) -> str:
    if html:
        text = HTML_ENTITY_RE.sub(_unescape_entity, HTML_TAG_RE.sub(" ", text))
    if urls:
        text = URL_RE.sub(" ", text)
    if emoji:
        text = EMOJI_RE.sub(" ", text)
    return text


def _unescape_entity(m: re.Match[str]) -> str:
    """``&nbsp;`` → space, ``&amp;`` → ``&``; control characters, surrogates and invalid
    code points (``&#0;``, which unescape turns into U+FFFD) become a space."""
    ch = html.unescape(m.group(0))
    return " " if any(c == "\ufffd" or unicodedata.category(c)[0] == "C" for c in ch) else ch


def count_cjk(text: str) -> int:
    """Number of CJK ideographs in ``text``."""
    return len(CJK_RE.findall(text))


def has_cjk(text: str, at_least: int = 1) -> bool:
    """Whether ``text`` holds at least ``at_least`` CJK ideographs (stops looking once it has)."""
    pos = 0
    for _ in range(at_least):
        m = CJK_RE.search(text, pos)
        if m is None:
            return False
        pos = m.end()
    return True


# --- personal data --------------------------------------------------------------------------

PII_PATTERNS: dict[str, re.Pattern[str]] = {
    "email": re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),
    # 18-digit resident ID (last may be X) before phone numbers so it is not half-masked.
    "id_card": re.compile(r"(?<!\d)\d{6}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?!\d)"),
    "phone": re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"),
    "landline": re.compile(r"(?<!\d)0\d{2,3}-\d{7,8}(?!\d)"),
    "bank_card": re.compile(r"(?<!\d)(?:62|4\d|5[1-5])\d{14,17}(?!\d)"),
    "qq_wechat": re.compile(r"(?:QQ|qq|微信|vx|VX|wx)[:： ]?[A-Za-z0-9_-]{5,20}"),
}
PII_MASKS = {
    "email": "[邮箱]",
    "id_card": "[身份证]",
    "phone": "[电话]",
    "landline": "[电话]",
    "bank_card": "[卡号]",
    "qq_wechat": "[账号]",
}


# Every PII pattern needs a digit, an @ or an account keyword: text without any is left alone.
_PII_HINT_RE = re.compile(r"\d|@|QQ|qq|微信|vx|VX|wx")


def mask_pii(text: str, kinds: list[str] | None = None) -> str:
    """Replace phone numbers, e-mails, ID-card and card numbers with placeholders.

    Args:
        text: the text to mask.
        kinds: which kinds of personal data to mask (keys of ``PII_PATTERNS``); all when None.

    Returns:
        The masked text; unchanged when nothing matched.
    """
    if not _PII_HINT_RE.search(text):
        return text
    for kind, pattern in PII_PATTERNS.items():
        if kinds is None or kind in kinds:
            text = pattern.sub(PII_MASKS[kind], text)
    return text


# --- clauses --------------------------------------------------------------------------------

CLAUSE_PUNCT = "，。！？；,.!?;\n…~～、"
_CLAUSE_PUNCT_RE = re.compile(f"[{re.escape(CLAUSE_PUNCT)}]+|\\s{{2,}}")
DEFAULT_CONTRAST_WORDS = ("但是", "不过", "可是", "然而", "就是", "只是", "只不过", "可惜", "但")


def split_clauses(text: str, contrast_words: tuple[str, ...] | list[str] = DEFAULT_CONTRAST_WORDS) -> list[str]:
    """Split a review into clauses on punctuation and before contrast words.

    ``房间不错但是服务太差`` gives ``["房间不错", "但是服务太差"]``: the contrast word stays at
    the head of the clause it introduces, so later stages can weigh that clause up.
    A single-character word such as ``但`` splits only where it cannot be part of a word
    (``不但`` is left alone). A contrast word that already opens a clause splits nothing,
    and neither does a shorter one inside it (``，只不过`` stays one clause).

    Args:
        text: a cleaned review.
        contrast_words: words that open a contrasting clause.

    Returns:
        Non-empty clauses, stripped, in order. An empty text gives an empty list.
    """
    clauses: list[str] = []
    start = 0
    # One pass over the text: group 1 is a run of splitting punctuation, anything else a
    # contrast word (read whole, so 只不过 is never cut before 不过).
    for m in _clause_pattern(tuple(contrast_words)).finditer(text):
        if m.lastindex == 1:
            clauses.append(text[start : m.start()])
            start = m.end()
        elif m.start() > start:
            clauses.append(text[start : m.start()])
            start = m.start()
    clauses.append(text[start:])
    return [c for c in map(str.strip, clauses) if c]


@functools.lru_cache(maxsize=16)
def _clause_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    """Clause boundaries: splitting punctuation (group 1) or a contrast word."""
    multi = sorted((w for w in words if len(w) > 1), key=len, reverse=True)
    single = [w for w in words if len(w) == 1]
    alternatives = [f"({_CLAUSE_PUNCT_RE.pattern})"] + [re.escape(w) for w in multi]
    # A lone 但 only when not in 不但/但愿/但凡.
    alternatives += [f"(?<!不){re.escape(w)}(?![愿凡是])" for w in single]
    return re.compile("|".join(alternatives))


def starts_with_contrast(clause: str, contrast_words: tuple[str, ...] | list[str] = DEFAULT_CONTRAST_WORDS) -> bool:
    """True when the clause opens with a contrast word (its view outweighs what came before)."""
    return clause.startswith(tuple(contrast_words))


def normalize_unicode(text: str) -> str:
    """NFC-normalise and drop control characters (keeps newlines as spaces)."""
    text = unicodedata.normalize("NFC", text)
    # isprintable() is False for every category-C character (and for some spaces): when it
    # holds there is nothing to replace.
    if text.isprintable():
        return text
    return "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
