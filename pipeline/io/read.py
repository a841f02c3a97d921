"""Reading: review dumps (whole or in chunks), and the small files the pipeline wrote or staff returned."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.errors import InputError
from pipeline.io.encoding import decode_bytes, scan_encoding
from pipeline.io.formats import (
    READ_ERROR_COL,
    ROW_COL,
    STREAMED_FORMATS,
    _delimited_chunks,
    _jsonl_chunks,
    _mark_invalid_bytes,
    _read_json,
    _read_xlsx,
    _sniff_delimiter,
    _stringify,
    detect_format,
)

logger = logging.getLogger(__name__)


def _input_file(path: str | Path, fmt: str) -> tuple[Path, str]:
    """The dump's path and format, or an InputError saying why it cannot be read."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"input file not found: {p}")
    if p.is_dir():
        raise InputError(f"input is a folder, not a file: {p}")
    return p, detect_format(p, fmt)


def read_dump(path: str | Path, fmt: str = "auto", encoding: str = "auto", sheet: str | int | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read a review dump into a frame of strings (``reviews_raw``).

    Every record keeps its position (``_row``: the line number in a text file, the record
    number in JSON, the spreadsheet row) and, when it could not be parsed, the reason in
    ``_read_error``: such rows are rejected by ``ingest`` rather than dropped here.

    Returns:
        (frame, facts about the read: format, encoding, sha256, bytes)

    Raises:
        InputError: missing, unreadable or empty file, or an unknown format.
    """
    p, kind = _input_file(path, fmt)
    if kind in STREAMED_FORMATS:
        facts, chunks = iter_dump(p, fmt, encoding, sheet, chunk_size=1 << 62)
        df = pd.concat(list(chunks), ignore_index=True)
        return df, facts
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read input {p}: {exc.strerror}") from exc
    if not raw.strip():
        raise InputError(f"input file is empty: {p}")
    facts: dict[str, Any] = {"path": str(p), "format": kind, "bytes": len(raw), "sha256": hashlib.sha256(raw).hexdigest()}
    if kind == "json":
        text, used = decode_bytes(raw, encoding)
        facts["encoding"] = used
        df = _read_json(text)
        if used.endswith("(with invalid bytes)"):
            df = _mark_invalid_bytes(df)
    elif kind == "xlsx":
        df = _read_xlsx(p, sheet)
    elif kind == "parquet":
        try:
            df = _stringify(pd.read_parquet(p))
        except Exception as exc:
            raise InputError(f"cannot read {p.name} as parquet: {exc}") from exc
        df[ROW_COL] = list(range(1, len(df) + 1))
        df[READ_ERROR_COL] = pd.array([None] * len(df), dtype="string")
    else:  # pragma: no cover - detect_format guards this
        raise InputError(f"unsupported format {kind!r}")
    if df.empty:
        raise InputError(f"input has a header but no rows: {p}")
    facts["rows"] = int(len(df))
    return df.reset_index(drop=True), facts


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def iter_dump(path: str | Path, fmt: str = "auto", encoding: str = "auto", sheet: str | int | None = None, chunk_size: int = 50_000):
    """Read a dump in chunks of ``chunk_size`` records (bounded memory for CSV, TSV, JSONL).

    Other formats are read whole, then split. Every chunk has the columns
    :func:`read_dump` gives (``_row``, ``_read_error``).

    Returns:
        (facts: format, encoding, sha256, bytes; an iterator of chunks). ``facts["rows"]`` is
        filled in once the iterator is exhausted.

    Raises:
        InputError: missing, unreadable or empty file, or an unknown format.
    """
    p, kind = _input_file(path, fmt)
    if kind not in STREAMED_FORMATS:
        df, facts = read_dump(p, fmt, encoding, sheet)
        return facts, (df.iloc[i : i + chunk_size].reset_index(drop=True) for i in range(0, len(df), chunk_size))
    size = p.stat().st_size
    if size == 0:
        raise InputError(f"input file is empty: {p}")
    sha, codec, label = scan_encoding(p, encoding)
    facts: dict[str, Any] = {"path": str(p), "format": kind, "bytes": size, "sha256": sha, "encoding": label}
    errors = "replace" if "invalid" in label else "strict"
    handle = open(p, encoding=codec, errors=errors, newline="")
    if kind == "jsonl":
        return facts, _jsonl_chunks(handle, chunk_size, facts)
    sample = handle.read(65536)
    handle.seek(0)
    if not sample.strip():
        handle.close()
        raise InputError(f"input file is empty: {p}")
    delimiter = _sniff_delimiter(sample, "\t" if kind == "tsv" else ",")
    return facts, _delimited_chunks(handle, delimiter, chunk_size, facts, p)


def read_json(path: str | Path) -> Any:
    """Read a JSON file."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def read_parquet(path: str | Path, without_ids: pd.Series | None = None) -> pd.DataFrame:
    """Read a parquet table the pipeline wrote. Rows whose ``review_id`` is among
    ``without_ids`` are dropped while the table is still in Arrow form, so a million-row
    store never exists twice in memory."""
    if without_ids is None or not len(without_ids):
        return pd.read_parquet(path)
    import pyarrow.parquet as pq

    from pipeline.arrowops import in_values, pa_mask

    table = pq.read_table(path)
    if "review_id" in table.column_names:
        table = table.filter(pa_mask(~in_values(table.column("review_id"), without_ids)))
    return table.to_pandas()


def read_csv_strings(path: str | Path) -> pd.DataFrame:
    """Read a CSV the pipeline wrote (or a person edited) with every cell as a string."""
    return pd.read_csv(path, dtype="string", keep_default_na=False, encoding="utf-8-sig")


def read_actions_file(path: str | Path) -> pd.DataFrame:
    """Read an actions file staff filled in: every department sheet of an xlsx, or a CSV.

    Sheets without an action id column (the summary sheet) are skipped.

    Raises:
        InputError: the file is missing or unreadable.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"returned actions file not found: {p} (feedback.actions_return)")
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            sheets = pd.read_excel(p, sheet_name=None, dtype=str)
        except Exception as exc:
            raise InputError(f"cannot read returned actions file {p.name}: {exc}") from exc
        frames = [f for f in sheets.values() if {"action_id", "行动编号"} & set(map(str, f.columns))]
        if not frames:
            raise InputError(f"returned actions file {p.name} has no sheet with an action id (行动编号) column")
        return pd.concat(frames, ignore_index=True).fillna("")
    return read_csv_strings(p)
