"""Nightly operation: incremental, idempotent reruns, and a run killed midway."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pandas as pd

from pipeline.cli import main
from tests.conftest import ROOT

SAMPLE = ROOT / "data" / "sample" / "hotel_reviews.csv"
WEEK2 = ROOT / "data" / "sample" / "hotel_reviews_week2.csv"
OUTPUTS = ["classified_feedback.csv", "aspect_mentions.csv", "rejects.csv", "actions.csv", "summary.json", "report.html", "topics.csv"]


def _args(out, dump=SAMPLE, *extra):
    return ["--config", str(ROOT / "configs" / "hotel.yaml"), "--input", str(dump), "--output-dir", str(out), "--run-date", "2026-11-08", "--quiet", *extra]


def _manifest(out):
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def test_incremental_rerun_adds_nothing_and_outputs_identical(tmp_path):
    assert main(_args(tmp_path)) == 0
    first = {name: (tmp_path / name).read_bytes() for name in OUTPUTS}
    rows = _manifest(tmp_path)["rows"]
    assert rows["new"] == rows["accepted"] > 0
    assert main(_args(tmp_path)) == 0
    rows2 = _manifest(tmp_path)["rows"]
    assert rows2["new"] == 0 and rows2["changed"] == 0 and rows2["unchanged"] == rows2["skipped"] == rows["accepted"]
    assert rows2["read"] == rows2["accepted"] + rows2["rejected"]
    for name in OUTPUTS:
        assert (tmp_path / name).read_bytes() == first[name], name


def test_incremental_second_dump_adds_only_new_reviews(tmp_path):
    assert main(_args(tmp_path)) == 0
    n1 = len(pd.read_parquet(tmp_path / "classified_feedback.parquet"))
    assert main(_args(tmp_path, WEEK2)) == 0
    rows = _manifest(tmp_path)["rows"]
    fb = pd.read_parquet(tmp_path / "classified_feedback.parquet")
    assert rows["unchanged"] > 0 and rows["new"] > 0
    assert len(fb) == n1 + rows["new"]
    assert fb["review_id"].is_unique
    run_dirs = list((tmp_path / "runs").iterdir())
    assert len(run_dirs) == 2


def test_incremental_run_folders_hold_each_runs_own_rows(tmp_path):
    """The first run's copy is the whole table; the second's only the reviews it processed."""
    assert main(_args(tmp_path)) == 0
    first = sorted((tmp_path / "runs").iterdir())
    assert (first[0] / "classified_feedback.csv").read_bytes() == (tmp_path / "classified_feedback.csv").read_bytes()
    assert main(_args(tmp_path, WEEK2)) == 0
    second = next(d for d in (tmp_path / "runs").iterdir() if d != first[0])
    rows = pd.read_csv(second / "classified_feedback.csv", dtype=str, encoding="utf-8-sig")
    assert len(rows) == _manifest(tmp_path)["rows"]["new"] + _manifest(tmp_path)["rows"]["changed"]
    assert len(rows) < len(pd.read_parquet(tmp_path / "classified_feedback.parquet"))


def test_incremental_changed_text_is_reprocessed(tmp_path):
    dump = tmp_path / "d.csv"
    pd.DataFrame({"id": ["a", "b"], "review": ["房间很干净", "前台态度很好"]}).to_csv(dump, index=False)
    out = tmp_path / "out"
    assert main(_args(out, dump, "--text-column", "review")) == 0
    pd.DataFrame({"id": ["a", "b"], "review": ["房间很脏，地毯有污渍", "前台态度很好"]}).to_csv(dump, index=False)
    assert main(_args(out, dump, "--text-column", "review")) == 0
    rows = _manifest(out)["rows"]
    assert (rows["changed"], rows["unchanged"]) == (1, 1)
    fb = pd.read_parquet(out / "classified_feedback.parquet").set_index("review_id")
    assert len(fb) == 2 and "脏" in fb.loc["a", "text"]


def test_incremental_full_reprocesses_everything(tmp_path):
    assert main(_args(tmp_path)) == 0
    assert main(_args(tmp_path, SAMPLE, "--full")) == 0
    rows = _manifest(tmp_path)["rows"]
    assert rows["skipped"] == 0 and rows["unchanged"] == rows["accepted"] > 0


def test_incremental_killed_run_leaves_outputs_and_next_run_completes(tmp_path):
    out = tmp_path / "out"
    assert main(_args(out)) == 0
    before = {name: (out / name).read_bytes() for name in OUTPUTS}
    big = tmp_path / "big.csv"
    src = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    reps = pd.concat([src.assign(id=src["id"] + f"-{k}", review=src["review"] + ("。" * (k % 3))) for k in range(40)], ignore_index=True)
    reps.to_csv(big, index=False)
    proc = subprocess.Popen([sys.executable, str(ROOT / "run.py"), *_args(out, big, "--full")], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not (out / ".run.lock").exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(1.5)
    assert proc.poll() is None, "the run finished before it could be killed; make the dump bigger"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert (out / ".run.lock").exists()
    for name in OUTPUTS:
        assert (out / name).read_bytes() == before[name], name
    assert main(_args(out, big)) == 0
    fb = pd.read_parquet(out / "classified_feedback.parquet")
    assert fb["review_id"].is_unique and len(fb) > len(src)


def test_incremental_rerun_of_a_dump_with_nothing_new(tmp_path):
    dump = tmp_path / "d.csv"
    pd.DataFrame({"id": ["a", "b"], "review": ["房间很干净，服务很好", "前台态度太差了"]}).to_csv(dump, index=False)
    out = tmp_path / "out"
    assert main(_args(out, dump, "--text-column", "review")) == 0
    first = (out / "classified_feedback.csv").read_bytes()
    assert main(_args(out, dump, "--text-column", "review", "--engine", "processes")) == 0
    assert _manifest(out)["rows"]["skipped"] == 2
    assert _manifest(out)["engine"] == "local"  # nothing to process: no workers started
    assert (out / "classified_feedback.csv").read_bytes() == first


def test_incremental_warns_when_skipped_reviews_were_scored_with_other_settings(tmp_path, caplog):
    import datetime as dt
    import logging

    from pipeline.config import load_config
    from pipeline.runner import run_pipeline

    def run(**changes):
        config = load_config(ROOT / "configs" / "hotel.yaml", {"input.path": str(SAMPLE), "output.dir": str(tmp_path), **changes})
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="pipeline.runner"):
            run_pipeline(config, run_date=dt.date(2026, 11, 8))
        return _manifest(tmp_path)

    first = run()
    assert "scoring_config_changed" not in first["facts"]
    second = run(**{"sentiment.neutral_high": 0.65})  # every review skipped, scored with 0.6
    assert second["facts"]["scoring_config_changed"] == ["sentiment"]
    assert f"{second['rows']['skipped']} reviews were skipped as already processed, but the config's sentiment changed" in caplog.text
    third = run(**{"sentiment.neutral_high": 0.65, "report.title": "周报"})  # the same scoring; only the report's title
    assert "scoring_config_changed" not in third["facts"] and "changed since the last run" not in caplog.text
