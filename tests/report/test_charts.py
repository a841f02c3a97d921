"""SVG chart helpers: valid XML, escaped text, deterministic, empty-safe."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from pipeline.report.charts import bar_chart, line_chart, stacked_bar

SVG = "{http://www.w3.org/2000/svg}"


def _texts(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text")]


@pytest.mark.parametrize(
    "make",
    [
        lambda: bar_chart(["有形性", "<b>&"], [0.5, -0.25], markers=[0.6, None]),
        lambda: stacked_bar(["有形性", "<b>&"], [[3, 1, 1], [0, 0, 0]], series_names=["正面", "中性", "负面"]),
        lambda: line_chart(["2024-01", "2024-02"], {"指数<>": [50.0, None], "情感": [40.0, 60.0]}),
    ],
    ids=["bar", "stacked", "line"],
)
def test_charts_are_valid_svg_with_escaped_text(make):
    svg = make()
    root = ET.fromstring(svg)  # raises on unescaped '<' or '&'
    assert root.tag == f"{SVG}svg"
    assert "font-family" in root.attrib and "Noto Sans CJK SC" in root.attrib["font-family"]
    assert "<b>" not in svg


def test_charts_bar_keeps_chinese_labels_as_text():
    svg = bar_chart(["有形性", "可靠性"], [0.2, None])
    texts = _texts(svg)
    assert "有形性" in texts and "可靠性" in texts
    assert "+0.20" in texts and "—" in texts  # value label and the no-data dash


def test_charts_bar_draws_marker_and_clips_values():
    svg = bar_chart(["a"], [5.0], markers=[0.5], marker_label="达标线")
    assert svg.count('stroke-width="2.5"') == 2  # marker + legend tick
    assert "达标线" in _texts(svg)


def test_charts_are_deterministic():
    args = (["有形性", "响应性"], [0.123456, -0.5])
    assert bar_chart(*args) == bar_chart(*args)
    series = {"指数": [1.0, 2.0, 3.0]}
    assert line_chart(["1", "2", "3"], series) == line_chart(["1", "2", "3"], series)


def test_charts_stacked_bar_shows_percentages_and_no_data_row():
    svg = stacked_bar(["甲", "乙"], [[3, 0, 1], [None, None, None]], series_names=["正", "中", "负"])
    texts = _texts(svg)
    assert "75%" in texts and "25%" in texts and "无数据" in texts


def test_charts_line_breaks_on_none_and_draws_lone_points():
    svg = line_chart(["1", "2", "3", "4"], {"s": [10.0, 20.0, None, 40.0]})
    root = ET.fromstring(svg)
    assert len(list(root.iter(f"{SVG}polyline"))) == 1
    assert len(list(root.iter(f"{SVG}circle"))) == 3


@pytest.mark.parametrize(
    "svg",
    [bar_chart([], []), stacked_bar([], [], series_names=[]), line_chart([], {})],
    ids=["bar", "stacked", "line"],
)
def test_charts_empty_input_gives_placeholder(svg):
    assert "暂无数据" in _texts(svg)
