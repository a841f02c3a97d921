"""dimensions: every clause → SERVQUAL dimension(s) and extra categories, with polarity.

Lexicon terms are matched per clause by the runner-built matcher, once per distinct clause
of a partition (dumps repeat clauses heavily); a mention's polarity comes from its opinion
term (negation respected) and the clause sentiment, a weak mention's from the tone around it
(:func:`pipeline.aspects.weak_context_score`). Reviews that no lexicon term hits may fall
back on their topic's dominant dimension (``topic_fallback``). ``dim_<key>`` aggregates a
review's mentions of each dimension.
"""

from __future__ import annotations

import gc
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
    """Mention rows per review (see ``aspect_mentions.csv``).

    The loop allocates many small acyclic objects (mention rows, cache entries); the cyclic
    garbage collector is paused meanwhile, or it would walk the partition's clause and
    token lists again and again.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _match_rows(df, params, res)
    finally:
        if was_enabled:
            gc.enable()


def _match_rows(df: pd.DataFrame, params: DimensionsParams, res: Resources) -> list[list[dict]]:
    from pipeline.aspects import Mention, resolve_polarity, weak_context_score

    matcher = res.matcher
    if matcher is None:
        raise StageError("stage 'dimensions' needs an aspect matcher in its resources; the runner builds it from dimensions.lexicons")
    sent = res.config.sentiment
    low, high = sent.neutral_low, sent.neutral_high
    wanted = frozenset(params.dimensions)
    match = matcher.match
    # Real dumps repeat clauses heavily (好吃, 服务很好, 环境不错): match each distinct clause once.
    # The tokens are part of the key (compared, not hashed): they are jieba's cut of the clause.
    seen: dict[str, tuple[list[str], list[tuple[Mention, str, bool]]]] = {}
    empty: list = []
    all_mentions: list[list[dict]] = []
    review_scores = df["sentiment_score"].astype(float).tolist() if "sentiment_score" in df.columns else [None] * len(df)
    for clauses, toks, scores, review_score in zip(df["clauses"].tolist(), df["clause_tokens"].tolist(), df["clause_scores"].tolist(), review_scores):
        review_mentions: list[dict] = []
        ci = -1
        for clause, tokens, score in zip(clauses, toks, scores):
            ci += 1
            cached = seen.get(clause)
            if cached is None or cached[0] != tokens:
                found = match(clause, tokens)
                if found:
                    found = [(m, "|".join(m.terms), m.weak and m.lexicon_polarity is None) for m in found if m.dimension in wanted]
                cached = seen[clause] = (tokens, found or empty)
            if cached[1] is empty:
                continue
            score = float(score)
            for m, terms, toned in cached[1]:
                tone = weak_context_score(review_score, scores, ci) if toned else review_score
                polarity, mscore = resolve_polarity(m, score, low, high, review_score=tone)
                review_mentions.append(
                    {
                        "clause_index": ci,
                        "clause": clause,
                        "dimension": m.dimension,
                        "sub_aspect": m.sub_aspect,
                        "polarity": polarity,
                        "score": round(float(mscore), 4),
                        "terms": terms,
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
    n = len(all_mentions)
    dim_values: dict[str, list[str]] = {k: [""] * n for k in keys}
    mentioned: list[str] = [""] * n
    for i, ms in enumerate(all_mentions):
        if not ms:
            continue
        by_dim: dict[str, list[str]] = {}
        for m in ms:
            pols = by_dim.get(m["dimension"])
            if pols is None:
                by_dim[m["dimension"]] = [m["polarity"]]
            else:
                pols.append(m["polarity"])
        for k, pols in by_dim.items():
            if k in dim_values:
                dim_values[k][i] = aggregate_review(pols)
        mentioned[i] = ";".join(k for k in keys if k in by_dim)
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
