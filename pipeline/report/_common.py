"""Small helpers shared by the report modules: labels, orderings, safe conversions."""

from __future__ import annotations

import html
import logging
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from pipeline.arrowops import as_strings, in_values  # noqa: F401  (in_values re-exported for the report modules)

logger = logging.getLogger(__name__)

#: Order in which priorities are listed and sorted (most urgent first).
PRIORITY_ORDER: tuple[str, ...] = ("critical", "high", "medium", "low", "none")
SENTIMENT_LABELS: tuple[str, ...] = ("positive", "neutral", "negative")
FEEDBACK_TYPES: tuple[str, ...] = (
    "complaint",
    "praise",
    "suggestion",
    "question",
    "mixed",
    "none",
)
#: Feedback types that call for someone to act.
ACTIONABLE_TYPES: frozenset[str] = frozenset({"complaint", "mixed", "suggestion", "question"})

#: Fonts tried in order; the browser falls back to whatever CJK font the machine has.
FONT_STACK = (
    "'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', 'Noto Sans CJK SC', "
    "'Noto Sans SC', 'Source Han Sans SC', 'WenQuanYi Micro Hei', sans-serif"
)

#: Chinese wording for codes the pipeline emits. Callers may pass their own overrides.
DEFAULT_LABELS: dict[str, str] = {
    "tangibles": "有形性",
    "reliability": "可靠性",
    "responsiveness": "响应性",
    "assurance": "保证性",
    "empathy": "关怀性",
    "price": "价格",
    "location": "位置",
    "product": "产品/菜品",
    "positive": "正面",
    "neutral": "中性",
    "negative": "负面",
    "complaint": "投诉",
    "praise": "表扬",
    "suggestion": "建议",
    "question": "咨询",
    "mixed": "褒贬混合",
    "critical": "紧急",
    "high": "高",
    "medium": "中",
    "low": "低",
    "none": "无",
    "open": "待处理",
    "in_progress": "处理中",
    "closed": "已关闭",
}


#: Fallback wording of the sub-aspect keys the bundled lexicons use today. The config's own
#: labels (passed as ``labels=``) win; unknown keys are shown as they are.
DEFAULT_SUB_ASPECT_LABELS: dict[str, str] = {
    "as_described": "与描述相符",
    "attention": "关注顾客",
    "attitude": "服务态度",
    "billing": "结账/账单",
    "booking": "预订",
    "broken": "设施故障",
    "care": "关怀照顾",
    "cleanliness": "清洁卫生",
    "competence": "专业能力",
    "consistency": "一致性",
    "convenience": "便利性",
    "courtesy": "礼貌",
    "decor": "装修环境",
    "discount": "优惠折扣",
    "facilities": "设施设备",
    "food_presentation": "菜品摆盘",
    "level": "价格水平",
    "menu": "菜单",
    "noise": "噪音",
    "order_accuracy": "点单准确",
    "parking": "停车",
    "portion": "分量",
    "presentation": "卖相",
    "problem_handling": "问题处理",
    "replies": "回复",
    "safety": "安全",
    "space": "空间座位",
    "serving_speed": "上菜速度",
    "service_speed": "服务速度",
    "staff_appearance": "员工仪表",
    "taste": "口味",
    "trust": "信任",
    "value": "性价比",
    "waiting": "等待时间",
}


def label_for(key: Any, labels: Mapping[str, str] | None = None) -> str:
    """Return the Chinese label of a code, falling back to the code itself.

    Args:
        key: A dimension key, sentiment label, priority, ... (anything ``str()``-able).
        labels: Overrides checked before :data:`DEFAULT_LABELS`.

    Returns:
        The label, or ``str(key)`` when none is known.
    """
    text = "" if key is None else str(key)
    if labels and text in labels:
        return str(labels[text])
    return DEFAULT_LABELS.get(text) or DEFAULT_SUB_ASPECT_LABELS.get(text, text)


def esc(value: Any) -> str:
    """HTML-escape any value (quotes included); ``None`` becomes an empty string."""
    return html.escape("" if value is None else str(value), quote=True)


def clean_str(series: pd.Series) -> pd.Series:
    """Strings with missing values as ``''`` and surrounding whitespace removed."""
    # Arrow-backed strings, not Python objects: on a million-row table that is the
    # difference between tens and hundreds of MB per column.
    if isinstance(series.dtype, pd.CategoricalDtype):
        # Clean each category once, not each row (unless cleaning makes two of them equal).
        categories = series.cat.categories.astype("string").fillna("").str.strip()
        if categories.is_unique:
            return as_strings(series.cat.rename_categories(categories)).fillna("")
    return as_strings(series).fillna("").str.strip()


def column(df: pd.DataFrame, name: str) -> pd.Series:
    """A cleaned string column, or a column of ``''`` when the frame lacks it."""
    if name in df.columns:
        return clean_str(df[name])
    return pd.Series([""] * len(df), index=df.index, dtype="string")


def numeric(df: pd.DataFrame, name: str) -> pd.Series:
    """A float column (unparseable → NaN), or all-NaN when the frame lacks it."""
    if name in df.columns:
        return pd.to_numeric(df[name], errors="coerce").astype(float)
    return pd.Series(np.nan, index=df.index, dtype=float)


def share(part: float, whole: float) -> float | None:
    """``part / whole`` or ``None`` when ``whole`` is zero."""
    return float(part) / float(whole) if whole else None


def rounded(value: float | None, digits: int = 4) -> float | None:
    """Round a number for the summary; NaN, inf and ``None`` become ``None``."""
    if value is None:
        return None
    number = float(value)
    if not math.isfinite(number):
        return None
    return round(number, digits)


def to_plain(value: Any) -> Any:
    """Convert numpy/pandas scalars and containers into JSON-safe python types.

    NaN, NaT, ``pd.NA`` and infinities become ``None``; tuples become lists;
    mapping keys become strings.
    """
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_plain(v) for v in value.tolist()]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, str):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def priority_rank(series: pd.Series) -> pd.Series:
    """Sort key for priorities: critical → 0 ... unknown values last."""
    ranks = {name: i for i, name in enumerate(PRIORITY_ORDER)}
    return series.map(lambda p: ranks.get(p, len(ranks))).astype(int)


def display_width(text: str) -> float:
    """Approximate rendered width in ems: CJK and full-width characters count 1, others 0.6."""
    width = 0.0
    for char in text:
        width += 1.0 if ord(char) >= 0x2E80 else 0.6
    return width


def pct(value: float | None, digits: int = 1) -> str:
    """``0.123`` → ``'12.3%'``; ``None`` → ``'—'``."""
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def num(value: float | None, fmt: str = "{:.1f}") -> str:
    """Format a number with ``fmt``; ``None`` → ``'—'``."""
    return "—" if value is None else fmt.format(value)
