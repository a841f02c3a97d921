"""Benchmark the topic model on real reviews: fit time, chosen k, coherence, keywords.

Usage::

    python bench/topics.py                      # both datasets, default TopicModel settings
    python bench/topics.py --backend nmf --no-above 0.3 --max-topics 10
    python bench/topics.py --repeat             # also refit and check the topics are identical

Reads the development data in ``../shared/data`` (see its README); datasets that are absent
are skipped. Nothing from those files is written anywhere.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.text import get_segmenter  # noqa: E402
from pipeline.topicmodel import TopicModel  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
DICTS = ROOT / "configs" / "dicts"
# (name, file, text column, rows to use)
DATASETS = [
    ("waimai_10k", DATA / "sentiment" / "waimai_10k.csv", "review", 10_000),
    ("aic2018_testa_2000", DATA / "unlabeled" / "aic2018_testa_2000.csv", "text", 2_000),
]


def build_segmenter():
    """The project segmenter with the restaurant user dictionary and stopwords, when present."""
    user_dicts = tuple(str(p) for p in [DICTS / "restaurant_userdict.txt"] if p.is_file())
    stopwords = tuple(str(p) for p in [DICTS / "stopwords.txt"] if p.is_file())
    return get_segmenter(user_dicts=user_dicts, stopword_files=stopwords)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = TopicModel().get_params()
    for name, value in defaults.items():
        flag = "--" + name.replace("_", "-")
        if name == "backend" or name == "coherence":
            p.add_argument(flag, default=value)
        elif name == "stopwords":
            p.add_argument(flag, type=lambda s: tuple(s.split(",")) if s else (), default=value)
        elif name in ("no_above", "relevance"):
            p.add_argument(flag, type=float, default=value)
        elif value is None or isinstance(value, int):
            p.add_argument(flag, type=lambda s: None if s.lower() == "none" else int(s), default=value)
    p.add_argument("--dataset", choices=[d[0] for d in DATASETS], help="only this dataset")
    p.add_argument("--repeat", action="store_true", help="fit twice and check the results are identical")
    p.add_argument("--verbose", action="store_true", help="log every k tried")
    return p.parse_args()


def bench_dataset(name: str, path: Path, column: str, rows: int, args: argparse.Namespace) -> None:
    texts = pd.read_csv(path)[column].fillna("").astype(str).tolist()[:rows]
    seg = build_segmenter()
    started = time.perf_counter()
    docs = [seg.content_tokens(seg.cut(t)) for t in texts]
    seg_s = time.perf_counter() - started
    params = {k: getattr(args, k) for k in TopicModel().get_params()}
    model = TopicModel(**params)
    started = time.perf_counter()
    model.fit(docs)
    fit_s = time.perf_counter() - started
    started = time.perf_counter()
    ids, probs = model.transform(docs)
    transform_s = time.perf_counter() - started
    n_tokens = np.mean([len(d) for d in docs]) if docs else 0.0
    print(f"\n== {name}: {len(docs)} reviews, {n_tokens:.1f} content tokens each, {len(model.vocabulary_)} terms")
    print(f"   segment {seg_s:.1f}s  fit {fit_s:.1f}s  transform {transform_s:.2f}s  ({model!r})")
    scores = "  ".join(f"k={k}:{s:.3f}" for k, s in model.coherence_scores_.items())
    print(f"   {model.coherence} by k: {scores}")
    print(f"   chosen k={model.num_topics_}; unassigned reviews {int((ids < 0).sum())}; mean topic probability {probs[ids >= 0].mean():.2f}")
    sizes = np.bincount(ids[ids >= 0], minlength=model.num_topics_)
    for t, words in model.keywords_.items():
        print(f"   {t:>2} n={sizes[t]:>5} {model.coherence}={model.topic_coherence_[t]:+.3f}  {' '.join(words)}")
    if args.repeat:
        again = TopicModel(**params).fit(docs)
        ids2, probs2 = again.transform(docs)
        same = again.keywords_ == model.keywords_ and np.array_equal(ids, ids2) and np.array_equal(probs, probs2)
        print(f"   repeat fit identical: {same}")


def main() -> int:
    args = parse_args()
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, format="   %(name)s: %(message)s")
    for noisy in ("gensim", "jieba", "smart_open"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    ran = 0
    for name, path, column, rows in DATASETS:
        if args.dataset and name != args.dataset:
            continue
        if not path.is_file():
            print(f"\n== {name}: skipped ({path} not found)")
            continue
        bench_dataset(name, path, column, rows, args)
        ran += 1
    if not ran:
        print("no dataset found; nothing measured")
    return 0


if __name__ == "__main__":
    sys.exit(main())
