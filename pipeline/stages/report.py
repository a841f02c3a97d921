"""report: the tables and documents the runner writes (no file I/O here).

Receives ``feedback_classified`` (the contract columns, see :func:`feedback_table`) and, in
``res.mentions``, the evidence table (:func:`mentions_table`) of this run's reviews; merges
them with the cumulative store of earlier runs, flags duplicate texts over the whole table,
and builds the actions register, ``summary.json`` content, ``report.html`` and
``actions.xlsx`` bytes into ``res.artifacts``. The frame itself passes through unchanged.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from pipeline.config import Config, ReportParams
from pipeline.stages.base import Resources
from pipeline.stages.clean import DIGEST_COL

logger = logging.getLogger(__name__)

REQUIRES = ("review_id", "text", "sentiment_score", "sentiment_label", "topic_id", "topic_keywords", "dimensions",
            "feedback_type", "priority", "owner", "action", "due_date")
PRODUCES: tuple[str, ...] = ()

BASE_COLUMNS = ["review_id", "text", "date", "rating", "source", "store"]
TAIL_COLUMNS = ["sentiment_score", "sentiment_label", "topic_id", "topic_keywords", "dimensions"]
FEEDBACK_COLUMNS = ["feedback_type", "priority", "owner", "action", "due_date", "escalation", "duplicate_of", "topic_prob", "source_row", "ingest_notes"]
MENTION_COLUMNS = ["review_id", "clause_index", "clause", "dimension", "sub_aspect", "polarity", "score", "terms", "source"]


def feedback_table(df: pd.DataFrame, config: Config) -> pd.DataFrame:
    """The public ``classified_feedback`` columns, in contract order."""
    dims = [f"dim_{k}" for k in config.dimensions.dimensions]
    out = df.copy()
    if "duplicate_of" not in out.columns:
        out["duplicate_of"] = pd.array([""] * len(out), dtype="string")
    cols = [c for c in BASE_COLUMNS if c in out.columns] + TAIL_COLUMNS + dims + [c for c in FEEDBACK_COLUMNS if c in out.columns]
    out = out[cols]
    out["sentiment_score"] = out["sentiment_score"].astype(float).round(4)
    if "topic_prob" in out.columns:
        out["topic_prob"] = out["topic_prob"].astype(float).round(4)
    return out.reset_index(drop=True)


def empty_feedback_table(config: Config) -> pd.DataFrame:
    """A ``classified_feedback`` table with every column and no rows (a run with nothing new)."""
    cols = BASE_COLUMNS + TAIL_COLUMNS + [f"dim_{k}" for k in config.dimensions.dimensions] + FEEDBACK_COLUMNS
    df = pd.DataFrame({c: pd.array([], dtype="string") for c in cols})
    df["sentiment_score"] = df["sentiment_score"].astype(float)
    df["topic_prob"] = df["topic_prob"].astype(float)
    df["topic_id"] = df["topic_id"].astype("int64")
    return feedback_table(df, config)


def mentions_table(df: pd.DataFrame) -> pd.DataFrame:
    """One row per (review, clause, dimension): the evidence behind ``dim_*``."""
    rows = [{"review_id": rid, **m} for rid, ms in zip(df["review_id"].tolist(), df["mentions"].tolist()) for m in ms]
    out = pd.DataFrame(rows, columns=MENTION_COLUMNS)
    for c in ("review_id", "clause", "dimension", "sub_aspect", "polarity", "terms", "source"):
        out[c] = out[c].astype("string")
    out["clause_index"] = out["clause_index"].astype("int64")
    out["score"] = out["score"].astype(float)
    return out


def merge_with_store(feedback: pd.DataFrame, mentions: pd.DataFrame, store: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Earlier runs' rows (minus those reprocessed now) followed by this run's rows."""
    from pipeline.arrowops import compact, concat_compact, in_values

    feedback, mentions = compact(feedback), compact(mentions)
    old_fb, old_m = store.get("feedback"), store.get("mentions")
    if old_fb is None or old_fb.empty:
        return feedback.reset_index(drop=True), mentions
    new_ids = feedback["review_id"]
    keep_fb = compact(old_fb[~in_values(old_fb["review_id"], new_ids)])
    merged_fb = concat_compact([keep_fb, feedback]) if len(feedback) else keep_fb.reset_index(drop=True)
    if old_m is not None and len(old_m):
        keep_m = compact(old_m[~in_values(old_m["review_id"], new_ids)])
        mentions = concat_compact([keep_m, mentions]) if len(mentions) else keep_m.reset_index(drop=True)
    return merged_fb, mentions


def add_digests(feedback: pd.DataFrame, df: pd.DataFrame) -> pd.DataFrame:
    """Attach each review's duplicate digest (:data:`DIGEST_COL`), computed where the rows are
    processed (in parallel) so the report need not read every text again: the clean stage's,
    or from ``df["text"]`` when the frame comes from a cache written without one. The column
    stays in the cumulative store; the contract files leave it out."""
    from pipeline.stages.clean import duplicate_digests

    if DIGEST_COL in df.columns:
        digests = df[DIGEST_COL].to_numpy(dtype=np.uint64)
    else:
        digests = duplicate_digests(df["text"].fillna("").astype(str).tolist())
    feedback[DIGEST_COL] = pd.array(digests, dtype="UInt64")
    return feedback


def _digests(feedback: pd.DataFrame) -> np.ndarray:
    """Every row's duplicate digest; rows stored without one (older runs) get it computed."""
    from pipeline.stages.clean import duplicate_digests

    if DIGEST_COL in feedback.columns:
        digests = feedback[DIGEST_COL].astype("UInt64")
        missing = digests.isna().to_numpy()
    else:
        digests = pd.Series(pd.array([None] * len(feedback), dtype="UInt64"))
        missing = np.ones(len(feedback), dtype=bool)
    out = digests.fillna(0).to_numpy(dtype=np.uint64)
    if missing.any():
        texts = feedback["text"][missing]
        out[missing] = np.concatenate([duplicate_digests(texts.iloc[i : i + 50_000].fillna("").astype(str).tolist()) for i in range(0, len(texts), 50_000)])
    return out


def dimension_specs(config: Config) -> list[dict]:
    """The configured dimensions as plain dicts for the report layer."""
    return [
        {"key": k, "label": s.label, "weight": s.weight, "servqual": s.servqual, "target_negative_share": s.target_negative_share}
        for k, s in config.dimensions.dimensions.items()
    ]


def run(df: pd.DataFrame, params: ReportParams, res: Resources) -> pd.DataFrame:
    """Build every output table and document into ``res.artifacts``."""
    from pipeline import followup
    from pipeline import report as rp

    config: Config = res.config
    mentions_new = res.mentions if res.mentions is not None else mentions_table(pd.DataFrame({"review_id": [], "mentions": []}))
    feedback, mentions = merge_with_store(df, mentions_new, res.store)
    if config.clean.flag_duplicates:
        from pipeline.stages.clean import first_of_duplicates

        feedback["duplicate_of"] = pd.array(first_of_duplicates(feedback["review_id"].astype("string"), _digests(feedback)), dtype="string")
    dims = dimension_specs(config)
    run_info = dict(res.facts.get("run_info", {}))
    run_info.setdefault("run_date", res.run_date.isoformat())
    run_info.setdefault("title", params.title)
    current = rp.build_actions_table(feedback, mentions)
    problems: list[str] = []
    returned = None
    if res.store.get("returned") is not None:
        returned, problems = followup.normalise_returned(res.store["returned"])
    register, unknown = followup.reconcile_actions(current, res.store.get("actions"), returned, res.run_date)
    problems += unknown
    for p in problems:
        logger.warning("actions file: %s", p)
    effects = followup.action_effects(register, feedback, mentions)
    labels = res.matcher.lexicon.sub_aspect_labels() if res.matcher is not None else {}
    summary = rp.compute_summary(
        feedback, mentions, dims, run_info=run_info, labels=labels, top_n=params.top_n, examples_per_issue=params.examples_per_issue, register=register
    )
    summary["followup"] = followup.followup_summary(register, effects, res.run_date, problems)
    summary["history"] = followup.update_history(res.store.get("history", []), summary, feedback, res.run_date)
    res.artifacts = {
        "feedback": feedback,
        "mentions": mentions,
        "actions": register,
        "summary": summary,
        "html": rp.render_html(summary, feedback, mentions, actions=register),
        "xlsx": rp.render_actions_xlsx(register, summary),
    }
    if res.topic_model is not None and getattr(res.topic_model, "num_topics_", 0):
        from pipeline.topicmodel import summarize_topics

        res.artifacts["topics"] = summarize_topics(feedback, res.topic_model, n_examples=params.examples_per_issue)
    return df
