"""pipeline.explore on the outputs of one run of the bundled sample."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from pipeline import explore
from pipeline.cli import main
from pipeline.config import load_config
from pipeline.errors import InputError, PipelineError
from tests.conftest import ROOT

RUN_DATE = "2026-11-01"


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("explore_run")
    assert main(["--output-dir", str(out), "--run-date", RUN_DATE, "--quiet"]) == 0
    return out


@pytest.fixture(scope="module")
def run(sample_dir):
    return explore.load_run(sample_dir)


def test_explore_load_run_types_columns(run):
    fb = run.feedback
    assert pd.api.types.is_datetime64_any_dtype(fb["date"])
    assert pd.api.types.is_datetime64_any_dtype(fb["due_date"])
    assert fb["rating"].dtype == "float64"
    assert fb["dim_tangibles"].dtype == explore.LABEL_DTYPE
    assert fb["sentiment_label"].dtype == explore.LABEL_DTYPE
    assert fb["priority"].dtype == explore.PRIORITY_DTYPE and fb["priority"].dtype.ordered
    assert isinstance(fb["store"].dtype, pd.CategoricalDtype)
    assert pd.api.types.is_string_dtype(fb["text"])


def test_explore_load_run_types_mentions(run):
    m = run.mentions
    assert m["polarity"].dtype == explore.LABEL_DTYPE
    assert list(m["dimension"].cat.categories[: len(run.dimension_keys)]) == run.dimension_keys
    assert m["score"].dtype == "float64"
    assert "sub_aspect_label" in m.columns


def test_explore_load_run_drops_duplicates_by_default(sample_dir, run):
    everything = explore.load_run(sample_dir, include_duplicates=True)
    dups = everything.feedback["duplicate_of"].fillna("") != ""
    assert len(run.feedback) == len(everything.feedback) - int(dups.sum())
    assert (run.feedback["duplicate_of"].fillna("") == "").all()


def test_explore_load_run_missing_folder_raises(tmp_path):
    with pytest.raises(InputError, match="no classified_feedback.parquet"):
        explore.load_run(tmp_path)


def test_explore_default_output_dir_reads_env(monkeypatch, tmp_path):
    monkeypatch.setenv("REVIEWS_OUTPUT_DIR", str(tmp_path))
    assert explore.default_output_dir() == tmp_path


def test_explore_load_store_reads_cumulative_store(sample_dir, run):
    store = explore.load_store(sample_dir)
    assert store.kind == "store"
    assert set(store.feedback["review_id"]) == set(run.feedback["review_id"])
    assert [h["run_date"] for h in store.history] == [RUN_DATE]


def test_explore_load_store_missing_raises(tmp_path):
    with pytest.raises(InputError, match="store/feedback.parquet"):
        explore.load_store(tmp_path)


def test_explore_dimension_summary_matches_report(sample_dir, run):
    report = json.loads((sample_dir / "summary.json").read_text(encoding="utf-8"))
    expected = {d["key"]: (d["positive"], d["negative"]) for d in report["dimensions"]}
    got = explore.dimension_summary(run).set_index("dimension")
    for key, (pos, neg) in expected.items():
        assert (got.at[key, "positive"], got.at[key, "negative"]) == (pos, neg)
    assert got.at["tangibles", "label"] == "有形性"


def test_explore_select_filters_every_frame(run):
    store = run.feedback["store"].dropna().iloc[0]
    part = explore.select(run, store=store, period=("2026-08", "2026-09"), rating=(1, 3))
    fb = part.feedback
    assert len(fb) > 0 and (fb["store"] == store).all() and fb["rating"].between(1, 3).all()
    assert fb["date"].between("2026-08-01", "2026-09-30 23:59").all()
    assert set(part.mentions["review_id"]) <= set(fb["review_id"])


def test_explore_select_dimension_narrows_mentions(run):
    part = explore.select(run, dimension="tangibles", polarity="negative")
    assert (part.feedback["dim_tangibles"] == "negative").all()
    assert set(part.mentions["dimension"].astype(str)) <= {"tangibles"}


def test_explore_select_unknown_dimension_raises(run):
    with pytest.raises(KeyError, match="unknown dimension 'cleanliness'"):
        explore.select(run, dimension="cleanliness")


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        ("2026-08", "2026-08-01", "2026-08-31"),
        ("2026Q3", "2026-07-01", "2026-09-30"),
        ("2026-08-15", "2026-08-15", "2026-08-15"),
        (("2026-08", "2026-09-10"), "2026-08-01", "2026-09-10"),
    ],
)
def test_explore_period_bounds_parses(period, start, end):
    a, b = explore.period_bounds(period)
    assert (a.normalize(), b.normalize()) == (pd.Timestamp(start), pd.Timestamp(end))


def test_explore_period_bounds_rejects_nonsense():
    with pytest.raises(ValueError, match="cannot read 'last summer' as a period"):
        explore.period_bounds("last summer")


def test_explore_trend_month_counts_add_up(run):
    t = explore.trend(run, by="month", dimension="tangibles")
    dated = run.feedback[run.feedback["date"].notna()]
    assert list(t["period"]) == ["2026-08", "2026-09", "2026-10"]
    assert t["mentions"].sum() == dated["dim_tangibles"].notna().sum()
    assert t["reviews"].sum() == len(dated)


def test_explore_trend_week_is_continuous_iso(run):
    t = explore.trend(run, by="week", dimension="responsiveness")
    starts = t["period_start"]
    assert (starts.diff().dropna() == pd.Timedelta(days=7)).all()
    assert t["period"].str.fullmatch(r"\d{4}-W\d{2}").all()


def test_explore_trend_all_dimensions_long(run):
    t = explore.trend(run, by="month")
    assert set(t["dimension"]) == set(run.dimension_keys)


def test_explore_trend_rejects_unknown_by(run):
    with pytest.raises(ValueError, match="by must be one of"):
        explore.trend(run, by="day")


def test_explore_compare_difference_is_b_minus_a(run):
    c = explore.compare(run, "2026-08", "2026-10").set_index("dimension")
    aug = explore.dimension_summary(explore.select(run, period="2026-08")).set_index("dimension")
    oct_ = explore.dimension_summary(explore.select(run, period="2026-10")).set_index("dimension")
    assert c.at["tangibles", "mentions_a"] == aug.at["tangibles", "mentions"]
    assert c.at["tangibles", "net_score_change"] == pytest.approx(oct_.at["tangibles", "net_score"] - aug.at["tangibles", "net_score"])
    changes = c["net_score_change"].dropna()
    assert list(changes) == sorted(changes)


def test_explore_by_store_one_row_per_store(run):
    table = explore.by_store(run, "mentions")
    assert sorted(table.index) == sorted(run.feedback["store"].dropna().unique())
    assert table["reviews"].sum() == run.feedback["store"].notna().sum()


def test_explore_since_when_reports_latest_stretch(run):
    result = explore.since_when(run, "reliability", by="month", threshold=0.0)
    assert result["since"] == "2026-08" and result["periods"] == 3
    assert explore.since_when(run, "reliability", by="month", threshold=1.0)["since"] is None


def test_explore_top_complaints_most_negative_first(run):
    top = explore.top_complaints(run, "tangibles", n=5)
    assert 0 < len(top) <= 5
    assert list(top["score"]) == sorted(top["score"])
    assert set(top["dimension"].astype(str)) == {"tangibles"}


def test_explore_quotes_filter_and_carry_context(run):
    store = run.feedback["store"].dropna().iloc[0]
    q = explore.quotes(run, dimension="empathy", polarity="positive", store=store, n=3)
    assert 0 < len(q) <= 3
    assert (q["store"] == store).all() and (q["polarity"] == "positive").all()
    assert all(clause.strip() in text or clause.split()[0] in text for clause, text in zip(q["clause"], q["text"]))


def test_explore_search_finds_text(run):
    hits = explore.search(run, "热水")
    assert len(hits) > 0 and hits["text"].str.contains("热水").all()
    assert {"sentiment_label", "dimensions", "feedback_type"} <= set(hits.columns)


def test_explore_search_rejects_empty(run):
    with pytest.raises(ValueError, match="search text is empty"):
        explore.search(run, "")


def test_explore_topic_table_covers_reviews(run):
    table = explore.topic_table(run)
    assert table["reviews"].sum() == run.feedback["topic_id"].notna().sum()
    assert table["share"].sum() == pytest.approx(1.0)


def test_explore_sub_aspect_summary_counts_mentions(run):
    table = explore.sub_aspect_summary(run, "tangibles")
    assert table["mentions"].sum() == (run.mentions["dimension"] == "tangibles").sum()


@pytest.mark.parametrize(
    "make",
    [
        explore.plot_dimensions,
        explore.plot_net_scores,
        lambda r: explore.plot_trend(r, by="week"),
        lambda r: explore.plot_compare(r, "2026-08", "2026-10"),
        lambda r: explore.plot_stores(r, "tangibles"),
        lambda r: explore.plot_sub_aspects(r, "tangibles"),
    ],
    ids=["dimensions", "net_scores", "trend", "compare", "stores", "sub_aspects"],
)
def test_explore_plots_are_svg_with_chinese_text(run, make):
    chart = make(run)
    svg = chart._repr_svg_()
    root = ET.fromstring(svg)
    texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert any("\u4e00" <= ch <= "\u9fff" for ch in texts)


def test_explore_write_config_appends_pack_with_absolute_paths(tmp_path):
    pack = explore.write_lexicon_pack(tmp_path / "extra.yaml", "product", "breakfast", label="早餐", negative=["早餐难吃"])
    cfg = explore.write_config(ROOT / "configs" / "default.yaml", tmp_path / "sub" / "tuned.yaml", extra_lexicons=[pack], changes={"sentiment.neutral_high": 0.65})
    loaded = load_config(cfg)
    assert str(loaded.dimensions.lexicons[-1]) == str(pack.resolve())
    assert loaded.sentiment.neutral_high == 0.65
    assert str(loaded.input.path) == str((ROOT / "data" / "sample" / "hotel_reviews.csv").resolve())


def test_explore_rerun_slice_changes_outputs(sample_dir, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(sample_dir, out)
    before = explore.load_run(out)
    pack = explore.write_lexicon_pack(tmp_path / "extra.yaml", "product", "breakfast", label="早餐", targets=["早餐"], negative=["早餐难吃", "早餐品种单一"])
    cfg = explore.write_config(ROOT / "configs" / "default.yaml", tmp_path / "tuned.yaml", extra_lexicons=[pack])
    after = explore.rerun(cfg, out, start="dimensions", run_date=RUN_DATE)
    diff = explore.compare_runs(before, after).set_index("dimension")
    assert diff.at["product", "mentions_after"] > diff.at["product", "mentions_before"]
    changed = explore.changed_reviews(before, after)
    assert len(changed) > 0 and changed["changes"].str.contains("product").all()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["stages"][0] == "dimensions"


def test_explore_rerun_raises_on_failure(tmp_path):
    with pytest.raises(PipelineError, match="exited with code 2"):
        explore.rerun(tmp_path / "missing.yaml", tmp_path / "out")


def test_explore_helpers_accept_an_empty_slice(run):
    empty = explore.select(run, store="不存在的酒店")
    assert len(empty.feedback) == 0
    assert explore.trend(empty, by="week").empty and explore.quotes(empty).empty and explore.search(empty, "热水").empty
    assert explore.since_when(empty, "tangibles")["since"] is None
    assert explore.plot_trend(empty).svg.startswith("<svg")
