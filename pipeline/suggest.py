"""Lexicon growth: propose new terms per dimension and sub-aspect from a corpus.

Word vectors (gensim Word2Vec, one worker, fixed seed and a deterministic hash, so the same
corpus gives the same list) are trained on the corpus's clause tokens; each sub-aspect's
seed terms (its lexicon terms found in the corpus) pull their nearest neighbours. Candidates
already in the lexicon, stopwords, numbers and single characters are dropped. On corpora too
small for vectors, clause co-occurrence with the seeds (PMI) is used instead. The result is a
table for a person to review: nothing is ever added to a lexicon automatically.
"""

from __future__ import annotations

import logging
import math
import zlib
from collections import Counter

import pandas as pd

logger = logging.getLogger(__name__)

SUGGESTION_COLUMNS = ["dimension", "sub_aspect", "term", "score", "count", "method", "seeds", "example", "accept"]
MIN_VOCAB_FOR_VECTORS = 300


def _stable_hash(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def seeds_by_sub_aspect(lexicon) -> dict[tuple[str, str], list[str]]:
    """The lexicon's literal terms grouped by (dimension, sub-aspect)."""
    groups: dict[tuple[str, str], list[str]] = {}
    entries = list(lexicon.entries.values()) + [e for es in lexicon.bound.values() for e in es]
    for e in entries:
        if e.dimension is None or e.sub_aspect is None or e.role in ("ignore", "generic"):
            continue
        groups.setdefault((e.dimension, e.sub_aspect), []).append(e.term)
    return groups


def suggest_terms(clause_tokens: list[list[str]], clauses: list[str], lexicon, stopwords: frozenset[str] = frozenset(), *, top_n: int = 15, min_count: int = 3, seed: int = 42) -> pd.DataFrame:
    """Candidate terms per sub-aspect, best first.

    Args:
        clause_tokens: tokens of every clause of the corpus.
        clauses: the clause texts (for an example of each candidate in context).
        lexicon: the merged :class:`pipeline.lexicon.Lexicon`.
        stopwords: words never proposed.
        top_n: candidates kept per sub-aspect.
        min_count: a candidate must occur in at least this many clauses.
        seed: random seed of the word vectors.

    Returns:
        A frame with :data:`SUGGESTION_COLUMNS`; ``accept`` is empty for the reviewer.
    """
    known = set(lexicon.entries) | set(lexicon.bound)
    counts = Counter(t for toks in clause_tokens for t in set(toks))

    def usable(term: str) -> bool:
        return len(term) > 1 and term not in known and term not in stopwords and not term.isdigit() and counts[term] >= min_count and not term.isascii()

    groups = seeds_by_sub_aspect(lexicon)
    vocab = [t for t, c in counts.items() if c >= min_count]
    use_vectors = len(vocab) >= MIN_VOCAB_FOR_VECTORS
    model = _word_vectors(clause_tokens, min_count, seed) if use_vectors else None
    example_of: dict[str, str] = {}
    for toks, clause in zip(clause_tokens, clauses):
        for t in toks:
            example_of.setdefault(t, clause)
    rows = []
    for (dim, sub), terms in sorted(groups.items()):
        seeds = [t for t in terms if counts[t] >= min_count]
        if not seeds:
            continue
        if model is not None:
            in_vocab = [t for t in seeds if t in model.wv.key_to_index]
            scored = model.wv.most_similar(positive=in_vocab, topn=top_n * 10) if in_vocab else []
            method = "word2vec"
        else:
            scored = _cooccurrence(clause_tokens, set(seeds), counts)
            method = "pmi"
        kept = [(t, s) for t, s in scored if usable(t)][:top_n]
        for term, score in kept:
            rows.append(
                {
                    "dimension": dim,
                    "sub_aspect": sub,
                    "term": term,
                    "score": round(float(score), 4),
                    "count": counts[term],
                    "method": method,
                    "seeds": " ".join(seeds[:8]),
                    "example": example_of.get(term, ""),
                    "accept": "",
                }
            )
    return pd.DataFrame(rows, columns=SUGGESTION_COLUMNS)


def _word_vectors(clause_tokens: list[list[str]], min_count: int, seed: int):
    from gensim.models import Word2Vec

    return Word2Vec(
        sentences=[t for t in clause_tokens if t],
        vector_size=100,
        window=5,
        min_count=min_count,
        workers=1,
        seed=seed,
        epochs=10,
        hashfxn=_stable_hash,
    )


def _cooccurrence(clause_tokens: list[list[str]], seeds: set[str], counts: Counter) -> list[tuple[str, float]]:
    """Terms ranked by PMI with any seed in the same clause."""
    n = max(len(clause_tokens), 1)
    with_seed = Counter()
    seed_clauses = 0
    for toks in clause_tokens:
        s = set(toks)
        if s & seeds:
            seed_clauses += 1
            with_seed.update(s - seeds)
    scored = []
    for term, joint in with_seed.items():
        pmi = math.log((joint * n) / (counts[term] * max(seed_clauses, 1)))
        scored.append((term, pmi * math.log1p(joint)))
    return sorted(scored, key=lambda ts: (-ts[1], ts[0]))
