"""Encodings of text dumps: UTF-8 (with or without BOM) or GB18030, decided from the bytes.

Bytes valid in neither become U+FFFD on the lines that hold them, so ingest can reject those
rows one by one instead of losing the whole file.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Iterable

from pipeline.errors import InputError

logger = logging.getLogger(__name__)

_BLOCK = 1 << 20


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
