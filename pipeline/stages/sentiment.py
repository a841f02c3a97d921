"""sentiment: review and clause polarity from the sentiment model the runner loaded.

The model scores every clause in one batch; contrast clauses weigh more; the review score
is adapted to the dump's own label prior (EM, Saerens et al. 2002) when ``adapt_prior`` is
on, and the model is adapted to the domain on the dump's star ratings when
``adapt_on_rating`` is on and enough rated reviews exist.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from pipeline.config import SentimentParams
from pipeline.errors import StageError
from pipeline.stages.base import Resources

logger = logging.getLogger(__name__)

REQUIRES = ("clauses", "clause_tokens")
PRODUCES = ("sentiment_score", "sentiment_label", "clause_scores")
MIN_REVIEWS_FOR_PRIOR = 20


def run(df: pd.DataFrame, params: SentimentParams, res: Resources) -> pd.DataFrame:
    """Score every review and clause.

    Raises:
        StageError: the runner provided no sentiment model.
    """
    from pipeline import sentiment as sm

    model = res.sentiment_model
    if model is None:
        raise StageError("stage 'sentiment' needs a sentiment model in its resources; the runner loads it from sentiment.backend")
    clauses = df["clauses"].tolist()
    clause_tokens = df["clause_tokens"].tolist()
    if len(df) == 0:
        out = df.copy()
        out["sentiment_score"] = pd.Series([], dtype=float)
        out["sentiment_label"] = pd.Series([], dtype="string")
        out["clause_scores"] = pd.Series([], dtype=object)
        return out
    if params.adapt_on_rating and "rating" in df.columns:
        model = _adapt_on_ratings(model, df, clause_tokens, params, res)
    scores, clause_scores = sm.score_reviews(
        model,
        clauses,
        clause_tokens,
        contrast_weight=params.contrast_weight,
        degree_weight=params.degree_weight,
        review_weight=params.review_weight,
        contrast_words=tuple(res.config.segment.contrast_words),
    )
    scores = np.asarray(scores, dtype=float)
    if len(scores) >= MIN_REVIEWS_FOR_PRIOR:
        train_prior = float(getattr(model, "train_prior_", 0.5))
        prior, adjusted = sm.estimate_prior(scores, train_prior=train_prior)
        res.facts["sentiment_estimated_positive_prior"] = round(float(prior), 4)
        res.facts["sentiment_train_positive_prior"] = round(train_prior, 4)
        res.facts["sentiment_prior_applied"] = bool(params.adapt_prior)
        if params.adapt_prior:
            scores = np.asarray(adjusted, dtype=float)
    scores = np.clip(scores, 0.0, 1.0)
    out = df.copy()
    out["sentiment_score"] = scores
    out["sentiment_label"] = pd.array(sm.label_scores(scores, params.neutral_low, params.neutral_high), dtype="string")
    out["clause_scores"] = pd.Series([list(map(float, c)) for c in clause_scores], index=out.index, dtype=object)
    return out


def _adapt_on_ratings(model, df: pd.DataFrame, clause_tokens: list, params: SentimentParams, res: Resources):
    from pipeline import sentiment as sm

    ratings = pd.to_numeric(df["rating"].replace("", None), errors="coerce").to_numpy(dtype=float)
    usable = (ratings >= params.rating_positive_min) | (ratings <= params.rating_negative_max)
    n_pos = int((ratings >= params.rating_positive_min).sum())
    n_neg = int((ratings <= params.rating_negative_max).sum())
    if min(n_pos, n_neg) < params.min_rated_per_class:
        res.facts["sentiment_adapted_on_ratings"] = 0
        return model
    docs = [[t for ct in toks for t in ct] for toks in clause_tokens]
    adapted = sm.adapt_on_ratings(
        model, docs, ratings, positive_min=params.rating_positive_min, negative_max=params.rating_negative_max, min_per_class=params.min_rated_per_class
    )
    res.facts["sentiment_adapted_on_ratings"] = int(usable.sum())
    return adapted
