"""Segmentation backends: jieba and rjieba (jieba-rs) give the same tokens.

The parity test on real reviews reads ``../shared/data`` and skips when it (or rjieba) is
absent; it reports the token agreement it measured.
"""

from __future__ import annotations

import importlib.util

import pandas as pd
import pytest

from pipeline.errors import ConfigError
from pipeline.segmenter import token_agreement
from pipeline.text import SEGMENT_BACKENDS, Segmenter, get_segmenter, split_clauses
from tests.conftest import ROOT, SHARED_DATA

HAS_RJIEBA = importlib.util.find_spec("rjieba") is not None
BACKENDS = [pytest.param(b, marks=pytest.mark.skipif(b == "rjieba" and not HAS_RJIEBA, reason="rjieba not installed")) for b in SEGMENT_BACKENDS]
# The bar: at least this share of tokens identical to jieba's on real reviews.
MIN_TOKEN_AGREEMENT = 0.995


@pytest.mark.parametrize("backend", BACKENDS)
def test_segment_backends_drop_punctuation_keep_negation(backend):
    seg = get_segmenter(backend=backend)
    toks = seg.cut("房间不干净，没有热水！")
    assert "，" not in toks and "！" not in toks
    assert "没有" in toks


@pytest.mark.parametrize("backend", BACKENDS)
def test_segment_backends_honour_user_dict_and_extra_words(tmp_path, backend):
    d = tmp_path / "u.txt"
    d.write_text("行李寄存 1000 n\n外卖小哥\n", encoding="utf-8")
    seg = get_segmenter((str(d),), (), ("叫醒服务",), backend=backend)
    assert "行李寄存" in seg.cut("行李寄存很方便")
    assert "外卖小哥" in seg.cut("外卖小哥很辛苦")
    assert "叫醒服务" in seg.cut("叫醒服务很准时")


@pytest.mark.parametrize("backend", BACKENDS)
def test_segment_backends_split_symbol_runs_like_jieba(backend):
    # jieba splits a non-dictionary run of letters, digits and symbols (20-8 → 20, 8).
    assert get_segmenter(backend=backend).cut("20-8的活动没了,T_T") == ["20", "8", "的", "活动", "没", "了", "T", "T"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_segment_backends_cut_many_equals_cut(backend):
    seg = get_segmenter(backend=backend)
    texts = ["味道不错", "送餐太慢了！！", "", "   ", "WIFI很快，30分钟送到"]
    assert seg.cut_many(texts) == [seg.cut(t) for t in texts]


def test_segment_backends_unknown_backend_lists_choices():
    with pytest.raises(ConfigError, match=r"unknown segmentation backend 'pkuseg'; choose one of \['jieba', 'rjieba'\]"):
        Segmenter(backend="pkuseg")


def test_segment_backends_are_cached_separately():
    assert get_segmenter(backend="jieba") is get_segmenter(backend="jieba")
    if HAS_RJIEBA:
        assert get_segmenter(backend="jieba") is not get_segmenter(backend="rjieba")


@pytest.mark.skipif(not HAS_RJIEBA, reason="rjieba not installed")
@pytest.mark.skipif(not (SHARED_DATA / "sentiment" / "waimai_10k.csv").is_file(), reason="../shared/data not available")
def test_segment_backends_parity_on_real_reviews(record_property):
    """rjieba agrees with jieba on >= 99.5 % of tokens of real clauses, restaurant dictionaries included."""
    texts = pd.read_csv(SHARED_DATA / "sentiment" / "waimai_10k.csv", dtype=str, keep_default_na=False)["review"].tolist()[::4]
    unlabeled = SHARED_DATA / "unlabeled" / "aic2018_testa_2000.csv"
    if unlabeled.is_file():
        texts += pd.read_csv(unlabeled, dtype=str, keep_default_na=False)["text"].tolist()[::8]
    clauses = [c for t in texts for c in split_clauses(t)]
    dicts = (str(ROOT / "configs" / "dicts" / "restaurant_userdict.txt"),)
    jieba_tokens = get_segmenter(dicts, backend="jieba").cut_many(clauses)
    rjieba_tokens = get_segmenter(dicts, backend="rjieba").cut_many(clauses)
    agreement = token_agreement(jieba_tokens, rjieba_tokens)
    identical = sum(x == y for x, y in zip(jieba_tokens, rjieba_tokens)) / len(clauses)
    record_property("token_agreement", round(agreement, 6))
    print(f"\nrjieba vs jieba on {len(clauses):,} real clauses: {agreement:.4%} of tokens, {identical:.4%} of clauses identical")
    assert agreement >= MIN_TOKEN_AGREEMENT
