"""Tests for pipeline.topicmodel: determinism, persistence, guards, backends, summaries."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from pipeline.errors import ConfigError, NotFittedError, PipelineError, StageError
from pipeline.text import get_segmenter
from pipeline.topicmodel import TopicModel, summarize_topics, topic_dimension_shares

# Hand-written reviews (written for these tests) on four themes: room, breakfast, staff,
# location. Repeated with small variations so a small corpus still has co-occurring words.
REVIEWS = [
    "房间很干净，床单也很整洁，卫生间打扫得很好",
    "房间有点小，床很舒服，卫生间干净",
    "房间隔音太差，床垫太软，卫生间有异味",
    "房间宽敞明亮，床单干净，卫生间很大",
    "房间装修旧了，床单有污渍，卫生间漏水",
    "房间安静，床很大，卫生间热水充足",
    "早餐品种丰富，鸡蛋面包牛奶都有，咖啡好喝",
    "早餐太简单了，只有面包和鸡蛋，咖啡是冷的",
    "早餐很好吃，面包新鲜，牛奶很香",
    "早餐种类少，鸡蛋没熟，面包很硬",
    "早餐不错，咖啡和牛奶都有，水果新鲜",
    "早餐一般，面包普通，鸡蛋还行，水果太少",
    "前台服务员态度热情，办理入住很快，微笑服务",
    "前台态度冷淡，服务员爱理不理，入住等了很久",
    "服务员很热情，前台帮忙叫车，服务周到",
    "前台服务员不耐烦，退房办理很慢，态度差",
    "服务员态度好，前台主动帮忙拿行李，入住顺利",
    "前台服务员专业，入住退房都很快，服务贴心",
    "位置很好，离地铁站很近，交通方便",
    "位置偏僻，离地铁站太远，打车也不方便",
    "交通便利，地铁站就在门口，周边商场很多",
    "位置不错，步行到地铁站五分钟，附近吃饭方便",
    "离机场很远，交通不方便，周边没有商场",
    "地铁站旁边，位置方便，周边餐厅很多",
]
BACKENDS = ["lda", "nmf"]
FAST = {"passes": 3, "iterations": 30, "no_below": 2, "no_above": 0.6, "min_topics": 3, "max_topics": 5}


@pytest.fixture(scope="module")
def docs() -> list[list[str]]:
    seg = get_segmenter()
    return [seg.content_tokens(seg.cut(text)) for text in REVIEWS]


@pytest.fixture(scope="module", params=BACKENDS)
def fitted(request, docs) -> TopicModel:
    return TopicModel(backend=request.param, **FAST).fit(docs)


def _frame(docs: list[list[str]], model: TopicModel) -> pd.DataFrame:
    ids, probs = model.transform(docs)
    labels = ["positive", "negative", "neutral"]
    dims = ["tangibles", "tangibles;empathy", "", "empathy", "responsiveness;location"]
    return pd.DataFrame(
        {
            "review_id": [f"r{i}" for i in range(len(docs))],
            "text": REVIEWS[: len(docs)],
            "topic_id": ids,
            "topic_prob": probs,
            "sentiment_label": [labels[i % 3] for i in range(len(docs))],
            "dimensions": pd.array([dims[i % 5] for i in range(len(docs))], dtype="string"),
        }
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_topicmodel_two_fits_are_identical(docs, backend):
    a = TopicModel(backend=backend, **FAST).fit(docs)
    b = TopicModel(backend=backend, **FAST).fit(docs)
    assert a.keywords_ == b.keywords_
    assert a.coherence_scores_ == b.coherence_scores_
    ids_a, p_a = a.transform(docs)
    ids_b, p_b = b.transform(docs)
    np.testing.assert_array_equal(ids_a, ids_b)
    np.testing.assert_array_equal(p_a, p_b)


@pytest.mark.parametrize("backend", BACKENDS)
def test_topicmodel_parallel_fit_same_model_and_no_worker_left(docs, backend):
    import multiprocessing

    serial = TopicModel(backend=backend, **FAST).fit(docs)
    parallel = TopicModel(backend=backend, n_jobs=2, **FAST).fit(docs)
    assert len(serial.coherence_scores_) == 3  # k = 3, 4, 5: two workers share three fits
    assert parallel.coherence_scores_ == serial.coherence_scores_
    assert parallel.keywords_ == serial.keywords_
    np.testing.assert_array_equal(parallel.backend_.topic_word(), serial.backend_.topic_word())
    np.testing.assert_array_equal(parallel.transform(docs)[1], serial.transform(docs)[1])
    # The pool is closed after the fit: no idle worker holds memory while partitions run.
    assert multiprocessing.active_children() == []


def test_topicmodel_chooses_k_in_range_by_coherence(fitted):
    assert sorted(fitted.coherence_scores_) == [3, 4, 5]
    best = max(fitted.coherence_scores_.values())
    assert fitted.coherence_scores_[fitted.num_topics_] == best
    assert sorted(fitted.keywords_) == list(range(fitted.num_topics_))
    assert all(len(words) == fitted.top_n for words in fitted.keywords_.values())


def test_topicmodel_topics_numbered_largest_first(fitted):
    assert fitted.topic_sizes_ == sorted(fitted.topic_sizes_, reverse=True)
    assert sum(fitted.topic_sizes_) == fitted.n_docs_fit_


@pytest.mark.parametrize("backend", BACKENDS)
def test_topicmodel_fixed_num_topics(docs, backend):
    model = TopicModel(backend=backend, num_topics=4, **{k: v for k, v in FAST.items() if "topics" not in k}).fit(docs)
    assert model.num_topics_ == 4
    assert list(model.coherence_scores_) == [4]


def test_topicmodel_save_load_transform_identical(fitted, docs, tmp_path):
    fitted.save(tmp_path / "model")
    loaded = TopicModel.load(tmp_path / "model")
    assert loaded.params_fingerprint() == fitted.params_fingerprint()
    assert loaded.keywords_ == fitted.keywords_
    assert loaded.coherence_scores_ == fitted.coherence_scores_
    for got, want in zip(loaded.transform(docs), fitted.transform(docs)):
        np.testing.assert_array_equal(got, want)


def test_topicmodel_transform_does_not_depend_on_batch(fitted, docs):
    ids, probs = fitted.transform(docs)
    for i in (0, 7, len(docs) - 1):
        one_id, one_p = fitted.transform([docs[i]])
        assert one_id[0] == ids[i]
        assert one_p[0] == probs[i]


def test_topicmodel_empty_and_unknown_docs_get_minus_one(fitted, docs):
    ids, probs = fitted.transform([[], ["完全陌生的词"], docs[0]])
    assert ids[:2].tolist() == [-1, -1]
    assert probs[:2].tolist() == [0.0, 0.0]
    assert ids[2] >= 0 and 0 < probs[2] <= 1


def test_topicmodel_empty_docs_ignored_for_fitting(docs):
    with_empty = [[]] * 5 + list(docs) + [[]]
    a = TopicModel(**FAST).fit(docs)
    b = TopicModel(**FAST).fit(with_empty)
    assert a.keywords_ == b.keywords_
    assert b.n_docs_fit_ == len(docs)


@pytest.mark.parametrize("backend", BACKENDS)
def test_topicmodel_all_empty_corpus_gives_zero_topics(backend, caplog, tmp_path):
    with caplog.at_level(logging.WARNING, logger="pipeline.topicmodel"):
        model = TopicModel(backend=backend).fit([[], [], []])
    assert model.num_topics_ == 0 and model.keywords_ == {}
    assert "no topics fitted" in caplog.text
    ids, probs = model.transform([["房间"], []])
    assert ids.tolist() == [-1, -1] and probs.tolist() == [0.0, 0.0]
    model.save(tmp_path)
    assert TopicModel.load(tmp_path).transform([["房间"]])[0].tolist() == [-1]


def test_topicmodel_tiny_vocabulary_gives_zero_topics(caplog):
    docs = [["房间", "干净"], ["房间", "干净"], ["房间", "很大"]] * 3
    with caplog.at_level(logging.WARNING, logger="pipeline.topicmodel"):
        model = TopicModel(no_below=1, no_above=1.0).fit(docs)
    assert model.num_topics_ == 0
    assert "Lower no_below" in caplog.text


def test_topicmodel_max_docs_fits_on_a_deterministic_sample(docs):
    a = TopicModel(max_docs=16, **FAST).fit(docs)
    b = TopicModel(max_docs=16, **FAST).fit(docs)
    assert a.n_docs_fit_ <= 16
    assert a.keywords_ == b.keywords_
    assert (a.transform(docs)[0] >= -1).all() and len(a.transform(docs)[0]) == len(docs)


def test_topicmodel_stopwords_kept_out_of_keywords(docs):
    model = TopicModel(stopwords=["卫生间", "地铁站"], **FAST).fit(docs)
    assert "卫生间" not in model.vocabulary_ and "地铁站" not in model.vocabulary_


def test_topicmodel_fingerprint_tracks_model_params_only():
    base = TopicModel().params_fingerprint()
    assert TopicModel(n_jobs=2).params_fingerprint() == base
    assert TopicModel(no_below=5).params_fingerprint() != base
    assert TopicModel(stopwords=["b", "a"]).params_fingerprint() == TopicModel(stopwords=("a", "b")).params_fingerprint()


@pytest.mark.parametrize("method", ["transform", "save"])
def test_topicmodel_use_before_fit_raises_not_fitted(method, tmp_path):
    model = TopicModel()
    with pytest.raises(NotFittedError, match="not fitted yet. Call 'fit'"):
        model.transform([["房间"]]) if method == "transform" else model.save(tmp_path)


def test_topicmodel_invalid_params_all_listed(docs):
    with pytest.raises(ConfigError, match=r"\[topics -> backend\] must be one of 'lda', 'nmf'; got 'lsa'") as info:
        TopicModel(backend="lsa", no_above=0, relevance=2).fit(docs)
    assert len(info.value.problems) == 3
    assert "[topics -> no_above] must be a number in (0, 1]; got 0" in info.value.problems


def test_topicmodel_max_below_min_topics_rejected(docs):
    with pytest.raises(ConfigError, match=r"\[topics -> max_topics\] must be >= min_topics \(6\); got 4"):
        TopicModel(min_topics=6, max_topics=4).fit(docs)


def test_topicmodel_load_missing_model_raises(tmp_path):
    with pytest.raises(PipelineError, match="No saved topic model in .* Fit a model first"):
        TopicModel.load(tmp_path / "nothing")


def test_topicmodel_load_other_format_raises(fitted, tmp_path):
    fitted.save(tmp_path)
    path = tmp_path / "topic_model.json"
    path.write_text(path.read_text(encoding="utf-8").replace('"format": 1', '"format": 99'), encoding="utf-8")
    with pytest.raises(PipelineError, match="has format 99; this version reads format 1. Delete the folder to refit"):
        TopicModel.load(tmp_path)


def test_topicmodel_lda_e_step_matches_gensim():
    from gensim.models import LdaModel

    from pipeline.topicmodel.backends import bows_to_csr, lda_e_step

    bows = [[(0, 2.0), (3, 1.0)], [(1, 1.0), (2, 3.0), (4, 1.0)], [(5, 1.0)], [(0, 1.0), (5, 2.0)]] * 3
    lda = LdaModel(bows, id2word={i: str(i) for i in range(6)}, num_topics=3, random_state=1, passes=2, dtype=np.float64)
    lda.random_state = np.random.RandomState(7)
    want_gamma, want_sstats = lda.inference(bows, collect_sstats=True)
    gamma0 = np.random.RandomState(7).gamma(100.0, 1.0 / 100.0, (len(bows), 3))
    gamma, sstats = lda_e_step(bows_to_csr(bows, 6), lda.expElogbeta, lda.alpha, gamma0, lda.iterations, lda.gamma_threshold)
    np.testing.assert_allclose(gamma, want_gamma, rtol=1e-10)
    np.testing.assert_allclose(sstats, want_sstats, rtol=1e-10)


def test_topicmodel_summarize_topics_columns_and_shares(fitted, docs):
    df = _frame(docs, fitted)
    out = summarize_topics(df, fitted, n_examples=2)
    dims = ["dim_share_empathy", "dim_share_location", "dim_share_responsiveness", "dim_share_tangibles"]
    assert list(out.columns) == ["topic_id", "keywords", "size", "share", "positive_share", "negative_share", "neutral_share", *dims, "coherence", "examples"]
    assert out["topic_id"].tolist()[: fitted.num_topics_] == list(range(fitted.num_topics_))
    assert out["size"].sum() == len(df)
    assert out["share"].sum() == pytest.approx(1.0)
    sized = out[out["size"] > 0]
    shares = sized[["positive_share", "negative_share", "neutral_share"]].sum(axis=1)
    np.testing.assert_allclose(shares, 1.0)
    assert ((out[dims] >= 0) & (out[dims] <= 1)).all().all()
    first = out.iloc[0]
    assert first["keywords"] == " ".join(fitted.keywords_[0])
    assert 1 <= len(first["examples"].split(" | ")) <= 2


def test_topicmodel_summarize_topics_is_deterministic(fitted, docs):
    df = _frame(docs, fitted)
    pd.testing.assert_frame_equal(summarize_topics(df, fitted), summarize_topics(df.copy(), fitted))


def test_topicmodel_summarize_topics_examples_most_probable_first(fitted, docs):
    df = _frame(docs, fitted)
    out = summarize_topics(df, fitted, n_examples=1)
    members = df[df["topic_id"] == 0]
    best = members.sort_values("topic_prob", ascending=False, kind="stable").iloc[0]["text"]
    assert out.loc[out["topic_id"] == 0, "examples"].item() == best


def test_topicmodel_summarize_topics_missing_column_raises(fitted, docs):
    df = _frame(docs, fitted).drop(columns=["dimensions"])
    with pytest.raises(StageError, match=r"summarize_topics needs columns \['dimensions'\]"):
        summarize_topics(df, fitted)


def test_topicmodel_topic_dimension_shares():
    df = pd.DataFrame(
        {
            "topic_id": [0, 0, 0, 0, 1, 1, -1],
            "dimensions": pd.array(["tangibles", "tangibles;empathy", "", None, "empathy", "empathy", "price"], dtype="string"),
        }
    )
    shares = topic_dimension_shares(df)
    assert sorted(shares) == [0, 1]
    assert shares[0] == {"empathy": 0.25, "price": 0.0, "tangibles": 0.5}
    assert shares[1] == {"empathy": 1.0, "price": 0.0, "tangibles": 0.0}
