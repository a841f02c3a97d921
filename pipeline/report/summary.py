"""``summary.json``: every figure the report shows, as plain JSON-safe python.

Duplicate reviews (non-empty ``duplicate_of``) are counted in ``counts`` but left out of every
score, share, trend and theme, so a copy-pasted review cannot move the index.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from pipeline.report._common import (
    FEEDBACK_TYPES,
    PRIORITY_ORDER,
    SENTIMENT_LABELS,
    column,
    in_values,
    label_for,
    numeric,
    rounded,
    share,
    to_plain,
)
from pipeline.report.actions import select_actionable
from pipeline.report.scores import dimension_stats, group_scores, quality_index

logger = logging.getLogger(__name__)

#: How many issue / praise themes the summary keeps by default.
TOP_N = 10
#: Example quotes kept per theme by default.
EXAMPLES_PER_ISSUE = 3


def _value_counts(values: pd.Series, known: Sequence[str]) -> dict[str, int]:
    """Counts of every known value (zeros included) plus any unexpected non-empty value."""
    tally = {str(k): int(n) for k, n in values.value_counts(dropna=True).items()}
    counts = {k: tally.get(k, 0) for k in known}
    for other in sorted(set(tally) - set(known) - {""}):
        counts[other] = tally[other]
    return counts


def _months(feedback: pd.DataFrame) -> pd.Series:
    """``YYYY-MM`` per review, ``''`` when the date is missing or unparseable."""
    dates = pd.to_datetime(column(feedback, "date"), format="%Y-%m-%d", errors="coerce")
    return dates.dt.strftime("%Y-%m").astype(object).where(dates.notna(), "").astype(str)


def _trend(
    feedback: pd.DataFrame, mentions: pd.DataFrame, dims: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Monthly figures, gap months included (``reviews`` 0, figures ``None``)."""
    months = _months(feedback)
    by_month = group_scores(feedback, mentions, dims, months)
    if not by_month:
        return []
    span = pd.period_range(min(by_month), max(by_month), freq="M").strftime("%Y-%m")
    empty = {
        "reviews": 0,
        "mean_sentiment": None,
        "negative_share": None,
        "service_quality_index": None,
        "dimension_negative_share": {str(d["key"]): None for d in dims},
    }
    rows = []
    for month in span:
        figures = by_month.get(month, empty)
        figures = {k: v for k, v in figures.items() if k != "dimension_net_score"}
        rows.append({"month": month, **figures})
    return rows


def _themes(
    mentions: pd.DataFrame, polarity: str, labels: Mapping[str, str], top: int, examples: int
) -> list[dict[str, Any]]:
    """(dimension, sub-aspect) pairs ranked by how many clauses of one polarity name them."""
    frame = pd.DataFrame(
        {
            "review_id": column(mentions, "review_id"),
            "dimension": column(mentions, "dimension"),
            "sub_aspect": column(mentions, "sub_aspect"),
            "clause": column(mentions, "clause"),
            "polarity": column(mentions, "polarity"),
            "score": numeric(mentions, "score"),
        }
    )
    frame = frame[(frame["polarity"] == polarity) & (frame["dimension"] != "")]
    total = len(frame)
    if total == 0:
        return []
    # Lower score = more negative, for both 0..1 probabilities and -1..1 scales.
    frame = frame.sort_values("score", ascending=polarity == "negative", na_position="last")
    grouped = frame.groupby(["dimension", "sub_aspect"], sort=False)
    themes = []
    for (dim, sub), part in grouped:
        quotes = [c for c in part["clause"].drop_duplicates().head(examples + 1).tolist() if c][:examples]
        themes.append(
            {
                "dimension": dim,
                "dimension_label": label_for(dim, labels),
                "sub_aspect": sub,
                "sub_aspect_label": label_for(sub, labels) if sub else "",
                "count": int(len(part)),
                "reviews": int(part["review_id"].nunique()),
                "share": rounded(share(len(part), total)),
                "examples": quotes,
            }
        )
    themes.sort(key=lambda t: (-t["count"], -t["reviews"], t["dimension"], t["sub_aspect"]))
    return themes[:top]


def _topics(feedback: pd.DataFrame) -> list[dict[str, Any]]:
    """Size, keywords and negative share of every topic except -1 (no topic)."""
    ids = numeric(feedback, "topic_id")
    keywords = column(feedback, "topic_keywords")
    negative = column(feedback, "sentiment_label") == "negative"
    rows = []
    for topic in sorted(set(ids.dropna().astype(int).unique().tolist()) - {-1}):
        mask = ids == topic
        words = [w for w in keywords[mask].drop_duplicates().head(2).tolist() if w]
        rows.append(
            {
                "topic_id": int(topic),
                "keywords": words[0] if words else "",
                "size": int(mask.sum()),
                "negative_share": rounded(share(negative[mask].sum(), mask.sum())),
            }
        )
    rows.sort(key=lambda r: (-r["size"], r["topic_id"]))
    return rows


def _run_date(run_info: Mapping[str, Any]) -> str | None:
    """The date overdue actions are measured against (``run_date``, else ``generated_at``)."""
    for key in ("run_date", "generated_at"):
        value = run_info.get(key)
        if value:
            parsed = pd.to_datetime(str(value)[:10], format="%Y-%m-%d", errors="coerce")
            if pd.notna(parsed):
                return parsed.strftime("%Y-%m-%d")
    return None


def _actions(feedback: pd.DataFrame, run_date: str | None, register: pd.DataFrame | None = None) -> dict[str, Any]:
    """Open actions per owner and priority, and how many are past their due date.

    With the actions ``register`` (carried run to run), items staff closed are not open.
    """
    if register is not None:
        chosen = register[column(register, "status") != "closed"]
    else:
        wanted = [c for c in ("owner", "priority", "due_date") if c in feedback.columns]
        chosen = feedback.loc[select_actionable(feedback).to_numpy(), wanted]
    owners = column(chosen, "owner")
    priorities = column(chosen, "priority")
    due = column(chosen, "due_date")
    overdue = (due != "") & (due < run_date) if run_date else pd.Series(False, index=due.index)
    by_owner = []
    for owner in sorted(str(o) for o in owners.unique()):
        mask = owners == owner
        row: dict[str, Any] = {"owner": owner, "total": int(mask.sum())}
        row.update(_value_counts(priorities[mask], PRIORITY_ORDER))
        row["overdue"] = int((mask & overdue).sum()) if run_date else None
        by_owner.append(row)
    by_owner.sort(key=lambda r: (-r["total"], r["owner"]))
    return {
        "total": int(len(chosen)),
        "by_priority": _value_counts(priorities, PRIORITY_ORDER),
        "by_owner": by_owner,
        "run_date": run_date,
        "overdue": int(overdue.sum()) if run_date else None,
    }


#: Feedback columns no summary figure reads (left out of the copy of the analysed reviews,
#: which would otherwise cost hundreds of MB on a million-review table).
UNUSED_COLUMNS = frozenset({"text", "action", "ingest_notes", "source_row", "topic_prob", "escalation", "due_date", "owner", "duplicate_of"})


def compute_summary(
    feedback: pd.DataFrame,
    mentions: pd.DataFrame,
    dims: Sequence[Mapping[str, Any]],
    *,
    run_info: Mapping[str, Any],
    labels: Mapping[str, str] | None = None,
    top_n: int = TOP_N,
    examples_per_issue: int = EXAMPLES_PER_ISSUE,
    register: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Compute every figure of the report.

    Args:
        feedback: Classified feedback, one row per accepted review.
        mentions: Aspect mentions (one row per review, clause and dimension).
        dims: Dimension specs (``key``, ``label``, ``weight``, ``servqual``,
            ``target_negative_share``) in display order.
        run_info: Echoed as ``run_info`` (``run_id``, ``config``, ``generated_at``, ...);
            ``run_date`` (``YYYY-MM-DD``) is the reference for overdue actions; ``title``
            becomes the page title.
        labels: Chinese labels for codes, overriding the defaults.
        top_n: How many issue and praise themes to keep.
        examples_per_issue: Example quotes kept per theme.
        register: The actions register carried run to run; open counts come from it.

    Returns:
        A JSON-serialisable dict (no NaN: missing figures are ``None``).
    """
    labels = dict(labels or {})
    labels.update({str(d["key"]): str(d["label"]) for d in dims if d.get("label")})
    duplicate = column(feedback, "duplicate_of") != ""
    # The summary never reads the review text: leave it out of the copy (a third of a
    # million-row table).
    analysed = feedback.loc[~duplicate.to_numpy(), [c for c in feedback.columns if c not in UNUSED_COLUMNS]]
    used = mentions[in_values(column(mentions, "review_id"), column(analysed, "review_id"))]
    sentiment = column(analysed, "sentiment_label")
    scores = numeric(analysed, "sentiment_score")
    n = len(analysed)
    stats = dimension_stats(analysed, used, dims, labels)
    stores = column(analysed, "store")
    dates = pd.to_datetime(column(analysed, "date"), format="%Y-%m-%d", errors="coerce")
    summary = {
        "run_info": dict(run_info),
        "counts": {
            "reviews": int(len(feedback)),
            "analysed": n,
            "duplicates": int(duplicate.sum()),
            "mentions": int(len(used)),
            "by_sentiment": _value_counts(sentiment, SENTIMENT_LABELS),
            "by_feedback_type": _value_counts(column(analysed, "feedback_type"), FEEDBACK_TYPES),
            "by_priority": _value_counts(column(analysed, "priority"), PRIORITY_ORDER),
        },
        "period": {
            "start": dates.min().strftime("%Y-%m-%d") if dates.notna().any() else None,
            "end": dates.max().strftime("%Y-%m-%d") if dates.notna().any() else None,
        },
        "sentiment": {
            "mean_score": rounded(scores.mean()) if scores.notna().any() else None,
            **{f"{k}_share": rounded(share((sentiment == k).sum(), n)) for k in SENTIMENT_LABELS},
        },
        "dimensions": stats,
        "service_quality_index": quality_index(stats),
        "by_store": [
            {"store": name, **{k: v for k, v in figures.items() if k != "dimension_net_score"}}
            for name, figures in group_scores(analysed, used, dims, stores).items()
        ],
        "trend": _trend(analysed, used, dims),
        "top_issues": _themes(used, "negative", labels, top_n, examples_per_issue),
        "top_praise": _themes(used, "positive", labels, top_n, examples_per_issue),
        "topics": _topics(analysed),
        "actions": _actions(feedback, _run_date(run_info), register),
        "labels": labels,
    }
    summary["by_store"].sort(key=lambda r: (-r["reviews"], r["store"]))
    logger.info(
        "summary: %d reviews (%d analysed), index %s",
        len(feedback),
        n,
        summary["service_quality_index"],
    )
    return to_plain(summary)
