"""Adapting probabilities to a dump's class balance without labels (Saerens et al., 2002)."""

from __future__ import annotations

import logging

import numpy as np

from pipeline.errors import PipelineError

logger = logging.getLogger(__name__)

_EPS = 1e-6


def reweight_to_prior(p_pos: np.ndarray, train_prior: float, new_prior: float) -> np.ndarray:
    """Bayes-adjust P(positive) from the training prior to ``new_prior``.

    Args:
        p_pos: calibrated P(positive) under the training class balance.
        train_prior: share of positives the model was trained (calibrated) on.
        new_prior: share of positives assumed in the dump.

    Returns:
        Adjusted P(positive), same shape.
    """
    p = np.clip(np.asarray(p_pos, dtype=float), _EPS, 1 - _EPS)
    w_pos = new_prior / train_prior
    w_neg = (1 - new_prior) / (1 - train_prior)
    num = w_pos * p
    return num / (num + w_neg * (1 - p))


def estimate_prior(p_pos: np.ndarray, train_prior: float, max_iter: int = 100, tol: float = 1e-6) -> tuple[float, np.ndarray]:
    """Estimate a dump's positive share from unlabelled scores by EM (Saerens et al., 2002).

    Alternates: re-weight every probability to the current prior (E step), then set the
    prior to the mean re-weighted probability (M step), until the prior moves less than ``tol``.

    Args:
        p_pos: calibrated P(positive) of each review in the dump.
        train_prior: share of positives the model's calibration assumes (``model.train_prior_``).
        max_iter: most EM iterations.
        tol: stop when the prior changes less than this.

    Returns:
        (estimated positive prior in the dump, re-weighted probabilities). Threshold the
        re-weighted probabilities at 0.5.

    Raises:
        PipelineError: ``train_prior`` is not strictly between 0 and 1.
    """
    if not 0.0 < train_prior < 1.0:
        raise PipelineError(f"train_prior must be strictly between 0 and 1, got {train_prior!r}.")
    p = np.asarray(p_pos, dtype=float)
    if p.size == 0:
        return float(train_prior), p.copy()
    prior = float(train_prior)
    adjusted = reweight_to_prior(p, train_prior, prior)
    for it in range(max_iter):
        new_prior = float(np.clip(adjusted.mean(), _EPS, 1 - _EPS))
        adjusted = reweight_to_prior(p, train_prior, new_prior)
        if abs(new_prior - prior) < tol:
            prior = new_prior
            break
        prior = new_prior
    logger.debug("EM prior: %.3f (training %.3f, %d iterations)", prior, train_prior, it + 1)
    return prior, adjusted
