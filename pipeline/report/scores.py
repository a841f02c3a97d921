"""Dimension scores and the weighted service-quality index.

A dimension's polarity counts are **reviews**, not clauses: the pipeline already folds a
review's clauses into one ``dim_<key>`` verdict, and one guest who complains about the room
five times should weigh as one guest. ``mentions`` counts the clause-level evidence rows.
When a frame has no ``dim_<key>`` column the clause rows are counted instead.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from pipeline.report._common import column, label_for, numeric, rounded, share

logger = logging.getLogger(__name__)


def dimension_stats(
    feedback: pd.DataFrame,
    mentions: pd.DataFrame,
    dims: Sequence[Mapping[str, Any]],
    labels: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Polarity counts, shares, net score and target gap for every configured dimension.

    Args:
        feedback: Reviews to score (one row each), with ``dim_<key>`` columns.
        mentions: Clause mentions of these reviews (``dimension``, ``polarity``).
        dims: Dimension specs: ``key``, ``label``, ``weight``, ``servqual``,
            ``target_negative_share``.
        labels: Fallback Chinese labels for dims without a ``label``.

    Returns:
        One dict per dimension, in the order of ``dims``.
    """
    mention_dim = column(mentions, "dimension")
    mention_pol = column(mentions, "polarity")
    out = []
    for spec in dims:
        key = str(spec["key"])
        in_dim = mention_dim == key
        col = f"dim_{key}"
        if col in feedback.columns:
            verdicts = column(feedback, col)
        else:
            logger.debug("no column %s; counting clause mentions for '%s'", col, key)
            verdicts = mention_pol[in_dim]
        counts = {pol: int((verdicts == pol).sum()) for pol in ("positive", "neutral", "negative")}
        rated = sum(counts.values())
        pos_share = share(counts["positive"], rated)
        neg_share = share(counts["negative"], rated)
        net = None if rated == 0 else pos_share - neg_share
        target = spec.get("target_negative_share")
        target = None if target is None else float(target)
        gap = None if target is None or neg_share is None else neg_share - target
        out.append(
            {
                "key": key,
                "label": str(spec.get("label") or label_for(key, labels)),
                "weight": float(spec.get("weight") or 0.0),
                "servqual": bool(spec.get("servqual", False)),
                "reviews": rated,
                "mentions": int(in_dim.sum()),
                **counts,
                "positive_share": rounded(pos_share),
                "neutral_share": rounded(share(counts["neutral"], rated)),
                "negative_share": rounded(neg_share),
                "net_score": rounded(net),
                "target_negative_share": target,
                "gap": rounded(gap),
                "meets_target": None if gap is None else bool(gap <= 1e-12),
            }
        )
    return out


def quality_index(stats: Sequence[Mapping[str, Any]]) -> float | None:
    """Weighted service-quality index, 0-100.

    Each SERVQUAL dimension with at least one rated review contributes
    ``(net_score + 1) / 2 * 100``; weights are renormalised over those dimensions
    (equal weights if they all weigh zero). Extra categories never count.

    Args:
        stats: Output of :func:`dimension_stats`.

    Returns:
        The index rounded to 2 decimals, or ``None`` when no SERVQUAL dimension is rated.
    """
    scored = [s for s in stats if s["servqual"] and s["net_score"] is not None]
    if not scored:
        return None
    weights = [max(float(s["weight"]), 0.0) for s in scored]
    if sum(weights) <= 0:
        logger.warning("all rated SERVQUAL dimensions weigh 0; using equal weights")
        weights = [1.0] * len(scored)
    total = sum(weights)
    value = sum(w * (s["net_score"] + 1.0) / 2.0 * 100.0 for w, s in zip(weights, scored))
    return rounded(value / total, 2)


def group_scores(
    feedback: pd.DataFrame,
    mentions: pd.DataFrame,
    dims: Sequence[Mapping[str, Any]],
    groups: pd.Series,
) -> dict[str, dict[str, Any]]:
    """Review count, mean sentiment, index and per-dimension negative share per group.

    Args:
        feedback: Reviews, aligned with ``groups``.
        mentions: Their clause mentions.
        dims: Dimension specs.
        groups: A group key per review (``''`` rows are skipped).

    Returns:
        ``{group: {...}}`` for every non-empty group, in sorted key order.
    """
    review_ids = column(feedback, "review_id")
    mention_ids = column(mentions, "review_id")
    scores = numeric(feedback, "sentiment_score")
    sentiment_label = column(feedback, "sentiment_label")
    result: dict[str, dict[str, Any]] = {}
    for name in sorted(set(groups) - {""}):
        mask = groups == name
        part = feedback[mask]
        part_mentions = mentions[mention_ids.isin(set(review_ids[mask]))]
        stats = dimension_stats(part, part_mentions, dims)
        part_scores = scores[mask]
        result[name] = {
            "reviews": int(mask.sum()),
            "mean_sentiment": rounded(part_scores.mean()) if part_scores.notna().any() else None,
            "negative_share": rounded(share((sentiment_label[mask] == "negative").sum(), mask.sum())),
            "service_quality_index": quality_index(stats),
            "dimension_negative_share": {s["key"]: s["negative_share"] for s in stats},
            "dimension_net_score": {s["key"]: s["net_score"] for s in stats},
        }
    return result
