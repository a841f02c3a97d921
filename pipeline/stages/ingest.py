"""ingest: map the dump's columns onto the review schema and reject rows that cannot be used.

Input is ``reviews_raw`` (every cell a string, with ``_row`` and ``_read_error`` from the
reader). Output is ``reviews_ingested``: ``review_id, text, date, rating, source, store,
source_row`` plus ``ingest_notes`` for values that were dropped (an unparseable date...).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import re

import pandas as pd

from pipeline.config import ColumnMap, IngestParams
from pipeline.errors import InputError
from pipeline.io import READ_ERROR_COL, ROW_COL, SHEET_COL
from pipeline.stages.base import REJECT_COL, Resources

logger = logging.getLogger(__name__)

REQUIRES = (ROW_COL,)
PRODUCES = ("review_id", "text", "date", "rating", "source", "store", "source_row", "ingest_notes", REJECT_COL)
OPTIONAL_FIELDS = ("date", "rating", "source", "store")

_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S")
# A lone header cell holding punctuation (id;review, id，review, id^review) was not split.
_DELIMITER_LIKE_RE = re.compile(r"[^\w\s.\-()（）]")
_STAR_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:星|分|stars?)?\s*$", re.IGNORECASE)


def content_id(text: str, occurrence: int = 1) -> str:
    """A stable id for a review that arrived without one: a hash of its text.

    The n-th row with the same text (two guests both writing 很好) hashes its occurrence
    number too, so ids stay unique and stable as long as the dump keeps its order.
    """
    key = text if occurrence == 1 else f"{text}\x00{occurrence}"
    return "h" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:15]


def _digest(text: str) -> bytes:
    """8 bytes standing for a text in the run-wide tables (a million reviews fit in little memory)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()


def _content_ids(texts: list[str], seen: dict[bytes, int]) -> list[str]:
    """Content ids, counting repeated texts across every chunk of the dump (``seen``)."""
    out = []
    for t in texts:
        key = _digest(t)
        seen[key] = seen.get(key, 0) + 1
        out.append(content_id(t, seen[key]))
    return out


def check_columns(columns: list[str], mapping: ColumnMap, required: list[str] | tuple[str, ...] = (), warn: bool = True) -> ColumnMap:
    """The column mapping that applies to this dump.

    The text column, and every field named in ``required``, must exist; other mapped columns
    that the dump lacks are dropped from the mapping with a warning (a config written for one
    export still reads a plainer CSV).

    Raises:
        InputError: a required column is missing; the message lists the columns found.
    """
    found = [c for c in columns if not c.startswith("_")]
    wanted = {"text": mapping.text, **{f: getattr(mapping, f) for f in ("id", *OPTIONAL_FIELDS)}}
    must = {"text", *required}
    missing = [f"{field} column {col!r}" for field, col in wanted.items() if col and col not in found and field in must]
    if missing:
        hint = ""
        if len(found) == 1 and _DELIMITER_LIKE_RE.search(found[0]):
            hint = " The header is a single column holding a delimiter: is the delimiter right?"
        raise InputError(
            f"input lacks the {', '.join(missing)}; found columns: {found}. "
            f"Set --text-column/--id-column (or input.columns in the config).{hint}"
        )
    absent = {field: col for field, col in wanted.items() if col and col not in found}
    if absent and warn:
        logger.warning("input has no %s column(s); carrying on without them", ", ".join(f"{f} ({c!r})" for f, c in absent.items()))
    return mapping.model_copy(update={f: None for f in absent})


# A dump holds few distinct dates and ratings (a million reviews over a year: ~365 dates),
# so each distinct value is parsed once; the caches are bounded for dumps with timestamps.
@functools.lru_cache(maxsize=1 << 16)
def parse_date(value: str) -> str | None:
    """``YYYY-MM-DD`` for a recognisable date, else None."""
    v = value.strip()
    if not v:
        return None
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(v, fmt).strftime("%Y-%m-%d")
        except ValueError:
            continue
    try:
        ts = pd.Timestamp(v)
    except (ValueError, TypeError, OverflowError):
        return None
    return None if pd.isna(ts) else ts.strftime("%Y-%m-%d")


@functools.lru_cache(maxsize=1 << 12)
def parse_rating(value: str, low: float, high: float) -> float | None:
    """A numeric rating within [low, high] (``4``, ``4.5``, ``5星``), else None."""
    m = _STAR_RE.match(value or "")
    if not m:
        return None
    r = float(m.group(1))
    return r if low <= r <= high else None


def run(df: pd.DataFrame, params: IngestParams, res: Resources) -> pd.DataFrame:
    """Map columns, give every row an id, reject unusable rows with a reason.

    Rejects: unparseable records, empty or whitespace-only text, text over
    ``max_text_chars``, a repeated (id, text) row, an id reused with a different text.

    Raises:
        InputError: a mapped column is missing from the input.
    """
    # Warn about absent optional columns once per run, not once per chunk.
    warned = res.facts.setdefault("_ingest_warned_columns", False)
    mapping = check_columns(list(df.columns), res.config.input.columns, res.config.input.required_columns, warn=not warned)
    res.facts["_ingest_warned_columns"] = True
    n = len(df)
    text = df[mapping.text].fillna("").astype("string")
    stripped = text.str.strip()
    reasons = pd.Series(pd.array([None] * n, dtype="string"), index=df.index)
    if READ_ERROR_COL in df.columns:
        reasons = reasons.mask(df[READ_ERROR_COL].notna(), "unreadable record: " + df[READ_ERROR_COL].fillna(""))
    reasons = reasons.mask(reasons.isna() & (stripped == ""), "empty text")
    too_long = stripped.str.len() > params.max_text_chars
    reasons = reasons.mask(reasons.isna() & too_long, f"text longer than {params.max_text_chars} characters (ingest.max_text_chars)")

    if mapping.id:
        ids = df[mapping.id].fillna("").astype("string").str.strip()
    else:
        ids = pd.Series(pd.array([""] * n, dtype="string"), index=df.index)
    generated = ids == ""
    if generated.any():
        made = _content_ids(stripped[generated].tolist(), res.text_counts)
        ids = ids.copy()
        ids[generated] = pd.array(made, dtype="string")

    out = pd.DataFrame(index=df.index)
    out["review_id"] = ids
    out["text"] = text
    notes: list[list[str]] = [[] for _ in range(n)]
    for i in generated.to_numpy().nonzero()[0]:
        notes[i].append("no id in input: content hash used")
    for field_name in OPTIONAL_FIELDS:
        col = getattr(mapping, field_name)
        values = df[col].fillna("").astype("string") if col else pd.Series([""] * n, index=df.index, dtype="string")
        if field_name == "date" and col:
            parsed = [parse_date(v) for v in values.tolist()]
            for i, (raw, p) in enumerate(zip(values.tolist(), parsed)):
                if raw.strip() and p is None:
                    notes[i].append(f"date {raw!r} not understood")
            values = pd.Series(pd.array([p or "" for p in parsed], dtype="string"), index=df.index)
        elif field_name == "rating" and col:
            parsed_r = [parse_rating(v, params.rating_min, params.rating_max) for v in values.tolist()]
            for i, (raw, p) in enumerate(zip(values.tolist(), parsed_r)):
                if raw.strip() and p is None:
                    notes[i].append(f"rating {raw!r} not a number in [{params.rating_min:g}, {params.rating_max:g}]")
            values = pd.Series(pd.array([("" if p is None else f"{p:g}") for p in parsed_r], dtype="string"), index=df.index)
        out[field_name] = values.str.strip()
    rows = df[ROW_COL].astype(int).astype(str)
    if SHEET_COL in df.columns:
        rows = df[SHEET_COL].astype(str) + "!" + rows
    out["source_row"] = rows.astype("string")
    out["ingest_notes"] = pd.array(["; ".join(x) for x in notes], dtype="string")

    reasons = _reject_repeated_ids(out["review_id"], stripped, reasons, out["source_row"], res.seen_ids)
    out[REJECT_COL] = reasons
    logger.debug("ingest: %d rows, %d rejected, %d ids generated", n, int(reasons.notna().sum()), int(generated.sum()))
    return out


def _reject_repeated_ids(ids: pd.Series, text: pd.Series, reasons: pd.Series, source_rows: pd.Series, first: dict[str, int | tuple[str, int]]) -> pd.Series:
    """Keep the first row of each id; later rows are rejected, saying why (and naming the
    first row's ``source_row``, the position people can find in the dump).

    ``first`` (``Resources.seen_ids``) is updated in place, so an id repeated in a later chunk
    of the same dump is caught too. It holds one entry per review of the dump, so each entry
    is one int (the row number and the text's 8-byte hash packed together) when the row is
    a plain number: about a third of the memory of a (row, hash) tuple. The hashes live only
    for the run, so the whole chunk is hashed at once (pandas, in C).
    """
    digests = pd.util.hash_pandas_object(text.reset_index(drop=True), index=False).to_numpy().tolist()
    open_rows = reasons.isna().to_numpy()
    values = reasons.array.copy()
    for i, (rid, row) in enumerate(zip(ids.tolist(), source_rows.tolist())):
        if not open_rows[i]:
            continue
        seen = first.get(rid)
        if seen is None:
            first[rid] = _pack_seen(row, digests[i])
            continue
        first_row, first_digest = _unpack_seen(seen)
        if first_digest == digests[i]:
            values[i] = f"duplicate row: same id and text as row {first_row}"
        else:
            values[i] = f"duplicate id {rid!r} with a different text (first seen at row {first_row})"
    return pd.Series(values, index=reasons.index)


def _pack_seen(row: str, digest: int) -> int | tuple[str, int]:
    """(row, digest) as one int when the row is a plain number (an xlsx row is 'sheet!n')."""
    if row.isascii() and row.isdigit() and row == str(int(row)):
        return (int(row) << 64) | digest
    return (row, digest)


def _unpack_seen(value: int | tuple[str, int]) -> tuple[str, int]:
    if isinstance(value, tuple):
        return value
    return str(value >> 64), value & 0xFFFFFFFFFFFFFFFF
