"""Metrics and labels for sentiment scores."""

from __future__ import annotations

import logging

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, roc_auc_score

from pipeline.errors import PipelineError

logger = logging.getLogger(__name__)

LABELS = np.array(["negative", "neutral", "positive"])


def label_scores(scores, neutral_low: float = 0.4, neutral_high: float = 0.6) -> np.ndarray:
    """Name each score: ``negative`` below ``neutral_low``, ``positive`` above ``neutral_high``, else ``neutral``.

    Raises:
        PipelineError: the band is not ``0 <= neutral_low <= neutral_high <= 1``.
    """
    if not 0.0 <= neutral_low <= neutral_high <= 1.0:
        raise PipelineError(f"neutral band must satisfy 0 <= neutral_low <= neutral_high <= 1, got [{neutral_low}, {neutral_high}].")
    s = np.asarray(scores, dtype=float)
    idx = np.where(s < neutral_low, 0, np.where(s > neutral_high, 2, 1))
    return LABELS[idx]


def evaluate(y_true, scores, threshold: float = 0.5) -> dict:
    """Accuracy, macro-F1, AUC and confusion matrix of scores against 1/0 labels.

    Every review counts: a score at or above ``threshold`` is a positive prediction, below it a
    negative one. The neutral band (``sentiment_label == "neutral"``) is a reading aid for
    people and does not remove reviews from these figures or count them as wrong; see
    :func:`evaluate_band` for how the decided labels alone fare.

    Returns:
        ``{"n", "accuracy", "macro_f1", "auc", "confusion_matrix", "positive_share"}``; the
        matrix is ``[[tn, fp], [fn, tp]]``; ``auc`` is None when only one class is present.

    Raises:
        PipelineError: lengths differ or labels are not 0/1.
    """
    y = np.asarray(y_true).astype(int)
    s = np.asarray(scores, dtype=float)
    if len(y) != len(s):
        raise PipelineError(f"evaluate got {len(y)} labels but {len(s)} scores.")
    if not set(np.unique(y).tolist()) <= {0, 1}:
        raise PipelineError("evaluate needs labels 1 (positive) / 0 (negative).")
    pred = (s >= threshold).astype(int)
    both = len(np.unique(y)) == 2
    return {
        "n": int(len(y)),
        "accuracy": float(accuracy_score(y, pred)) if len(y) else float("nan"),
        "macro_f1": float(f1_score(y, pred, average="macro", labels=[0, 1], zero_division=0)),
        "auc": float(roc_auc_score(y, s)) if both else None,
        "confusion_matrix": confusion_matrix(y, pred, labels=[0, 1]).tolist(),
        "positive_share": float(y.mean()) if len(y) else float("nan"),
    }


def evaluate_band(y_true, scores, neutral_low: float = 0.4, neutral_high: float = 0.6) -> dict:
    """How the labels a person sees fare: the share of reviews labelled neutral, and the
    accuracy of the positive / negative labels on the other reviews.

    Returns:
        ``{"neutral_share", "decided", "decided_accuracy"}`` (accuracy NaN when every review is neutral).
    """
    y = np.asarray(y_true).astype(int)
    labels = label_scores(scores, neutral_low, neutral_high)
    decided = labels != "neutral"
    correct = (labels == "positive") & (y == 1) | (labels == "negative") & (y == 0)
    return {
        "neutral_share": float((~decided).mean()) if len(y) else float("nan"),
        "decided": int(decided.sum()),
        "decided_accuracy": float(correct[decided].mean()) if decided.any() else float("nan"),
    }


def format_report(name: str, metrics: dict) -> str:
    """One readable block for ``evaluate``'s result (for the CLI and the benchmark)."""
    (tn, fp), (fn, tp) = metrics["confusion_matrix"]
    auc = "n/a" if metrics["auc"] is None else f"{metrics['auc']:.3f}"
    return (
        f"{name}: n={metrics['n']} accuracy={metrics['accuracy']:.3f} macro_f1={metrics['macro_f1']:.3f} auc={auc}\n"
        f"  confusion [[tn fp] [fn tp]] = [[{tn} {fp}] [{fn} {tp}]]"
    )
