"""Dump formats: telling them from the suffix, and parsing each one into a frame of strings.

Every frame a parser returns has the bookkeeping columns ``_row`` (where the record was in the
file), ``_read_error`` (why it could not be parsed, else missing) and, for xlsx, ``_sheet``.
Delimited text and JSON Lines are parsed in chunks (bounded memory); JSON and xlsx whole.
"""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.errors import InputError

logger = logging.getLogger(__name__)

ROW_COL = "_row"
SHEET_COL = "_sheet"
READ_ERROR_COL = "_read_error"
REPLACEMENT_CHAR = "\ufffd"
# Python's csv refuses fields over 128 KiB by default; a long review must reach ingest (which
# rejects it with a reason, ingest.max_text_chars allows up to 1,000,000) instead of failing the run.
CSV_FIELD_LIMIT = 2**31 - 1
# Formats read record by record (bounded memory); the others are read whole.
STREAMED_FORMATS = ("csv", "tsv", "jsonl")
SUFFIX_FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}


def detect_format(path: Path, fmt: str = "auto") -> str:
    """The dump format from ``fmt`` or, when ``auto``, from the file suffix."""
    if fmt != "auto":
        return fmt
    found = SUFFIX_FORMATS.get(path.suffix.lower())
    if found is None:
        raise InputError(
            f"cannot tell the format of {path.name!r} from its suffix {path.suffix!r}; "
            f"known: {sorted(SUFFIX_FORMATS)}. Set input.format in the config."
        )
    return found


def _sniff_delimiter(text: str, default: str) -> str:
    sample = text[:65536]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",\t;|").delimiter
    except csv.Error:
        return default


def _records(reader: Any):
    """The reader's records, turning a parse failure into an InputError naming the line."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(f"cannot parse the input after line {reader.line_num}: {exc}") from exc


def _mark_invalid_bytes(df: pd.DataFrame) -> pd.DataFrame:
    """Give rows holding U+FFFD (bytes that could not be decoded) a read error, so ingest rejects them."""
    cols = [c for c in df.columns if c not in (ROW_COL, SHEET_COL, READ_ERROR_COL)]
    errors = df[READ_ERROR_COL].astype(object).tolist()
    for i, values in enumerate(zip(*(df[c].fillna("").astype(str).tolist() for c in cols))):
        bad = [c for c, v in zip(cols, values) if REPLACEMENT_CHAR in v]
        if bad and pd.isna(errors[i]):
            errors[i] = f"bytes that are neither UTF-8 nor GB18030 in column(s) {bad}"
    df[READ_ERROR_COL] = pd.array(errors, dtype="string")
    return df


def _dedupe(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        n = n or "unnamed"
        if n in seen:
            seen[n] += 1
            out.append(f"{n}.{seen[n]}")
        else:
            seen[n] = 0
            out.append(n)
    return out


def _stringify(df: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        s = df[col]
        out[str(col)] = s.map(_cell_to_str).astype("string")
    return out


def _cell_to_str(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        if v != v:  # NaN
            return ""
        return str(int(v)) if v.is_integer() else str(v)
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d") if v == v.normalize() else v.isoformat()
    if v is pd.NaT or v is pd.NA:
        return ""
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


def _read_json(text: str) -> pd.DataFrame:
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise InputError(f"input is not valid JSON: {exc}. For one object per line use a .jsonl file.") from exc
    if isinstance(obj, dict):
        lists = [v for v in obj.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise InputError("a JSON object input must hold exactly one list of review objects")
        obj = lists[0]
    if not isinstance(obj, list):
        raise InputError(f"JSON input must be a list of objects, got {type(obj).__name__}")
    errors = [None if isinstance(o, dict) else f"JSON record is a {type(o).__name__}, not an object" for o in obj]
    df = _stringify(pd.DataFrame.from_records([o if isinstance(o, dict) else {} for o in obj]))
    df[ROW_COL] = list(range(1, len(obj) + 1))
    df[READ_ERROR_COL] = pd.array(errors, dtype="string")
    return df


def _read_xlsx(path: Path, sheet: str | int | None) -> pd.DataFrame:
    try:
        sheets = pd.read_excel(path, sheet_name=sheet if sheet is not None else None, dtype=object)
    except (ValueError, KeyError) as exc:
        raise InputError(f"cannot read sheet {sheet!r} of {path.name}: {exc}") from exc
    except Exception as exc:  # openpyxl raises many types for broken files
        raise InputError(f"cannot read {path.name} as xlsx: {exc}") from exc
    if isinstance(sheets, pd.DataFrame):
        sheets = {str(sheet): sheets}
    frames = []
    for name, frame in sheets.items():
        frame = frame.dropna(how="all")
        if frame.empty:
            continue
        f = _stringify(frame)
        f[ROW_COL] = [int(i) + 2 for i in frame.index]
        f[SHEET_COL] = str(name)
        frames.append(f)
    if not frames:
        raise InputError(f"{path.name}: every sheet is empty")
    if len(frames) > 1:
        logger.info("xlsx: read %d sheets (%s)", len(frames), ", ".join(str(k) for k in sheets))
    df = pd.concat(frames, ignore_index=True)
    for col in df.columns:
        if col not in (ROW_COL,):
            df[col] = df[col].fillna("").astype("string")
    df[READ_ERROR_COL] = pd.array([None] * len(df), dtype="string")
    return df


def _delimited_chunks(handle, delimiter: str, chunk_size: int, facts: dict, path: Path):
    invalid = facts["encoding"].endswith("(with invalid bytes)")
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)
    with handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise InputError(f"input file is empty: {path}") from None
        except csv.Error as exc:
            raise InputError(f"cannot parse the header row as delimited text: {exc}") from exc
        if not any(header):
            raise InputError("input has an empty header row")
        columns = _dedupe(header)
        width = len(header)
        records: list[list[str]] = []
        rows: list[int] = []
        errors: list[str | None] = []
        total = 0
        line = reader.line_num
        for rec in _records(reader):
            start = line + 1
            line = reader.line_num
            if not rec or (len(rec) == 1 and rec[0] == ""):
                continue
            err = None
            if len(rec) != width:
                err = f"has {len(rec)} fields, the header has {width}"
                rec = (rec + [""] * width)[:width]
            records.append(rec)
            rows.append(start)
            errors.append(err)
            if len(records) >= chunk_size:
                total += len(records)
                yield _chunk_frame(records, columns, rows, errors, invalid)
                records, rows, errors = [], [], []
        total += len(records)
        if total == 0:
            raise InputError(f"input has a header but no rows: {path}")
        facts["rows"] = total
        if records:
            yield _chunk_frame(records, columns, rows, errors, invalid)


def _chunk_frame(records: list[list[str]], columns: list[str], rows: list[int], errors: list[str | None], invalid: bool = False) -> pd.DataFrame:
    df = pd.DataFrame(records, columns=columns, dtype="string")
    df[ROW_COL] = rows
    df[READ_ERROR_COL] = pd.array(errors, dtype="string")
    return _mark_invalid_bytes(df) if invalid else df


def _jsonl_chunks(handle, chunk_size: int, facts: dict):
    invalid = facts["encoding"].endswith("(with invalid bytes)")
    with handle:
        lines: list[tuple[int, str]] = []
        total = 0
        for no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            # without its line ending, an unterminated string reads as one, not as a control character
            lines.append((no, line.rstrip("\r\n")))
            if len(lines) >= chunk_size:
                total += len(lines)
                yield _jsonl_frame(lines, invalid)
                lines = []
        total += len(lines)
        if total == 0:
            raise InputError("input is empty: no JSON lines")
        facts["rows"] = total
        if lines:
            yield _jsonl_frame(lines, invalid)


def _jsonl_frame(lines: list[tuple[int, str]], invalid: bool = False) -> pd.DataFrame:
    records: list[dict] = []
    errors: list[str | None] = []
    for _, line in lines:
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ValueError(f"a JSON {type(obj).__name__}, not an object")
            records.append(obj)
            errors.append(None)
        except ValueError as exc:
            records.append({})
            errors.append(f"malformed JSON line: {str(exc)[:120]}")
    df = _stringify(pd.DataFrame.from_records(records))
    df[ROW_COL] = [no for no, _ in lines]
    df[READ_ERROR_COL] = pd.array(errors, dtype="string")
    return _mark_invalid_bytes(df) if invalid else df
