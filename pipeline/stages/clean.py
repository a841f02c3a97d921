"""clean: normalise the text, mask personal data, reject text with nothing to analyse.

``text`` stays as received (PII-masked when masking is on) for the outputs; ``text_clean``
(half-width, simplified, no urls/html/emoji, masked) is what later stages analyse.
"""

from __future__ import annotations

import hashlib
import logging

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


def flag_duplicates(review_ids: list[str], texts: list[str]) -> list[str]:
    """``duplicate_of`` for every review: the id of the first review with the same text, or ''.

    Run over the whole (cumulative) table, so duplicates are found across chunks and runs.
    """
    first: dict[bytes, str] = {}
    out: list[str] = []
    for rid, text in zip(review_ids, texts):
        norm = duplicate_key(text)
        # An 8-byte digest keeps the table small on million-review dumps.
        key = hashlib.blake2b(norm.encode("utf-8"), digest_size=8).digest() if norm else b""
        if key and key in first:
            out.append(first[key])
        else:
            first.setdefault(key, rid)
            out.append("")
    return out
