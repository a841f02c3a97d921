"""Hand-written frames for the report tests (figures in test_summary are worked by hand)."""

from __future__ import annotations

import pandas as pd
import pytest

DIM_KEYS = ["tangibles", "reliability", "responsiveness", "assurance", "empathy", "price"]

DIMS = [
    {"key": "tangibles", "label": "有形性", "weight": 0.17, "servqual": True,
     "target_negative_share": 0.2},
    {"key": "reliability", "label": "可靠性", "weight": 0.28, "servqual": True,
     "target_negative_share": 0.1},
    {"key": "responsiveness", "label": "响应性", "weight": 0.22, "servqual": True,
     "target_negative_share": None},
    {"key": "assurance", "label": "保证性", "weight": 0.15, "servqual": True,
     "target_negative_share": None},
    {"key": "empathy", "label": "关怀性", "weight": 0.14, "servqual": True,
     "target_negative_share": None},
    {"key": "price", "label": "价格", "weight": 0.0, "servqual": False,
     "target_negative_share": None},
]

EVIL_TEXT = '<script>alert("x")</script> 前台在吗？ & 早餐几点'

# review_id, text, date, store, score, label, type, priority, owner, due, duplicate_of, dims
_ROWS = [
    ("r1", "房间很脏，服务员很热情", "2024-03-01", "店A", 0.2, "negative", "complaint",
     "critical", "客房部", "2024-03-05", "", {"tangibles": "negative", "empathy": "positive"}),
    ("r2", "房间干净，预订准确", "2024-03-10", "店A", 0.9, "positive", "praise",
     "none", "", "", "", {"tangibles": "positive", "reliability": "positive"}),
    ("r3", "房间不错，账单算错了", "2024-04-02", "店B", 0.3, "negative", "complaint",
     "high", "前台", "2024-04-20", "", {"tangibles": "positive", "reliability": "negative"}),
    ("r4", "价格太贵，建议打折", "", "", 0.5, "neutral", "suggestion",
     "low", "销售部", "", "", {"price": "negative"}),
    ("r5", "房间很脏，服务员很热情", "2024-03-01", "店A", 0.2, "negative", "complaint",
     "critical", "客房部", "2024-03-05", "r1", {"tangibles": "negative", "empathy": "positive"}),
    ("r6", EVIL_TEXT, "2024-03-15", "店B", 0.6, "neutral", "question",
     "medium", "前台", "2024-03-20", "", {"empathy": "neutral"}),
]

_MENTIONS = [
    ("r1", 0, "房间很脏", "tangibles", "清洁", "negative", 0.1, "脏"),
    ("r1", 1, "服务员很热情", "empathy", "态度", "positive", 0.9, "热情"),
    ("r2", 0, "房间干净", "tangibles", "清洁", "positive", 0.95, "干净"),
    ("r2", 1, "预订准确", "reliability", "预订", "positive", 0.8, "准确"),
    ("r3", 0, "房间不错", "tangibles", "房间", "positive", 0.7, "不错"),
    ("r3", 1, "账单算错了", "reliability", "账单", "negative", 0.05, "算错"),
    ("r4", 0, "价格太贵", "price", "价格水平", "negative", 0.2, "贵"),
    ("r5", 0, "房间很脏", "tangibles", "清洁", "negative", 0.1, "脏"),
    ("r6", 0, EVIL_TEXT, "empathy", "", "neutral", 0.5, ""),
]

RUN_INFO = {
    "run_id": "20240401-000000-abcd",
    "config": "hotel",
    "generated_at": "2024-04-01T06:00:00",
    "run_date": "2024-04-01",
}


def make_feedback() -> pd.DataFrame:
    """The six hand-made reviews (r5 duplicates r1)."""
    records = []
    for rid, text, date, store, score, label, kind, prio, owner, due, dup, dims in _ROWS:
        record = {
            "review_id": rid, "text": text, "date": date, "rating": "", "source": "test",
            "store": store, "sentiment_score": score, "sentiment_label": label,
            "topic_id": 0 if rid in ("r1", "r2", "r3") else -1,
            "topic_keywords": "房间 干净 脏" if rid in ("r1", "r2", "r3") else "",
            "dimensions": ";".join(dims), "feedback_type": kind, "priority": prio,
            "owner": owner, "action": f"处理 {rid}" if owner else "", "due_date": due,
            "duplicate_of": dup,
        }
        record.update({f"dim_{k}": dims.get(k, "") for k in DIM_KEYS})
        records.append(record)
    return pd.DataFrame(records)


def make_mentions() -> pd.DataFrame:
    """Clause mentions of the hand-made reviews."""
    columns = ["review_id", "clause_index", "clause", "dimension", "sub_aspect", "polarity",
               "score", "terms"]
    return pd.DataFrame(_MENTIONS, columns=columns)


def empty_like(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame with the same columns and no rows."""
    return frame.iloc[0:0].copy()


@pytest.fixture
def feedback() -> pd.DataFrame:
    return make_feedback()


@pytest.fixture
def mentions() -> pd.DataFrame:
    return make_mentions()


@pytest.fixture
def dims() -> list[dict]:
    return [dict(d) for d in DIMS]


@pytest.fixture
def run_info() -> dict:
    return dict(RUN_INFO)


@pytest.fixture
def empty_feedback() -> pd.DataFrame:
    return empty_like(make_feedback())


@pytest.fixture
def empty_mentions() -> pd.DataFrame:
    return empty_like(make_mentions())


@pytest.fixture
def evil_text() -> str:
    return EVIL_TEXT
