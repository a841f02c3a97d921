"""dimensions: every clause → SERVQUAL dimension(s) and extra categories, with polarity.

Lexicon terms are matched per clause by the runner-built matcher; a mention's polarity comes
from its opinion term (negation respected) and the clause sentiment. Reviews that no lexicon
term hits may fall back on their topic's dominant dimension (``topic_fallback``).
``dim_<key>`` aggregates a review's mentions of each dimension.
"""

from __future__ import annotations

import logging

import pandas as pd

from pipeline.config import DimensionsParams
from pipeline.errors import StageError
from pipeline.stages.base import Resources

logger = logging.getLogger(__name__)

REQUIRES = ("clauses", "clause_tokens", "clause_scores")
PRODUCES = ("mentions", "dimensions")  # plus dim_<key> for every configured dimension


def dim_columns(params: DimensionsParams) -> list[str]:
    """The ``dim_<key>`` column names, in config order."""
    return [f"dim_{k}" for k in params.dimensions]


def _lexicon_mentions(df: pd.DataFrame, params: DimensionsParams, res: Resources) -> list[list[dict]]:
    from pipeline.aspects import resolve_polarity

    matcher = res.matcher
    if matcher is None:
        raise StageError("stage 'dimensions' needs an aspect matcher in its resources; the runner builds it from dimensions.lexicons")
    sent = res.config.sentiment
    all_mentions: list[list[dict]] = []
    review_scores = df["sentiment_score"].astype(float).tolist() if "sentiment_score" in df.columns else [None] * len(df)
    for clauses, toks, scores, review_score in zip(df["clauses"].tolist(), df["clause_tokens"].tolist(), df["clause_scores"].tolist(), review_scores):
        review_mentions: list[dict] = []
        for ci, (clause, tokens, score) in enumerate(zip(clauses, toks, scores)):
            for m in matcher.match(clause, tokens):
                if m.dimension not in params.dimensions:
                    continue
                polarity, mscore = resolve_polarity(m, float(score), sent.neutral_low, sent.neutral_high, review_score=review_score)
                review_mentions.append(
                    {
                        "clause_index": ci,
                        "clause": clause,
                        "dimension": m.dimension,
                        "sub_aspect": m.sub_aspect,
                        "polarity": polarity,
                        "score": round(float(mscore), 4),
                        "terms": "|".join(m.terms),
                        "source": "lexicon",
                    }
                )
        all_mentions.append(review_mentions)
    return all_mentions


def fit(df: pd.DataFrame, params: DimensionsParams, res: Resources) -> None:
    """With ``topic_fallback`` on, learn each topic's dominant dimension from ``df``."""
    if not params.topic_fallback or "topic_id" not in df.columns:
        res.topic_dimensions = None
        return
    res.topic_dimensions = dominant_dimensions(df["topic_id"].astype(int).tolist(), _lexicon_mentions(df, params, res), params.topic_fallback_min_share)


def run(df: pd.DataFrame, params: DimensionsParams, res: Resources) -> pd.DataFrame:
    """Find the dimensions each review mentions and their polarity.

    Raises:
        StageError: the runner provided no aspect matcher.
    """
    from pipeline.aspects import aggregate_review

    keys = list(params.dimensions)
    all_mentions = _lexicon_mentions(df, params, res)
    if params.topic_fallback and "topic_id" in df.columns:
        if res.topic_dimensions is None:
            fit(df, params, res)
        sent = res.config.sentiment
        _topic_fallback(df, all_mentions, res.topic_dimensions or {}, sent.neutral_low, sent.neutral_high)
    out = df.copy()
    out["mentions"] = pd.Series(all_mentions, index=out.index, dtype=object)
    dim_values: dict[str, list[str]] = {k: [] for k in keys}
    mentioned: list[str] = []
    for ms in all_mentions:
        by_dim: dict[str, list[str]] = {}
        for m in ms:
            by_dim.setdefault(m["dimension"], []).append(m["polarity"])
        for k in keys:
            dim_values[k].append(aggregate_review(by_dim[k]) if k in by_dim else "")
        mentioned.append(";".join(k for k in keys if k in by_dim))
    out["dimensions"] = pd.array(mentioned, dtype="string")
    for k in keys:
        out[f"dim_{k}"] = pd.array(dim_values[k], dtype="string")
    return out


def dominant_dimensions(topic_ids: list[int], all_mentions: list[list[dict]], min_share: float) -> dict[int, str]:
    """Topic id -> the dimension mentioned by at least ``min_share`` of its reviews."""
    shares: dict[int, dict[str, int]] = {}
    sizes: dict[int, int] = {}
    for tid, ms in zip(topic_ids, all_mentions):
        if tid < 0:
            continue
        sizes[tid] = sizes.get(tid, 0) + 1
        for d in {m["dimension"] for m in ms}:
            shares.setdefault(tid, {})[d] = shares.setdefault(tid, {}).get(d, 0) + 1
    dominant: dict[int, str] = {}
    for tid, counts in shares.items():
        dim, n = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
        if n / sizes[tid] >= min_share:
            dominant[tid] = dim
    return dominant


def _topic_fallback(df: pd.DataFrame, all_mentions: list[list[dict]], dominant: dict[int, str], low: float, high: float) -> None:
    """Give reviews with no lexicon mention their topic's dominant dimension (in place)."""
    topic_ids = df["topic_id"].astype(int).tolist()
    for tid, ms, clauses, scores in zip(topic_ids, all_mentions, df["clauses"].tolist(), df["clause_scores"].tolist()):
        if ms or tid not in dominant or not clauses:
            continue
        ci = max(range(len(scores)), key=lambda i: abs(float(scores[i]) - 0.5))
        score = float(scores[ci])
        if low <= score <= high:
            continue
        ms.append(
            {
                "clause_index": ci,
                "clause": clauses[ci],
                "dimension": dominant[tid],
                "sub_aspect": "topic",
                "polarity": "positive" if score > high else "negative",
                "score": round(score, 4),
                "terms": f"topic:{tid}",
                "source": "topic",
            }
        )
