"""Token features for the sentiment model: word n-grams, negation scope, character n-grams."""

from __future__ import annotations

import logging

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
