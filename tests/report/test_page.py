"""report.html: self-contained, escaped, Chinese, and robust to empty input."""

from __future__ import annotations

import re

import pytest

from pipeline.report import compute_summary, render_html


@pytest.fixture
def page(feedback, mentions, dims, run_info) -> str:
    summary = compute_summary(feedback, mentions, dims, run_info=run_info)
    return render_html(summary, feedback, mentions)


def test_page_escapes_review_text(feedback, mentions, dims, run_info, evil_text):
    feedback.loc[feedback["review_id"] == "r6", "priority"] = "critical"  # listed in full
    mentions.loc[mentions["review_id"] == "r6", "polarity"] = "negative"  # quoted as an issue
    summary = compute_summary(feedback, mentions, dims, run_info=run_info)
    page = render_html(summary, feedback, mentions)
    assert "<script>" not in page
    escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
    assert page.count(escaped) >= 2  # critical list and issue quote


def test_page_has_chinese_labels_and_svg(page):
    for label in ("有形性", "可靠性", "响应性", "保证性", "关怀性", "价格", "服务质量指数"):
        assert label in page
    assert page.count("<svg") >= 3  # net score, stacked, trend


def test_page_is_self_contained(page):
    assert page.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in page
    assert not re.search(r"<(script|link|img|iframe)\b", page)
    assert not re.search(r"(src|href)\s*=", page)
    assert "url(" not in page and "@import" not in page and "@font-face" not in page


def test_page_shows_run_info_and_kpis(page):
    assert "20240401-000000-abcd" in page and "hotel" in page
    assert "60.7" in page  # service-quality index


def test_page_lists_critical_items_with_owner(page):
    critical = page.split("紧急事项", 1)[1]
    assert "客房部" in critical and "处理 r1" in critical


def test_page_escapes_store_and_owner_names(feedback, mentions, dims, run_info):
    feedback.loc[0, "store"] = 'A&B "店" <x>'
    feedback.loc[0, "owner"] = "<客房部>"
    summary = compute_summary(feedback, mentions, dims, run_info=run_info)
    page = render_html(summary, feedback, mentions)
    assert "<x>" not in page and "<客房部>" not in page
    assert "A&amp;B &quot;店&quot; &lt;x&gt;" in page


def test_page_empty_frames_show_empty_state(empty_feedback, empty_mentions, dims, run_info):
    summary = compute_summary(empty_feedback, empty_mentions, dims, run_info=run_info)
    page = render_html(summary, empty_feedback, empty_mentions)
    assert "没有可分析的评论" in page and page.endswith("</html>")


def test_page_without_dates_has_no_trend_chart(feedback, mentions, dims, run_info):
    feedback["date"] = ""
    summary = compute_summary(feedback, mentions, dims, run_info=run_info)
    page = render_html(summary, feedback, mentions)
    assert "月度趋势" not in page and "<svg" in page


def test_page_label_override(feedback, mentions, dims, run_info):
    summary = compute_summary(feedback, mentions, dims, run_info=run_info)
    page = render_html(summary, feedback, mentions, labels={"critical": "特急"})
    assert "特急" in page


def test_page_title_and_config_name_from_run_info(feedback, mentions, dims):
    info = {"run_id": "x1", "config_name": "restaurant", "title": "门店<周报>"}
    summary = compute_summary(feedback, mentions, dims, run_info=info)
    page = render_html(summary, feedback, mentions)
    assert "<title>门店&lt;周报&gt; · restaurant</title>" in page
    assert "不计入指数" in page  # price is an extra category
