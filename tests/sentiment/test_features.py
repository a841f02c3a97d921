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
