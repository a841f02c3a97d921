"""SERVQUAL lexicon packs: load, validate (errors by file and line) and merge.

A pack is a YAML file (see ``configs/lexicons/general.yaml`` for a commented example)::

    negators: [不, 没有, ...]            # words that flip an opinion placed right after them
    opinions:                           # evaluation words that name no aspect (好, 差, 一般);
      positive: [...]                   # they count only next to a target term
      negative: [...]
      neutral: [...]
    ignore: [好像, 不好意思, ...]        # phrases that must not be read as terms
    ignore_patterns: ['处理得?很?干净']  # regular expressions: no term inside a match counts
    others: [生意, 天气, ...]            # nouns a generic opinion may be about that name no
                                        # dimension (生意很好 says nothing of the room)
    dimensions:
      empathy:                          # a configured dimension key
        attitude:                       # a sub-aspect (free name)
          label: 服务态度                # its Chinese name in reports (required in shipped packs)
          targets: [服务员, 态度]        # name the aspect; need an opinion in the clause
          subjects: [服务员]             # like targets, and a clause saying anything else about
                                        # them (服务员拿来了菜单) is a weak mention; alone
                                        # (服务员) they are nothing
          hosts: [餐厅]                  # like targets, but only this sub-aspect's bound
                                        # opinions count (餐厅很时尚; not 很不错的餐厅)
          positive: [热情, 周到]         # name the aspect and carry polarity on their own
          negative: [冷漠, 爱理不理]
          neutral: [...]
          mentions: [...]               # name the aspect; polarity from the clause sentiment
          negated_mentions: 1           # polarity of a negated mention (不用排队 is good news)
          bound_positive: [...]         # opinions for this sub-aspect's targets only
          bound_negative: [...]         # (高 is bad for 价格, good for 性价比)
          patterns:                     # regular expressions on the clause text
            - '没人(理|管)'              # polarity from the clause sentiment
            - {regex: '等了.{0,4}小时', polarity: -1}
            - {regex: '位于', weak: true}  # the tone around it decides, when clear

Packs are merged in the order given: a later pack may re-assign a term an earlier one defined
(a user pack refining ``general.yaml``), including turning a free term into a bound opinion;
within one pack a term may carry one meaning only.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipeline.errors import DictionaryError

logger = logging.getLogger(__name__)

TOP_KEYS = ("version", "description", "negators", "opinions", "ignore", "ignore_patterns", "others", "dimensions")
POLARITY_KEYS = {"positive": 1, "negative": -1, "neutral": 0}
SUB_KEYS = ("label", "description", "negated_mentions", "targets", "subjects", "hosts", "positive", "negative", "neutral", "mentions", "bound_positive", "bound_negative", "bound_neutral", "patterns")
_STR_TAG = "tag:yaml.org,2002:str"


@dataclass(frozen=True)
class LexEntry:
    """One literal term and what it means.

    Attributes:
        term: the literal text matched in a clause.
        role: ``target`` | ``subject`` | ``host`` | ``opinion`` | ``mention`` | ``generic`` | ``bound`` |
            ``ignore`` | ``other`` (a noun of no dimension that takes generic opinions).
        dimension: dimension key (None for generic opinions and ignored phrases).
        sub_aspect: sub-aspect name (None as for ``dimension``).
        polarity: +1 / -1 / 0 for opinions, None for targets, mentions and ignored phrases.
        source: ``file:line`` where the term was defined.
    """

    term: str
    role: str
    dimension: str | None
    sub_aspect: str | None
    polarity: int | None
    source: str


@dataclass(frozen=True)
class PatternEntry:
    """A regular expression naming a sub-aspect, with an optional fixed polarity; a weak one
    (``weak: true``) gives a weak mention, as a subject does."""

    regex: re.Pattern[str]
    dimension: str
    sub_aspect: str
    polarity: int | None
    source: str
    weak: bool = False


@dataclass
class Lexicon:
    """Merged lexicon packs.

    Attributes:
        dimensions: the dimension keys the packs were validated against.
        entries: free terms (targets, opinions, mentions, generic opinions, ignored phrases).
        bound: opinions that only count for their own sub-aspect's targets, by term.
        patterns: regular expressions, in pack order.
        ignore_patterns: regular expressions whose matches hold no term (处理得很干净 is
            about the food, not the dining room).
        negators: words that flip an opinion placed right after them.
        negated_mentions: (dimension, sub-aspect) -> polarity of a negated mention term.
        sources: the pack files, in merge order.
        labels: (dimension, sub-aspect) -> Chinese label, from the packs' ``label`` keys.
        narrowed: generic opinions of an earlier pack that a later one binds to sub-aspects of
            its own, so they judge no other target: (term, earlier source, later source).
    """

    dimensions: tuple[str, ...]
    entries: dict[str, LexEntry] = field(default_factory=dict)
    bound: dict[str, list[LexEntry]] = field(default_factory=dict)
    patterns: list[PatternEntry] = field(default_factory=list)
    ignore_patterns: list[re.Pattern[str]] = field(default_factory=list)
    negators: tuple[str, ...] = ()
    negated_mentions: dict[tuple[str, str], int] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    labels: dict[tuple[str, str], str] = field(default_factory=dict)
    narrowed: list[tuple[str, str, str]] = field(default_factory=list)

    def terms(self) -> list[str]:
        """Every literal term of two characters or more (for jieba's extra words), sorted."""
        words = set(self.entries) | set(self.bound)
        return sorted(w for w in words if len(w) > 1)

    def sub_aspects(self) -> dict[str, list[str]]:
        """Sub-aspect names per dimension, in first-seen order."""
        out: dict[str, list[str]] = {d: [] for d in self.dimensions}
        items = [(e.dimension, e.sub_aspect) for e in self.entries.values()]
        items += [(e.dimension, e.sub_aspect) for es in self.bound.values() for e in es]
        items += [(p.dimension, p.sub_aspect) for p in self.patterns]
        items += list(self.labels)
        for dim, sub in items:
            if dim is not None and sub not in out[dim]:
                out[dim].append(sub)
        return out

    def sub_aspect_labels(self) -> dict[str, str]:
        """Sub-aspect key -> Chinese label (``cleanliness`` -> ``清洁卫生``) for reports.

        Keys are the bare sub-aspect names that ``aspect_mentions.csv`` carries. A sub-aspect
        without a label maps to its own key. Should two dimensions use the same sub-aspect
        name with different labels, the first dimension in configuration order wins.
        """
        out: dict[str, str] = {}
        for dim, subs in self.sub_aspects().items():
            for sub in subs:
                out.setdefault(sub, self.labels.get((dim, sub), sub))
        return out

    def sub_aspect_label(self, dimension: str, sub_aspect: str) -> str:
        """The Chinese label of one sub-aspect of one dimension (its key when unlabelled)."""
        return self.labels.get((dimension, sub_aspect), sub_aspect)

    def __len__(self) -> int:
        return len(self.entries) + sum(len(v) for v in self.bound.values()) + len(self.patterns)


def load_lexicon(paths: list[Path], dimensions: list[str]) -> Lexicon:
    """Load lexicon packs, validate each, and merge them in order.

    Args:
        paths: pack files (YAML), merged first to last.
        dimensions: allowed dimension keys (SERVQUAL keys plus extra categories).

    Returns:
        The merged :class:`Lexicon`.

    Raises:
        DictionaryError: a pack is missing, not YAML, or has a bad entry (file, line and key
            path in the message).
    """
    lex = Lexicon(dimensions=tuple(dimensions), sources=tuple(str(p) for p in paths))
    negators: list[str] = []
    for path in paths:
        pack = _Pack(Path(path), tuple(dimensions))
        pack.parse()
        for term, entry in pack.entries.items():
            old = lex.entries.get(term)
            if old is not None and (old.dimension, old.sub_aspect, old.role, old.polarity) != (entry.dimension, entry.sub_aspect, entry.role, entry.polarity):
                logger.debug("lexicon term %r from %s overrides %s", term, entry.source, old.source)
            lex.entries[term] = entry
        for term, entries in pack.bound.items():
            if term not in pack.entries and term in lex.entries:
                # A free term of an earlier pack re-assigned as a bound opinion (温暖 of the
                # general pack is only about staff in restaurant reviews).
                logger.debug("lexicon term %r from %s is bound in %s", term, lex.entries[term].source, entries[0].source)
                if lex.entries[term].role == "generic":
                    lex.narrowed.append((term, lex.entries[term].source, entries[0].source))
                del lex.entries[term]
            lex.bound.setdefault(term, []).extend(entries)
        lex.patterns.extend(pack.patterns)
        lex.ignore_patterns.extend(pack.ignore_patterns)
        lex.negated_mentions.update(pack.negated_mentions)
        lex.labels.update(pack.labels)
        negators.extend(n for n in pack.negators if n not in negators)
    lex.negators = tuple(negators)
    logger.info("lexicon loaded: %d terms, %d patterns from %d pack(s)", len(lex.entries) + len(lex.bound), len(lex.patterns), len(paths))
    return lex


class _Pack:
    """Parser for one pack file, walking yaml nodes so every error has a line number."""

    def __init__(self, path: Path, dimensions: tuple[str, ...]) -> None:
        self.path = path
        self.dimensions = dimensions
        self.entries: dict[str, LexEntry] = {}
        self.bound: dict[str, list[LexEntry]] = {}
        self.patterns: list[PatternEntry] = []
        self.ignore_patterns: list[re.Pattern[str]] = []
        self.negators: list[str] = []
        self.negated_mentions: dict[tuple[str, str], int] = {}
        self.labels: dict[tuple[str, str], str] = {}
        self._key_nodes: dict[int, yaml.Node] = {}

    def error(self, node: yaml.Node | None, keypath: list[str], message: str) -> DictionaryError:
        line = f" line {node.start_mark.line + 1}" if node is not None else ""
        where = f" [{' -> '.join(keypath)}]" if keypath else ""
        return DictionaryError(f"lexicon {self.path}{line}{where}: {message}")

    def parse(self) -> None:
        if not self.path.is_file():
            raise DictionaryError(f"lexicon file not found: {self.path}. Check dimensions.lexicons in the config (relative paths are relative to the config file).")
        try:
            text = self.path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DictionaryError(f"lexicon {self.path}: not valid UTF-8 ({exc.reason}); save the file as UTF-8.") from exc
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f" line {mark.line + 1}" if mark is not None else ""
            raise DictionaryError(f"lexicon {self.path}{line}: not valid YAML ({getattr(exc, 'problem', exc)})") from exc
        if root is None:
            logger.warning("lexicon %s is empty", self.path)
            return
        top = self._mapping(root, [], TOP_KEYS)
        if "negators" in top:
            self.negators = [s for s, _ in self._strings(top["negators"], ["negators"])]
        if "ignore" in top:
            for term, node in self._strings(top["ignore"], ["ignore"]):
                self._add(LexEntry(term, "ignore", None, None, None, self._src(node)), node, ["ignore"])
        if "ignore_patterns" in top:
            for regex, node in self._strings(top["ignore_patterns"], ["ignore_patterns"]):
                self.ignore_patterns.append(self._regex(regex, node, ["ignore_patterns"]))
        if "others" in top:
            for term, node in self._strings(top["others"], ["others"]):
                self._add(LexEntry(term, "other", None, None, None, self._src(node)), node, ["others"])
        if "opinions" in top:
            ops = self._mapping(top["opinions"], ["opinions"], tuple(POLARITY_KEYS))
            for key, pol in POLARITY_KEYS.items():
                for term, node in self._strings(ops.get(key), ["opinions", key]):
                    self._add(LexEntry(term, "generic", None, None, pol, self._src(node)), node, ["opinions", key])
        if "dimensions" in top:
            dims = self._mapping(top["dimensions"], ["dimensions"], None)
            for dim, dim_node in dims.items():
                if dim not in self.dimensions:
                    raise self.error(self._key_nodes[id(dim_node)], ["dimensions", dim], f"unknown dimension key {dim!r}; configured dimensions are {list(self.dimensions)}. Add it to the config's dimensions or fix the spelling.")
                subs = self._mapping(dim_node, ["dimensions", dim], None)
                for sub, sub_node in subs.items():
                    self._sub_aspect(dim, sub, sub_node)

    def _sub_aspect(self, dim: str, sub: str, node: yaml.Node) -> None:
        path = ["dimensions", dim, sub]
        spec = self._mapping(node, path, SUB_KEYS)
        if "label" in spec:
            label = self._string(spec["label"], path + ["label"]).strip()
            if not label:
                raise self.error(spec["label"], path + ["label"], "empty label; give the sub-aspect's Chinese name (清洁卫生) or drop the key")
            self.labels[(dim, sub)] = label
        if "negated_mentions" in spec:
            self.negated_mentions[(dim, sub)] = self._polarity(spec["negated_mentions"], path + ["negated_mentions"])
        for key in ("targets", "subjects", "hosts", "mentions"):
            for term, tnode in self._strings(spec.get(key), path + [key]):
                self._add(LexEntry(term, key[:-1], dim, sub, None, self._src(tnode)), tnode, path + [key])
        for key, pol in POLARITY_KEYS.items():
            for term, tnode in self._strings(spec.get(key), path + [key]):
                self._add(LexEntry(term, "opinion", dim, sub, pol, self._src(tnode)), tnode, path + [key])
            for term, tnode in self._strings(spec.get(f"bound_{key}"), path + [f"bound_{key}"]):
                mine = self.bound.setdefault(term, [])
                if any(e.dimension == dim and e.sub_aspect == sub and e.polarity != pol for e in mine):
                    raise self.error(tnode, path + [f"bound_{key}"], f"term {term!r} is listed with two polarities for the same sub-aspect")
                mine.append(LexEntry(term, "bound", dim, sub, pol, self._src(tnode)))
        if "patterns" in spec:
            self._patterns(dim, sub, spec["patterns"], path + ["patterns"])

    def _patterns(self, dim: str, sub: str, node: yaml.Node, path: list[str]) -> None:
        if not isinstance(node, yaml.SequenceNode):
            raise self.error(node, path, f"expected a list of patterns, got {_kind(node)}")
        for i, item in enumerate(node.value):
            ipath = path[:-1] + [f"patterns[{i}]"]
            polarity = None
            weak = False
            if isinstance(item, yaml.MappingNode):
                spec = self._mapping(item, ipath, ("regex", "polarity", "weak"))
                if "regex" not in spec:
                    raise self.error(item, ipath, "a pattern mapping needs a 'regex' key")
                regex_node = spec["regex"]
                if "polarity" in spec:
                    polarity = self._polarity(spec["polarity"], ipath + ["polarity"])
                if "weak" in spec:
                    weak = self._flag(spec["weak"], ipath + ["weak"])
                    if weak and polarity is not None:
                        raise self.error(spec["weak"], ipath + ["weak"], "a weak pattern takes the tone around it: it cannot also have a polarity")
            else:
                regex_node = item
            compiled = self._regex(self._string(regex_node, ipath), regex_node, ipath)
            self.patterns.append(PatternEntry(compiled, dim, sub, polarity, self._src(regex_node), weak))

    def _regex(self, regex: str, node: yaml.Node, path: list[str]) -> re.Pattern[str]:
        try:
            compiled = re.compile(regex)
        except re.error as exc:
            raise self.error(node, path, f"bad regular expression {regex!r}: {exc}") from exc
        if compiled.search("") is not None:
            raise self.error(node, path, f"regular expression {regex!r} matches the empty string; it would match every clause")
        return compiled

    def _flag(self, node: yaml.Node, path: list[str]) -> bool:
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:bool":
            return node.value.lower() in ("true", "yes", "on")
        raise self.error(node, path, f"expected true or false, got {getattr(node, 'value', _kind(node))!r}")

    def _polarity(self, node: yaml.Node, path: list[str]) -> int:
        if isinstance(node, yaml.ScalarNode) and node.value in {"1", "+1", "-1", "0"} and node.tag != _STR_TAG:
            return int(node.value)
        if isinstance(node, yaml.ScalarNode) and node.value in {"positive", "negative", "neutral"}:
            return POLARITY_KEYS[node.value]
        raise self.error(node, path, f"polarity must be 1, -1, 0 (or positive / negative / neutral), got {getattr(node, 'value', _kind(node))!r}")

    def _add(self, entry: LexEntry, node: yaml.Node, path: list[str]) -> None:
        old = self.entries.get(entry.term)
        if old is not None:
            same = (old.role, old.dimension, old.sub_aspect, old.polarity) == (entry.role, entry.dimension, entry.sub_aspect, entry.polarity)
            if not same:
                was = "/".join(str(x) for x in (old.dimension, old.sub_aspect, old.role) if x is not None)
                now = "/".join(str(x) for x in (entry.dimension, entry.sub_aspect, entry.role) if x is not None)
                raise self.error(node, path, f"term {entry.term!r} is already listed at {old.source} as {was} (polarity {old.polarity}); here as {now} (polarity {entry.polarity}). Keep one.")
            return
        self.entries[entry.term] = entry

    def _src(self, node: yaml.Node) -> str:
        return f"{self.path.name}:{node.start_mark.line + 1}"

    def _mapping(self, node: yaml.Node, path: list[str], allowed: tuple[str, ...] | None) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, path, f"expected a mapping, got {_kind(node)}")
        out: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = self._string(key_node, path)
            if allowed is not None and key not in allowed:
                raise self.error(key_node, path + [key], f"unknown key {key!r}; allowed keys are {list(allowed)}")
            if key in out:
                raise self.error(key_node, path + [key], f"key {key!r} appears twice in the same mapping")
            out[key] = value_node
            self._key_nodes[id(value_node)] = key_node
        return out

    def _strings(self, node: yaml.Node | None, path: list[str]) -> list[tuple[str, yaml.Node]]:
        if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"):
            return []
        if not isinstance(node, yaml.SequenceNode):
            raise self.error(node, path, f"expected a list of terms, got {_kind(node)}")
        out = []
        for i, item in enumerate(node.value):
            term = self._string(item, path[:-1] + [f"{path[-1]}[{i}]"] if path else [f"[{i}]"])
            if not term.strip():
                raise self.error(item, path, "empty term")
            out.append((term.strip(), item))
        return out

    def _string(self, node: yaml.Node, path: list[str]) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag != _STR_TAG:
            shown = node.value if isinstance(node, yaml.ScalarNode) else _kind(node)
            raise self.error(node, path, f"expected a string, got {shown!r} ({_kind(node)}); quote it if it is meant as text")
        return node.value


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return node.tag.rsplit(":", 1)[-1]
