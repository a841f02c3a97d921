"""The improvement loop: register carried over, staff updates, recurrences, effect."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from pipeline.cli import main
from pipeline.errors import InputError
from pipeline.followup import action_effects, normalise_returned, reconcile_actions, update_history
from tests.conftest import ROOT

RUN1 = dt.date(2026, 11, 1)


def _items(ids, store="A", dims="tangibles", sub="cleanliness", date="2026-10-01"):
    return pd.DataFrame(
        {
            "action_id": ids,
            "review_id": [f"r-{i}" for i in ids],
            "store": store,
            "date": date,
            "owner": "客房部",
            "dimensions": dims,
            "sub_aspect": sub,
            "priority": "high",
            "evidence": "房间很脏",
            "action": "复查",
            "due_date": "2026-10-04",
            "status": "open",
            "closed_at": "",
            "note": "",
        }
    )


def test_followup_normalise_accepts_chinese_headers_and_statuses():
    raw = pd.DataFrame({"行动编号": ["A-1", "A-2", "A-3"], "状态": ["已关闭", "处理中", "搞定"], "关闭日期": ["2026-10-20", "", ""]})
    out, problems = normalise_returned(raw)
    assert out["status"].tolist() == ["closed", "in_progress", "open"]
    assert "status '搞定' not one of" in problems[0]


def test_followup_closed_without_date_stays_open():
    out, problems = normalise_returned(pd.DataFrame({"action_id": ["A-1"], "status": ["closed"], "closed_at": ["下周"]}))
    assert out["status"].tolist() == ["open"]
    assert "closed without a readable closed_at" in problems[0]


def test_followup_returned_file_needs_action_ids():
    with pytest.raises(InputError, match="no action_id"):
        normalise_returned(pd.DataFrame({"x": [1]}))


def test_followup_register_never_duplicates_and_keeps_status():
    reg, _ = reconcile_actions(_items(["A-1", "A-2"]), None, None, RUN1)
    returned = pd.DataFrame({"action_id": ["A-1", "A-9"], "status": ["closed", "closed"], "closed_at": ["2026-10-20"] * 2, "note": ["换了床单", ""]})
    reg2, problems = reconcile_actions(_items(["A-1", "A-2", "A-3"]), reg, returned, RUN1 + dt.timedelta(days=7))
    assert sorted(reg2["action_id"]) == ["A-1", "A-2", "A-3"]
    row = reg2.set_index("action_id").loc["A-1"]
    assert (row["status"], row["closed_at"], row["note"]) == ("closed", "2026-10-20", "换了床单")
    assert reg2.set_index("action_id").loc["A-3", "first_seen"] == "2026-11-08"
    assert problems == ["returned action A-9 is not in the register; ignored"]
    reg3, _ = reconcile_actions(_items(["A-1", "A-2", "A-3"]), reg2, None, RUN1 + dt.timedelta(days=14))
    assert reg3.set_index("action_id").loc["A-1", "status"] == "closed"


def test_followup_recurrence_after_close_is_flagged():
    reg, _ = reconcile_actions(_items(["A-1"]), None, None, RUN1)
    returned = pd.DataFrame({"action_id": ["A-1"], "status": ["closed"], "closed_at": ["2026-10-20"]})
    later = pd.concat([_items(["A-1"]), _items(["A-2"], date="2026-11-03"), _items(["A-3"], store="B", date="2026-11-03")])
    reg2, _ = reconcile_actions(later, reg, returned, RUN1)
    flags = reg2.set_index("action_id")["recurrence_of"]
    assert flags["A-2"] == "A-1"
    assert flags["A-3"] == ""  # other store
    assert flags["A-1"] == ""


def test_followup_effect_before_and_after_close():
    reg = _items(["A-1"]).assign(status="closed", closed_at="2026-10-15")
    feedback = pd.DataFrame({"review_id": ["a", "b", "c", "d"], "date": ["2026-10-01", "2026-10-02", "2026-10-20", "2026-10-21"], "store": "A"})
    mentions = pd.DataFrame(
        {"review_id": ["a", "b", "c", "d"], "dimension": "tangibles", "sub_aspect": "cleanliness", "polarity": ["negative", "negative", "positive", "negative"]}
    )
    eff = action_effects(reg, feedback, mentions).iloc[0]
    assert (eff["before_n"], eff["before_negative_share"], eff["after_n"], eff["after_negative_share"]) == (2, 1.0, 2, 0.5)
    assert eff["change"] == -0.5


def test_followup_history_appends_only_when_data_changes():
    fb = pd.DataFrame({"review_id": ["a"]})
    h1 = update_history([], {"service_quality_index": 50.0, "dimensions": []}, fb, RUN1)
    assert update_history(h1, {"service_quality_index": 50.0, "dimensions": []}, fb, RUN1) == h1
    h2 = update_history(h1, {"service_quality_index": 55.0, "dimensions": []}, pd.DataFrame({"review_id": ["a", "b"]}), RUN1)
    assert len(h2) == 2


def test_followup_two_runs_a_week_apart(tmp_path):
    """Week 1, staff close some items, week 2: carried over, no duplicates, recurrence, effect."""
    out = tmp_path / "out"
    base = ["--config", str(ROOT / "configs" / "hotel.yaml"), "--output-dir", str(out), "--quiet"]
    assert main(base + ["--input", str(ROOT / "data" / "sample" / "hotel_reviews.csv"), "--run-date", "2026-11-01"]) == 0
    week1 = pd.read_csv(out / "actions.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert week1["action_id"].is_unique and len(week1) > 10
    # Staff close every item of the largest store on 2026-10-31 (in the xlsx they were given).
    store = week1["store"].value_counts().index[0]
    returned = week1.copy()
    closing = returned["store"] == store
    returned.loc[closing, "status"] = "closed"
    returned.loc[closing, "closed_at"] = "2026-10-31"
    returned_path = tmp_path / "returned.xlsx"
    returned.rename(columns={"action_id": "行动编号", "status": "状态", "closed_at": "关闭日期"}).to_excel(returned_path, index=False, sheet_name="客房部")

    week2 = ["--input", str(ROOT / "data" / "sample" / "hotel_reviews_week2.csv"), "--run-date", "2026-11-08", "--actions-return", str(returned_path)]
    assert main(base + week2) == 0
    reg = pd.read_csv(out / "actions.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert reg["action_id"].is_unique
    assert set(week1["action_id"]) <= set(reg["action_id"])
    by_id = reg.set_index("action_id")
    still_open = week1.loc[~closing, "action_id"]
    assert (by_id.loc[still_open, "status"] == "open").all()
    assert (by_id.loc[week1.loc[closing, "action_id"], "status"] == "closed").all()
    assert len(reg) > len(week1)
    recurrences = reg[reg["recurrence_of"] != ""]
    assert len(recurrences) >= 1
    assert set(recurrences["recurrence_of"]) <= set(week1.loc[closing, "action_id"])
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    effects = summary["followup"]["effects"]
    assert effects and any(e["after_n"] > 0 and e["before_n"] > 0 for e in effects)
    assert len(summary["history"]) == 2
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "已关闭行动的效果" in html and "问题重复出现" in html
