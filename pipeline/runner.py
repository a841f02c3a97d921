"""The runner: owns ordering, resources, chunking, caching, row accounting, logging and the manifest.

Stages are pure; everything that touches disk goes through :mod:`pipeline.io` (and the state
store in :mod:`pipeline.store`). The per-row stages run per partition through an engine
(:mod:`pipeline.engine`); ``ingest`` and the incremental filter run here, chunk after chunk;
stages with a ``fit`` learn the dump-level state from a sample first. The run's counts and the
incremental filter are in :mod:`pipeline.accounting`; the cumulative store, the contract files
and the manifest in :mod:`pipeline.outputs`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import logging
import os
import sys
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pandas as pd

from pipeline import io
from pipeline.accounting import RunState, drop_already_processed, make_pairs, settle_counts
from pipeline.arrowops import compact, concat_compact
from pipeline.config import Config, EngineKind
from pipeline.engine import code_digest, make_engine
from pipeline.errors import ConfigError, InputError, StageError
from pipeline.outputs import build_manifest, load_store, write_outputs
from pipeline.partition import (
    PARTITION_STAGES,
    PartitionContext,
    PartitionResult,
    StartedPartition,
    check_requires,
    empty_rejects,
    fewer_collections,
    finish_partition,
    process_partition,
    run_stage,
)
from pipeline.resources import build_resources, lean_arrow_memory, topic_model_dir, worker_files
from pipeline.segmenter import release_segmenters
from pipeline.stages import STAGE_NAMES, STAGES
from pipeline.stages.base import REJECT_COL, Resources
from pipeline.store import StateStore, run_lock

logger = logging.getLogger(__name__)

# Rough bytes per review in a dump, to decide from the file size whether to cache every stage.
CACHE_BYTES_PER_ROW = 200
# Name the run's (review_id, content_hash) pairs are cached under, beside the stages' frames.
PROCESSED_CACHE = "processed"


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


def run_pipeline(config: Config, *, start: str | None = None, end: str | None = None, run_date: dt.date | None = None) -> RunResult:
    """Run the selected stages under the output folder's lock and write their outputs.

    The dump is read in chunks; ``ingest`` and the incremental filter run here, in order;
    stages with a ``fit`` learn from a sample; then the engine maps the partition function
    over every chunk; the ``report`` stage sees the whole (cumulative) table.

    Args:
        config: a validated config.
        start: first stage (``--from``); earlier stages' output is read from the cache.
        end: last stage (``--to``).
        run_date: the date due dates count from when a review has none (default today).

    Raises:
        ConfigError, InputError, StageError, DictionaryError, LockError: with a one-line reason.
    """
    lean_arrow_memory()
    stages = select_stages(start, end)
    out_dir = Path(config.output.dir)
    started = dt.datetime.now(dt.timezone.utc)
    run = RunState(config, stages, started.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6], started)
    t0 = time.perf_counter()
    with run_lock(out_dir), StateStore(out_dir) as state, fewer_collections(), contextlib.ExitStack() as stack:
        frames = _open_input(run)
        if stages[0] == "ingest":
            frames = _check_header(frames, config)
        # A Dask scheduler named in the config is connected to (and its workers checked) now:
        # a cluster that is down fails the run before the models are loaded and fitted.
        remote = None
        if config.engine.kind is EngineKind.dask and config.engine.address and set(stages) & set(PARTITION_STAGES):
            remote = make_engine(config)
            stack.callback(remote.close)
        elif config.engine.address and config.engine.kind is not EngineKind.dask:
            logger.warning("engine.address %s is not used: engine.kind is %s (set it to dask, or pass --scheduler)", config.engine.address, config.engine.kind.value)
        t = time.perf_counter()
        res = build_resources(config, stages, run_date or dt.date.today())
        run.timings["load_resources"] = round(time.perf_counter() - t, 3)
        res.facts["run_info"] = {"config_name": config.name, "run_date": res.run_date.isoformat(), "title": config.report.title}
        state.begin_run(run.run_id, started.isoformat(timespec="seconds"), run.input_facts.get("sha256"), config.fingerprint())
        if stages[0] == "ingest":
            frames = _ingest_stream(frames, run, res, state)
        part_stages = [s for s in stages if s in PARTITION_STAGES]
        keep = _keep_frames(run, config)
        head, frames, whole = _take_sample(frames, config.engine.sample_size)
        sample, started = _fit_on_sample(head, part_stages, run, res, keep, whole)
        if sample is not None:
            del head
            collected = _finish_sample(run, res, sample, part_stages, keep)
            del sample
        elif whole and not head:  # nothing to process (an incremental run with no new review): no workers to start
            run.engine = "local"
            collected = _collected(_collector(run, keep), keep)
        else:
            files = worker_files(config) if remote is not None else None  # its workers may not have them
            code = code_digest() if remote is not None else None  # nor this machine's code, if they joined late
            ctx = PartitionContext(config, part_stages, res.run_date, res.sentiment_model, res.sentiment_prior, res.topic_model, res.topic_dimensions, keep, files, code)
            # The chunks the fit sample covered go out with their first stages done; each chunk
            # is let go of here once handed over.
            rest = head[len(started) :]
            del head
            collected = _map_partitions(run, ctx, itertools.chain(_drain(started), _drain(rest), frames), keep, remote)
            del ctx
        t = time.perf_counter()
        _release_partition_resources(res)
        _gather(collected)
        logger.info("tables gathered (rss %.0f MB)", memory_mb()[0])
        if collected["feedback"] is not None and stages[0] == "ingest":
            settle_counts(run, collected["feedback"]["review_id"].astype("string"))
        run.timings["gather"] = round(time.perf_counter() - t, 3)
        accepted = collected["rows"] + run.counts.get("skipped", 0)
        rejects = run.all_rejects()
        if accepted + len(rejects) != run.rows_read:
            raise StageError(f"row accounting failed: {run.rows_read} read != {accepted} accepted + {len(rejects)} rejected")
        cdir = cache_dir(config)
        if keep:
            frames = collected["frames"]
            io.save_stage_chain(cdir, ((name, frames[name], _cache_meta(run, name)) for name in STAGE_NAMES if name in frames))
            io.save_stage_cache(cdir, "rejects", rejects, {"rows_read": run.rows_read})
            io.save_stage_cache(cdir, PROCESSED_CACHE, run.processed, {})
        elif stages[0] == "ingest":
            io.clear_stage_cache(cdir)
            logger.info("stage outputs not cached: the dump is larger than engine.cache_max_rows (%d), so --from/--to need a full run", config.engine.cache_max_rows)
        if res.topic_model_fitted and res.topic_model is not None:
            res.topic_model.save(topic_model_dir(config))
        counts = {"read": run.rows_read, "accepted": accepted, "rejected": len(rejects), **run.counts}
        _warn_if_scoring_changed(out_dir, config, run, res)
        if "report" in stages:
            _report(run, res, collected, counts, rejects, state)
        manifest = build_manifest(run, res, counts)
        manifest["peak_memory_mb"] = round(memory_mb()[1], 1)
        run.timings["total"] = round(time.perf_counter() - t0, 3)
        manifest["timings_s"] = run.timings
        io.write_json(out_dir / "manifest.json", manifest)
    logger.info(
        "run %s - %d read, %d accepted (%d new, %d changed, %d unchanged), %d rejected (%.1fs) → %s",
        run.run_id, run.rows_read, accepted, run.counts["new"], run.counts["changed"], run.counts["unchanged"], len(rejects), run.timings["total"], out_dir,
    )
    return RunResult(out_dir, run.rows_read, accepted, len(rejects), run.timings, manifest)


def _report(run: RunState, res: Resources, collected: dict[str, Any], counts: dict[str, int], rejects: pd.DataFrame, state: StateStore) -> None:
    """Run the report stage on the whole table, write every output, record the run."""
    from pipeline.stages.report import empty_feedback_table, mentions_table

    feedback = collected["feedback"]
    if feedback is None:
        if "feedback" not in run.stages:
            raise StageError("stage 'report' needs the output of 'feedback'; run from 'feedback' or earlier")
        # Nothing new in this dump: the report is the cumulative store as it was.
        feedback = empty_feedback_table(run.config)
    out_dir = Path(run.config.output.dir)
    res.store = load_store(out_dir, run.config, replaced=feedback["review_id"])
    res.mentions = collected["mentions"] if collected["mentions"] is not None else mentions_table(pd.DataFrame({"review_id": [], "mentions": []}))
    t = time.perf_counter()
    run_stage("report", feedback, res)
    run.add_time("report", time.perf_counter() - t)
    t = time.perf_counter()
    write_outputs(out_dir, res, run, counts, rejects, feedback["review_id"].astype("string"))
    run.timings["write"] = round(time.perf_counter() - t, 3)
    logger.info("report and outputs written (rss %.0f MB, peak %.0f MB)", *memory_mb())
    if "segment" in run.stages or counts["new"] + counts["changed"]:
        state.finish_run(run.run_id, zip(run.processed["review_id"].tolist(), run.processed["content_hash"].tolist()), counts)


# Config sections that decide a review's classification: when one changed since the last run,
# the reviews an incremental run skips keep the scores of the old settings.
SCORING_SECTIONS = ("clean", "segment", "sentiment", "topics", "dimensions", "feedback")


def _warn_if_scoring_changed(out_dir: Path, config: Config, run: RunState, res: Resources) -> None:
    """Warn (and report in the manifest) when reviews were skipped as already processed although
    the sections that score them changed since the previous run (read off its manifest)."""
    skipped = run.counts.get("skipped", 0)
    if not skipped:
        return
    try:
        before = io.read_json(out_dir / "manifest.json").get("config") or {}
    except (OSError, ValueError, AttributeError):
        return  # no earlier manifest, or not ours: nothing to compare with
    now = config.model_dump(mode="json")
    changed = [s for s in SCORING_SECTIONS if s in before and before[s] != now.get(s)]
    if changed:
        res.facts["scoring_config_changed"] = changed
        logger.warning(
            "%d reviews were skipped as already processed, but the config's %s changed since the last run: they keep the "
            "earlier settings' scores in the cumulative outputs; rerun with --full to score every review the same way",
            skipped, ", ".join(changed),
        )


def memory_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process in MB (Linux; (0, peak) elsewhere)."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    try:
        with open("/proc/self/statm") as f:
            current = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        current = 0.0
    return current, peak


def _open_input(run: RunState) -> Iterator[pd.DataFrame]:
    """Chunks of the dump (when ingest runs) or the cached output of the stage before ``--from``."""
    config = run.config
    if run.stages[0] == "ingest":
        if config.input.path is None:
            raise ConfigError("[input -> path] no input file: set input.path in the config or pass --input")
        run.input_facts, chunks = io.iter_dump(config.input.path, config.input.format.value, config.input.encoding.value, config.input.sheet, config.engine.chunk_size)
        logger.info("read - %s (%s, %s)", Path(config.input.path).name, run.input_facts["format"], run.input_facts.get("encoding", "binary"))
        return chunks
    cdir = cache_dir(config)
    prev = STAGE_NAMES[STAGE_NAMES.index(run.stages[0]) - 1]
    cached = io.load_stage_cache(cdir, prev)
    if cached is None:
        raise StageError(
            f"--from {run.stages[0]} needs the cached output of {prev!r} in {cdir}; run the pipeline up to {prev!r} first "
            f"(stage outputs are cached for dumps of up to engine.cache_max_rows reviews)"
        )
    df, meta = cached
    rejects_cached = io.load_stage_cache(cdir, "rejects")
    if rejects_cached is not None:
        earlier = STAGE_NAMES[: STAGE_NAMES.index(run.stages[0])]
        run.rejects.append(rejects_cached[0][rejects_cached[0]["stage"].isin(earlier)].reset_index(drop=True))
    run.rows_read = int(meta.get("rows_read", len(df)))
    run.input_facts = meta.get("input", {})
    run.counts = dict(meta.get("counts", run.counts))
    processed = io.load_stage_cache(cdir, PROCESSED_CACHE) if "processed" not in meta else None
    if processed is not None:
        run.processed = processed[0]
    else:  # a cache written before the pairs had a file of their own (or without them)
        pairs = meta.get("processed", [])
        run.processed = make_pairs([p[0] for p in pairs], [p[1] for p in pairs])
    logger.info("loaded cached %r output (%d rows) from %s", prev, len(df), cdir)
    return iter([df])


def _check_header(frames: Iterator[pd.DataFrame], config: Config) -> Iterator[pd.DataFrame]:
    """Read the first chunk and check its columns before any model is loaded (fail fast)."""
    from pipeline.stages.ingest import check_columns

    first = next(frames, None)
    if first is None:
        raise InputError(f"input has a header but no rows: {config.input.path}")
    check_columns(list(first.columns), config.input.columns, config.input.required_columns, warn=False)
    return itertools.chain([first], frames)


def _ingest_stream(chunks: Iterator[pd.DataFrame], run: RunState, res: Resources, state: StateStore) -> Iterator[pd.DataFrame]:
    """Ingest chunk after chunk (ids are checked across chunks), then drop reviews already processed."""
    for raw in chunks:
        run.rows_read += len(raw)
        df, rej, sec = run_stage("ingest", raw, res)
        run.add_time("ingest", sec)
        run.rejects.append(rej)
        df = drop_already_processed(df, run, state, run.config.output.incremental)
        if len(df):
            yield df.reset_index(drop=True)


def _keep_frames(run: RunState, config: Config) -> bool:
    """Whether to cache every stage's frame: small runs only (estimated from the file size)."""
    if run.stages[0] != "ingest":
        return True
    return run.input_facts.get("bytes", 0) <= config.engine.cache_max_rows * CACHE_BYTES_PER_ROW


def _drain(items: list) -> Iterator:
    """The items of ``items`` in order, each removed from the list as it is handed out (so the
    list does not keep them alive)."""
    items.reverse()
    while items:
        yield items.pop()


def _take_sample(frames: Iterator[pd.DataFrame], size: int) -> tuple[list[pd.DataFrame], Iterator[pd.DataFrame], bool]:
    """The first chunks holding at least ``size`` reviews, the rest of the stream, and whether
    the stream ended within them (the head is then the whole dump)."""
    head: list[pd.DataFrame] = []
    n = 0
    for df in frames:
        head.append(df)
        n += len(df)
        if n >= size:
            return head, frames, False
    return head, frames, True


@dataclass
class _Sample:
    """The fit sample (the whole dump) as the stages before ``next`` left it, with what those
    stages gave (rejects, per-stage frames when kept, timings)."""

    frame: pd.DataFrame
    next: int
    done: PartitionResult


def _fit_on_sample(
    head: list[pd.DataFrame], part_stages: list[str], run: RunState, res: Resources, keep: bool, whole: bool
) -> tuple[_Sample | None, list[StartedPartition]]:
    """Let every stage with a ``fit`` learn the dump-level state from the first reviews.

    The stages before the last fitting one run on the sample on the way, so their work is
    not done again: when the sample is the whole dump (``whole``), it is returned with their
    results, for the rest of its stages to finish it here; otherwise each chunk of ``head``
    the sample covers whole comes back as a :class:`StartedPartition`, in order.
    """
    if not head:
        return None, []
    sample = pd.concat(head, ignore_index=True).head(run.config.engine.sample_size)
    n_sample = len(sample)
    fitting = [s for s in part_stages if hasattr(STAGES[s], "fit")]
    if not fitting:
        return (_Sample(sample, 0, PartitionResult(None, None, empty_rejects())) if whole else None), []
    t = time.perf_counter()
    # What each stage run on the sample gave: (rejects, the labels of the rows rejected, in
    # the same order) and, when kept, its frame; labels are positions in ``head``.
    ran: list[tuple[str, pd.DataFrame, pd.Index, pd.DataFrame | None]] = []
    timings: dict[str, float] = {}

    def fit(name: str, frame: pd.DataFrame) -> None:
        tf = time.perf_counter()
        STAGES[name].fit(frame, getattr(run.config, name), res)
        run.timings[f"fit:{name}"] = round(time.perf_counter() - tf, 3)

    # A stage whose fit reads only its own input columns (FIT_EARLY: the topic model) starts
    # beside the others as soon as those columns exist: the topic fit mostly waits on its
    # worker processes while the sentiment fit works here.
    early: dict[str, Future] = {}
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="fit") as side:
        for name in part_stages[: part_stages.index(fitting[-1]) + 1]:
            for later in fitting:
                if later != name and later not in early and _may_fit_early(later, sample, part_stages[part_stages.index(name) : part_stages.index(later)]):
                    early[later] = side.submit(fit, later, sample)
            check_requires(name, sample)
            if name in early:
                early[name].result()
            elif hasattr(STAGES[name], "fit"):
                fit(name, sample)
            if name != fitting[-1]:
                before = sample.index
                sample, rej, sec = run_stage(name, sample, res)
                ran.append((name, rej, before[~before.isin(sample.index)], sample if keep else None))
                timings[name] = sec
    run.timings["fit"] = round(time.perf_counter() - t, 3)
    logger.info("fit - %s on %d reviews (%.2fs, rss %.0f MB)", ", ".join(fitting), len(sample), run.timings["fit"], memory_mb()[0])
    nxt = part_stages.index(fitting[-1])
    if whole:
        rejects = pd.concat([empty_rejects()] + [rej for _, rej, _, _ in ran], ignore_index=True)
        frames = {name: frame for name, _, _, frame in ran if frame is not None}
        return _Sample(sample, nxt, PartitionResult(None, None, rejects, frames, timings)), []
    started = _split_started(head, n_sample, sample, nxt, ran, timings)
    del sample, ran
    _trim_heap()  # the sample's intermediate frames are garbage now; workers fork from this heap
    return None, started


def _split_started(head: list[pd.DataFrame], n_sample: int, sample: pd.DataFrame, nxt: int, ran: list, timings: dict[str, float]) -> list[StartedPartition]:
    """The chunks of ``head`` the sample (its first ``n_sample`` rows) covers whole, cut out of
    it with their share of what the stages run on it gave (rejects, kept frames), labelled from
    0 as in their chunk; the stages' seconds go with the first. Empty when a stage did not keep
    the rows' labels (rows could not be told apart by chunk)."""
    if not _labels_kept(head, n_sample, sample, ran):
        logger.warning("a stage renumbered the sample's rows: the chunks it covers are processed again in the partitions")
        return []
    started: list[StartedPartition] = []
    lo = 0
    for chunk in head:
        hi = lo + len(chunk)
        if hi > n_sample:
            break
        part = PartitionResult(None, None, empty_rejects(), timings=dict(timings) if not started else {})
        rejects = [part.rejects]
        for name, rej, labels, frame in ran:
            mine = (labels >= lo) & (labels < hi)
            if mine.any():
                rejects.append(rej[mine].reset_index(drop=True))
            if frame is not None:
                part.frames[name] = _rows(frame, lo, hi)
        part.rejects = pd.concat(rejects, ignore_index=True) if len(rejects) > 1 else rejects[0]
        started.append(StartedPartition.of(_rows(sample, lo, hi), nxt, part))
        lo = hi
    return started


def _labels_kept(head: list[pd.DataFrame], n_sample: int, sample: pd.DataFrame, ran: list) -> bool:
    """Whether the sample's row labels still are positions in ``head``: as many rows rejected
    as labels gone, labels in order and, where rows carry their source row, the same one."""
    if any(len(labels) != len(rej) for _, rej, labels, _ in ran):
        return False
    labels = sample.index.to_numpy()
    if len(labels) and (labels.min() < 0 or labels.max() >= n_sample or (np.diff(labels) <= 0).any()):
        return False
    if "source_row" not in sample.columns:
        return True
    source = pd.concat([h["source_row"] for h in head], ignore_index=True).astype("string")
    return source.iloc[labels].reset_index(drop=True).equals(sample["source_row"].astype("string").reset_index(drop=True))


def _rows(frame: pd.DataFrame, lo: int, hi: int) -> pd.DataFrame:
    """The rows of ``frame`` labelled ``lo`` to ``hi`` - 1, labelled from 0 as in their chunk."""
    labels = frame.index.to_numpy()
    out = frame[(labels >= lo) & (labels < hi)]
    out.index = out.index - lo
    return out


def _finish_sample(run: RunState, res: Resources, sample: _Sample, part_stages: list[str], keep: bool) -> dict[str, Any]:
    """Finish a dump that was its own fit sample here: the stages from ``sample.next`` on, with
    the fitted resources; the same results as partitions would give (they do not depend on
    the chunking), without running the earlier stages a second time."""
    logger.info("the dump is its own fit sample (%d reviews): finishing it in this process", len(sample.frame))
    run.engine = "local"
    collected = _collector(run, keep)
    t = time.perf_counter()
    _collect(collected, 1, finish_partition(sample.frame, part_stages[sample.next :], res, keep, sample.done), run, t)
    run.timings["partitions_wall"] = round(time.perf_counter() - t, 3)
    return _collected(collected, keep)


def _may_fit_early(stage: str, sample: pd.DataFrame, between: list[str]) -> bool:
    """True when ``stage`` may fit on ``sample`` now, before the ``between`` stages have run:
    its fit reads only its input columns (``FIT_EARLY``), they are all there, and no stage in
    between can reject a row (the fit sees the rows it would see later)."""
    return (
        getattr(STAGES[stage], "FIT_EARLY", False)
        and set(STAGES[stage].REQUIRES) <= set(sample.columns)
        and not any(REJECT_COL in STAGES[s].PRODUCES for s in between)
    )


def _map_partitions(run: RunState, ctx: PartitionContext, frames: Iterator[pd.DataFrame], keep: bool, engine=None) -> dict[str, Any]:
    """Run the partition function over every chunk with ``engine`` (closed by the caller) or
    else the configured engine (closed here); collect results.

    On runs too large to cache, each partition's tables are spilled to disk as they arrive
    and read back by :func:`_gather` once the models are freed, so memory stays flat.
    """
    collected = _collector(run, keep)
    own = engine is None
    if own:
        engine = make_engine(run.config)
    run.engine = engine.name
    logger.info("partitions run on: %s (engine.kind %s)", engine.where, run.config.engine.kind.value)
    t = time.perf_counter()
    try:
        for i, result in enumerate(engine.map(process_partition, frames, ctx), start=1):
            _collect(collected, i, result, run, t)
    finally:
        if own:
            engine.close()
    run.timings["partitions_wall"] = round(time.perf_counter() - t, 3)
    return _collected(collected, keep)


def _collector(run: RunState, keep: bool) -> dict[str, Any]:
    """An empty collection of partition results (spilled to disk unless ``keep``)."""
    spill = None if keep else cache_dir(run.config) / "parts"
    if spill is not None:
        io.clear_parts(spill)
    return {"rows": 0, "parts": {"feedback": [], "mentions": []}, "spill": spill, "kept": {}}


def _collect(collected: dict[str, Any], i: int, result: PartitionResult, run: RunState, started: float) -> None:
    """Add partition ``i``'s result: rows, rejects and timings to the run, tables to the parts."""
    collected["rows"] += result.rows_out
    run.rejects.append(result.rejects)
    for name, sec in result.timings.items():
        run.add_time(name, sec)
    spill = collected["spill"]
    if result.feedback is not None:
        for name, table in (("feedback", result.feedback), ("mentions", result.mentions)):
            collected["parts"][name].append(io.save_part(spill, f"{name}-{i:06d}", table) if spill is not None else table)
    for name, frame in result.frames.items():
        collected["kept"].setdefault(name, []).append(frame)
    logger.info("partition %d - %d reviews done (%d so far, %.1fs, rss %.0f MB)", i, result.rows_out, collected["rows"], time.perf_counter() - started, memory_mb()[0])


def _collected(collected: dict[str, Any], keep: bool) -> dict[str, Any]:
    """The collection, its kept per-stage frames joined (when ``keep``)."""
    kept = collected.pop("kept")
    collected["frames"] = {k: pd.concat(v, ignore_index=True) for k, v in kept.items()} if keep else {}
    return collected


def _gather(collected: dict[str, Any]) -> None:
    """Turn the collected parts (frames, or files spilled to disk) into whole tables."""
    for name in ("feedback", "mentions"):
        parts = collected["parts"][name]
        # Each part's label-like columns are categoricals (the partition made them so; compact
        # leaves those as they are): the whole table is then about half the size
        # (pipeline.arrowops.LOW_CARDINALITY).
        frames = [compact(io.load_part(p) if isinstance(p, Path) else p) for p in parts]
        collected[name] = concat_compact(frames) if frames else None
        parts.clear()
    if collected["spill"] is not None:
        io.clear_parts(collected["spill"])


def run_in_memory(config: Config, raw: pd.DataFrame, stages: list[str], run_date: dt.date | None = None) -> tuple[pd.DataFrame, pd.DataFrame, Resources]:
    """Run stages on a frame already read, writing nothing (evaluation and notebooks).

    Stages with a ``fit`` learn from the frame itself first.

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
    res = build_resources(config, list(stages), run_date or dt.date.today())
    df = raw
    rejects = [empty_rejects()]
    for name in stages:
        check_requires(name, df)
        if hasattr(STAGES[name], "fit"):
            STAGES[name].fit(df, getattr(config, name), res)
        df, rej, _ = run_stage(name, df, res)
        rejects.append(rej)
    return df, pd.concat(rejects, ignore_index=True), res


def _release_partition_resources(res: Resources) -> None:
    """Free what only the partitions needed (sentiment model, segmenter) before the report
    loads the whole table: on a large dump that is hundreds of MB."""
    import gc

    from pipeline import partition

    before = memory_mb()[0]
    res.sentiment_model = None
    res.segmenter = None
    partition.release_resources()
    release_segmenters()
    gc.collect()
    _trim_heap()
    logger.info("partition resources released (rss %.0f → %.0f MB)", before, memory_mb()[0])


def _trim_heap() -> None:
    """Hand the C heap's free pages back to the system (glibc only; elsewhere a no-op).

    A partition's Python lists and sparse matrices are freed when it ends, but glibc keeps
    the pages for reuse: on a million-review run in one process that is several hundred MB
    the report could otherwise not use for anything else.
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if not name or not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(name).malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _cache_meta(run: RunState, stage: str) -> dict[str, Any]:
    # The run's (review_id, content_hash) pairs are cached once, as their own frame.
    return {"stage": stage, "rows_read": run.rows_read, "input": run.input_facts, "config": run.config.fingerprint(), "counts": run.counts}
