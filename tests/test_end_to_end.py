"""One real run of every stage on the bundled hotel sample, into a temporary folder."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from pipeline.cli import main
from tests.conftest import ROOT

CONTRACT_FILES = ["classified_feedback.csv", "classified_feedback.parquet", "aspect_mentions.csv", "rejects.csv",
                  "summary.json", "report.html", "actions.xlsx", "manifest.json"]
CHECKER = ROOT.parent / "shared" / "tools" / "check_contract.py"
SAMPLE = ROOT / "data" / "sample" / "hotel_reviews.csv"


@pytest.fixture(scope="module")
def hotel_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("hotel_run")
    args = ["--config", str(ROOT / "configs" / "hotel.yaml"), "--input", str(SAMPLE), "--output-dir", str(out),
            "--text-column", "review", "--id-column", "id", "--run-date", "2026-11-01", "--quiet"]
    assert main(args) == 0
    return out, args


def test_end_to_end_writes_every_contract_file(hotel_run):
    out, _ = hotel_run
    for name in CONTRACT_FILES:
        assert (out / name).is_file(), name
    assert (out / "classified_feedback.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_end_to_end_every_row_accounted(hotel_run):
    out, _ = hotel_run
    n_input = len(pd.read_csv(SAMPLE, dtype=str, keep_default_na=False))
    fb = pd.read_csv(out / "classified_feedback.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    rej = pd.read_csv(out / "rejects.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert len(fb) + len(rej) == n_input
    assert fb["review_id"].is_unique
    assert (rej["reason"] != "").all()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["rows"] == {"read": n_input, "accepted": len(fb), "rejected": len(rej), "new": len(fb), "changed": 0, "unchanged": 0, "skipped": 0}


def test_end_to_end_contract_checker_agrees(hotel_run):
    if not CHECKER.is_file():
        pytest.skip("contract checker not available")
    out, _ = hotel_run
    proc = subprocess.run([sys.executable, str(CHECKER), str(out), "--input", str(SAMPLE), "--id-column", "id"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_end_to_end_values_are_in_contract(hotel_run):
    out, _ = hotel_run
    fb = pd.read_parquet(out / "classified_feedback.parquet")
    assert fb["sentiment_score"].between(0, 1).all()
    assert set(fb["sentiment_label"]) <= {"positive", "neutral", "negative"}
    for key in ("tangibles", "reliability", "responsiveness", "assurance", "empathy", "price"):
        assert set(fb[f"dim_{key}"]) <= {"positive", "neutral", "negative", ""}
    assert set(fb["feedback_type"]) <= {"complaint", "praise", "suggestion", "question", "mixed", "none"}
    assert (fb["priority"] == "critical").any()
    assert fb.loc[fb["priority"] != "none", "owner"].ne("").all()
    mentions = pd.read_csv(out / "aspect_mentions.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert set(mentions["review_id"]) <= set(fb["review_id"])


def test_end_to_end_rerun_is_identical(hotel_run, tmp_path):
    out, args = hotel_run
    args = list(args)
    args[args.index("--output-dir") + 1] = str(tmp_path)
    assert main(args) == 0
    for name in ("classified_feedback.csv", "aspect_mentions.csv", "rejects.csv", "actions.csv"):
        assert (out / name).read_bytes() == (tmp_path / name).read_bytes(), name


def test_end_to_end_slice_from_sentiment_reuses_cache(hotel_run, tmp_path):
    out, args = hotel_run
    assert main(args + ["--from", "sentiment"]) == 0
    fb = pd.read_csv(out / "classified_feedback.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    rej = pd.read_csv(out / "rejects.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert len(fb) + len(rej) == len(pd.read_csv(SAMPLE, dtype=str))


def test_end_to_end_duplicate_digests_stay_in_the_store(hotel_run):
    """Partitions attach each review's duplicate digest for the report; the cumulative store
    keeps it, the contract files do not, and the flags match a recount from the texts."""
    from pipeline.stages.clean import flag_duplicates

    out, _ = hotel_run
    store = pd.read_parquet(out / "store" / "feedback.parquet")
    assert "dup_digest" in store.columns and store["dup_digest"].notna().all()
    public = pd.read_parquet(out / "classified_feedback.parquet")
    assert "dup_digest" not in public.columns
    assert "dup_digest" not in pd.read_csv(out / "classified_feedback.csv", nrows=1, encoding="utf-8-sig").columns
    recount = flag_duplicates(public["review_id"].astype(str).tolist(), public["text"].astype(str).tolist())
    assert public["duplicate_of"].fillna("").astype(str).tolist() == recount
    assert any(recount), "the hotel sample has repeated reviews"
