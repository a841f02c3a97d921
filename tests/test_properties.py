"""Property-based tests (hypothesis): text handling and the analysis stages never crash on
arbitrary text (issue #6, "nothing lost").

Texts mix CJK, Chinese and ASCII punctuation, emoji (with modifiers and joiners), every kind of
whitespace, control and format characters, full-width forms, markup, urls, lexicon words and
any other code point except surrogates (which cannot reach the pipeline: files are decoded).
The segmenter, lexicon and sentiment model are loaded once per module (the model is cached in
``data/models``).
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import io
from pipeline.config import CleanParams, load_config
from pipeline.partition import check_requires, split_rejects
from pipeline.stages import STAGES
from pipeline.stages.base import Resources
from pipeline.stages.clean import clean_text
from pipeline.text import CLAUSE_PUNCT, split_clauses
from tests.conftest import ROOT

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CHAIN_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CHAIN = ("ingest", "clean", "segment", "sentiment", "dimensions", "feedback")

# --- strategies -----------------------------------------------------------------------------

CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
CJK_RARE = st.characters(min_codepoint=0x3400, max_codepoint=0x4DBF) | st.characters(min_codepoint=0x20000, max_codepoint=0x2A6DF)
PUNCT = st.sampled_from(list("，。！？；：、,.!?;:…~～“”‘’（）()【】《》<>/\\&#@%*+=_-—|'\"`^"))
EMOJI = st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF) | st.sampled_from(
    ["👍🏻", "❤️", "👨‍👩‍👧", "🇨🇳", "1️⃣", "☺", "⭐", "\u200d", "\ufe0f", "\u20e3"])
SPACE = st.sampled_from([" ", "\t", "\n", "\r", "\r\n", "\u3000", "\xa0", "\u2028", "\u2029", "\x0b", "\x0c", "  "])
CONTROL = st.characters(categories=["Cc", "Cf", "Co", "Cn"])
FULLWIDTH = st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E)
ANY = st.characters(exclude_categories=["Cs"])
WORDS = st.sampled_from([
    "房间", "前台", "服务", "态度", "干净", "很", "太", "不", "没有", "非常", "但是", "不过", "可是", "但", "不但", "就是",
    "热水", "早餐", "等了", "半天", "蟑螂", "价格", "位置", "隔音", "吵", "好", "差", "建议", "希望", "吗", "？",
    "http://t.cn/abc", "www.example.com", "<br/>", "<p>", "</b>", "&nbsp;", "&amp;", "&#0;", "<!--", "-->",
    "13812345678", "test@example.com", "110101199003077777", "6222021234567890123", "QQ:12345678",
    "繁體", "態度", "ＷＩＦＩ", "５星", "！！！", "。。。", "～～", "...",
])
PIECE = st.one_of(CJK, CJK, CJK, CJK_RARE, PUNCT, EMOJI, SPACE, CONTROL, FULLWIDTH, ANY, WORDS, WORDS)
TEXT = st.lists(PIECE, max_size=60).map("".join)
TEXTS = st.lists(TEXT, min_size=1, max_size=6)


# --- shared resources -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def config():
    return load_config(ROOT / "configs" / "hotel.yaml", {"input.columns": {"id": "id", "text": "review"}})


@pytest.fixture(scope="module")
def matcher(config):
    from pipeline.resources import build_matcher

    return build_matcher(config)


@pytest.fixture(scope="module")
def segmenter(config, matcher):
    from pipeline.resources import build_segmenter

    return build_segmenter(config, matcher)


@pytest.fixture(scope="module")
def sentiment_model(config, segmenter):
    from pipeline.sentiment import load_default_model

    # Same settings as the pipeline, so the model the runner cached is reused.
    return load_default_model("sklearn", ROOT / "data" / "models" / "sentiment", segmenter, C=config.sentiment.C)


def _clauses_and_tokens(texts: list[str], segmenter) -> tuple[list[list[str]], list[list[list[str]]]]:
    params = CleanParams()
    clauses = [split_clauses(clean_text(t, params)) for t in texts]
    return clauses, [[segmenter.cut(c) for c in cl] for cl in clauses]


# --- clean ----------------------------------------------------------------------------------


@SETTINGS
@given(text=TEXT)
def test_properties_clean_text_returns_str(text):
    out = clean_text(text, CleanParams())
    assert isinstance(out, str)
    assert out == out.strip()
    assert not any(unicodedata.category(ch) == "Cc" for ch in out), repr(out)


@SETTINGS
@given(text=TEXT)
def test_properties_clean_text_without_options_returns_str(text):
    params = CleanParams(fullwidth_to_halfwidth=False, traditional_to_simplified=False, strip_urls=False,
                         strip_html=False, strip_emoji=False, mask_pii=False)
    assert isinstance(clean_text(text, params), str)


CLEAN_VARIANTS = [
    CleanParams(),
    CleanParams(mask_pii=False),
    CleanParams(fullwidth_to_halfwidth=False),
    CleanParams(strip_emoji=False, pii_kinds=["phone"]),
]


@SETTINGS
@given(texts=TEXTS, variant=st.integers(0, len(CLEAN_VARIANTS) - 1))
def test_properties_clean_digests_match_digests_of_the_masked_text(texts, variant):
    """The digest the clean stage reads off its normalised text is the one computed from
    scratch on the text it outputs (stores from earlier runs compare with these)."""
    from pipeline.stages import clean

    frame = pd.DataFrame({"review_id": [f"r{i}" for i in range(len(texts))], "text": pd.array(texts, dtype="string")})
    out = clean.run(frame, CLEAN_VARIANTS[variant], Resources(config=None))
    expected = clean.duplicate_digests(out["text"].tolist())
    assert out[clean.DIGEST_COL].to_numpy(np.uint64).tolist() == expected.tolist()


@SETTINGS
@given(text=TEXT | st.text())
def test_properties_duplicate_key_keeps_exactly_the_letters_and_digits(text):
    """Digests in stores written by earlier versions kept the characters str.isalnum() keeps."""
    from pipeline.stages.clean import _alnum

    assert _alnum(text) == "".join(ch for ch in text if ch.isalnum())


@SETTINGS
@given(text=TEXT, flags=st.tuples(st.booleans(), st.booleans(), st.booleans()))
def test_properties_strip_noise_matches_unconditional_substitution(text, flags):
    """Skipping the markup substitutions on texts without a hint of markup changes nothing."""
    from pipeline import text as tx

    urls, html, emoji = flags
    ref = text
    if html:
        ref = tx.HTML_ENTITY_RE.sub(tx._unescape_entity, tx.HTML_TAG_RE.sub(" ", ref))
    if urls:
        ref = tx.URL_RE.sub(" ", ref)
    if emoji:
        ref = tx.EMOJI_RE.sub(" ", ref)
    ref = tx.WHITESPACE_RE.sub(" ", tx.REPEAT_PUNCT_RE.sub(r"\1", ref)).strip()
    assert tx.strip_noise(text, urls=urls, html=html, emoji=emoji) == ref


@SETTINGS
@given(text=TEXT, k=st.integers(0, 4))
def test_properties_has_cjk_agrees_with_count(text, k):
    from pipeline.text import count_cjk, has_cjk

    assert has_cjk(text, k) == (count_cjk(text) >= k)


# --- clauses --------------------------------------------------------------------------------


@SETTINGS
@given(text=TEXT)
def test_properties_split_clauses_gives_stripped_pieces_of_the_input(text):
    for source in (text, clean_text(text, CleanParams())):
        clauses = split_clauses(source)
        assert isinstance(clauses, list)
        chars = set(source)
        for clause in clauses:
            assert isinstance(clause, str) and clause
            assert clause == clause.strip()
            assert set(clause) <= chars
            assert not set(clause) & set(CLAUSE_PUNCT)


@SETTINGS
@given(text=TEXT, words=st.lists(st.text(min_size=1, max_size=3), max_size=4))
def test_properties_split_clauses_with_any_contrast_words(text, words):
    for clause in split_clauses(text, tuple(words)):
        assert clause and clause == clause.strip() and set(clause) <= set(text)


# --- segmenter ------------------------------------------------------------------------------


@SETTINGS
@given(text=TEXT)
def test_properties_segmenter_cut_never_raises(segmenter, text):
    for source in (text, clean_text(text, CleanParams())):
        tokens = segmenter.cut(source)
        assert isinstance(tokens, list)
        for tok in tokens:
            assert isinstance(tok, str) and tok
            assert set(tok) <= set(source)
        content = segmenter.content_tokens(tokens)
        assert set(content) <= set(tokens)


# --- sentiment ------------------------------------------------------------------------------


@SETTINGS
@given(texts=TEXTS)
def test_properties_sentiment_scores_are_probabilities(sentiment_model, segmenter, texts):
    from pipeline.sentiment import score_reviews

    clauses, tokens = _clauses_and_tokens(texts, segmenter)
    scores, clause_scores = score_reviews(sentiment_model, clauses, tokens)
    scores = np.asarray(scores, dtype=float)
    assert scores.shape == (len(texts),)
    assert np.isfinite(scores).all() and ((scores >= 0) & (scores <= 1)).all()
    assert len(clause_scores) == len(texts)
    for cl, cs in zip(clauses, clause_scores):
        assert len(cs) == len(cl)
        assert all(math.isfinite(s) and 0.0 <= s <= 1.0 for s in cs)


# --- dimensions -----------------------------------------------------------------------------


@SETTINGS
@given(text=TEXT)
def test_properties_aspect_matcher_returns_known_dimensions(matcher, segmenter, config, text):
    keys = set(config.dimensions.dimensions)
    clauses = split_clauses(clean_text(text, CleanParams())) + [text]
    for clause in clauses:
        for tokens in (segmenter.cut(clause), []):
            for m in matcher.match(clause, tokens):
                assert m.dimension in keys
                assert isinstance(m.sub_aspect, str) and m.sub_aspect
                assert m.terms and all(isinstance(t, str) and t for t in m.terms)
                assert m.lexicon_polarity in (None, -1, 0, 1)


# --- the stage chain ------------------------------------------------------------------------


IDS = st.sampled_from(["a", "b", "c", "", " ", "1", "重复"])


@CHAIN_SETTINGS
@given(rows=st.lists(st.tuples(IDS, TEXT | WORDS), min_size=1, max_size=8))
def test_properties_stage_chain_keeps_row_accounting(config, segmenter, matcher, sentiment_model, rows):
    raw = pd.DataFrame({"id": [r[0] for r in rows], "review": [r[1] for r in rows]}, dtype="string")
    raw[io.ROW_COL] = list(range(2, len(rows) + 2))
    raw[io.READ_ERROR_COL] = pd.array([None] * len(rows), dtype="string")
    res = Resources(config=config, run_date=dt.date(2026, 11, 1), segmenter=segmenter, matcher=matcher, sentiment_model=sentiment_model)
    df = raw
    rejected = 0
    for name in CHAIN:
        check_requires(name, df)
        stage, params = STAGES[name], getattr(config, name)
        if hasattr(stage, "fit"):
            stage.fit(df, params, res)
        df, rejects = split_rejects(stage.run(df, params, res), name)
        rejected += len(rejects)
        assert rejects["reason"].fillna("").str.strip().ne("").all()
        assert len(df) + rejected == len(rows)
    assert df["review_id"].is_unique
    assert df["sentiment_score"].between(0, 1).all()
    for col in (c for c in df.columns if c.startswith("dim_")):
        assert set(df[col]) <= {"positive", "neutral", "negative", ""}
