"""Mentions and their polarity: the lexicon's verdict, the clause sentiment and, for weak
mentions, the tone around them; review-level ``dim_<key>`` from a review's mentions.

Re-exported by :mod:`pipeline.aspects`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

POSITIVE, NEUTRAL, NEGATIVE = "positive", "neutral", "negative"
# A weak mention takes the tone of its clause and this many clauses after it (and the review's).
WEAK_CONTEXT_AHEAD = 2


@dataclass(frozen=True)
class Mention:
    """One dimension/sub-aspect a clause talks about.

    Attributes:
        dimension: dimension key (``empathy``, ``price`` ...).
        sub_aspect: sub-aspect name from the lexicon (``attitude``, ``waiting`` ...).
        terms: the matched terms and pattern texts, in clause order.
        lexicon_polarity: +1 / -1 / 0 when an opinion term or a pattern decides (after
            negation), None when the clause sentiment must decide.
        weak: only subject terms named the aspect (服务员拿来了菜单): the tone around the
            mention decides, and only when it is clear (see :func:`resolve_polarity` and
            :func:`weak_context_score`).
    """

    dimension: str
    sub_aspect: str
    terms: tuple[str, ...]
    lexicon_polarity: int | None
    weak: bool = False


def combine_polarities(pols: Sequence[int]) -> int | None:
    """One polarity from a mention's terms: the sign of the sum, ties to the last signed one."""
    if not pols:
        return None
    total = sum(pols)
    if total:
        return 1 if total > 0 else -1
    signed = [p for p in pols if p]
    return signed[-1] if signed else 0


def resolve_polarity(mention: Mention, clause_score: float, neutral_low: float, neutral_high: float, review_score: float | None = None) -> tuple[str, float]:
    """Polarity of a mention from its lexicon polarity and the clause sentiment.

    An opinion term (after negation) decides the label: on the labelled restaurant reviews it
    is right far more often than a clause-level classifier. The clause score then only sets
    the strength: the returned score is the mean of the clause's P(positive) and the term's
    (1, 0.5 or 0), so it always agrees with the label. Without a lexicon polarity the clause
    score decides, with the neutral band.

    A weak mention (a subject named without an opinion: 服务员拿来了菜单) is neutral on its
    own: a clause-level classifier reads plain descriptions as mildly negative far too often
    to judge it. Given a tone score it takes that tone instead (with the same neutral band):
    on the labelled restaurant reviews, annotators label a staff or décor remark in a glowing
    review as positive, in an angry one as negative, and a named subject is mostly judged by
    what follows it (:func:`weak_context_score` mixes both).

    Args:
        mention: the mention.
        clause_score: P(positive) of the clause, 0..1.
        neutral_low: scores at or above this and ...
        neutral_high: ... at or below this are neutral.
        review_score: the tone for a weak mention: P(positive) of the whole review, or
            :func:`weak_context_score`; other mentions ignore it.

    Returns:
        ``(label, score)`` with label ``positive`` | ``neutral`` | ``negative``.
    """
    pol = mention.lexicon_polarity
    if pol is None and mention.weak:
        if review_score is None:
            return NEUTRAL, clause_score
        clause_score = float(review_score)
    if pol is None:
        if clause_score > neutral_high:
            return POSITIVE, clause_score
        if clause_score < neutral_low:
            return NEGATIVE, clause_score
        return NEUTRAL, clause_score
    if pol > 0:
        return POSITIVE, (clause_score + 1.0) / 2
    if pol < 0:
        return NEGATIVE, clause_score / 2
    return NEUTRAL, (clause_score + 0.5) / 2


def weak_context_score(review_score: float | None, clause_scores: Sequence[float], index: int, ahead: int = WEAK_CONTEXT_AHEAD) -> float | None:
    """The tone a weak mention takes: half the review's score, half the mean score of its
    clause and the ``ahead`` clauses after it.

    A subject named without an opinion (``首先说服务吧``, ``服务员``) is usually judged by what
    follows it; the review's score alone gives a glowing review's one complaint about the
    staff a positive label.

    Args:
        review_score: P(positive) of the review, or None.
        clause_scores: P(positive) of every clause of the review.
        index: the mention's clause.
        ahead: how many following clauses count.

    Returns:
        The score, or None when ``review_score`` is None (the mention then stays neutral).
    """
    if review_score is None:
        return None
    window = clause_scores[index : index + ahead + 1]
    if not len(window):
        return float(review_score)
    return 0.5 * float(review_score) + 0.5 * sum(map(float, window)) / len(window)


def aggregate_review(polarities: list[str]) -> str:
    """Review-level ``dim_<key>`` from the polarities of a review's mentions of that dimension.

    The majority of positive against negative mentions wins; a tie between them goes to
    ``negative`` so that a complaint is routed rather than cancelled out by praise
    (``环境不错，就是太吵``). Only neutral mentions give ``neutral``; no mention gives ``""``.

    Args:
        polarities: ``positive`` / ``neutral`` / ``negative`` per mention, in clause order.

    Returns:
        ``positive`` | ``neutral`` | ``negative``, or ``""`` when the list is empty.
    """
    if not polarities:
        return ""
    pos = polarities.count(POSITIVE)
    neg = polarities.count(NEGATIVE)
    if pos == neg == 0:
        return NEUTRAL
    if pos > neg:
        return POSITIVE
    return NEGATIVE
