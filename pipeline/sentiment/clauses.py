"""Clause-level scoring: each clause scored, the review score aggregates them."""

from __future__ import annotations

import functools
import itertools
import logging
import operator
import re
import threading
import weakref

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
    if len(clauses) != len(tokens):
        raise PipelineError(f"clause_weights got {len(clauses)} clauses but {len(tokens)} token lists.")
    w, _ = _weights_and_turns(list(clauses), [list(tokens)], contrast_weight, degree_weight, tuple(contrast_words))
    return w


def _weights_and_turns(
    texts: list[str],
    clause_tokens: list[list[list[str]]],
    contrast_weight: float,
    degree_weight: float,
    contrast: tuple[str, ...],
    left_out: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Every clause's weight (``texts``: the clauses of all reviews, one after another) and,
    per review, whether a clause after its first opens with a contrast word: :func:`clause_weights`
    for many reviews at once. Clauses ``left_out`` (a review's exception) weigh 0, and a
    contrast word opening one turns nothing (唯一的缺点，就是隔音一般)."""
    n = len(clause_tokens)
    counts = np.fromiter(map(len, clause_tokens), dtype=np.intp, count=n)
    flat_tokens = list(itertools.chain.from_iterable(clause_tokens))
    m = len(flat_tokens)
    is_contrast = np.fromiter(map(str.startswith, texts, itertools.repeat(contrast)), dtype=bool, count=m)
    starts = np.cumsum(counts) - counts
    running = np.cumsum(is_contrast)
    before = np.concatenate([[0], running])[starts]  # contrast clauses before each review
    owner = np.repeat(np.arange(n), counts)
    seen = running - before[owner]  # contrast clauses so far in the clause's own review
    w = np.power(float(contrast_weight), seen.astype(float))
    if degree_weight != 1.0:
        plain = np.fromiter(map(DEGREE_WORDS.isdisjoint, flat_tokens), dtype=bool, count=m)
        w = np.where(plain, w, w * degree_weight)
    w[np.fromiter(map(len, flat_tokens), dtype=np.intp, count=m) == 0] = 0.0
    if left_out is not None:
        w[left_out] = 0.0
        is_contrast = is_contrast & ~left_out
    total = np.bincount(owner, weights=is_contrast, minlength=n)
    first = np.zeros(n)
    has = counts > 0
    first[has] = is_contrast[starts[has]]
    return w, (total - first) > 0


# Scores of short documents (clauses, one-clause reviews) kept per model for the life of the
# process: on a large dump the same clauses (味道不错, 服务很好) come back in every partition.
# A document's probability does not depend on the batch it is scored in, so a remembered
# score is exactly the score it would get again: the memo saves time and changes nothing.
MEMO_MAX_TOKENS = 12
MEMO_MAX_ENTRIES = 300_000
_KEY_SEP = "\x00"
_MEMOS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_MEMOS_LOCK = threading.Lock()
_FITTED_PARTS = ("linear_", "calibrator_", "classifier_", "vectorizer_", "base", "experts_", "gates_", "domain_")


def _memo(model) -> dict[str, float] | None:
    """The memo of ``model``'s scores, emptied when the model was refitted since; None when
    the model cannot be weakly referenced."""
    stamp = tuple(id(getattr(model, a, None)) for a in _FITTED_PARTS)
    try:
        with _MEMOS_LOCK:
            entry = _MEMOS.get(model)
            if entry is None or entry[0] != stamp:
                entry = (stamp, {})
                _MEMOS[model] = entry
    except TypeError:
        return None
    return entry[1]


def clear_memo() -> None:
    """Forget every remembered clause score (frees memory; results are unchanged)."""
    with _MEMOS_LOCK:
        _MEMOS.clear()


def _predict_unique(model, docs: list[list[str]]) -> np.ndarray:
    """P(positive) of every document, each distinct token list scored once.

    A one-clause review is its own clause, and short clauses (味道不错) repeat across reviews
    and across partitions: short documents already scored by this model in this process are
    taken from its memo (see ``MEMO_MAX_TOKENS``).
    """
    position: dict[tuple[str, ...], int] = {}
    # Each distinct document keeps the index of its first occurrence.
    inverse = np.fromiter(map(position.setdefault, map(tuple, docs), itertools.count()), dtype=np.intp, count=len(docs))
    firsts = np.fromiter(position.values(), dtype=np.intp, count=len(position))
    renumber = np.empty(len(docs), dtype=np.intp)
    renumber[firsts] = np.arange(len(firsts))
    inverse = renumber[inverse]
    unique = [docs[i] for i in firsts.tolist()]
    memo = _memo(model)
    proba = np.empty(len(unique))
    keys: list[str | None] = [None] * len(unique)
    todo: list[int] = []
    if memo is None:
        todo = list(range(len(unique)))
    else:
        for i, doc in enumerate(unique):
            if len(doc) <= MEMO_MAX_TOKENS:
                key = _KEY_SEP.join(doc)
                # A token holding the separator would make two documents share a key: not remembered.
                if key.count(_KEY_SEP) == len(doc) - 1 or not doc:
                    hit = memo.get(key)
                    if hit is not None:
                        proba[i] = hit
                        continue
                    keys[i] = key
            todo.append(i)
    if todo:
        fresh = model.predict_proba(unique if len(todo) == len(unique) else [unique[i] for i in todo])[:, 1]
        proba[todo] = fresh
        if memo is not None:
            room = MEMO_MAX_ENTRIES - len(memo)
            for i, p in zip(todo, fresh.tolist()):
                if room <= 0:
                    break
                key = keys[i]
                if key is not None:
                    memo[key] = p
                    room -= 1
    return proba[inverse]


# Words that make a question rhetorical (请问您给我一根筷子怎么用啊, 请问你们放了啥): a clause
# holding one is a complaint put as a question, never an inquiry.
RHETORICAL_WORDS = ("怎么", "为什么", "为啥", "什么", "啥", "咋", "难道", "凭什么", "干嘛", "何必")

# At most this many net opinion words count towards one clause's or review's lexicon shift.
LEXICON_CAP = 2


def _shifted(p: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Probabilities moved by ``shift`` in log-odds (unchanged where the shift is 0)."""
    moved = 1.0 / (1.0 + np.exp(-(_logit(p) + shift)))
    return np.where(shift != 0, moved, p)


def _exceptions(
    flat: list[str], owner: np.ndarray, bounds: list[int], praise: tuple[str, ...], complaint: tuple[str, ...]
) -> tuple[np.ndarray | None, np.ndarray]:
    """Which clauses (``flat``: the clauses of all reviews, one after another) are a review's
    one exception (see ``score_reviews``), and the opinion each review's marker counts (-1 for
    唯一的优点, +1 for 唯一的缺点; the last marker's when a review holds two); (None, zeros)
    when no clause holds a marker."""
    n = len(bounds) - 1
    markers = _marker_regex(praise, complaint)
    holds = np.flatnonzero(np.fromiter(map(bool, map(markers[0].search, flat)), dtype=bool, count=len(flat)))
    verdict = np.zeros(n)
    if not len(holds):
        return None, verdict
    excepted = np.zeros(len(flat), dtype=bool)
    good = set(praise)
    for j in holds.tolist():
        m = markers[1].search(flat[j])
        if m is None:
            continue
        excepted[j] = True
        review = int(owner[j])
        verdict[review] = -1.0 if m.group(0) in good else 1.0
        # 唯一的缺点就是，隔音不好: the marker ends its clause (jieba's clauses may cut 就是 off
        # too), the exception is the next clause that says something.
        k = j
        if not flat[j][m.end() :].strip(_MARKER_TAIL):
            k += 1
            while k < bounds[review + 1] and not flat[k].strip(_MARKER_TAIL):
                excepted[k] = True
                k += 1
        if k < bounds[review + 1]:
            excepted[k] = True
    return (excepted if excepted.any() else None), verdict


# What may follow an exception marker at the end of its clause (唯一的缺点就是, 美中不足的是).
_MARKER_TAIL = "的就是在于呢吧啊嘛了：: "


@functools.lru_cache(maxsize=8)
def _marker_regex(praise: tuple[str, ...], complaint: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(a quick test for any marker's first two characters, the longest marker at a place)."""
    words = sorted(set(praise) | set(complaint), key=len, reverse=True)
    return re.compile("|".join(sorted({re.escape(w[:2]) for w in words}))), re.compile("|".join(map(re.escape, words)))


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
    opinion=None,
    lexicon_weight: float = 0.0,
    inquiry_words: tuple[str, ...] = (),
    read_clause=None,
    exception_praise: tuple[str, ...] = (),
    exception_complaint: tuple[str, ...] = (),
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
        opinion: ``opinion(clause, tokens) -> int``, the net count of opinions the lexicons read in a clause
            (see :meth:`pipeline.aspects.AspectMatcher.opinion_polarity`); None for none.
        lexicon_weight: log-odds added per net opinion (see ``opinion``), capped at ``LEXICON_CAP``
            either way: to each clause for its own, to the whole review for the sum of its
            clauses' (before the blend).
        inquiry_words: words that open an inquiry (请问, 想咨询一下). A clause opening with one
            and holding no opinion (``opinion`` counts 0; 请问为什么这么脏 holds one) asks
            and does not judge: it scores 0.5 and is left out of its review's score, which
            the other clauses make (0.5 when there are none). A rhetorical word
            (``RHETORICAL_WORDS``: 请问这怎么用啊) makes it a complaint, not an inquiry.
            Without ``opinion`` the opening and the rhetorical words decide.
        read_clause: ``read_clause(clause, tokens) -> (net opinions, tokens)``, in place of
            ``opinion``: the count ``opinion`` gives, and the tokens the model reads of the
            clause (see :meth:`pipeline.aspects.AspectMatcher.read_clause`: negated complaints
            such as 没有异味 and the 太 before praise left out, as the lexicon counts them).
            None reads every token. A clause left with no token scores 0.5 before its shift.
        exception_praise: words that announce the one good thing of a bad stay (唯一的优点,
            唯一值得表扬的是): the clause holding one (and the next clause too when the marker
            ends its own: 唯一的亮点就是，...) is the exception, not the verdict. It keeps its
            clause score but weighs 0 in its review's, its tokens leave the whole-review
            text and its lexicon count the review's shift; the marker counts as one negative
            opinion of the review (with ``lexicon_weight``).
        exception_complaint: the same for the one flaw of a good stay (唯一的缺点, 美中不足);
            the marker counts as one positive opinion of the review.

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
    if lexicon_weight < 0:
        raise PipelineError(f"lexicon_weight must be >= 0, got {lexicon_weight!r}.")
    n = len(clauses)
    counts = np.fromiter(map(len, clause_tokens), dtype=np.intp, count=n)
    if not np.array_equal(np.fromiter(map(len, clauses), dtype=np.intp, count=n), counts):
        i = int(np.flatnonzero(np.fromiter(map(len, clauses), dtype=np.intp, count=n) != counts)[0])
        raise PipelineError(f"review {i}: {len(clauses[i])} clauses but {len(clause_tokens[i])} token lists.")
    texts = list(itertools.chain.from_iterable(clauses))
    flat = list(itertools.chain.from_iterable(clause_tokens))
    owner_arr = np.repeat(np.arange(n), counts)
    bounds = [0, *itertools.accumulate(counts.tolist())]  # each review's clauses in flat
    excepted = None
    if (exception_praise or exception_complaint) and flat:
        excepted, verdict = _exceptions(texts, owner_arr, bounds, tuple(exception_praise), tuple(exception_complaint))
    w, turns = _weights_and_turns(texts, clause_tokens, contrast_weight, degree_weight, tuple(contrast_words), excepted)
    net = None
    read = flat
    if read_clause is not None and flat:
        # Each clause's count and cut (the matcher remembers the clauses it has read).
        pairs = list(map(read_clause, texts, flat))
        net = np.fromiter(map(operator.itemgetter(0), pairs), dtype=float, count=len(flat))
        read = list(map(operator.itemgetter(1), pairs))
        if all(map(operator.is_, read, flat)):
            read = flat  # nothing left out: the plain path
    elif opinion is not None and (lexicon_weight > 0 or inquiry_words) and flat:
        net = np.fromiter(map(opinion, texts, flat), dtype=float, count=len(flat))
    asks = None
    if inquiry_words and flat:
        opens = tuple(inquiry_words)
        asks = np.fromiter(
            (c.startswith(opens) and not any(r in c for r in RHETORICAL_WORDS) for c in texts), dtype=bool, count=len(flat)
        )
        if net is not None:
            asks &= net == 0
        if asks.any():
            w = np.where(asks, 0.0, w)
        else:
            asks = None
    left_out = asks  # clauses that are not the review's verdict: inquiries, exceptions
    review_net = None
    if net is not None and lexicon_weight > 0:
        review_net = np.bincount(owner_arr, weights=net, minlength=n)
    if excepted is not None:
        if review_net is not None:
            review_net = np.bincount(owner_arr, weights=np.where(excepted, 0.0, net), minlength=n) + verdict
        left_out = excepted if left_out is None else left_out | excepted
    if review_weight > 0 and left_out is None and read is flat:
        whole = [list(itertools.chain.from_iterable(toks)) for toks in clause_tokens]
    elif review_weight > 0 and left_out is None:
        whole = [list(itertools.chain.from_iterable(read[bounds[i] : bounds[i + 1]])) for i in range(n)]
    elif review_weight > 0:
        kept = (~left_out).tolist()
        whole = [list(itertools.chain.from_iterable(t for t, k in zip(read[bounds[i] : bounds[i + 1]], kept[bounds[i] : bounds[i + 1]]) if k)) for i in range(n)]
    else:
        whole = []
    batch = read + whole
    proba = _predict_unique(model, batch) if batch else np.empty(0)
    p_clause = proba[: len(flat)]
    p_whole = proba[len(flat) :]
    if read is not flat:
        emptied = np.fromiter((not r and bool(f) for r, f in zip(read, flat)), dtype=bool, count=len(flat))
        if emptied.any():
            p_clause = np.where(emptied, 0.5, p_clause)
    if review_weight > 0 and (read is not flat or left_out is not None):
        # A review whose every word is a negated complaint (没有异味), an inquiry or an
        # exception scores 0.5 before its shift.
        p_whole = np.where([not d for d in whole], 0.5, p_whole)
    if net is not None and lexicon_weight > 0:
        p_clause = _shifted(p_clause, lexicon_weight * np.clip(net, -LEXICON_CAP, LEXICON_CAP))
        if review_weight > 0:
            p_whole = _shifted(p_whole, lexicon_weight * np.clip(review_net, -LEXICON_CAP, LEXICON_CAP))
    wsum = np.bincount(owner_arr, weights=w, minlength=n)
    lsum = np.bincount(owner_arr, weights=w * _logit(p_clause), minlength=n)
    has_clause = wsum > 0
    clause_logit = np.where(has_clause, lsum / np.where(has_clause, wsum, 1.0), 0.0)
    if review_weight > 0:
        review_logit = _logit(p_whole)
        if read is flat and left_out is None:
            has_tokens = np.array([bool(d) for d in whole])
        else:
            has_tokens = np.array([any(map(bool, toks)) for toks in clause_tokens])
        blend = review_weight * review_logit + (1 - review_weight) * clause_logit
        if contrast_only:
            blend = np.where(turns, blend, review_logit)
        # A review with no clause left to weigh (only inquiries or an exception) keeps its shift.
        logit = np.where(has_clause, blend, review_logit)
        logit = np.where(has_tokens, logit, 0.0)
    else:
        logit = clause_logit
    scores = 1.0 / (1.0 + np.exp(-logit))
    if asks is not None:
        p_clause = np.where(asks, 0.5, p_clause)
    p_list = p_clause.tolist()
    per_clause = [p_list[bounds[i] : bounds[i + 1]] for i in range(n)]
    return scores, per_clause
