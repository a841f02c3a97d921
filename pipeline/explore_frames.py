"""Load a run's outputs (or the cumulative store) as typed frames, and slice them.

Used through :mod:`pipeline.explore`; see that module for the analysts' entry points.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.config import DEFAULT_DIMENSIONS
from pipeline.errors import InputError
from pipeline.report._common import DEFAULT_LABELS
from pipeline.store import STORE_DIR

logger = logging.getLogger(__name__)

LABELS = ("positive", "neutral", "negative")
#: Polarity / sentiment labels as an ordered categorical (negative < neutral < positive).
LABEL_DTYPE = pd.CategoricalDtype(["negative", "neutral", "positive"], ordered=True)
PRIORITY_DTYPE = pd.CategoricalDtype(["none", "low", "medium", "high", "critical"], ordered=True)
POLARITY_LABELS = {k: DEFAULT_LABELS[k] for k in LABELS}
DIMENSION_LABELS = {k: v["label"] for k, v in DEFAULT_DIMENSIONS.items()}
_CATEGORY_COLUMNS = ("source", "store", "feedback_type", "owner")
_DATE_COLUMNS = ("date", "due_date", "closed_at", "first_seen")


@dataclass
class Run:
    """One run's outputs (or the cumulative store) as typed frames.

    Attributes:
        directory: The output folder the frames were read from.
        feedback: One row per review (``classified_feedback``); ``date`` and ``due_date`` are
            datetime64, ``rating`` float, labels categorical.
        mentions: One row per (review, clause, dimension) with ``sub_aspect_label``.
        rejects: Input rows that were not accepted, with the reason.
        actions: The actions register (one row per routed item).
        topics: ``topics.csv`` (empty for the store).
        summary: ``summary.json`` as a dict (empty when absent).
        history: Earlier runs into the same folder (``store/history.json``).
        kind: ``"run"`` or ``"store"``.
    """

    directory: Path
    feedback: pd.DataFrame
    mentions: pd.DataFrame
    rejects: pd.DataFrame
    actions: pd.DataFrame = field(default_factory=pd.DataFrame)
    topics: pd.DataFrame = field(default_factory=pd.DataFrame)
    summary: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    kind: str = "run"

    @property
    def dimension_keys(self) -> list[str]:
        """The ``dim_<key>`` keys present, in file order."""
        return [c[4:] for c in self.feedback.columns if c.startswith("dim_")]

    @property
    def labels(self) -> dict[str, str]:
        """Dimension key → Chinese label (the run's config labels, else the defaults)."""
        return {**DIMENSION_LABELS, **(self.summary.get("labels") or {})}

    @property
    def targets(self) -> dict[str, float]:
        """Dimension key → target negative share from the config (where one is set)."""
        rows = self.summary.get("dimensions") or []
        return {r["key"]: r["target_negative_share"] for r in rows if r.get("target_negative_share") is not None}

    def label(self, key: str) -> str:
        """The Chinese label of a dimension key (the key itself when unknown)."""
        return self.labels.get(key, key)

    def __repr__(self) -> str:
        return f"Run({self.kind}: {self.directory}, {len(self.feedback)} reviews, {len(self.mentions)} mentions)"


def default_output_dir() -> Path:
    """``$REVIEWS_OUTPUT_DIR`` when set, else the default run's ``data/output``."""
    env = os.environ.get("REVIEWS_OUTPUT_DIR")
    return Path(env) if env else Path(__file__).resolve().parent.parent / "data" / "output"


def load_run(directory: str | Path | None = None, *, include_duplicates: bool = False) -> Run:
    """Load one run's outputs with proper dtypes.

    Args:
        directory: The output folder; default :func:`default_output_dir`.
        include_duplicates: Keep reviews flagged as exact duplicates (``duplicate_of`` set).
            They are left out by default, as in the report's figures.

    Returns:
        A :class:`Run`.

    Raises:
        InputError: the folder has no ``classified_feedback.parquet``.
    """
    d = Path(directory) if directory is not None else default_output_dir()
    fb_path = d / "classified_feedback.parquet"
    if not fb_path.is_file():
        raise InputError(f"no classified_feedback.parquet in {d}: run `python run.py` (or pass the output folder)")
    summary = _read_json(d / "summary.json", {})
    run = Run(
        directory=d,
        feedback=type_feedback(pd.read_parquet(fb_path)),
        mentions=type_mentions(_read_csv(d / "aspect_mentions.csv")),
        rejects=_read_csv(d / "rejects.csv"),
        actions=type_actions(_read_csv(d / "actions.csv")),
        topics=_read_topics(d / "topics.csv"),
        summary=summary,
        history=_read_json(d / STORE_DIR / "history.json", []),
        kind="run",
    )
    return _finish(run, include_duplicates)


def load_store(directory: str | Path | None = None, *, include_duplicates: bool = False) -> Run:
    """Load the cumulative store (every review any run into the folder classified).

    Args:
        directory: The output folder (the one holding ``store/``); default
            :func:`default_output_dir`.
        include_duplicates: Keep reviews flagged as exact duplicates.

    Returns:
        A :class:`Run` with ``kind="store"``; ``topics`` and ``rejects`` are empty.

    Raises:
        InputError: the folder has no ``store/feedback.parquet``.
    """
    d = Path(directory) if directory is not None else default_output_dir()
    s = d / STORE_DIR
    if not (s / "feedback.parquet").is_file():
        raise InputError(f"no {STORE_DIR}/feedback.parquet in {d}: run the pipeline into this folder first")
    mentions = pd.read_parquet(s / "mentions.parquet") if (s / "mentions.parquet").is_file() else _read_csv(d / "aspect_mentions.csv")
    actions = pd.read_parquet(s / "actions.parquet") if (s / "actions.parquet").is_file() else pd.DataFrame()
    run = Run(
        directory=d,
        feedback=type_feedback(pd.read_parquet(s / "feedback.parquet").drop(columns=["dup_digest"], errors="ignore")),
        mentions=type_mentions(mentions),
        rejects=pd.DataFrame(),
        actions=type_actions(actions),
        topics=pd.DataFrame(),
        summary=_read_json(d / "summary.json", {}),
        history=_read_json(s / "history.json", []),
        kind="store",
    )
    return _finish(run, include_duplicates)


def _finish(run: Run, include_duplicates: bool) -> Run:
    if not include_duplicates and "duplicate_of" in run.feedback.columns:
        dup = run.feedback["duplicate_of"].fillna("") != ""
        if dup.any():
            run.feedback = run.feedback[~dup].reset_index(drop=True)
            run.mentions = run.mentions[run.mentions["review_id"].isin(run.feedback["review_id"])].reset_index(drop=True)
    order = [k for k in run.dimension_keys]
    order += sorted(set(run.mentions.get("dimension", pd.Series(dtype="string")).dropna()) - set(order))
    if "dimension" in run.mentions.columns:
        run.mentions["dimension"] = pd.Categorical(run.mentions["dimension"], categories=order)
        run.mentions["sub_aspect_label"] = _sub_aspect_labels(run)
    return run


def _blank_to_na(s: pd.Series) -> pd.Series:
    s = s.astype("string")
    return s.mask(s.str.strip() == "")


def type_feedback(df: pd.DataFrame) -> pd.DataFrame:
    """Give a ``classified_feedback`` frame its analysis dtypes (returns a new frame)."""
    df = df.copy()
    for col in df.columns:
        if df[col].dtype == object:
            df[col] = df[col].astype("string")
    for col in _DATE_COLUMNS:
        if col in df.columns:
            df[col] = pd.to_datetime(_blank_to_na(df[col]), errors="coerce")
    if "rating" in df.columns:
        df["rating"] = pd.to_numeric(_blank_to_na(df["rating"]), errors="coerce").astype("float64")
    if "sentiment_label" in df.columns:
        df["sentiment_label"] = _blank_to_na(df["sentiment_label"]).astype(LABEL_DTYPE)
    for col in [c for c in df.columns if c.startswith("dim_")]:
        df[col] = _blank_to_na(df[col]).astype(LABEL_DTYPE)
    if "priority" in df.columns:
        df["priority"] = _blank_to_na(df["priority"]).astype(PRIORITY_DTYPE)
    for col in _CATEGORY_COLUMNS:
        if col in df.columns:
            df[col] = _blank_to_na(df[col]).astype("category")
    if "topic_id" in df.columns:
        df["topic_id"] = pd.to_numeric(df["topic_id"], errors="coerce").astype("Int64")
    return df


def type_mentions(df: pd.DataFrame) -> pd.DataFrame:
    """Give an ``aspect_mentions`` frame its analysis dtypes (returns a new frame)."""
    df = df.copy()
    for col in ("review_id", "clause", "sub_aspect", "terms", "source"):
        if col in df.columns:
            df[col] = df[col].astype("string").fillna("")
    if "polarity" in df.columns:
        df["polarity"] = _blank_to_na(df["polarity"]).astype(LABEL_DTYPE)
    for col in ("clause_index",):
        if col in df.columns:
            df[col] = pd.to_numeric(df[col], errors="coerce").astype("Int64")
    if "score" in df.columns:
        df["score"] = pd.to_numeric(df["score"], errors="coerce").astype("float64")
    return df


def type_actions(df: pd.DataFrame) -> pd.DataFrame:
    """Give an actions register its analysis dtypes (returns a new frame)."""
    df = df.copy()
    for col in df.columns:
        df[col] = df[col].astype("string")
    for col in _DATE_COLUMNS:
        if col in df.columns:
            df[col] = pd.to_datetime(_blank_to_na(df[col]), errors="coerce")
    if "priority" in df.columns:
        df["priority"] = _blank_to_na(df["priority"]).astype(PRIORITY_DTYPE)
    for col in ("status", "owner", "store"):
        if col in df.columns:
            df[col] = _blank_to_na(df[col]).astype("category")
    return df


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.is_file():
        return pd.DataFrame()
    return pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, dtype="string")


def _read_topics(path: Path) -> pd.DataFrame:
    if not path.is_file():
        return pd.DataFrame()
    df = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False)
    for col in df.columns:
        if df[col].dtype == object:
            df[col] = df[col].astype("string")
    return df


def _read_json(path: Path, default: Any) -> Any:
    if not path.is_file():
        return default
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        logger.warning("could not read %s; ignoring it", path)
        return default


def _sub_aspect_labels(run: Run) -> pd.Series:
    """Chinese sub-aspect labels from the run's lexicon packs (the key when unavailable)."""
    labels: dict[tuple[str, str], str] = {}
    manifest = _read_json(run.directory / "manifest.json", {})
    paths = (((manifest.get("config") or {}).get("dimensions") or {}).get("lexicons")) or []
    try:
        from pipeline.lexicon import load_lexicon

        labels = load_lexicon([Path(p) for p in paths], run.dimension_keys).labels if paths else {}
    except Exception as exc:  # noqa: BLE001 - labels are cosmetic; a moved pack must not block loading
        logger.warning("sub-aspect labels unavailable (%s); showing keys", exc)
    m = run.mentions
    return pd.Series(
        [labels.get((str(d), s), s) for d, s in zip(m["dimension"], m["sub_aspect"])], index=m.index, dtype="string"
    )


def period_bounds(period: Any) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The first and last instant of a period.

    Args:
        period: ``"2026-08"`` (a month), ``"2026-08-15"`` (a day), ``"2026Q3"``, ``"2026"``,
            a :class:`pandas.Period`, or a ``(start, end)`` pair of any of these (inclusive).

    Returns:
        ``(start, end)`` timestamps, both inclusive.

    Raises:
        ValueError: the period cannot be parsed.
    """
    if isinstance(period, tuple | list):
        if len(period) != 2:
            raise ValueError(f"a period range is (start, end); got {period!r}")
        return period_bounds(period[0])[0], period_bounds(period[1])[1]
    try:
        p = period if isinstance(period, pd.Period) else pd.Period(str(period))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"cannot read {period!r} as a period; use '2026-08', '2026-08-15', '2026Q3' or (start, end)") from exc
    return p.start_time, p.end_time


def select(
    run: Run,
    *,
    store: str | list[str] | None = None,
    source: str | list[str] | None = None,
    dimension: str | None = None,
    sub_aspect: str | None = None,
    polarity: str | None = None,
    period: Any = None,
    rating: float | tuple[float, float] | None = None,
    topic: int | list[int] | None = None,
    sentiment: str | None = None,
) -> Run:
    """A slice of a run: the reviews (and their mentions) that match every given filter.

    Args:
        run: A loaded run.
        store: Hotel/restaurant name(s).
        source: Channel(s) (携程, 美团...).
        dimension: Reviews mentioning this dimension key; mentions are narrowed to it.
        sub_aspect: Reviews with a mention of this sub-aspect; mentions narrowed to it.
        polarity: With ``dimension``: its ``dim_<key>`` label; else a mention polarity.
        period: See :func:`period_bounds`.
        rating: One rating, or an inclusive ``(low, high)`` range.
        topic: Topic id(s).
        sentiment: Review sentiment label.

    Returns:
        A new :class:`Run`; every helper accepts it.

    Raises:
        KeyError: ``dimension`` is not a dimension of this run.
    """
    fb, m = run.feedback, run.mentions
    keep = pd.Series(True, index=fb.index)
    if store is not None:
        keep &= fb["store"].isin([store] if isinstance(store, str) else store)
    if source is not None:
        keep &= fb["source"].isin([source] if isinstance(source, str) else source)
    if period is not None:
        start, end = period_bounds(period)
        keep &= fb["date"].between(start, end).fillna(False)
    if rating is not None:
        low, high = rating if isinstance(rating, tuple | list) else (rating, rating)
        keep &= fb["rating"].between(low, high).fillna(False)
    if topic is not None:
        keep &= fb["topic_id"].isin([topic] if isinstance(topic, int) else topic).fillna(False)
    if sentiment is not None:
        keep &= (fb["sentiment_label"] == sentiment).fillna(False)
    if dimension is not None:
        if dimension not in run.dimension_keys:
            raise KeyError(f"unknown dimension {dimension!r}; known: {', '.join(run.dimension_keys)}")
        col = fb[f"dim_{dimension}"]
        keep &= (col == polarity).fillna(False) if polarity is not None else col.notna()
        m = m[m["dimension"] == dimension]
    elif polarity is not None:
        m = m[m["polarity"] == polarity]
        keep &= fb["review_id"].isin(m["review_id"])
    if sub_aspect is not None:
        m = m[m["sub_aspect"] == sub_aspect]
        keep &= fb["review_id"].isin(m["review_id"])
    fb = fb[keep].reset_index(drop=True)
    m = m[m["review_id"].isin(fb["review_id"])].reset_index(drop=True)
    ids = set(fb["review_id"])
    actions = run.actions[run.actions["review_id"].isin(ids)] if "review_id" in run.actions.columns else run.actions
    return replace(run, feedback=fb, mentions=m, actions=actions.reset_index(drop=True))
