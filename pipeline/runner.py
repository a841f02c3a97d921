"""The runner: owns ordering, resources, caching, row accounting, logging and the manifest.

Stages are pure; everything that touches disk goes through :mod:`pipeline.io`.
"""

from __future__ import annotations

import datetime as dt
import logging
import platform
import time
import uuid
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline import io
from pipeline.config import Config
from pipeline.errors import ConfigError, StageError
from pipeline.stages import STAGE_NAMES, STAGES
from pipeline.stages.base import REJECT_COL, Resources

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REJECT_COLUMNS = ["source_row", "review_id", "stage", "reason", "text"]
PACKAGES = ("pandas", "numpy", "scikit-learn", "gensim", "jieba", "snownlp", "pyarrow", "openpyxl", "pydantic", "PyYAML", "opencc-python-reimplemented")


@dataclass
class RunResult:
    """What a run did: counts, timings, where the outputs are."""

    output_dir: Path
    rows_read: int
    accepted: int
    rejected: int
    timings: dict[str, float] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)


def select_stages(start: str | None, end: str | None) -> list[str]:
    """The stage names from ``start`` to ``end`` inclusive.

    Raises:
        ConfigError: an unknown stage name, or ``start`` after ``end``.
    """
    for name, flag in ((start, "--from"), (end, "--to")):
        if name is not None and name not in STAGES:
            raise ConfigError(f"[{flag}] unknown stage {name!r}; known stages: {', '.join(STAGE_NAMES)}")
    i = STAGE_NAMES.index(start) if start else 0
    j = STAGE_NAMES.index(end) if end else len(STAGE_NAMES) - 1
    if i > j:
        raise ConfigError(f"[--from/--to] stage {start!r} comes after {end!r}; order: {', '.join(STAGE_NAMES)}")
    return list(STAGE_NAMES[i : j + 1])


def model_dir(config: Config) -> Path:
    """Where trained models are cached (gitignored ``data/models`` by default)."""
    return Path(config.output.model_dir) if config.output.model_dir else PROJECT_ROOT / "data" / "models"


def cache_dir(config: Config) -> Path:
    """Where stage intermediates are cached for ``--from``/``--to``."""
    return Path(config.output.cache_dir) if config.output.cache_dir else Path(config.output.dir) / ".cache"


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
    )


def build_matcher(config: Config):
    """The aspect matcher from the configured lexicon packs (validated on load)."""
    from pipeline.aspects import AspectMatcher
    from pipeline.lexicon import load_lexicon

    lexicon = load_lexicon([Path(p) for p in config.dimensions.lexicons], list(config.dimensions.dimensions))
    return AspectMatcher(lexicon)


def load_sentiment_model(config: Config, segmenter: Any):
    """The configured sentiment model (trained on first use and cached in ``model_dir``)."""
    from pipeline.sentiment import load_default_model

    settings = {"C": config.sentiment.C} if config.sentiment.backend.value == "sklearn" else {}
    return load_default_model(config.sentiment.backend.value, model_dir(config) / "sentiment", segmenter, **settings)


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
    if "dimensions" in stages or "segment" in stages:
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


# --- running --------------------------------------------------------------------------------


def check_requires(stage: str, df: pd.DataFrame) -> None:
    """Raise when the frame lacks a column the stage declares in ``REQUIRES``."""
    missing = [c for c in STAGES[stage].REQUIRES if c not in df.columns]
    if missing:
        i = STAGE_NAMES.index(stage)
        before = STAGE_NAMES[i - 1] if i else "the reader"
        raise StageError(f"stage {stage!r} needs column(s) {missing}; got {list(df.columns)}. Did {before!r} run?")


def split_rejects(df: pd.DataFrame, stage: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Move rows with a reject reason out of the frame, into reject rows."""
    if REJECT_COL not in df.columns:
        return df, pd.DataFrame(columns=REJECT_COLUMNS)
    mask = df[REJECT_COL].notna() & (df[REJECT_COL].astype("string") != "")
    rej = df[mask]
    rejects = pd.DataFrame(
        {
            "source_row": rej["source_row"].astype("string") if "source_row" in rej else pd.array([""] * len(rej), dtype="string"),
            "review_id": rej["review_id"].astype("string") if "review_id" in rej else pd.array([""] * len(rej), dtype="string"),
            "stage": pd.array([stage] * len(rej), dtype="string"),
            "reason": rej[REJECT_COL].astype("string"),
            "text": rej["text"].astype("string") if "text" in rej else pd.array([""] * len(rej), dtype="string"),
        }
    )
    kept = df[~mask].drop(columns=[REJECT_COL])
    return kept, rejects


def run_pipeline(config: Config, *, start: str | None = None, end: str | None = None, run_date: dt.date | None = None) -> RunResult:
    """Run the selected stages and write the outputs of the ones that ran.

    Args:
        config: a validated config.
        start: first stage (``--from``); earlier stages' output is read from the cache.
        end: last stage (``--to``).
        run_date: the date due dates count from when a review has none (default today).

    Raises:
        ConfigError, InputError, StageError, DictionaryError: with a one-line reason.
    """
    stages = select_stages(start, end)
    run_date = run_date or dt.date.today()
    out_dir = Path(config.output.dir)
    cdir = cache_dir(config)
    started = dt.datetime.now(dt.timezone.utc)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    input_facts: dict[str, Any] = {}
    if stages[0] == "ingest":
        if config.input.path is None:
            raise ConfigError("[input -> path] no input file: set input.path in the config or pass --input")
        t = time.perf_counter()
        df, input_facts = io.read_dump(config.input.path, config.input.format.value, config.input.encoding.value, config.input.sheet)
        timings["read"] = round(time.perf_counter() - t, 3)
        logger.info("read - %s (%d rows, %s, %s)", Path(config.input.path).name, len(df), input_facts["format"], input_facts.get("encoding", "binary"))
        rejects = pd.DataFrame(columns=REJECT_COLUMNS)
        rows_read = len(df)
    else:
        prev = STAGE_NAMES[STAGE_NAMES.index(stages[0]) - 1]
        cached = io.load_stage_cache(cdir, prev)
        if cached is None:
            raise StageError(f"--from {stages[0]} needs the cached output of {prev!r} in {cdir}; run the pipeline up to {prev!r} first")
        df, meta = cached
        rejects_cached = io.load_stage_cache(cdir, "rejects")
        rejects = rejects_cached[0] if rejects_cached else pd.DataFrame(columns=REJECT_COLUMNS)
        rows_read = int(meta.get("rows_read", len(df) + len(rejects)))
        input_facts = meta.get("input", {})
        logger.info("loaded cached %r output (%d rows) from %s", prev, len(df), cdir)

    t = time.perf_counter()
    res = build_resources(config, stages, run_date)
    timings["load_resources"] = round(time.perf_counter() - t, 3)
    res.facts["run_info"] = {
        "run_id": started.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6],
        "config_name": config.name,
        "generated_at": started.isoformat(timespec="seconds"),
        "run_date": run_date.isoformat(),
        "title": config.report.title,
    }
    for name in stages:
        check_requires(name, df)
        logger.info("%s - start (n=%s)", name, f"{len(df):,}")
        t = time.perf_counter()
        params = getattr(config, name)
        df = STAGES[name].run(df, params, res)
        df, stage_rejects = split_rejects(df, name)
        if len(stage_rejects):
            rejects = pd.concat([rejects, stage_rejects], ignore_index=True) if len(rejects) else stage_rejects
        timings[name] = round(time.perf_counter() - t, 3)
        extra = f", {len(stage_rejects)} rejected" if len(stage_rejects) else ""
        logger.info("%s - done (%.2fs%s)", name, timings[name], extra)
        if name != "report":
            io.save_stage_cache(cdir, name, df, {"stage": name, "rows_read": rows_read, "input": input_facts, "config": config.fingerprint()})
    io.save_stage_cache(cdir, "rejects", rejects, {"rows_read": rows_read})

    if len(df) + len(rejects) != rows_read:
        raise StageError(f"row accounting failed: {rows_read} read != {len(df)} accepted + {len(rejects)} rejected")
    if res.topic_model_fitted and res.topic_model is not None:
        res.topic_model.save(topic_model_dir(config))
    manifest = _manifest(config, res, input_facts, rows_read, len(df), len(rejects), timings, stages)
    if "report" in stages:
        t = time.perf_counter()
        write_outputs(out_dir, res, rejects, manifest)
        timings["write"] = round(time.perf_counter() - t, 3)
    timings["total"] = round(time.perf_counter() - t0, 3)
    manifest["timings_s"] = timings
    io.write_json(out_dir / "manifest.json", manifest)
    logger.info("run %s - %d read, %d accepted, %d rejected (%.1fs) → %s", res.facts["run_info"]["run_id"], rows_read, len(df), len(rejects), timings["total"], out_dir)
    return RunResult(out_dir, rows_read, len(df), len(rejects), timings, manifest)


def write_outputs(out_dir: Path, res: Resources, rejects: pd.DataFrame, manifest: dict[str, Any]) -> None:
    """Write every contract file atomically."""
    art = res.artifacts
    feedback: pd.DataFrame = art["feedback"]
    io.write_csv(out_dir / "classified_feedback.csv", feedback)
    io.write_parquet(out_dir / "classified_feedback.parquet", feedback)
    io.write_csv(out_dir / "aspect_mentions.csv", art["mentions"])
    io.write_csv(out_dir / "rejects.csv", rejects.reindex(columns=REJECT_COLUMNS))
    io.write_csv(out_dir / "actions.csv", art["actions"])
    if "topics" in art:
        io.write_csv(out_dir / "topics.csv", art["topics"])
    summary = dict(art["summary"])
    summary["rows"] = {"read": manifest["rows"]["read"], "accepted": manifest["rows"]["accepted"], "rejected": manifest["rows"]["rejected"]}
    io.write_json(out_dir / "summary.json", summary)
    io.write_text_atomic(out_dir / "report.html", art["html"])
    io.write_bytes_atomic(out_dir / "actions.xlsx", art["xlsx"])


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _manifest(config: Config, res: Resources, input_facts: dict, read: int, accepted: int, rejected: int, timings: dict, stages: list[str]) -> dict[str, Any]:
    facts = {k: v for k, v in res.facts.items() if k != "run_info"}
    return {
        **res.facts["run_info"],
        "config_hash": config.fingerprint(),
        "config": config.model_dump(mode="json"),
        "stages": stages,
        "input": input_facts,
        "rows": {"read": read, "accepted": accepted, "rejected": rejected},
        "facts": facts,
        "versions": _versions(),
        "timings_s": timings,
    }

