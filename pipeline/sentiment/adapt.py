"""Domain adaptation from star ratings: no hand labels, the dump's own stars teach the model."""

from __future__ import annotations

import logging

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from pipeline.errors import NotFittedError, PipelineError
from pipeline.sentiment.features import CompactVocabularyPickle, NgramAnalyzer, fit_transform_docs
from pipeline.sentiment.model import base_and_own_features, check_docs, check_labels, one_blas_thread

logger = logging.getLogger(__name__)

_EPS = 1e-6


class RatingAdaptedModel(CompactVocabularyPickle, BaseEstimator, ClassifierMixin):
    """A base model plus a correction learned on one domain's rated reviews.

    The correction is a logistic regression over the base model's log-odds and the domain's
    own n-grams, so words the base corpus never saw (外卖, 骑手) get weights while the base
    view stays the starting point. The base model is only read, never changed.

    Args:
        base: a fitted model with ``predict_proba``.
        C: inverse regularisation of the correction (smaller trusts the base more).
        base_scale: multiplier of the base log-odds feature.
    """

    def __init__(self, base=None, C: float = 1.0, base_scale: float = 1.0) -> None:
        self.base = base
        self.C = C
        self.base_scale = base_scale

    def _design(self, p_base: np.ndarray, X_own) -> sparse.csr_matrix:
        p = np.clip(p_base, _EPS, 1 - _EPS)
        return sparse.hstack([sparse.csr_matrix((np.log(p / (1 - p)) * self.base_scale)[:, None]), X_own]).tocsr()

    @one_blas_thread
    def fit(self, docs: list[list[str]], y) -> RatingAdaptedModel:
        """Learn the correction on rated documents (1 positive, 0 negative).

        Returns:
            self.
        """
        if self.base is None:
            raise PipelineError("RatingAdaptedModel needs a fitted base model (base=...).")
        docs = check_docs(docs)
        y = check_labels(y, len(docs))
        self.vectorizer_ = TfidfVectorizer(analyzer=NgramAnalyzer(), sublinear_tf=True, min_df=2 if len(docs) >= 50 else 1, dtype=np.float32)
        X = self._design(self.base.predict_proba(docs)[:, 1], fit_transform_docs(self.vectorizer_, docs))
        self.classifier_ = LogisticRegression(C=self.C, max_iter=2000, solver="liblinear", random_state=0).fit(X, y)
        self.classes_ = np.array([0, 1])
        self.train_prior_ = float(y.mean())
        return self

    def predict_proba(self, docs: list[list[str]]) -> np.ndarray:
        """Probabilities, shape (n, 2); column 1 is P(positive) in this domain.

        Raises:
            NotFittedError: called before ``fit``.
        """
        if not hasattr(self, "classifier_"):
            raise NotFittedError("This RatingAdaptedModel instance is not fitted yet. Use adapt_on_ratings().")
        docs = check_docs(docs)
        if not docs:
            return np.empty((0, 2))
        return self.classifier_.predict_proba(self._design(*base_and_own_features(self.base, self.vectorizer_, docs)))

    def predict(self, docs: list[list[str]]) -> np.ndarray:
        """1 (positive) where P(positive) >= 0.5, else 0."""
        return (self.predict_proba(docs)[:, 1] >= 0.5).astype(int)


def ratings_to_labels(ratings, positive_min: float = 4, negative_max: float = 2) -> np.ndarray:
    """1 for ratings >= ``positive_min``, 0 for <= ``negative_max``, -1 for the rest or missing."""
    r = np.asarray(ratings, dtype=float)
    out = np.full(r.shape, -1, dtype=int)
    out[r >= positive_min] = 1
    out[r <= negative_max] = 0
    return out


def adapt_on_ratings(
    model,
    docs: list[list[str]],
    ratings,
    positive_min: float = 4,
    negative_max: float = 2,
    *,
    min_per_class: int = 20,
    C: float = 1.0,
):
    """Adapt ``model`` to a dump's domain using its star ratings as labels.

    Reviews rated ``>= positive_min`` count as positive, ``<= negative_max`` as negative, the
    rest (and missing ratings) are ignored.

    Args:
        model: the fitted default model (left unchanged).
        docs: token lists of the dump's reviews.
        ratings: one rating per review (NaN or None when missing).
        positive_min: lowest positive rating.
        negative_max: highest negative rating.
        min_per_class: fewer rated reviews than this in either class: return ``model`` as is.
        C: regularisation of the correction (see :class:`RatingAdaptedModel`).

    Returns:
        A new :class:`RatingAdaptedModel`, or ``model`` itself when there are too few ratings.

    Raises:
        PipelineError: ``negative_max >= positive_min`` or lengths differ.
    """
    if negative_max >= positive_min:
        raise PipelineError(f"negative_max ({negative_max}) must be below positive_min ({positive_min}).")
    docs = check_docs(docs)
    ratings = [np.nan if r is None else r for r in ratings]
    if len(ratings) != len(docs):
        raise PipelineError(f"adapt_on_ratings got {len(docs)} documents but {len(ratings)} ratings.")
    labels = ratings_to_labels(ratings, positive_min, negative_max)
    keep = np.flatnonzero(labels >= 0)
    counts = np.bincount(labels[keep], minlength=2)
    if counts.min() < min_per_class:
        logger.warning(
            "not adapting sentiment to ratings: %d negative / %d positive rated reviews, need %d of each", counts[0], counts[1], min_per_class
        )
        return model
    adapted = RatingAdaptedModel(base=model, C=C).fit([docs[i] for i in keep], labels[keep])
    logger.info("sentiment adapted on ratings (%d negative, %d positive)", counts[0], counts[1])
    return adapted
