"""The default sentiment model: TF-IDF n-grams, logistic regression plus NB-LR, length-aware calibration."""

from __future__ import annotations

import logging

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from scipy import sparse

from pipeline.errors import NotFittedError, PipelineError
from pipeline.sentiment.calibration import apply_calibrator, fit_calibrator, joined_runs
from pipeline.sentiment.features import CompactVocabularyPickle, NgramAnalyzer, transform_docs

logger = logging.getLogger(__name__)

# Consecutive training lines are often pieces of one review: folds are cut in blocks of this
# many documents so pieces of a review do not sit on both sides of a calibration split.
FOLD_BLOCK = 30
# Run lengths of same-label documents joined into long pseudo-reviews for the calibrator.
JOINED_RUNS = (2, 4)


def check_docs(docs, name: str = "docs") -> list[list[str]]:
    """Validate that ``docs`` is a list of token lists (not raw strings)."""
    docs = list(docs)
    if all(type(doc) is list for doc in docs):  # the common case: nothing to convert
        return docs
    for i, doc in enumerate(docs):
        if isinstance(doc, str) or not isinstance(doc, (list, tuple)):
            raise PipelineError(
                f"{name}[{i}] must be a list of tokens (from get_segmenter().cut), got {type(doc).__name__}: {str(doc)[:40]!r}. "
                "Segment the text first."
            )
    return [list(d) for d in docs]


def check_labels(y, n: int) -> np.ndarray:
    """Validate binary labels (1 positive, 0 negative) of length ``n``."""
    y = np.asarray(y)
    if len(y) != n:
        raise PipelineError(f"got {n} documents but {len(y)} labels; they must match one to one.")
    values = set(np.unique(y).tolist())
    if not values <= {0, 1}:
        raise PipelineError(f"labels must be 1 (positive) or 0 (negative), got values {sorted(values)[:10]}.")
    if len(values) < 2:
        raise PipelineError(f"training needs both classes; every label is {values.pop() if values else 'missing'}.")
    return y.astype(int)


class SentimentModel(CompactVocabularyPickle, BaseEstimator, ClassifierMixin):
    """Binary review sentiment on jieba tokens, with calibrated probabilities.

    Features are word 1-2 grams, negation-scope ``NEG_`` tokens and character n-grams, TF-IDF
    weighted (sublinear). Two L2 logistic regressions read them: one on the TF-IDF values, one
    on the same values scaled by naive-Bayes log-count ratios (NB-LR, Wang & Manning 2012).
    A length-aware Platt calibrator (see :mod:`pipeline.sentiment.calibration`) combines their
    decision values, fitted on out-of-fold predictions for the training lines and for long
    pseudo-reviews made of consecutive same-label lines, so ``0.8`` means about 80 % positive
    for a 5-token clause and for a 300-character review alike.

    Args:
        C: inverse regularisation strength of the logistic regression.
        word_ngrams: largest word n-gram.
        char_ngrams: (smallest, largest) character n-gram, ``(0, 0)`` for none.
        negation_scope: tokens after 不/没有/... marked as negated.
        min_df: drop features seen in fewer documents.
        max_features: keep at most this many features (most frequent); None keeps all.
        calibration_folds: folds for the out-of-fold calibration; 0 uses the raw logistic
            probabilities.
        nb_C: inverse regularisation of the NB-LR model; 0 switches it off.
        length_calibration: let the calibration slope and offset depend on the review length.
    """

    def __init__(
        self,
        C: float = 10.0,
        word_ngrams: int = 2,
        char_ngrams: tuple[int, int] = (1, 3),
        negation_scope: int = 2,
        min_df: int = 2,
        max_features: int | None = None,
        calibration_folds: int = 3,
        nb_C: float = 3.0,
        length_calibration: bool = True,
    ) -> None:
        self.C = C
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.negation_scope = negation_scope
        self.min_df = min_df
        self.max_features = max_features
        self.calibration_folds = calibration_folds
        self.nb_C = nb_C
        self.length_calibration = length_calibration

    def fit(self, docs: list[list[str]], y) -> SentimentModel:
        """Learn from token lists and 1/0 labels.

        Args:
            docs: one token list per review (punctuation removed, stopwords kept).
            y: 1 positive, 0 negative.

        Returns:
            self.

        Raises:
            PipelineError: docs are not token lists, labels are not 0/1 or only one class.
        """
        docs = check_docs(docs)
        y = check_labels(y, len(docs))
        if self.C <= 0:
            raise PipelineError(f"The 'C' parameter of SentimentModel must be a float > 0. Got {self.C!r} instead.")
        if self.nb_C < 0:
            raise PipelineError(f"The 'nb_C' parameter of SentimentModel must be a float >= 0 (0 = no NB-LR). Got {self.nb_C!r} instead.")
        analyzer = NgramAnalyzer(self.word_ngrams, self.char_ngrams, self.negation_scope)
        min_df = self.min_df if len(docs) >= 10 * self.min_df else 1
        self.vectorizer_ = TfidfVectorizer(
            analyzer=analyzer, sublinear_tf=True, min_df=min_df, max_features=self.max_features, dtype=np.float32
        )
        X = self.vectorizer_.fit_transform(docs)
        n_tokens = np.array([len(d) for d in docs])
        self.calibrator_ = None
        if self.calibration_folds >= 2 and int(np.bincount(y).min()) >= self.calibration_folds:
            z, n, labels = self._out_of_fold(docs, X, y, n_tokens)
            if len(np.unique(labels)) == 2:
                self.calibrator_ = fit_calibrator(z, n, labels, by_length=self.length_calibration)
        self.linear_ = self._fit_linear(X, y)
        self.classes_ = np.array([0, 1])
        self.train_prior_ = float(y.mean())
        self.n_features_ = X.shape[1]
        logger.debug("sentiment model fitted (n=%d, features=%d, prior=%.3f)", len(docs), X.shape[1], self.train_prior_)
        return self

    def _fit_linear(self, X, y) -> list[tuple]:
        """(coefficients, intercept, NB scaling or None) per linear model."""
        models = []
        lr = LogisticRegression(C=self.C, max_iter=2000, solver="liblinear", random_state=0).fit(X, y)
        models.append((lr.coef_[0].astype(np.float32), float(lr.intercept_[0]), None))
        if self.nb_C > 0:
            binary = (X > 0).astype(np.float32)
            pos = 1.0 + np.asarray(binary[y == 1].sum(axis=0)).ravel()
            neg = 1.0 + np.asarray(binary[y == 0].sum(axis=0)).ravel()
            ratio = (np.log(pos / pos.sum()) - np.log(neg / neg.sum())).astype(np.float32)
            nb = LogisticRegression(C=self.nb_C, max_iter=2000, solver="liblinear", random_state=0).fit(X @ sparse.diags(ratio), y)
            models.append(((nb.coef_[0] * ratio).astype(np.float32), float(nb.intercept_[0]), ratio))
        return models

    @staticmethod
    def _decision(linear: list[tuple], X) -> np.ndarray:
        # NB scaling is folded into the coefficients, so every model is one sparse product.
        return np.column_stack([X @ coef + intercept for coef, intercept, _ in linear])

    def _out_of_fold(self, docs, X, y, n_tokens):
        """Out-of-fold decision values for the lines and for joined pseudo-reviews."""
        block = FOLD_BLOCK if len(docs) >= 20 * FOLD_BLOCK * self.calibration_folds else 1
        folds = (np.arange(len(docs)) // block) % self.calibration_folds
        zs, ns, labels = [], [], []
        for k in range(self.calibration_folds):
            test = np.flatnonzero(folds == k)
            train = np.flatnonzero(folds != k)
            if len(np.unique(y[train])) < 2:
                continue
            linear = self._fit_linear(X[train], y[train])
            zs.append(self._decision(linear, X[test]))
            ns.append(n_tokens[test])
            labels.append(y[test])
            for run in JOINED_RUNS:
                groups = joined_runs(y, test, run)
                if not groups:
                    continue
                joined = [[t for i in g for t in docs[i]] for g in groups]
                zs.append(self._decision(linear, transform_docs(self.vectorizer_, joined)))
                ns.append(np.array([len(d) for d in joined]))
                labels.append(y[[g[0] for g in groups]])
        if not zs:
            return np.empty((0, 1)), np.empty(0), np.empty(0, dtype=int)
        return np.vstack(zs), np.concatenate(ns), np.concatenate(labels)

    def _check_fitted(self) -> None:
        if not hasattr(self, "linear_"):
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with token lists and labels, "
                "or get a trained one from load_default_model()."
            )

    def predict_proba(self, docs: list[list[str]]) -> np.ndarray:
        """Calibrated probabilities, shape (n, 2); column 1 is P(positive).

        Raises:
            NotFittedError: called before ``fit``.
        """
        self._check_fitted()
        docs = check_docs(docs)
        if not docs:
            return np.empty((0, 2))
        z = self._decision(self.linear_, transform_docs(self.vectorizer_, docs))
        if self.calibrator_ is not None:
            p = apply_calibrator(self.calibrator_, z, [len(d) for d in docs], by_length=self.length_calibration)
        else:
            p = 1.0 / (1.0 + np.exp(-np.clip(z.mean(axis=1), -30, 30)))
        return np.column_stack([1.0 - p, p])

    def predict(self, docs: list[list[str]]) -> np.ndarray:
        """1 (positive) where P(positive) >= 0.5, else 0."""
        return (self.predict_proba(docs)[:, 1] >= 0.5).astype(int)
