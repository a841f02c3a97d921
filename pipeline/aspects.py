"""Clause-level aspect detection: which SERVQUAL dimension a clause talks about, and how.

A clause mentions a dimension when it contains

* a self-sufficient opinion term of that dimension (脏, 热情, 上菜慢): polarity from the term;
* a target term (服务员, 环境, 价格) together with an opinion about it in the same clause:
  a generic opinion (好, 差, 一般) next to it, or a bound opinion of the target's own
  sub-aspect (高 after 价格 is bad, after 性价比 good); a *host* (餐厅, 这家店) takes only
  bound opinions (很不错的餐厅 praises the meal, not the décor), and an *other* noun
  (生意, 天气) takes a generic opinion away from every dimension (生意很好);
* a mention term that names the aspect without judging it (排队, 团购): polarity from the
  clause sentiment;
* a pattern (等了一个小时, 半天没人理);
* a subject term (服务员, 装修, 上菜) in a clause that says something else about it
  (服务员拿来了菜单, 装修是工业风): a *weak* mention. Reviewers describe staff and rooms
  without judging them, and annotators count those as neutral mentions; the tone around
  it gives a weak mention a polarity only when it is clearly positive or negative.

A target alone is no mention, and neither is a subject alone (``服务员`` is not a complaint
about attitude). A negator right before an opinion (不, 没有, 不太, 一点也不, 没洗 ...) flips
its polarity, except an emphatic one (脏得不能再脏了, 不要太好吃). Words that are opinions
only at the end of a phrase are not read as opinions before another word (还可以送餐,
特别想说, 老板好有范儿), and a generic opinion reaches a target after it only across 的
(很好的服务; not 饭好了就叫号). Phrases matching a pack's ``ignore_patterns`` hold no term
(虾线处理得很干净 is about the food).

Literal terms are found with an Aho-Corasick scan (longest term at the leftmost position, see
:class:`pipeline.aspects_text.TermScanner`), and only in clauses holding a term that can
mention a dimension; patterns are searched only in clauses holding characters they need;
single-character terms only count on jieba token boundaries. Polarity and review-level
aggregation live in :mod:`pipeline.aspects_polarity` and are re-exported here.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from pipeline.aspects_polarity import NEGATIVE, NEUTRAL, POSITIVE, WEAK_CONTEXT_AHEAD, Mention, aggregate_review, combine_polarities, resolve_polarity, weak_context_score
from pipeline.aspects_text import (
    ADVERB_GAP,
    ADVERBIAL_OPINIONS,
    COORDINATE_GAP,
    COORDINATORS,
    DEFAULT_NEGATORS,
    DEGREE_WORDS,
    EMPHATIC_NEGATIONS,
    NOT_BEFORE_BIE,
    RESULT_VERBS,
    RIGHT_GAP,
    PatternIndex,
    TermPresence,
    TermScanner,
    TokenSpans,
    has_context,
    modifies_next,
    token_spans,
)
from pipeline.lexicon import LexEntry, Lexicon

logger = logging.getLogger(__name__)

EXCESS = "太"  # too (太贵), or very, before praise (太棒了)
NEGATED = 99  # marks a negated bound opinion until its sub-aspect is known
# A matcher remembers, per distinct clause, its literal hits, its mentions, its opinion count
# and the cut a sentiment model should read, in two generations of this many clauses each: a clause read within the last 100,000
# new ones is always remembered (a clause read again moves to the new generation), so the
# dimensions stage finds the mentions the sentiment stage matched in the same partition, and
# clauses that come back partition after partition (好吃, 服务很好) are matched once. A clause's
# cut is kept as one joined string, not as its token list, which is most of the memory.
CLAUSE_MEMO_GENERATION = 100_000
_MISSING = object()
_SEP = "\x1f"


class _ClauseMemo:
    """One record per distinct clause: ``[hits, mentions, opinion count, reading cut]``
    (the cut None when the model reads every token), each ``_MISSING`` until computed. The clause's tokens are part of the key (compared as one joined string);
    a cut holding the separator in a token is not remembered. Values are never changed once
    stored; readers must not change them either."""

    __slots__ = ("size", "new", "old")

    def __init__(self, size: int = CLAUSE_MEMO_GENERATION) -> None:
        self.size = size
        self.new: dict[str, tuple[tuple[int, str], list]] = {}
        self.old: dict[str, tuple[tuple[int, str], list]] = {}

    def record(self, clause: str, tokens: list[str]) -> list:
        """The record of ``clause`` cut as ``tokens`` (a new, empty one the first time)."""
        joined = _SEP.join(tokens)
        cut = (len(tokens), joined)
        found = self.new.get(clause)
        if found is not None and found[0] == cut:
            return found[1]
        if found is None:
            found = self.old.get(clause)
            if found is not None and found[0] == cut:
                self._store(clause, found)  # read again: keep it with the new ones
                return found[1]
        record = [_MISSING, _MISSING, _MISSING, _MISSING]
        if joined.count(_SEP) == max(len(tokens) - 1, 0):
            self._store(clause, (cut, record))
        return record

    def _store(self, clause: str, entry: tuple) -> None:
        if len(self.new) >= self.size:
            self.old = self.new
            self.new = {}
        self.new[clause] = entry

    def __len__(self) -> int:
        return len(self.new) + len(self.old)

    def clear(self) -> None:
        self.new.clear()
        self.old.clear()


@dataclass(slots=True)
class _Found:
    pos: int
    dimension: str
    sub_aspect: str
    term: str
    polarity: int | None
    weak: bool = False


@dataclass(slots=True)
class _Hit:
    start: int
    end: int
    term: str
    entry: LexEntry | None  # None for bound opinions (resolved against targets)
    polarity: int | None = None
    praise_from: int = -1  # where a negated complaint (不脏, 没有异味) begins, its negator included


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
        self._terms = TermScanner(words)
        self._naming = TermPresence({t for t, e in lexicon.entries.items() if e.role in _NAMING_OR_SELF_ROLES})
        self._judging = TermPresence({t for t, e in lexicon.entries.items() if e.role in _OPINION_ROLES and e.polarity in (1, -1)})
        self._memo = _ClauseMemo()
        negators = sorted(set(lexicon.negators or DEFAULT_NEGATORS), key=len, reverse=True)
        degree = "|".join(sorted({re.escape(w) for w in DEGREE_WORDS + RESULT_VERBS}, key=len, reverse=True))
        neg = "|".join(_negator_regex(n) for n in negators)
        self._neg_re = re.compile(f"(?:{neg})(?:{degree}){{0,2}}$")
        self._max_neg = max(len(n) for n in negators) + 4
        self._negator_words = frozenset(negators)
        # A term that carries its own negation (不用等, 不贵) is flipped only by a bare negator
        # right before it (不是不好吃), not by a negated word (人不多不用等).
        self._self_negated = re.compile(f"(?:{'|'.join(map(re.escape, negators))})")
        self._bare_neg_re = re.compile(f"(?:{neg})$")
        # Praise that is a negated complaint written as one term (不吵, 没有异味): a negator, then
        # a negative term of the lexicon. Not 不错: 错 is no complaint of the lexicon's, and
        # reviews say 不错 so often that a model knows it.
        self._negated_praise = frozenset(
            t
            for t, e in lexicon.entries.items()
            if e.polarity == 1
            and e.role in _NEGATABLE_ROLES
            and (m := self._self_negated.match(t))
            and getattr(lexicon.entries.get(t[m.end() :]), "polarity", None) == -1
        )
        self._patterns = list(lexicon.patterns)
        self._pattern_index = PatternIndex([p.regex for p in self._patterns])
        self._ignore_patterns = list(lexicon.ignore_patterns)
        self._ignore_index = PatternIndex(self._ignore_patterns)

    def match(self, clause: str, tokens: list[str]) -> list[Mention]:
        """Mentions in one clause (remembered, see ``CLAUSE_MEMO_GENERATION``: the sentiment
        stage reads them for its lexicon shift, the dimensions stage for the mentions).

        Args:
            clause: the clause text (cleaned, no splitting punctuation).
            tokens: jieba tokens of the clause (punctuation removed, stopwords kept); used to
                accept single-character terms only on word boundaries. An empty list accepts
                every single-character hit.

        Returns:
            One :class:`Mention` per (dimension, sub-aspect), in order of first appearance
            (a new list each call; the mentions are frozen).
        """
        return list(self._mentions(clause, tokens))

    def _mentions(self, clause: str, tokens: list[str], record: list | None = None) -> list[Mention]:
        """:meth:`match` through the memo (the list is the memo's own: read it, do not change it)."""
        if record is None:
            record = self._memo.record(clause, tokens)
        found = record[1]
        if found is _MISSING:
            found = record[1] = self._match(clause, tokens, record)
        return found

    def _match(self, clause: str, tokens: list[str], record: list | None = None) -> list[Mention]:
        if not self._naming.found_in(clause):
            # Without a term that names a dimension (target, subject, host) or judges one on its
            # own (opinion, mention), literal hits (generic or bound opinions, ignored phrases,
            # other nouns) link to nothing: only patterns can mention a dimension. Every term
            # the scan could read is a substring of the clause, so this shortcut is exact; it
            # spares most clauses the scan.
            return self._pattern_mentions(clause)
        hits = self._hits(clause, tokens, record)
        if not hits:
            return self._pattern_mentions(clause)
        found: list[_Found] = []
        targets = [h for h in hits if h.entry is not None and h.entry.role in _TARGET_ROLES]
        opinions = [h for h in hits if h.entry is None or h.entry.role in _OPINION_ROLES]
        for h in hits:
            e = h.entry
            if e is not None and (e.role in _SELF_ROLES or (e.role in _TARGET_ROLES and h.polarity is not None)):
                found.append(_Found(h.start, e.dimension, e.sub_aspect, h.term, h.polarity))
        # Hosts (餐厅, 这家店) take bound opinions only: 很不错的餐厅 praises the whole meal.
        linkable = [t for t in targets if t.entry.role != "host"]
        for i, h in enumerate(opinions):
            if h.entry is not None and h.entry.role == "generic":
                prev_end = opinions[i - 1].end if i else 0
                next_start = opinions[i + 1].start if i + 1 < len(opinions) else len(clause)
                for t in self._link(clause, h, linkable, prev_end, next_start):
                    if t.entry.dimension is None:
                        continue  # 生意很好: the opinion is about a noun of no dimension
                    found.append(_Found(t.start, t.entry.dimension, t.entry.sub_aspect, t.term, None))
                    found.append(_Found(h.start, t.entry.dimension, t.entry.sub_aspect, h.term, h.polarity))
            elif h.entry is None:
                self._link_bound(clause, h, targets, found)
        self._pattern_finds(clause, found)
        # Targets of a dimension already mentioned are evidence too (服务员 in 服务员很热情); as
        # weak as what mentioned it (位置在万达三楼: a weak pattern and a subject).
        if targets:
            dims = {f.dimension for f in found}
            used = {f.pos for f in found}
            for t in targets:
                if t.start in used:
                    continue
                if t.entry.dimension is None:
                    continue
                if t.entry.dimension in dims:
                    subs = [f.sub_aspect for f in found if f.dimension == t.entry.dimension]
                    sub = t.entry.sub_aspect if t.entry.sub_aspect in subs else subs[0]
                    weak = all(f.weak for f in found if f.dimension == t.entry.dimension)
                    found.append(_Found(t.start, t.entry.dimension, sub, t.term, None, weak=weak))
                elif t.entry.role == "subject" and has_context(clause, t.start, t.end, [(h.start, h.end) for h in targets if h.entry.dimension is not None]):
                    found.append(_Found(t.start, t.entry.dimension, t.entry.sub_aspect, t.term, None, weak=True))
        if not found:
            return []
        return _merge(found)

    def opinion_polarity(self, clause: str, tokens: list[str]) -> int:
        """Net polarity of what a clause's lexicon words judge, whatever they are about: +1 for
        each positive opinion (热情, 暖心, 不错), -1 for each negative one (脏, 失望), negation
        applied (不干净 counts -1), read with the same rules as mentions (ignored phrases, word
        boundaries, 好 before a noun is no opinion); plus the polarity of each mention the
        lexicon decides through its target rather than through such a word: a bound opinion
        (房间很大, 回复很及时, 服务员很认真), a pattern (十分钟就修好了) or a negated mention
        (没有热水). A bound opinion with no target of its own (很及时 alone) and words that
        only name an aspect count 0.

        The sentiment stage adds this, weighted, to the model's log-odds
        (``sentiment.lexicon_weight``): the lexicon knows words a model trained on older
        reviews never saw (靠谱, 暖心, 良心), and what a bound word means for its target.
        The count is remembered per distinct clause, as the mentions are.
        """
        return self._opinion(clause, tokens)

    def _opinion(self, clause: str, tokens: list[str], record: list | None = None) -> int:
        """:meth:`opinion_polarity` through the memo."""
        if record is None:
            record = self._memo.record(clause, tokens)
        value = record[2]
        if value is _MISSING:
            value = record[2] = self._opinion_polarity(clause, tokens, record)
        return value

    def _opinion_polarity(self, clause: str, tokens: list[str], record: list) -> int:
        free = 0
        if self._judging.found_in(clause):
            free = sum(h.polarity for h in self._hits(clause, tokens, record) if h.entry is not None and h.entry.role in _OPINION_ROLES and h.polarity in (1, -1))
        entries = self.lexicon.entries
        resolved = 0
        counted: list[str] = []
        for m in self._mentions(clause, tokens, record):
            if m.lexicon_polarity not in (1, -1) or any((e := entries.get(t)) is not None and e.role in _OPINION_ROLES for t in m.terms):
                continue
            # What decided it: the bound word or the pattern's text (the terms themselves for a
            # negated mention). A word deciding two targets, or two patterns reading the same
            # words (十分钟就上 / 十分钟就上来), count once.
            deciding = [t for t in m.terms if t not in entries] or list(m.terms)
            if any(d in c or c in d for d in deciding for c in counted):
                continue
            counted.extend(deciding)
            resolved += m.lexicon_polarity
        return free + resolved

    def reading_tokens(self, clause: str, tokens: list[str]) -> list[str]:
        """The clause's tokens as a sentiment model should read them: without its negated
        complaints (不脏, 没有异味, 一点都不吵, 没有让人失望), and without the 太 before praise
        (太棒了, 房间太干净了). A model trained on reviews reads the negator and the complaint
        word, and 太 ("too", as in 太贵), as bad news; the lexicon counts such phrases as
        praise (see :meth:`opinion_polarity`). ``tokens`` itself when there is neither."""
        return self.read_clause(clause, tokens)[1]

    def read_clause(self, clause: str, tokens: list[str]) -> tuple[int, list[str]]:
        """(:meth:`opinion_polarity`, :meth:`reading_tokens`) of a clause, from one memo
        lookup: what the sentiment stage asks of every clause."""
        record = self._memo.record(clause, tokens)
        net = self._opinion(clause, tokens, record)
        read = record[3]
        if read is _MISSING:
            # Counting the opinions read the clause's hits if it holds a term that names or
            # judges something; without hits there is nothing to leave out. Only a changed
            # cut is remembered (None: read every token), so the memo holds no token lists.
            read = record[3] = self._reading_tokens(clause, tokens, record) if record[0] is not _MISSING and record[0] else None
        return net, tokens if read is None else read

    def _reading_tokens(self, clause: str, tokens: list[str], record: list) -> list[str] | None:
        """:meth:`reading_tokens` from the clause's hits (in ``record``); None when every token is read."""
        spans = []  # negated complaints: their tokens are left out
        excess = []  # where a 太 before praise stands: the character is left out of its token
        for h in record[0]:
            if h.praise_from >= 0:
                spans.append((h.praise_from, h.end))
            elif h.term.startswith(EXCESS) or clause.endswith(EXCESS, 0, h.start):
                # 太 before praise (太棒了, 房间太干净了, 上菜太快了) is delight; in the model's
                # reviews it mostly says "too" (太贵, 太小).
                if h.entry is not None:
                    praise = h.polarity == 1 and h.entry.polarity == 1
                else:  # a bound opinion: praise when the mention it decides is
                    praise = h.polarity is None and any(m.lexicon_polarity == 1 and h.term in m.terms for m in self._mentions(clause, tokens, record))
                if praise:
                    excess.append(h.start if h.term.startswith(EXCESS) else h.start - 1)
        if not spans and not excess:
            return None
        kept = []
        for tok, span in zip(tokens, token_spans(clause, tokens)):
            if span is None:
                kept.append(tok)
                continue
            i, end = span
            if any(a < end and i < b for a, b in spans):
                continue
            for k in excess:
                if i <= k < end:
                    tok = tok[: k - i] + tok[k - i + 1 :]  # 真是太 -> 真是, 太赞 -> 赞
                    break
            if tok:
                kept.append(tok)
        return kept

    def _hits(self, clause: str, tokens: list[str], record: list | None = None) -> list[_Hit]:
        """:meth:`_literal_hits`, remembered (see ``CLAUSE_MEMO_GENERATION``): a clause's
        opinion count and its mentions read the same hits."""
        if record is None:
            record = self._memo.record(clause, tokens)
        hits = record[0]
        if hits is _MISSING:
            hits = record[0] = self._literal_hits(clause, tokens)
        return hits

    def _pattern_mentions(self, clause: str) -> list[Mention]:
        """Mentions of a clause without literal terms: its patterns only."""
        found: list[_Found] = []
        self._pattern_finds(clause, found)
        return _merge(found) if found else []

    def _pattern_finds(self, clause: str, found: list[_Found]) -> None:
        """Add what the patterns find in ``clause`` to ``found``. A weak pattern (位于: where a
        place is) is a weak mention unless a negation gives it a polarity."""
        for i in self._pattern_index.candidates(clause):
            p = self._patterns[i]
            for m in p.regex.finditer(clause):
                polarity = self._negate_pattern(clause, m.start(), p)
                found.append(_Found(m.start(), p.dimension, p.sub_aspect, m.group(0), polarity, weak=p.weak and polarity is None))

    def _literal_hits(self, clause: str, tokens: list[str]) -> list[_Hit]:
        entries = self.lexicon.entries
        spans: TokenSpans | None = None
        hits: list[_Hit] = []
        prev_end = 0
        pos = 0
        found = self._terms.scan(clause)
        if not found:
            return hits
        masked = self._masked(clause)
        for start, term in found:
            if start < pos:
                continue
            if masked and start in masked:
                pos = prev_end = masked[start]  # 处理得很干净: no term inside an ignored phrase
                continue
            if tokens:
                if spans is None:
                    spans = TokenSpans(clause, tokens)
                if len(term) == 1 or spans.crosses(start, start + len(term)):
                    term = self._fitting_term(clause, start, term, spans)
                    if term is None:
                        continue  # 好热 in 好热情: try again from the next character
            end = start + len(term)
            pos = end
            entry = entries.get(term)
            if entry is not None:
                role = entry.role
                if role == "ignore":
                    prev_end = end
                    continue
                if role == "generic" and modifies_next(clause, end) and not self._names_next(clause, end, found, len(term) == 1):
                    if len(term) == 1:
                        pos = start + 1
                        continue
                    if term in ADVERBIAL_OPINIONS:
                        prev_end = end  # 特别想说: an adverb; it still ends what came before
                        continue
            polarity = entry.polarity if entry is not None else None
            praise_from = -1
            if entry is None or entry.role in _NEGATABLE_ROLES:
                lo = prev_end
                if hits and hits[-1].end == prev_end and hits[-1].term in self._negator_words:
                    lo = hits[-1].start  # 落地窗不够大: 不够 is a term of its own and still negates 大
                prefix = clause[max(lo, start - self._max_neg) : start]
                if prefix and not prefix.endswith(EMPHATIC_NEGATIONS):
                    neg_re = self._bare_neg_re if self._self_negated.match(term) else self._neg_re
                    negation = neg_re.search(prefix)
                    if negation:
                        if entry is None:
                            polarity = NEGATED  # a bound opinion: flipped once its sub-aspect is known
                        elif entry.role in _NAMING_ROLES:
                            # 不用排队 is good news; a negated naming term of a sub-aspect without
                            # negated_mentions stays as it was (没有服务员 still needs an opinion).
                            polarity = self.lexicon.negated_mentions.get((entry.dimension, entry.sub_aspect))
                        elif polarity:
                            polarity = -polarity
                        if polarity == 1 and entry is not None:
                            praise_from = max(lo, start - self._max_neg) + negation.start()
                if praise_from < 0 and polarity == 1 and term in self._negated_praise:
                    praise_from = start  # 不吵, 没有异味: a term of its own
            hits.append(_Hit(start, end, term, entry, polarity, praise_from))
            prev_end = end
        return hits

    def _names_next(self, clause: str, end: int, found: list[tuple[int, str]], any_target: bool) -> bool:
        """A subject (or, with ``any_target``, any target) starts right at ``end``: the opinion
        before it ends a phrase of its own (服务好环境也好, 环境还可以服务也不错). Only a subject
        counts after 还可以: a target may be an action (还可以送餐 means "can also deliver")."""
        for i, term in found:
            if i == end:
                entry = self.lexicon.entries.get(term)
                if entry is None or entry.dimension is None:
                    return False
                return entry.role == "subject" or (any_target and entry.role in _TARGET_ROLES)
            if i > end:
                break
        return False

    def _masked(self, clause: str) -> dict[int, int] | None:
        """Offset -> end of the ignored phrase covering it, for the ``ignore_patterns``."""
        candidates = self._ignore_index.candidates(clause)
        if not candidates:
            return None
        masked: dict[int, int] = {}
        for i in candidates:
            for m in self._ignore_patterns[i].finditer(clause):
                for k in range(m.start(), m.end()):
                    masked[k] = max(masked.get(k, 0), m.end())
        return masked

    def _fitting_term(self, clause: str, start: int, term: str, spans: TokenSpans) -> str | None:
        """The longest term at ``start`` that respects jieba's words, or None, for a scanned
        ``term`` of one character or one that cuts a word (the usual term does neither).

        不用等位 cuts 不用等/位置 in two; the shorter 不用等 at the same place still fits.
        """
        entries, bound = self.lexicon.entries, self.lexicon.bound
        for n in range(len(term), 0, -1):
            cand = term if n == len(term) else clause[start : start + n]
            if n < len(term) and cand not in entries and cand not in bound:
                continue
            ok = spans.aligned(clause, start, start + n) if n == 1 else not spans.crosses(start, start + n)
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
        if not targets:
            return []
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
        # 很好的服务, 好环境; not 饭好了就叫号.
        right = [t for t in targets if t.start >= op.end and t.start - op.end <= self.right_window and t.start < next_start and RIGHT_GAP.fullmatch(clause, op.end, t.start)]
        return right[:1]

    def _link_bound(self, clause: str, op: _Hit, targets: list[_Hit], found: list[_Found]) -> None:
        """Resolve a bound opinion (高, 便宜, 快) against the nearest target of its sub-aspect."""
        if len(op.term) == 1 and modifies_next(clause, op.end):
            return  # 店里摆着的小木箱: an attribute of the next word; it still ends the opinion before
        entries = self.lexicon.bound[op.term]
        left_entries = entries  # what it may mean for a target before it
        core = _degree_core(op.term)
        if core is not None and core not in QUANTITY_CORES and core in self.lexicon.bound and not modifies_next(clause, op.end):
            # 有点小 is bound for the portion, 小 for the room: 房间有点小 reads 小 for the room,
            # as a verdict on a target before it only, and not when it modifies the next word
            # (很大一盘).
            own = {(e.dimension, e.sub_aspect) for e in entries}
            left_entries = [*entries, *(e for e in self.lexicon.bound[core] if (e.dimension, e.sub_aspect) not in own)]
        negated = op.polarity == NEGATED
        best: tuple[int, _Hit, LexEntry] | None = None
        for t in targets:
            if t.end <= op.start:
                dist = op.start - t.end
                if dist > self.left_window or (len(op.term) == 1 and not ADVERB_GAP.fullmatch(clause, t.end, op.start)):
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
            for e in entries if t.end > op.start else left_entries:
                if (e.dimension, e.sub_aspect) == (t.entry.dimension, t.entry.sub_aspect) and (best is None or dist < best[0]):
                    best = (dist, t, e)
        if best is None:
            return
        _, t, e = best
        pol = -e.polarity if negated and e.polarity else e.polarity
        found.append(_Found(t.start, e.dimension, e.sub_aspect, t.term, None))
        found.append(_Found(op.start, e.dimension, e.sub_aspect, op.term, pol))


# Degree words jieba glues to a one-character opinion (有点小, 挺大, 比较慢): such a token may be
# a bound term of one sub-aspect while its last character is bound for another.
DEGREE_PREFIXES = ("有点", "有些", "比较", "非常", "特别", "相当", "十分", "挺", "很", "蛮", "超", "太", "较", "偏", "略", "稍", "真", "好")


# 很多 / 很少 say how many of something, often of the next word (店里很多手工制品, 客人很少): their
# core is not read as a verdict on a target.
QUANTITY_CORES = frozenset("多少")


def _degree_core(term: str) -> str | None:
    """The opinion inside a degree word + one-character opinion token (有点小 -> 小), else None."""
    for d in DEGREE_PREFIXES:
        if len(term) == len(d) + 1 and term.startswith(d):
            return term[-1]
    return None


_TARGET_ROLES = frozenset(("target", "subject", "host", "other"))
_OPINION_ROLES = frozenset(("generic", "opinion"))
_SELF_ROLES = frozenset(("opinion", "mention"))
_NAMING_ROLES = frozenset(("mention", "target", "subject", "host"))
_NAMING_OR_SELF_ROLES = _NAMING_ROLES | _SELF_ROLES
_NEGATABLE_ROLES = frozenset(("generic", "opinion", "mention", "target", "subject", "host"))


def _negator_regex(negator: str) -> str:
    """A negator as a regex; 别 does not negate as the end of 特别, 区别, 差别 ..."""
    if negator == "别":
        return f"(?<![{NOT_BEFORE_BIE}])别"
    return re.escape(negator)


def _merge(found: list[_Found]) -> list[Mention]:
    """One mention per (dimension, sub-aspect); polarity by majority, ties to the later opinion."""
    found.sort(key=_pos)
    groups: dict[tuple[str, str], list[_Found]] = {}
    for f in found:
        key = (f.dimension, f.sub_aspect)
        group = groups.get(key)
        if group is None:
            groups[key] = [f]
        else:
            group.append(f)
    out = []
    for (dim, sub), items in groups.items():
        if len(items) > 1:  # a literal term and a pattern on the same words vote once (等很久)
            items = list({(f.pos, f.term): f for f in reversed(items)}.values())[::-1]
        if len(items) == 1:
            f = items[0]
            out.append(Mention(dim, sub, (f.term,), combine_polarities([f.polarity]) if f.polarity is not None else None, weak=f.weak))
            continue
        terms = tuple(dict.fromkeys(f.term for f in items))
        pols = [f.polarity for f in items if f.polarity is not None]
        out.append(Mention(dim, sub, terms, combine_polarities(pols), weak=all(f.weak for f in items)))
    return out


def _pos(f: _Found) -> int:
    return f.pos


__all__ = [
    "NEGATIVE",
    "NEUTRAL",
    "POSITIVE",
    "WEAK_CONTEXT_AHEAD",
    "AspectMatcher",
    "Mention",
    "aggregate_review",
    "resolve_polarity",
    "weak_context_score",
]
