"""Topic coherence from document co-occurrence, used to choose the number of topics.

Both measures read the top words of each topic and count how often they occur together in
the fitting documents (a review is the co-occurrence window: reviews are short, and this
is much faster than gensim's sliding windows, which matters when several k are tried).

- ``c_npmi``: mean normalised pointwise mutual information over word pairs, in [-1, 1];
  tracks human judgements of topic quality best (Röder et al., 2015). The default.
- ``u_mass``: mean log conditional probability of a word given a higher-ranked one
  (Mimno et al., 2011); <= 0, closer to 0 is better.
"""

from __future__ import annotations

import logging

import numpy as np
import scipy.sparse as sp

logger = logging.getLogger(__name__)

COHERENCE_MEASURES = ("c_npmi", "u_mass")
_NPMI_EPS = 1e-12


def topic_coherence(top_ids: list[np.ndarray], presence: sp.csc_matrix, measure: str = "c_npmi") -> np.ndarray:
    """Coherence of each topic.

    Args:
        top_ids: per topic, the vocabulary ids of its top words, best first.
        presence: binary document-term matrix (CSC) of the fitting documents.
        measure: ``"c_npmi"`` or ``"u_mass"``.

    Returns:
        One score per topic (higher is more coherent for both measures). A topic with fewer
        than two words scores the worst value of the measure (-1 for c_npmi).

    Raises:
        ValueError: ``measure`` is not one of :data:`COHERENCE_MEASURES`.
    """
    if measure not in COHERENCE_MEASURES:
        raise ValueError(f"coherence measure must be one of {COHERENCE_MEASURES}; got {measure!r}")
    n_docs = presence.shape[0]
    scores = np.empty(len(top_ids))
    for t, ids in enumerate(top_ids):
        ids = np.asarray(ids, dtype=np.int64)
        if ids.size < 2 or n_docs == 0:
            scores[t] = -1.0 if measure == "c_npmi" else np.log(1.0 / max(n_docs, 1))
            continue
        cols = presence[:, ids]
        joint = (cols.T @ cols).toarray().astype(np.float64)
        df = np.diag(joint).copy()
        i, j = np.triu_indices(ids.size, k=1)  # i ranks above j
        if measure == "c_npmi":
            p_ij = joint[i, j] / n_docs
            p_i, p_j = df[i] / n_docs, df[j] / n_docs
            pmi = np.log((p_ij + _NPMI_EPS) / (p_i * p_j))
            scores[t] = float(np.mean(pmi / -np.log(p_ij + _NPMI_EPS)))
        else:
            scores[t] = float(np.mean(np.log((joint[i, j] + 1.0) / df[i])))
    return scores


def presence_matrix(counts: sp.csr_matrix) -> sp.csc_matrix:
    """Binary document-term matrix (1 where a term occurs in a document), column-major."""
    presence = sp.csc_matrix(counts, dtype=np.float64, copy=True)
    presence.data[:] = 1.0
    return presence
