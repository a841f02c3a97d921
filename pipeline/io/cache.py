"""The stage cache (each stage's output, for ``--from``/``--to``) and partition tables spilled to disk."""

from __future__ import annotations

import logging
import pickle
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.io.read import read_json
from pipeline.io.write import write_bytes_atomic, write_json

logger = logging.getLogger(__name__)


# A cached frame is pickled as a dict of this form; a file holding a bare DataFrame (written
# before it) still loads.
_CACHE_FORMAT = 2


def save_stage_cache(cache_dir: Path, stage: str, df: pd.DataFrame, meta: dict[str, Any]) -> None:
    """Store a frame (pickle, exact types) and its metadata under ``stage``: a chain of one,
    stored whole."""
    save_stage_chain(cache_dir, [(stage, df, meta)])


def save_stage_chain(cache_dir: Path, frames: Iterable[tuple[str, pd.DataFrame, dict[str, Any]]]) -> None:
    """Store the output frames of consecutive stages of one run, with their metadata.

    A stage's frame holds every column of the stages before it, so each is stored as the
    columns it adds (or changes) to the frame before it, on its own rows (the same or fewer),
    and loading reads that frame first: stored whole, the first columns were written six
    times over (175 MB for 30,000 reviews). A frame that did not grow out of the one before
    (other rows, repeated labels) is stored whole.
    """
    before: tuple[str, pd.DataFrame, str] | None = None
    for stage, df, meta in frames:
        payload: dict[str, Any] = {"format": _CACHE_FORMAT, "token": uuid.uuid4().hex, "base": None, "frame": df}
        own = _own_columns(df, before[1]) if before is not None else None
        if own is not None:
            payload.update(base=before[0], base_token=before[2], index=df.index, columns=list(df.columns), frame=df[own])
        _write_cached(cache_dir, stage, payload, meta)
        before = (stage, df, payload["token"])


def _write_cached(cache_dir: Path, stage: str, payload: dict[str, Any], meta: dict[str, Any]) -> None:
    write_bytes_atomic(cache_dir / f"{stage}.pkl", pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))
    write_json(cache_dir / f"{stage}.json", meta)


def _own_columns(df: pd.DataFrame, base: pd.DataFrame) -> list[str] | None:
    """The columns of ``df`` that ``base`` lacks or holds other values in, on ``df``'s rows;
    None when ``df``'s rows are not (unique) rows of ``base`` or a column name repeats."""
    if not (df.index.is_unique and base.index.is_unique and df.columns.is_unique and base.columns.is_unique):
        return None
    same_rows = df.index.equals(base.index)
    if not same_rows and not df.index.isin(base.index).all():
        return None
    own = []
    for col in df.columns:
        if col not in base.columns:
            own.append(col)
            continue
        theirs = base[col] if same_rows else base[col].loc[df.index]
        try:
            same = theirs.dtype == df[col].dtype and theirs.equals(df[col])
        except (TypeError, ValueError):  # values that do not compare (arrays in an object column)
            same = False
        if not same:
            own.append(col)
    return own


def load_stage_cache(cache_dir: Path, stage: str) -> tuple[pd.DataFrame, dict[str, Any]] | None:
    """The cached output of ``stage`` and its metadata, or None when there is none (or when
    it was stored on the frame of a stage that a later run has cached again since)."""
    df = _load_frame(cache_dir, stage, None)
    if df is None:
        return None
    meta_path = cache_dir / f"{stage}.json"
    meta = read_json(meta_path) if meta_path.is_file() else {}
    return df, meta


def _load_frame(cache_dir: Path, stage: str, token: str | None) -> pd.DataFrame | None:
    """The frame cached under ``stage``; with ``token``, only if that file is the one stored
    under it then (else None: the stage was cached again since)."""
    p = cache_dir / f"{stage}.pkl"
    if not p.is_file():
        return None
    with open(p, "rb") as f:
        payload = pickle.load(f)
    if isinstance(payload, pd.DataFrame):  # written before the current form
        return payload if token is None else None
    if token is not None and payload.get("token") != token:
        return None
    if payload["base"] is None:
        return payload["frame"]
    base = _load_frame(cache_dir, payload["base"], payload["base_token"])
    if base is None:
        logger.info("the cached %r output was stored on a %r output that has been replaced since", stage, payload["base"])
        return None
    own, index = payload["frame"], payload["index"]
    rows = base if base.index.equals(index) else base.loc[index]
    return pd.DataFrame({col: own[col] if col in own.columns else rows[col] for col in payload["columns"]}, index=index)


def save_part(directory: Path, name: str, df: pd.DataFrame) -> Path:
    """Spill one partition's table to disk (pickle: exact dtypes, fast); returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.pkl"
    with open(path, "wb") as f:
        pickle.dump(df, f, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def load_part(path: Path) -> pd.DataFrame:
    """Read a table spilled by :func:`save_part`."""
    with open(path, "rb") as f:
        return pickle.load(f)


def clear_parts(directory: Path) -> None:
    """Remove spilled partition tables."""
    if directory.is_dir():
        for p in directory.glob("*.pkl"):
            p.unlink(missing_ok=True)


def clear_stage_cache(cache_dir: Path) -> None:
    """Remove every cached stage output (so a later ``--from`` cannot pick up a stale one)."""
    if cache_dir.is_dir():
        for p in cache_dir.iterdir():
            if p.suffix in (".pkl", ".json"):
                p.unlink(missing_ok=True)
