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
from pipeline.resources import build_resources, topic_model_dir
from pipeline.stages.base import REJECT_COL, Resources
from pipeline.store import StateStore, run_lock, text_hash

logger = logging.getLogger(__name__)

STORE_DIR = "store"
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


def cache_dir(config: Config) -> Path:
    """Where stage intermediates are cached for ``--from``/``--to``."""
    return Path(config.output.cache_dir) if config.output.cache_dir else Path(config.output.dir) / ".cache"


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


@dataclass
class _Run:
    """Mutable state of one run, passed between the runner's steps."""

    config: Config
    stages: list[str]
    run_id: str
    started: dt.datetime
    df: pd.DataFrame = field(default_factory=pd.DataFrame)
    rejects: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REJECT_COLUMNS))
    rows_read: int = 0
    input_facts: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=lambda: {"new": 0, "changed": 0, "unchanged": 0, "skipped": 0})
    processed: list[tuple[str, str]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def run_pipeline(config: Config, *, start: str | None = None, end: str | None = None, run_date: dt.date | None = None) -> RunResult:
    """Run the selected stages under the output folder's lock and write their outputs.

    Args:
        config: a validated config.
        start: first stage (``--from``); earlier stages' output is read from the cache.
        end: last stage (``--to``).
        run_date: the date due dates count from when a review has none (default today).

    Raises:
        ConfigError, InputError, StageError, DictionaryError, LockError: with a one-line reason.
    """
    stages = select_stages(start, end)
    out_dir = Path(config.output.dir)
    started = dt.datetime.now(dt.timezone.utc)
    run = _Run(config, stages, started.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6], started)
    t0 = time.perf_counter()
    with run_lock(out_dir), StateStore(out_dir) as state:
        _load_input(run)
        t = time.perf_counter()
        res = build_resources(config, stages, run_date or dt.date.today())
        run.timings["load_resources"] = round(time.perf_counter() - t, 3)
        res.facts["run_info"] = {"config_name": config.name, "run_date": res.run_date.isoformat(), "title": config.report.title}
        state.begin_run(run.run_id, started.isoformat(timespec="seconds"), run.input_facts.get("sha256"), config.fingerprint())
        for name in stages:
            _run_stage(run, name, res)
            if name == "clean":
                _drop_already_processed(run, state, config.output.incremental)
            if name == "feedback":
                res.store = _load_store(out_dir, config)
            if name != "report":
                io.save_stage_cache(cache_dir(config), name, run.df, _cache_meta(run, name))
        io.save_stage_cache(cache_dir(config), "rejects", run.rejects, {"rows_read": run.rows_read})
        accepted = len(run.df) + run.counts.get("skipped", 0)
        if accepted + len(run.rejects) != run.rows_read:
            raise StageError(f"row accounting failed: {run.rows_read} read != {accepted} accepted + {len(run.rejects)} rejected")
        if res.topic_model_fitted and res.topic_model is not None:
            res.topic_model.save(topic_model_dir(config))
        counts = {"read": run.rows_read, "accepted": accepted, "rejected": len(run.rejects), **run.counts}
        manifest = _manifest(run, res, counts)
        if "report" in stages:
            t = time.perf_counter()
            write_outputs(out_dir, res, run, counts)
            run.timings["write"] = round(time.perf_counter() - t, 3)
            if "segment" in stages or run.counts["new"] + run.counts["changed"]:
                state.finish_run(run.run_id, run.processed, counts)
        run.timings["total"] = round(time.perf_counter() - t0, 3)
        manifest["timings_s"] = run.timings
        io.write_json(out_dir / "manifest.json", manifest)
    logger.info(
        "run %s - %d read, %d accepted (%d new, %d changed, %d unchanged), %d rejected (%.1fs) → %s",
        run.run_id, run.rows_read, accepted, run.counts["new"], run.counts["changed"], run.counts["unchanged"], len(run.rejects), run.timings["total"], out_dir,
    )
    return RunResult(out_dir, run.rows_read, accepted, len(run.rejects), run.timings, manifest)


def run_in_memory(config: Config, raw: pd.DataFrame, stages: list[str], run_date: dt.date | None = None) -> tuple[pd.DataFrame, pd.DataFrame, Resources]:
    """Run stages on a frame already read, writing nothing (evaluation and notebooks).

    Args:
        config: a validated config.
        raw: ``reviews_raw`` as :func:`pipeline.io.read_dump` returns it.
        stages: stage names in order (need not be contiguous: e.g. skip ``topics``).
        run_date: as for :func:`run_pipeline`.

    Returns:
        (accepted rows after the last stage, rejects, the resources used)
    """
    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        raise ConfigError(f"unknown stage(s) {unknown}; known stages: {', '.join(STAGE_NAMES)}")
    run = _Run(config, list(stages), "in-memory", dt.datetime.now(dt.timezone.utc), df=raw, rows_read=len(raw))
    res = build_resources(config, list(stages), run_date or dt.date.today())
    for name in stages:
        _run_stage(run, name, res)
    return run.df, run.rejects, res


def _load_input(run: _Run) -> None:
    """Read the dump (when ingest runs) or the cached output of the stage before ``--from``."""
    config = run.config
    if run.stages[0] == "ingest":
        if config.input.path is None:
            raise ConfigError("[input -> path] no input file: set input.path in the config or pass --input")
        t = time.perf_counter()
        run.df, run.input_facts = io.read_dump(config.input.path, config.input.format.value, config.input.encoding.value, config.input.sheet)
        run.timings["read"] = round(time.perf_counter() - t, 3)
        run.rows_read = len(run.df)
        logger.info("read - %s (%d rows, %s, %s)", Path(config.input.path).name, len(run.df), run.input_facts["format"], run.input_facts.get("encoding", "binary"))
        return
    cdir = cache_dir(config)
    prev = STAGE_NAMES[STAGE_NAMES.index(run.stages[0]) - 1]
    cached = io.load_stage_cache(cdir, prev)
    if cached is None:
        raise StageError(f"--from {run.stages[0]} needs the cached output of {prev!r} in {cdir}; run the pipeline up to {prev!r} first")
    run.df, meta = cached
    rejects_cached = io.load_stage_cache(cdir, "rejects")
    if rejects_cached is not None:
        run.rejects = rejects_cached[0][rejects_cached[0]["stage"].isin(STAGE_NAMES[: STAGE_NAMES.index(run.stages[0])])]
    run.rows_read = int(meta.get("rows_read", len(run.df) + len(run.rejects)))
    run.input_facts = meta.get("input", {})
    run.counts = dict(meta.get("counts", run.counts))
    run.processed = [tuple(p) for p in meta.get("processed", [])]
    logger.info("loaded cached %r output (%d rows) from %s", prev, len(run.df), cdir)


def _cache_meta(run: _Run, stage: str) -> dict[str, Any]:
    return {"stage": stage, "rows_read": run.rows_read, "input": run.input_facts, "config": run.config.fingerprint(), "counts": run.counts, "processed": run.processed}


def _run_stage(run: _Run, name: str, res: Resources) -> None:
    check_requires(name, run.df)
    logger.info("%s - start (n=%s)", name, f"{len(run.df):,}")
    t = time.perf_counter()
    df = STAGES[name].run(run.df, getattr(run.config, name), res)
    run.df, stage_rejects = split_rejects(df, name)
    if len(stage_rejects):
        run.rejects = pd.concat([run.rejects, stage_rejects], ignore_index=True) if len(run.rejects) else stage_rejects
    run.timings[name] = round(time.perf_counter() - t, 3)
    extra = f", {len(stage_rejects)} rejected" if len(stage_rejects) else ""
    logger.info("%s - done (%.2fs%s)", name, run.timings[name], extra)


def _drop_already_processed(run: _Run, state: StateStore, incremental: bool) -> None:
    """Count new, changed and unchanged reviews; when incremental, keep only new and changed."""
    df = run.df
    ids = df["review_id"].astype(str).tolist()
    hashes = [text_hash(t) for t in df["text"].astype(str).tolist()]
    known = state.known_hashes(ids)
    same = [known.get(i) == h for i, h in zip(ids, hashes)]
    run.counts = {
        "new": sum(1 for i in ids if i not in known),
        "changed": sum(1 for i, s in zip(ids, same) if i in known and not s),
        "unchanged": sum(same),
        "skipped": sum(same) if incremental else 0,
    }
    keep = [not s or not incremental for s in same]
    run.processed = [(i, h) for i, h, k in zip(ids, hashes, keep) if k]
    run.df = df[keep]
    if run.counts["skipped"]:
        logger.info("incremental - %d already processed and unchanged, %d new, %d changed", run.counts["skipped"], run.counts["new"], run.counts["changed"])


def _load_store(out_dir: Path, config: Config) -> dict[str, Any]:
    """What earlier runs left: cumulative feedback and mentions, the actions register, the
    run history, and the actions file staff returned (empty on the first run)."""
    store: dict[str, Any] = {}
    for name in ("feedback", "mentions", "actions"):
        p = out_dir / STORE_DIR / f"{name}.parquet"
        if p.is_file():
            store[name] = pd.read_parquet(p)
    history = out_dir / STORE_DIR / "history.json"
    store["history"] = io.read_json(history) if history.is_file() else []
    if config.feedback.actions_return is not None:
        store["returned"] = io.read_actions_file(config.feedback.actions_return)
        logger.info("read %d returned action rows from %s", len(store["returned"]), config.feedback.actions_return)
    return store


def write_outputs(out_dir: Path, res: Resources, run: _Run, counts: dict[str, int]) -> None:
    """Write the cumulative store, then every contract file, each atomically."""
    art = res.artifacts
    feedback: pd.DataFrame = art["feedback"]
    io.write_parquet(out_dir / STORE_DIR / "feedback.parquet", feedback)
    io.write_parquet(out_dir / STORE_DIR / "mentions.parquet", art["mentions"])
    io.write_parquet(out_dir / STORE_DIR / "actions.parquet", art["actions"])
    io.write_json(out_dir / STORE_DIR / "history.json", art["summary"].get("history", []))
    io.write_csv(out_dir / "classified_feedback.csv", feedback)
    io.write_parquet(out_dir / "classified_feedback.parquet", feedback)
    io.write_csv(out_dir / "aspect_mentions.csv", art["mentions"])
    io.write_csv(out_dir / "rejects.csv", run.rejects.reindex(columns=REJECT_COLUMNS))
    io.write_csv(out_dir / "actions.csv", art["actions"])
    if "topics" in art:
        io.write_csv(out_dir / "topics.csv", art["topics"])
    io.write_json(out_dir / "summary.json", art["summary"])
    io.write_text_atomic(out_dir / "report.html", art["html"])
    io.write_bytes_atomic(out_dir / "actions.xlsx", art["xlsx"])
    if counts["new"] + counts["changed"]:
        run_dir = out_dir / "runs" / run.run_id
        new_ids = set(run.df["review_id"].astype(str))
        io.write_csv(run_dir / "classified_feedback.csv", feedback[feedback["review_id"].isin(new_ids)])
        io.write_csv(run_dir / "rejects.csv", run.rejects.reindex(columns=REJECT_COLUMNS))


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _manifest(run: _Run, res: Resources, counts: dict[str, int]) -> dict[str, Any]:
    facts = {k: v for k, v in res.facts.items() if k != "run_info"}
    return {
        "run_id": run.run_id,
        "generated_at": run.started.isoformat(timespec="seconds"),
        **res.facts["run_info"],
        "config_hash": run.config.fingerprint(),
        "config": run.config.model_dump(mode="json"),
        "stages": run.stages,
        "input": run.input_facts,
        "rows": counts,
        "facts": facts,
        "versions": _versions(),
        "timings_s": run.timings,
    }
