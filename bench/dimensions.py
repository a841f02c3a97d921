"""Benchmark: clause-level dimension detection on aspect-labelled restaurant reviews.

Runs clean -> split_clauses -> jieba -> AspectMatcher -> resolve_polarity -> aggregate_review
on the labelled files in ../shared/data/aspects and prints per-dimension precision, recall,
F1 and polarity accuracy, plus timings (segmentation vs matching).

    python bench/dimensions.py                       # both files, snownlp clause scores
    python bench/dimensions.py --scorer none         # lexicon polarity only (0.5 clause score)
    python bench/dimensions.py --labels FILE --mapping configs/mappings/aic2018.yaml

Clause scores come from a stand-in scorer until the project's sentiment model is wired in:
snownlp's naive Bayes on the jieba tokens (the same stand-in the sentiment stage offers).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.aspects import AspectMatcher, aggregate_review, resolve_polarity  # noqa: E402
from pipeline.evaluation.dimensions import evaluate_dimensions, format_report, load_mapping  # noqa: E402
from pipeline.lexicon import load_lexicon  # noqa: E402
from pipeline.text import get_segmenter, split_clauses, strip_noise, to_halfwidth, to_simplified  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "aspects"
DEFAULT_FILES = [DATA / "aic2018_train_1000.csv", DATA / "asap_samples_300.csv"]
DIMENSIONS = ["tangibles", "reliability", "responsiveness", "assurance", "empathy", "price", "location", "product"]
NEUTRAL_LOW, NEUTRAL_HIGH = 0.4, 0.6

Scorer = Callable[[list[str]], float]


def snownlp_scorer() -> Scorer:
    """P(positive) of a token list from snownlp's shipped naive Bayes model."""
    from snownlp.sentiment import Sentiment

    sent = Sentiment()
    sent.load()
    classifier = sent.classifier

    def score(tokens: list[str]) -> float:
        if not tokens:
            return 0.5
        label, prob = classifier.classify(tokens)
        return prob if label == "pos" else 1 - prob

    return score


def flat_scorer(tokens: list[str]) -> float:
    """No clause model: every clause is 0.5, so only lexicon polarity decides."""
    return 0.5


def predict(texts: list[str], ids: list[str], matcher: AspectMatcher, segmenter, scorer: Scorer) -> tuple[pd.DataFrame, dict[str, float]]:
    """Review-level (review_id, dimension, polarity) predictions and stage timings."""
    rows = []
    t_seg = t_score = t_match = 0.0
    for rid, text in zip(ids, texts):
        clean = strip_noise(to_halfwidth(to_simplified(str(text))))
        t0 = time.perf_counter()
        clauses = split_clauses(clean)
        tokens = [segmenter.cut(c) for c in clauses]
        t1 = time.perf_counter()
        scores = [scorer(t) for t in tokens]
        t2 = time.perf_counter()
        by_dim: dict[str, list[str]] = {}
        for clause, toks, score in zip(clauses, tokens, scores):
            for m in matcher.match(clause, toks):
                label, _ = resolve_polarity(m, score, NEUTRAL_LOW, NEUTRAL_HIGH)
                by_dim.setdefault(m.dimension, []).append(label)
        for dim, pols in by_dim.items():
            rows.append((rid, dim, aggregate_review(pols)))
        t3 = time.perf_counter()
        t_seg += t1 - t0
        t_score += t2 - t1
        t_match += t3 - t2
    timings = {"segment_s": t_seg, "score_s": t_score, "match_s": t_match}
    return pd.DataFrame(rows, columns=["review_id", "dimension", "polarity"]), timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, action="append", help="aspect-labelled CSV (repeatable); default: both shared files")
    parser.add_argument("--mapping", type=Path, default=ROOT / "configs" / "mappings" / "aic2018.yaml")
    parser.add_argument("--lexicons", type=Path, nargs="+", default=[ROOT / "configs" / "lexicons" / "general.yaml", ROOT / "configs" / "lexicons" / "restaurant.yaml"])
    parser.add_argument("--scorer", choices=["snownlp", "none"], default="snownlp")
    parser.add_argument("--errors", type=int, default=0, help="print this many misses / false hits per macro dimension")
    args = parser.parse_args(argv)

    files = args.labels or [f for f in DEFAULT_FILES if f.is_file()]
    if not files:
        print(f"no labelled files found under {DATA}", file=sys.stderr)
        return 1
    t0 = time.perf_counter()
    lexicon = load_lexicon(args.lexicons, DIMENSIONS)
    matcher = AspectMatcher(lexicon)
    segmenter = get_segmenter(extra_words=tuple(lexicon.terms()))
    scorer = snownlp_scorer() if args.scorer == "snownlp" else flat_scorer
    mapping = load_mapping(args.mapping)
    print(f"lexicon: {len(lexicon)} entries from {len(args.lexicons)} pack(s); setup {time.perf_counter() - t0:.1f}s")
    for path in files:
        labels = pd.read_csv(path)
        ids = labels["id"].astype(str).tolist()
        preds, timings = predict(labels["text"].tolist(), ids, matcher, segmenter, scorer)
        report = evaluate_dimensions(labels, preds, mapping)
        print()
        print(format_report(report, title=f"{path.name} (n={len(labels)}, scorer={args.scorer})"))
        total = sum(timings.values())
        print("timings: " + ", ".join(f"{k}={v:.2f}" for k, v in timings.items()) + f"; matching is {timings['match_s'] / total:.0%} of these steps")
        if args.errors:
            _show_errors(labels, preds, mapping, args.errors)
    return 0


def _show_errors(labels: pd.DataFrame, preds: pd.DataFrame, mapping, n: int) -> None:
    """Print a few missed and false mentions per macro dimension (for tuning; not saved)."""
    from pipeline.evaluation.dimensions import gold_dimensions

    gold = gold_dimensions(labels, mapping)
    text = dict(zip(labels["id"].astype(str), labels["text"]))
    for dim in mapping.macro:
        g = set(gold.loc[gold["dimension"] == dim, "review_id"])
        dims = [dim, *mapping.also_counts.get(dim, [])]
        p = set(preds.loc[preds["dimension"].isin(dims), "review_id"])
        for kind, ids in (("MISS", sorted(g - p)[:n]), ("FALSE", sorted(p - g)[:n])):
            for rid in ids:
                print(f"[{dim} {kind}] {text[rid][:300]}")


if __name__ == "__main__":
    raise SystemExit(main())
