"""The action table: which reviews, evidence, stable ids, ordering."""

from __future__ import annotations

from pipeline.report import ACTION_COLUMNS, build_actions_table
from pipeline.report.actions import make_action_id


def test_actions_one_row_per_actionable_review(feedback, mentions):
    table = build_actions_table(feedback, mentions)
    assert list(table.columns) == list(ACTION_COLUMNS)
    # r2 is praise without owner, r5 duplicates r1
    assert sorted(table["review_id"]) == ["r1", "r3", "r4", "r6"]


def test_actions_sorted_by_priority_then_due_date(feedback, mentions):
    feedback.loc[feedback["review_id"] == "r6", "priority"] = "high"
    feedback.loc[feedback["review_id"] == "r6", "due_date"] = "2024-04-10"
    table = build_actions_table(feedback, mentions)
    assert list(table["review_id"]) == ["r1", "r6", "r3", "r4"]


def test_actions_evidence_is_most_negative_clause(feedback, mentions):
    table = build_actions_table(feedback, mentions).set_index("review_id")
    assert table.loc["r3", "evidence"] == "账单算错了"  # not the positive "房间不错"
    assert table.loc["r3", "sub_aspect"] == "账单"
    assert table.loc["r3", "dimensions"] == "reliability"


def test_actions_evidence_falls_back_to_text(feedback, mentions):
    no_r4 = mentions[mentions["review_id"] != "r4"]
    table = build_actions_table(feedback, no_r4).set_index("review_id")
    assert table.loc["r4", "evidence"] == "价格太贵，建议打折"
    assert table.loc["r4", "dimensions"] == "price"  # from the review's dimensions


def test_actions_id_is_stable_and_keyed_on_owner(feedback, mentions):
    first = build_actions_table(feedback, mentions)
    again = build_actions_table(feedback.iloc[::-1], mentions)
    assert set(first["action_id"]) == set(again["action_id"])
    assert make_action_id("r1", "客房部") == make_action_id("r1", "客房部")
    assert make_action_id("r1", "客房部") != make_action_id("r1", "前台")
    assert first["action_id"].str.fullmatch(r"A-[0-9a-f]{10}").all()


def test_actions_tracking_columns_start_open(feedback, mentions):
    table = build_actions_table(feedback, mentions)
    assert set(table["status"]) == {"open"}
    assert set(table["closed_at"]) == {""} and set(table["note"]) == {""}


def test_actions_empty_frames(empty_feedback, empty_mentions):
    table = build_actions_table(empty_feedback, empty_mentions)
    assert table.empty and list(table.columns) == list(ACTION_COLUMNS)
