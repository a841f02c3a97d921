"""snownlp's shipped naive Bayes as a backend, applied to jieba tokens."""

from __future__ import annotations

import logging
import math

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from pipeline.errors import NotFittedError
from pipeline.sentiment.model import check_docs, check_labels

logger = logging.getLogger(__name__)


class SnowNLPBayes(BaseEstimator, ClassifierMixin):
    """snownlp's naive Bayes on tokens we already have (no slow re-segmentation by SnowNLP).

    ``fit()`` without data loads the classifier snownlp ships; ``fit(docs, y)`` trains a new
    one on the given token lists. Its probabilities are naive-Bayes ones (often extreme), not
    calibrated like :class:`SentimentModel`'s.

    Args:
        filter_stopwords: drop snownlp's stopwords first, as snownlp does in training.
    """

    def __init__(self, filter_stopwords: bool = True) -> None:
        self.filter_stopwords = filter_stopwords

    def fit(self, docs: list[list[str]] | None = None, y=None) -> SnowNLPBayes:
        """Load the shipped classifier (no arguments) or train a new one on ``docs``/``y``.

        Returns:
            self.
        """
        from snownlp.classification.bayes import Bayes

        if docs is None:
            self.classifier_ = _shipped_bayes()
            self.train_prior_ = _positive_share(self.classifier_)
        else:
            docs = check_docs(docs)
            y = check_labels(y, len(docs))
            bayes = Bayes()
            bayes.train([[self._filter(d), "pos" if label else "neg"] for d, label in zip(docs, y)])
            self.classifier_ = bayes
            self.train_prior_ = float(y.mean())
        self.classes_ = np.array([0, 1])
        return self

    def _filter(self, tokens: list[str]) -> list[str]:
        if not self.filter_stopwords:
            return tokens
        from snownlp import normal

        return normal.filter_stop(tokens)

    def predict_proba(self, docs: list[list[str]]) -> np.ndarray:
        """Naive-Bayes probabilities, shape (n, 2); column 1 is P(positive).

        Raises:
            NotFittedError: called before ``fit``.
        """
        if not hasattr(self, "classifier_"):
            raise NotFittedError("This SnowNLPBayes instance is not fitted yet. Call 'fit()' to load snownlp's classifier.")
        docs = check_docs(docs)
        out = np.empty((len(docs), 2))
        d = self.classifier_.d
        log_total = math.log(self.classifier_.total)
        for i, doc in enumerate(docs):
            words = self._filter(doc)
            score = {}
            for label, prob in d.items():
                s = math.log(prob.getsum()) - log_total
                for w in words:
                    s += math.log(prob.freq(w))
                score[label] = s
            diff = max(min(score.get("neg", 0.0) - score.get("pos", 0.0), 700.0), -700.0)
            out[i, 1] = 1.0 / (1.0 + math.exp(diff))
        out[:, 0] = 1.0 - out[:, 1]
        return out

    def predict(self, docs: list[list[str]]) -> np.ndarray:
        """1 (positive) where P(positive) >= 0.5, else 0."""
        return (self.predict_proba(docs)[:, 1] >= 0.5).astype(int)


def _shipped_bayes():
    from snownlp.sentiment import Sentiment

    sentiment = Sentiment()
    sentiment.load()
    return sentiment.classifier


def _positive_share(bayes) -> float:
    pos = bayes.d["pos"].getsum() if "pos" in bayes.d else 0.0
    return float(pos / bayes.total) if bayes.total else 0.5
