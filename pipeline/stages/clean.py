"""clean: normalise the text, mask personal data, reject text with nothing to analyse.

``text`` stays as received (PII-masked when masking is on) for the outputs; ``text_clean``
(half-width, simplified, no urls/html/emoji, masked) is what later stages analyse.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from pipeline.config import CleanParams
from pipeline.stages.base import REJECT_COL, Resources
from pipeline.text import count_cjk, mask_pii, normalize_unicode, strip_noise, to_halfwidth, to_simplified

logger = logging.getLogger(__name__)

REQUIRES = ("review_id", "text")
PRODUCES = ("text", "text_clean", REJECT_COL)


def clean_text(text: str, params: CleanParams) -> str:
    """The analysable form of one review."""
    t = normalize_unicode(text)
    if params.mask_pii:
        t = mask_pii(t, params.pii_kinds)
    if params.fullwidth_to_halfwidth:
        t = to_halfwidth(t)
    if params.traditional_to_simplified:
        t = to_simplified(t)
    return strip_noise(t, urls=params.strip_urls, html=params.strip_html, emoji=params.strip_emoji)


def run(df: pd.DataFrame, params: CleanParams, res: Resources) -> pd.DataFrame:
    """Clean every review; reject those with fewer than ``min_cjk_chars`` Chinese characters.

    Duplicates are flagged later, over the whole table (:func:`flag_duplicates`).
    """
    out = df.copy()
    texts = out["text"].fillna("").astype(str).tolist()
    cleaned = [clean_text(t, params) for t in texts]
    if params.mask_pii:
        out["text"] = pd.array([mask_pii(t, params.pii_kinds) for t in texts], dtype="string")
    out["text_clean"] = pd.array(cleaned, dtype="string")
    reasons = out[REJECT_COL] if REJECT_COL in out.columns else pd.Series(pd.array([None] * len(out), dtype="string"), index=out.index)
    cjk = [count_cjk(t) for t in cleaned]
    reasons = reasons.copy()
    for idx, c, t in zip(out.index, cjk, cleaned):
        if c < params.min_cjk_chars and pd.isna(reasons.loc[idx]):
            what = "no text left after removing urls, emoji and symbols" if not t.strip() else "no Chinese text"
            reasons.loc[idx] = f"{what} (fewer than {params.min_cjk_chars} Chinese characters; clean.min_cjk_chars)"
    out[REJECT_COL] = reasons
    return out


def duplicate_key(text: str) -> str:
    """What two reviews must share to count as the same text: the normalised, cleaned form
    without whitespace and punctuation."""
    t = strip_noise(to_simplified(to_halfwidth(normalize_unicode(text))))
    return "".join(ch for ch in t if ch.isalnum())


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
