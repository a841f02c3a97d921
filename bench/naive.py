"""The naive baseline of issue #7: ``python bench/naive.py [--n 500]``.

What a typical script does, one review at a time: ``jieba.lcut(text)`` and
``SnowNLP(text).sentiments``. Prints reviews/s on the first N waimai reviews (the same
reviews ``bench/throughput.py`` reads, so the two rates compare directly). Library loading
(jieba's dictionary, snownlp's models) is timed apart, as the pipeline's model loading is.
Skips cleanly when ``../shared/data`` is absent.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "sentiment" / "waimai_10k.csv"


def read_reviews(path: Path, n: int, column: str = "review") -> list[str]:
    """The first ``n`` reviews of the csv's ``column`` (repeated when it has fewer)."""
    import pandas as pd

    texts = pd.read_csv(path, dtype=str, keep_default_na=False)[column].tolist()
    return (texts * (-(-n // len(texts))))[:n]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=500, help="number of reviews")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--column", default="review", help="text column of --data")
    args = ap.parse_args()
    if not args.data.is_file():
        print(f"skip: {args.data} not available")
        return 0
    reviews = read_reviews(args.data, args.n, args.column)
    t = time.perf_counter()
    import jieba
    from snownlp import SnowNLP

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    SnowNLP("预热").sentiments  # loads snownlp's sentiment model
    load = time.perf_counter() - t
    t = time.perf_counter()
    for text in reviews:
        jieba.lcut(text)
        SnowNLP(text).sentiments
    sec = time.perf_counter() - t
    print(f"naive baseline (jieba.lcut + SnowNLP(text).sentiments): {len(reviews):,} reviews in {sec:.1f}s "
          f"→ {len(reviews) / sec:,.1f} reviews/s (library loading {load:.1f}s apart)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
