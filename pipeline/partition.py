"""The partition function: the per-row stages applied to one chunk of reviews.

It is pure (no file I/O) and depends only on its input and the context (config and the
models fitted on the dump's sample), so every engine gives the same result whatever the
chunking. Workers build their segmenter and matcher from the config once per process.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import logging
import pickle
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pipeline.arrowops import compact
from pipeline.config import Config
from pipeline.errors import EngineError, StageError
from pipeline.stages import STAGE_NAMES, STAGES
from pipeline.stages.base import REJECT_COL, Resources

logger = logging.getLogger(__name__)

PARTITION_STAGES = ("clean", "segment", "sentiment", "topics", "dimensions", "feedback")
REJECT_COLUMNS = ["source_row", "review_id", "stage", "reason", "text"]
# Allocations between two young-generation collections during a run (CPython's default
# is 700). A partition builds millions of small lists and strings that live until it ends,
# and every young collection that finds them alive walks them again: at 700 the per-row
# stages took about 8 % longer (alternated runs on 100k reviews).
GC_YOUNG_THRESHOLD = 50_000


# Objects alive when a block starts (the sentiment model, jieba's dictionary, the matcher's
# memo of clauses read so far) are frozen for the block: the collector skips them. Every
# full collection walked them again, and they grow with the run: on 100k restaurant reviews
# in partitions of 10,000, the sentiment stage took 13.1 and 12.9 s with them frozen
# against 14.2 and 13.5 s without (alternated runs, the young threshold at 50,000 in all).


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the block with the young-generation threshold at least :data:`GC_YOUNG_THRESHOLD`
    and the objects alive at its start frozen (``gc.freeze``), then restore both. Garbage is
    still collected, only less often; what was frozen is collected again after the block."""
    old = gc.get_threshold()
    gc.set_threshold(max(old[0], GC_YOUNG_THRESHOLD), *old[1:])
    # A process that froze objects of its own (a server before it forks) keeps them frozen:
    # unfreezing would thaw them too, so such a process gets the threshold only.
    own = gc.get_freeze_count() == 0 or _FREEZING[0] > 0
    if own:
        _FREEZING[0] += 1
        gc.freeze()
    try:
        yield
    finally:
        if own:
            _FREEZING[0] -= 1
            gc.unfreeze()  # a block inside another thaws the outer's too; the next block freezes again
        gc.set_threshold(*old)


_FREEZING = [0]  # blocks of fewer_collections running that froze objects


@dataclass
class PartitionContext:
    """What every partition needs besides its rows (pickled once per worker)."""

    config: Config
    stages: list[str]
    run_date: dt.date
    sentiment_model: Any = None
    sentiment_prior: tuple[float, float] | None = None
    topic_model: Any = None
    topic_dimensions: dict[int, str] | None = None
    keep_frames: bool = False
    # The files the segmenter and matcher are built from, by configured path, for workers on
    # other machines (a Dask scheduler's); None where the workers share this machine's files.
    files: dict[str, bytes] | None = None
    # The digest of the code that fitted the models (:func:`pipeline.engine.code_digest`), for
    # workers on other machines: each partition checks that its worker runs the same code, so
    # a worker that joined the cluster after the run's check cannot score differently. None
    # where the workers share this machine's code.
    code: str | None = None


@dataclass
class PartitionResult:
    """One partition's output: contract rows, evidence rows, rejects, and optionally each
    stage's full frame (for the ``--from``/``--to`` cache)."""

    feedback: pd.DataFrame | None
    mentions: pd.DataFrame | None
    rejects: pd.DataFrame
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    rows_out: int = 0
    # (the worker's name, its scoring packages' versions) when the partition checked its
    # worker's code (see ``PartitionContext.code``): the engine warns about a worker that
    # joined after the run's check with other versions.
    worker: tuple[str, dict[str, str]] | None = None


def empty_rejects() -> pd.DataFrame:
    """A rejects table with no rows."""
    return pd.DataFrame({c: pd.array([], dtype="string") for c in REJECT_COLUMNS})


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
        return df, empty_rejects()
    mask = df[REJECT_COL].notna() & (df[REJECT_COL].astype("string") != "")
    if not mask.any():  # the usual case: no row to move, no frame to filter
        return df.drop(columns=[REJECT_COL]), empty_rejects()
    rej = df[mask]

    def col(name: str):
        return rej[name].astype("string") if name in rej else pd.array([""] * len(rej), dtype="string")

    rejects = pd.DataFrame(
        {
            "source_row": col("source_row"),
            "review_id": col("review_id"),
            "stage": pd.array([stage] * len(rej), dtype="string"),
            "reason": rej[REJECT_COL].astype("string"),
            "text": col("text"),
        }
    )
    return df[~mask].drop(columns=[REJECT_COL]), rejects.reset_index(drop=True)


def run_stage(name: str, df: pd.DataFrame, res: Resources) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """Apply one stage: (kept rows, rejected rows, seconds)."""
    check_requires(name, df)
    t = time.perf_counter()
    out = STAGES[name].run(df, getattr(res.config, name), res)
    kept, rejects = split_rejects(out, name)
    return kept, rejects, time.perf_counter() - t


_RESOURCES: dict[tuple, Resources] = {}


def partition_resources(ctx: PartitionContext) -> Resources:
    """Resources for this context: segmenter and matcher built once per process, models from the context."""
    from pipeline.resources import text_resources, with_worker_files

    key = (ctx.config.fingerprint(), id(ctx))
    res = _RESOURCES.get(key)
    if res is None:
        _RESOURCES.clear()
        res = text_resources(with_worker_files(ctx.config, ctx.files), ctx.run_date)
        res.sentiment_model = ctx.sentiment_model
        res.sentiment_prior = ctx.sentiment_prior
        res.topic_model = ctx.topic_model
        res.topic_dimensions = ctx.topic_dimensions
        _RESOURCES[key] = res
    return res


def release_resources() -> None:
    """Forget this process's cached partition resources (models, segmenter)."""
    _RESOURCES.clear()


@dataclass
class StartedPartition:
    """A chunk the first ``next`` of the partition stages already ran on (while the models were
    fitted on the sample it belongs to), with what they gave.

    Held pickled: workers fork while the runner still holds these, and a forked worker's
    garbage collector would otherwise walk (and so copy) every object of every chunk.
    """

    payload: bytes
    next: int

    @classmethod
    def of(cls, frame: pd.DataFrame, next: int, done: PartitionResult) -> StartedPartition:
        """The chunk ``frame`` (before partition stage ``next``) and ``done``, pickled."""
        return cls(pickle.dumps((frame, done), protocol=pickle.HIGHEST_PROTOCOL), next)

    def load(self) -> tuple[pd.DataFrame, PartitionResult]:
        """(the chunk's frame before stage ``next``, what the stages before gave)."""
        return pickle.loads(self.payload)


def process_partition(df: pd.DataFrame | StartedPartition, ctx: PartitionContext) -> PartitionResult:
    """Run ``ctx.stages`` on one chunk (the rest of them on a started one) and turn the
    result into output tables.

    Returns:
        The contract rows and evidence rows when the ``feedback`` stage has run (or its output
        was the input), the rejects of every stage, and per-stage frames when
        ``ctx.keep_frames``.
    """
    worker = _check_code(ctx.code) if ctx.code is not None else None
    with fewer_collections():
        res = partition_resources(ctx)
        if isinstance(df, StartedPartition):
            frame, done = df.load()
            result = finish_partition(frame, ctx.stages[df.next :], res, ctx.keep_frames, done)
        else:
            result = finish_partition(df, ctx.stages, res, ctx.keep_frames)
    result.worker = worker
    return result


def _check_code(expected: str) -> tuple[str, dict[str, str]]:
    """This worker's name and scoring packages' versions; raise :class:`EngineError` when it
    runs other code of the project than the digest ``expected`` (the run's)."""
    from pipeline.engine import code_digest, worker_name, worker_versions

    mine = code_digest()
    if mine != expected:
        raise EngineError(
            f"Dask worker {worker_name()} runs other code of this project (digest {mine}) than the run's machine ({expected}); "
            "it joined the cluster after the run's check, or its files changed since: install the same version on every worker, "
            "so every partition is scored alike. No output was replaced"
        )
    return worker_name(), worker_versions()


def finish_partition(df: pd.DataFrame, stages: list[str], res: Resources, keep_frames: bool, done: PartitionResult | None = None) -> PartitionResult:
    """Run ``stages`` on ``df`` with ``res`` and turn the result into output tables.

    Args:
        done: what the stages before ``stages`` gave these rows (their rejects, frames and
            timings), when they already ran on it: the result then covers every stage.
    """
    from pipeline.stages.report import add_digests, feedback_table, mentions_table

    rejects = [empty_rejects()] + ([done.rejects] if done is not None and len(done.rejects) else [])
    frames: dict[str, pd.DataFrame] = dict(done.frames) if done is not None else {}
    timings: dict[str, float] = dict(done.timings) if done is not None else {}
    feedback = mentions = None
    for name in stages:
        df, rej, sec = run_stage(name, df, res)
        timings[name] = sec
        if len(rej):
            rejects.append(rej)
        if keep_frames:
            frames[name] = df
    if "feedback_type" in df.columns and "mentions" in df.columns:
        feedback = feedback_table(df, res.config)
        if res.config.clean.flag_duplicates:
            feedback = add_digests(feedback, df)
        # Label-like columns as categoricals here, in the workers: smaller to send back and
        # to spill, and the main process does not convert every part itself.
        feedback, mentions = compact(feedback), compact(mentions_table(df))
    all_rejects = pd.concat(rejects, ignore_index=True) if len(rejects) > 1 else rejects[0]
    return PartitionResult(feedback, mentions, all_rejects, frames, timings, len(df))
