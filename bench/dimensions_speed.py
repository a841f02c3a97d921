"""Speed of the dimensions stage alone: CPU seconds of ``dimensions.run`` on real reviews.

    python bench/dimensions_speed.py [--n 50000] [--config configs/restaurant.yaml] [--repeat 3]

Builds (or reuses) the varied real-review dump of ``bench/scale.py`` (skips cleanly when
../shared/data is absent), runs the stages before ``dimensions`` on it once, in memory, and
then times only the dimensions stage over chunks of ``engine.chunk_size`` reviews, as the
partitions of a run see them. CPU time (``time.process_time``) is less disturbed by other jobs
on a shared machine than wall time; the best of ``--repeat`` runs is printed, each with the
matcher built afresh so that nothing it learns carries over from one run to the next.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from scale import OUT, build_dump, real_reviews  # noqa: E402

from pipeline import io  # noqa: E402
from pipeline.aspects import AspectMatcher  # noqa: E402
from pipeline.config import load_config  # noqa: E402
from pipeline.lexicon import load_lexicon  # noqa: E402
from pipeline.runner import run_in_memory  # noqa: E402
from pipeline.stages import dimensions  # noqa: E402

BEFORE = ["ingest", "clean", "segment", "sentiment", "topics"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=50000, help="reviews in the dump")
    ap.add_argument("--config", type=Path, default=ROOT / "configs" / "restaurant.yaml")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    reviews = real_reviews()
    if not reviews:
        print("skip: no real reviews under ../shared/data")
        return 0
    logging.basicConfig(level=logging.WARNING)
    dump = build_dump(args.n, reviews, OUT / f"dump_{args.n}.csv")
    config = load_config(args.config, {"input.columns": {"id": "id", "text": "review", "date": "date", "rating": "rating", "store": "store"}, "output.incremental": False})
    raw, _ = io.read_dump(dump)
    t = time.perf_counter()
    df, _, res = run_in_memory(config, raw, BEFORE, run_date=dt.date(2026, 11, 1))
    print(f"{len(df):,} reviews through {', '.join(BEFORE)} in {time.perf_counter() - t:.1f}s")
    size = config.engine.chunk_size
    chunks = [df.iloc[i : i + size] for i in range(0, len(df), size)]
    best = float("inf")
    for r in range(args.repeat):
        res.matcher = AspectMatcher(load_lexicon([Path(p) for p in config.dimensions.lexicons], list(config.dimensions.dimensions)))
        t = time.process_time()
        for chunk in chunks:
            dimensions.run(chunk, config.dimensions, res)
        cpu = time.process_time() - t
        best = min(best, cpu)
        print(f"run {r + 1}: {cpu:.2f} CPU s")
    print(f"dimensions: best {best:.2f} CPU s for {len(df):,} reviews in {len(chunks)} chunks → {len(df) / best:,.0f} reviews per CPU second")
    return 0


if __name__ == "__main__":
    sys.exit(main())
