"""Writing outputs atomically: every file goes to a temporary file in the target's folder,
is fsynced, then renamed over the target, so a reader never sees a half-written file."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pandas as pd

logger = logging.getLogger(__name__)

CSV_WRITE_CHUNK = 50_000


@contextlib.contextmanager
def atomic_file(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success fsync it and rename it over
    ``path``, on failure remove it. A reader never sees a half-written file."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Write bytes atomically (temporary file, fsync, rename)."""
    with atomic_file(path) as tmp:
        tmp.write_bytes(data)


def copy_atomic(source: str | Path, path: str | Path) -> None:
    """Copy a file atomically (temporary file, fsync, rename)."""
    with atomic_file(path) as tmp:
        shutil.copyfile(source, tmp)


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write UTF-8 text atomically."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_csv(path: str | Path, df: pd.DataFrame, *, bom: bool = True) -> None:
    """Write a CSV atomically; UTF-8 with BOM by default so Excel shows Chinese correctly.

    Tables of strings and numbers (every output table) are written by Arrow's CSV writer,
    which quotes every string and is over ten times faster than pandas on a million rows;
    other column types (lists, booleans, dates) go through pandas, streamed in chunks.
    """
    table = _arrow_csv_table(df)
    with atomic_file(path) as tmp:
        if table is not None:
            import pyarrow.csv as pcsv

            with open(tmp, "wb") as fb:
                if bom:
                    fb.write("\ufeff".encode("utf-8"))
                pcsv.write_csv(table, fb, pcsv.WriteOptions(quoting_style="needed", batch_size=CSV_WRITE_CHUNK))
            return
        with open(tmp, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
            df.to_csv(f, index=False, lineterminator="\n", chunksize=CSV_WRITE_CHUNK)


def _arrow_csv_table(df: pd.DataFrame):
    """``df`` as an Arrow table when every column is a string, an integer or a float; else None."""
    import pyarrow as pa

    if not len(df.columns) or len(set(map(str, df.columns))) != len(df.columns):
        return None
    try:
        table = pa.Table.from_pandas(df, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError):
        return None
    plain = (pa.types.is_string, pa.types.is_large_string, pa.types.is_integer, pa.types.is_floating, pa.types.is_null)
    if not all(any(check(field.type) for check in plain) for field in table.schema):
        return None
    return table


def write_parquet(path: str | Path, df: pd.DataFrame) -> None:
    """Write a parquet file atomically."""
    with atomic_file(path) as tmp:
        df.to_parquet(tmp, index=False)


def write_json(path: str | Path, obj: Any) -> None:
    """Write JSON atomically (UTF-8, indented, NaN refused)."""
    write_text_atomic(path, json.dumps(obj, ensure_ascii=False, indent=2, allow_nan=False, default=str) + "\n")
