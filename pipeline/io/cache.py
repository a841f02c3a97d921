"""The stage cache (each stage's output, for ``--from``/``--to``) and partition tables spilled to disk."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.io.read import read_json
from pipeline.io.write import write_bytes_atomic, write_json

logger = logging.getLogger(__name__)


def save_stage_cache(cache_dir: Path, stage: str, df: pd.DataFrame, meta: dict[str, Any]) -> None:
    """Store a stage's output frame (pickle, exact types) and its metadata."""
    write_bytes_atomic(cache_dir / f"{stage}.pkl", pickle.dumps(df, protocol=pickle.HIGHEST_PROTOCOL))
    write_json(cache_dir / f"{stage}.json", meta)


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


def load_stage_cache(cache_dir: Path, stage: str) -> tuple[pd.DataFrame, dict[str, Any]] | None:
    """The cached output of ``stage``, or None when there is none."""
    p = cache_dir / f"{stage}.pkl"
    if not p.is_file():
        return None
    with open(p, "rb") as f:
        df = pickle.load(f)
    meta_path = cache_dir / f"{stage}.json"
    meta = read_json(meta_path) if meta_path.is_file() else {}
    return df, meta
