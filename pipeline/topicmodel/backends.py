"""Topic backends: gensim LDA (default) and scikit-learn NMF, behind one small interface.

A backend is fitted on a document-term count matrix (rows are documents, columns the model
vocabulary) and keeps only numpy arrays, so it can be saved without pickle and gives the
same answer after a reload. Both backends assign each document independently of the other
documents in the batch: a review gets the same topic whether it is transformed alone, with
tonight's dump or with last month's.
"""

from __future__ import annotations

import logging
import warnings
from typing import ClassVar

import numpy as np
import scipy.sparse as sp
from scipy.special import psi

logger = logging.getLogger(__name__)

# gensim's own guard against division by zero in the E-step.
_EPS = 1e-100
# Documents per gensim update; gensim's default, kept so results match plain LdaModel.
LDA_CHUNKSIZE = 2000
# A document whose topic mixture changes less than this (mean absolute change) has converged.
LDA_GAMMA_THRESHOLD = 0.001
NMF_MAX_ITER = 300
NMF_TRANSFORM_ITER = 100


def _exp_dirichlet_expectation(gamma: np.ndarray) -> np.ndarray:
    """exp(E[log theta]) for each row of Dirichlet parameters ``gamma``."""
    return np.exp(psi(gamma) - psi(gamma.sum(axis=1))[:, np.newaxis])


def lda_e_step(
    counts: sp.csr_matrix,
    exp_elog_beta: np.ndarray,
    alpha: np.ndarray,
    gamma: np.ndarray,
    max_iter: int,
    threshold: float = LDA_GAMMA_THRESHOLD,
) -> tuple[np.ndarray, np.ndarray]:
    """Variational E-step of LDA for a batch of documents, vectorised over the batch.

    The same update as ``gensim.models.LdaModel.inference`` (each document stops when its
    mean change falls below ``threshold``), computed with sparse matrix products instead of
    a Python loop over documents, which makes fitting about three times faster on short
    reviews. Each document's result depends only on its own row.

    Args:
        counts: document-term counts, shape (n_docs, n_terms).
        exp_elog_beta: exp(E[log beta]), shape (n_topics, n_terms).
        alpha: document-topic prior, shape (n_topics,).
        gamma: initial variational parameters, shape (n_docs, n_topics).
        max_iter: most iterations per document.
        threshold: convergence threshold on the mean absolute change of a row of gamma.

    Returns:
        ``(gamma, sstats)``: the fitted variational parameters and the sufficient statistics
        for the M-step, shape (n_topics, n_terms), already multiplied by ``exp_elog_beta``.
    """
    gamma = np.array(gamma, dtype=np.float64, copy=True)
    beta_t = np.ascontiguousarray(exp_elog_beta.T, dtype=np.float64)
    # Work on a compacted copy of the unconverged rows; re-compact only when a quarter of
    # them has converged, since slicing the sparse rows costs about as much as an update.
    work = np.arange(counts.shape[0])
    sub, beta_nz = counts, beta_t[counts.indices]
    done = np.zeros(work.size, dtype=bool)
    for _ in range(max_iter):
        if done.all():
            break
        if done.sum() * 4 > work.size:
            work, sub = work[~done], sub[~done]
            beta_nz, done = beta_t[sub.indices], np.zeros(work.size, dtype=bool)
        g = gamma[work]
        exp_elog_theta = _exp_dirichlet_expectation(g)
        ratio = _count_ratio(sub, exp_elog_theta, beta_nz)
        new = alpha + exp_elog_theta * (ratio @ beta_t)
        change = np.abs(new - g).mean(axis=1)
        # Converged rows keep their value, exactly as if they had been dropped.
        update = ~done
        gamma[work[update]] = new[update]
        done |= change < threshold
    exp_elog_theta = _exp_dirichlet_expectation(gamma)
    ratio = _count_ratio(counts, exp_elog_theta, beta_t[counts.indices])
    sstats = np.asarray((ratio.T @ exp_elog_theta).T) * exp_elog_beta
    return gamma, sstats


def _count_ratio(counts: sp.csr_matrix, exp_elog_theta: np.ndarray, beta_nz: np.ndarray) -> sp.csr_matrix:
    """counts / phinorm for each non-zero (document, term), as a sparse matrix.

    ``beta_nz`` holds the exp(E[log beta]) column of each stored term, row by row.
    """
    theta_nz = np.repeat(exp_elog_theta, np.diff(counts.indptr), axis=0)
    phinorm = np.einsum("nk,nk->n", theta_nz, beta_nz) + _EPS
    return sp.csr_matrix((counts.data / phinorm, counts.indices, counts.indptr), shape=counts.shape)


def _fast_lda_class():
    """gensim's LdaModel with the vectorised E-step (imported lazily: gensim is slow to load)."""
    from gensim.models import LdaModel

    class FastLdaModel(LdaModel):
        """``LdaModel`` whose E-step runs on the whole chunk at once (see :func:`lda_e_step`)."""

        def inference(self, chunk, collect_sstats=False):  # noqa: D102 - gensim's signature
            counts = bows_to_csr(list(chunk), self.num_terms)
            # Same random start as gensim, drawn from the seeded model state.
            gamma0 = self.random_state.gamma(100.0, 1.0 / 100.0, (counts.shape[0], self.num_topics))
            gamma, sstats = lda_e_step(
                counts, self.expElogbeta, self.alpha, gamma0, self.iterations, self.gamma_threshold
            )
            gamma = gamma.astype(self.dtype, copy=False)
            return gamma, (sstats.astype(self.dtype, copy=False) if collect_sstats else None)

    return FastLdaModel


def bows_to_csr(bows: list[list[tuple[int, float]]], n_terms: int) -> sp.csr_matrix:
    """Convert gensim bag-of-words documents to a CSR count matrix."""
    lengths = np.fromiter((len(b) for b in bows), dtype=np.int64, count=len(bows))
    indptr = np.concatenate(([0], np.cumsum(lengths)))
    pairs = [pair for bow in bows for pair in bow]
    ids = np.fromiter((p[0] for p in pairs), dtype=np.int64, count=len(pairs))
    cts = np.fromiter((p[1] for p in pairs), dtype=np.float64, count=len(pairs))
    return sp.csr_matrix((cts, ids, indptr), shape=(len(bows), n_terms))


def csr_to_bows(counts: sp.csr_matrix) -> list[list[tuple[int, float]]]:
    """Convert a CSR count matrix to gensim bag-of-words documents."""
    ind, data, ptr = counts.indices.tolist(), counts.data.tolist(), counts.indptr.tolist()
    return [list(zip(ind[a:b], data[a:b])) for a, b in zip(ptr[:-1], ptr[1:])]


class LdaBackend:
    """Latent Dirichlet allocation fitted by gensim ``LdaModel`` (single process, seeded).

    Arrays: ``lambda`` (topic-word variational parameters) and ``alpha`` (document prior).
    """

    name: ClassVar[str] = "lda"

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.arrays = arrays
        lam = arrays["lambda"]
        self._exp_elog_beta = _exp_dirichlet_expectation(lam)

    @classmethod
    def fit(cls, counts: sp.csr_matrix, num_topics: int, *, seed: int, passes: int, iterations: int) -> LdaBackend:
        """Fit LDA with ``num_topics`` topics on ``counts`` (rows must be non-empty)."""
        model_cls = _fast_lda_class()
        id2word = {i: str(i) for i in range(counts.shape[1])}
        lda = model_cls(
            corpus=csr_to_bows(counts),
            id2word=id2word,
            num_topics=num_topics,
            random_state=seed,
            passes=passes,
            iterations=iterations,
            chunksize=LDA_CHUNKSIZE,
            eval_every=None,
            gamma_threshold=LDA_GAMMA_THRESHOLD,
            dtype=np.float64,
        )
        arrays = {"lambda": np.asarray(lda.state.get_lambda(), dtype=np.float64), "alpha": np.asarray(lda.alpha, dtype=np.float64)}
        return cls(arrays)

    def topic_word(self) -> np.ndarray:
        """Topic-word weights, shape (n_topics, n_terms); each row sums to 1."""
        lam = self.arrays["lambda"]
        return lam / lam.sum(axis=1, keepdims=True)

    def doc_topic(self, counts: sp.csr_matrix, iterations: int) -> np.ndarray:
        """Topic mixture of each document, shape (n_docs, n_topics); rows sum to 1."""
        alpha = self.arrays["alpha"]
        # A fixed start (not gensim's random one) so a document's topics never depend on
        # how many documents were inferred before it.
        gamma0 = np.ones((counts.shape[0], alpha.size))
        gamma, _ = lda_e_step(counts, self._exp_elog_beta, alpha, gamma0, iterations)
        return gamma / gamma.sum(axis=1, keepdims=True)

    def permute(self, order: np.ndarray) -> LdaBackend:
        """The same model with topics renumbered: new topic i is old topic ``order[i]``."""
        return LdaBackend({"lambda": self.arrays["lambda"][order], "alpha": self.arrays["alpha"][order]})


class NmfBackend:
    """Non-negative matrix factorisation of tf-idf weights (scikit-learn ``NMF``, nndsvd).

    Arrays: ``components`` (topic-term weights) and ``idf`` (inverse document frequencies).
    """

    name: ClassVar[str] = "nmf"

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.arrays = arrays

    @classmethod
    def fit(cls, counts: sp.csr_matrix, num_topics: int, *, seed: int, passes: int, iterations: int) -> NmfBackend:
        """Fit NMF with ``num_topics`` components (``passes``/``iterations`` are LDA-only)."""
        from sklearn.decomposition import NMF
        from sklearn.feature_extraction.text import TfidfTransformer

        tfidf = TfidfTransformer()
        weights = tfidf.fit_transform(counts)
        nmf = NMF(n_components=num_topics, init="nndsvd", random_state=seed, max_iter=NMF_MAX_ITER)
        with warnings.catch_warnings():
            # Not converging in NMF_MAX_ITER is harmless for topic keywords; log instead.
            warnings.simplefilter("ignore", category=UserWarning)
            nmf.fit(weights)
        if nmf.n_iter_ >= NMF_MAX_ITER:
            logger.debug("NMF k=%d stopped after %d iterations before converging", num_topics, nmf.n_iter_)
        return cls({"components": np.asarray(nmf.components_, dtype=np.float64), "idf": np.asarray(tfidf.idf_, dtype=np.float64)})

    def topic_word(self) -> np.ndarray:
        """Topic-term weights (NMF components), shape (n_topics, n_terms)."""
        return self.arrays["components"]

    def doc_topic(self, counts: sp.csr_matrix, iterations: int) -> np.ndarray:
        """Topic weights of each document normalised to sum to 1 (all-zero rows stay zero)."""
        from sklearn.decomposition import non_negative_factorization
        from sklearn.preprocessing import normalize

        weights = normalize(sp.csr_matrix(counts.multiply(self.arrays["idf"])), norm="l2")
        components = self.arrays["components"]
        # tol=0 and a fixed number of sweeps: each row is solved from zero on its own, so a
        # document's weights never depend on the rest of the batch.
        w, _, _ = non_negative_factorization(
            weights, H=components, n_components=components.shape[0], update_H=False,
            solver="cd", tol=0.0, max_iter=NMF_TRANSFORM_ITER,
        )
        total = w.sum(axis=1, keepdims=True)
        return np.divide(w, total, out=np.zeros_like(w), where=total > 0)

    def permute(self, order: np.ndarray) -> NmfBackend:
        """The same model with topics renumbered: new topic i is old topic ``order[i]``."""
        return NmfBackend({"components": self.arrays["components"][order], "idf": self.arrays["idf"]})


BACKENDS: dict[str, type[LdaBackend] | type[NmfBackend]] = {"lda": LdaBackend, "nmf": NmfBackend}
