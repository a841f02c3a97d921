import json
import pickle

import pandas as pd
import pytest

from pipeline import io
from pipeline.errors import InputError


def _write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("encoding,label", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030")])
def test_io_read_dump_detects_encoding(tmp_path, encoding, label):
    p = _write(tmp_path / "d.csv", "id,review\n1,房间很干净\n2,服务態度差\n", encoding)
    df, facts = io.read_dump(p)
    assert facts["encoding"] == label
    assert df["review"].tolist() == ["房间很干净", "服务態度差"]
    assert df["id"].tolist() == ["1", "2"]


def test_io_read_dump_invalid_bytes_marks_rows(tmp_path):
    raw = "id,review\n1,房间很干净\n".encode("utf-8") + b"2,\xff\xfe\x80bad\n"
    p = tmp_path / "d.csv"
    p.write_bytes(raw)
    df, facts = io.read_dump(p)
    assert "invalid bytes" in facts["encoding"]
    assert "\ufffd" in df["review"].iloc[1]


def test_io_read_dump_keeps_line_numbers_with_multiline_cells(tmp_path):
    p = _write(tmp_path / "d.csv", 'id,review\n1,"第一行\n第二行"\n2,好\n')
    df, _ = io.read_dump(p)
    assert df[io.ROW_COL].tolist() == [2, 4]


def test_io_read_dump_short_row_is_flagged_not_dropped(tmp_path):
    p = _write(tmp_path / "d.csv", "id,review,date\n1,好,2026-01-01\n2\n")
    df, _ = io.read_dump(p)
    assert len(df) == 2
    assert "1 fields, the header has 3" in df[io.READ_ERROR_COL].iloc[1]


def test_io_read_dump_tsv_and_sniffed_semicolon(tmp_path):
    t = _write(tmp_path / "d.tsv", "id\treview\n1\t很好\n")
    s = _write(tmp_path / "s.csv", "id;review\n1;很好\n2;不好\n")
    assert io.read_dump(t)[0]["review"].tolist() == ["很好"]
    assert io.read_dump(s)[0]["review"].tolist() == ["很好", "不好"]


def test_io_read_dump_jsonl_malformed_line_kept_with_reason(tmp_path):
    p = _write(tmp_path / "d.jsonl", '{"id": 1, "review": "很好"}\n{broken\n{"id": 3, "review": "差"}\n')
    df, _ = io.read_dump(p)
    assert len(df) == 3
    assert df[io.READ_ERROR_COL].iloc[1].startswith("malformed JSON line")
    assert df["id"].iloc[0] == "1"


def test_io_read_dump_json_list(tmp_path):
    p = _write(tmp_path / "d.json", json.dumps([{"id": 1, "review": "很好", "rating": 4.0}], ensure_ascii=False))
    df, _ = io.read_dump(p)
    assert df["rating"].iloc[0] == "4"


def test_io_read_dump_xlsx_every_sheet(tmp_path):
    p = tmp_path / "d.xlsx"
    with pd.ExcelWriter(p) as w:
        pd.DataFrame({"id": [1, 2], "review": ["很好", "差"]}).to_excel(w, sheet_name="十月", index=False)
        pd.DataFrame({"id": [3], "review": ["一般"]}).to_excel(w, sheet_name="十一月", index=False)
    df, _ = io.read_dump(p)
    assert df["id"].tolist() == ["1", "2", "3"]
    assert df[io.SHEET_COL].tolist() == ["十月", "十月", "十一月"]


def test_io_read_dump_parquet(tmp_path):
    p = tmp_path / "d.parquet"
    pd.DataFrame({"id": [1], "review": ["很好"]}).to_parquet(p)
    assert io.read_dump(p)[0]["review"].tolist() == ["很好"]


@pytest.mark.parametrize(
    "content,match",
    [("", "input file is empty"), ("id,review\n", "header but no rows")],
)
def test_io_read_dump_empty_inputs(tmp_path, content, match):
    p = _write(tmp_path / "d.csv", content)
    with pytest.raises(InputError, match=match):
        io.read_dump(p)


def test_io_read_dump_missing_file(tmp_path):
    with pytest.raises(InputError, match="input file not found"):
        io.read_dump(tmp_path / "nope.csv")


def test_io_read_dump_unknown_suffix(tmp_path):
    p = _write(tmp_path / "d.xyz", "a")
    with pytest.raises(InputError, match="cannot tell the format"):
        io.read_dump(p)


def test_io_write_csv_has_bom_and_is_atomic(tmp_path):
    p = tmp_path / "o.csv"
    io.write_csv(p, pd.DataFrame({"a": ["中文"]}))
    assert p.read_bytes().startswith(b"\xef\xbb\xbf")
    assert not list(tmp_path.glob(".o.csv.*"))
    assert io.read_csv_strings(p)["a"].tolist() == ["中文"]


def test_io_copy_atomic_copies_and_leaves_no_temporary_file(tmp_path):
    src = tmp_path / "a.csv"
    io.write_csv(src, pd.DataFrame({"a": ["中文"]}))
    io.copy_atomic(src, tmp_path / "runs" / "r1" / "a.csv")
    assert (tmp_path / "runs" / "r1" / "a.csv").read_bytes() == src.read_bytes()
    assert not list((tmp_path / "runs" / "r1").glob(".a.csv.*"))


def test_io_write_json_refuses_nan(tmp_path):
    with pytest.raises(ValueError):
        io.write_json(tmp_path / "x.json", {"a": float("nan")})
    assert not (tmp_path / "x.json").exists()


def test_io_stage_cache_round_trip(tmp_path):
    df = pd.DataFrame({"tokens": [["房间", "干净"], []]})
    io.save_stage_cache(tmp_path, "segment", df, {"rows_read": 2})
    back, meta = io.load_stage_cache(tmp_path, "segment")
    assert back["tokens"].tolist() == [["房间", "干净"], []]
    assert meta["rows_read"] == 2
    assert io.load_stage_cache(tmp_path, "nothing") is None


def _stage_frames():
    clean = pd.DataFrame(
        {"review_id": pd.array(["a", "b", "c"], dtype="string"), "text_clean": pd.array(["好", "差", "一般"], dtype="string")}, index=[3, 5, 9]
    )
    segment = clean.assign(tokens=pd.Series([["好"], ["差"], ["一般"]], index=clean.index, dtype=object))
    # The next stage rejected row 5, added a column and changed one it was given.
    sentiment = segment.drop(index=5).assign(sentiment_score=[0.9, 0.5], text_clean=pd.array(["好!", "一般"], dtype="string"))
    return {"clean": clean, "segment": segment, "sentiment": sentiment}


def test_io_stage_chain_stores_each_frame_as_what_it_adds_and_loads_it_whole(tmp_path):
    frames = _stage_frames()
    io.save_stage_chain(tmp_path, ((name, df, {"stage": name}) for name, df in frames.items()))
    for name, df in frames.items():
        back, meta = io.load_stage_cache(tmp_path, name)
        pd.testing.assert_frame_equal(back, df)
        assert meta == {"stage": name}
    # Only the added column went into the segment file; the changed one into sentiment's.
    payload = pd.read_pickle(tmp_path / "segment.pkl")
    assert list(payload["frame"].columns) == ["tokens"] and payload["base"] == "clean"
    assert list(pd.read_pickle(tmp_path / "sentiment.pkl")["frame"].columns) == ["text_clean", "sentiment_score"]


def test_io_stage_chain_frame_on_a_replaced_base_is_not_loaded(tmp_path):
    frames = _stage_frames()
    io.save_stage_chain(tmp_path, ((name, df, {}) for name, df in frames.items()))
    # A later run caches segment again (say --from segment --to segment): the sentiment
    # columns stored on the old segment frame must not be put together with the new one.
    io.save_stage_chain(tmp_path, [("segment", frames["segment"], {})])
    assert io.load_stage_cache(tmp_path, "segment") is not None
    assert io.load_stage_cache(tmp_path, "sentiment") is None


def test_io_stage_chain_frame_not_grown_from_the_one_before_is_stored_whole(tmp_path):
    frames = _stage_frames()
    other = frames["segment"].set_axis([1, 1, 2])  # repeated labels
    io.save_stage_chain(tmp_path, [("clean", frames["clean"], {}), ("segment", other, {})])
    assert pd.read_pickle(tmp_path / "segment.pkl")["base"] is None
    pd.testing.assert_frame_equal(io.load_stage_cache(tmp_path, "segment")[0], other)


def test_io_stage_cache_written_as_a_bare_frame_still_loads(tmp_path):
    df = pd.DataFrame({"tokens": [["房间"]]})
    (tmp_path / "segment.pkl").write_bytes(pickle.dumps(df))
    pd.testing.assert_frame_equal(io.load_stage_cache(tmp_path, "segment")[0], df)


def test_io_write_batch_writes_what_the_single_writers_write(tmp_path):
    df = pd.DataFrame({"review_id": pd.array(["a", "b"], dtype="string"), "text": pd.array(["房间, \"干净\"", None], dtype="string"), "score": [0.25, 1.0]})
    listy = pd.DataFrame({"tokens": [["房间"], []]})  # not a plain table: pandas writes it
    io.write_csv(tmp_path / "one.csv", df)
    io.write_parquet(tmp_path / "one.parquet", df)
    io.write_csv(tmp_path / "one_listy.csv", listy)
    batch = io.WriteBatch(threads=2)
    batch.csv(tmp_path / "b" / "one.csv", df, copies=(tmp_path / "c" / "copy.csv",))
    batch.parquet(tmp_path / "b" / "one.parquet", df)
    batch.csv(tmp_path / "b" / "one_listy.csv", listy)
    batch.call(io.write_json, tmp_path / "b" / "x.json", {"n": 1})
    assert not (tmp_path / "b" / "one.parquet").exists()  # nothing written before run()
    batch.run()
    for name in ("one.csv", "one.parquet", "one_listy.csv"):
        assert (tmp_path / "b" / name).read_bytes() == (tmp_path / name).read_bytes()
    assert (tmp_path / "c" / "copy.csv").read_bytes() == (tmp_path / "one.csv").read_bytes()
    assert json.loads((tmp_path / "b" / "x.json").read_text()) == {"n": 1}


def test_io_write_batch_raises_a_jobs_error_after_the_others_finish(tmp_path):
    df = pd.DataFrame({"a": [1, 2]})
    batch = io.WriteBatch(threads=2)
    batch.call(io.write_json, tmp_path / "bad.json", {"a": float("nan")})  # refused: NaN
    for i in range(4):
        batch.csv(tmp_path / f"{i}.csv", df)
    with pytest.raises(ValueError):
        batch.run()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0.csv", "1.csv", "2.csv", "3.csv"]
