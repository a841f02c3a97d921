import numpy as np
import pytest
from sklearn.base import clone

from pipeline.errors import NotFittedError, PipelineError
from pipeline.sentiment import SentimentModel, SnowNLPBayes, read_corpus

DOCS = [["房间", "很", "干净"], ["服务", "太", "差"], ["早餐", "好吃"], ["不", "干净"], ["很", "满意"], ["太", "吵", "了"]] * 5
Y = [1, 0, 1, 0, 1, 0] * 5


@pytest.mark.parametrize("model_cls", [SentimentModel, SnowNLPBayes])
def test_model_predict_before_fit_raises_not_fitted(model_cls):
    with pytest.raises(NotFittedError, match="not fitted yet"):
        model_cls().predict_proba([["好"]])


def test_model_init_stores_params_only():
    model = SentimentModel(C=2.0)
    assert model.get_params()["C"] == 2.0
    assert not [k for k in vars(model) if k.endswith("_")]
    assert clone(model).get_params() == model.get_params()


@pytest.mark.parametrize("model_cls", [SentimentModel, SnowNLPBayes])
def test_model_fit_returns_self_with_probabilities(model_cls):
    model = model_cls()
    assert model.fit(DOCS, Y) is model
    proba = model.predict_proba(DOCS[:6])
    assert proba.shape == (6, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (model.predict(DOCS[:6]) == np.array(Y[:6])).all()


def test_model_rejects_raw_strings():
    with pytest.raises(PipelineError, match="list of tokens"):
        SentimentModel().fit(["房间很干净", "太差"], [1, 0])


def test_model_rejects_non_binary_labels():
    with pytest.raises(PipelineError, match="1 \\(positive\\) or 0"):
        SentimentModel().fit(DOCS[:4], [1, 2, 1, 0])


def test_model_rejects_bad_C():
    with pytest.raises(PipelineError, match="'C' parameter"):
        SentimentModel(C=0).fit(DOCS, Y)


def test_model_same_settings_identical_predictions():
    a = SentimentModel().fit(DOCS, Y).predict_proba(DOCS)
    b = SentimentModel().fit(DOCS, Y).predict_proba(DOCS)
    np.testing.assert_array_equal(a, b)


def test_model_snownlp_shipped_classifier(segmenter):
    model = SnowNLPBayes().fit()
    p = model.predict_proba([segmenter.cut("这个酒店非常好，服务周到"), segmenter.cut("太差了，再也不来了")])[:, 1]
    assert p[0] > 0.5 > p[1]


def test_model_calibration_on_held_out_corpus(small_model, segmenter):
    texts, y = read_corpus()
    rng = np.random.RandomState(1)
    idx = rng.choice(len(texts), 1500, replace=False)
    p = small_model.predict_proba([segmenter.cut(texts[i]) for i in idx])[:, 1]
    y = y[idx]
    # Within each probability band the share of positives is close to the band's mean score.
    bins = np.digitize(p, [0.2, 0.4, 0.6, 0.8])
    for b in np.unique(bins):
        sel = bins == b
        if sel.sum() >= 50:
            assert abs(y[sel].mean() - p[sel].mean()) < 0.15
    assert abs(p.mean() - y.mean()) < 0.08


def test_model_rejects_negative_nb_C():
    with pytest.raises(PipelineError, match="'nb_C' parameter"):
        SentimentModel(nb_C=-1).fit(DOCS, Y)


def test_model_long_reviews_more_confident_than_their_parts(small_model, segmenter):
    # The length-aware calibration lets evidence add up: a review made of three positive
    # clauses is surer than each clause alone.
    parts = [segmenter.cut(t) for t in ["房间很干净", "服务很周到", "早餐很丰富"]]
    p_parts = small_model.predict_proba(parts)[:, 1]
    p_whole = small_model.predict_proba([[t for p in parts for t in p]])[0, 1]
    assert p_whole > p_parts.max()


def test_model_sample_weight_leans_towards_weighted_documents():
    docs = [["房间", "小"], ["房间", "小"], ["很", "满意"], ["太", "差"]] * 8
    y = [1, 0, 1, 0] * 8
    even = SentimentModel(calibration_folds=0).fit(docs, y).predict_proba([["房间", "小"]])[0, 1]
    w = [3.0, 1.0, 1.0, 1.0] * 8
    leaning = SentimentModel(calibration_folds=0).fit(docs, y, sample_weight=w).predict_proba([["房间", "小"]])[0, 1]
    assert leaning > even
    with pytest.raises(PipelineError, match="sample_weight"):
        SentimentModel().fit(docs, y, sample_weight=[-1.0] * len(docs))


def test_model_domain_expert_and_gate(small_model, segmenter):
    assert small_model.domains == ["hotel"]
    hotel = small_model.for_domain("hotel", 0.5)
    assert hotel is not small_model and small_model.for_domain("restaurant") is small_model
    assert small_model.for_domain("hotel", 0.0) is small_model
    docs = [segmenter.cut(t) for t in ["酒店前台服务很热情，房间干净", "房间隔音太差，前台态度冷淡", "这本书的作者写得很好"]]
    p_general = small_model.predict_proba(docs)[:, 1]
    p_hotel = hotel.predict_proba(docs)[:, 1]
    assert p_hotel[0] > 0.5 > p_hotel[1]
    # The gate leaves a review far from the domain (a book) closer to the general score.
    assert abs(p_hotel[2] - p_general[2]) < max(abs(p_hotel[0] - p_general[0]), abs(p_hotel[1] - p_general[1]))
    np.testing.assert_array_equal(small_model.predict_proba(docs)[:, 1], p_general)  # the view changed nothing
    with pytest.raises(PipelineError, match="between 0 and 1"):
        small_model.for_domain("hotel", 1.5)


def test_model_domains_must_match_documents():
    with pytest.raises(PipelineError, match="domains"):
        SentimentModel().fit(DOCS, Y, domains=["hotel"])


def test_model_is_the_same_bits_whatever_the_blas_threads():
    # liblinear sums with BLAS: on two threads the same corpus gave other weights (1e-4 apart
    # here) before fits were held to one thread. (On a one-core machine both fits use one.)
    from threadpoolctl import threadpool_limits

    from pipeline.text import get_segmenter

    seg = get_segmenter()
    texts, y = read_corpus(limit=8000)
    docs = [seg.cut(t) for t in texts]
    fitted = []
    for threads in (2, 1):
        with threadpool_limits(limits=threads):
            fitted.append(SentimentModel().fit(docs, y))
    two, one = fitted
    for (c2, b2, _), (c1, b1, _) in zip(two.linear_, one.linear_):
        np.testing.assert_array_equal(c2, c1)
        assert b2 == b1
    np.testing.assert_array_equal(two.calibrator_.coef_, one.calibrator_.coef_)
