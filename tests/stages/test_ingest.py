import pandas as pd
import pytest

from pipeline import io
from pipeline.errors import InputError
from pipeline.stages import ingest
from pipeline.stages.base import REJECT_COL, Resources


def _ingest(config, resources, reviews_csv):
    raw, _ = io.read_dump(reviews_csv)
    return ingest.run(raw, config.ingest, resources)


def test_ingest_rejects_empty_and_repeated_rows(config, resources, reviews_csv):
    out = _ingest(config, resources, reviews_csv)
    reasons = dict(zip(out["review_id"], out[REJECT_COL]))
    assert reasons["r8"] == "empty text"
    rejected = out[out[REJECT_COL].notna()]
    assert any(r.startswith("duplicate row: same id and text") for r in rejected[REJECT_COL])
    assert len(out) == 11  # nothing dropped: rejects are marked, not removed


def test_ingest_missing_id_gets_content_hash(config, resources, reviews_csv):
    out = _ingest(config, resources, reviews_csv)
    row = out[out["text"] == "位置很方便，离地铁站很近，性价比高。"].iloc[0]
    assert row["review_id"] == ingest.content_id("位置很方便，离地铁站很近，性价比高。")
    assert "no id in input" in row["ingest_notes"]


def test_ingest_bad_date_and_rating_become_empty_with_note(config, resources, reviews_csv):
    out = _ingest(config, resources, reviews_csv)
    row = out[out["review_id"] == "r10"].iloc[0]
    assert row["date"] == "" and row["rating"] == ""
    assert "date '昨天' not understood" in row["ingest_notes"]
    assert "rating '7' not a number" in row["ingest_notes"]


def test_ingest_duplicate_id_with_different_text(config, resources):
    raw = pd.DataFrame({"id": ["a", "a"], "review": ["很好", "很差"], "date": ["", ""], "rating": ["", ""], io.ROW_COL: [2, 3]}, dtype="string")
    out = ingest.run(raw, config.ingest, resources)
    assert pd.isna(out[REJECT_COL].iloc[0])
    assert out[REJECT_COL].iloc[1].startswith("duplicate id 'a' with a different text")


def test_ingest_missing_text_column_lists_found(config, resources):
    raw = pd.DataFrame({"id": ["1"], "body": ["很好"], io.ROW_COL: [2]}, dtype="string")
    with pytest.raises(InputError, match=r"lacks the text column 'review'.*found columns: \['id', 'body'\]"):
        ingest.run(raw, config.ingest, resources)


def test_ingest_missing_optional_columns_are_skipped(config, resources):
    raw = pd.DataFrame({"review": ["很好"], io.ROW_COL: [2]}, dtype="string")
    out = ingest.run(raw, config.ingest, resources)
    assert out["date"].tolist() == [""] and out["review_id"].iloc[0] == ingest.content_id("很好")


def test_ingest_required_column_missing_is_an_error(config, resources):
    resources.config = config.model_copy(deep=True)
    resources.config.input.required_columns = ["date"]
    raw = pd.DataFrame({"id": ["1"], "review": ["很好"], io.ROW_COL: [2]}, dtype="string")
    with pytest.raises(InputError, match="lacks the date column 'date'"):
        ingest.run(raw, config.ingest, resources)


def test_ingest_wrong_delimiter_hint(config, resources):
    raw = pd.DataFrame({"id;review": ["1;很好"], io.ROW_COL: [2]}, dtype="string")
    with pytest.raises(InputError, match="is the delimiter right"):
        ingest.run(raw, config.ingest, resources)


def test_ingest_too_long_text_rejected(config, resources):
    raw = pd.DataFrame({"id": ["1"], "review": ["好" * 6000], "date": [""], "rating": [""], io.ROW_COL: [2]}, dtype="string")
    out = ingest.run(raw, config.ingest, resources)
    assert "longer than 5000" in out[REJECT_COL].iloc[0]


@pytest.mark.parametrize("value,expected", [("2026-10-01", "2026-10-01"), ("2026/10/1", "2026-10-01"), ("2026年10月01日", "2026-10-01"), ("昨天", None), ("", None)])
def test_ingest_parse_date(value, expected):
    assert ingest.parse_date(value) == expected


@pytest.mark.parametrize("value,expected", [("4", 4.0), ("4.5", 4.5), ("5星", 5.0), ("五星", None), ("7", None)])
def test_ingest_parse_rating(value, expected):
    assert ingest.parse_rating(value, 1, 5) == expected


def test_ingest_same_text_without_ids_gets_distinct_stable_ids(config, resources):
    raw = pd.DataFrame({"id": ["", "", ""], "review": ["很好吃", "很好吃", "一般"], "date": [""] * 3, "rating": [""] * 3, io.ROW_COL: [2, 3, 4]}, dtype="string")
    out = ingest.run(raw, config.ingest, resources)
    ids = out["review_id"].tolist()
    assert len(set(ids)) == 3
    assert out[REJECT_COL].isna().all()
    fresh = Resources(config=config, run_date=resources.run_date)  # the next run
    assert ids == ingest.run(raw, config.ingest, fresh)["review_id"].tolist()


def test_ingest_same_text_in_two_chunks_of_one_run_gets_distinct_ids(config, resources):
    chunk = pd.DataFrame({"id": [""], "review": ["很好吃"], "date": [""], "rating": [""], io.ROW_COL: [2]}, dtype="string")
    first = ingest.run(chunk, config.ingest, resources)
    second = ingest.run(chunk.assign(**{io.ROW_COL: [3]}), config.ingest, resources)
    assert first["review_id"].iloc[0] != second["review_id"].iloc[0]
    assert second[REJECT_COL].isna().all()


def test_ingest_no_id_column_configured(config, resources):
    cfg = config.model_copy(deep=True)
    cfg.input.columns.id = ""
    resources.config = cfg
    raw = pd.DataFrame({"review": ["很好吃"], "date": [""], "rating": [""], io.ROW_COL: [2]}, dtype="string")
    out = ingest.run(raw, cfg.ingest, resources)
    assert out["review_id"].iloc[0] == ingest.content_id("很好吃")
