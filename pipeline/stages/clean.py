"""clean: normalise the text, mask personal data, reject text with nothing to analyse.

``text`` stays as received (PII-masked when masking is on) for the outputs; ``text_clean``
(half-width, simplified, no urls/html/emoji, masked) is what later stages analyse.
"""

from __future__ import annotations

import hashlib
import logging
import re
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from pipeline.config import CleanParams
from pipeline.stages.base import REJECT_COL, Resources
from pipeline.text import has_cjk, mask_pii, normalize_unicode, strip_noise, to_halfwidth, to_simplified

logger = logging.getLogger(__name__)

REQUIRES = ("review_id", "text")
#: Each review's duplicate digest (:func:`duplicate_digests`), kept in the cumulative store.
DIGEST_COL = "dup_digest"
PRODUCES = ("text", "text_clean", DIGEST_COL, REJECT_COL)


def clean_text(text: str, params: CleanParams) -> str:
    """The analysable form of one review."""
    return _clean_one(text, params)[1]


def _clean_one(text: str, params: CleanParams) -> tuple[str, str, bool]:
    """(``text`` PII-masked, its analysable form, whether the masked text needs no further
    Unicode normalisation). Normalising first means masking sees composed characters; a
    text that normalisation leaves alone (most) is masked once, not twice."""
    u = normalize_unicode(text)
    m = mask_pii(u, params.pii_kinds) if params.mask_pii else u
    t = to_halfwidth(m) if params.fullwidth_to_halfwidth else m
    if params.traditional_to_simplified:
        t = to_simplified(t)
    cleaned = strip_noise(t, urls=params.strip_urls, html=params.strip_html, emoji=params.strip_emoji)
    if u is text:
        return m, cleaned, m is u or normalize_unicode(m) is m
    masked = mask_pii(text, params.pii_kinds) if params.mask_pii else text
    return masked, cleaned, False


def _cleans_like_duplicate_key(params: CleanParams) -> bool:
    """Whether ``text_clean`` is the normalised form :func:`duplicate_key` starts from (every
    normalisation on), so a plain text's key can be read off it."""
    return params.fullwidth_to_halfwidth and params.traditional_to_simplified and params.strip_urls and params.strip_html and params.strip_emoji


def run(df: pd.DataFrame, params: CleanParams, res: Resources) -> pd.DataFrame:
    """Clean every review; reject those with fewer than ``min_cjk_chars`` Chinese characters.

    With ``flag_duplicates`` on, each review's duplicate digest (:data:`DIGEST_COL`) is
    computed here, where the normalised text is at hand; duplicates are flagged later, over
    the whole table (:func:`first_of_duplicates`).
    """
    out = df.copy()
    texts = out["text"].fillna("").astype(str).tolist()
    results = [_clean_one(t, params) for t in texts]
    cleaned = [c for _, c, _ in results]
    if params.mask_pii:
        out["text"] = pd.array([m for m, _, _ in results], dtype="string")
    out["text_clean"] = pd.array(cleaned, dtype="string")
    if params.flag_duplicates:
        shortcut = _cleans_like_duplicate_key(params)
        out[DIGEST_COL] = np.fromiter(
            (_digest(_alnum(c) if shortcut and plain else duplicate_key(m)) for m, c, plain in results), dtype=np.uint64, count=len(results)
        )
    out[REJECT_COL] = _too_little_chinese(out, cleaned, params.min_cjk_chars)
    return out


def _too_little_chinese(out: pd.DataFrame, cleaned: list[str], min_cjk: int) -> pd.Series:
    """The reject column with a reason added for every not yet rejected text with fewer than
    ``min_cjk`` Chinese characters."""
    if REJECT_COL in out.columns:
        reasons = out[REJECT_COL].astype("string")
    else:
        reasons = pd.Series(pd.array([None] * len(out), dtype="string"), index=out.index)
    short = [i for i, t in enumerate(cleaned) if not has_cjk(t, min_cjk)]
    if not short:
        return reasons
    open_rows = reasons.isna().to_numpy()
    values = reasons.array.copy()
    for i in short:
        if open_rows[i]:
            what = "no text left after removing urls, emoji and symbols" if not cleaned[i].strip() else "no Chinese text"
            values[i] = f"{what} (fewer than {min_cjk} Chinese characters; clean.min_cjk_chars)"
    return pd.Series(values, index=out.index)


def duplicate_key(text: str) -> str:
    """What two reviews must share to count as the same text: the normalised, cleaned form
    without whitespace and punctuation."""
    return _alnum(strip_noise(to_simplified(to_halfwidth(normalize_unicode(text)))))


# \w is str.isalnum() plus "_": removing [\W_] keeps exactly the letters and digits.
_NON_ALNUM_RE = re.compile(r"[\W_]+")


def _alnum(text: str) -> str:
    return _NON_ALNUM_RE.sub("", text)


def duplicate_digests(texts: Iterable[str]) -> np.ndarray:
    """An 8-byte digest of each text's :func:`duplicate_key` (0 when nothing is left): equal
    digests mean the same text. A million reviews need 8 MB of digests, not their texts."""
    return np.fromiter((_digest(duplicate_key(t)) for t in texts), dtype=np.uint64)


def first_of_duplicates(review_ids: Sequence[str] | pd.Series, digests: np.ndarray) -> list[str]:
    """``duplicate_of`` for every review: the id of the first review with the same digest, or ''."""
    keys = np.asarray(digests, dtype=np.uint64)
    if len(keys) != len(review_ids):
        raise ValueError(f"first_of_duplicates: {len(review_ids)} ids but {len(keys)} digests")
    if not len(keys):
        return []
    _, first_index, inverse = np.unique(keys, return_index=True, return_inverse=True)
    first_row = first_index[inverse]
    is_dup = (first_row != np.arange(len(keys))) & (keys != 0)
    ids = review_ids.tolist() if isinstance(review_ids, pd.Series) else list(review_ids)
    return [ids[f] if d else "" for f, d in zip(first_row.tolist(), is_dup.tolist())]


def flag_duplicates(review_ids: Sequence[str] | pd.Series, texts: Iterable[str]) -> list[str]:
    """``duplicate_of`` for every review: the id of the first review with the same text, or ''.

    Run over the whole (cumulative) table, so duplicates are found across chunks and runs.
    """
    return first_of_duplicates(review_ids, duplicate_digests(texts))


def _digest(norm: str) -> int:
    return int.from_bytes(hashlib.blake2b(norm.encode("utf-8"), digest_size=8).digest(), "little") if norm else 0
