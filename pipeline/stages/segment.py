"""segment: split each review into clauses and tokens (jieba, loaded once by the runner).

Produces ``clauses`` (list of clause strings), ``clause_tokens`` (jieba tokens per clause,
stopwords kept: sentiment needs 不/很/太) and ``tokens`` (content tokens for topics).
"""

from __future__ import annotations

import itertools
import logging

import pandas as pd

from pipeline.config import SegmentParams
from pipeline.errors import StageError
from pipeline.stages.base import Resources
from pipeline.text import split_clauses

logger = logging.getLogger(__name__)

REQUIRES = ("text_clean",)
PRODUCES = ("clauses", "clause_tokens", "tokens")


def run(df: pd.DataFrame, params: SegmentParams, res: Resources) -> pd.DataFrame:
    """Clause-split and tokenise ``text_clean``.

    Raises:
        StageError: the runner did not provide a segmenter.
    """
    seg = res.segmenter
    if seg is None:
        raise StageError("stage 'segment' needs a segmenter in its resources; the runner builds it from segment.user_dicts/stopwords")
    contrast = tuple(params.contrast_words)
    all_clauses: list[list[str]] = []
    all_clause_tokens: list[list[list[str]]] = []
    for text in df["text_clean"].fillna("").astype(str).tolist():
        clauses = split_clauses(text, contrast)
        if len(clauses) > params.max_clauses:
            clauses = clauses[: params.max_clauses - 1] + ["，".join(clauses[params.max_clauses - 1 :])]
        all_clauses.append(clauses)
        all_clause_tokens.append(seg.cut_many(clauses))
    all_tokens = seg.content_tokens_many([list(itertools.chain.from_iterable(toks)) for toks in all_clause_tokens])
    out = df.copy()
    out["clauses"] = pd.Series(all_clauses, index=out.index, dtype=object)
    out["clause_tokens"] = pd.Series(all_clause_tokens, index=out.index, dtype=object)
    out["tokens"] = pd.Series(all_tokens, index=out.index, dtype=object)
    return out
