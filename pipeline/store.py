"""The output folder's state: a run lock and a SQLite record of every processed review.

The state store (``state.sqlite``, standard library only) remembers each review id with the
hash of its text and the run that processed it, and every run with its counts. A new dump
then processes only new or changed reviews; rerunning a dump processes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import socket
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from pipeline.errors import LockError

logger = logging.getLogger(__name__)

LOCK_NAME = ".run.lock"
STORE_DIR = "store"
STATE_NAME = "state.sqlite"


def text_hash(text: str) -> str:
    """The content hash a review is remembered by (sha1 of its text, 16 hex digits)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


# --- lock -----------------------------------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def run_lock(directory: Path) -> Iterator[Path]:
    """Hold the output folder's lock for the duration of a run.

    The lock file records pid, host and start time. A lock left by a process that no longer
    exists on this host is stale and taken over (with a warning).

    Raises:
        LockError: a live run holds the lock.
    """
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / LOCK_NAME
    me = {"pid": os.getpid(), "host": socket.gethostname(), "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _read_lock(path)
            if holder and holder.get("host") == me["host"] and not _pid_alive(int(holder.get("pid", -1))):
                logger.warning("removing a stale lock left by process %s (started %s)", holder.get("pid"), holder.get("started"))
                path.unlink(missing_ok=True)
                continue
            who = f"process {holder.get('pid')} on {holder.get('host')} since {holder.get('started')}" if holder else "an unreadable lock file"
            raise LockError(f"another run is using {directory} ({who}); wait for it, or delete {path} if that run is gone") from None
        with os.fdopen(fd, "w") as f:
            json.dump(me, f)
        break
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def _read_lock(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# --- state ----------------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS reviews (
    review_id TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    run_id TEXT NOT NULL,
    processed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    input_sha256 TEXT,
    config_hash TEXT,
    rows_read INTEGER,
    accepted INTEGER,
    rejected INTEGER,
    new INTEGER,
    changed INTEGER,
    unchanged INTEGER
);
"""


class StateStore:
    """Processed review ids and hashes, and the run log, in ``<output>/state.sqlite``."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / STATE_NAME
        self._db = sqlite3.connect(self.path)
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def __enter__(self) -> "StateStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def known_hashes(self, review_ids: list[str]) -> dict[str, str]:
        """The stored content hash of each of these ids that was processed before."""
        out: dict[str, str] = {}
        cur = self._db.cursor()
        for start in range(0, len(review_ids), 900):
            batch = review_ids[start : start + 900]
            marks = ",".join("?" * len(batch))
            out.update(cur.execute(f"SELECT review_id, content_hash FROM reviews WHERE review_id IN ({marks})", batch).fetchall())
        return out

    def count(self) -> int:
        """How many reviews the store knows."""
        return int(self._db.execute("SELECT COUNT(*) FROM reviews").fetchone()[0])

    def begin_run(self, run_id: str, started_at: str, input_sha256: str | None, config_hash: str) -> None:
        """Record that a run started (status ``running`` until :meth:`finish_run`)."""
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO runs (run_id, started_at, status, input_sha256, config_hash) VALUES (?, ?, 'running', ?, ?)",
                (run_id, started_at, input_sha256, config_hash),
            )

    def finish_run(self, run_id: str, processed: Iterable[tuple[str, str]], counts: dict[str, int]) -> None:
        """Record the processed (id, hash) pairs and the run's counts in one transaction."""
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO reviews (review_id, content_hash, run_id, processed_at) VALUES (?, ?, ?, ?)",
                ((rid, h, run_id, now) for rid, h in processed),
            )
            self._db.execute(
                "UPDATE runs SET finished_at=?, status='done', rows_read=?, accepted=?, rejected=?, new=?, changed=?, unchanged=? WHERE run_id=?",
                (now, counts.get("read"), counts.get("accepted"), counts.get("rejected"), counts.get("new"), counts.get("changed"), counts.get("unchanged"), run_id),
            )

    def runs(self) -> list[dict]:
        """Every recorded run, oldest first."""
        cur = self._db.execute("SELECT * FROM runs ORDER BY started_at, run_id")
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, row)) for row in cur.fetchall()]
