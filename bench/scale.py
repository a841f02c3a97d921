"""Scale benchmark: end-to-end time and peak memory at 10k / 100k / 1M reviews, as ratios.

    python bench/scale.py --sizes 10000 100000 1000000 [--engine auto|local|processes|dask] [--workers 2]
    python bench/scale.py --sizes 100000 --engine dask --scheduler tcp://host:8786   # a running cluster

Dumps are built by replicating real reviews from ../shared/data (delivery, shopping and
restaurant reviews) with variations: clauses dropped, reordered or extended, unique ids,
dates and ratings (skips cleanly when the data is absent). Each size runs the real command
line in a child process (`python run.py ... --full --quiet`) into an empty output folder, as
a first run (the topic model is fitted, not reused), measuring wall time and the child's
peak resident memory. In the same run it measures the naive baseline (jieba +
``SnowNLP(text).sentiments`` per review, on a sample) and the segmentation-only floor (the
configured segmenter, rjieba by default, over the same reviews), so the figures are ratios.
Results are appended to bench/results.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "data"
OUT = ROOT / "bench" / "out"
# (file, text column, label column, value meaning positive)
SOURCES = [
    ("sentiment/waimai_10k.csv", "review", "label", "1"),
    ("sentiment/online_shopping_9cats.csv", "review", "label", "1"),
    ("aspects/aic2018_train_1000.csv", "text", "others_overall_experience", "1"),
]
TAILS = ["", "，下次还来", "，一般般吧", "，总体还行", "，服务员态度不错", "，就是等得有点久", "，性价比可以", "。"]


def real_reviews() -> list[tuple[str, bool]]:
    """(text, is positive) for every real review available, shuffled with a fixed seed."""
    out: list[tuple[str, bool]] = []
    for rel, col, label, positive in SOURCES:
        p = SHARED / rel
        if p.is_file():
            df = pd.read_csv(p, dtype=str, keep_default_na=False)
            out += [(t, lab == positive) for t, lab in zip(df[col], df[label]) if t.strip()]
    random.Random(1).shuffle(out)
    return out


def vary(text: str, rng: random.Random) -> str:
    parts = [p for p in text.replace("。", "，").split("，") if p]
    if len(parts) > 2 and rng.random() < 0.3:
        parts.pop(rng.randrange(len(parts)))
    if len(parts) > 1 and rng.random() < 0.3:
        i = rng.randrange(len(parts) - 1)
        parts[i], parts[i + 1] = parts[i + 1], parts[i]
    return "，".join(parts) + rng.choice(TAILS)


def build_dump(n: int, reviews: list[tuple[str, bool]], path: Path, seed: int = 7) -> Path:
    """A CSV of ``n`` varied real reviews (cached by size); ratings follow the source label."""
    if path.is_file():
        return path
    rng = random.Random(seed)
    start = dt.date(2026, 1, 1)
    rows = []
    for i in range(n):
        text, positive = reviews[i % len(reviews)]
        rating = rng.choice([4, 5, 5]) if positive else rng.choice([1, 2, 2, 3])
        rows.append((f"B{i:07d}", vary(text, rng), (start + dt.timedelta(days=rng.randrange(300))).isoformat(), str(rating), rng.choice(["店A", "店B", "店C"])))
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=["id", "review", "date", "rating", "store"]).to_csv(path, index=False)
    return path


def naive_rate(path: Path, n: int = 1000) -> float:
    """Reviews/s of the typical script (jieba.lcut + SnowNLP(text).sentiments per review) on
    an evenly spaced sample of the same dump."""
    import jieba
    from snownlp import SnowNLP

    jieba.setLogLevel(60)
    jieba.initialize()
    texts = pd.read_csv(path, dtype=str, keep_default_na=False, usecols=["review"])["review"].tolist()
    sample = texts[:: max(1, len(texts) // n)][:n]
    t = time.perf_counter()
    for s in sample:
        jieba.lcut(s)
        SnowNLP(s).sentiments
    return len(sample) / (time.perf_counter() - t)


def segmentation_floor(path: Path) -> float:
    """Seconds the configured segmenter (rjieba by default), doing nothing else, needs for the dump's texts."""
    from pipeline.config import load_config
    from pipeline.resources import build_matcher, build_segmenter

    config = load_config(ROOT / "configs" / "restaurant.yaml")
    seg = build_segmenter(config, build_matcher(config))
    texts = pd.read_csv(path, dtype=str, keep_default_na=False, usecols=["review"])["review"].tolist()
    t = time.perf_counter()
    for s in texts:
        seg.cut(s)
    return time.perf_counter() - t


def run_pipeline(path: Path, out: Path, engine: str, workers: int, scheduler: str | None = None) -> dict:
    # A fresh output folder: a folder kept from an earlier run holds its topic model, which
    # would be reused and leave the topic fit out of the figures.
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, str(ROOT / "run.py"), "--config", str(ROOT / "configs" / "restaurant.yaml"), "--input", str(path),
           "--output-dir", str(out), "--text-column", "review", "--id-column", "id", "--date-column", "date", "--rating-column", "rating",
           "--full", "--quiet", "--run-date", "2026-11-01", "--engine", engine, "--workers", str(workers)]
    if scheduler:
        cmd += ["--scheduler", scheduler]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    proc = subprocess.Popen(cmd)
    tree_peak = watch_tree_memory(proc)
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, cmd)
    wall = time.perf_counter() - t
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return {"wall": wall, "peak_mb": max(peak_kb, before) / 1024, "tree_mb": tree_peak, "timings": manifest["timings_s"], "rows": manifest["rows"]}


def _pss_mb(pid: int) -> float:
    """Proportional set size of one process (shared pages split between their users), MB."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _descendants(pid: int) -> list[int]:
    """``pid`` and every process under it. A process's children are listed per thread that
    started them: a Dask LocalCluster starts its workers from its event-loop thread, not the
    main one."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            threads = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for t in threads:
            try:
                with open(f"/proc/{p}/task/{t}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
            except OSError:
                pass
    return out


def watch_tree_memory(proc: subprocess.Popen, every: float = 0.5) -> float:
    """Wait for ``proc``; return the largest total PSS of it and its workers seen (MB, Linux;
    0 elsewhere). PSS, not RSS: forked workers share the parent's pages, and RSS would count
    them once per process."""
    peak = 0.0
    while proc.poll() is None:
        if sys.platform.startswith("linux"):
            peak = max(peak, sum(_pss_mb(p) for p in _descendants(proc.pid)))
        time.sleep(every)
    return peak


def machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB, Python {platform.python_version()}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    ap.add_argument("--engine", default="auto", choices=["auto", "local", "processes", "dask"], help="auto, the pipeline's default: a pool of --workers on 2 cores or more")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--naive-sample", type=int, default=1000, help="reviews the naive baseline is timed on (300 gave 106-153 reviews/s from run to run)")
    ap.add_argument("--scheduler", help="with --engine dask: the address of a running Dask scheduler (its workers run the partitions; "
                    "their memory is not in the peak figures) instead of a LocalCluster of --workers")
    args = ap.parse_args()
    if args.scheduler and args.engine != "dask":
        ap.error("--scheduler needs --engine dask")
    reviews = real_reviews()
    if not reviews:
        print(f"skip: no real reviews under {SHARED}")
        return 0
    where = f"scheduler {args.scheduler}, its workers" if args.scheduler else f"{args.workers} workers"
    engine = args.engine
    if engine == "auto":
        from pipeline.config import EngineParams

        engine = f"auto = {EngineParams(workers=args.workers).resolved_kind().value}"
    lines = [f"\n## {dt.datetime.now():%Y-%m-%d %H:%M} · engine {engine} ({where}) · {machine()}\n",
             f"Naive baseline: jieba + SnowNLP(text).sentiments per review on {args.naive_sample} reviews of each dump.\n",
             "| reviews | wall s | reviews/s | naive reviews/s | × naive | segmentation-only s (configured backend) | wall ÷ seg-only (excl. fitting, model load) | peak MB (largest process) | peak MB (all processes, PSS) | fit s (topics + sentiment adaptation, on the sample) | model load s |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for n in args.sizes:
        dump = build_dump(n, reviews, OUT / f"dump_{n}.csv")
        naive = naive_rate(dump, args.naive_sample)
        floor = segmentation_floor(dump)
        r = run_pipeline(dump, OUT / f"run_{n}", args.engine, args.workers, args.scheduler)
        tm = r["timings"]
        fit = tm.get("fit", 0.0)
        load = tm.get("load_resources", 0.0)
        rate = n / r["wall"]
        ratio = (r["wall"] - fit - load) / floor if floor else float("nan")
        lines.append(f"| {n:,} | {r['wall']:.1f} | {rate:,.0f} | {naive:,.0f} | {rate / naive:,.1f}× | {floor:.1f} | {ratio:.2f} | {r['peak_mb']:,.0f} | {r['tree_mb']:,.0f} | {fit:.1f} | {load:.1f} |")
        stages = ", ".join(f"{k} {v:.1f}" for k, v in tm.items() if k not in ("total",))
        lines.append(f"|  | stage seconds: {stages} | | | | | | | | | |")
        print("\n".join(lines[-2:]), flush=True)
    with open(ROOT / "bench" / "results.md", "a", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
