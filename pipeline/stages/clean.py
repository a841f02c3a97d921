"""clean: normalise the text, mask personal data, reject text with nothing to analyse, flag duplicates.

``text`` stays as received (PII-masked when masking is on) for the outputs; ``text_clean``
(half-width, simplified, no urls/html/emoji, masked) is what later stages analyse.
"""

from __future__ import annotations

import logging

import pandas as pd

from pipeline.config import CleanParams
from pipeline.stages.base import REJECT_COL, Resources
from pipeline.text import count_cjk, mask_pii, normalize_unicode, strip_noise, to_halfwidth, to_simplified

logger = logging.getLogger(__name__)

REQUIRES = ("review_id", "text")
PRODUCES = ("text", "text_clean", "duplicate_of", REJECT_COL)


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

    Exact duplicates (same cleaned text, different ids) are kept but get ``duplicate_of``
    set to the first review's id, so reports can count them once.
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
        if pd.isna(reasons.loc[idx]) and c < params.min_cjk_chars:
            what = "no text left after removing urls, emoji and symbols" if not t.strip() else "no Chinese text"
            reasons.loc[idx] = f"{what} (fewer than {params.min_cjk_chars} Chinese characters; clean.min_cjk_chars)"
    out[REJECT_COL] = reasons
    dup: list[str] = [""] * len(out)
    if params.flag_duplicates:
        first: dict[str, str] = {}
        for i, (rid, t, r) in enumerate(zip(out["review_id"].tolist(), cleaned, reasons.tolist())):
            if not pd.isna(r):
                continue
            key = "".join(t.split())
            if key in first:
                dup[i] = first[key]
            else:
                first[key] = rid
    out["duplicate_of"] = pd.array(dup, dtype="string")
    return out
