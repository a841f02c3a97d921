"""Resources the runner loads once per run: segmenter, aspect matcher, models.

Model files live in gitignored folders: the sentiment model in ``data/models/sentiment``
(keyed by a hash of its settings), the topic model in ``<output>/models/topics``.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path
from typing import Any

from pipeline.config import Config
from pipeline.errors import ConfigError
from pipeline.stages.base import Resources

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def lean_arrow_memory() -> None:
    """Let Arrow hand freed memory back to the system at once.

    pandas keeps strings in Arrow buffers. Arrow's default allocator keeps freed pages for
    reuse, so after the report's temporary tables a million-review run held several hundred
    MB it no longer used. jemalloc with no decay delay returns them; where this pyarrow build
    has no jemalloc, the system allocator is used.
    """
    import pyarrow as pa

    try:
        pool = pa.jemalloc_memory_pool()
        pa.jemalloc_set_decay_ms(0)
    except (NotImplementedError, pa.ArrowNotImplementedError):
        pool = pa.system_memory_pool()
    if pa.default_memory_pool().backend_name != pool.backend_name:
        pa.set_memory_pool(pool)


def model_dir(config: Config) -> Path:
    """Where trained models are cached (gitignored ``data/models`` by default)."""
    return Path(config.output.model_dir) if config.output.model_dir else PROJECT_ROOT / "data" / "models"


def topic_model_dir(config: Config) -> Path:
    """The saved topic model of this output folder (reused night to night)."""
    return Path(config.output.dir) / "models" / "topics"


# --- resources ------------------------------------------------------------------------------


def build_segmenter(config: Config, matcher: Any = None):
    """The jieba segmenter with the config's dictionaries and every lexicon term kept whole."""
    from pipeline.text import get_segmenter

    extra = tuple(matcher.lexicon.terms()) if matcher is not None and hasattr(matcher, "lexicon") else ()
    return get_segmenter(
        tuple(str(p) for p in config.segment.user_dicts),
        tuple(str(p) for p in config.segment.stopwords),
        extra,
        backend=config.segment.backend.value,
    )


_MATCHERS: dict[tuple, Any] = {}


def build_matcher(config: Config):
    """The aspect matcher from the configured lexicon packs (validated on load).

    Built once per process for the same packs (by path and modification time) and dimensions.
    """
    from pipeline.aspects import AspectMatcher
    from pipeline.lexicon import load_lexicon

    paths = [Path(p) for p in config.dimensions.lexicons]
    key = (tuple((str(p), p.stat().st_mtime_ns if p.is_file() else 0) for p in paths), tuple(config.dimensions.dimensions))
    if key not in _MATCHERS:
        _MATCHERS[key] = AspectMatcher(load_lexicon(paths, list(config.dimensions.dimensions)))
    return _MATCHERS[key]


def worker_files(config: Config) -> dict[str, bytes]:
    """The files a partition worker reads to build its segmenter and matcher (lexicon packs,
    user dictionaries, stopword lists), by configured path: sent with the partition context
    to a Dask cluster, whose workers may run on machines without them."""
    paths = [*config.dimensions.lexicons, *config.segment.user_dicts, *config.segment.stopwords]
    return {str(p): Path(p).read_bytes() for p in paths}


def with_worker_files(config: Config, files: dict[str, bytes] | None) -> Config:
    """``config`` itself when every file in ``files`` is at its path here with the same
    bytes (the usual case, and always on the machine that sent them); else a copy whose
    paths point at copies of the sent files, written once under the temporary folder in a
    folder named by their digest. A copy keeps its file's name (lexicon hits name it)."""
    import hashlib
    import tempfile

    from pipeline.io import write_bytes_atomic

    if not files:
        return config
    moved: dict[str, str] = {}
    for path, data in files.items():
        p = Path(path)
        try:
            if p.is_file() and p.read_bytes() == data:
                continue
        except OSError:
            pass
        folder = Path(tempfile.gettempdir()) / "review-pipeline-files" / hashlib.sha256(path.encode() + b"\0" + data).hexdigest()[:20]
        copy = folder / p.name
        if not (copy.is_file() and copy.read_bytes() == data):
            write_bytes_atomic(copy, data)  # workers on one machine may write the same copy at once
        moved[path] = str(copy)
    if not moved:
        return config

    def swap(paths: list) -> list[Path]:
        return [Path(moved.get(str(p), str(p))) for p in paths]

    logger.info("%d configured file(s) are missing or differ here: using the copies sent with the partitions", len(moved))
    return config.model_copy(
        update={
            "dimensions": config.dimensions.model_copy(update={"lexicons": swap(config.dimensions.lexicons)}),
            "segment": config.segment.model_copy(update={"user_dicts": swap(config.segment.user_dicts), "stopwords": swap(config.segment.stopwords)}),
        }
    )


def text_resources(config: Config, run_date: dt.date) -> Resources:
    """Resources with the segmenter and matcher only (what a partition worker builds itself)."""
    res = Resources(config=config, run_date=run_date)
    res.matcher = build_matcher(config)
    res.segmenter = build_segmenter(config, res.matcher)
    return res


def load_sentiment_model(config: Config, segmenter: Any):
    """The configured sentiment model: a file from ``train-sentiment`` when ``model_file`` is
    set, else the default (trained on first use and cached in ``model_dir``).

    Raises:
        ConfigError: ``model_file`` is missing or not a saved model.
    """
    params = config.sentiment
    if params.model_file is not None:
        import joblib

        path = Path(params.model_file)
        if not path.is_file():
            raise ConfigError(f"[sentiment -> model_file] not found: {path}; train one with `python run.py train-sentiment --labels FILE`")
        try:
            model = joblib.load(path)
        except Exception as exc:
            raise ConfigError(f"[sentiment -> model_file] {path} is not a saved sentiment model: {exc}") from exc
        if not hasattr(model, "predict_proba"):
            raise ConfigError(f"[sentiment -> model_file] {path} holds a {type(model).__name__}, not a sentiment model")
        return model
    from pipeline.sentiment import load_default_model

    settings = {"C": params.C} if params.backend.value == "sklearn" else {}
    return load_default_model(params.backend.value, model_dir(config) / "sentiment", segmenter, **settings)


def load_topic_model(config: Config):
    """The saved topic model when it matches the config and retraining was not asked for."""
    from pipeline.stages.topics import build_model
    from pipeline.topicmodel import TopicModel

    params = config.topics
    directory = topic_model_dir(config)
    if params.retrain or params.backend.value == "none" or not directory.is_dir():
        return None
    try:
        model = TopicModel.load(directory)
    except Exception as exc:  # a broken or old save is refitted, not fatal
        logger.warning("saved topic model in %s unusable (%s); refitting", directory, exc)
        return None
    if model.params_fingerprint() != build_model(params).params_fingerprint():
        logger.info("topic settings changed since the saved model; refitting")
        return None
    logger.info("reusing the saved topic model (%d topics) from %s", model.num_topics_, directory)
    return model


def build_resources(config: Config, stages: list[str], run_date: dt.date) -> Resources:
    """Load what the selected stages need, once."""
    res = Resources(config=config, run_date=run_date)
    needs_text = {"segment", "sentiment", "dimensions"} & set(stages)
    if {"segment", "sentiment", "dimensions", "report"} & set(stages):
        res.matcher = build_matcher(config)
    if needs_text:
        res.segmenter = build_segmenter(config, res.matcher)
    if "sentiment" in stages:
        t = time.perf_counter()
        res.sentiment_model = load_sentiment_model(config, res.segmenter)
        logger.info("sentiment model ready (%s, %.1fs)", config.sentiment.backend.value, time.perf_counter() - t)
    if "topics" in stages:
        res.topic_model = load_topic_model(config)
    return res


