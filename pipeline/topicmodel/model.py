"""The topic model estimator: vocabulary, choice of k by coherence, transform, save and load."""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import tempfile
import time
from collections.abc import Sequence
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from pipeline.errors import ConfigError, NotFittedError, PipelineError
from pipeline.topicmodel.backends import BACKENDS, LdaBackend, NmfBackend
from pipeline.topicmodel.coherence import presence_matrix, topic_coherence
from pipeline.topicmodel.validation import param_problems

logger = logging.getLogger(__name__)

MODEL_FORMAT = 1
MODEL_JSON = "topic_model.json"
MODEL_ARRAYS = "topic_model.npz"
# Fewer terms or documents than this cannot give topics worth showing an analyst.
MIN_VOCABULARY = 10
MIN_DOCUMENTS = 5
# Documents inferred per batch in transform (bounds memory; results do not depend on it).
TRANSFORM_BATCH = 10_000
# Parameters that do not change the fitted model stay out of the fingerprint.
_NOT_FINGERPRINTED = frozenset({"n_jobs"})

PARAM_NAMES = (
    "backend", "num_topics", "min_topics", "max_topics", "seed", "passes", "iterations", "top_n",
    "no_below", "no_above", "keep_n", "stopwords", "relevance", "max_docs", "coherence", "coherence_top_n",
    "n_jobs",
)

_TINY = 1e-12

Docs = Sequence[Sequence[str]]


class TopicBackend(str, Enum):
    """Topic model algorithms."""

    LDA = "lda"
    NMF = "nmf"


class TopicModel:
    """Topics of tokenised reviews, scikit-learn style (``fit`` returns ``self``).

    Args:
        backend: ``"lda"`` (gensim ``LdaModel``, default) or ``"nmf"`` (scikit-learn NMF on tf-idf).
        num_topics: a fixed number of topics; ``None`` chooses it by coherence.
        min_topics: smallest k tried when ``num_topics`` is None.
        max_topics: largest k tried when ``num_topics`` is None.
        seed: random seed of the model and of the document sample.
        passes: LDA passes over the fitting documents.
        iterations: LDA E-step iterations per document (fitting and transform).
        top_n: keywords kept per topic.
        no_below: a term must occur in at least this many fitting documents.
        no_above: a term must occur in at most this share of fitting documents. 0.15 drops
            the words every long review uses (measured on restaurant reviews: at 0.5 all
            topics shared 还是/感觉/比较/好吃; short reviews have no term that common).
        keep_n: at most this many terms (the most frequent); ``None`` for no limit.
        stopwords: extra words left out of topics only (e.g. brand or platform names, or
            words the sentiment stage needs but topics do not).
        relevance: lambda of the keyword relevance ranking, in [0, 1]; 1 ranks keywords by
            p(word | topic), lower values favour words distinctive of the topic (see
            :func:`_top_ids`). Also used for the words scored for coherence.
        max_docs: fit on a deterministic sample of at most this many non-empty documents;
            ``None`` fits on all. ``transform`` always applies to every document.
        coherence: ``"c_npmi"`` (default) or ``"u_mass"``; see :mod:`pipeline.topicmodel.coherence`.
        coherence_top_n: top words per topic scored for coherence.
        n_jobs: processes for trying several k at once (-1 for every core, -2 for all but one);
            results do not depend on it.

    Attributes:
        num_topics_: topics in the fitted model (0 when the corpus was too small).
        keywords_: top ``top_n`` terms of each topic, most weighty first.
        coherence_scores_: mean coherence of each k tried.
        topic_coherence_: coherence of each topic of the chosen model.
        vocabulary_: model terms; a term's position is its id.
        n_docs_fit_: documents the model was fitted on.
        topic_sizes_: fitting documents assigned to each topic (topics are numbered by it,
            largest first).
    """

    def __init__(
        self,
        backend: str | TopicBackend = "lda",
        num_topics: int | None = None,
        min_topics: int = 4,
        max_topics: int = 12,
        seed: int = 42,
        passes: int = 5,
        iterations: int = 50,
        top_n: int = 8,
        no_below: int = 3,
        no_above: float = 0.15,
        keep_n: int | None = 20_000,
        stopwords: Sequence[str] = (),
        relevance: float = 0.6,
        max_docs: int | None = 20_000,
        coherence: str = "c_npmi",
        coherence_top_n: int = 10,
        n_jobs: int = 1,
    ) -> None:
        self.backend = backend
        self.num_topics = num_topics
        self.min_topics = min_topics
        self.max_topics = max_topics
        self.seed = seed
        self.passes = passes
        self.iterations = iterations
        self.top_n = top_n
        self.no_below = no_below
        self.no_above = no_above
        self.keep_n = keep_n
        self.stopwords = stopwords
        self.relevance = relevance
        self.max_docs = max_docs
        self.coherence = coherence
        self.coherence_top_n = coherence_top_n
        self.n_jobs = n_jobs

    # --- parameters ------------------------------------------------------------------------

    def get_params(self) -> dict[str, Any]:
        """Constructor parameters as plain values (enums as their strings)."""
        params = {name: getattr(self, name) for name in PARAM_NAMES}
        return {k: (v.value if isinstance(v, Enum) else v) for k, v in params.items()}

    def params_fingerprint(self) -> str:
        """A short hash of the parameters that shape the model.

        A saved model whose fingerprint equals the current config's can be reused;
        otherwise refit. ``n_jobs`` is left out: it does not change the result.
        """
        params = {k: v for k, v in self.get_params().items() if k not in _NOT_FINGERPRINTED}
        params["stopwords"] = sorted(set(params["stopwords"]))
        payload = json.dumps({"format": MODEL_FORMAT, **params}, sort_keys=True)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]

    def __repr__(self) -> str:
        defaults = TopicModel().get_params()
        changed = [f"{k}={v!r}" for k, v in self.get_params().items() if v != defaults[k]]
        return f"TopicModel({', '.join(changed)})"

    def _validate_params(self) -> None:
        problems = param_problems(self.get_params())
        if problems:
            raise ConfigError(problems)

    # --- fitting ---------------------------------------------------------------------------

    def fit(self, docs: Docs) -> TopicModel:
        """Learn topics from tokenised documents.

        Empty documents (and documents with no model term) are ignored. When more than
        ``max_docs`` remain, a deterministic sample is used. With ``num_topics=None`` every
        k in [``min_topics``, ``max_topics``] is fitted and the most coherent kept (ties go to
        the smaller k). Too few documents or terms give a model with 0 topics.

        Args:
            docs: content tokens of each review (``Segmenter.content_tokens``).

        Returns:
            self.

        Raises:
            ConfigError: a parameter is out of range.
        """
        self._validate_params()
        started = time.perf_counter()
        docs = list(docs)
        fit_docs = self._sample(docs)
        vocabulary = self._build_vocabulary(fit_docs)
        counts = _count_matrix(fit_docs, {t: i for i, t in enumerate(vocabulary)}, len(vocabulary))
        counts = counts[np.diff(counts.indptr) > 0]
        self.vocabulary_ = vocabulary
        self.n_docs_fit_ = int(counts.shape[0])
        self.coherence_scores_: dict[int, float] = {}
        if len(vocabulary) < MIN_VOCABULARY or counts.shape[0] < MIN_DOCUMENTS:
            logger.warning(
                "topics: %d usable documents and %d terms (need %d and %d); no topics fitted. "
                "Lower no_below or feed more reviews.",
                counts.shape[0], len(vocabulary), MIN_DOCUMENTS, MIN_VOCABULARY,
            )
            self._set_empty()
            return self
        candidates = self._candidate_ks(*counts.shape)
        presence = presence_matrix(counts)
        term_prob = np.asarray(counts.sum(axis=0)).ravel() / counts.sum()
        fitted = self._fit_candidates(counts, presence, term_prob, candidates)
        self.coherence_scores_ = {k: score for k, _, score in fitted}
        best_k, best_backend, _ = max(fitted, key=lambda f: (f[2], -f[0]))
        self._set_fitted(best_backend, counts, presence, term_prob)
        logger.info(
            "topics: k=%d (%s %s=%.4f) from %d documents, %d terms (%.1fs)",
            best_k, best_backend.name, self.coherence, self.coherence_scores_[best_k],
            counts.shape[0], len(vocabulary), time.perf_counter() - started,
        )
        return self

    def _sample(self, docs: list) -> list:
        nonempty = [d for d in docs if len(d) > 0]
        if self.max_docs is None or len(nonempty) <= self.max_docs:
            return nonempty
        rng = np.random.default_rng(self.seed)
        keep = np.sort(rng.choice(len(nonempty), size=self.max_docs, replace=False))
        logger.info("topics: fitting on a sample of %d of %d documents", self.max_docs, len(nonempty))
        return [nonempty[i] for i in keep]

    def _build_vocabulary(self, docs: list) -> list[str]:
        from gensim.corpora import Dictionary

        # Ids follow first appearance in document order, then filter_extremes compacts them
        # in that order: the same documents always give the same vocabulary.
        dictionary = Dictionary(docs, prune_at=None)
        stop_ids = [dictionary.token2id[w] for w in sorted(set(self.stopwords)) if w in dictionary.token2id]
        if stop_ids:
            dictionary.filter_tokens(bad_ids=stop_ids)
        dictionary.filter_extremes(no_below=self.no_below, no_above=self.no_above, keep_n=self.keep_n)
        return [dictionary[i] for i in range(len(dictionary))]

    def _candidate_ks(self, n_docs: int, n_terms: int) -> list[int]:
        wanted = [self.num_topics] if self.num_topics is not None else list(range(self.min_topics, self.max_topics + 1))
        limit = max(2, min(n_docs, n_terms) // 2)
        ks = sorted({min(k, limit) for k in wanted})
        if ks != wanted:
            logger.warning("topics: %d documents and %d terms allow at most k=%d; trying k in %s", n_docs, n_terms, limit, ks)
        return ks

    def _fit_candidates(self, counts: sp.csr_matrix, presence: sp.csc_matrix, term_prob: np.ndarray, ks: list[int]) -> list[tuple]:
        args = (counts, presence, term_prob, self.get_params())
        n_jobs = self.n_jobs if self.n_jobs > 0 else max(1, (os.cpu_count() or 1) + 1 + self.n_jobs)
        workers = min(n_jobs, len(ks))
        if workers <= 1:
            return [_fit_one(k, *args) for k in ks]
        from concurrent.futures import ProcessPoolExecutor

        from pipeline.engine import exit_with_parent

        # A pool of its own, closed once the candidates are fitted: no idle worker stays
        # behind holding memory while the partitions run (nor after a run killed meanwhile).
        with ProcessPoolExecutor(max_workers=workers, initializer=exit_with_parent, initargs=(os.getpid(),)) as pool:
            return list(pool.map(_fit_one, ks, *(itertools.repeat(a, len(ks)) for a in args)))

    def _set_fitted(self, backend: LdaBackend | NmfBackend, counts: sp.csr_matrix, presence: sp.csc_matrix, term_prob: np.ndarray) -> None:
        assigned = backend.doc_topic(counts, self.iterations).argmax(axis=1)
        sizes = np.bincount(assigned, minlength=backend.topic_word().shape[0])
        # Largest topic first; stable so equal sizes keep the model's order.
        order = np.argsort(-sizes, kind="stable")
        self.backend_ = backend.permute(order)
        self.topic_sizes_ = [int(s) for s in sizes[order]]
        self.num_topics_ = len(order)
        top = _top_ids(self.backend_.topic_word(), max(self.top_n, self.coherence_top_n), term_prob, self.relevance)
        self.keywords_ = {t: [self.vocabulary_[i] for i in ids[: self.top_n]] for t, ids in enumerate(top)}
        scores = topic_coherence([ids[: self.coherence_top_n] for ids in top], presence, self.coherence)
        self.topic_coherence_ = [float(s) for s in scores]

    def _set_empty(self) -> None:
        self.backend_ = None
        self.num_topics_ = 0
        self.keywords_ = {}
        self.topic_sizes_ = []
        self.topic_coherence_ = []

    # --- applying --------------------------------------------------------------------------

    def transform(self, docs: Docs) -> tuple[np.ndarray, np.ndarray]:
        """Assign each document its most probable topic.

        Args:
            docs: content tokens of each review.

        Returns:
            ``(topic_id, probability)``: int64 topic ids (-1 for a document with no model
            term, or when the model has 0 topics) and the weight of that topic in the
            document (0.0 where the id is -1). A document's result does not depend on the
            other documents passed.

        Raises:
            NotFittedError: ``fit`` (or ``load``) has not been called.
        """
        self._check_fitted()
        docs = list(docs)
        topic_ids = np.full(len(docs), -1, dtype=np.int64)
        probs = np.zeros(len(docs), dtype=np.float64)
        if self.backend_ is None or not docs:
            return topic_ids, probs
        index = {t: i for i, t in enumerate(self.vocabulary_)}
        for start in range(0, len(docs), TRANSFORM_BATCH):
            counts = _count_matrix(docs[start : start + TRANSFORM_BATCH], index, len(self.vocabulary_))
            mix = self.backend_.doc_topic(counts, self.iterations)
            best = mix.argmax(axis=1)
            best_p = mix[np.arange(len(best)), best]
            known = (np.diff(counts.indptr) > 0) & (best_p > 0)
            topic_ids[start : start + len(best)] = np.where(known, best, -1)
            probs[start : start + len(best)] = np.where(known, best_p, 0.0)
        return topic_ids, probs

    def fit_transform(self, docs: Docs) -> tuple[np.ndarray, np.ndarray]:
        """``fit(docs)`` then ``transform(docs)``."""
        docs = list(docs)
        return self.fit(docs).transform(docs)

    def _check_fitted(self) -> None:
        if not hasattr(self, "num_topics_"):
            raise NotFittedError(
                "This TopicModel is not fitted yet. Call 'fit' with tokenised reviews, or "
                "'TopicModel.load(directory)' for a saved model, before using it."
            )

    # --- persistence -----------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        """Write the fitted model to ``directory`` (``topic_model.json`` and ``.npz``).

        Files are written to temporary names and renamed, so a crash never leaves a
        half-written model; the JSON, written last, marks a complete model.

        Raises:
            NotFittedError: the model is not fitted.
        """
        self._check_fitted()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        arrays = dict(self.backend_.arrays) if self.backend_ is not None else {}
        meta = {
            "format": MODEL_FORMAT,
            "fingerprint": self.params_fingerprint(),
            "params": self.get_params(),
            "backend": self.backend_.name if self.backend_ is not None else None,
            "num_topics": self.num_topics_,
            "keywords": [self.keywords_[t] for t in range(self.num_topics_)],
            "topic_sizes": self.topic_sizes_,
            "topic_coherence": self.topic_coherence_,
            "coherence_scores": {str(k): v for k, v in self.coherence_scores_.items()},
            "n_docs_fit": self.n_docs_fit_,
            "vocabulary": self.vocabulary_,
        }
        _atomic_write(directory / MODEL_ARRAYS, lambda f: np.savez(f, **arrays))
        _atomic_write(directory / MODEL_JSON, lambda f: f.write(json.dumps(meta, ensure_ascii=False, indent=1).encode("utf-8")))
        logger.debug("topics: model saved to %s", directory)

    @classmethod
    def load(cls, directory: Path) -> TopicModel:
        """Read a model written by :meth:`save`.

        Raises:
            PipelineError: no model in ``directory``, or its files are unreadable or from
                another format version.
        """
        directory = Path(directory)
        meta_path, arrays_path = directory / MODEL_JSON, directory / MODEL_ARRAYS
        if not meta_path.is_file() or not arrays_path.is_file():
            raise PipelineError(f"No saved topic model in {directory} (expected {MODEL_JSON} and {MODEL_ARRAYS}). Fit a model first, or point to the folder of an earlier run.")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            with np.load(arrays_path, allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
        except (OSError, ValueError) as exc:
            raise PipelineError(f"Saved topic model in {directory} cannot be read ({exc}). Delete the folder to refit.") from exc
        if meta.get("format") != MODEL_FORMAT:
            raise PipelineError(f"Saved topic model in {directory} has format {meta.get('format')!r}; this version reads format {MODEL_FORMAT}. Delete the folder to refit.")
        model = cls(**meta["params"])
        model.vocabulary_ = list(meta["vocabulary"])
        model.n_docs_fit_ = int(meta["n_docs_fit"])
        model.coherence_scores_ = {int(k): float(v) for k, v in meta["coherence_scores"].items()}
        model.num_topics_ = int(meta["num_topics"])
        model.keywords_ = {t: list(words) for t, words in enumerate(meta["keywords"])}
        model.topic_sizes_ = [int(s) for s in meta["topic_sizes"]]
        model.topic_coherence_ = [float(s) for s in meta["topic_coherence"]]
        model.backend_ = BACKENDS[meta["backend"]](arrays) if meta["backend"] else None
        if model.backend_ is not None and model.backend_.topic_word().shape != (model.num_topics_, len(model.vocabulary_)):
            raise PipelineError(f"Saved topic model in {directory} is inconsistent ({MODEL_ARRAYS} does not match {MODEL_JSON}). Delete the folder to refit.")
        return model


def _fit_one(k: int, counts: sp.csr_matrix, presence: sp.csc_matrix, term_prob: np.ndarray, params: dict[str, Any]) -> tuple:
    """Fit one candidate k; returns ``(k, backend, mean coherence)`` (module level, for a process pool)."""
    started = time.perf_counter()
    backend = BACKENDS[params["backend"]].fit(counts, k, seed=params["seed"], passes=params["passes"], iterations=params["iterations"])
    top = _top_ids(backend.topic_word(), params["coherence_top_n"], term_prob, params["relevance"])
    score = float(np.mean(topic_coherence(top, presence, params["coherence"])))
    logger.debug("topics: k=%d %s=%.4f (%.1fs)", k, params["coherence"], score, time.perf_counter() - started)
    return k, backend, score


def _top_ids(topic_word: np.ndarray, n: int, term_prob: np.ndarray, relevance: float) -> list[np.ndarray]:
    """Ids of the ``n`` most relevant terms of each topic; ties go to the lower id.

    Relevance (Sievert and Shirley, 2014) is ``lambda * log p(w|t) + (1 - lambda) *
    log(p(w|t) / p(w))``: with lambda below 1, words frequent everywhere (还是, 感觉, 比较)
    give way to the words that set the topic apart. lambda = 1 ranks by p(w|t) alone.
    """
    p_wt = topic_word / np.maximum(topic_word.sum(axis=1, keepdims=True), _TINY)
    log_p = np.log(p_wt + _TINY)
    score = relevance * log_p + (1.0 - relevance) * (log_p - np.log(term_prob + _TINY))
    return [np.argsort(-row, kind="stable")[:n] for row in score]


def _count_matrix(docs: Sequence[Sequence[str]], index: dict[str, int], n_terms: int) -> sp.csr_matrix:
    """Document-term counts of the terms in ``index`` (unknown tokens are dropped), in
    canonical form (sorted column indices, no duplicates). One lookup per token; the
    counting is done by scipy."""
    lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
    get = index.get
    term_ids = np.fromiter((get(t, -1) for t in itertools.chain.from_iterable(docs)), dtype=np.int64, count=int(lengths.sum()))
    doc_ids = np.repeat(np.arange(len(docs), dtype=np.int64), lengths)
    known = term_ids >= 0
    counts = sp.csr_matrix(
        (np.ones(int(known.sum()), dtype=np.float64), (doc_ids[known], term_ids[known])), shape=(len(docs), n_terms)
    )
    counts.sum_duplicates()
    return counts


def _atomic_write(path: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
