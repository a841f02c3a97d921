"""Token features for the sentiment model: word n-grams, negation scope, character n-grams."""

from __future__ import annotations

import copy
import itertools
import logging
import threading
import weakref
from collections.abc import Sequence

import numpy as np
from scipy import sparse

logger = logging.getLogger(__name__)

# Words that flip the polarity of the next few tokens (不干净, 没有热水, 并不好).
NEGATION_WORDS = frozenset(
    {"不", "没", "没有", "别", "无", "未", "不是", "不太", "不够", "并不", "从不", "毫不", "不会", "不能", "不要", "木有", "非"}
)
# Degree adverbs: a clause that carries one states its view more strongly (太差, 非常好).
DEGREE_WORDS = frozenset(
    {"太", "很", "非常", "特别", "十分", "极", "极其", "超", "超级", "真", "真的", "好", "挺", "相当", "最", "巨", "贼", "实在", "简直", "尤其", "格外"}
)


class NgramAnalyzer:
    """Turn a token list into sparse features (a picklable ``analyzer`` for vectorizers).

    Produces word n-grams, ``NEG_<token>`` for tokens inside a negation's scope, and character
    n-grams of the joined text (robust to jieba splitting a sentiment word differently).

    Args:
        word_ngrams: largest word n-gram.
        char_ngrams: (smallest, largest) character n-gram; ``(0, 0)`` switches them off.
        negation_scope: how many tokens after a negation word get a ``NEG_`` feature.
    """

    def __init__(self, word_ngrams: int = 2, char_ngrams: tuple[int, int] = (1, 3), negation_scope: int = 2) -> None:
        self.word_ngrams = word_ngrams
        self.char_ngrams = tuple(char_ngrams)
        self.negation_scope = negation_scope

    def __call__(self, tokens: list[str]) -> list[str]:
        """Features of one document (a list of jieba tokens)."""
        out = list(tokens)
        for n in range(2, self.word_ngrams + 1):
            out += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
        scope = 0
        for tok in tokens:
            if tok in NEGATION_WORDS:
                scope = self.negation_scope
            elif scope:
                out.append("NEG_" + tok)
                scope -= 1
        lo, hi = self.char_ngrams
        if hi > 0:
            text = "".join(tokens)
            for n in range(max(lo, 1), hi + 1):
                out += ["#" + text[i : i + n] for i in range(len(text) - n + 1)]
        return out

    def __repr__(self) -> str:
        return f"NgramAnalyzer(word_ngrams={self.word_ngrams}, char_ngrams={self.char_ngrams}, negation_scope={self.negation_scope})"


def has_degree_word(tokens: list[str]) -> bool:
    """True when a degree adverb (太, 非常, ...) appears among the tokens."""
    return any(t in DEGREE_WORDS for t in tokens)


# --- fast transform ---------------------------------------------------------------------------

# Joins documents in the bulk feature pass. No fitted feature contains it (checked), so an
# n-gram that runs from one document into the next finds no column and is dropped.
_SEP = "\x00"
# Character n-grams up to this length are looked up as integers (21 bits per code point).
_MAX_PACKED_CHARS = 3
_BITS = 21


class _Table:
    """Distinct integer keys in a hash index, with the column of each key."""

    def __init__(self, keys: list[int], cols: list[int]) -> None:
        import pandas as pd

        self.index = pd.Index(np.asarray(keys, dtype=np.int64))
        self.cols = np.asarray(cols, dtype=np.int64)

    def extended(self, keys: list[int], cols: list[int]) -> _Table:
        """This table plus more distinct keys (none of them already in it)."""
        return _Table(np.concatenate([self.index.to_numpy(), np.asarray(keys, dtype=np.int64)]), np.concatenate([self.cols, np.asarray(cols, dtype=np.int64)]))

    def find(self, query: np.ndarray) -> np.ndarray:
        """Column of every key in ``query``, -1 where absent."""
        if not len(self.cols):
            return np.full(len(query), -1, dtype=np.int64)
        pos = self.index.get_indexer(query)
        return np.where(pos >= 0, self.cols[pos], -1)


def _pack(codes: np.ndarray, n: int, count: int) -> np.ndarray:
    """Integer key of each run of ``n`` code points starting at 0..count-1."""
    key = codes[:count].astype(np.int64)
    for k in range(1, n):
        key = (key << _BITS) | codes[k : k + count]
    return key


def _char_stream(docs: Sequence[Sequence[str]]) -> tuple[str, np.ndarray, np.ndarray]:
    """Every document's text joined by ``_SEP`` into one string, its character codes, and
    the document index of each character position (separators belong to the text before)."""
    texts = list(map("".join, docs))
    big = _SEP.join(texts)
    text_lens = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    char_doc = np.repeat(np.arange(len(texts), dtype=np.int64), text_lens + 1)[: len(big)]
    return big, _codes(big), char_doc


def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)


class _Columns:
    """A fitted vocabulary rearranged for bulk look-ups: tokens by dict, word pairs and short
    character n-grams as integer keys in hash indexes."""

    def __init__(self, vocabulary: dict[str, int]) -> None:
        self.vocabulary = vocabulary
        self.usable = not any(_SEP in k for k in vocabulary)
        self.negated, self.chars_long, self.pair_tokens = {}, {}, {}
        char_keys, char_cols, pair_keys, pair_cols = self._read(vocabulary)
        self.chars = {n: _Table(char_keys[n], char_cols[n]) for n in char_keys}
        self.pairs = _Table(pair_keys, pair_cols)

    @classmethod
    def extending(cls, base: _Columns, extra: dict[str, int]) -> _Columns:
        """The columns of ``base``'s vocabulary plus the ``extra`` terms (none of them in it,
        each with a column of its own), reading only the extra terms: the same look-ups as
        ``_Columns({**base.vocabulary, **extra})``, without going over the base terms again."""
        self = cls.__new__(cls)
        self.vocabulary = {**base.vocabulary, **extra}
        self.usable = base.usable and not any(_SEP in k for k in extra)
        self.negated, self.chars_long, self.pair_tokens = dict(base.negated), dict(base.chars_long), dict(base.pair_tokens)
        char_keys, char_cols, pair_keys, pair_cols = self._read(extra)
        self.chars = {n: base.chars[n].extended(char_keys[n], char_cols[n]) for n in char_keys}
        self.pairs = base.pairs.extended(pair_keys, pair_cols)
        return self

    def _read(self, terms: dict[str, int]):
        """Add ``terms`` to the negation, long n-gram and pair-token dicts; return the packed
        keys and columns of their short character n-grams (by length) and of their word pairs."""
        char_keys: dict[int, list[int]] = {}
        char_cols: dict[int, list[int]] = {}
        grams: dict[int, list[tuple[str, int]]] = {n: [] for n in range(1, _MAX_PACKED_CHARS + 1)}
        pair_keys: list[int] = []
        pair_cols: list[int] = []
        for key, col in terms.items():
            if key[:1] == "#" and len(key) > 1:
                if len(key) - 1 > _MAX_PACKED_CHARS:
                    self.chars_long[key[1:]] = col
                else:
                    grams[len(key) - 1].append((key[1:], col))
            elif key[:4] == "NEG_":
                self.negated[key[4:]] = col
            start = key.find(" ")
            # Every way of reading the key as "left right" (a token may hold a space itself).
            while start != -1:
                left = self.pair_tokens.setdefault(key[:start], len(self.pair_tokens))
                right = self.pair_tokens.setdefault(key[start + 1 :], len(self.pair_tokens))
                pair_keys.append((left << 32) | right)
                pair_cols.append(col)
                start = key.find(" ", start + 1)
        for n, same in grams.items():
            codes = _codes("".join(g for g, _ in same)).reshape(len(same), n)
            packed = codes[:, 0].copy()
            for k in range(1, n):
                packed = (packed << _BITS) | codes[:, k]
            char_keys[n] = packed
            char_cols[n] = [v for _, v in same]
        return char_keys, char_cols, pair_keys, pair_cols


_COLUMNS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_COLUMNS_LOCK = threading.RLock()  # re-entered: a union builds its first vectorizer's columns


def _columns(vectorizer) -> _Columns:
    vocabulary = vectorizer.vocabulary_
    with _COLUMNS_LOCK:
        cols = _COLUMNS.get(vectorizer)
        if cols is None or cols.vocabulary is not vocabulary:
            cols = _Columns(vocabulary)
            _COLUMNS[vectorizer] = cols
    return cols


def _lookup(table: dict[str, int], keys, count: int) -> np.ndarray:
    return np.fromiter(map(table.get, keys, itertools.repeat(-1)), dtype=np.int64, count=count)


def _factorize(tokens: list[str]) -> tuple[np.ndarray, list[str]]:
    """(code of every token, distinct tokens in order of first appearance).

    Tokens repeat heavily (不, 很, 好...): dict and set look-ups then run once per distinct
    token instead of once per token.
    """
    index = dict.fromkeys(tokens)
    for i, tok in enumerate(index):
        index[tok] = i
    codes = np.fromiter(map(index.__getitem__, tokens), dtype=np.int64, count=len(tokens))
    return codes, list(index)


def feature_entries(docs: list[list[str]], analyzer: NgramAnalyzer, cols: _Columns) -> tuple[np.ndarray, np.ndarray]:
    """(document row, column) of every feature occurrence of ``analyzer(doc)`` found in ``cols``.

    Every look-up runs over all documents at once: tokens through dicts (once per distinct
    token), word pairs and character n-grams as integer keys in hash indexes.
    """
    n = len(docs)
    lens = np.fromiter(map(len, docs), dtype=np.int64, count=n)
    flat = list(itertools.chain.from_iterable(itertools.chain.from_iterable(zip(docs, itertools.repeat((_SEP,))))))
    tok_doc = np.repeat(np.arange(n, dtype=np.int64), lens + 1)
    rows: list[np.ndarray] = []
    ids: list[np.ndarray] = []
    if flat:
        codes, uniques = _factorize(flat)
        n_unique = len(uniques)
        rows.append(tok_doc)
        ids.append(_lookup(cols.vocabulary, uniques, n_unique)[codes])
        if analyzer.word_ngrams >= 2 and len(flat) > 1:
            tid = _lookup(cols.pair_tokens, uniques, n_unique)[codes]
            both = (tid[:-1] >= 0) & (tid[1:] >= 0)
            found = np.full(len(flat) - 1, -1, dtype=np.int64)
            found[both] = cols.pairs.find((tid[:-1][both] << 32) | tid[1:][both])
            ids.append(found)
            rows.append(tok_doc[:-1])
        for m in range(3, analyzer.word_ngrams + 1):
            count = len(flat) - m + 1
            if count > 0:
                ids.append(_lookup(cols.vocabulary, map(" ".join, zip(*(flat[k:] for k in range(m)))), count))
                rows.append(tok_doc[:count])
        scope = analyzer.negation_scope
        if scope > 0 and cols.negated:
            is_neg = np.fromiter(map(NEGATION_WORDS.__contains__, uniques), dtype=bool, count=n_unique)[codes]
            in_scope = np.zeros(len(flat), dtype=bool)
            for k in range(1, min(scope, len(flat) - 1) + 1):
                in_scope[k:] |= is_neg[:-k] & (tok_doc[:-k] == tok_doc[k:])
            pos = np.flatnonzero(in_scope & ~is_neg)
            ids.append(_lookup(cols.negated, uniques, n_unique)[codes[pos]])
            rows.append(tok_doc[pos])
    lo, hi = analyzer.char_ngrams
    if hi > 0 and n:
        big, codes, char_doc = _char_stream(docs)
        for m in range(max(lo, 1), hi + 1):
            count = len(big) - m + 1
            if count <= 0:
                continue
            if m <= _MAX_PACKED_CHARS:
                ids.append(cols.chars[m].find(_pack(codes, m, count)))
            else:
                ids.append(_lookup(cols.chars_long, map("".join, zip(*(big[k:] for k in range(m)))), count))
            rows.append(char_doc[:count])
    if not ids:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    return np.concatenate(rows), np.concatenate(ids)


def _count_matrix(row: np.ndarray, col: np.ndarray, n: int, n_features: int, dtype) -> sparse.csr_array:
    """Feature counts from (row, column) occurrences (columns < 0 dropped), in canonical CSR form."""
    keep = col >= 0
    X = sparse.csr_array((np.ones(int(keep.sum()), dtype=dtype), (row[keep], col[keep])), shape=(n, n_features), dtype=dtype)
    X.sum_duplicates()
    X.sort_indices()
    if X.indices.dtype != np.int32 and max(X.nnz, n_features) <= np.iinfo(np.int32).max:
        X.indices = X.indices.astype(np.int32)
        X.indptr = X.indptr.astype(np.int32)
    return X


def count_features(docs: list[list[str]], analyzer: NgramAnalyzer, cols: _Columns, n_features: int, dtype=np.float32) -> sparse.csr_array:
    """The feature count matrix a vectorizer with ``analyzer`` builds, in bulk.

    Equal, entry for entry, to counting ``analyzer(doc)`` against the vocabulary one document
    at a time (about ten times faster; see :func:`feature_entries`).
    """
    row, col = feature_entries(docs, analyzer, cols)
    return _count_matrix(row, col, len(docs), n_features, dtype)


def _plain(vectorizer) -> bool:
    """True when ``vectorizer`` is a fitted TF-IDF vectorizer the bulk path reproduces exactly."""
    return (
        isinstance(getattr(vectorizer, "analyzer", None), NgramAnalyzer)
        and getattr(vectorizer, "_tfidf", None) is not None
        and getattr(vectorizer, "input", None) == "content"
        and not getattr(vectorizer, "binary", True)
        and hasattr(vectorizer, "vocabulary_")
    )


def transform_docs(vectorizer, docs: list[list[str]]):
    """``vectorizer.transform(docs)`` for a fitted TF-IDF vectorizer: the same matrix, built
    in bulk when its analyzer is an :class:`NgramAnalyzer` (others take sklearn's path)."""
    if not _plain(vectorizer) or not docs:
        return vectorizer.transform(docs)
    cols = _columns(vectorizer)
    if not cols.usable:
        return vectorizer.transform(docs)
    X = count_features(docs, vectorizer.analyzer, cols, len(cols.vocabulary), dtype=vectorizer.dtype)
    return vectorizer._tfidf.transform(X, copy=False)


def nb_log_count_ratio(X, y: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """Naive-Bayes log-count ratio of every column (Wang & Manning 2012): the log share of
    positive documents holding the feature against that of negative ones, add-one smoothed,
    documents weighted by ``w`` when given. float32, one value per column of ``X``."""
    binary = (X > 0).astype(np.float32)
    if w is not None:
        binary = sparse.diags(w.astype(np.float32)) @ binary
    pos = 1.0 + np.asarray(binary[y == 1].sum(axis=0)).ravel()
    neg = 1.0 + np.asarray(binary[y == 0].sum(axis=0)).ravel()
    return (np.log(pos / pos.sum()) - np.log(neg / neg.sum())).astype(np.float32)


def count_docs(vectorizer, docs: list[list[str]]) -> sparse.csr_array:
    """The raw feature counts a fitted vectorizer reads in ``docs`` (before any weighting), in
    bulk when its analyzer is an :class:`NgramAnalyzer` (else through sklearn)."""
    cols = _columns(vectorizer) if isinstance(getattr(vectorizer, "analyzer", None), NgramAnalyzer) else None
    if cols is not None and cols.usable:
        return count_features(docs, vectorizer.analyzer, cols, len(cols.vocabulary), dtype=np.float32)
    from sklearn.feature_extraction.text import CountVectorizer

    return sparse.csr_array(CountVectorizer(analyzer=vectorizer.analyzer, vocabulary=vectorizer.vocabulary_, dtype=np.float32).transform(docs))


def _bulk_vocabulary_entries(docs: list[list[str]], analyzer: NgramAnalyzer):
    """Every feature occurrence of ``analyzer`` over ``docs`` as (rows, global key ids) plus a
    function naming a global key id, without building one string per occurrence.

    Returns None when the analyzer or the tokens need the string path: word n-grams above 2,
    character n-grams above 3, or tokens that could make two kinds of feature share a name
    (a space inside a token, a token starting with ``#`` or ``NEG_``, the separator).
    """
    import pandas as pd

    lo, hi = analyzer.char_ngrams
    if analyzer.word_ngrams > 2 or hi > _MAX_PACKED_CHARS:
        return None
    n = len(docs)
    lens = np.fromiter(map(len, docs), dtype=np.int64, count=n)
    flat = list(itertools.chain.from_iterable(itertools.chain.from_iterable(zip(docs, itertools.repeat((_SEP,))))))
    codes, tokens = _factorize(flat)
    sep = tokens.index(_SEP)
    for tok in tokens:
        if tok is not tokens[sep] and (" " in tok or _SEP in tok or tok[:1] == "#" or tok[:4] == "NEG_"):
            return None
    tok_doc = np.repeat(np.arange(n, dtype=np.int64), lens + 1)
    real = codes != sep
    rows: list[np.ndarray] = []
    keys: list[np.ndarray] = []
    namers = []
    offset = 0

    def add(row: np.ndarray, key: np.ndarray, namer) -> None:
        nonlocal offset
        local, uniques = pd.factorize(key, sort=False)
        rows.append(row)
        keys.append(local.astype(np.int64) + offset)
        namers.append((offset, offset + len(uniques), np.asarray(uniques), namer))
        offset += len(uniques)

    add(tok_doc[real], codes[real], lambda k: tokens[k])
    if analyzer.word_ngrams >= 2 and len(flat) > 1:
        both = real[:-1] & real[1:]
        t = len(tokens)
        add(tok_doc[:-1][both], codes[:-1][both] * t + codes[1:][both], lambda k: tokens[k // t] + " " + tokens[k % t])
    scope = analyzer.negation_scope
    if scope > 0 and len(flat):
        is_neg = np.fromiter(map(NEGATION_WORDS.__contains__, tokens), dtype=bool, count=len(tokens))[codes]
        in_scope = np.zeros(len(flat), dtype=bool)
        for k in range(1, min(scope, len(flat) - 1) + 1):
            in_scope[k:] |= is_neg[:-k] & (tok_doc[:-k] == tok_doc[k:])
        pos = np.flatnonzero(in_scope & ~is_neg & real)
        add(tok_doc[pos], codes[pos], lambda k: "NEG_" + tokens[k])
    if hi > 0 and n:
        big, chars, char_doc = _char_stream(docs)
        is_sep = chars == ord(_SEP)
        mask = (1 << _BITS) - 1
        for m in range(max(lo, 1), hi + 1):
            count = len(big) - m + 1
            if count <= 0:
                continue
            ok = ~is_sep[:count]
            for k in range(1, m):
                ok &= ~is_sep[k : k + count]
            add(
                char_doc[:count][ok],
                _pack(chars, m, count)[ok],
                lambda key, m=m: "#" + "".join(chr((key >> (_BITS * (m - 1 - j))) & mask) for j in range(m)),
            )
    if not rows:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), 0, lambda ids: []

    def names(ids: np.ndarray) -> list[str]:
        out: list[str] = [""] * len(ids)
        for start, stop, uniques, namer in namers:
            sel = np.flatnonzero((ids >= start) & (ids < stop))
            for i, key in zip(sel.tolist(), uniques[ids[sel] - start].tolist()):
                out[i] = namer(key)
        return out

    return np.concatenate(rows), np.concatenate(keys), offset, names


def fit_transform_docs(vectorizer, docs: list[list[str]]):
    """``vectorizer.fit_transform(docs)`` for a TF-IDF vectorizer with an :class:`NgramAnalyzer`.

    Learns the same vocabulary (same terms, same columns) and returns the same matrix with
    each row's entries in column order, but counts n-grams as integer keys over all documents
    at once instead of sklearn's per-n-gram Python loop (several times faster). Settings this
    path does not reproduce (``max_features``, ``max_df``, a fixed vocabulary, ``binary``, word
    n-grams above 2...) take sklearn's path.
    """
    from numbers import Integral

    from sklearn.feature_extraction.text import TfidfTransformer

    analyzer = getattr(vectorizer, "analyzer", None)
    simple = (
        isinstance(analyzer, NgramAnalyzer)
        and getattr(vectorizer, "input", None) == "content"
        and not vectorizer.binary
        and vectorizer.vocabulary is None
        and vectorizer.max_features is None
        and isinstance(vectorizer.min_df, Integral)
        and isinstance(vectorizer.max_df, float)
        and vectorizer.max_df == 1.0
    )
    docs = list(docs)
    entries = _bulk_vocabulary_entries(docs, analyzer) if simple and docs else None
    if entries is None:
        return vectorizer.fit_transform(docs)
    rows, keys, n_keys, names = entries
    n = len(docs)
    dfs = np.bincount(_count_matrix(rows, keys, n, n_keys, vectorizer.dtype).indices, minlength=n_keys)
    kept = np.flatnonzero(dfs >= vectorizer.min_df)
    if not len(kept):
        raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
    terms = names(kept)
    order = sorted(range(len(terms)), key=terms.__getitem__)
    column = np.full(n_keys, -1, dtype=np.int64)
    column[kept[np.asarray(order, dtype=np.int64)]] = np.arange(len(kept), dtype=np.int64)
    X = _count_matrix(rows, column[keys], n, len(kept), vectorizer.dtype)
    vectorizer.fixed_vocabulary_ = False
    vectorizer.vocabulary_ = {terms[i]: col for col, i in enumerate(order)}
    vectorizer._tfidf = TfidfTransformer(
        norm=vectorizer.norm, use_idf=vectorizer.use_idf, smooth_idf=vectorizer.smooth_idf, sublinear_tf=vectorizer.sublinear_tf
    )
    vectorizer._tfidf.fit(X)
    return vectorizer._tfidf.transform(X, copy=False)


class _Union:
    """Several vocabularies merged for one bulk feature pass: the merged columns plus, per
    vectorizer, an array mapping a merged column to its own (-1 where it lacks the term).

    The first vocabulary keeps its own columns and the others' new terms follow it, so the
    merged look-ups extend the first vectorizer's (cached) ones: a base model's 300,000
    n-grams are read once per process, not again for every correction fitted on a dump.
    """

    def __init__(self, vectorizers) -> None:
        self.refs = [weakref.ref(v) for v in vectorizers]
        self.vocabularies = [v.vocabulary_ for v in vectorizers]
        first = self.vocabularies[0]
        own = np.fromiter(first.values(), dtype=np.int64, count=len(first))
        if len(own) and np.array_equal(np.sort(own), np.arange(len(own))):
            extra: dict[str, int] = {}
            for vocabulary in self.vocabularies[1:]:
                for term in vocabulary:
                    if term not in first and term not in extra:
                        extra[term] = len(first) + len(extra)
            self.cols = _Columns.extending(_columns(vectorizers[0]), extra)
        else:  # columns that are not 0..n-1 cannot be kept: merge from scratch
            merged: dict[str, int] = {}
            for vocabulary in self.vocabularies:
                for term in vocabulary:
                    merged.setdefault(term, len(merged))
            self.cols = _Columns(merged)
        merged = self.cols.vocabulary
        self.maps = []
        for vocabulary in self.vocabularies:
            m = np.full(len(merged) + 1, -1, dtype=np.int64)  # the last slot maps "absent" (-1)
            m[np.fromiter(map(merged.__getitem__, vocabulary), dtype=np.int64, count=len(vocabulary))] = np.fromiter(
                vocabulary.values(), dtype=np.int64, count=len(vocabulary)
            )
            self.maps.append(m)

    def matches(self, vectorizers) -> bool:
        return len(vectorizers) == len(self.refs) and all(
            r() is v and v.vocabulary_ is voc for r, v, voc in zip(self.refs, vectorizers, self.vocabularies)
        )


_UNIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def transform_stack(vectorizers: list, docs: list[list[str]]) -> list:
    """``[transform_docs(v, docs) for v in vectorizers]``, the same matrices, from one feature
    pass over the merged vocabularies when every vectorizer uses the same :class:`NgramAnalyzer`
    settings (a base model and the correction fitted on a dump read the same n-grams)."""
    vectorizers = list(vectorizers)
    same = len(vectorizers) > 1 and all(_plain(v) for v in vectorizers) and len({repr(v.analyzer) for v in vectorizers}) == 1
    if not same or not docs:
        return [transform_docs(v, docs) for v in vectorizers]
    key = vectorizers[-1]
    with _COLUMNS_LOCK:
        union = _UNIONS.get(key)
        if union is None or not union.matches(vectorizers):
            union = _Union(vectorizers)
            _UNIONS[key] = union
    if not union.cols.usable:
        return [transform_docs(v, docs) for v in vectorizers]
    row, col = feature_entries(docs, vectorizers[0].analyzer, union.cols)
    out = []
    for v, m in zip(vectorizers, union.maps):
        X = _count_matrix(row, m[col], len(docs), len(v.vocabulary_), v.dtype)
        out.append(v._tfidf.transform(X, copy=False))
    return out


class CompactVocabularyPickle:
    """Mixin: pickle ``vectorizer_.vocabulary_`` as one string plus a column array.

    joblib reads pickles with Python's pure-Python unpickler, which takes seconds for a dict of
    300,000 n-grams; one string and one array load in milliseconds. The dict rebuilt on load
    is equal, in the same order. Files written without the compact form still load.
    """

    def __getstate__(self):
        state = dict(super().__getstate__())
        state.pop("_vocabulary_was_compact", None)
        vec = state.get("vectorizer_")
        vocabulary = getattr(vec, "vocabulary_", None)
        if isinstance(vocabulary, dict) and not any(_SEP in term for term in vocabulary):
            vec = copy.copy(vec)
            del vec.vocabulary_
            state["vectorizer_"] = vec
            state["_vocabulary_terms"] = _SEP.join(vocabulary)
            state["_vocabulary_columns"] = np.fromiter(vocabulary.values(), dtype=np.int64, count=len(vocabulary))
        return state

    def __setstate__(self, state):
        state = dict(state)
        terms = state.pop("_vocabulary_terms", None)
        columns = state.pop("_vocabulary_columns", None)
        super().__setstate__(state)
        if terms is not None:
            self.vectorizer_.vocabulary_ = dict(zip(terms.split(_SEP) if len(columns) else [], columns.tolist()))
        # Lets the model cache rewrite files saved before the compact form (see default.py).
        self.__dict__["_vocabulary_was_compact"] = terms is not None or "vectorizer_" not in state
