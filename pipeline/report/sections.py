"""Table and list sections of ``report.html`` (stores, themes, topics, actions, critical items)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from pipeline.report._common import PRIORITY_ORDER, esc, label_for, num, pct

logger = logging.getLogger(__name__)

#: Critical items listed in full before the list is cut short.
MAX_CRITICAL_ITEMS = 50
#: Characters of review text shown per critical item.
MAX_QUOTE_CHARS = 240
_NUM = ' class="num"'


def _table(headers: Sequence[tuple[str, bool]], rows: Sequence[Sequence[str]]) -> str:
    """A table; ``headers`` are ``(text, numeric)``; cells must already be escaped."""
    head = "".join(f"<th{_NUM if n else ''}>{esc(h)}</th>" for h, n in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{_NUM if n else ''}>{cell}</td>" for cell, (_, n) in zip(row, headers)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _section(title: str, content: str, note: str = "") -> str:
    note_html = f'<p class="note">{esc(note)}</p>' if note else ""
    return f"<section><h2>{esc(title)}</h2>{note_html}{content}</section>"


def _empty(text: str = "暂无数据") -> str:
    return f'<div class="empty">{esc(text)}</div>'


def _shorten(text: str, limit: int = MAX_QUOTE_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def stores_section(summary: Mapping[str, Any]) -> str:
    """Per-store index and shares; empty string when the data names no store."""
    stores = summary.get("by_store") or []
    if not stores:
        return ""
    rows = [
        [
            esc(s["store"]),
            esc(s["reviews"]),
            esc(num(s.get("service_quality_index"))),
            esc(num(s.get("mean_sentiment"), "{:.2f}")),
            esc(pct(s.get("negative_share"))),
        ]
        for s in stores
    ]
    headers = [("门店", False), ("评论数", True), ("服务质量指数", True), ("平均情感分", True),
               ("负面评论占比", True)]
    return _section("门店对比", _table(headers, rows), "按评论数从多到少排列。")


def themes_section(
    themes: Sequence[Mapping[str, Any]], title: str, polarity: str, labels: Mapping[str, str]
) -> str:
    """Cards of (dimension, sub-aspect) themes with their count, share and example quotes.

    Args:
        themes: ``top_issues`` or ``top_praise`` of the summary.
        title: Section heading.
        polarity: ``negative`` (issues) or ``positive`` (praise); sets the colour.
        labels: Chinese labels of dimension keys.

    Returns:
        The section's HTML.
    """
    if not themes:
        return _section(title, _empty())
    cards = []
    for theme in themes:
        name = theme.get("dimension_label") or label_for(theme["dimension"], labels)
        if theme.get("sub_aspect"):
            sub = theme.get("sub_aspect_label") or label_for(theme["sub_aspect"], labels)
            name = f"{name} · {sub}"
        quotes = "".join(f"<blockquote>“{esc(q)}”</blockquote>" for q in theme.get("examples", []))
        kind = "" if polarity == "negative" else " praise"
        cards.append(
            f'<div class="theme{kind}"><div class="head"><span>{esc(name)}</span>'
            f'<span class="count">{esc(theme["count"])} 次提及 · {esc(theme.get("reviews", 0))} 条评论'
            f" · {esc(pct(theme.get('share')))}</span></div>{quotes}</div>"
        )
    tone = "负面" if polarity == "negative" else "正面"
    note = f"按提及该方面的{tone}子句数排序，占比为占全部{tone}子句的比例。"
    return _section(title, f'<div class="themes">{"".join(cards)}</div>', note)


def topics_section(summary: Mapping[str, Any]) -> str:
    """Topics found by the topic model with size and negative share."""
    topics = summary.get("topics") or []
    if not topics:
        return _section("话题", _empty("没有识别出话题。"))
    rows = [
        [esc(t["topic_id"]), esc(t.get("keywords", "")), esc(t["size"]), esc(pct(t.get("negative_share")))]
        for t in topics
    ]
    headers = [("话题", True), ("关键词", False), ("评论数", True), ("负面评论占比", True)]
    return _section("话题", _table(headers, rows))


def actions_section(summary: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    """Open actions per department and priority, with the overdue count."""
    actions = summary.get("actions") or {}
    owners = actions.get("by_owner") or []
    if not owners:
        return _section("各部门待处理行动", _empty("没有需要处理的行动。"))
    shown = [p for p in PRIORITY_ORDER if p != "none"]
    headers = [("负责部门", False), ("合计", True)]
    headers += [(label_for(p, labels), True) for p in shown]
    headers.append(("已逾期", True))
    rows = []
    for row in owners:
        cells = [esc(row["owner"]), esc(row["total"])]
        for p in shown:
            value = row.get(p, 0)
            cell = esc(value)
            if value and p in ("critical", "high"):
                cell = f'<span class="tag prio-{p}">{cell}</span>'
            cells.append(cell)
        overdue = row.get("overdue")
        cells.append("—" if overdue is None else esc(overdue))
        rows.append(cells)
    run_date = actions.get("run_date")
    note = f"逾期以运行日期 {run_date} 为准。" if run_date else "未提供运行日期，无法判断逾期。"
    return _section("各部门待处理行动", _table(headers, rows), note)


def critical_section(
    critical: pd.DataFrame, texts: Mapping[str, str], labels: Mapping[str, str]
) -> str:
    """The critical actions, each with its review text, evidence, owner and due date.

    Args:
        critical: Rows of the actions table with priority ``critical``.
        texts: Review id → full review text.
        labels: Chinese labels for dimension keys.

    Returns:
        The section's HTML.
    """
    title = "紧急事项"
    if critical.empty:
        return _section(title, _empty("没有紧急事项。"))
    items = []
    for row in critical.head(MAX_CRITICAL_ITEMS).itertuples(index=False):
        dims = "、".join(label_for(d, labels) for d in str(row.dimensions).split(";") if d)
        where = " · ".join(x for x in (row.date, row.store, dims) if x)
        text = texts.get(row.review_id, "") or row.evidence
        due = f"，截止 {row.due_date}" if row.due_date else ""
        items.append(
            f'<li><div class="line1"><span class="tag prio-critical">{esc(label_for("critical", labels))}</span>'
            f"{esc(row.action_id)} · {esc(where)}</div>"
            f'<div class="quote">“{esc(_shorten(text))}”</div>'
            f'<div class="act"><span class="tag">{esc(row.owner)}</span>{esc(row.action)}{esc(due)}</div></li>'
        )
    more = len(critical) - MAX_CRITICAL_ITEMS
    tail = f'<p class="note">另有 {more} 项未列出，见 actions.xlsx。</p>' if more > 0 else ""
    return _section(title, f'<ul class="items">{"".join(items)}</ul>{tail}')


def followup_section(summary: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    """Closed items with the negative share before and after, recurrences, overdue items."""
    fu = summary.get("followup") or {}
    parts = []
    effects = fu.get("effects") or []
    if effects:
        rows = [
            [
                esc(e["action_id"]),
                esc(e.get("store") or "—"),
                esc(label_for(e["dimension"], labels) + (f" / {label_for(e['sub_aspect'], labels)}" if e.get("sub_aspect") else "")),
                esc(e["closed_at"]),
                f"{esc(pct(e.get('before_negative_share')))} <span class=\"note\">(n={esc(e['before_n'])})</span>",
                f"{esc(pct(e.get('after_negative_share')))} <span class=\"note\">(n={esc(e['after_n'])})</span>",
                esc("—" if e.get("change") is None else f"{e['change'] * 100:+.1f} 个百分点"),
            ]
            for e in effects
        ]
        headers = [("行动", False), ("门店", False), ("维度 / 子方面", False), ("关闭日期", False), ("关闭前差评占比", True), ("关闭后差评占比", True), ("变化", True)]
        parts.append("<h3>已关闭行动的效果</h3>" + _table(headers, rows))
    recurrences = fu.get("recurrences") or []
    if recurrences:
        rows = [[esc(r["action_id"]), esc(r.get("store") or "—"), esc(label_for(r.get("dimension", ""), labels)), esc(r.get("date", "")), esc(r["recurrence_of"]), esc(_shorten(r.get("evidence", ""), 80))] for r in recurrences]
        headers = [("新行动", False), ("门店", False), ("维度", False), ("评论日期", False), ("重复出现（已关闭行动）", False), ("证据", False)]
        parts.append("<h3>问题重复出现</h3>" + _table(headers, rows))
    overdue = fu.get("overdue") or []
    if overdue:
        rows = [[esc(o["action_id"]), esc(o["owner"]), esc(label_for(o["priority"], labels)), esc(o["due_date"]), esc(_shorten(o.get("evidence", ""), 80))] for o in overdue]
        headers = [("行动", False), ("负责部门", False), ("优先级", False), ("截止日期", False), ("证据", False)]
        parts.append(f"<h3>逾期未关闭（{esc(fu.get('overdue_total', len(overdue)))} 项）</h3>" + _table(headers, rows))
    counts = fu.get("counts") or {}
    note = "；".join(f"{label_for(k, labels)} {v} 项" for k, v in counts.items())
    if not parts:
        return _section("跟进与效果", _empty("还没有已关闭或逾期的行动。"), note)
    return _section("跟进与效果", "".join(parts), note)
