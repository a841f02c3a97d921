"""Segmentation speed and parity, jieba vs rjieba: ``python bench/segmentation.py [--config C]``.

Segments real reviews from ``../shared/data`` (skips cleanly when absent) with each backend,
loaded as the pipeline loads it (the config's user dictionaries, stopwords and every lexicon
term), and prints MB/s (UTF-8 bytes of input per second, one core) for whole reviews and for
the clauses the ``segment`` stage actually cuts, plus the share of tokens rjieba gives
identically to jieba.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.config import load_config  # noqa: E402
from pipeline.resources import build_matcher  # noqa: E402
from pipeline.segmenter import token_agreement  # noqa: E402
from pipeline.text import SEGMENT_BACKENDS, get_segmenter, split_clauses  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
FILES = (("sentiment/waimai_10k.csv", "review"), ("unlabeled/aic2018_testa_2000.csv", "text"), ("sentiment/online_shopping_9cats.csv", "review"))


def _time(fn, texts: list[str], repeat: int) -> tuple[float, list[list[str]]]:
    best = float("inf")
    out: list[list[str]] = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn(texts)
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", type=Path, default=ROOT / "configs" / "restaurant.yaml")
    ap.add_argument("--repeat", type=int, default=3, help="timed passes per backend (the best is kept)")
    args = ap.parse_args()
    present = [(DATA / f, col) for f, col in FILES if (DATA / f).is_file()]
    if not present:
        print(f"skip: no review files under {DATA}")
        return 0
    logging.basicConfig(level=logging.WARNING)
    config = load_config(args.config)
    extra = tuple(build_matcher(config).lexicon.terms())
    dicts = tuple(str(p) for p in config.segment.user_dicts)
    stop = tuple(str(p) for p in config.segment.stopwords)
    backends = [b for b in SEGMENT_BACKENDS if b != "rjieba" or importlib.util.find_spec("rjieba")]
    segmenters = {}
    for b in backends:
        t = time.perf_counter()
        segmenters[b] = get_segmenter(dicts, stop, extra, backend=b)
        print(f"{b}: loaded in {time.perf_counter() - t:.2f}s")
    for path, col in present:
        reviews = pd.read_csv(path, dtype=str, keep_default_na=False)[col].tolist()
        for unit, texts in (("reviews", reviews), ("clauses", [c for r in reviews for c in split_clauses(r)])):
            mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
            tokens = {}
            line = f"{path.name:<28} {unit:<8} {len(texts):>8,} ({mb:5.2f} MB):"
            for b, seg in segmenters.items():
                sec, tokens[b] = _time(seg.cut_many, texts, args.repeat)
                line += f"  {b} {mb / sec:6.2f} MB/s"
            if len(tokens) == 2:
                agree = token_agreement(tokens["jieba"], tokens["rjieba"])
                same = sum(x == y for x, y in zip(tokens["jieba"], tokens["rjieba"])) / len(texts)
                line += f"  | tokens identical {agree:.4%}, {unit} identical {same:.4%}"
            print(line)
    if "rjieba" not in segmenters:
        print("rjieba not installed: pip install -r requirements.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
