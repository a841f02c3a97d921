"""The action list handed to departments: one row per review that needs someone to act."""

from __future__ import annotations

import hashlib
import logging

import numpy as np
import pandas as pd

from pipeline.report._common import ACTIONABLE_TYPES, column, in_values, numeric, priority_rank

logger = logging.getLogger(__name__)

#: Columns of :func:`build_actions_table`, in order.
ACTION_COLUMNS: tuple[str, ...] = (
    "action_id",
    "review_id",
    "store",
    "date",
    "owner",
    "dimensions",
    "sub_aspect",
    "priority",
    "evidence",
    "action",
    "due_date",
    "status",
    "closed_at",
    "note",
)
#: Longest evidence quote taken from the review text when it has no clause mentions.
EVIDENCE_FALLBACK_CHARS = 120


def make_action_id(review_id: str, owner: str) -> str:
    """Stable id of the action for a review and its owner: ``'A-'`` + 10 hex digits.

    Args:
        review_id: The review's id.
        owner: The department that owns the action.

    Returns:
        The same id on every run for the same pair, so follow-up sheets can be merged.
    """
    digest = hashlib.sha1(f"{review_id}\x1f{owner}".encode()).hexdigest()
    return f"A-{digest[:10]}"


def select_actionable(feedback: pd.DataFrame) -> pd.Series:
    """Mask of reviews that become actions.

    A review needs action when its type is complaint, mixed, suggestion or question, it has
    an owner, and it is not a duplicate of an earlier review (one task per complaint).

    Args:
        feedback: Classified feedback.

    Returns:
        A boolean mask aligned with ``feedback``.
    """
    kinds = column(feedback, "feedback_type")
    owners = column(feedback, "owner")
    duplicate = column(feedback, "duplicate_of") != ""
    return kinds.isin(ACTIONABLE_TYPES) & (owners != "") & ~duplicate


def _evidence(mentions: pd.DataFrame, review_ids: pd.Series) -> pd.DataFrame:
    """Per review: its most negative clause, that clause's sub-aspect, its negative dims."""
    cols = ["review_id", "evidence", "sub_aspect", "neg_dimensions"]
    if mentions.empty or "review_id" not in mentions.columns:
        return pd.DataFrame(columns=cols)
    # Only the mentions of reviews that become actions (under half of a big table).
    mentions = mentions[in_values(column(mentions, "review_id"), review_ids)]
    frame = pd.DataFrame(
        {
            "review_id": column(mentions, "review_id"),
            "clause": column(mentions, "clause"),
            "dimension": column(mentions, "dimension"),
            "sub_aspect": column(mentions, "sub_aspect"),
            "polarity": column(mentions, "polarity"),
            "score": numeric(mentions, "score"),
            "clause_index": numeric(mentions, "clause_index"),
        }
    )
    if frame.empty:
        return pd.DataFrame(columns=cols)
    # Per review: negative clauses first, then the lowest score, then reading order (missing
    # scores and positions last). Sorting integer codes, not the id strings, is much faster.
    review_code, _ = pd.factorize(frame["review_id"].array)
    pol_rank = frame["polarity"].map({"negative": 0, "neutral": 1}).fillna(2).to_numpy(dtype=float)
    order = np.lexsort((frame["clause_index"].to_numpy(dtype=float), frame["score"].to_numpy(dtype=float), pol_rank, review_code))
    sorted_codes = review_code[order]
    heads = order[np.r_[True, sorted_codes[1:] != sorted_codes[:-1]]] if len(order) else order
    first = frame.iloc[heads]
    negative = frame[frame["polarity"] == "negative"]
    # Each review's negative dimensions in reading order, once each.
    negative = negative[negative["dimension"] != ""].drop_duplicates(["review_id", "dimension"])
    neg_dims = _join_per_review(negative["review_id"], negative["dimension"])
    return pd.DataFrame(
        {
            "review_id": first["review_id"].to_numpy(),
            "evidence": first["clause"].to_numpy(),
            "sub_aspect": first["sub_aspect"].to_numpy(),
            "neg_dimensions": first["review_id"].map(neg_dims).fillna("").to_numpy(),
        }
    )


def _join_per_review(review_ids: pd.Series, values: pd.Series) -> pd.Series:
    """``';'``-joined values of each review, in their order, indexed by review id.

    Vectorised: the k-th value of every review is appended in one step per k (a review
    has a handful of dimensions), instead of a Python join per review.
    """
    frame = pd.DataFrame({"review_id": review_ids.to_numpy(), "value": values.astype("string").to_numpy()})
    position = frame.groupby("review_id", sort=False).cumcount().to_numpy()
    if not len(frame):
        return pd.Series([], dtype="string")
    joined = frame.loc[position == 0].set_index("review_id")["value"].astype("string")
    for k in range(1, int(position.max()) + 1):
        part = frame.loc[position == k].set_index("review_id")["value"]
        joined.loc[part.index] = joined.loc[part.index] + ";" + part.astype("string")
    return joined.sort_index()


def build_actions_table(feedback: pd.DataFrame, mentions: pd.DataFrame) -> pd.DataFrame:
    """One row per review that needs action, most urgent first.

    Args:
        feedback: Classified feedback (``feedback_type``, ``owner``, ``priority``, ``action``,
            ``due_date``, ``dimensions``, ``duplicate_of`` ...).
        mentions: Aspect mentions; the most negative clause of a review is its evidence.

    Returns:
        A frame with :data:`ACTION_COLUMNS`: ``status`` is ``'open'``, ``closed_at`` and
        ``note`` are empty for staff to fill in. Sorted by priority (critical first), then
        due date (empty last), then action id.
    """
    mask = select_actionable(feedback).to_numpy()
    needed = ["review_id", "store", "date", "owner", "dimensions", "priority", "text", "action", "due_date"]
    chosen = feedback.loc[mask, [c for c in needed if c in feedback.columns]]
    ids = column(chosen, "review_id")
    owners = column(chosen, "owner")
    table = pd.DataFrame(
        {
            "action_id": [make_action_id(r, o) for r, o in zip(ids.tolist(), owners.tolist())],
            "review_id": ids,
            "store": column(chosen, "store"),
            "date": column(chosen, "date"),
            "owner": owners,
            "review_dimensions": column(chosen, "dimensions"),
            "priority": column(chosen, "priority"),
            "text": column(chosen, "text"),
            "action": column(chosen, "action"),
            "due_date": column(chosen, "due_date"),
        }
    )
    evidence = _evidence(mentions, ids)
    table = table.merge(evidence, on="review_id", how="left")
    for name in ("evidence", "sub_aspect", "neg_dimensions"):
        table[name] = table[name].astype("string").fillna("")
    no_clause = table["evidence"] == ""
    table.loc[no_clause, "evidence"] = table.loc[no_clause, "text"].str.slice(
        0, EVIDENCE_FALLBACK_CHARS
    )
    table["dimensions"] = table["neg_dimensions"].where(
        table["neg_dimensions"] != "", table["review_dimensions"]
    )
    table["status"] = "open"
    table["closed_at"] = ""
    table["note"] = ""
    table["_rank"] = priority_rank(table["priority"])
    table["_due"] = table["due_date"].where(table["due_date"] != "", "9999-99-99")
    table = table.sort_values(["_rank", "_due", "action_id"], kind="stable")
    table = table.loc[:, list(ACTION_COLUMNS)].reset_index(drop=True)
    logger.debug("actions table: %d of %d reviews need action", len(table), len(feedback))
    return table.astype("string")
