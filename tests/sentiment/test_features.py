"""The bulk feature path gives sklearn's matrix exactly; compact pickles load the same model."""

from __future__ import annotations

import pickle
import random

import joblib
import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from pipeline.sentiment.features import NgramAnalyzer, transform_docs

TOKENS = ["不", "没有", "好", "吃", "很", "差", "送餐", "太慢", "NEG_好", "好 吃", "#", "#好", "a b", "😀", "\U0010ffff", "味道不错"]


def _docs(rng: random.Random, n: int) -> list[list[str]]:
    return [[rng.choice(TOKENS) for _ in range(rng.randint(0, 12))] for _ in range(n)]


@pytest.mark.parametrize(
    "analyzer",
    [NgramAnalyzer(), NgramAnalyzer(1, (0, 0), 0), NgramAnalyzer(3, (2, 5), 3), NgramAnalyzer(2, (1, 1), 1)],
    ids=repr,
)
def test_features_transform_docs_equals_sklearn(analyzer):
    rng = random.Random(7)
    vectorizer = TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, min_df=1, dtype=np.float32).fit(_docs(rng, 300))
    docs = _docs(rng, 400) + [[]]
    expected = vectorizer.transform(docs)
    got = transform_docs(vectorizer, docs)
    assert np.array_equal(expected.indptr, got.indptr)
    assert np.array_equal(expected.indices, got.indices)
    assert np.array_equal(expected.data, got.data)


def test_features_transform_docs_on_the_trained_model(small_model, tokenize):
    _, clause_tokens = tokenize(["房间不干净，没有热水", "服务很好但是早餐太差", "一般般吧"])
    docs = [t for ct in clause_tokens for t in ct]
    expected = small_model.vectorizer_.transform(docs)
    got = transform_docs(small_model.vectorizer_, docs)
    assert (expected != got).nnz == 0


def test_features_compact_pickle_keeps_vocabulary_and_scores(small_model, tmp_path):
    path = tmp_path / "m.joblib"
    joblib.dump(small_model, path)
    loaded = joblib.load(path)
    assert list(loaded.vectorizer_.vocabulary_.items()) == list(small_model.vectorizer_.vocabulary_.items())
    docs = [["不", "好吃"], ["很", "满意"], []]
    assert np.array_equal(loaded.predict_proba(docs), small_model.predict_proba(docs))
    assert hasattr(small_model.vectorizer_, "vocabulary_")  # pickling left the original whole
    assert pickle.loads(pickle.dumps(loaded)).vectorizer_.vocabulary_ == small_model.vectorizer_.vocabulary_


SAFE_TOKENS = ["不", "没有", "好", "吃", "很", "差", "送餐", "太慢", "😀", "\U0010ffff", "味道不错", "NEG", "ab"]


@pytest.mark.parametrize(
    "analyzer",
    [NgramAnalyzer(), NgramAnalyzer(1, (0, 0), 0), NgramAnalyzer(2, (2, 3), 3), NgramAnalyzer(3, (1, 3), 2)],
    ids=repr,
)
@pytest.mark.parametrize("tokens", [SAFE_TOKENS, TOKENS], ids=["plain-tokens", "tricky-tokens"])
def test_features_fit_transform_docs_equals_sklearn(analyzer, tokens):
    from pipeline.sentiment.features import fit_transform_docs

    rng = random.Random(3)
    docs = [[rng.choice(tokens) for _ in range(rng.randint(0, 12))] for _ in range(300)] + [[]]
    ours, theirs = (TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, min_df=2, dtype=np.float32) for _ in range(2))
    got = fit_transform_docs(ours, docs)
    expected = theirs.fit_transform(docs)
    assert ours.vocabulary_ == theirs.vocabulary_
    np.testing.assert_array_equal(ours.idf_, theirs.idf_)
    got.sort_indices()
    expected.sort_indices()
    assert np.array_equal(expected.indptr, got.indptr) and np.array_equal(expected.indices, got.indices)
    assert np.array_equal(expected.data, got.data)
    # The fitted vectorizer transforms new documents like sklearn's.
    new = [[rng.choice(tokens) for _ in range(rng.randint(0, 8))] for _ in range(50)]
    assert (transform_docs(ours, new) != theirs.transform(new)).nnz == 0


def test_features_transform_stack_equals_separate_transforms():
    from pipeline.sentiment.features import transform_stack

    rng = random.Random(11)
    a = TfidfVectorizer(analyzer=NgramAnalyzer(), sublinear_tf=True, min_df=1, dtype=np.float32).fit(_docs(rng, 200))
    b = TfidfVectorizer(analyzer=NgramAnalyzer(), sublinear_tf=True, min_df=1, dtype=np.float32).fit(_docs(rng, 150))
    docs = _docs(rng, 300) + [[]]
    for separate, stacked in zip([transform_docs(a, docs), transform_docs(b, docs)], transform_stack([a, b], docs)):
        assert np.array_equal(separate.indptr, stacked.indptr)
        assert np.array_equal(separate.indices, stacked.indices)
        assert np.array_equal(separate.data, stacked.data)


class _Vocab:
    """Just what a union reads off a vectorizer."""

    def __init__(self, vocabulary: dict[str, int]) -> None:
        self.vocabulary_ = vocabulary


@pytest.mark.parametrize("first_columns", ["0..n-1", "gaps"])
def test_features_union_maps_every_term_to_each_vocabularys_column(first_columns):
    from pipeline.sentiment.features import _Union

    terms = ["不", "好", "好 吃", "a b c", "NEG_好", "#好", "#好吃", "#味道不错", "#"]
    cols = list(range(len(terms))) if first_columns == "0..n-1" else [3 * i + 7 for i in range(len(terms))]
    first = _Vocab(dict(zip(terms, cols)))
    second = _Vocab({"好": 0, "送餐": 1, "#送": 2, "送餐 太慢": 3, "NEG_快": 4, "#送餐慢": 5})
    union = _Union([first, second])
    merged = union.cols.vocabulary
    assert set(merged) == set(first.vocabulary_) | set(second.vocabulary_)
    assert sorted(merged.values()) == list(range(len(merged)))
    for v, m in zip((first, second), union.maps):
        assert {t: int(m[merged[t]]) for t in v.vocabulary_} == v.vocabulary_
        assert int((m[:-1] >= 0).sum()) == len(v.vocabulary_) and m[-1] == -1


def test_features_extended_columns_find_what_columns_built_at_once_find():
    from pipeline.sentiment.features import _Columns, feature_entries

    rng = random.Random(5)
    analyzer = NgramAnalyzer(2, (1, 4), 2)
    a = TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, min_df=1, dtype=np.float32).fit(_docs(rng, 120)).vocabulary_
    more = [t for t in TfidfVectorizer(analyzer=analyzer, min_df=1).fit(_docs(rng, 200)).vocabulary_ if t not in a]
    extra = {t: len(a) + i for i, t in enumerate(more)}
    assert extra  # the second vocabulary brings terms of every kind the first lacks
    docs = _docs(rng, 300)
    at_once = feature_entries(docs, analyzer, _Columns({**a, **extra}))
    extended = feature_entries(docs, analyzer, _Columns.extending(_Columns(a), extra))
    assert all(np.array_equal(x, y) for x, y in zip(at_once, extended))
    assert (at_once[1] >= len(a)).any()  # extra terms were found, not only the first vocabulary's
