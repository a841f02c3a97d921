"""Charts for notebooks: SVG with Chinese labels kept as text (no font or matplotlib needed).

Each function returns a :class:`Chart`; Jupyter shows it through ``_repr_svg_`` and the
browser draws the Chinese labels with its own fonts, so charts render on machines without a
CJK font. The drawing is :mod:`pipeline.report.charts`, the same as the HTML report's.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from pipeline.explore_analysis import by_store, compare, dimension_summary, sub_aspect_summary, trend
from pipeline.explore_frames import POLARITY_LABELS, Run
from pipeline.report.charts import bar_chart, line_chart, stacked_bar

logger = logging.getLogger(__name__)

_METRIC_LABELS = {"negative_share": "负面占比", "net_score": "净得分", "positive_share": "正面占比"}


@dataclass(frozen=True)
class Chart:
    """An SVG chart; displays itself in Jupyter, ``str(chart)`` is the SVG markup."""

    svg: str

    def _repr_svg_(self) -> str:
        return self.svg

    def __str__(self) -> str:
        return self.svg

    def save(self, path: str | Path) -> Path:
        """Write the SVG to ``path`` (UTF-8) and return the path."""
        p = Path(path)
        p.write_text(self.svg, encoding="utf-8")
        return p


def _value(v: float) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def plot_dimensions(run: Run, title: str = "各维度评价构成") -> Chart:
    """Positive / neutral / negative split per dimension, with the target as a tick.

    The tick sits at ``1 − target negative share``: the red part should start right of it.
    """
    s = dimension_summary(run)
    s = s[s["mentions"] > 0]
    labels = [f"{lab}（{n}）" for lab, n in zip(s["label"], s["mentions"])]
    segments = s[["positive", "neutral", "negative"]].to_numpy().tolist()
    markers = [None if _value(t) is None else 1.0 - t for t in s["target_negative_share"]]
    svg = stacked_bar(
        labels,
        segments,
        series_names=[POLARITY_LABELS[k] for k in ("positive", "neutral", "negative")],
        markers=markers,
        marker_label="目标（负面占比上限）",
        title=title,
    )
    return Chart(svg)


def plot_net_scores(run: Run, title: str = "各维度净得分（正面−负面）") -> Chart:
    """Net score (−1..1) per dimension, green above zero, red below."""
    s = dimension_summary(run)
    s = s[s["mentions"] > 0]
    return Chart(bar_chart(list(s["label"]), [_value(v) for v in s["net_score"]], title=title))


def plot_trend(
    run_or_trend: Run | pd.DataFrame,
    by: Literal["week", "month"] = "month",
    metric: Literal["negative_share", "net_score", "positive_share"] = "negative_share",
    dimensions: list[str] | None = None,
    title: str | None = None,
) -> Chart:
    """A line per dimension of ``metric`` (in %) over weeks or months.

    Args:
        run_or_trend: A run (the trend is computed) or a frame from :func:`trend`.
        by: ``"week"`` or ``"month"`` (when a run is given).
        metric: Which share to plot.
        dimensions: Dimension keys to draw; default the SERVQUAL five that are mentioned.
        title: Chart title.
    """
    t = trend(run_or_trend, by=by) if isinstance(run_or_trend, Run) else run_or_trend
    if dimensions is None:
        mentioned = t.groupby("dimension", observed=True)["mentions"].sum()
        servqual = ["tangibles", "reliability", "responsiveness", "assurance", "empathy"]
        present = [d for d in t["dimension"].drop_duplicates() if mentioned.get(d, 0) > 0]
        dimensions = [d for d in present if d in servqual] or present
    periods = list(t["period"].drop_duplicates())
    series = {}
    for key in dimensions:
        part = t[t["dimension"] == key].set_index("period").reindex(periods)
        series[str(part["label"].dropna().iloc[0]) if part["label"].notna().any() else key] = [
            None if _value(v) is None else v * 100 for v in part[metric]
        ]
    y_range = (-100.0, 100.0) if metric == "net_score" else (0.0, 100.0)
    default = f"{_METRIC_LABELS[metric]}（%）按{'周' if by == 'week' else '月'}"
    return Chart(line_chart(periods, series, y_range=y_range, title=title or default))


def plot_compare(run: Run, period_a, period_b, title: str | None = None) -> Chart:
    """Change in net score per dimension between two periods (red: slipped)."""
    c = compare(run, period_a, period_b)
    c = c[c["net_score_change"].notna()]
    return Chart(
        bar_chart(
            list(c["label"]),
            [float(v) for v in c["net_score_change"]],
            value_range=(-2.0, 2.0),
            title=title or f"净得分变化：{period_a} → {period_b}",
        )
    )


def plot_stores(run: Run, dimension: str, title: str | None = None) -> Chart:
    """Net score of one dimension per store (hotel / restaurant)."""
    table = by_store(run, "net_score")
    counts = by_store(run, "mentions")[dimension]
    labels = [f"{store}（{int(counts[store])}）" for store in table.index]
    values = [_value(v) for v in table[dimension]]
    return Chart(bar_chart(labels, values, title=title or f"{run.label(dimension)}：各门店净得分"))


def plot_sub_aspects(run: Run, dimension: str, top: int = 8, title: str | None = None) -> Chart:
    """Positive / neutral / negative mentions per sub-aspect of one dimension."""
    s = sub_aspect_summary(run, dimension).head(top)
    svg = stacked_bar(
        [f"{lab}（{n}）" for lab, n in zip(s["sub_aspect_label"], s["mentions"])],
        s[["positive", "neutral", "negative"]].to_numpy().tolist(),
        series_names=[POLARITY_LABELS[k] for k in ("positive", "neutral", "negative")],
        title=title or f"{run.label(dimension)}：细分方面",
    )
    return Chart(svg)
