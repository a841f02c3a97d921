"""All file access: reading review dumps, writing outputs atomically, the stage cache.

Nothing else in the package opens files for data (dictionaries are read through
:mod:`pipeline.text`, which validates them line by line). Callers import from here
(``from pipeline import io``; ``io.read_dump(...)``); the modules split the work:

- :mod:`pipeline.io.read`: :func:`read_dump` and :func:`iter_dump` (a dump whole or in
  chunks), :func:`file_sha256`, and the small files the pipeline wrote or staff returned
  (:func:`read_json`, :func:`read_parquet`, :func:`read_csv_strings`, :func:`read_actions_file`).
- :mod:`pipeline.io.formats`: the formats (:data:`SUFFIX_FORMATS`, :data:`STREAMED_FORMATS`,
  :func:`detect_format`), the parser for each, and the bookkeeping columns every parsed
  frame has (:data:`ROW_COL`, :data:`SHEET_COL`, :data:`READ_ERROR_COL`).
- :mod:`pipeline.io.encoding`: UTF-8 / GB18030 detection and decoding
  (:func:`decode_bytes`, :func:`scan_encoding`).
- :mod:`pipeline.io.write`: atomic writes (:func:`atomic_file`, :func:`write_csv`,
  :func:`write_parquet`, :func:`write_json`, ...).
- :mod:`pipeline.io.cache`: the stage cache for ``--from``/``--to`` and partition tables
  spilled to disk.
"""

from pipeline.io.cache import clear_parts, clear_stage_cache, load_part, load_stage_cache, save_part, save_stage_cache, save_stage_chain
from pipeline.io.encoding import decode_bytes, scan_encoding
from pipeline.io.formats import (
    CSV_FIELD_LIMIT,
    READ_ERROR_COL,
    REPLACEMENT_CHAR,
    ROW_COL,
    SHEET_COL,
    STREAMED_FORMATS,
    SUFFIX_FORMATS,
    detect_format,
)
from pipeline.io.read import file_sha256, iter_dump, read_actions_file, read_csv_strings, read_dump, read_json, read_parquet
from pipeline.io.write import (
    CSV_WRITE_CHUNK,
    WriteBatch,
    atomic_file,
    copy_atomic,
    write_bytes_atomic,
    write_csv,
    write_json,
    write_parquet,
    write_text_atomic,
)

__all__ = [
    "CSV_FIELD_LIMIT",
    "CSV_WRITE_CHUNK",
    "READ_ERROR_COL",
    "REPLACEMENT_CHAR",
    "ROW_COL",
    "SHEET_COL",
    "STREAMED_FORMATS",
    "SUFFIX_FORMATS",
    "WriteBatch",
    "atomic_file",
    "clear_parts",
    "clear_stage_cache",
    "copy_atomic",
    "decode_bytes",
    "detect_format",
    "file_sha256",
    "iter_dump",
    "load_part",
    "load_stage_cache",
    "read_actions_file",
    "read_csv_strings",
    "read_dump",
    "read_json",
    "read_parquet",
    "save_part",
    "save_stage_cache",
    "save_stage_chain",
    "scan_encoding",
    "write_bytes_atomic",
    "write_csv",
    "write_json",
    "write_parquet",
    "write_text_atomic",
]
