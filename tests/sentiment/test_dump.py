import numpy as np
import pytest

from pipeline.errors import PipelineError
from pipeline.sentiment import DumpAdaptedModel, adapt_on_dump
from pipeline.sentiment.dump import pseudo_label

POS = ["骑手很快，饭菜热乎", "送餐及时，味道好", "分量足，好吃", "很快送到，好评", "味道不错，骑手辛苦了"]
NEG = ["送了两个小时，饭都凉了", "骑手态度恶劣", "少送了一份饮料", "菜是凉的，难吃", "太咸了，骑手还慢"]


def test_dump_pseudo_label_respects_prior_and_fraction():
    labels = pseudo_label(np.linspace(0, 1, 100), prior=0.7, fraction=0.5)
    assert (labels == 1).sum() == 35 and (labels == 0).sum() == 15
    assert labels[:15].tolist() == [0] * 15 and labels[-35:].tolist() == [1] * 35


def test_dump_adapt_returns_new_model_and_keeps_base(small_model, segmenter):
    docs = [segmenter.cut(t) for t in (POS + NEG) * 12]
    before = small_model.predict_proba(docs[:3])
    adapted = adapt_on_dump(small_model, docs, min_docs=50, min_per_class=5)
    assert isinstance(adapted, DumpAdaptedModel) and adapted.base is small_model
    np.testing.assert_array_equal(small_model.predict_proba(docs[:3]), before)
    assert adapted.predict_proba(docs).shape == (len(docs), 2)


def test_dump_adapt_small_dump_returns_base(small_model, segmenter):
    docs = [segmenter.cut(t) for t in POS + NEG]
    assert adapt_on_dump(small_model, docs, min_docs=100) is small_model


def test_dump_adapt_rejects_bad_fraction(small_model):
    with pytest.raises(PipelineError, match="fraction must be in"):
        adapt_on_dump(small_model, [["好"]], fraction=0.0)


def test_dump_adapt_pseudo_labels_from_the_given_scores(small_model, segmenter):
    docs = [segmenter.cut(t) for t in (POS + NEG) * 12]
    own = small_model.predict_proba(docs)[:, 1]
    kw = dict(min_docs=50, min_per_class=5)
    # The model's own scores given: the same correction as scoring the dump itself.
    np.testing.assert_array_equal(adapt_on_dump(small_model, docs, scores=own, **kw).predict_proba(docs), adapt_on_dump(small_model, docs, **kw).predict_proba(docs))
    # Scores that rank the other way: the correction learns the other way.
    turned = adapt_on_dump(small_model, docs, scores=1.0 - own, **kw)
    shift = turned.predict_proba(docs)[:, 1] - own
    assert shift[: len(POS)].mean() < 0 < shift[len(POS) : len(POS) + len(NEG)].mean()
    with pytest.raises(PipelineError, match="one to one"):
        adapt_on_dump(small_model, docs, scores=own[:-1], **kw)
