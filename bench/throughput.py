"""End-to-end throughput on real reviews: ``python bench/throughput.py [--n 10000] [--config C]``.

Reads ``../shared/data/sentiment/waimai_10k.csv`` (skips cleanly when absent), writes the
first N reviews as a dump in a temporary folder, runs the whole pipeline in-process and
prints reviews/s and per-stage seconds. Model loading is reported apart: the first run on a
machine trains and caches the sentiment model.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.config import load_config  # noqa: E402
from pipeline.runner import run_pipeline  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "sentiment" / "waimai_10k.csv"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10000, help="number of reviews (replicated when the file has fewer)")
    ap.add_argument("--config", type=Path, default=ROOT / "configs" / "restaurant.yaml")
    ap.add_argument("--data", type=Path, default=DATA)
    args = ap.parse_args()
    if not args.data.is_file():
        print(f"skip: {args.data} not available")
        return 0
    logging.basicConfig(level=logging.WARNING)
    src = pd.read_csv(args.data, dtype=str, keep_default_na=False)
    reps = -(-args.n // len(src))
    reviews = pd.concat([src] * reps, ignore_index=True).head(args.n)
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "dump.csv"
        reviews[["review"]].to_csv(dump, index=False)
        config = load_config(args.config, {"input.path": str(dump), "output.dir": str(Path(tmp) / "out"),
                                           "input.columns": {"id": "", "text": "review"}, "topics.retrain": True})
        t = time.perf_counter()
        result = run_pipeline(config)
        wall = time.perf_counter() - t
    timings = result.timings
    work = wall - timings.get("load_resources", 0.0)
    print(f"reviews: {result.rows_read:,} read, {result.accepted:,} accepted, {result.rejected:,} rejected")
    print(f"wall: {wall:.1f}s (model loading {timings.get('load_resources', 0):.1f}s) → {result.rows_read / wall:,.0f} reviews/s; "
          f"excluding model loading {result.rows_read / work:,.0f} reviews/s")
    for stage, sec in timings.items():
        print(f"  {stage:<15} {sec:8.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
