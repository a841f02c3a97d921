"""Tables for analysts: dimension scores, trends, period comparisons, topics, quotes, search.

Every function takes a :class:`~pipeline.explore_frames.Run` (a whole run, the store, or a
slice from :func:`~pipeline.explore_frames.select`) and returns a new DataFrame.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import pandas as pd

from pipeline.explore_frames import LABELS, Run, select

logger = logging.getLogger(__name__)

_FREQ = {"week": "W-SUN", "month": "M"}
_CONTEXT = ["review_id", "date", "store", "source", "rating"]
_TREND_COLUMNS = ["period", "period_start", "dimension", "label", "reviews", "mentions", *LABELS, "positive_share", "negative_share", "net_score", "mean_rating"]


def _shares(counts: dict[str, int]) -> dict[str, float]:
    n = sum(counts.values())
    nan = float("nan")
    return {
        "positive_share": counts["positive"] / n if n else nan,
        "negative_share": counts["negative"] / n if n else nan,
        "net_score": (counts["positive"] - counts["negative"]) / n if n else nan,
    }


def _counts(col: pd.Series) -> dict[str, int]:
    vc = col.value_counts()
    return {lab: int(vc.get(lab, 0)) for lab in LABELS}


def dimension_summary(run: Run) -> pd.DataFrame:
    """Per dimension: reviews mentioning it, positive/neutral/negative counts and shares.

    Args:
        run: A run, the store or a slice.

    Returns:
        Columns ``dimension, label, mentions, positive, neutral, negative, positive_share,
        negative_share, net_score, target_negative_share``; ``mentions`` counts reviews
        (a review counts once per dimension); ``net_score`` is positive minus negative share.
    """
    targets = run.targets
    rows = []
    for key in run.dimension_keys:
        counts = _counts(run.feedback[f"dim_{key}"])
        rows.append(
            {
                "dimension": key,
                "label": run.label(key),
                "mentions": sum(counts.values()),
                **counts,
                **_shares(counts),
                "target_negative_share": targets.get(key, float("nan")),
            }
        )
    return pd.DataFrame(rows)


def sub_aspect_summary(run: Run, dimension: str | None = None) -> pd.DataFrame:
    """Per (dimension, sub-aspect): mention counts by polarity, most complained-about first.

    Args:
        run: A run, the store or a slice.
        dimension: Only this dimension's sub-aspects.

    Returns:
        Columns ``dimension, sub_aspect, sub_aspect_label, mentions, reviews, positive,
        neutral, negative, negative_share, net_score``.
    """
    m = run.mentions if dimension is None else run.mentions[run.mentions["dimension"] == dimension]
    rows = []
    for (dim, sub), g in m.groupby(["dimension", "sub_aspect"], observed=True, sort=True):
        counts = _counts(g["polarity"])
        shares = _shares(counts)
        rows.append(
            {
                "dimension": dim,
                "sub_aspect": sub,
                "sub_aspect_label": g["sub_aspect_label"].iloc[0],
                "mentions": len(g),
                "reviews": g["review_id"].nunique(),
                **counts,
                "negative_share": shares["negative_share"],
                "net_score": shares["net_score"],
            }
        )
    cols = ["dimension", "sub_aspect", "sub_aspect_label", "mentions", "reviews", *LABELS, "negative_share", "net_score"]
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["negative", "mentions", "sub_aspect"], ascending=[False, False, True]).reset_index(drop=True)


def _period_frame(dates: pd.Series, by: str) -> tuple[pd.Series, pd.PeriodIndex]:
    if by not in _FREQ:
        raise ValueError(f"by must be one of {sorted(_FREQ)}; got {by!r}")
    periods = dates.dt.to_period(_FREQ[by])
    valid = periods.dropna()
    full = pd.period_range(valid.min(), valid.max(), freq=_FREQ[by]) if len(valid) else pd.PeriodIndex([], freq=_FREQ[by])
    return periods, full


def period_label(period: pd.Period) -> str:
    """``2026-08`` for a month, ``2026-W32`` (ISO week) for a week."""
    if period.freqstr.startswith("W"):
        return period.start_time.strftime("%G-W%V")
    return str(period)


def trend(run: Run, by: Literal["week", "month"] = "month", dimension: str | None = None) -> pd.DataFrame:
    """Dimension polarity over time, one row per period (and dimension).

    Periods with no reviews in between are kept (counts 0, shares NaN), so lines show gaps.
    Reviews without a date are left out.

    Args:
        run: A run, the store or a slice.
        by: ``"week"`` (ISO weeks, Monday first) or ``"month"``.
        dimension: One dimension key; ``None`` gives every dimension (long format).

    Returns:
        Columns ``period, period_start, dimension, label, reviews, mentions, positive, neutral,
        negative, positive_share, negative_share, net_score, mean_rating``; ``reviews`` is all
        reviews in the period, ``mentions`` those mentioning the dimension.

    Raises:
        ValueError: ``by`` is not week or month.
        KeyError: unknown dimension.
    """
    keys = run.dimension_keys if dimension is None else [dimension]
    for key in keys:
        if key not in run.dimension_keys:
            raise KeyError(f"unknown dimension {key!r}; known: {', '.join(run.dimension_keys)}")
    fb = run.feedback
    periods, full = _period_frame(fb["date"], by)
    rows = []
    for key in keys:
        col = fb[f"dim_{key}"]
        for p in full:
            in_p = (periods == p).fillna(False).to_numpy()
            counts = _counts(col[in_p])
            ratings = fb.loc[in_p & col.notna().to_numpy(), "rating"]
            rows.append(
                {
                    "period": period_label(p),
                    "period_start": p.start_time,
                    "dimension": key,
                    "label": run.label(key),
                    "reviews": int(in_p.sum()),
                    "mentions": sum(counts.values()),
                    **counts,
                    **_shares(counts),
                    "mean_rating": float(ratings.mean()) if ratings.notna().any() else float("nan"),
                }
            )
    return pd.DataFrame(rows, columns=_TREND_COLUMNS)


def compare(run: Run, period_a: Any, period_b: Any) -> pd.DataFrame:
    """Per dimension: negative share and net score in two periods, and the change (b − a).

    Args:
        run: A run, the store or a slice (slice by store first to compare one hotel).
        period_a: The earlier period (see :func:`~pipeline.explore_frames.period_bounds`).
        period_b: The later period.

    Returns:
        Columns ``dimension, label, mentions_a, negative_share_a, net_score_a, mentions_b,
        negative_share_b, net_score_b, negative_share_change, net_score_change``; sorted
        with the dimension that slipped most (net score fell most) first.
    """
    a = dimension_summary(select(run, period=period_a)).set_index("dimension")
    b = dimension_summary(select(run, period=period_b)).set_index("dimension")
    out = pd.DataFrame({"label": a["label"]})
    for suffix, frame in (("a", a), ("b", b)):
        for col in ("mentions", "negative_share", "net_score"):
            out[f"{col}_{suffix}"] = frame[col]
    out["negative_share_change"] = out["negative_share_b"] - out["negative_share_a"]
    out["net_score_change"] = out["net_score_b"] - out["net_score_a"]
    return out.reset_index().sort_values(["net_score_change", "dimension"], na_position="last").reset_index(drop=True)


def by_store(run: Run, metric: Literal["net_score", "negative_share", "mentions"] = "net_score") -> pd.DataFrame:
    """One row per store, one column per dimension key, holding ``metric``; plus ``reviews``.

    Args:
        run: A run, the store or a slice.
        metric: Which figure of :func:`dimension_summary` to show.

    Returns:
        A frame indexed by store (sorted by name).
    """
    rows = {}
    for store in sorted(run.feedback["store"].dropna().unique()):
        part = select(run, store=store)
        summary = dimension_summary(part).set_index("dimension")[metric]
        rows[store] = {"reviews": len(part.feedback), **summary.to_dict()}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "store"
    return out


def since_when(run: Run, dimension: str, by: Literal["week", "month"] = "week", threshold: float | None = None) -> dict[str, Any]:
    """When did a dimension start to slip: the start of the latest unbroken stretch of periods
    whose negative share is above ``threshold`` (periods without mentions are skipped).

    Args:
        run: A run, the store or a slice.
        dimension: Dimension key.
        by: ``"week"`` or ``"month"``.
        threshold: Negative share that counts as slipping; default the config's target for
            the dimension, else its negative share over the whole run.

    Returns:
        ``{"dimension", "threshold", "since", "periods", "negative_share_since",
        "negative_share_before"}``; ``since`` is ``None`` when the latest period is fine.
    """
    t = trend(run, by=by, dimension=dimension)
    t = t[t["mentions"] > 0].reset_index(drop=True)
    if threshold is None:
        threshold = run.targets.get(dimension)
    if threshold is None:
        threshold = dimension_summary(run).set_index("dimension").at[dimension, "negative_share"]
    above = (t["negative_share"] > threshold).tolist()
    k = 0
    while k < len(above) and above[len(above) - 1 - k]:
        k += 1
    since, before = t.iloc[len(t) - k :], t.iloc[: len(t) - k]

    def share(part: pd.DataFrame) -> float:
        n = part["mentions"].sum()
        return float(part["negative"].sum() / n) if n else float("nan")

    return {
        "dimension": dimension,
        "threshold": float(threshold),
        "since": since["period"].iloc[0] if k else None,
        "periods": k,
        "negative_share_since": share(since),
        "negative_share_before": share(before),
    }


def top_complaints(run: Run, dimension: str | None = None, n: int = 10) -> pd.DataFrame:
    """The most negative clauses (lowest score first) about a dimension, with review context.

    Args:
        run: A run, the store or a slice.
        dimension: Dimension key; ``None`` for any dimension.
        n: How many clauses.

    Returns:
        Columns ``review_id, sub_aspect, clause, score, terms, sub_aspect_label, dimension,
        date, store, rating``.
    """
    q = quotes(run, dimension=dimension, polarity="negative", n=n)
    return q[["review_id", "sub_aspect", "clause", "score", "terms", "sub_aspect_label", "dimension", "date", "store", "rating"]]


def quotes(
    run: Run,
    dimension: str | None = None,
    polarity: str | None = "negative",
    store: str | None = None,
    sub_aspect: str | None = None,
    period: Any = None,
    n: int | None = 10,
) -> pd.DataFrame:
    """What customers said: matching clauses with their review's context.

    Negative clauses come most negative first, positive most positive first, others newest
    first; ties by review id and clause position, so the order is stable.

    Args:
        run: A run, the store or a slice.
        dimension: Dimension key, or ``None`` for all.
        polarity: ``positive`` / ``neutral`` / ``negative``, or ``None`` for all.
        store: Hotel/restaurant name.
        sub_aspect: Sub-aspect key (``cleanliness``).
        period: See :func:`~pipeline.explore_frames.period_bounds`.
        n: How many rows; ``None`` for all.

    Returns:
        Columns ``review_id, date, store, source, rating, dimension, label, sub_aspect,
        sub_aspect_label, polarity, score, clause, terms, text``.
    """
    part = select(run, store=store, period=period) if store is not None or period is not None else run
    m = part.mentions
    if dimension is not None:
        m = m[m["dimension"] == dimension]
    if polarity is not None:
        m = m[m["polarity"] == polarity]
    if sub_aspect is not None:
        m = m[m["sub_aspect"] == sub_aspect]
    context = part.feedback[[c for c in [*_CONTEXT, "text"] if c in part.feedback.columns]]
    q = m.merge(context, on="review_id", how="inner")
    q["label"] = q["dimension"].map(lambda k: run.label(str(k))).astype("string")
    if polarity == "negative":
        keys, asc = ["score", "review_id", "clause_index"], [True, True, True]
    elif polarity == "positive":
        keys, asc = ["score", "review_id", "clause_index"], [False, True, True]
    else:
        keys, asc = ["date", "review_id", "clause_index"], [False, True, True]
    q = q.sort_values(keys, ascending=asc, na_position="last")
    cols = [*_CONTEXT, "dimension", "label", "sub_aspect", "sub_aspect_label", "polarity", "score", "clause", "terms", "text"]
    q = q[[c for c in cols if c in q.columns]]
    return (q if n is None else q.head(n)).reset_index(drop=True)


def search(run: Run, text: str, *, regex: bool = False, n: int | None = None) -> pd.DataFrame:
    """Reviews whose text contains ``text``, with their labels (newest first).

    Args:
        run: A run, the store or a slice.
        text: The string to look for (case-insensitive); a regular expression when
            ``regex=True``.
        regex: Treat ``text`` as a regular expression.
        n: How many rows; ``None`` for all.

    Returns:
        Columns ``review_id, date, store, source, rating, sentiment_label, sentiment_score,
        dimensions, feedback_type, priority, owner, topic_id, text``.

    Raises:
        ValueError: ``text`` is empty.
    """
    if not text:
        raise ValueError("search text is empty; give a word or phrase to look for (e.g. '热水')")
    fb = run.feedback
    hit = fb["text"].str.contains(text, case=False, regex=regex).fillna(False)
    cols = [*_CONTEXT, "sentiment_label", "sentiment_score", "dimensions", "feedback_type", "priority", "owner", "topic_id", "text"]
    out = fb.loc[hit, [c for c in cols if c in fb.columns]].sort_values(["date", "review_id"], ascending=[False, True], na_position="last")
    return (out if n is None else out.head(n)).reset_index(drop=True)


def topic_table(run: Run, examples: int = 2) -> pd.DataFrame:
    """Per topic: keywords, size, share, negative share, mean rating, main dimensions, examples.

    Computed from the reviews, so it works on the store and on slices too.

    Args:
        run: A run, the store or a slice.
        examples: How many example reviews (the shortest ones) per topic.

    Returns:
        One row per topic id (largest first): ``topic_id, keywords, reviews, share,
        negative_share, mean_rating, main_dimensions, examples``.
    """
    fb = run.feedback[run.feedback["topic_id"].notna()]
    total = len(fb)
    rows = []
    for tid, g in fb.groupby("topic_id", sort=True):
        counts = {k: int(g[f"dim_{k}"].notna().sum()) for k in run.dimension_keys}
        top = [run.label(k) for k, c in sorted(counts.items(), key=lambda kv: -kv[1]) if c][:2]
        shortest = g.assign(_len=g["text"].str.len()).sort_values(["_len", "review_id"])["text"].head(examples)
        rows.append(
            {
                "topic_id": int(tid),
                "keywords": g["topic_keywords"].dropna().iloc[0] if g["topic_keywords"].notna().any() else "",
                "reviews": len(g),
                "share": len(g) / total if total else float("nan"),
                "negative_share": float((g["sentiment_label"] == "negative").mean()),
                "mean_rating": float(g["rating"].mean()) if g["rating"].notna().any() else float("nan"),
                "main_dimensions": "、".join(top),
                "examples": " | ".join(shortest.tolist()),
            }
        )
    out = pd.DataFrame(rows, columns=["topic_id", "keywords", "reviews", "share", "negative_share", "mean_rating", "main_dimensions", "examples"])
    return out.sort_values(["reviews", "topic_id"], ascending=[False, True]).reset_index(drop=True)
