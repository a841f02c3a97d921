import datetime as dt

import pandas as pd
import pytest

from pipeline.config import load_config
from pipeline.stages import feedback
from tests.conftest import ROOT


def _mention(dim, polarity, sub="x", score=0.5):
    return {"dimension": dim, "sub_aspect": sub, "polarity": polarity, "score": score}


def _decide(text, score, label, mentions, date="2026-10-01", config=None):
    cfg = config or load_config(ROOT / "configs" / "hotel.yaml")
    return feedback.decide(text, score, label, mentions, date, cfg, dt.date(2026, 11, 1))


def test_feedback_complaint_routed_by_sub_aspect():
    d = _decide("房间很脏", 0.1, "negative", [_mention("tangibles", "negative", "cleanliness", 0.1)])
    assert (d.feedback_type, d.priority, d.owner) == ("complaint", "high", "客房部")
    assert d.due_date == "2026-10-04"  # 72 h from the review date


def test_feedback_mixed_is_low_priority():
    d = _decide("房间很好，就是有点吵", 0.7, "positive", [_mention("tangibles", "positive"), _mention("tangibles", "negative", "noise", 0.3)])
    assert (d.feedback_type, d.priority, d.owner) == ("mixed", "low", "工程部")


@pytest.mark.parametrize("text", ["房间里有蟑螂", "晚上钱包被盗了", "吃了早餐食物中毒", "插座漏电很危险", "床单让我过敏"])
def test_feedback_escalation_terms_are_critical_whatever_else(text):
    d = _decide(text + "，不过前台很热情，总体满意", 0.9, "positive", [_mention("empathy", "positive")])
    assert d.priority == "critical"
    assert d.feedback_type == "complaint"
    assert d.due_date == "2026-10-02"


def test_feedback_suggestion_and_question():
    assert _decide("建议早餐多一些水果", 0.6, "neutral", []).feedback_type == "suggestion"
    q = _decide("请问停车场收费吗？", 0.5, "neutral", [])
    assert (q.feedback_type, q.owner) == ("question", "前厅部")


@pytest.mark.parametrize(
    "text, kind",
    [
        ("生日那天房间里有蛋糕，不知道前台是怎么注意到的。总之非常推荐！", "praise"),  # a wonder, not a question
        ("不明白为什么要收押金，不过房间很好", "praise"),
        ("价格公道，节假日也没怎么涨价", "praise"),  # 没怎么: not much
        ("下雨天前台还问有没有淋湿，感觉很温暖", "praise"),  # the staff's question, reported
        ("不知道能不能带宠物入住？", "question"),  # the question mark asks
        ("房间很好。请问停车场收费吗", "question"),
        ("房间很好。停车多少钱", "question"),
    ],
)
def test_feedback_an_indirect_question_asks_nothing(text, kind):
    assert _decide(text, 0.9, "positive", []).feedback_type == kind


def test_feedback_praise_has_no_owner_or_due_date():
    d = _decide("非常满意", 0.95, "positive", [_mention("empathy", "positive")])
    assert (d.feedback_type, d.priority, d.owner, d.due_date) == ("praise", "none", "", "")


def test_feedback_due_date_from_run_date_when_no_review_date():
    d = _decide("服务太差", 0.1, "negative", [_mention("empathy", "negative")], date="")
    assert d.due_date == "2026-11-04"


def test_feedback_run_adds_columns(config, resources):
    df = pd.DataFrame(
        {
            "text_clean": ["房间很脏", "很好"],
            "sentiment_score": [0.1, 0.9],
            "sentiment_label": ["negative", "positive"],
            "mentions": [[_mention("tangibles", "negative", "cleanliness", 0.1)], []],
            "date": ["2026-10-01", ""],
        }
    )
    out = feedback.run(df, config.feedback, resources)
    assert out["feedback_type"].tolist() == ["complaint", "praise"]
    assert out["owner"].iloc[0] == "运营部"
