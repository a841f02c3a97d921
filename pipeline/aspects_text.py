"""Text helpers of the aspect matcher (:mod:`pipeline.aspects`): the term scan and presence
check (Aho-Corasick automata, ``pyahocorasick``), jieba token boundaries, pattern
pre-selection, and the word lists and small regexes its rules use.

Every answer here depends only on its input (pattern pre-selection keeps what it worked out,
which changes its speed only) and is fast on short clauses; the matcher calls it once per
distinct clause of a partition.
"""

from __future__ import annotations

import bisect
import itertools
import re

import ahocorasick

try:  # Python 3.11+
    import re._parser as _sre_parse  # type: ignore[import-not-found]
    from re._constants import (  # type: ignore[import-not-found]
        ASSERT,
        ASSERT_NOT,
        AT,
        BRANCH,
        IN,
        LITERAL,
        MAX_REPEAT,
        MIN_REPEAT,
        NEGATE,
        RANGE,
        SUBPATTERN,
    )
except ImportError:  # pragma: no cover - older Pythons
    import sre_parse as _sre_parse  # type: ignore[no-redef]
    from sre_constants import ASSERT, ASSERT_NOT, AT, BRANCH, IN, LITERAL, MAX_REPEAT, MIN_REPEAT, NEGATE, RANGE, SUBPATTERN  # type: ignore[no-redef]

# Adverb characters jieba may glue onto a single-character term (很脏, 不太贵, 太吵).
GLUE_CHARS = frozenset("很太挺超真好蛮特最较不没也都还更极巨贼忒够算偏略有点比非常别十分相当就又那这么是怎大")
# Characters that may follow a one-character verdict (好了, 差到极点, 贵又难吃, 快点).
AFTER_VERDICT = frozenset("的了得啊呀吧呢哦啦嘛哈喔噢么咯哟呐耶又也还而就但可却都且并到极点些一多太很")
GLUE_SUFFIXES = frozenset("了 的 得 死 啊 呀 哦 啦 吧 呢 点 些".split())
# Characters that say nothing about a subject (这家的服务员): a clause needs more than these.
FILLER_CHARS = frozenset("的了吧呢啊呀哦嘛啦么哈这那个些家位们她他它我你也都就还和与跟及是在有")
MIN_CONTEXT_CHARS = 2

# --- rules of the matcher (see pipeline.aspects) ----------------------------------------------
# Words that may stand between a negator and the opinion it negates (不是很好, 没那么干净).
DEGREE_WORDS = (
    "是很", "算太", "怎么", "那么", "这么", "特别", "非常", "十分", "太过", "算是", "大会", "怎样",
    "很", "太", "是", "算", "够", "大", "咋", "够", "会", "再", "甚", "如", "太", "多", "好", "得", "够",
    "任何", "那种", "这种", "什么", "一点", "一丝", "丝毫", "半点", "感觉", "觉得",
)
# Verbs whose result an opinion may state after a negator (没洗干净, 没有打扫干净).
RESULT_VERBS = ("洗", "擦", "弄", "搞", "收拾", "打扫", "清理", "处理", "做", "烧", "煮", "炒", "烤", "蒸", "炸")
# A negator that intensifies instead (脏得不能再脏了, 不要太好吃): no flip.
EMPHATIC_NEGATIONS = ("不能再", "不能更", "不要太", "别提多", "别提有多")
# Generic opinions that are also modal verbs or adverbs before another word (还可以送餐,
# 特别想说): only a verdict at the end of a phrase.
ADVERBIAL_OPINIONS = frozenset(("可以", "还可以", "也还可以", "还算可以", "挺可以", "特别"))
# What may stand between a target and a one-character bound opinion after it (店面非常小; not
# 店里人比较少, where 少 is about the people).
ADVERB_GAP = re.compile(
    "(?:相对来说|总的来说|稍微|略微|有些|有点儿?|实在|确实|真的|的确|其实|比较|非常|特别|十分|相当|真心|还算|算是|也是|还是|一点|一些|"
    "极其|极为|超级|那叫一个|不太|不是很|不算|没有|没那么|不怎么|"
    "[很太挺超真好蛮特最较也都还更极巨贼够算偏略就又是得的了倒却稍微些点那这么不没])*"
)
# Characters before 别 that make it part of a word, not a negator (特别, 区别, 级别).
NOT_BEFORE_BIE = "特区分差级类性告离个识辨鉴派道送惜作"
# What may stand between a generic opinion and the target after it (很好的服务, 喜欢这里的装修).
RIGHT_GAP = re.compile("(?:这里|这家|他家|她家|他们家|这样|这种|这个|那种|那个|里面)?的?")
# Between coordinated targets (环境和服务都很好) a generic opinion applies to all of them.
COORDINATORS = re.compile("[和与跟及、]|还有|以及|包括|都|均")
# What may stand between two coordinated targets (环境和服务, 环境、服务, 环境还有服务).
COORDINATE_GAP = re.compile("[和与跟及、]|还有|以及|包括|还是|或者|或")
DEFAULT_NEGATORS = ("不", "没", "没有", "无", "未", "别", "并不", "并没有", "毫不", "毫无", "从不", "从没", "一点也不", "一点都不", "不太", "不是", "不够", "不算", "不怎么", "不大", "不再", "不会", "不用", "无需", "无须", "不必", "不需要")

# A character class larger than this tells too little to pre-select a pattern with.
_MAX_ANCHORS = 64


def trie_pattern(words: set[str]) -> str:
    """A regex matching any of ``words``, longest first, compiled as a prefix tree.

    A flat alternation of thousands of terms is tried term by term at every position; the
    tree shares prefixes, which makes matching many times faster.
    """
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        end = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if end:
            # Greedy optional: the longer term wins, the shorter one is the fallback.
            return body + "?" if len(branches) == 1 and len(body) == 1 else f"(?:{body})?"
        return body

    return build(trie)


def token_spans(clause: str, tokens: list[str]) -> list[tuple[int, int] | None]:
    """(start, end) of each token in ``clause``, found in order; None for a token the clause
    does not hold after the tokens before it."""
    out: list[tuple[int, int] | None] = []
    pos = 0
    for tok in tokens:
        i = clause.find(tok, pos)
        if i < 0:
            out.append(None)
            continue
        pos = i + len(tok)
        out.append((i, pos))
    return out


class TokenSpans:
    """Where jieba's tokens lie in a clause.

    When the tokens tile the clause (the usual case) one set of edges answers whether a hit
    begins and ends on token edges: every inner edge both ends one token and begins the
    next, 0 only begins one and the clause length only ends one, and a hit has start < end.

    Attributes:
        spans: (start, end) of every token found, in order.
    """

    __slots__ = ("_starts", "_ends", "_spans", "_bounds", "_at")

    def __init__(self, clause: str, tokens: list[str]) -> None:
        if "".join(tokens) == clause:
            bounds = self._bounds = list(itertools.accumulate(map(len, tokens), initial=0))
            self._starts = self._ends = set(bounds)
            self._spans = self._at = None
            return
        # Tokens skip characters (punctuation, spaces): find them in order.
        spans = [span for span in token_spans(clause, tokens) if span is not None]
        self._spans = spans
        self._bounds = self._at = None
        self._starts = {s for s, _ in spans}
        self._ends = {e for _, e in spans}

    @property
    def spans(self) -> list[tuple[int, int]]:
        if self._spans is None:
            self._spans = list(zip(self._bounds, self._bounds[1:]))
        return self._spans

    def covering(self, i: int) -> tuple[int, int] | None:
        """The (start, end) of the token covering character ``i``, or None."""
        bounds = self._bounds
        if bounds is not None:  # tiled: the token starting at the last edge <= i
            k = bisect.bisect_right(bounds, i)
            return (bounds[k - 1], bounds[k]) if 0 < k < len(bounds) else None
        at = self._at
        if at is None:
            at = self._at = {}
            for span in self.spans:
                for k in range(span[0], span[1]):
                    at[k] = span
        return at.get(i)

    def crosses(self, start: int, end: int) -> bool:
        """A multi-character hit cuts a jieba word in two (好热 in 好/热情, 有感觉 in 没有/感觉).

        Tokens do not overlap, so only the tokens covering ``start`` and ``end`` can straddle
        an edge of the hit, and none does when both edges are token edges.
        """
        if start in self._starts and end in self._ends:
            return False
        span = self.covering(start)
        if span is not None and span[0] < start < span[1] < end:
            return True
        span = self.covering(end)
        return span is not None and start < span[0] < end < span[1]

    def aligned(self, clause: str, start: int, end: int) -> bool:
        """A single-character hit is a word of its own, or glued to an adverb or particle only."""
        if start in self._starts and end in self._ends:
            return True
        span = self.covering(start)
        if span is None:
            return True  # the character is in no token (tokens do not cover it): do not veto
        s, e = span
        before, after = clause[s:start], clause[end:e]
        return all(ch in GLUE_CHARS for ch in before) and (not after or after in GLUE_SUFFIXES)


def modifies_next(clause: str, end: int) -> bool:
    """A one-character opinion right before another word is an adverb or an attribute, not a
    verdict (老板好有范儿, 摆着的小木箱); particles and clause-linking words may follow it."""
    nxt = clause[end : end + 1]
    return bool(nxt) and "\u4e00" <= nxt <= "\u9fff" and nxt not in AFTER_VERDICT


def has_context(clause: str, start: int, end: int, covered_spans: list[tuple[int, int]]) -> bool:
    """The clause says something besides the subject term (and other subject or target terms)."""
    covered = set(range(start, end))
    for s, e in covered_spans:
        covered.update(range(s, e))
    n = 0
    for i, ch in enumerate(clause):
        if i not in covered and ch not in FILLER_CHARS and ch.isalnum():
            n += 1
            if n >= MIN_CONTEXT_CHARS:
                return True
    return False


# Characters found in most review clauses: poor anchors for :class:`PatternIndex`.
COMMON_CHARS = frozenset("的了是不没一我有在人这个也就都很要说好还来到上大为和你么那啊吧呢去会着给")


class PatternIndex:
    """Pre-selects the patterns that can match a clause from the characters it contains.

    Each pattern is parsed once for the sets of characters its matches must contain, one per
    mandatory part (one of 等 排 候 and one of 小 钟 个 for ``(等|排|候)了?...(小时|钟头|个钟)``);
    a clause is only searched with the patterns whose every set it meets. A pattern is indexed
    by its smallest set of uncommon characters (``COMMON_CHARS``), so the clause's characters
    pick a few candidates before their other sets are checked. Patterns with no such set
    (case-insensitive, or starting with a wildcard) are always searched. The result is exactly
    that of searching every pattern.

    Clauses hold few combinations of the index characters (a few thousand in 200,000 distinct
    clauses): the candidates of each combination are kept, up to ``memo_size`` of them.
    """

    def __init__(self, regexes: list[re.Pattern[str]], memo_size: int = 20_000) -> None:
        self.always: list[int] = []
        self.by_char: dict[str, list[int]] = {}
        self._others: list[tuple[frozenset[str], ...]] = []
        self._by_chars: dict[frozenset[str], list[int]] = {}
        self._memo_size = memo_size
        for i, rx in enumerate(regexes):
            sets = [] if rx.flags & re.IGNORECASE else _required_sets(rx.pattern)
            if not sets:
                self.always.append(i)
                self._others.append(())
                continue
            # The clause's index characters pick a memo entry: an anchor set of characters that
            # nearly every clause holds (的, 了, 不) would multiply the entries.
            anchors = min(sets, key=lambda s: (len(s & COMMON_CHARS), len(s)))
            for ch in anchors:
                self.by_char.setdefault(ch, []).append(i)
            self._others.append(tuple(s for s in sets if s is not anchors))
        self.chars = frozenset(self.by_char)

    def candidates(self, clause: str) -> list[int]:
        """Indexes of the patterns that may match ``clause``, in pattern order."""
        if self.chars.isdisjoint(clause):
            return self.always
        present = self.chars.intersection(clause)
        found = self._by_chars.get(present)
        if found is None:
            if len(self._by_chars) >= self._memo_size:
                self._by_chars.clear()
            found = self._by_chars[present] = sorted(set(self.always).union(*(self.by_char[ch] for ch in present)))
        others = self._others
        out = []
        for i in found:
            for chars in others[i]:
                if chars.isdisjoint(clause):
                    break
            else:
                out.append(i)
        return out


def _required_sets(pattern: str) -> list[frozenset[str]]:
    """One character set per mandatory top-level part of ``pattern``: every match holds a
    character of each. Empty when the pattern cannot be parsed (it is then always searched)."""
    try:
        parsed = _sre_parse.parse(pattern)
    except Exception:  # noqa: BLE001 - an unparseable pattern is simply always searched
        return []
    return [chars for op, av in parsed if (chars := _item_chars(op, av)) is not None]


def _seq_chars(items: list) -> frozenset[str] | None:
    """The smallest character set some mandatory item of a sequence requires, or None."""
    best: frozenset[str] | None = None
    for op, av in items:
        chars = _item_chars(op, av)
        if chars is not None and (best is None or len(chars) < len(best)):
            best = chars
    return best


def _item_chars(op, av) -> frozenset[str] | None:
    if op is LITERAL:
        return frozenset(chr(av))
    if op is IN:
        out: set[str] = set()
        for iop, iav in av:
            if iop is NEGATE:
                return None
            if iop is LITERAL:
                out.add(chr(iav))
            elif iop is RANGE and iav[1] - iav[0] < _MAX_ANCHORS:
                out.update(chr(c) for c in range(iav[0], iav[1] + 1))
            else:
                return None
        return frozenset(out) if 0 < len(out) <= _MAX_ANCHORS else None
    if op is BRANCH:
        out = set()
        for alt in av[1]:
            chars = _seq_chars(list(alt))
            if chars is None:
                return None
            out |= chars
        return frozenset(out) if len(out) <= _MAX_ANCHORS else None
    if op is SUBPATTERN:
        add_flags = av[1]
        return None if add_flags & re.IGNORECASE else _seq_chars(list(av[-1]))
    if op in (MAX_REPEAT, MIN_REPEAT) or getattr(op, "name", "") == "POSSESSIVE_REPEAT":
        low, _, sub = av
        return _seq_chars(list(sub)) if low >= 1 else None
    if op in (ASSERT, ASSERT_NOT, AT):
        return None  # zero-width: requires no character of the match itself
    return None


class TermScanner:
    """Finds lexicon terms in a clause: the leftmost term, and the longest one there.

    Equivalent to searching with :func:`trie_pattern` of the same words, but a regex over
    thousands of terms tries its top-level alternatives one by one at every position. Here an
    Aho-Corasick automaton reads the clause once in compiled code and reports every
    occurrence of every term; of the terms starting at one position the longest ends last,
    so it is the one kept.
    """

    def __init__(self, words: set[str]) -> None:
        self.words = frozenset(words)
        self._automaton: ahocorasick.Automaton | None = None
        if self.words:
            automaton = ahocorasick.Automaton()
            for w in self.words:
                automaton.add_word(w, (len(w) - 1, w))
            automaton.make_automaton()
            self._automaton = automaton

    def scan(self, clause: str) -> list[tuple[int, str]]:
        """``(start, longest term starting there)`` for every position where a term starts."""
        if self._automaton is None:
            return []
        longest: dict[int, str] = {}
        for end, (span, term) in self._automaton.iter(clause):
            longest[end - span] = term
        found = list(longest.items())
        found.sort()
        return found


class TermPresence:
    """Tells whether a text holds any of a set of words, reading it once in compiled code.

    An Aho-Corasick automaton finds an occurrence of any of thousands of words in one pass
    over the text; asking for the first occurrence only stops there. Most clauses hold no
    word of a large lexicon's naming terms, and this answers that in about a microsecond.
    """

    def __init__(self, words: set[str]) -> None:
        self._automaton: ahocorasick.Automaton | None = None
        if words:
            automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
            for i, word in enumerate(words):
                automaton.add_word(word, i)
            automaton.make_automaton()
            self._automaton = automaton

    def found_in(self, text: str) -> bool:
        """Whether ``text`` contains one of the words."""
        return self._automaton is not None and next(self._automaton.iter(text), None) is not None
