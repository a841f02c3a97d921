"""Row accounting of one run: its state, the incremental filter, what the state store is told.

The runner keeps one :class:`RunState` per run. :func:`drop_already_processed` runs on every
ingested chunk (an unchanged review is skipped when the run is incremental);
:func:`settle_counts` counts the accepted reviews as new, changed or unchanged once the
partitions are done, and lists the (review_id, content_hash) pairs the state store remembers.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pipeline.arrowops import in_values
from pipeline.config import Config
from pipeline.partition import empty_rejects
from pipeline.store import StateStore, text_hash

logger = logging.getLogger(__name__)


@dataclass
class RunState:
    """Mutable state of one run, passed between the runner's steps."""

    config: Config
    stages: list[str]
    run_id: str
    started: dt.datetime
    rejects: list[pd.DataFrame] = field(default_factory=list)
    rows_read: int = 0
    input_facts: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=lambda: {"new": 0, "changed": 0, "unchanged": 0, "skipped": 0})
    # (review_id, content_hash) of the reviews this run processed, for the state store.
    processed: pd.DataFrame = field(default_factory=lambda: make_pairs([], []))
    # Per ingested chunk: review_id, status code (n/c/u) and content hash of the kept rows.
    pending: list[pd.DataFrame] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    # The engine the partitions ran on (a one-partition dump runs in this process).
    engine: str = ""

    def add_time(self, name: str, seconds: float) -> None:
        self.timings[name] = round(self.timings.get(name, 0.0) + seconds, 3)

    def all_rejects(self) -> pd.DataFrame:
        """Every reject of the run in input order (by source row; rows without one last).

        The ingest's rejects arrive as the chunks are read and the stages' as partitions come
        back, and how far reading runs ahead depends on the engine: the source row gives one
        order whatever the engine.
        """
        frames = [r for r in self.rejects if len(r)]
        if not frames:
            return empty_rejects()
        out = pd.concat(frames, ignore_index=True)
        row = pd.to_numeric(out["source_row"], errors="coerce").to_numpy(dtype=float, na_value=float("inf"))
        return out.iloc[row.argsort(kind="stable")].reset_index(drop=True)


def make_pairs(ids: list[str] | pd.Series, hashes: list[str] | pd.Series) -> pd.DataFrame:
    """A (review_id, content_hash) table with arrow-backed strings (compact at a million rows)."""
    return pd.DataFrame({"review_id": pd.array(ids, dtype="string"), "content_hash": pd.array(hashes, dtype="string")})


def drop_already_processed(df: pd.DataFrame, run: RunState, state: StateStore, incremental: bool) -> pd.DataFrame:
    """When incremental, drop reviews processed before with the same text; remember what each
    kept review is (new, changed, unchanged) and its text hash, for the state store."""
    ids = df["review_id"].astype(str).tolist()
    hashes = [text_hash(t) for t in df["text"].astype(str).tolist()]
    known = state.known_hashes(ids)
    statuses = ["n" if rid not in known else "u" if known[rid] == h else "c" for rid, h in zip(ids, hashes)]
    keep = [not (incremental and code == "u") for code in statuses]
    skipped = len(keep) - sum(keep)
    if skipped:
        run.counts["skipped"] += skipped
        run.counts["unchanged"] += skipped
        logger.info("incremental - %d already processed and unchanged", skipped)
    pend = make_pairs(ids, hashes)
    pend["status"] = pd.array(statuses, dtype="string")
    run.pending.append(pend[keep])
    return df[keep]


def settle_counts(run: RunState, accepted_ids: pd.Series) -> None:
    """Count this run's accepted reviews as new, changed or reprocessed, and list them for the
    state store (rejected rows are not remembered, so a fixed row is picked up next time)."""
    statuses = {"n": "new", "c": "changed", "u": "unchanged"}
    pending = pd.concat(run.pending, ignore_index=True) if run.pending else make_pairs([], []).assign(status=pd.array([], dtype="string"))
    run.pending.clear()
    pending = pending.drop_duplicates("review_id", keep="last")
    accepted = pending[in_values(pending["review_id"], accepted_ids)]
    for code, n in accepted["status"].value_counts().items():
        run.counts[statuses[code]] += int(n)
    # Accepted reviews the ingest never saw (a --from run) count as new.
    run.counts["new"] += int(len(accepted_ids) - in_values(accepted_ids, pending["review_id"]).sum())
    run.processed = pd.concat([run.processed, accepted[["review_id", "content_hash"]]], ignore_index=True)
