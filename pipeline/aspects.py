"""Clause-level aspect detection: which SERVQUAL dimension a clause talks about, and how.

A clause mentions a dimension when it contains

* a self-sufficient opinion term of that dimension (脏, 热情, 上菜慢): polarity from the term;
* a target term (服务员, 环境, 价格) together with an opinion about it in the same clause:
  a generic opinion (好, 差, 一般) next to it, or a bound opinion of the target's own
  sub-aspect (高 after 价格 is bad, after 性价比 good);
* a mention term that names the aspect without judging it (排队, 团购): polarity from the
  clause sentiment;
* a pattern (等了一个小时, 半天没人理);
* a subject term (服务员, 装修, 上菜) in a clause that says something else about it
  (服务员拿来了菜单, 装修是工业风): a *weak* mention. Reviewers describe staff and rooms
  without judging them, and annotators count those as neutral mentions; the clause
  sentiment gives a weak mention a polarity only when it is clearly positive or negative.

A target alone is no mention, and neither is a subject alone (``服务员`` is not a complaint
about attitude). A negator right before an opinion (不, 没有, 不太, 一点也不 ...) flips its
polarity.

Matching is one pre-compiled alternation of every literal term (longest first) plus the
packs' patterns; single-character terms only count on jieba token boundaries.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.lexicon import LexEntry, Lexicon

logger = logging.getLogger(__name__)

POSITIVE, NEUTRAL, NEGATIVE = "positive", "neutral", "negative"
NEGATED = 99  # marks a negated bound opinion until its sub-aspect is known
# Words that may stand between a negator and the opinion it negates (不是很好, 没那么干净).
DEGREE_WORDS = (
    "是很", "算太", "怎么", "那么", "这么", "特别", "非常", "十分", "太过", "算是", "大会", "怎样",
    "很", "太", "是", "算", "够", "大", "咋", "够", "会", "再", "甚", "如", "太", "多", "好", "得", "够",
    "任何", "那种", "这种", "什么", "一点", "一丝", "丝毫", "半点", "感觉", "觉得",
)
# Adverb characters jieba may glue onto a single-character term (很脏, 不太贵, 太吵).
GLUE_CHARS = frozenset("很太挺超真好蛮特最较不没也都还更极巨贼忒够算偏略有点比非常别十分相当就又那这么是怎大")
# Characters that may follow a one-character verdict (好了, 差到极点, 贵又难吃, 快点).
AFTER_VERDICT = frozenset("的了得啊呀吧呢哦啦嘛哈喔噢么咯哟呐耶又也还而就但可却都且并到极点些一多太很")
GLUE_SUFFIXES = frozenset("了 的 得 死 啊 呀 哦 啦 吧 呢 点 些".split())
# Between coordinated targets (环境和服务都很好) a generic opinion applies to all of them.
COORDINATORS = re.compile("[和与跟及、]|还有|以及|包括|都|均")
# What may stand between two coordinated targets (环境和服务, 环境、服务, 环境还有服务).
COORDINATE_GAP = re.compile("[和与跟及、]|还有|以及|包括|还是|或者|或")
# Characters that say nothing about a subject (这家的服务员): a clause needs more than these.
FILLER_CHARS = frozenset("的了吧呢啊呀哦嘛啦么哈这那个些家位们她他它我你也都就还和与跟及是在有")
MIN_CONTEXT_CHARS = 2
DEFAULT_NEGATORS = ("不", "没", "没有", "无", "未", "别", "并不", "并没有", "毫不", "毫无", "从不", "从没", "一点也不", "一点都不", "不太", "不是", "不够", "不算", "不怎么", "不大", "不再", "不会", "不用", "无需", "无须", "不必", "不需要")


@dataclass(frozen=True)
class Mention:
    """One dimension/sub-aspect a clause talks about.

    Attributes:
        dimension: dimension key (``empathy``, ``price`` ...).
        sub_aspect: sub-aspect name from the lexicon (``attitude``, ``waiting`` ...).
        terms: the matched terms and pattern texts, in clause order.
        lexicon_polarity: +1 / -1 / 0 when an opinion term or a pattern decides (after
            negation), None when the clause sentiment must decide.
        weak: only subject terms named the aspect (服务员拿来了菜单): the clause sentiment
            decides only when it is clear (see :func:`resolve_polarity`).
    """

    dimension: str
    sub_aspect: str
    terms: tuple[str, ...]
    lexicon_polarity: int | None
    weak: bool = False


@dataclass
class _Found:
    pos: int
    dimension: str
    sub_aspect: str
    term: str
    polarity: int | None
    weak: bool = False


@dataclass
class _Hit:
    start: int
    end: int
    term: str
    entry: LexEntry | None  # None for bound opinions (resolved against targets)
    polarity: int | None = None


class AspectMatcher:
    """Find dimension mentions in clauses with a pre-compiled lexicon.

    Args:
        lexicon: the merged lexicon packs.
        left_window: how many characters may separate a target from the opinion after it.
        right_window: how many characters may separate an opinion from the target after it
            (很好的服务).
    """

    def __init__(self, lexicon: Lexicon, left_window: int = 10, right_window: int = 3) -> None:
        self.lexicon = lexicon
        self.left_window = left_window
        self.right_window = right_window
        words = set(lexicon.entries) | set(lexicon.bound)
        self._term_re = re.compile(_trie_pattern(words)) if words else None
        negators = sorted(set(lexicon.negators or DEFAULT_NEGATORS), key=len, reverse=True)
        degree = "|".join(sorted({re.escape(w) for w in DEGREE_WORDS}, key=len, reverse=True))
        self._neg_re = re.compile(f"(?:{'|'.join(map(re.escape, negators))})(?:{degree}){{0,2}}$")
        self._max_neg = max(len(n) for n in negators) + 4
        # A term that carries its own negation (不用等, 不贵) is flipped only by a bare negator
        # right before it (不是不好吃), not by a negated word (人不多不用等).
        self._self_negated = re.compile(f"(?:{'|'.join(map(re.escape, negators))})")
        self._bare_neg_re = re.compile(f"(?:{'|'.join(map(re.escape, negators))})$")
        self._patterns = list(lexicon.patterns)
        self._any_pattern = _combined([p.regex.pattern for p in self._patterns])

    def match(self, clause: str, tokens: list[str]) -> list[Mention]:
        """Mentions in one clause.

        Args:
            clause: the clause text (cleaned, no splitting punctuation).
            tokens: jieba tokens of the clause (punctuation removed, stopwords kept); used to
                accept single-character terms only on word boundaries. An empty list accepts
                every single-character hit.

        Returns:
            One :class:`Mention` per (dimension, sub-aspect), in order of first appearance.
        """
        hits = self._literal_hits(clause, tokens)
        found: list[_Found] = []
        targets = [h for h in hits if h.entry is not None and h.entry.role in ("target", "subject")]
        opinions = [h for h in hits if h.entry is None or h.entry.role in ("generic", "opinion")]
        for h in hits:
            e = h.entry
            if e is not None and (e.role in ("opinion", "mention") or (e.role in ("target", "subject") and h.polarity is not None)):
                found.append(_Found(h.start, e.dimension, e.sub_aspect, h.term, h.polarity))
        for i, h in enumerate(opinions):
            prev_end = opinions[i - 1].end if i else 0
            next_start = opinions[i + 1].start if i + 1 < len(opinions) else len(clause)
            if h.entry is not None and h.entry.role == "generic":
                for t in self._link(clause, h, targets, prev_end, next_start):
                    found.append(_Found(t.start, t.entry.dimension, t.entry.sub_aspect, t.term, None))
                    found.append(_Found(h.start, t.entry.dimension, t.entry.sub_aspect, h.term, h.polarity))
            elif h.entry is None:
                self._link_bound(clause, h, targets, found)
        patterns = self._patterns if self._any_pattern is None or self._any_pattern.search(clause) else ()
        for p in patterns:
            for m in p.regex.finditer(clause):
                found.append(_Found(m.start(), p.dimension, p.sub_aspect, m.group(0), self._negate_pattern(clause, m.start(), p)))
        # Targets of a dimension already mentioned are evidence too (服务员 in 服务员很热情).
        dims = {f.dimension for f in found}
        used = {f.pos for f in found}
        for t in targets:
            if t.start in used:
                continue
            if t.entry.dimension in dims:
                subs = [f.sub_aspect for f in found if f.dimension == t.entry.dimension]
                sub = t.entry.sub_aspect if t.entry.sub_aspect in subs else subs[0]
                found.append(_Found(t.start, t.entry.dimension, sub, t.term, None))
            elif t.entry.role == "subject" and _has_context(clause, t.start, t.end, hits):
                found.append(_Found(t.start, t.entry.dimension, t.entry.sub_aspect, t.term, None, weak=True))
        if not found:
            return []
        return _merge(found)

    def _literal_hits(self, clause: str, tokens: list[str]) -> list[_Hit]:
        if self._term_re is None:
            return []
        spans: tuple[set[int], set[int], list[tuple[int, int]]] | None = None
        hits: list[_Hit] = []
        prev_end = 0
        pos = 0
        while True:
            m = self._term_re.search(clause, pos)
            if m is None:
                break
            term, start = m.group(0), m.start()
            if tokens:
                if spans is None:
                    spans = _token_spans(clause, tokens)
                term = self._fitting_term(clause, start, term, spans)
                if term is None:
                    pos = start + 1  # 好热 in 好热情: try again from the next character
                    continue
            end = start + len(term)
            pos = end
            entry = self.lexicon.entries.get(term)
            if len(term) == 1 and entry is not None and entry.role == "generic" and _modifies_next(clause, end):
                pos = start + 1
                continue
            if entry is not None and entry.role == "ignore":
                prev_end = end
                continue
            polarity = entry.polarity if entry is not None else None
            if entry is None or entry.role in ("generic", "opinion", "mention", "target", "subject"):
                prefix = clause[max(prev_end, start - self._max_neg) : start]
                neg_re = self._bare_neg_re if self._self_negated.match(term) else self._neg_re
                if prefix and neg_re.search(prefix):
                    if entry is None:
                        polarity = NEGATED  # a bound opinion: flipped once its sub-aspect is known
                    elif entry.role in ("mention", "target", "subject"):
                        # 不用排队 is good news; a negated naming term of a sub-aspect without
                        # negated_mentions stays as it was (没有服务员 still needs an opinion).
                        polarity = self.lexicon.negated_mentions.get((entry.dimension, entry.sub_aspect))
                    elif polarity:
                        polarity = -polarity
            hits.append(_Hit(start, end, term, entry, polarity))
            prev_end = end
        return hits

    def _fitting_term(self, clause: str, start: int, term: str, spans) -> str | None:
        """The longest term at ``start`` that respects jieba's words, or None.

        不用等位 cuts 不用等/位置 in two; the shorter 不用等 at the same place still fits.
        """
        for n in range(len(term), 0, -1):
            cand = term if n == len(term) else clause[start : start + n]
            if n < len(term) and cand not in self.lexicon.entries and cand not in self.lexicon.bound:
                continue
            ok = _aligned(clause, start, start + n, spans) if n == 1 else not _crosses(start, start + n, spans)
            if ok:
                return cand
        return None

    def _negate_pattern(self, clause: str, start: int, p) -> int | None:
        """A pattern's polarity, flipped when a negator stands right before it (不用等太久)."""
        prefix = clause[max(0, start - self._max_neg) : start]
        if not prefix or not self._neg_re.search(prefix):
            return p.polarity
        if p.polarity is None:
            return self.lexicon.negated_mentions.get((p.dimension, p.sub_aspect))
        return -p.polarity

    def _link(self, clause: str, op: _Hit, targets: list[_Hit], prev_end: int, next_start: int) -> list[_Hit]:
        """Targets a generic opinion is about: the nearest one before it, or all coordinated ones."""
        left = [t for t in targets if prev_end <= t.start and t.end <= op.start and op.start - t.end <= self.left_window]
        if left:
            chain = [left[-1]]
            for t in reversed(left[:-1]):
                gap = clause[t.end : chain[0].start]
                # 环境和服务都很好, 环境、服务、菜品都不错, 环境服务都好; not 店里的服务很好.
                if (gap and COORDINATE_GAP.fullmatch(gap)) or (not gap and COORDINATORS.search(clause, left[-1].end, op.start)):
                    chain.insert(0, t)
                else:
                    break
            return chain
        right = [t for t in targets if t.start >= op.end and t.start - op.end <= self.right_window and t.start < next_start]
        return right[:1]

    def _link_bound(self, clause: str, op: _Hit, targets: list[_Hit], found: list[_Found]) -> None:
        """Resolve a bound opinion (高, 便宜, 快) against the nearest target of its sub-aspect."""
        if len(op.term) == 1 and _modifies_next(clause, op.end):
            return  # 店里摆着的小木箱: an attribute of the next word; it still ends the opinion before
        entries = self.lexicon.bound[op.term]
        negated = op.polarity == NEGATED
        best: tuple[int, _Hit, LexEntry] | None = None
        for t in targets:
            if t.end <= op.start:
                dist = op.start - t.end
                if dist > self.left_window:
                    continue
            elif t.start >= op.end:
                dist = t.start - op.end
                if dist > self.right_window:
                    continue
                if len(op.term) == 1 and "的" not in clause[op.end : t.start]:
                    continue  # 小包间, 大桌: an attribute names a kind of thing, it judges nothing
                dist += 100  # prefer a target on the left
            else:
                continue
            for e in entries:
                if (e.dimension, e.sub_aspect) == (t.entry.dimension, t.entry.sub_aspect) and (best is None or dist < best[0]):
                    best = (dist, t, e)
        if best is None:
            return
        _, t, e = best
        pol = -e.polarity if negated and e.polarity else e.polarity
        found.append(_Found(t.start, e.dimension, e.sub_aspect, t.term, None))
        found.append(_Found(op.start, e.dimension, e.sub_aspect, op.term, pol))


def _combined(patterns: list[str]) -> re.Pattern[str] | None:
    """One regex that matches where any pattern does (a cheap pre-check), or None."""
    if not patterns:
        return None
    try:
        return re.compile("|".join(f"(?:{p})" for p in patterns))
    except re.error:  # e.g. two patterns use the same group name: check them one by one
        return None


def _trie_pattern(words: set[str]) -> str:
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


def _token_spans(clause: str, tokens: list[str]) -> tuple[set[int], set[int], list[tuple[int, int]]]:
    """Start offsets, end offsets and spans of the tokens found in order in the clause."""
    starts: set[int] = set()
    ends: set[int] = set()
    spans: list[tuple[int, int]] = []
    pos = 0
    for tok in tokens:
        i = clause.find(tok, pos)
        if i < 0:
            continue
        starts.add(i)
        ends.add(i + len(tok))
        spans.append((i, i + len(tok)))
        pos = i + len(tok)
    return starts, ends, spans


def _crosses(start: int, end: int, spans: tuple[set[int], set[int], list[tuple[int, int]]]) -> bool:
    """A multi-character hit cuts a jieba word in two (好热 in 好/热情, 有感觉 in 没有/感觉)."""
    for s, e in spans[2]:
        if s < start < e < end or start < s < end < e:
            return True
    return False


def _aligned(clause: str, start: int, end: int, spans: tuple[set[int], set[int], list[tuple[int, int]]]) -> bool:
    """A single-character hit is a word of its own, or glued to an adverb or particle only."""
    starts, ends, token_spans = spans
    if start in starts and end in ends:
        return True
    for s, e in token_spans:
        if s <= start and end <= e:
            before, after = clause[s:start], clause[end:e]
            return all(ch in GLUE_CHARS for ch in before) and (not after or after in GLUE_SUFFIXES)
    return True  # the character is in no token (tokens do not cover it): do not veto


def _modifies_next(clause: str, end: int) -> bool:
    """A one-character opinion right before another word is an adverb or an attribute, not a
    verdict (老板好有范儿, 摆着的小木箱); particles and clause-linking words may follow it."""
    nxt = clause[end : end + 1]
    return bool(nxt) and "\u4e00" <= nxt <= "\u9fff" and nxt not in AFTER_VERDICT


def _has_context(clause: str, start: int, end: int, hits: list[_Hit]) -> bool:
    """The clause says something besides the subject term (and other subject terms)."""
    covered = set(range(start, end))
    for h in hits:
        if h.entry is not None and h.entry.role in ("subject", "target"):
            covered.update(range(h.start, h.end))
    n = 0
    for i, ch in enumerate(clause):
        if i not in covered and ch not in FILLER_CHARS and (ch.isalnum()):
            n += 1
            if n >= MIN_CONTEXT_CHARS:
                return True
    return False


def _merge(found: list[_Found]) -> list[Mention]:
    """One mention per (dimension, sub-aspect); polarity by majority, ties to the later opinion."""
    found.sort(key=lambda f: f.pos)
    groups: dict[tuple[str, str], list[_Found]] = {}
    for f in found:
        groups.setdefault((f.dimension, f.sub_aspect), []).append(f)
    out = []
    for (dim, sub), items in groups.items():
        terms = tuple(dict.fromkeys(f.term for f in items))
        pols = [f.polarity for f in items if f.polarity is not None]
        out.append(Mention(dim, sub, terms, _combine(pols), weak=all(f.weak for f in items)))
    return out


def _combine(pols: Sequence[int]) -> int | None:
    if not pols:
        return None
    total = sum(pols)
    if total:
        return 1 if total > 0 else -1
    signed = [p for p in pols if p]
    return signed[-1] if signed else 0


def resolve_polarity(mention: Mention, clause_score: float, neutral_low: float, neutral_high: float, review_score: float | None = None) -> tuple[str, float]:
    """Polarity of a mention from its lexicon polarity and the clause sentiment.

    An opinion term (after negation) decides the label: on the labelled restaurant reviews it
    is right far more often than a clause-level classifier. The clause score then only sets
    the strength: the returned score is the mean of the clause's P(positive) and the term's
    (1, 0.5 or 0), so it always agrees with the label. Without a lexicon polarity the clause
    score decides, with the neutral band.

    A weak mention (a subject named without an opinion: 服务员拿来了菜单) is neutral on its
    own: a clause-level classifier reads plain descriptions as mildly negative far too often
    to judge it. Given the review's score it takes the review's tone instead (with the same
    neutral band): on the labelled restaurant reviews, annotators label a staff or décor
    remark in a glowing review as positive, in an angry one as negative.

    Args:
        mention: the mention.
        clause_score: P(positive) of the clause, 0..1.
        neutral_low: scores at or above this and ...
        neutral_high: ... at or below this are neutral.
        review_score: P(positive) of the whole review; only weak mentions use it.

    Returns:
        ``(label, score)`` with label ``positive`` | ``neutral`` | ``negative``.
    """
    pol = mention.lexicon_polarity
    if pol is None and mention.weak:
        if review_score is None:
            return NEUTRAL, clause_score
        clause_score = float(review_score)
    if pol is None:
        if clause_score > neutral_high:
            return POSITIVE, clause_score
        if clause_score < neutral_low:
            return NEGATIVE, clause_score
        return NEUTRAL, clause_score
    if pol > 0:
        return POSITIVE, (clause_score + 1.0) / 2
    if pol < 0:
        return NEGATIVE, clause_score / 2
    return NEUTRAL, (clause_score + 0.5) / 2


def aggregate_review(polarities: list[str]) -> str:
    """Review-level ``dim_<key>`` from the polarities of a review's mentions of that dimension.

    The majority of positive against negative mentions wins; a tie between them goes to
    ``negative`` so that a complaint is routed rather than cancelled out by praise
    (``环境不错，就是太吵``). Only neutral mentions give ``neutral``; no mention gives ``""``.

    Args:
        polarities: ``positive`` / ``neutral`` / ``negative`` per mention, in clause order.

    Returns:
        ``positive`` | ``neutral`` | ``negative``, or ``""`` when the list is empty.
    """
    if not polarities:
        return ""
    pos = sum(p == POSITIVE for p in polarities)
    neg = sum(p == NEGATIVE for p in polarities)
    if pos == neg == 0:
        return NEUTRAL
    if pos > neg:
        return POSITIVE
    return NEGATIVE
