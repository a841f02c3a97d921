"""The sentiment stage: domain expert, adaptation and prior facts, chunk-independent scores."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import pandas as pd

from pipeline.config import load_config
from pipeline.stages import sentiment as stage
from pipeline.stages.base import Resources

ROOT = Path(__file__).resolve().parents[2]
REVIEWS = [
    "房间干净，前台服务热情，下次还住",
    "隔音太差，晚上很吵，没睡好",
    "早餐品种丰富，位置方便",
    "空调坏了，打电话没人管",
    "性价比很高，推荐",
    "房间有异味，但是服务员态度很好",
] * 5


def _frame(tokenize) -> pd.DataFrame:
    clauses, tokens = tokenize(REVIEWS)
    return pd.DataFrame({"clauses": clauses, "clause_tokens": tokens})


@pytest.mark.parametrize("weight", [0.0, 0.25])
def test_stage_domain_weight_sets_or_turns_off_the_expert(small_model, tokenize, weight):
    config = load_config(ROOT / "configs" / "hotel.yaml", {"sentiment.domain_weight": weight})
    res = Resources(config=config, run_date=dt.date(2026, 1, 1))
    res.sentiment_model = small_model
    stage.fit(_frame(tokenize), config.sentiment, res)
    expected = None if weight == 0 else {"domain": "hotel", "weight": weight}
    assert res.facts.get("sentiment_domain_expert") == expected


def test_stage_hotel_config_mixes_expert_and_applies_prior(small_model, tokenize):
    config = load_config(ROOT / "configs" / "hotel.yaml")
    res = Resources(config=config, run_date=dt.date(2026, 1, 1))
    res.sentiment_model = small_model
    df = _frame(tokenize)
    stage.fit(df, config.sentiment, res)
    assert res.facts["sentiment_domain_expert"] == {"domain": "hotel", "weight": config.sentiment.domain_weight}
    assert res.sentiment_prior is not None and res.facts["sentiment_prior_applied"]
    whole = stage.run(df, config.sentiment, res)
    parts = pd.concat([stage.run(df.iloc[i : i + 4], config.sentiment, res) for i in range(0, len(df), 4)])
    np.testing.assert_array_equal(whole["sentiment_score"].to_numpy(), parts["sentiment_score"].to_numpy())
    assert whole["clause_scores"].tolist() == parts["clause_scores"].tolist()
    scores = whole["sentiment_score"].to_numpy()[:6]
    assert scores[0] > 0.5 > scores[1] and scores[4] > 0.5 > scores[3]


def test_stage_restaurant_config_has_no_expert(small_model, tokenize):
    config = load_config(ROOT / "configs" / "restaurant.yaml")
    res = Resources(config=config, run_date=dt.date(2026, 1, 1))
    res.sentiment_model = small_model
    stage.fit(_frame(tokenize), config.sentiment, res)
    assert "sentiment_domain_expert" not in res.facts
