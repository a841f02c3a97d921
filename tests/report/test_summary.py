"""Summary figures on the hand-made frame of conftest.py (worked out by hand in comments)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pipeline.report import compute_summary
from pipeline.report.scores import quality_index


@pytest.fixture
def summary(feedback, mentions, dims, run_info) -> dict:
    return compute_summary(feedback, mentions, dims, run_info=run_info)


def _dim(summary: dict, key: str) -> dict:
    return next(d for d in summary["dimensions"] if d["key"] == key)


def test_summary_is_strict_json(summary):
    json.dumps(summary, allow_nan=False, ensure_ascii=False)


def test_summary_nan_inputs_become_none(feedback, mentions, dims, run_info):
    feedback["sentiment_score"] = np.nan
    result = compute_summary(feedback, mentions, dims, run_info=run_info)
    assert result["sentiment"]["mean_score"] is None
    json.dumps(result, allow_nan=False)


def test_summary_echoes_run_info(summary, run_info):
    assert summary["run_info"] == run_info


def test_summary_counts_duplicates_but_does_not_score_them(summary):
    counts = summary["counts"]
    assert (counts["reviews"], counts["analysed"], counts["duplicates"]) == (6, 5, 1)
    assert counts["by_sentiment"] == {"positive": 1, "neutral": 2, "negative": 2}
    assert counts["by_feedback_type"]["complaint"] == 2  # r1 and r3; r5 is r1's copy
    assert counts["by_priority"]["critical"] == 1


def test_summary_sentiment_mean_and_shares(summary):
    # (0.2 + 0.9 + 0.3 + 0.5 + 0.6) / 5 = 0.5
    assert summary["sentiment"]["mean_score"] == pytest.approx(0.5)
    assert summary["sentiment"]["negative_share"] == pytest.approx(0.4)


def test_summary_dimension_scores_and_target_gap(summary):
    # tangibles: r1 negative, r2 and r3 positive → net 2/3 - 1/3; target 0.2 → gap 0.1333
    tangibles = _dim(summary, "tangibles")
    assert (tangibles["positive"], tangibles["negative"], tangibles["reviews"]) == (2, 1, 3)
    assert tangibles["net_score"] == pytest.approx(1 / 3, abs=1e-4)
    assert tangibles["gap"] == pytest.approx(1 / 3 - 0.2, abs=1e-4)
    assert tangibles["meets_target"] is False
    assert tangibles["label"] == "有形性"
    empathy = _dim(summary, "empathy")  # r1 positive, r6 neutral
    assert empathy["net_score"] == pytest.approx(0.5)
    assert empathy["gap"] is None and empathy["meets_target"] is None


def test_summary_unmentioned_dimension_has_no_score(summary):
    responsiveness = _dim(summary, "responsiveness")
    assert responsiveness["reviews"] == 0
    assert responsiveness["net_score"] is None


def test_summary_quality_index_by_hand(summary):
    # tangibles (1/3+1)/2*100 = 66.67, reliability (0+1)/2*100 = 50, empathy 75; price is not
    # SERVQUAL. Weights .17/.28/.14 renormalised: (11.333 + 14 + 10.5) / 0.59 = 60.73
    assert summary["service_quality_index"] == pytest.approx(60.73, abs=0.01)


def test_summary_quality_index_none_without_servqual_mentions():
    stats = [{"servqual": True, "weight": 0.2, "net_score": None},
             {"servqual": False, "weight": 0.0, "net_score": 1.0}]
    assert quality_index(stats) is None


def test_summary_quality_index_equal_weights_when_all_zero():
    stats = [{"servqual": True, "weight": 0.0, "net_score": 1.0},
             {"servqual": True, "weight": 0.0, "net_score": 0.0}]
    assert quality_index(stats) == pytest.approx(75.0)


def test_summary_by_store(summary):
    stores = {s["store"]: s for s in summary["by_store"]}
    assert set(stores) == {"店A", "店B"}  # r4 has no store
    # 店B: r3 (tangibles +, reliability -) and r6 (empathy neutral):
    # (.17*100 + .28*0 + .14*50) / .59 = 40.68
    assert stores["店B"]["service_quality_index"] == pytest.approx(40.68, abs=0.01)


def test_summary_trend_by_month(summary):
    trend = {t["month"]: t for t in summary["trend"]}
    assert list(trend) == ["2024-03", "2024-04"]
    march = trend["2024-03"]  # r1, r2, r6
    assert march["reviews"] == 3
    assert march["mean_sentiment"] == pytest.approx((0.2 + 0.9 + 0.6) / 3, abs=1e-4)
    # tangibles net 0 → 50, reliability 100, empathy 75: (8.5 + 28 + 10.5) / .59 = 79.66
    assert march["service_quality_index"] == pytest.approx(79.66, abs=0.01)
    assert march["dimension_negative_share"]["tangibles"] == pytest.approx(0.5)


def test_summary_trend_fills_gap_months(feedback, mentions, dims, run_info):
    feedback.loc[feedback["review_id"] == "r3", "date"] = "2024-06-02"
    result = compute_summary(feedback, mentions, dims, run_info=run_info)
    months = [t["month"] for t in result["trend"]]
    assert months == ["2024-03", "2024-04", "2024-05", "2024-06"]
    assert result["trend"][1]["reviews"] == 0
    assert result["trend"][1]["service_quality_index"] is None


def test_summary_trend_empty_without_dates(feedback, mentions, dims, run_info):
    feedback["date"] = ""
    assert compute_summary(feedback, mentions, dims, run_info=run_info)["trend"] == []


def test_summary_top_issues_rank_and_quotes(feedback, mentions, dims, run_info):
    extra = pd.DataFrame([
        {"review_id": "r3", "clause_index": 2, "clause": "房间有点脏", "dimension": "tangibles",
         "sub_aspect": "清洁", "polarity": "negative", "score": 0.3, "terms": "脏"},
    ])
    result = compute_summary(feedback, pd.concat([mentions, extra]), dims, run_info=run_info)
    top = result["top_issues"][0]
    assert (top["dimension"], top["sub_aspect"], top["count"]) == ("tangibles", "清洁", 2)
    assert top["share"] == pytest.approx(0.5)  # 2 of 4 negative clauses (r5 is a duplicate)
    assert top["examples"] == ["房间很脏", "房间有点脏"]  # most negative first
    assert top["dimension_label"] == "有形性"


def test_summary_top_praise(summary):
    assert {t["sub_aspect"] for t in summary["top_praise"]} == {"态度", "预订", "房间", "清洁"}


def test_summary_topics(summary):
    assert summary["topics"] == [
        {"topic_id": 0, "keywords": "房间 干净 脏", "size": 3, "negative_share": 0.6667}
    ]


def test_summary_actions_by_owner_and_overdue(summary):
    actions = summary["actions"]
    assert actions["total"] == 4  # r1, r3, r4, r6; r2 is praise, r5 a duplicate
    owners = {o["owner"]: o for o in actions["by_owner"]}
    assert owners["前台"]["total"] == 2 and owners["前台"]["high"] == 1
    # run_date 2024-04-01: r1 due 03-05 and r6 due 03-20 are overdue
    assert actions["overdue"] == 2


def test_summary_overdue_unknown_without_run_date(feedback, mentions, dims):
    result = compute_summary(feedback, mentions, dims, run_info={"run_id": "x"})
    assert result["actions"]["overdue"] is None


def test_summary_labels_from_dims_without_hardcoding(feedback, mentions, dims, run_info):
    dims[0]["label"] = "硬件设施"
    result = compute_summary(feedback, mentions, dims, run_info=run_info)
    assert _dim(result, "tangibles")["label"] == "硬件设施"


def test_summary_empty_frames(empty_feedback, empty_mentions, dims, run_info):
    result = compute_summary(empty_feedback, empty_mentions, dims, run_info=run_info)
    json.dumps(result, allow_nan=False)
    assert result["counts"]["reviews"] == 0
    assert result["service_quality_index"] is None
    assert result["trend"] == [] and result["top_issues"] == [] and result["by_store"] == []


def test_summary_without_optional_columns(feedback, mentions, dims, run_info):
    slim = feedback.drop(columns=["store", "date", "duplicate_of", "topic_id", "dim_empathy"])
    result = compute_summary(slim, mentions, dims, run_info=run_info)
    assert result["by_store"] == [] and result["trend"] == []
    # no dim_empathy column: clause mentions counted instead (r1 positive, r6 neutral)
    assert _dim(result, "empathy")["net_score"] == pytest.approx(0.5)


def test_summary_top_n_and_examples_per_issue(feedback, mentions, dims, run_info):
    result = compute_summary(
        feedback, mentions, dims, run_info=run_info, top_n=2, examples_per_issue=0
    )
    assert len(result["top_issues"]) == 2
    assert all(t["examples"] == [] for t in result["top_issues"])


def test_summary_accepts_nullable_string_frames(feedback, mentions, dims, run_info):
    # The runner hands over pandas "string" columns where missing values are <NA>.
    text_cols = [c for c in feedback.columns if c not in ("sentiment_score", "topic_id")]
    nullable = feedback.astype({c: "string" for c in text_cols})
    nullable.loc[nullable["review_id"] == "r4", ["date", "store", "duplicate_of"]] = pd.NA
    m = mentions.astype({c: "string" for c in ("clause", "sub_aspect", "terms")})
    m.loc[0, "sub_aspect"] = pd.NA
    m.loc[1, "score"] = np.nan
    result = compute_summary(nullable, m, dims, run_info=run_info)
    json.dumps(result, allow_nan=False)
    assert result["service_quality_index"] == pytest.approx(60.73, abs=0.01)
    assert result["counts"]["duplicates"] == 1


def test_summary_sub_aspect_labels_from_parameter(feedback, mentions, dims, run_info):
    mentions.loc[mentions["sub_aspect"] == "账单", "sub_aspect"] = "billing"
    default = compute_summary(feedback, mentions, dims, run_info=run_info)
    custom = compute_summary(feedback, mentions, dims, run_info=run_info, labels={"billing": "账单金额"})
    by_sub = {t["sub_aspect"]: t for t in default["top_issues"]}
    assert by_sub["billing"]["sub_aspect_label"] == "结账/账单"  # built-in fallback
    assert {t["sub_aspect"]: t for t in custom["top_issues"]}["billing"]["sub_aspect_label"] == "账单金额"
