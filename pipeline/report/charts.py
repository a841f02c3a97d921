"""Hand-written inline SVG charts: pure, deterministic functions returning strings.

Text stays as ``<text>`` elements so the browser draws Chinese with whatever CJK font the
machine has (no font is embedded); every label is HTML-escaped. Coordinates are written with
one decimal, so the same input always gives byte-identical output.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from pipeline.report._common import FONT_STACK, display_width, esc

logger = logging.getLogger(__name__)

POSITIVE_COLOR = "#2e9d6a"
NEUTRAL_COLOR = "#b8c0cc"
NEGATIVE_COLOR = "#d9534f"
MARKER_COLOR = "#1f2937"
GRID_COLOR = "#e5e7eb"
AXIS_TEXT = "#6b7280"
#: Series colours of line charts, in order.
PALETTE: tuple[str, ...] = ("#2563eb", "#f59e0b", "#10b981", "#8b5cf6", "#ef4444", "#0891b2")
FONT_SIZE = 13


def _n(value: float) -> str:
    """A coordinate with one decimal (and no ``-0.0``)."""
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def _open(width: float, height: float, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'width="{_n(width)}" height="{_n(height)}" role="img" aria-label="{esc(title)}" '
        f'font-family="{esc(FONT_STACK)}" font-size="{FONT_SIZE}" class="chart" '
        f'style="max-width:100%;height:auto">'
        f"<title>{esc(title)}</title>"
    )


def _text(x: float, y: float, content: str, *, anchor: str = "start", **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{esc(v)}"' for k, v in attrs.items())
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}"{extra}>{esc(content)}</text>'
    )


def _empty(width: float, title: str, message: str) -> str:
    height = 60.0
    return (
        _open(width, height, title)
        + _text(width / 2, height / 2 + 4, message, anchor="middle", fill=AXIS_TEXT)
        + "</svg>"
    )


def _label_width(labels: Sequence[str], width: float) -> float:
    widest = max((display_width(str(label)) for label in labels), default=0.0)
    return min(widest * FONT_SIZE + 16.0, width * 0.35)


def _legend(items: Sequence[tuple[str, str, str]], x: float, y: float) -> str:
    """Legend entries ``(kind, colour, text)``; kind is ``box`` or ``tick``."""
    parts = []
    for kind, colour, text in items:
        if kind == "tick":
            parts.append(
                f'<line x1="{_n(x + 5)}" y1="{_n(y - 11)}" x2="{_n(x + 5)}" y2="{_n(y + 2)}" '
                f'stroke="{colour}" stroke-width="2.5"/>'
            )
        else:
            parts.append(
                f'<rect x="{_n(x)}" y="{_n(y - 10)}" width="11" height="11" rx="2" '
                f'fill="{colour}"/>'
            )
        parts.append(_text(x + 16, y, text, fill="#374151"))
        x += 16 + display_width(text) * FONT_SIZE + 18
    return "".join(parts)


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    markers: Sequence[float | None] | None = None,
    value_range: tuple[float, float] = (-1.0, 1.0),
    title: str = "",
    width: float = 680.0,
    bar_height: float = 24.0,
    value_format: str = "{:+.2f}",
    marker_label: str = "目标",
    empty_text: str = "暂无数据",
) -> str:
    """Horizontal bars from zero (green ≥ 0, red < 0) with optional marker ticks.

    Args:
        labels: One label per bar.
        values: Bar values; ``None`` draws no bar and shows "—".
        markers: Optional value per bar drawn as a dark tick (``None`` for no tick).
        value_range: Axis range; values outside are clipped.
        title: Accessible title.
        width: SVG width in px.
        bar_height: Height of one bar in px.
        value_format: Format of the value printed right of the plot.
        marker_label: Legend text of the markers.
        empty_text: Shown instead of a chart when there are no bars.

    Returns:
        An ``<svg>`` string.
    """
    if not labels:
        return _empty(width, title, empty_text)
    low, high = value_range
    row = bar_height + 12.0
    top = 30.0
    has_markers = bool(markers) and any(m is not None for m in markers or [])
    height = top + row * len(labels) + (34.0 if has_markers else 10.0)
    x0 = _label_width(labels, width)
    x1 = width - 64.0

    def scale(v: float) -> float:
        v = min(max(v, low), high)
        return x0 + (v - low) / (high - low) * (x1 - x0)

    parts = [_open(width, height, title)]
    for i in range(5):
        tick = low + (high - low) * i / 4
        x = scale(tick)
        parts.append(
            f'<line x1="{_n(x)}" y1="{_n(top - 6)}" x2="{_n(x)}" '
            f'y2="{_n(top + row * len(labels))}" stroke="{GRID_COLOR}"/>'
        )
        parts.append(_text(x, top - 12, f"{tick:g}", anchor="middle", fill=AXIS_TEXT, font_size="11"))
    zero = scale(0.0) if low < 0 < high else scale(low)
    parts.append(
        f'<line x1="{_n(zero)}" y1="{_n(top - 6)}" x2="{_n(zero)}" '
        f'y2="{_n(top + row * len(labels))}" stroke="#9ca3af"/>'
    )
    for i, (label, value) in enumerate(zip(labels, values)):
        y = top + row * i + 6.0
        mid = y + bar_height / 2 + 4.5
        parts.append(_text(x0 - 10, mid, str(label), anchor="end", fill="#111827"))
        if value is None:
            parts.append(_text(x1 + 10, mid, "—", fill=AXIS_TEXT))
            continue
        end = scale(value)
        colour = POSITIVE_COLOR if value >= 0 else NEGATIVE_COLOR
        parts.append(
            f'<rect x="{_n(min(zero, end))}" y="{_n(y)}" width="{_n(abs(end - zero))}" '
            f'height="{_n(bar_height)}" rx="3" fill="{colour}"/>'
        )
        parts.append(_text(x1 + 10, mid, value_format.format(value), fill="#111827"))
    for i, marker in enumerate(markers or []):
        if marker is None or i >= len(labels):
            continue
        x = scale(marker)
        y = top + row * i + 2.0
        parts.append(
            f'<line x1="{_n(x)}" y1="{_n(y)}" x2="{_n(x)}" y2="{_n(y + bar_height + 8)}" '
            f'stroke="{MARKER_COLOR}" stroke-width="2.5"/>'
        )
    if has_markers:
        parts.append(_legend([("tick", MARKER_COLOR, marker_label)], x0, height - 12))
    parts.append("</svg>")
    return "".join(parts)


def stacked_bar(
    labels: Sequence[str],
    segments: Sequence[Sequence[float | None]],
    *,
    series_names: Sequence[str],
    colors: Sequence[str] = (POSITIVE_COLOR, NEUTRAL_COLOR, NEGATIVE_COLOR),
    markers: Sequence[float | None] | None = None,
    marker_label: str = "目标",
    title: str = "",
    width: float = 680.0,
    bar_height: float = 24.0,
    empty_text: str = "暂无数据",
) -> str:
    """Horizontal 100 % stacked bars (each row normalised to its total).

    Args:
        labels: One label per row.
        segments: Per row, one non-negative amount per series (``None`` counts as 0).
        series_names: Legend text per series.
        colors: Fill per series.
        markers: Optional fraction (0..1 from the left) per row drawn as a dark tick.
        marker_label: Legend text of the markers.
        title: Accessible title.
        width: SVG width in px.
        bar_height: Height of one bar in px.
        empty_text: Shown instead of a chart when there are no rows.

    Returns:
        An ``<svg>`` string. Rows whose amounts sum to 0 read "无数据".
    """
    if not labels:
        return _empty(width, title, empty_text)
    row = bar_height + 12.0
    top = 34.0
    has_markers = bool(markers) and any(m is not None for m in markers or [])
    height = top + row * len(labels) + 8.0
    x0 = _label_width(labels, width)
    x1 = width - 16.0
    legend = [("box", c, n) for c, n in zip(colors, series_names)]
    if has_markers:
        legend.append(("tick", MARKER_COLOR, marker_label))
    parts = [_open(width, height, title), _legend(legend, x0, 16.0)]
    for i, (label, amounts) in enumerate(zip(labels, segments)):
        y = top + row * i + 4.0
        mid = y + bar_height / 2 + 4.5
        parts.append(_text(x0 - 10, mid, str(label), anchor="end", fill="#111827"))
        clean = [max(float(a or 0.0), 0.0) for a in amounts]
        total = sum(clean)
        if total <= 0:
            parts.append(
                f'<rect x="{_n(x0)}" y="{_n(y)}" width="{_n(x1 - x0)}" '
                f'height="{_n(bar_height)}" rx="3" fill="#f3f4f6"/>'
            )
            parts.append(_text((x0 + x1) / 2, mid, "无数据", anchor="middle", fill=AXIS_TEXT))
            continue
        x = x0
        for amount, colour in zip(clean, colors):
            seg = amount / total * (x1 - x0)
            if seg <= 0:
                continue
            parts.append(
                f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(seg)}" '
                f'height="{_n(bar_height)}" fill="{colour}"/>'
            )
            if seg >= 34:
                parts.append(
                    _text(x + seg / 2, mid, f"{amount / total:.0%}", anchor="middle", fill="#ffffff")
                )
            x += seg
    for i, marker in enumerate(markers or []):
        if marker is None or i >= len(labels):
            continue
        x = x0 + min(max(marker, 0.0), 1.0) * (x1 - x0)
        y = top + row * i
        parts.append(
            f'<line x1="{_n(x)}" y1="{_n(y)}" x2="{_n(x)}" y2="{_n(y + bar_height + 8)}" '
            f'stroke="{MARKER_COLOR}" stroke-width="2.5"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    x_labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    y_range: tuple[float, float] = (0.0, 100.0),
    colors: Sequence[str] = PALETTE,
    title: str = "",
    width: float = 720.0,
    height: float = 280.0,
    y_format: str = "{:.0f}",
    empty_text: str = "暂无数据",
) -> str:
    """Lines over ordered x labels; ``None`` breaks a line (a lone point is still drawn).

    Args:
        x_labels: Category labels of the x axis (e.g. months), in order.
        series: Legend name → one value (or ``None``) per x label.
        y_range: Fixed y axis range; values are clipped into it.
        colors: Colour per series, cycled.
        title: Accessible title.
        width: SVG width in px.
        height: SVG height in px.
        y_format: Format of the y tick labels.
        empty_text: Shown instead of a chart when there is nothing to draw.

    Returns:
        An ``<svg>`` string.
    """
    if not x_labels or not series:
        return _empty(width, title, empty_text)
    low, high = y_range
    left, right, top, bottom = 44.0, 20.0, 36.0, 34.0
    plot_w, plot_h = width - left - right, height - top - bottom
    count = len(x_labels)

    def sx(i: int) -> float:
        return left + (plot_w / 2 if count == 1 else plot_w * i / (count - 1))

    def sy(v: float) -> float:
        v = min(max(v, low), high)
        return top + plot_h - (v - low) / (high - low) * plot_h

    names = list(series)
    legend = [("box", colors[k % len(colors)], name) for k, name in enumerate(names)]
    parts = [_open(width, height, title), _legend(legend, left, 16.0)]
    for i in range(5):
        value = low + (high - low) * i / 4
        y = sy(value)
        parts.append(
            f'<line x1="{_n(left)}" y1="{_n(y)}" x2="{_n(width - right)}" y2="{_n(y)}" '
            f'stroke="{GRID_COLOR}"/>'
        )
        parts.append(_text(left - 8, y + 4, y_format.format(value), anchor="end", fill=AXIS_TEXT, font_size="11"))
    step = max(1, -(-count // 12))
    for i, label in enumerate(x_labels):
        if i % step == 0 or i == count - 1:
            parts.append(_text(sx(i), height - 12, str(label), anchor="middle", fill=AXIS_TEXT, font_size="11"))
    for k, name in enumerate(names):
        colour = colors[k % len(colors)]
        values = list(series[name])
        runs: list[list[tuple[float, float]]] = [[]]
        for i, value in enumerate(values[:count]):
            if value is None:
                runs.append([])
            else:
                runs[-1].append((sx(i), sy(float(value))))
        for run in runs:
            if len(run) > 1:
                points = " ".join(f"{_n(x)},{_n(y)}" for x, y in run)
                parts.append(
                    f'<polyline points="{points}" fill="none" stroke="{colour}" '
                    f'stroke-width="2.5" stroke-linejoin="round"/>'
                )
            for x, y in run:
                parts.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="3.5" fill="{colour}"/>')
    parts.append("</svg>")
    return "".join(parts)
