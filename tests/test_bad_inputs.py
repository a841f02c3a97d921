"""Bad input, end to end through the real command line (issue #6, "nothing lost").

Every case ends in a clear one-line error with the documented exit code (2 config, 3 input),
or in a run that succeeds and puts the bad rows in ``rejects.csv`` with a reason, keeping
rows read = accepted + rejected. Row-level cases share one full run on a single dump holding
every kind of bad row; file-level cases stop after ``clean`` (``--to clean``), which reads
and rejects exactly as a full run does, and read the rejects from the stage cache.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipeline import io
from pipeline.cli import main
from tests.conftest import ROOT

HOTEL = ROOT / "configs" / "hotel.yaml"
RUN_DATE = "2026-11-01"
# Column errors and a header without rows surface once the dump is streamed, after the runner
# has loaded the sentiment model (up to a minute when it must be retrained); stopping after
# clean gives the same error without that wait.
TO_CLEAN = ("--to", "clean")

GOOD = [
    ("g1", "房间很干净，床也舒服，前台服务态度很好。"),
    ("g2", "房间不错，但是前台办理入住等了四十分钟，服务太差了！"),
    ("g3", "卫生间没有热水，打电话给前台半天没人理，再也不会来了。"),
    ("g4", "建议早餐增加一些品种，希望下次能有更多水果。"),
    ("g5", "位置很方便，离地铁站很近，性价比高。"),
    ("g6", "隔音太差了，晚上很吵，没睡好。"),
]
LONG_TEXT = "房间很好" * 25_000  # 100,000 characters
NO_CJK = "no Chinese text (fewer than 2 Chinese characters; clean.min_cjk_chars)"
NOTHING_LEFT = "no text left after removing urls, emoji and symbols (fewer than 2 Chinese characters; clean.min_cjk_chars)"

# id -> (text, expected reject reason or None when the row must be accepted). The first
# "dup" row is accepted; the second, with another text, is rejected (keyed "dup#2").
BAD_ROWS: list[tuple[str, str, str | None]] = [
    ("dup", "早餐很丰富，服务员很热情。", None),
    ("dup", "房间有异味，空调也坏了。", "duplicate id 'dup' with a different text (first seen at row 8)"),
    ("empty", "", "empty text"),
    ("blank", " \t\u3000  ", "empty text"),
    ("numbers", "1234567890", NO_CJK),
    ("price", "399.00 ¥ 5/5", NO_CJK),
    ("html", "<p>房间<b>很干净</b>，<br/>服务很好&nbsp;</p>", None),
    ("html_only", "<div><br/></div>&nbsp;", NOTHING_LEFT),
    ("emoji", "👍👍👍😀🎉", NOTHING_LEFT),
    ("english", "The room was great and the staff were friendly.", NO_CJK),
    ("japanese_kana", "とてもいいです", NO_CJK),
    ("long", LONG_TEXT, "text longer than 5000 characters (ingest.max_text_chars)"),
]
INVALID_BYTES_ID = "badbytes"
INVALID_BYTES_REASON = "unreadable record: bytes that are neither UTF-8 nor GB18030 in column(s) ['review']"


# --- helpers --------------------------------------------------------------------------------


def _args(dump: Path, out: Path, *extra: str, config: Path = HOTEL) -> list[str]:
    return ["--config", str(config), "--input", str(dump), "--output-dir", str(out),
            "--text-column", "review", "--id-column", "id", "--run-date", RUN_DATE, "--quiet", *extra]


def _error_line(err: str) -> str:
    """The one ``error:`` line main() printed (warnings may precede it on stderr)."""
    lines = [line for line in err.splitlines() if line.startswith(("error:", "internal error:"))]
    assert len(lines) == 1, err
    return lines[0]


def _fails(capsys, args: list[str], code: int, message: str) -> None:
    assert main(args) == code
    assert _error_line(capsys.readouterr().err) == f"error: {message}"


def _read_out(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)


def _manifest_rows(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))["rows"]


def _cached(out: Path, stage: str) -> pd.DataFrame:
    cached = io.load_stage_cache(out / ".cache", stage)
    assert cached is not None, f"no cached {stage!r} output in {out}"
    return cached[0]


def _run_to_clean(capsys, dump: Path, out: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """A run stopping after clean: (accepted rows, rejects, manifest row counts), accounting checked."""
    assert main(_args(dump, out, *TO_CLEAN)) == 0, capsys.readouterr().err
    accepted, rejects, rows = _cached(out, "clean"), _cached(out, "rejects"), _manifest_rows(out)
    assert rows["read"] == rows["accepted"] + rows["rejected"]
    assert (rows["accepted"], rows["rejected"]) == (len(accepted), len(rejects))
    assert rejects["reason"].fillna("").str.strip().ne("").all()
    return accepted, rejects, rows


def _write_csv(path: Path, rows: list[tuple[str, str]], header=("id", "review")) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _hotel_config_copy(path: Path, lexicons: list[Path] | None = None, **sections: dict) -> Path:
    """configs/hotel.yaml written elsewhere, its relative paths made absolute, with changes."""
    config = yaml.safe_load(HOTEL.read_text(encoding="utf-8"))
    for key in ("user_dicts", "stopwords"):
        config["segment"][key] = [str((HOTEL.parent / p).resolve()) for p in config["segment"][key]]
    config["dimensions"]["lexicons"] = [str((HOTEL.parent / p).resolve()) for p in config["dimensions"]["lexicons"]]
    if lexicons is not None:
        config["dimensions"]["lexicons"] = [str(p) for p in lexicons]
    for name, values in sections.items():
        config.setdefault(name, {}).update(values)
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


# --- one full run on a dump holding every kind of bad row -----------------------------------


@pytest.fixture(scope="module")
def bad_rows_run(tmp_path_factory):
    """The CLI on a UTF-8 dump: good reviews, every bad row, and one line with invalid bytes."""
    tmp = tmp_path_factory.mktemp("bad_rows")
    dump = tmp / "bad_rows.csv"
    _write_csv(dump, GOOD + [(rid, text) for rid, text, _ in BAD_ROWS])
    with open(dump, "ab") as f:
        f.write(INVALID_BYTES_ID.encode() + b",\xe6\x88\xbf\xff\xfe\xe9\x97\xb4\xe5\xa5\xbd\n")
    out = tmp / "out"
    assert main(_args(dump, out)) == 0
    feedback = _read_out(out / "classified_feedback.csv")
    rejects = _read_out(out / "rejects.csv")
    mentions = _read_out(out / "aspect_mentions.csv")
    return feedback, rejects, mentions, _manifest_rows(out)


def _reason(rejects: pd.DataFrame, review_id: str, nth: int = 0) -> str:
    rows = rejects[rejects["review_id"] == review_id]
    assert len(rows) > nth, f"{review_id!r} not rejected; rejects: {rejects[['review_id', 'reason']].values.tolist()}"
    return rows["reason"].iloc[nth]


def test_bad_inputs_row_accounting(bad_rows_run):
    feedback, rejects, _, rows = bad_rows_run
    n_input = len(GOOD) + len(BAD_ROWS) + 1
    assert rows["read"] == n_input
    assert rows["accepted"] + rows["rejected"] == rows["read"]
    assert (len(feedback), len(rejects)) == (rows["accepted"], rows["rejected"])
    assert (rejects["reason"].str.strip() != "").all()
    expected_accepted = {rid for rid, _ in GOOD} | {rid for rid, _, reason in BAD_ROWS if reason is None}
    assert set(feedback["review_id"]) == expected_accepted
    assert feedback["review_id"].is_unique


def test_bad_inputs_every_bad_row_has_its_reason(bad_rows_run):
    _, rejects, _, _ = bad_rows_run
    seen: dict[str, int] = {}
    for rid, _, reason in BAD_ROWS:
        nth = seen.get(rid, 0)
        seen[rid] = nth + 1
        if reason is None:
            continue
        # the accepted first "dup" row is not in rejects, so the rejected one is its first row there
        assert _reason(rejects, rid, nth - 1 if rid == "dup" else 0) == reason, rid


def test_bad_inputs_duplicate_ids_with_different_text(bad_rows_run):
    feedback, rejects, _, _ = bad_rows_run
    kept = feedback[feedback["review_id"] == "dup"]
    assert kept["text"].tolist() == ["早餐很丰富，服务员很热情。"]
    assert _reason(rejects, "dup") == "duplicate id 'dup' with a different text (first seen at row 8)"
    assert rejects.loc[rejects["review_id"] == "dup", "text"].tolist() == ["房间有异味，空调也坏了。"]


def test_bad_inputs_duplicate_ids_across_chunks(tmp_path, capsys):
    # The runner streams the dump in chunks of engine.chunk_size; an id repeated in a later
    # chunk is rejected just like one repeated in the same chunk.
    rows = [(f"r{i}", f"第{i}位客人：房间很干净") for i in range(150)]
    rows[130] = ("r2", "房间有异味，空调也坏了")
    rows[140] = ("r3", rows[3][1])
    dump = _write_csv(tmp_path / "d.csv", rows)
    config = _hotel_config_copy(tmp_path / "chunks.yaml", engine={"chunk_size": 100})
    assert main(_args(dump, tmp_path / "out", *TO_CLEAN, config=config)) == 0, capsys.readouterr().err
    rejects = _cached(tmp_path / "out", "rejects")
    assert rejects[["source_row", "review_id", "reason"]].values.tolist() == [
        ["132", "r2", "duplicate id 'r2' with a different text (first seen at row 4)"],
        ["142", "r3", "duplicate row: same id and text as row 5"],
    ]
    assert _manifest_rows(tmp_path / "out")["accepted"] == 148


def test_bad_inputs_empty_and_whitespace_only_text(bad_rows_run):
    _, rejects, _, _ = bad_rows_run
    assert _reason(rejects, "empty") == "empty text"
    assert _reason(rejects, "blank") == "empty text"


def test_bad_inputs_numbers(bad_rows_run):
    _, rejects, _, _ = bad_rows_run
    assert _reason(rejects, "numbers") == NO_CJK
    assert _reason(rejects, "price") == NO_CJK


def test_bad_inputs_html(bad_rows_run):
    feedback, rejects, mentions, _ = bad_rows_run
    row = feedback[feedback["review_id"] == "html"]
    assert len(row) == 1  # kept: it has Chinese text once the markup is gone
    assert row["text"].iloc[0] == "<p>房间<b>很干净</b>，<br/>服务很好&nbsp;</p>"  # text is as received
    clauses = mentions.loc[mentions["review_id"] == "html", "clause"].tolist()
    assert clauses, "the HTML review's Chinese text was not analysed"
    assert not any(ch in c for c in clauses for ch in "<>&/")
    assert _reason(rejects, "html_only") == NOTHING_LEFT


def test_bad_inputs_emoji_only(bad_rows_run):
    _, rejects, _, _ = bad_rows_run
    assert _reason(rejects, "emoji") == NOTHING_LEFT


def test_bad_inputs_non_chinese_text(bad_rows_run):
    _, rejects, _, _ = bad_rows_run
    assert _reason(rejects, "english") == NO_CJK
    assert _reason(rejects, "japanese_kana") == NO_CJK


def test_bad_inputs_100k_character_review(bad_rows_run):
    _, rejects, _, _ = bad_rows_run
    reason = _reason(rejects, "long")
    assert "ingest.max_text_chars" in reason
    assert reason == "text longer than 5000 characters (ingest.max_text_chars)"


def test_bad_inputs_invalid_bytes_row_rejected(bad_rows_run):
    feedback, rejects, _, _ = bad_rows_run
    assert INVALID_BYTES_ID not in set(feedback["review_id"])
    assert _reason(rejects, INVALID_BYTES_ID) == INVALID_BYTES_REASON
    assert feedback.loc[feedback["review_id"] == "g1", "text"].iloc[0] == GOOD[0][1]  # the rest decodes intact


def test_bad_inputs_review_longer_than_the_csv_field_limit(tmp_path, capsys):
    # Python's csv module refuses fields over 131,072 characters by default; such a review must
    # be rejected with a reason, not end the run with an internal error.
    dump = _write_csv(tmp_path / "huge.csv", [("g1", GOOD[0][1]), ("huge", "好" * 200_000), ("g2", GOOD[1][1])])
    accepted, rejects, rows = _run_to_clean(capsys, dump, tmp_path / "out")
    assert rows["read"] == 3
    assert accepted["review_id"].tolist() == ["g1", "g2"]
    assert rejects["reason"].tolist() == ["text longer than 5000 characters (ingest.max_text_chars)"]


# --- whole-file problems: one clear line and the exit code ----------------------------------


def test_bad_inputs_missing_file(tmp_path, capsys):
    dump = tmp_path / "nope.csv"
    _fails(capsys, _args(dump, tmp_path / "out"), 3, f"input file not found: {dump.resolve()}")


@pytest.mark.parametrize("content", [b"", b"\n\r\n   \n"], ids=["zero_bytes", "blank_lines"])
def test_bad_inputs_empty_file(tmp_path, capsys, content):
    dump = tmp_path / "empty.csv"
    dump.write_bytes(content)
    _fails(capsys, _args(dump, tmp_path / "out"), 3, f"input file is empty: {dump.resolve()}")


@pytest.mark.parametrize("content", [b"id,review\n", b"\xef\xbb\xbfid,review\r\n\r\n"], ids=["utf8", "bom_crlf"])
def test_bad_inputs_header_only(tmp_path, capsys, content):
    dump = tmp_path / "header.csv"
    dump.write_bytes(content)
    _fails(capsys, _args(dump, tmp_path / "out", *TO_CLEAN), 3, f"input has a header but no rows: {dump.resolve()}")


@pytest.mark.parametrize("delimiter", ["，", "^"], ids=["fullwidth_comma", "caret"])
def test_bad_inputs_wrong_delimiter(tmp_path, capsys, delimiter):
    dump = tmp_path / "wrong.csv"
    dump.write_text(f"id{delimiter}review\n1{delimiter}房间很干净\n2{delimiter}服务很好\n", encoding="utf-8")
    _fails(capsys, _args(dump, tmp_path / "out", *TO_CLEAN), 3,
           f"input lacks the text column 'review', id column 'id'; found columns: ['id{delimiter}review']. "
           "Set --text-column/--id-column (or input.columns in the config). "
           "The header is a single column holding a delimiter: is the delimiter right?")


def test_bad_inputs_missing_text_column(tmp_path, capsys):
    dump = tmp_path / "d.csv"
    dump.write_text("id,body,date\n1,房间很干净,2026-10-01\n", encoding="utf-8")
    _fails(capsys, _args(dump, tmp_path / "out", *TO_CLEAN), 3,
           "input lacks the text column 'review'; found columns: ['id', 'body', 'date']. "
           "Set --text-column/--id-column (or input.columns in the config).")


def test_bad_inputs_missing_id_column(tmp_path, capsys):
    dump = tmp_path / "d.csv"
    dump.write_text("review_id,review\n1,房间很干净\n", encoding="utf-8")
    _fails(capsys, _args(dump, tmp_path / "out", *TO_CLEAN), 3,
           "input lacks the id column 'id'; found columns: ['review_id', 'review']. "
           "Set --text-column/--id-column (or input.columns in the config).")


def test_bad_inputs_config_with_missing_lexicon(tmp_path, capsys):
    missing = tmp_path / "lexicons" / "gone.yaml"
    path = _hotel_config_copy(tmp_path / "broken.yaml", lexicons=[HOTEL.parent / "lexicons" / "general.yaml", missing])
    dump = _write_csv(tmp_path / "d.csv", GOOD)
    message = (f"lexicon file not found: {missing}. Check dimensions.lexicons in the config "
               "(relative paths are relative to the config file).")
    _fails(capsys, _args(dump, tmp_path / "out", config=path), 2, message)
    _fails(capsys, ["validate", "--config", str(path)], 2, message)


# --- other formats and encodings (stop after clean) -----------------------------------------


def test_bad_inputs_gb18030_and_invalid_bytes(tmp_path, capsys):
    good = [("1", "房间很干净，服务很好"), ("2", "前台態度差，等了很久")]
    dump = tmp_path / "gb.csv"
    dump.write_bytes(
        "id,review\n".encode("gb18030")
        + "".join(f"{i},{t}\n" for i, t in good).encode("gb18030")
        + b"3,\xff\xff\xfe\n"
        + "4,早餐很丰富\n".encode("gb18030")
    )
    accepted, rejects, rows = _run_to_clean(capsys, dump, tmp_path / "out")
    assert rows == {**rows, "read": 4, "accepted": 3, "rejected": 1}
    facts = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))["input"]
    assert facts["encoding"] == "gb18030 (with invalid bytes)"
    # one stray byte must not turn every other GB18030 review into U+FFFD noise
    assert accepted["text"].tolist() == ["房间很干净，服务很好", "前台態度差，等了很久", "早餐很丰富"]
    assert accepted["text_clean"].iloc[1] == "前台态度差，等了很久"
    assert rejects[["review_id", "reason"]].values.tolist() == [["3", INVALID_BYTES_REASON]]


def test_bad_inputs_gb18030_clean_file(tmp_path, capsys):
    dump = tmp_path / "gb.tsv"
    dump.write_bytes("id\treview\n1\t房间很干净，服务很好\n2\t請問停車場收費嗎？\n".encode("gb18030"))
    accepted, rejects, _ = _run_to_clean(capsys, dump, tmp_path / "out")
    assert accepted["text"].tolist() == ["房间很干净，服务很好", "請問停車場收費嗎？"]
    assert len(rejects) == 0


def test_bad_inputs_xlsx_with_several_sheets(tmp_path, capsys):
    dump = tmp_path / "reviews.xlsx"
    with pd.ExcelWriter(dump) as writer:
        pd.DataFrame({"id": ["a1", "a2"], "review": ["房间很干净", "服务很好"]}).to_excel(writer, sheet_name="十月", index=False)
        pd.DataFrame().to_excel(writer, sheet_name="空表", index=False)
        pd.DataFrame({"id": ["b1", "a1", "b3"], "review": ["早餐不错", "重复的编号", None]}).to_excel(writer, sheet_name="十一月", index=False)
        pd.DataFrame({"id": [101, 102], "review": ["前台态度差", "😀"]}).to_excel(writer, sheet_name="Sheet3", index=False)
    accepted, rejects, rows = _run_to_clean(capsys, dump, tmp_path / "out")
    assert rows["read"] == 7  # every non-empty sheet is read
    assert accepted[["review_id", "source_row"]].values.tolist() == [
        ["a1", "十月!2"], ["a2", "十月!3"], ["b1", "十一月!2"], ["101", "Sheet3!2"]]
    assert rejects[["source_row", "review_id", "reason"]].values.tolist() == [
        ["十一月!3", "a1", "duplicate id 'a1' with a different text (first seen at row 十月!2)"],
        ["十一月!4", "b3", "empty text"],
        ["Sheet3!3", "102", NOTHING_LEFT],
    ]


def test_bad_inputs_malformed_json_lines(tmp_path, capsys):
    dump = tmp_path / "reviews.jsonl"
    dump.write_text(
        '{"id": "j1", "review": "房间很干净"}\n'
        '{"id": "j2", "review": "服务很\n'
        "[1, 2]\n"
        "\n"
        '"just a string"\n'
        '{"id": "j3", "review": "早餐不错"}\n'
        '{"id": "j4", "review": null}\n',
        encoding="utf-8",
    )
    accepted, rejects, rows = _run_to_clean(capsys, dump, tmp_path / "out")
    assert rows["read"] == 6  # the blank line is not a record
    assert accepted["review_id"].tolist() == ["j1", "j3"]
    reasons = dict(zip(rejects["source_row"], rejects["reason"]))
    assert reasons["2"].startswith("unreadable record: malformed JSON line: Unterminated string")
    assert reasons["3"] == "unreadable record: malformed JSON line: a JSON list, not an object"
    assert reasons["5"] == "unreadable record: malformed JSON line: a JSON str, not an object"
    assert reasons["7"] == "empty text"
    assert len(reasons) == 4
