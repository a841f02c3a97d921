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

import numpy as np
import pandas as pd

from pipeline.report._common import column, label_for, numeric, rounded, share

logger = logging.getLogger(__name__)


def _tally(groups: pd.Series, values: pd.Series) -> dict[tuple[str, str], int]:
    """``{(group, value): count}`` for aligned group keys and values."""
    if len(groups) == 0:
        return {}
    # Factorising the arrays (not .to_numpy()) keeps Arrow strings in Arrow: no Python
    # object per row.
    g_codes, g_names = pd.factorize(groups.array, use_na_sentinel=True)
    v_codes, v_names = pd.factorize(values.array, use_na_sentinel=True)
    ok = (g_codes >= 0) & (v_codes >= 0)  # missing keys are not counted, as in a groupby
    width = max(len(v_names), 1)
    counts = np.bincount(g_codes[ok] * width + v_codes[ok], minlength=len(g_names) * width)
    return {(str(g_names[i // width]), str(v_names[i % width])): int(n) for i, n in enumerate(counts.tolist()) if n}


def _spec_stats(
    spec: Mapping[str, Any], counts: Mapping[str, int], mentions: int, labels: Mapping[str, str] | None
) -> dict[str, Any]:
    """One dimension's figures from its polarity counts."""
    key = str(spec["key"])
    rated = sum(counts.values())
    pos_share = share(counts["positive"], rated)
    neg_share = share(counts["negative"], rated)
    net = None if rated == 0 else pos_share - neg_share
    target = spec.get("target_negative_share")
    target = None if target is None else float(target)
    gap = None if target is None or neg_share is None else neg_share - target
    return {
        "key": key,
        "label": str(spec.get("label") or label_for(key, labels)),
        "weight": float(spec.get("weight") or 0.0),
        "servqual": bool(spec.get("servqual", False)),
        "reviews": rated,
        "mentions": mentions,
        **counts,
        "positive_share": rounded(pos_share),
        "neutral_share": rounded(share(counts["neutral"], rated)),
        "negative_share": rounded(neg_share),
        "net_score": rounded(net),
        "target_negative_share": target,
        "gap": rounded(gap),
        "meets_target": None if gap is None else bool(gap <= 1e-12),
    }


def _groups_of_mentions(review_ids: pd.Series, group_keys: pd.Series, mention_ids: pd.Series) -> pd.Series:
    """The group of each mention's review ('' when the review is not in ``review_ids``;
    review ids are unique in a feedback table)."""
    from pipeline.arrowops import positions_in

    pos = positions_in(mention_ids, review_ids)
    keys = group_keys.astype("string").reset_index(drop=True)
    if not len(keys):
        return pd.Series([""] * len(pos), dtype="string")
    out = keys.take(np.maximum(pos, 0)).reset_index(drop=True)
    return out.where(pos >= 0, "").fillna("")


def grouped_dimension_stats(
    feedback: pd.DataFrame,
    mentions: pd.DataFrame,
    dims: Sequence[Mapping[str, Any]],
    groups: pd.Series,
    labels: Mapping[str, str] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """:func:`dimension_stats` for every group of reviews at once (one pass per dimension).

    Args:
        feedback: Reviews.
        mentions: Their clause mentions (joined to groups through ``review_id``).
        dims: Dimension specs.
        groups: A group key per review, aligned with ``feedback``; ``''`` rows are skipped.
        labels: Fallback Chinese labels.

    Returns:
        ``{group: [stats per dimension]}`` for every non-empty group, in sorted order.
    """
    group_keys = groups.astype(str).reset_index(drop=True)
    mention_groups = _groups_of_mentions(column(feedback, "review_id"), group_keys, column(mentions, "review_id"))
    mention_dim = column(mentions, "dimension").reset_index(drop=True)
    mention_pol = column(mentions, "polarity").reset_index(drop=True)
    names = sorted(str(k) for k in group_keys.unique() if k != "")
    result: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for spec in dims:
        key = str(spec["key"])
        in_dim = mention_dim == key
        col = f"dim_{key}"
        if col in feedback.columns:
            tally = _tally(group_keys, column(feedback, col).reset_index(drop=True))
        else:
            logger.debug("no column %s; counting clause mentions for '%s'", col, key)
            tally = _tally(mention_groups[in_dim], mention_pol[in_dim])
        mention_counts = mention_groups[in_dim].value_counts()
        for name in names:
            counts = {p: tally.get((name, p), 0) for p in ("positive", "neutral", "negative")}
            mentioned = int(mention_counts.get(name, 0))
            result[name].append(_spec_stats(spec, counts, mentioned, labels))
    return result


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
    everyone = pd.Series(["*"] * len(feedback), dtype=object)
    stats = grouped_dimension_stats(feedback, mentions, dims, everyone, labels)
    if "*" in stats:
        return stats["*"]
    zero = {"positive": 0, "neutral": 0, "negative": 0}
    return [_spec_stats(spec, zero, 0, labels) for spec in dims]


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
    keys = groups.astype(str).reset_index(drop=True)
    stats_by_group = grouped_dimension_stats(feedback, mentions, dims, keys)
    frame = pd.DataFrame(
        {
            "g": keys.to_numpy(),
            "score": numeric(feedback, "sentiment_score").to_numpy(),
            "negative": (column(feedback, "sentiment_label") == "negative").to_numpy(),
        }
    )
    agg = frame.groupby("g").agg(
        reviews=("g", "size"), mean=("score", "mean"), negative=("negative", "sum")
    )
    result: dict[str, dict[str, Any]] = {}
    for name, stats in stats_by_group.items():
        row = agg.loc[name]
        result[name] = {
            "reviews": int(row["reviews"]),
            "mean_sentiment": rounded(row["mean"]),
            "negative_share": rounded(share(row["negative"], row["reviews"])),
            "service_quality_index": quality_index(stats),
            "dimension_negative_share": {s["key"]: s["negative_share"] for s in stats},
            "dimension_net_score": {s["key"]: s["net_score"] for s in stats},
        }
    return result
