"""The default sentiment model: TF-IDF n-grams, logistic regression plus NB-LR, length-aware calibration."""

from __future__ import annotations

import copy
import functools
import logging

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from scipy import sparse
from threadpoolctl import threadpool_limits

from pipeline.errors import NotFittedError, PipelineError
from pipeline.sentiment.calibration import apply_calibrator, fit_calibrator, joined_runs
from pipeline.sentiment.features import (
    CompactVocabularyPickle,
    NgramAnalyzer,
    count_docs,
    fit_transform_docs,
    nb_log_count_ratio,
    transform_docs,
    transform_stack,
)
from pipeline.sentiment.topic_words import topic_column_scale

logger = logging.getLogger(__name__)

# Consecutive training lines are often pieces of one review: folds are cut in blocks of this
# many documents so pieces of a review do not sit on both sides of a calibration split.
FOLD_BLOCK = 30
# Run lengths of same-label documents joined into long pseudo-reviews for the calibrator.
JOINED_RUNS = (2, 4)
_EPS = 1e-6


def one_blas_thread(fit):
    """Run a fit with BLAS and OpenMP on one thread, so it gives the same model on any machine.

    scikit-learn's liblinear sums with BLAS (a dot product over every feature), and a BLAS on
    several threads adds in another order: the same corpus gave linear weights 1e-5 apart on
    one and two threads, calibrator weights 0.003 apart, and scores apart in the fourth
    decimal (7 of 100,000 labels changed). The libraries are loaded by then (this module
    imports scikit-learn), so the limit reaches them.
    """

    @functools.wraps(fit)
    def limited(*args, **kwargs):
        with threadpool_limits(limits=1):
            return fit(*args, **kwargs)

    return limited


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

    Domain experts: when ``fit`` is given a domain per document, each domain with enough
    documents also gets its own linear models and calibrator on the same features (an expert),
    and a gate: a logistic regression telling the domain's documents from the others.
    :meth:`for_domain` returns a view of the model that mixes, in log-odds, the general model
    with one expert, each document by as much as the gate finds it in the expert's domain (a
    book review keeps the general model's score under the hotel expert); the general model
    alone is the default.

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
        domain_min_docs: fewest documents (of both labels) a domain needs for an expert.
        topic_scale: multiplier of the topic features' columns while the linear models are
            fitted (see :mod:`pipeline.sentiment.topic_words`): a smaller value regularises
            their weights harder, so naming the front desk or the room (前台, 房间) is not
            read as a verdict; 1 turns it off. The scaling is folded back into the
            coefficients, so scoring costs nothing more.
    """

    # Models saved before topic_scale existed were fitted without it (get_params reads this).
    topic_scale = 1.0

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
        domain_min_docs: int = 300,
        topic_scale: float = 0.25,
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
        self.domain_min_docs = domain_min_docs
        self.topic_scale = topic_scale

    @one_blas_thread
    def fit(self, docs: list[list[str]], y, sample_weight=None, domains=None) -> SentimentModel:
        """Learn from token lists and 1/0 labels.

        Args:
            docs: one token list per review (punctuation removed, stopwords kept), in their
                source order (calibration folds keep neighbouring lines together).
            y: 1 positive, 0 negative.
            sample_weight: optional non-negative weight per document; None weighs every
                document 1.
            domains: optional domain name per document (``""`` for none): each domain with
                at least ``domain_min_docs`` documents of both labels gets an expert.

        Returns:
            self.

        Raises:
            PipelineError: docs are not token lists, labels are not 0/1 or only one class,
                weights or domains do not match the documents.
        """
        docs = check_docs(docs)
        y = check_labels(y, len(docs))
        w = None
        if sample_weight is not None:
            w = np.asarray(sample_weight, dtype=float)
            if w.shape != (len(docs),) or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
                raise PipelineError(f"sample_weight must be {len(docs)} finite non-negative numbers, not all zero.")
        if domains is not None:
            domains = np.array(["" if d is None else str(d) for d in domains], dtype=object)
            if len(domains) != len(docs):
                raise PipelineError(f"got {len(docs)} documents but {len(domains)} domains; they must match one to one.")
        if self.C <= 0:
            raise PipelineError(f"The 'C' parameter of SentimentModel must be a float > 0. Got {self.C!r} instead.")
        if not 0.0 < self.topic_scale <= 1.0:
            raise PipelineError(f"The 'topic_scale' parameter of SentimentModel must be in (0, 1] (1 = off). Got {self.topic_scale!r} instead.")
        if self.nb_C < 0:
            raise PipelineError(f"The 'nb_C' parameter of SentimentModel must be a float >= 0 (0 = no NB-LR). Got {self.nb_C!r} instead.")
        analyzer = NgramAnalyzer(self.word_ngrams, self.char_ngrams, self.negation_scope)
        min_df = self.min_df if len(docs) >= 10 * self.min_df else 1
        self.vectorizer_ = TfidfVectorizer(
            analyzer=analyzer, sublinear_tf=True, min_df=min_df, max_features=self.max_features, dtype=np.float32
        )
        X = fit_transform_docs(self.vectorizer_, docs)
        self.topic_columns_ = None
        if self.topic_scale < 1.0:
            self.topic_columns_ = topic_column_scale(self.vectorizer_.vocabulary_, docs, count_docs(self.vectorizer_, docs), y, self.topic_scale)
        n_tokens = np.array([len(d) for d in docs])
        data = (docs, X, y, w, n_tokens)
        self.linear_, self.calibrator_ = self._fit_head(data, np.arange(len(docs)))
        self.experts_ = {}
        self.gates_ = {}
        if domains is not None:
            for name in sorted(set(domains.tolist()) - {""}):
                rows = np.flatnonzero(domains == name)
                if len(rows) < self.domain_min_docs or len(rows) == len(docs) or len(np.unique(y[rows])) < 2:
                    logger.info("no sentiment expert for domain %r: %d documents", name, len(rows))
                    continue
                self.experts_[name] = self._fit_head(data, rows)
                gate = LogisticRegression(C=1.0, max_iter=2000, solver="liblinear", random_state=0).fit(X, (domains == name).astype(int))
                self.gates_[name] = (gate.coef_[0].astype(np.float32), float(gate.intercept_[0]))
        self.domain_ = None
        self.classes_ = np.array([0, 1])
        self.train_prior_ = float(y.mean() if w is None else np.average(y, weights=w))
        self.n_features_ = X.shape[1]
        logger.debug("sentiment model fitted (n=%d, features=%d, prior=%.3f, experts=%s)", len(docs), X.shape[1], self.train_prior_, sorted(self.experts_))
        return self

    def _fit_head(self, data, rows: np.ndarray):
        """(linear models, calibrator or None) trained on the documents at ``rows``."""
        docs, X, y, w, n_tokens = data
        sub = ([docs[i] for i in rows], X[rows], y[rows], None if w is None else w[rows], n_tokens[rows])
        calibrator = None
        if self.calibration_folds >= 2 and int(np.bincount(sub[2], minlength=2).min()) >= self.calibration_folds:
            z, n, labels, cw = self._out_of_fold(sub)
            if len(np.unique(labels)) == 2:
                calibrator = fit_calibrator(z, n, labels, by_length=self.length_calibration, sample_weight=cw)
        return self._fit_linear(sub[1], sub[2], sub[3]), calibrator

    def _fit_linear(self, X, y, w=None) -> list[tuple]:
        """(coefficients, intercept, NB scaling or None) per linear model, for the unscaled
        features (the topic columns' scaling, when on, is folded into the coefficients)."""
        scale = self.topic_columns_
        models = self._fit_linear_scaled(X if scale is None else X @ sparse.diags(scale), y, w)
        if scale is None:
            return models
        return [((coef * scale).astype(np.float32), intercept, ratio) for coef, intercept, ratio in models]

    def _fit_linear_scaled(self, X, y, w=None) -> list[tuple]:
        """:meth:`_fit_linear` on the features as given (topic columns already scaled)."""
        models = []
        lr = LogisticRegression(C=self.C, max_iter=2000, solver="liblinear", random_state=0).fit(X, y, sample_weight=w)
        models.append((lr.coef_[0].astype(np.float32), float(lr.intercept_[0]), None))
        if self.nb_C > 0:
            ratio = nb_log_count_ratio(X, y, w)
            nb = LogisticRegression(C=self.nb_C, max_iter=2000, solver="liblinear", random_state=0).fit(X @ sparse.diags(ratio), y, sample_weight=w)
            models.append(((nb.coef_[0] * ratio).astype(np.float32), float(nb.intercept_[0]), ratio))
        return models

    @staticmethod
    def _decision(linear: list[tuple], X) -> np.ndarray:
        # NB scaling is folded into the coefficients, so every model is one sparse product.
        return np.column_stack([X @ coef + intercept for coef, intercept, _ in linear])

    def _out_of_fold(self, sub):
        """Out-of-fold decision values for the lines and for joined pseudo-reviews."""
        docs, X, y, w, n_tokens = sub
        block = FOLD_BLOCK if len(docs) >= 20 * FOLD_BLOCK * self.calibration_folds else 1
        folds = (np.arange(len(docs)) // block) % self.calibration_folds
        zs, ns, labels, ws = [], [], [], []
        for k in range(self.calibration_folds):
            test = np.flatnonzero(folds == k)
            train = np.flatnonzero(folds != k)
            if len(np.unique(y[train])) < 2:
                continue
            linear = self._fit_linear(X[train], y[train], None if w is None else w[train])
            zs.append(self._decision(linear, X[test]))
            ns.append(n_tokens[test])
            labels.append(y[test])
            ws.append(np.ones(len(test)) if w is None else w[test])
            for run in JOINED_RUNS:
                groups = joined_runs(y, test, run)
                if not groups:
                    continue
                joined = [[t for i in g for t in docs[i]] for g in groups]
                zs.append(self._decision(linear, transform_docs(self.vectorizer_, joined)))
                ns.append(np.array([len(d) for d in joined]))
                labels.append(y[[g[0] for g in groups]])
                ws.append(np.ones(len(groups)) if w is None else np.array([w[g].mean() for g in groups]))
        if not zs:
            return np.empty((0, 1)), np.empty(0), np.empty(0, dtype=int), None
        return np.vstack(zs), np.concatenate(ns), np.concatenate(labels), None if w is None else np.concatenate(ws)

    def _check_fitted(self) -> None:
        if not hasattr(self, "linear_"):
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with token lists and labels, "
                "or get a trained one from load_default_model()."
            )

    @property
    def domains(self) -> list[str]:
        """Domains this model has an expert for."""
        return sorted(getattr(self, "experts_", {}) or {})

    def for_domain(self, domain: str | None, weight: float = 0.5) -> SentimentModel:
        """This model mixing in its ``domain`` expert: ``logit(P) = (1 - g) * logit(P_general)
        + g * logit(P_expert)`` with ``g = weight * gate(document)``, the gate being the
        probability that the document belongs to the domain. Returns the model itself when it
        has no such expert or ``weight`` is 0; otherwise a light copy (the fitted parts are
        shared, never changed).

        Raises:
            PipelineError: ``weight`` is not in [0, 1].
        """
        self._check_fitted()
        if not 0.0 <= weight <= 1.0:
            raise PipelineError(f"domain weight must be between 0 and 1, got {weight!r}.")
        if not domain or domain not in (getattr(self, "experts_", None) or {}) or weight == 0:
            return self
        view = copy.copy(self)
        view.domain_ = (domain, float(weight))
        return view

    def predict_proba(self, docs: list[list[str]]) -> np.ndarray:
        """Calibrated probabilities, shape (n, 2); column 1 is P(positive).

        Raises:
            NotFittedError: called before ``fit``.
        """
        self._check_fitted()
        docs = check_docs(docs)
        if not docs:
            return np.empty((0, 2))
        p = self.positive_from_features(transform_docs(self.vectorizer_, docs), [len(d) for d in docs])
        return np.column_stack([1.0 - p, p])

    def _head_positive(self, linear, calibrator, X, n_tokens) -> np.ndarray:
        z = self._decision(linear, X)
        if calibrator is not None:
            return apply_calibrator(calibrator, z, n_tokens, by_length=self.length_calibration)
        return 1.0 / (1.0 + np.exp(-np.clip(z.mean(axis=1), -30, 30)))

    def positive_from_features(self, X, n_tokens) -> np.ndarray:
        """Calibrated P(positive) from this model's TF-IDF matrix ``X`` of documents with ``n_tokens`` tokens."""
        self._check_fitted()
        p = self._head_positive(self.linear_, self.calibrator_, X, n_tokens)
        mix = getattr(self, "domain_", None)
        if mix is None:
            return p
        name, weight = mix
        linear, calibrator = self.experts_[name]
        q = self._head_positive(linear, calibrator, X, n_tokens)
        coef, intercept = self.gates_[name]
        g = weight / (1.0 + np.exp(-np.clip(X @ coef + intercept, -30, 30)))
        p, q = np.clip(p, _EPS, 1 - _EPS), np.clip(q, _EPS, 1 - _EPS)
        logit = (1 - g) * np.log(p / (1 - p)) + g * np.log(q / (1 - q))
        return 1.0 / (1.0 + np.exp(-logit))

    def predict(self, docs: list[list[str]]) -> np.ndarray:
        """1 (positive) where P(positive) >= 0.5, else 0."""
        return (self.predict_proba(docs)[:, 1] >= 0.5).astype(int)


def base_and_own_features(base, vectorizer, docs: list[list[str]]) -> tuple[np.ndarray, object]:
    """(``base``'s P(positive), ``vectorizer``'s TF-IDF matrix) of ``docs``.

    When ``base`` is a fitted :class:`SentimentModel` reading the same n-grams as
    ``vectorizer``, both come from one feature pass over the two vocabularies (a correction
    fitted on a dump would otherwise extract every n-gram twice); the values are the same.
    """
    if isinstance(base, SentimentModel) and hasattr(base, "linear_"):
        X_base, X_own = transform_stack([base.vectorizer_, vectorizer], docs)
        return base.positive_from_features(X_base, [len(d) for d in docs]), X_own
    return base.predict_proba(docs)[:, 1], transform_docs(vectorizer, docs)
