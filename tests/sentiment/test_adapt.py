import numpy as np
import pytest

from pipeline.errors import PipelineError
from pipeline.sentiment import RatingAdaptedModel, adapt_on_ratings, ratings_to_labels

POS = ["骑手很快，饭菜热乎", "送餐及时，味道好", "分量足，好吃", "很快送到，好评"]
NEG = ["送了两个小时，饭都凉了", "骑手态度恶劣", "少送了一份饮料", "菜是凉的，难吃"]


def test_adapt_ratings_to_labels():
    assert ratings_to_labels([5, 4, 3, 2, 1, np.nan]).tolist() == [1, 1, -1, 0, 0, -1]


def test_adapt_returns_new_model_and_keeps_base(small_model, segmenter):
    docs = [segmenter.cut(t) for t in (POS + NEG) * 6]
    ratings = ([5] * len(POS) + [1] * len(NEG)) * 6
    before = small_model.predict_proba(docs[:2])
    adapted = adapt_on_ratings(small_model, docs, ratings, min_per_class=10)
    assert isinstance(adapted, RatingAdaptedModel) and adapted.base is small_model
    np.testing.assert_array_equal(small_model.predict_proba(docs[:2]), before)
    assert (adapted.predict(docs[:8]) == np.array([1] * 4 + [0] * 4)).all()


def test_adapt_too_few_ratings_returns_base(small_model, segmenter):
    docs = [segmenter.cut(t) for t in POS + NEG]
    assert adapt_on_ratings(small_model, docs, [5] * 4 + [1] * 4, min_per_class=20) is small_model


def test_adapt_rejects_overlapping_thresholds(small_model):
    with pytest.raises(PipelineError, match="must be below positive_min"):
        adapt_on_ratings(small_model, [["好"]], [5], positive_min=3, negative_max=3)
