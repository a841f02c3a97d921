import pandas as pd

from pipeline.stages import clean
from pipeline.stages.base import REJECT_COL


def _frame(texts):
    return pd.DataFrame({"review_id": [f"r{i}" for i in range(len(texts))], "text": texts}, dtype="string")


def test_clean_normalises_and_masks(config, resources):
    out = clean.run(_frame(["房間很乾淨😊 ＷＩＦＩ快，电话13812345678"]), config.clean, resources)
    assert out["text_clean"].iloc[0] == "房间很干净 WIFI快，电话[电话]"
    assert "13812345678" not in out["text"].iloc[0]
    assert "乾淨" in out["text"].iloc[0]  # text stays as received apart from masking


def test_clean_rejects_junk_and_non_chinese(config, resources):
    out = clean.run(_frame(["👍👍👍", "123456", "Great hotel, nice staff", "很好"]), config.clean, resources)
    reasons = out[REJECT_COL].tolist()
    assert reasons[0].startswith("no text left after removing")
    assert reasons[1].startswith("no Chinese text")
    assert reasons[2].startswith("no Chinese text")
    assert pd.isna(reasons[3]) or reasons[3] is None


def test_clean_flags_exact_duplicates_across_the_table():
    ids = ["r0", "r1", "r2", "r3"]
    texts = ["房间很干净！", "房间很干净 😊", "房間很乾淨", "房间很脏"]
    assert clean.flag_duplicates(ids, texts) == ["", "r0", "r0", ""]


def test_clean_masking_can_be_switched_off(config, resources):
    params = config.clean.model_copy(update={"mask_pii": False})
    out = clean.run(_frame(["电话13812345678"]), params, resources)
    assert "13812345678" in out["text_clean"].iloc[0]


def test_report_digests_fill_in_rows_stored_without_one():
    """Rows from a store written before digests existed get theirs computed from the text."""
    from pipeline.stages.report import DIGEST_COL, _digests

    texts = ["房间很干净！", "房间很干净 😊", "房間很乾淨", "房间很脏", ""]
    frame = pd.DataFrame({"review_id": [f"r{i}" for i in range(5)], "text": pd.array(texts, dtype="string")})
    expected = clean.duplicate_digests(texts)
    assert (_digests(frame) == expected).all()
    frame[DIGEST_COL] = pd.array([int(expected[0]), None, int(expected[2]), None, 0], dtype="UInt64")
    assert (_digests(frame) == expected).all()
    assert clean.first_of_duplicates(frame["review_id"], _digests(frame)) == ["", "r0", "r0", "", ""]
