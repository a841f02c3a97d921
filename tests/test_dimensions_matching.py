"""The fast matching machinery gives exactly what the plain versions give: the dictionary term
scan against the term trie regex, token-boundary checks against a scan over every token,
pattern pre-selection against searching every pattern, the matcher's shortcuts against its
full path, and the dimensions stage's per-clause cache against matching every clause."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.aspects import AspectMatcher
from pipeline.aspects_text import GLUE_CHARS, GLUE_SUFFIXES, PatternIndex, TermPresence, TermScanner, TokenSpans, trie_pattern
from pipeline.config import DEFAULT_DIMENSIONS
from pipeline.lexicon import load_lexicon

ROOT = Path(__file__).resolve().parents[1]
PACKS = ROOT / "configs" / "lexicons"
WORDS = {"好", "好吃", "不错", "服务", "服务员", "服务态度", "上菜", "上菜慢", "环境", "干净", "等", "等位", "排队", "a-b", "]x", "^"}
ALPHABET = "".join(sorted({ch for w in WORDS for ch in w} | set("的了很太我们")))


def _regex_find(rx: re.Pattern[str], clause: str, pos: int):
    m = rx.search(clause, pos)
    return None if m is None else (m.start(), m.group(0))


def _scan_find(scan: list[tuple[int, str]], pos: int):
    return next(((i, t) for i, t in scan if i >= pos), None)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=24))
def test_dimensions_matching_term_scan_equals_trie_regex(clause):
    rx = re.compile(trie_pattern(WORDS))
    scan = TermScanner(WORDS).scan(clause)
    for pos in range(len(clause) + 1):
        assert _scan_find(scan, pos) == _regex_find(rx, clause, pos)


def test_dimensions_matching_term_scan_on_the_shipped_lexicon():
    lex = load_lexicon([PACKS / "general.yaml", PACKS / "restaurant.yaml"], list(DEFAULT_DIMENSIONS))
    words = set(lex.entries) | set(lex.bound)
    rx, scanner = re.compile(trie_pattern(words)), TermScanner(words)
    for clause in ["服务员态度很好但是上菜太慢了等了一个小时", "环境还可以就是有点吵", "价格不贵性价比很高下次还来", "停车不方便"]:
        scan = scanner.scan(clause)
        for pos in range(len(clause) + 1):
            assert _scan_find(scan, pos) == _regex_find(rx, clause, pos)


def _naive_spans(clause, tokens):
    spans, pos = [], 0
    for tok in tokens:
        i = clause.find(tok, pos)
        if i < 0:
            continue
        spans.append((i, i + len(tok)))
        pos = i + len(tok)
    return spans


def _naive_crosses(start, end, spans):
    return any(s < start < e < end or start < s < end < e for s, e in spans)


def _naive_aligned(clause, start, end, spans):
    if start in {s for s, _ in spans} and end in {e for _, e in spans}:
        return True
    for s, e in spans:
        if s <= start and end <= e:
            before, after = clause[s:start], clause[end:e]
            return all(ch in GLUE_CHARS for ch in before) and (not after or after in GLUE_SUFFIXES)
    return True


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(alphabet="很好脏太了的服务员，", min_size=0, max_size=4), max_size=8), st.booleans())
def test_dimensions_matching_token_spans_equal_a_scan_over_every_token(tokens, drop_punctuation):
    clause = "".join(tokens)
    if drop_punctuation:  # tokens skip the punctuation, as the segmenter's do
        tokens = [t.replace("，", "") for t in tokens]
    spans = _naive_spans(clause, tokens)
    fast = TokenSpans(clause, tokens)
    for start in range(len(clause)):
        for end in range(start + 1, len(clause) + 1):
            assert fast.crosses(start, end) == _naive_crosses(start, end, spans)
        assert fast.aligned(clause, start, start + 1) == _naive_aligned(clause, start, start + 1, spans)


def test_dimensions_matching_pattern_index_never_misses_a_pattern():
    regexes = [re.compile(p) for p in [r"(等|排)了.{0,3}小时", r"[^，]{2}慢", r"(?i)wifi", r"上(得|的)很?快", r"催(了)?[\d一两三]*次", r"\d+分钟", r"\w+"]]
    index = PatternIndex(regexes)
    for clause in ["排了两个小时", "上菜太慢", "WIFI很快", "上得很快", "催了三次", "等了20分钟", "什么都没有", "，"]:
        found = {i for i, rx in enumerate(regexes) if rx.search(clause)}
        assert found <= set(index.candidates(clause))
    assert index.always == [2, 6]  # IGNORECASE, and no character every match needs: always searched
    assert index.candidates("什么都没有") == [2, 6]


def _frame(rows):
    return pd.DataFrame(
        {
            "review_id": [str(i) for i in range(len(rows))],
            "clauses": [[c for c, _ in r] for r in rows],
            "clause_tokens": [[t for _, t in r] for r in rows],
            "clause_scores": [[0.8] * len(r) for r in rows],
            "sentiment_score": [0.7] * len(rows),
        }
    )


@pytest.fixture(scope="module")
def restaurant():
    from pipeline.config import load_config
    from pipeline.stages.base import Resources
    from pipeline.text import get_segmenter

    config = load_config(ROOT / "configs" / "restaurant.yaml")
    lex = load_lexicon([PACKS / "general.yaml", PACKS / "restaurant.yaml"], list(config.dimensions.dimensions))
    res = Resources(config=config)
    res.matcher = AspectMatcher(lex)
    return config, res, get_segmenter(extra_words=tuple(lex.terms()))


def test_dimensions_matching_clause_cache_changes_nothing(restaurant):
    from pipeline.aspects import resolve_polarity, weak_context_score
    from pipeline.stages import dimensions

    config, res, seg = restaurant
    texts = [["服务员很热情", "上菜太慢了"], ["服务员很热情", "环境不错"], ["上菜太慢了", "服务员拿来了菜单"], ["服务员很热情"]]
    rows = [[(c, seg.cut(c)) for c in r] for r in texts]
    rows.append([("服务员很热情", [])])  # same clause, other tokens: matched again, not taken from the cache
    out = dimensions.run(_frame(rows), config.dimensions, res)
    for ms, r in zip(out["mentions"], rows):
        expected = []
        for ci, (clause, toks) in enumerate(r):
            for m in res.matcher.match(clause, toks):
                tone = weak_context_score(0.7, [0.8] * len(r), ci) if m.weak and m.lexicon_polarity is None else 0.7
                expected.append((ci, m.dimension, m.sub_aspect, resolve_polarity(m, 0.8, 0.4, 0.6, review_score=tone)[0], "|".join(m.terms)))
        assert [(m["clause_index"], m["dimension"], m["sub_aspect"], m["polarity"], m["terms"]) for m in ms] == expected


def test_dimensions_matching_pattern_index_checks_every_required_part():
    regexes = [re.compile(r"(等|排)了.{0,3}(小时|钟头)"), re.compile(r"(?i:x)等")]
    index = PatternIndex(regexes)
    assert index.candidates("等了两个钟头") == [0, 1]
    assert index.candidates("等了两个") == [1]  # no 小 or 钟: the first pattern cannot match
    assert index.always == []  # 等 is required by the second; its case-insensitive part is not


class _Everywhere:
    """Finds a term in every text: the matcher takes its full path for every clause."""

    def found_in(self, text: str) -> bool:
        return True


@pytest.fixture(scope="module")
def matchers():
    lex = load_lexicon([PACKS / "general.yaml", PACKS / "restaurant.yaml"], list(DEFAULT_DIMENSIONS))
    plain = AspectMatcher(lex)
    plain._naming = _Everywhere()
    return AspectMatcher(lex), plain


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["服务员", "态度", "很", "不", "好", "热情", "上菜", "慢", "等了", "一个小时", "价格", "高", "环境", "的", "生意", "没人理", "排队", "餐厅", "处理得很干净", "了"]), max_size=6), st.booleans())
def test_dimensions_matching_shortcuts_change_nothing(matchers, words, with_tokens):
    fast, plain = matchers
    clause, tokens = "".join(words), (words if with_tokens else [])
    assert fast.match(clause, tokens) == plain.match(clause, tokens)


def test_dimensions_matching_term_presence():
    presence = TermPresence({"服务员", "热情"})
    assert presence.found_in("那个服务员很好") and presence.found_in("热情")
    assert not presence.found_in("服务很好") and not presence.found_in("")
    assert not TermPresence(set()).found_in("服务员")
