"""The default sentiment model: TF-IDF n-grams, logistic regression, Platt calibration."""

from __future__ import annotations

import logging

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from pipeline.errors import NotFittedError, PipelineError
from pipeline.sentiment.features import NgramAnalyzer

logger = logging.getLogger(__name__)


def check_docs(docs, name: str = "docs") -> list[list[str]]:
    """Validate that ``docs`` is a list of token lists (not raw strings)."""
    docs = list(docs)
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


class SentimentModel(BaseEstimator, ClassifierMixin):
    """Binary review sentiment on jieba tokens, with calibrated probabilities.

    Features are word 1-2 grams, negation-scope ``NEG_`` tokens and character n-grams, TF-IDF
    weighted (sublinear); the classifier is an L2 logistic regression whose scores are
    Platt-calibrated on out-of-fold predictions, so ``0.8`` means about 80 % positive.

    Args:
        C: inverse regularisation strength of the logistic regression.
        word_ngrams: largest word n-gram.
        char_ngrams: (smallest, largest) character n-gram, ``(0, 0)`` for none.
        negation_scope: tokens after 不/没有/... marked as negated.
        min_df: drop features seen in fewer documents.
        max_features: keep at most this many features (most frequent); None keeps all.
        calibration_folds: folds for Platt calibration; 0 uses the raw logistic probabilities.
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
    ) -> None:
        self.C = C
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.negation_scope = negation_scope
        self.min_df = min_df
        self.max_features = max_features
        self.calibration_folds = calibration_folds

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
        analyzer = NgramAnalyzer(self.word_ngrams, self.char_ngrams, self.negation_scope)
        min_df = self.min_df if len(docs) >= 10 * self.min_df else 1
        self.vectorizer_ = TfidfVectorizer(
            analyzer=analyzer, sublinear_tf=True, min_df=min_df, max_features=self.max_features, dtype=np.float32
        )
        X = self.vectorizer_.fit_transform(docs)
        base = LogisticRegression(C=self.C, max_iter=2000, solver="liblinear", random_state=0)
        folds = min(self.calibration_folds, int(np.bincount(y).min()))
        if folds >= 2:
            cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
            self.classifier_ = CalibratedClassifierCV(base, method="sigmoid", cv=cv, ensemble=False).fit(X, y)
        else:
            self.classifier_ = base.fit(X, y)
        self.classes_ = np.array([0, 1])
        self.train_prior_ = float(y.mean())
        self.n_features_ = X.shape[1]
        logger.debug("sentiment model fitted (n=%d, features=%d, prior=%.3f)", len(docs), X.shape[1], self.train_prior_)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "classifier_"):
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
        return self.classifier_.predict_proba(self.vectorizer_.transform(docs))

    def predict(self, docs: list[list[str]]) -> np.ndarray:
        """1 (positive) where P(positive) >= 0.5, else 0."""
        return (self.predict_proba(docs)[:, 1] >= 0.5).astype(int)
