"""Topic words: features that say what a review is about rather than how it judges it.

A corpus labels whole reviews, and what reviewers write about differs with their verdict:
complaints narrate the front desk (前台) more than praise does, so a linear model gives the
noun a negative weight of its own, and a review of another domain or year that praises its
front desk starts from a negative score. :func:`topic_column_scale` finds such features so the
model can regularise them harder (their columns are scaled down while the linear heads are
fitted): nouns by jieba's dictionary tags, character n-grams that mostly occur inside nouns,
and of those only the ones whose polarity in the corpus is weak. A noun that judges (垃圾)
keeps its full weight; 问题 and 毛病, which 没问题 and 没毛病 turn round, are weak and scaled.
Verbs are left alone, including narrative ones such as 退房 and 快递 (tagged v).
"""

from __future__ import annotations

import functools
import itertools
import logging
from collections import Counter
from pathlib import Path

import numpy as np

from pipeline.sentiment.features import nb_log_count_ratio

logger = logging.getLogger(__name__)

# jieba's noun tags (common, person, place, organisation, other proper, nominal verb...).
NOUN_TAGS = frozenset({"n", "nr", "ns", "nt", "nz", "nrt", "nrfg", "ng", "vn"})
# A character n-gram is a topic feature when at least this share of its occurrences lie inside
# noun tokens (台 of 前台, 阳台, 台灯).
MIN_NOUN_SHARE = 0.7
# Features whose naive-Bayes log-count ratio in the corpus reaches this (either way) judge
# rather than name, and are left alone.
MAX_TOPIC_RATIO = 1.0


@functools.lru_cache(maxsize=1)
def jieba_tags() -> dict[str, str]:
    """Part-of-speech tag of every word of jieba's main dictionary (``word freq tag`` lines)."""
    import jieba

    tags: dict[str, str] = {}
    path = Path(jieba.__file__).parent / "dict.txt"
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3:
                tags[parts[0]] = parts[2]
    return tags


def topic_column_scale(vocabulary: dict[str, int], docs: list[list[str]], counts, binary_y: np.ndarray, scale: float) -> np.ndarray | None:
    """Column multipliers: ``scale`` for topic features, 1 for the others.

    Args:
        vocabulary: feature name -> column (word n-grams, ``#`` character n-grams, ``NEG_`` tokens).
        docs: the training token lists.
        counts: the documents' feature counts (sparse, one row per document, columns as
            ``vocabulary``).
        binary_y: 1/0 label of each document (the ratio is counted unweighted, whatever
            sample weights the model is fitted with).
        scale: the multiplier for topic features, in (0, 1].

    Returns:
        A float32 vector, or None when ``scale`` is 1 or no feature qualifies.
    """
    if scale >= 1.0:
        return None
    tags = jieba_tags()
    tokens = Counter(itertools.chain.from_iterable(docs))
    nouns = {t for t in tokens if len(t) > 1 and tags.get(t) in NOUN_TAGS}
    inside: Counter[str] = Counter()
    for word in nouns:
        n_word = tokens[word]
        for n in (1, 2, 3):
            for i in range(len(word) - n + 1):
                inside[word[i : i + n]] += n_word
    total = np.asarray(counts.sum(axis=0)).ravel()
    out = np.ones(len(vocabulary), dtype=np.float32)
    for name, col in vocabulary.items():
        if name[:1] == "#":
            gram = name[1:]
            if (len(gram) > 1 and tags.get(gram) in NOUN_TAGS) or (total[col] > 0 and inside.get(gram, 0) / total[col] >= MIN_NOUN_SHARE):
                out[col] = scale
        elif name in nouns:
            out[col] = scale
    out[np.abs(nb_log_count_ratio(counts, binary_y)) >= MAX_TOPIC_RATIO] = 1.0
    n_topic = int((out < 1.0).sum())
    logger.debug("topic features: %d of %d columns scaled by %g", n_topic, len(out), scale)
    return out if n_topic else None
