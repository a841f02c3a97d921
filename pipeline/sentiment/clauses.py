"""Clause-level scoring: each clause scored, the review score aggregates them."""

from __future__ import annotations

import itertools
import logging

import numpy as np

from pipeline.errors import PipelineError
from pipeline.sentiment.features import DEGREE_WORDS
from pipeline.text import DEFAULT_CONTRAST_WORDS

logger = logging.getLogger(__name__)

_EPS = 1e-6


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def clause_weights(
    clauses: list[str],
    tokens: list[list[str]],
    *,
    contrast_weight: float = 2.0,
    degree_weight: float = 1.5,
    contrast_words: tuple[str, ...] = DEFAULT_CONTRAST_WORDS,
) -> np.ndarray:
    """Weight of each clause in its review's score.

    A clause opening with a contrast word (但是服务太差) and every clause after it are
    multiplied by ``contrast_weight`` (once per contrast seen so far); a clause with a degree
    adverb (太, 非常) by ``degree_weight``; a clause without tokens weighs 0.

    Returns:
        One non-negative weight per clause.
    """
    return np.array(_clause_weights(clauses, tokens, contrast_weight, degree_weight, tuple(contrast_words)), dtype=float)


def _clause_weights(clauses: list[str], tokens: list[list[str]], contrast_weight: float, degree_weight: float, contrast: tuple[str, ...]) -> list[float]:
    weights = []
    factor = 1.0
    for clause, toks in zip(clauses, tokens):
        if clause.startswith(contrast):
            factor *= contrast_weight
        w = factor
        if degree_weight != 1.0 and not DEGREE_WORDS.isdisjoint(toks):
            w *= degree_weight
        weights.append(w if toks else 0.0)
    return weights


def _predict_unique(model, docs: list[list[str]]) -> np.ndarray:
    """P(positive) of every document, each distinct token list scored once.

    A one-clause review is its own clause, and short clauses (味道不错) repeat across reviews;
    a document's probability does not depend on the others in the batch.
    """
    position: dict[tuple[str, ...], int] = {}
    inverse = [position.setdefault(key, len(position)) for key in map(tuple, docs)]
    if len(position) == len(docs):
        return model.predict_proba(docs)[:, 1]
    proba = model.predict_proba(list(map(list, position)))[:, 1]
    return proba[np.asarray(inverse, dtype=np.intp)]


def score_reviews(
    model,
    clauses: list[list[str]],
    clause_tokens: list[list[list[str]]],
    *,
    contrast_weight: float = 2.0,
    degree_weight: float = 1.5,
    review_weight: float = 0.8,
    contrast_words: tuple[str, ...] = DEFAULT_CONTRAST_WORDS,
    contrast_only: bool = True,
) -> tuple[np.ndarray, list[list[float]]]:
    """Score every clause and every review, in one ``predict_proba`` call.

    The review score blends, in log-odds, the weighted mean of its clause log-odds (see
    :func:`clause_weights`) with the model's score of the whole review::

        logit(score) = review_weight * logit(P(review)) + (1 - review_weight) * mean_w(logit(P(clause)))

    Negation (不干净, 没有热水) is handled by the model's negation features inside each clause.

    Args:
        model: a fitted model with ``predict_proba(list[list[str]])``.
        clauses: per review, its clause texts (from ``split_clauses``).
        clause_tokens: per review, per clause, its tokens.
        contrast_weight: factor for a contrast clause and those after it (1 = no effect).
        degree_weight: factor for clauses with a degree adverb (1 = no effect).
        review_weight: share of the whole-review score in the blend (0 = clauses only, 1 = whole review only).
        contrast_words: words that open a contrasting clause.
        contrast_only: blend in the clause view only for reviews that turn (a later clause opens
            with a contrast word); other reviews keep the whole-review score, which measured
            better (short neutral clauses pull a plain mean towards the negative side).

    Returns:
        (review scores P(positive), shape (n,); per review the list of clause P(positive)).
        A review without tokens scores 0.5.

    Raises:
        PipelineError: ``clauses`` and ``clause_tokens`` do not line up, or a weight is out of range.
    """
    if len(clauses) != len(clause_tokens):
        raise PipelineError(f"score_reviews got {len(clauses)} clause lists but {len(clause_tokens)} token lists; they must match.")
    if not 0.0 <= review_weight <= 1.0:
        raise PipelineError(f"review_weight must be between 0 and 1, got {review_weight!r}.")
    if contrast_weight <= 0 or degree_weight <= 0:
        raise PipelineError(f"contrast_weight and degree_weight must be > 0, got {contrast_weight!r} and {degree_weight!r}.")
    n = len(clauses)
    contrast = tuple(contrast_words)
    flat: list[list[str]] = []
    w: list[float] = []
    turns = np.zeros(n, dtype=bool)
    for i, (cl, toks) in enumerate(zip(clauses, clause_tokens)):
        if len(cl) != len(toks):
            raise PipelineError(f"review {i}: {len(cl)} clauses but {len(toks)} token lists.")
        flat.extend(toks)
        turns[i] = any(c.startswith(contrast) for c in cl[1:])
        w.extend(_clause_weights(cl, toks, contrast_weight, degree_weight, contrast))
    counts = np.fromiter(map(len, clause_tokens), dtype=np.intp, count=n)
    owner_arr = np.repeat(np.arange(n), counts)
    whole = [list(itertools.chain.from_iterable(toks)) for toks in clause_tokens] if review_weight > 0 else []
    batch = flat + whole
    proba = _predict_unique(model, batch) if batch else np.empty(0)
    p_clause = proba[: len(flat)]
    w = np.asarray(w, dtype=float)
    wsum = np.bincount(owner_arr, weights=w, minlength=n)
    lsum = np.bincount(owner_arr, weights=w * _logit(p_clause), minlength=n)
    has_clause = wsum > 0
    clause_logit = np.where(has_clause, lsum / np.where(has_clause, wsum, 1.0), 0.0)
    if review_weight > 0:
        review_logit = _logit(proba[len(flat) :])
        has_tokens = np.array([bool(d) for d in whole])
        blend = review_weight * review_logit + (1 - review_weight) * clause_logit
        if contrast_only:
            blend = np.where(turns, blend, review_logit)
        logit = np.where(has_clause, blend, 0.0)
        logit = np.where(has_tokens, logit, 0.0)
    else:
        logit = clause_logit
    scores = 1.0 / (1.0 + np.exp(-logit))
    bounds = [0, *itertools.accumulate(counts.tolist())]
    p_list = p_clause.tolist()
    per_clause = [p_list[bounds[i] : bounds[i + 1]] for i in range(n)]
    return scores, per_clause
