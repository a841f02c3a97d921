"""topics: topic id and keywords per review from a saved topic model, or one fitted now.

The runner passes a saved model in ``res.topic_model`` when its parameters match the config
(and ``retrain`` is off); otherwise ``fit`` fits one on a sample of the content tokens with a
fixed seed and hands it back to the runner to save, so topic ids stay stable run to run.
"""

from __future__ import annotations

import logging

import pandas as pd

from pipeline.config import EngineKind, EngineParams, TopicBackend, TopicsParams
from pipeline.stages.base import Resources

logger = logging.getLogger(__name__)

REQUIRES = ("tokens",)
PRODUCES = ("topic_id", "topic_keywords", "topic_prob")
# ``fit`` reads only the REQUIRES columns and sets only the topic model: the runner may run it
# beside the fits of the stages before this one, once the tokens exist.
FIT_EARLY = True


def build_model(params: TopicsParams, n_jobs: int = 1):
    """An unfitted topic model for these parameters, trying ``n_jobs`` k at once (the result
    does not depend on it)."""
    from pipeline.topicmodel import TopicModel

    return TopicModel(
        backend=params.backend.value,
        num_topics=params.num_topics,
        min_topics=params.min_topics,
        max_topics=params.max_topics,
        seed=params.seed,
        passes=params.passes,
        iterations=params.iterations,
        top_n=params.top_n,
        no_below=params.no_below,
        no_above=params.no_above,
        keep_n=params.keep_n,
        max_docs=params.max_docs,
        coherence=params.coherence.value,
        relevance=params.relevance,
        stopwords=tuple(params.stopwords),
        n_jobs=n_jobs,
    )


def fit_jobs(engine: EngineParams) -> int:
    """Processes the topic fit may use: the engine's workers when they run on this machine (a
    process pool, a Dask LocalCluster), which have nothing to do until the dump-level models
    are fitted; one in process, or with a remote Dask scheduler (this machine may be small)."""
    kind = engine.resolved_kind()
    if kind is EngineKind.processes or (kind is EngineKind.dask and not engine.address):
        return engine.workers
    return 1


def fit(df: pd.DataFrame, params: TopicsParams, res: Resources) -> None:
    """Fit the topic model on ``df`` unless the runner passed a saved one to reuse."""
    if params.backend is TopicBackend.none or res.topic_model is not None:
        return
    res.topic_model = build_model(params, fit_jobs(res.config.engine)).fit(df["tokens"].tolist())
    res.topic_model_fitted = True


def run(df: pd.DataFrame, params: TopicsParams, res: Resources) -> pd.DataFrame:
    """Assign each review its most probable topic (-1 when none applies)."""
    out = df.copy()
    if params.backend is TopicBackend.none or len(df) == 0:
        out["topic_id"] = pd.Series([-1] * len(df), index=df.index, dtype="int64")
        out["topic_keywords"] = pd.array([""] * len(df), dtype="string")
        out["topic_prob"] = 0.0
        return out
    if res.topic_model is None:
        fit(df, params, res)
    model = res.topic_model
    ids, probs = model.transform(df["tokens"].tolist())
    keywords = {k: " ".join(v) for k, v in model.keywords_.items()}
    out["topic_id"] = pd.Series(ids, index=df.index).astype("int64")
    out["topic_keywords"] = pd.array([keywords.get(int(i), "") for i in ids], dtype="string")
    out["topic_prob"] = pd.Series(probs, index=df.index).astype(float)
    res.facts["topics"] = int(model.num_topics_)
    return out
