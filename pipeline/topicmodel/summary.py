"""Topic summaries for analysts (topics.csv) and topic -> dimension shares for the fallback."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from pipeline.errors import StageError

logger = logging.getLogger(__name__)

SENTIMENT_LABELS = ("positive", "negative", "neutral")
# Optional column with the probability from TopicModel.transform; ranks the examples.
TOPIC_PROBABILITY_COLUMN = "topic_prob"
EXAMPLE_SEPARATOR = " | "
EXAMPLE_MAX_CHARS = 200
SUMMARY_REQUIRES = ("review_id", "text", "topic_id", "sentiment_label", "dimensions")


def summarize_topics(df: pd.DataFrame, model, n_examples: int = 3) -> pd.DataFrame:
    """One row per topic for topics.csv.

    Args:
        df: classified reviews with columns ``review_id``, ``text``, ``topic_id``,
            ``sentiment_label`` (positive/neutral/negative) and ``dimensions``
            (``;``-joined dimension keys, may be empty); optionally ``topic_prob``.
        model: the fitted :class:`~pipeline.topicmodel.TopicModel` that assigned ``topic_id``.
        n_examples: example reviews per topic.

    Returns:
        Columns ``topic_id, keywords, size, share, positive_share, negative_share,
        neutral_share, dim_share_<key>... (one per dimension key in df, sorted), coherence,
        examples``. Every model topic has a row (size 0 when no review got it), in id order;
        reviews without a topic (-1) get a last row when there are any. ``share`` sums to 1
        over rows; the three sentiment shares sum to 1 in each row with reviews; a
        dimension share is the share of the topic's reviews that mention that dimension.
        Examples are the most typical distinct texts (highest topic probability, else most
        topic keywords in the text; ties by row order), ``' | '``-joined.

    Raises:
        StageError: a required column is missing.
        NotFittedError: ``model`` is not fitted.
    """
    _require(df, SUMMARY_REQUIRES, "summarize_topics")
    model._check_fitted()
    topics = pd.to_numeric(df["topic_id"], errors="coerce").fillna(-1).astype("int64").to_numpy()
    dims = _dimension_indicators(df)
    labels = df["sentiment_label"].astype("string").fillna("").to_numpy(dtype=object)
    texts = df["text"].astype("string").fillna("").to_numpy(dtype=object)
    typicality = _typicality(df, topics, texts, model.keywords_)
    ids = list(range(model.num_topics_)) + ([-1] if (topics < 0).any() else [])
    rows = []
    for topic in ids:
        mask = topics == topic
        size = int(mask.sum())
        row = {
            "topic_id": topic,
            "keywords": " ".join(model.keywords_.get(topic, [])),
            "size": size,
            "share": size / len(df) if len(df) else 0.0,
        }
        for label in SENTIMENT_LABELS:
            row[f"{label}_share"] = float((labels[mask] == label).mean()) if size else 0.0
        for key in dims.columns:
            row[f"dim_share_{key}"] = float(dims[key].to_numpy()[mask].mean()) if size else 0.0
        coherence = model.topic_coherence_[topic] if 0 <= topic < len(model.topic_coherence_) else np.nan
        row["coherence"] = coherence
        row["examples"] = EXAMPLE_SEPARATOR.join(_examples(np.flatnonzero(mask), typicality, texts, n_examples))
        rows.append(row)
    columns = ["topic_id", "keywords", "size", "share", *(f"{lab}_share" for lab in SENTIMENT_LABELS)]
    columns += [f"dim_share_{k}" for k in dims.columns] + ["coherence", "examples"]
    return pd.DataFrame(rows, columns=columns)


def topic_dimension_shares(df: pd.DataFrame) -> dict[int, dict[str, float]]:
    """Per topic, the share of its reviews that mention each dimension.

    Used as a fallback: a clause no lexicon term hits inherits the dimensions of its
    review's topic, weighted by these shares.

    Args:
        df: reviews with ``topic_id`` and ``dimensions`` (``;``-joined keys, may be empty).

    Returns:
        ``{topic_id: {dimension_key: share}}`` for every topic id >= 0 present in ``df``;
        each inner dict has every dimension key present in ``df`` (sorted), shares in [0, 1].

    Raises:
        StageError: a required column is missing.
    """
    _require(df, ("topic_id", "dimensions"), "topic_dimension_shares")
    topics = pd.to_numeric(df["topic_id"], errors="coerce").fillna(-1).astype("int64")
    dims = _dimension_indicators(df)
    means = dims.groupby(topics.to_numpy()).mean()
    return {
        int(topic): {key: float(means.at[topic, key]) for key in dims.columns}
        for topic in means.index
        if topic >= 0
    }


def _require(df: pd.DataFrame, columns: tuple[str, ...], where: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise StageError(f"{where} needs columns {missing}; got {list(df.columns)}. Did the topic and dimension stages run?")


def _dimension_indicators(df: pd.DataFrame) -> pd.DataFrame:
    """0/1 frame: one column per dimension key (sorted), one row per review."""
    # A dump holds few distinct combinations of dimensions: each is split once.
    codes, values = pd.factorize(df["dimensions"].astype("string").fillna(""), sort=False)
    sets = [{k.strip() for k in str(value).split(";") if k.strip()} for value in values]
    all_keys = sorted(set().union(*sets)) if sets else []
    data = {key: np.array([key in s for s in sets], dtype=np.float64)[codes] for key in all_keys}
    return pd.DataFrame(data, index=pd.RangeIndex(len(df)), columns=all_keys)


def _typicality(df: pd.DataFrame, topics: np.ndarray, texts: np.ndarray, keywords: dict[int, list[str]]) -> np.ndarray:
    """How typical each review is of its topic: its topic probability, else keyword hits."""
    if TOPIC_PROBABILITY_COLUMN in df.columns:
        return pd.to_numeric(df[TOPIC_PROBABILITY_COLUMN], errors="coerce").fillna(0.0).to_numpy(dtype=np.float64)
    return np.array(
        [sum(word in text for word in keywords.get(topic, [])) for topic, text in zip(topics, texts)],
        dtype=np.float64,
    )


def _examples(rows: np.ndarray, typicality: np.ndarray, texts: np.ndarray, n: int) -> list[str]:
    """The ``n`` most typical distinct texts among ``rows`` (ties keep row order)."""
    order = rows[np.argsort(-typicality[rows], kind="stable")]
    picked: list[str] = []
    seen: set[str] = set()
    for i in order:
        text = " ".join(str(texts[i]).split())
        if not text or text in seen:
            continue
        seen.add(text)
        picked.append(text if len(text) <= EXAMPLE_MAX_CHARS else text[: EXAMPLE_MAX_CHARS - 1] + "…")
        if len(picked) == n:
            break
    return picked
