"""snownlp's shipped naive Bayes as a backend, applied to jieba tokens."""

from __future__ import annotations

import logging
import math

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from pipeline.errors import NotFittedError, PipelineError
from pipeline.sentiment.calibration import apply_calibrator, fit_calibrator, joined_runs
from pipeline.sentiment.model import FOLD_BLOCK, JOINED_RUNS, check_docs, check_labels, one_blas_thread

logger = logging.getLogger(__name__)


class SnowNLPBayes(BaseEstimator, ClassifierMixin):
    """snownlp's naive Bayes on tokens we already have (no slow re-segmentation by SnowNLP).

    ``fit()`` without data loads the classifier snownlp ships; ``fit(docs, y)`` trains a new
    one on the given token lists with snownlp's Bayes trainer.

    Raw naive-Bayes probabilities are extreme and length-dependent (every token multiplies the
    odds as if independent), so a 0.5 cut misfires: on snownlp's corpus the best single Platt
    slope on the NB log-odds is ~0.16. With ``calibration_folds >= 2``, ``fit(docs, y)`` also
    fits the length-aware Platt calibrator of :mod:`pipeline.sentiment.calibration` on
    out-of-fold NB log-odds (folds cut in contiguous blocks of ``FOLD_BLOCK`` lines, since
    neighbouring corpus lines are pieces of one review; plus joined same-label runs so the
    calibrator sees long texts), and ``predict_proba`` returns calibrated probabilities.

    Args:
        filter_stopwords: drop snownlp's stopwords first, as snownlp does in training.
        calibration_folds: folds for the out-of-fold calibration when training on data; 0 (or
            ``fit()`` without data) keeps the raw naive-Bayes probabilities.
    """

    def __init__(self, filter_stopwords: bool = True, calibration_folds: int = 0) -> None:
        self.filter_stopwords = filter_stopwords
        self.calibration_folds = calibration_folds

    @one_blas_thread
    def fit(self, docs: list[list[str]] | None = None, y=None) -> SnowNLPBayes:
        """Load the shipped classifier (no arguments) or train a new one on ``docs``/``y``.

        Returns:
            self.
        """
        if self.calibration_folds < 0 or self.calibration_folds == 1:
            raise PipelineError(f"The 'calibration_folds' parameter of SnowNLPBayes must be 0 or >= 2. Got {self.calibration_folds!r} instead.")
        self.calibrator_ = None
        if docs is None:
            self.classifier_ = _shipped_bayes()
            self.train_prior_ = _positive_share(self.classifier_)
        else:
            docs = check_docs(docs)
            y = check_labels(y, len(docs))
            filtered = [self._filter(d) for d in docs]
            self.classifier_ = _train_bayes(filtered, y)
            self.train_prior_ = float(y.mean())
            if self.calibration_folds >= 2 and int(np.bincount(y).min()) >= self.calibration_folds:
                z, n, labels = self._out_of_fold(filtered, y)
                if len(np.unique(labels)) == 2:
                    self.calibrator_ = fit_calibrator(z[:, None], n, labels)
        self.classes_ = np.array([0, 1])
        return self

    def _out_of_fold(self, filtered: list[list[str]], y: np.ndarray):
        """Out-of-fold NB log-odds (and filtered token counts, labels) for lines and joined runs."""
        k_folds = self.calibration_folds
        block = FOLD_BLOCK if len(filtered) >= 20 * FOLD_BLOCK * k_folds else 1
        folds = (np.arange(len(filtered)) // block) % k_folds
        zs, ns, labels = [], [], []
        for k in range(k_folds):
            test = np.flatnonzero(folds == k)
            train = np.flatnonzero(folds != k)
            if len(np.unique(y[train])) < 2:
                continue
            bayes = _train_bayes([filtered[i] for i in train], y[train])
            held = [filtered[i] for i in test]
            labs = y[test]
            for run in JOINED_RUNS:
                groups = joined_runs(y, test, run)
                held += [[t for i in g for t in filtered[i]] for g in groups]
                labs = np.concatenate([labs, y[[g[0] for g in groups]]]) if groups else labs
            zs.append(_log_odds(bayes, held))
            ns.append(np.array([len(d) for d in held]))
            labels.append(labs)
        if not zs:
            return np.empty(0), np.empty(0), np.empty(0, dtype=int)
        return np.concatenate(zs), np.concatenate(ns), np.concatenate(labels)

    def _filter(self, tokens: list[str]) -> list[str]:
        if not self.filter_stopwords:
            return tokens
        from snownlp import normal

        return normal.filter_stop(tokens)

    def decision_function(self, docs: list[list[str]]) -> np.ndarray:
        """Raw naive-Bayes log-odds log P(pos|doc) - log P(neg|doc), clipped to +-700.

        Raises:
            NotFittedError: called before ``fit``.
        """
        if not hasattr(self, "classifier_"):
            raise NotFittedError("This SnowNLPBayes instance is not fitted yet. Call 'fit()' to load snownlp's classifier.")
        docs = check_docs(docs)
        return _log_odds(self.classifier_, [self._filter(d) for d in docs])

    def predict_proba(self, docs: list[list[str]]) -> np.ndarray:
        """Probabilities, shape (n, 2); column 1 is P(positive).

        Calibrated (length-aware Platt on out-of-fold log-odds) when the model was trained with
        ``calibration_folds >= 2``; raw naive-Bayes probabilities otherwise.

        Raises:
            NotFittedError: called before ``fit``.
        """
        if not hasattr(self, "classifier_"):
            raise NotFittedError("This SnowNLPBayes instance is not fitted yet. Call 'fit()' to load snownlp's classifier.")
        docs = check_docs(docs)
        filtered = [self._filter(d) for d in docs]
        z = _log_odds(self.classifier_, filtered)
        calibrator = getattr(self, "calibrator_", None)  # absent in objects pickled before calibration existed
        if calibrator is not None:
            p = apply_calibrator(calibrator, z[:, None], [len(d) for d in filtered])
        else:
            p = 1.0 / (1.0 + np.exp(-z))
        return np.column_stack([1.0 - p, p])

    def predict(self, docs: list[list[str]]) -> np.ndarray:
        """1 (positive) where P(positive) >= 0.5, else 0."""
        return (self.predict_proba(docs)[:, 1] >= 0.5).astype(int)


def _train_bayes(filtered: list[list[str]], y: np.ndarray):
    """snownlp's Bayes trained on (already stopword-filtered) token lists."""
    from snownlp.classification.bayes import Bayes

    bayes = Bayes()
    bayes.train([[d, "pos" if label else "neg"] for d, label in zip(filtered, y)])
    return bayes


def _log_odds(bayes, filtered: list[list[str]]) -> np.ndarray:
    """NB log-odds (pos minus neg) of filtered token lists, exactly as snownlp's classify sums them."""
    d = bayes.d
    log_total = math.log(bayes.total)
    out = np.empty(len(filtered))
    for i, words in enumerate(filtered):
        score = {}
        for label, prob in d.items():
            s = math.log(prob.getsum()) - log_total
            for w in words:
                s += math.log(prob.freq(w))
            score[label] = s
        out[i] = max(min(score.get("pos", 0.0) - score.get("neg", 0.0), 700.0), -700.0)
    return out


def _shipped_bayes():
    from snownlp.sentiment import Sentiment

    sentiment = Sentiment()
    sentiment.load()
    return sentiment.classifier


def _positive_share(bayes) -> float:
    pos = bayes.d["pos"].getsum() if "pos" in bayes.d else 0.0
    return float(pos / bayes.total) if bayes.total else 0.5
