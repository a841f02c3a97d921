"""What every stage shares: the resources the runner hands in, and the reject column.

A stage is ``run(df, params, res) -> DataFrame``: ``params`` is its own config section and
``res`` holds what the runner loaded for it (segmenter, lexicon, models, run date). Stages do
no file I/O. A stage rejects a row by filling :data:`REJECT_COL` with a reason; the runner
moves such rows to ``rejects.csv``. A stage whose result depends on the whole dump (a topic
model, the dump's sentiment prior) also has ``fit(df, params, res) -> None``: the runner
calls it once, on a sample, before ``run`` is applied to every partition.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

REJECT_COL = "reject_reason"


@dataclass
class Resources:
    """Loaded once by the runner and passed to every stage.

    Attributes:
        config: the validated :class:`pipeline.config.Config`.
        run_date: the date due dates count from when a review has none.
        segmenter: the jieba segmenter (built by the runner with the config's dictionaries).
        matcher: the aspect matcher built from the lexicon packs.
        sentiment_model: the fitted sentiment model (trained or loaded by the runner).
        topic_model: a saved topic model to reuse, or None; the topics stage sets it after fitting.
        facts: figures stages report for the manifest (e.g. the estimated positive prior).
        artifacts: tables and documents the report stage built for the runner to write.
        store: the cumulative ``feedback`` and ``mentions`` tables of earlier runs.
        sentiment_prior: (training prior, dump prior) to re-weight scores with, set by
            ``sentiment.fit`` when ``adapt_prior`` is on.
        topic_dimensions: topic id -> dominant dimension for the topic fallback, set by
            ``dimensions.fit``.
        seen_ids: review id -> first row and text hash across every chunk of the dump (``ingest``;
            packed into one int where it can be).
        text_counts: text digest -> rows so far without an id, for stable content ids (``ingest``).
        mentions: the evidence table of the reviews the ``report`` stage receives.
        sentiment_scored: the raw scores ``sentiment.fit`` computed on its sample (a weak
            reference to the frame, the model, review and clause scores), taken by the
            ``sentiment.run`` that follows on the same frame instead of scoring it again.
    """

    config: Any
    run_date: dt.date = field(default_factory=dt.date.today)
    segmenter: Any = None
    matcher: Any = None
    sentiment_model: Any = None
    topic_model: Any = None
    topic_model_fitted: bool = False
    sentiment_prior: tuple[float, float] | None = None
    topic_dimensions: dict[int, str] | None = None
    seen_ids: dict[str, int | tuple[str, int]] = field(default_factory=dict)
    text_counts: dict[bytes, int] = field(default_factory=dict)
    mentions: Any = None
    sentiment_scored: tuple | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    artifacts: dict[str, Any] = field(default_factory=dict)
    store: dict[str, Any] = field(default_factory=dict)
