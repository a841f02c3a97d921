"""All file access: reading review dumps, writing outputs atomically, the stage cache.

Nothing else in the package opens files for data (dictionaries are read through
:mod:`pipeline.text`, which validates them line by line).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import logging
import os
import pickle
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterable, Iterator

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
CSV_WRITE_CHUNK = 50_000
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


# --- reading --------------------------------------------------------------------------------


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


def _input_file(path: str | Path, fmt: str) -> tuple[Path, str]:
    """The dump's path and format, or an InputError saying why it cannot be read."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"input file not found: {p}")
    if p.is_dir():
        raise InputError(f"input is a folder, not a file: {p}")
    return p, detect_format(p, fmt)


def decode_bytes(raw: bytes, encoding: str = "auto") -> tuple[str, str]:
    """Decode a text dump; ``auto`` tries UTF-8 (with or without BOM), then GB18030.

    Bytes that are valid in neither are replaced by U+FFFD, so the rows holding them can be
    rejected one by one instead of losing the whole file.

    Returns:
        (text, the encoding used; ``utf-8 (with invalid bytes)`` or ``gb18030 (with invalid
        bytes)`` when replacements were made)
    """
    if encoding != "auto":
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            raise InputError(
                f"input is not valid {encoding} at byte {exc.start}: {exc.reason}. "
                "Use input.encoding: auto, or the encoding the file was saved in."
            ) from exc
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
        label = "utf-8-sig"
    else:
        label = "utf-8"
    try:
        return raw.decode("utf-8"), label
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        pass
    logger.warning("input is neither valid UTF-8 nor GB18030; rows with invalid bytes will be rejected")
    return _decode_by_line(raw)


def _decode_by_line(raw: bytes) -> tuple[str, str]:
    """Decode line by line (a newline byte is never inside a UTF-8 or GB18030 character), so
    one stray byte in a GB18030 export damages its own line, not every Chinese character in
    the file. The encoding most lines are valid in is used throughout; lines invalid in it get
    U+FFFD (never decoded in the other encoding: that would be silent mojibake)."""
    lines = raw.split(b"\n")
    main = _vote_encoding(lines)
    return "\n".join(line.decode(main, errors="replace") for line in lines), f"{main} (with invalid bytes)"


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


# --- writing --------------------------------------------------------------------------------


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


def read_json(path: str | Path) -> Any:
    """Read a JSON file."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


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


# --- stage cache ----------------------------------------------------------------------------


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


# --- streaming ------------------------------------------------------------------------------

_BLOCK = 1 << 20


def scan_encoding(path: Path, encoding: str = "auto") -> tuple[str, str, str]:
    """One pass over the bytes: the sha256 and the encoding to stream the file with.

    Returns:
        (sha256, codec name for ``open``, the encoding as reported: ``utf-8``, ``utf-8-sig``,
        ``gb18030`` or ``utf-8 (with invalid bytes)``; the last decodes with replacement).
    """
    import codecs

    candidates = [encoding] if encoding != "auto" else ["utf-8", "gb18030"]
    digest = hashlib.sha256()
    ok = {c: codecs.getincrementaldecoder(c)() for c in candidates}
    bom = False
    with open(path, "rb") as f:
        first = True
        for block in iter(lambda: f.read(_BLOCK), b""):
            digest.update(block)
            if first:
                bom = block.startswith(b"\xef\xbb\xbf")
                first = False
            for name in list(ok):
                try:
                    ok[name].decode(block)
                except UnicodeDecodeError:
                    del ok[name]
    for name in list(ok):
        try:
            ok[name].decode(b"", final=True)
        except UnicodeDecodeError:
            del ok[name]
    sha = digest.hexdigest()
    if encoding != "auto":
        if not ok:
            raise InputError(f"input is not valid {encoding}. Use input.encoding: auto, or the encoding the file was saved in.")
        return sha, encoding, encoding
    if "utf-8" in ok:
        return sha, "utf-8-sig", "utf-8-sig" if bom else "utf-8"
    if "gb18030" in ok:
        return sha, "gb18030", "gb18030"
    logger.warning("input is neither valid UTF-8 nor GB18030; rows with invalid bytes will be rejected")
    main = _main_encoding(path)
    return sha, "utf-8-sig" if main == "utf-8" else main, f"{main} (with invalid bytes)"


def _main_encoding(path: Path) -> str:
    """The encoding most non-ASCII lines of a file are valid in (``utf-8`` on a tie), so one
    stray byte in a GB18030 export does not turn every Chinese character into U+FFFD."""
    with open(path, "rb") as f:
        return _vote_encoding(f)


def _vote_encoding(lines: Iterable[bytes]) -> str:
    """``gb18030`` when more non-ASCII lines decode as GB18030 than as UTF-8, else ``utf-8``."""
    votes = {"utf-8": 0, "gb18030": 0}
    for line in lines:
        if line.isascii():
            continue
        for enc in votes:
            try:
                line.decode(enc)
            except UnicodeDecodeError:
                continue
            votes[enc] += 1
    return "gb18030" if votes["gb18030"] > votes["utf-8"] else "utf-8"


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
