"""Parameter checks for TopicModel, worded for the config file (``[topics -> name] ...``)."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from pipeline.topicmodel.backends import BACKENDS
from pipeline.topicmodel.coherence import COHERENCE_MEASURES

logger = logging.getLogger(__name__)


def param_problems(params: dict[str, Any]) -> list[str]:
    """Every out-of-range parameter, worded as ``[topics -> name] must be ...; got ...``."""
    problems = []

    def check(name: str, ok: bool, allowed: str) -> None:
        if not ok:
            problems.append(f"[topics -> {name}] must be {allowed}; got {params[name]!r}")

    def is_int(v: Any, low: int, none_ok: bool = False) -> bool:
        if v is None:
            return none_ok
        return isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= low

    check("backend", params["backend"] in BACKENDS, f"one of {', '.join(repr(b) for b in BACKENDS)}")
    check("num_topics", is_int(params["num_topics"], 1, none_ok=True), "an integer >= 1, or null to choose it by coherence")
    check("min_topics", is_int(params["min_topics"], 1), "an integer >= 1")
    check("max_topics", is_int(params["max_topics"], 1), "an integer >= 1")
    if not problems and params["max_topics"] < params["min_topics"]:
        problems.append(f"[topics -> max_topics] must be >= min_topics ({params['min_topics']}); got {params['max_topics']!r}")
    check("seed", is_int(params["seed"], 0), "an integer >= 0")
    for name in ("passes", "iterations", "top_n", "no_below"):
        check(name, is_int(params[name], 1), "an integer >= 1")
    no_above = params["no_above"]
    check("no_above", isinstance(no_above, (int, float)) and not isinstance(no_above, bool) and 0 < no_above <= 1, "a number in (0, 1]")
    check("keep_n", is_int(params["keep_n"], 1, none_ok=True), "an integer >= 1, or null for no limit")
    stopwords = params["stopwords"]
    check("stopwords", not isinstance(stopwords, str) and all(isinstance(w, str) for w in stopwords), "a list of words")
    relevance = params["relevance"]
    check("relevance", isinstance(relevance, (int, float)) and not isinstance(relevance, bool) and 0 <= relevance <= 1, "a number in [0, 1]")
    check("max_docs", is_int(params["max_docs"], 1, none_ok=True), "an integer >= 1, or null to fit on every document")
    check("coherence", params["coherence"] in COHERENCE_MEASURES, f"one of {', '.join(repr(m) for m in COHERENCE_MEASURES)}")
    check("coherence_top_n", is_int(params["coherence_top_n"], 2), "an integer >= 2")
    n_jobs = params["n_jobs"]
    check("n_jobs", isinstance(n_jobs, int) and not isinstance(n_jobs, bool) and n_jobs != 0, "a non-zero integer (-1 for all cores)")
    return problems
