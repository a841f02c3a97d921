"""``report.html``: one self-contained page (inline CSS and SVG, no scripts, no fonts).

Every piece of text that came from data (reviews, store names, labels, run info) goes through
:func:`~pipeline.report._common.esc`; the page never includes unescaped user text.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pandas as pd

from pipeline import __version__
from pipeline.report import charts
from pipeline.report._common import PRIORITY_ORDER, column, esc, in_values, label_for, num, pct
from pipeline.report._style import CSS
from pipeline.report.actions import build_actions_table
from pipeline.report.sections import (
    actions_section,
    critical_section,
    followup_section,
    stores_section,
    themes_section,
    topics_section,
)

logger = logging.getLogger(__name__)

TITLE = "服务质量评论分析报告"


def _title(summary: Mapping[str, Any]) -> str:
    return str((summary.get("run_info") or {}).get("title") or TITLE)


def _header(summary: Mapping[str, Any]) -> str:
    info = summary.get("run_info") or {}
    period = summary.get("period") or {}
    items = [
        ("运行编号", info.get("run_id")),
        ("配置", info.get("config") or info.get("config_name")),
        ("生成时间", info.get("generated_at")),
    ]
    if period.get("start"):
        items.append(("评论日期", f"{period['start']} 至 {period['end']}"))
    meta = "".join(f"<span>{esc(k)}：<b>{esc(v)}</b></span>" for k, v in items if v)
    return f'<header class="page"><h1>{esc(_title(summary))}</h1><div class="meta">{meta}</div></header>'


def _kpi(name: str, value: str, sub: str = "", tone: str = "") -> str:
    return (
        f'<div class="kpi {tone}"><div class="name">{esc(name)}</div>'
        f'<div class="value">{value}</div><div class="sub">{esc(sub)}</div></div>'
    )


def _kpis(summary: Mapping[str, Any]) -> str:
    counts = summary.get("counts") or {}
    senti = summary.get("sentiment") or {}
    actions = summary.get("actions") or {}
    index = summary.get("service_quality_index")
    tone = "" if index is None else ("good" if index >= 60 else "bad")
    overdue = actions.get("overdue")
    cards = [
        _kpi(
            "分析评论数",
            esc(counts.get("analysed", 0)),
            f"共 {counts.get('reviews', 0)} 条，其中重复 {counts.get('duplicates', 0)} 条",
        ),
        _kpi("服务质量指数", f"{esc(num(index))}<small> / 100</small>", "SERVQUAL 加权", tone),
        _kpi("正面评论占比", esc(pct(senti.get("positive_share"))), "", "good"),
        _kpi("负面评论占比", esc(pct(senti.get("negative_share"))), "", "bad"),
        _kpi(
            "待处理行动",
            esc(actions.get("total", 0)),
            "" if overdue is None else f"已逾期 {overdue} 项",
            "bad" if overdue else "",
        ),
    ]
    return f'<div class="kpis">{"".join(cards)}</div>'


def _weight(dim: Mapping[str, Any]) -> str:
    """The index weight of a dimension, or a note that extra categories do not count."""
    return num(dim.get("weight"), "{:.2f}") if dim.get("servqual") else "不计入指数"


def _points(gap: float | None) -> str:
    """A share difference in signed percentage points: ``0.086`` → ``'+8.6'``."""
    return "—" if gap is None else f"{gap * 100:+.1f}"


def _dimension_section(summary: Mapping[str, Any]) -> str:
    dims = summary.get("dimensions") or []
    labels = [d["label"] for d in dims]
    markers = []
    for d in dims:
        target, neutral = d.get("target_negative_share"), d.get("neutral_share")
        # Net score if the negative share fell to the target and the neutral share held.
        ok = target is not None and neutral is not None
        markers.append(max(-1.0, 1.0 - neutral - 2.0 * target) if ok else None)
    bar = charts.bar_chart(
        labels,
        [d.get("net_score") for d in dims],
        markers=markers,
        title="各维度净得分",
        width=520,
        marker_label="达标线",
    )
    stacked = charts.stacked_bar(
        labels,
        [[d.get("positive", 0), d.get("neutral", 0), d.get("negative", 0)] for d in dims],
        series_names=[label_for("positive"), label_for("neutral"), label_for("negative")],
        markers=[
            None if d.get("target_negative_share") is None else 1.0 - d["target_negative_share"]
            for d in dims
        ],
        marker_label="负面占比目标",
        title="各维度正面/中性/负面构成",
        width=520,
    )
    rows = []
    for d in dims:
        met = d.get("meets_target")
        verdict = "—"
        if met is not None:
            verdict = '<span class="ok">达标</span>' if met else '<span class="miss">未达标</span>'
        rows.append(
            f"<tr><td>{esc(d['label'])}</td><td class='num'>{esc(_weight(d))}</td>"
            f"<td class='num'>{esc(d.get('reviews', 0))}</td><td class='num'>{esc(d.get('mentions', 0))}</td>"
            f"<td class='num'>{esc(pct(d.get('positive_share')))}</td>"
            f"<td class='num'>{esc(pct(d.get('negative_share')))}</td>"
            f"<td class='num'>{esc(num(d.get('net_score'), '{:+.2f}'))}</td>"
            f"<td class='num'>{esc(pct(d.get('target_negative_share')))}</td>"
            f"<td class='num'>{esc(_points(d.get('gap')))}</td><td>{verdict}</td></tr>"
        )
    table = (
        "<table><thead><tr><th>维度</th><th class='num'>权重</th><th class='num'>评论数</th>"
        "<th class='num'>提及次数</th><th class='num'>正面占比</th><th class='num'>负面占比</th>"
        "<th class='num'>净得分</th><th class='num'>负面占比目标</th><th class='num'>差距（百分点）</th>"
        f"<th>是否达标</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    return (
        "<section><h2>服务质量维度</h2>"
        '<p class="note">净得分 = 正面占比 − 负面占比（−1 至 1）。服务质量指数为 SERVQUAL 各维度'
        "按权重加权的 (净得分+1)/2×100，无提及的维度不参与计算。达标线：负面占比降至服务标准目标"
        "（中性占比不变）时的净得分。</p>"
        f'<div class="charts"><div><h3>各维度净得分</h3>{bar}</div>'
        f"<div><h3>正面 / 中性 / 负面构成</h3>{stacked}</div></div>{table}</section>"
    )


def _trend_section(summary: Mapping[str, Any]) -> str:
    trend = summary.get("trend") or []
    if not trend:
        return ""
    chart = charts.line_chart(
        [t["month"] for t in trend],
        {
            "服务质量指数": [t.get("service_quality_index") for t in trend],
            "平均情感分 ×100": [
                None if t.get("mean_sentiment") is None else t["mean_sentiment"] * 100
                for t in trend
            ],
        },
        title="月度趋势",
        width=1060,
        height=280,
    )
    counts = " · ".join(f"{esc(t['month'])}：{esc(t['reviews'])} 条" for t in trend)
    return (
        "<section><h2>月度趋势</h2>"
        f'<p class="note">按评论日期汇总；无评论的月份留空。评论数：{counts}</p>{chart}</section>'
    )


def _history_section(summary: Mapping[str, Any]) -> str:
    history = summary.get("history") or []
    if len(history) < 2:
        return ""
    chart = charts.line_chart(
        [h["run_date"] for h in history],
        {"服务质量指数": [h.get("service_quality_index") for h in history]},
        title="历次运行的服务质量指数",
        width=1060,
        height=240,
    )
    return f"<section><h2>历次运行趋势</h2><p class=\"note\">每次运行后累计数据的指数。</p>{chart}</section>"


def render_html(
    summary: Mapping[str, Any],
    feedback: pd.DataFrame,
    mentions: pd.DataFrame,
    *,
    labels: Mapping[str, str] | None = None,
    actions: pd.DataFrame | None = None,
) -> str:
    """Render the self-contained HTML report.

    Args:
        summary: Output of :func:`~pipeline.report.summary.compute_summary`.
        feedback: Classified feedback (for the list of critical items).
        mentions: Aspect mentions (evidence quotes of critical items).
        labels: Chinese labels for codes, overriding the summary's and the defaults.
        actions: The actions register (only items not closed are listed); built from
            ``feedback`` and ``mentions`` when not given.

    Returns:
        The page as a string (UTF-8 when written; declared in ``<meta charset>``).
    """
    all_labels = {**(summary.get("labels") or {}), **(labels or {})}
    info = summary.get("run_info") or {}
    config_name = info.get("config") or info.get("config_name") or ""
    title = f"{_title(summary)} · {config_name}" if config_name else _title(summary)
    body = [_header(summary)]
    if not (summary.get("counts") or {}).get("analysed"):
        body.append('<section><div class="empty">本次运行没有可分析的评论。</div></section>')
    else:
        if actions is None:
            actions = build_actions_table(feedback, mentions)
        open_items = actions[column(actions, "status") != "closed"] if "status" in actions.columns else actions
        critical = open_items[open_items["priority"] == PRIORITY_ORDER[0]]
        wanted = in_values(column(feedback, "review_id"), critical["review_id"])
        texts = dict(zip(column(feedback[wanted], "review_id"), column(feedback[wanted], "text")))
        body += [
            _kpis(summary),
            _dimension_section(summary),
            _trend_section(summary),
            stores_section(summary),
            themes_section(summary.get("top_issues") or [], "主要问题", "negative", all_labels),
            themes_section(summary.get("top_praise") or [], "好评亮点", "positive", all_labels),
            topics_section(summary),
            actions_section(summary, all_labels),
            followup_section(summary, all_labels),
            _history_section(summary),
            critical_section(critical, texts, all_labels),
        ]
    generated = esc(info.get("generated_at") or "")
    page = (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body><main>"
        + "".join(body)
        + f"<footer>由评论挖掘流水线 v{esc(__version__)} 生成 {generated}</footer>"
        "</main></body></html>"
    )
    logger.debug("report.html: %d characters", len(page))
    return page
