"""``actions.xlsx`` for managers: a summary sheet, then one sheet per owner department.

Staff fill in ``status`` (a drop-down of open / in_progress / closed), ``closed_at`` and
``note``; the ``action_id`` is stable across runs so sheets can be merged back. Text from
reviews is always written as text, never as a formula (a review starting with ``=`` stays
a string).
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.report._common import PRIORITY_ORDER, display_width, label_for
from pipeline.report.actions import ACTION_COLUMNS

logger = logging.getLogger(__name__)

SUMMARY_SHEET = "汇总"
STATUS_VALUES: tuple[str, ...] = ("open", "in_progress", "closed")
#: Chinese column headers of the owner sheets; invert this mapping to read a sheet back.
#: Register columns shown after the action columns when present.
EXTRA_COLUMNS: tuple[str, ...] = ("recurrence_of",)
#: Items per department sheet; the full list is in actions.csv.
MAX_ROWS_PER_SHEET = 2000
HEADERS: dict[str, str] = {
    "action_id": "行动编号",
    "review_id": "评论编号",
    "store": "门店",
    "date": "评论日期",
    "owner": "负责部门",
    "dimensions": "维度",
    "sub_aspect": "子方面",
    "priority": "优先级",
    "evidence": "证据（原文）",
    "action": "改进措施",
    "due_date": "截止日期",
    "status": "状态",
    "closed_at": "关闭日期",
    "note": "备注",
    "recurrence_of": "重复出现（已关闭行动）",
}
PRIORITY_FILLS: dict[str, PatternFill] = {
    "critical": PatternFill("solid", fgColor="F8B4B4"),
    "high": PatternFill("solid", fgColor="FCD9A8"),
}
HEADER_FILL = PatternFill("solid", fgColor="E5E7EB")
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
WIDE_COLUMNS = {"evidence": 50, "action": 40}
MAX_SHEET_NAME = 31
#: Rows looked at when sizing columns (enough to be representative, cheap on big sheets).
WIDTH_SAMPLE_ROWS = 300
_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
#: Names Excel refuses or reserves (compared case-insensitively).
_RESERVED = {"history", SUMMARY_SHEET.lower()}


def sanitize_sheet_names(names: Iterable[str], fallback: str = "未分配") -> list[str]:
    """Valid, unique Excel sheet names for department names, in the same order.

    Removes ``[]:*?/\\``, control characters and leading/trailing apostrophes, trims to 31
    characters and appends ``~2``, ``~3`` ... to names already taken (Excel compares names
    case-insensitively; ``History`` and the summary sheet name are reserved).

    Args:
        names: Raw names (department names).
        fallback: Used when nothing is left of a name.

    Returns:
        One sheet name per input name.
    """
    taken = set(_RESERVED)
    result = []
    for raw in names:
        name = ILLEGAL_CHARACTERS_RE.sub("", _FORBIDDEN.sub("_", str(raw)))
        name = name.strip().strip("'").strip() or fallback
        name = name[:MAX_SHEET_NAME]
        candidate, k = name, 1
        while candidate.lower() in taken:
            k += 1
            suffix = f"~{k}"
            candidate = name[: MAX_SHEET_NAME - len(suffix)].rstrip("'") + suffix
        taken.add(candidate.lower())
        result.append(candidate)
    return result


def _put(ws: Worksheet, row: int, col: int, value: Any) -> Any:
    """Write a value; strings lose illegal characters and are never parsed as formulas."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        value = ""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
    return cell


def _header_row(ws: Worksheet, headers: list[str], row: int = 1) -> None:
    for col, text in enumerate(headers, start=1):
        cell = _put(ws, row, col, text)
        cell.font = BOLD
        cell.fill = HEADER_FILL


def _fit_widths(ws: Worksheet, fixed: Mapping[int, float] | None = None) -> None:
    """Column widths from the longest cell of the first rows (CJK counted double), capped at 60."""
    widths: dict[int, float] = {}
    for row in ws.iter_rows(max_row=WIDTH_SAMPLE_ROWS):
        for cell in row:
            if cell.value is not None:
                longest = max(display_width(line) for line in str(cell.value).split("\n"))
                widths[cell.column] = max(widths.get(cell.column, 0.0), longest * 1.8 + 2)
    for col, width in widths.items():
        final = (fixed or {}).get(col) or min(max(width, 8.0), 60.0)
        ws.column_dimensions[get_column_letter(col)].width = round(final, 1)


def _summary_sheet(ws: Worksheet, actions: pd.DataFrame, summary: Mapping[str, Any]) -> None:
    info = summary.get("run_info") or {}
    ws.cell(row=1, column=1, value="服务质量改进行动汇总").font = Font(bold=True, size=14)
    meta = [
        ("运行编号", info.get("run_id")),
        ("配置", info.get("config") or info.get("config_name")),
        ("生成时间", info.get("generated_at")),
        ("服务质量指数 (0-100)", summary.get("service_quality_index")),
        ("状态说明", "open=待处理，in_progress=处理中，closed=已关闭（关闭时填写关闭日期）"),
    ]
    row = 3
    for name, value in meta:
        _put(ws, row, 1, name).font = BOLD
        _put(ws, row, 2, "—" if value is None else value)
        row += 1
    row += 1
    priorities = list(PRIORITY_ORDER)
    _header_row(ws, ["负责部门", "合计"] + [label_for(p) for p in priorities], row)
    owners = actions["owner"].astype(str) if not actions.empty else pd.Series(dtype=str)
    for owner in sorted(str(o) for o in owners.unique()):
        row += 1
        part = actions[owners == owner]
        _put(ws, row, 1, owner)
        _put(ws, row, 2, int(len(part)))
        for k, p in enumerate(priorities, start=3):
            _put(ws, row, k, int((part["priority"] == p).sum()))
    row += 1
    _put(ws, row, 1, "合计").font = BOLD
    _put(ws, row, 2, int(len(actions))).font = BOLD
    for k, p in enumerate(priorities, start=3):
        count = int((actions["priority"] == p).sum()) if not actions.empty else 0
        _put(ws, row, k, count).font = BOLD
    row += 2
    _header_row(ws, ["维度", "权重", "评论数", "正面占比", "负面占比", "净得分", "负面占比目标", "是否达标"], row)
    for dim in summary.get("dimensions") or []:
        row += 1
        met = dim.get("meets_target")
        values = [
            dim.get("label") or label_for(dim.get("key")),
            dim.get("weight"),
            dim.get("reviews"),
            dim.get("positive_share"),
            dim.get("negative_share"),
            dim.get("net_score"),
            dim.get("target_negative_share"),
            "—" if met is None else ("达标" if met else "未达标"),
        ]
        for col, value in enumerate(values, start=1):
            cell = _put(ws, row, col, "—" if value is None else value)
            if col in (4, 5, 7) and isinstance(value, float):
                cell.number_format = "0.0%"
            elif col == 6 and isinstance(value, float):
                cell.number_format = "+0.00;-0.00;0.00"
    _fit_widths(ws, {1: 22, 2: 14})


def _owner_sheet(ws: Worksheet, rows: pd.DataFrame, dim_labels: Mapping[str, str]) -> None:
    keys = [c for c in rows.columns if c in ACTION_COLUMNS or c in EXTRA_COLUMNS]
    _header_row(ws, [HEADERS.get(k, k) for k in keys])
    status_col = keys.index("status") + 1
    priority_col = keys.index("priority") + 1
    for r, record in enumerate(rows.to_dict("records"), start=2):
        for c, key in enumerate(keys, start=1):
            value = record.get(key, "")
            if key == "dimensions":
                value = "、".join(label_for(d, dim_labels) for d in str(value).split(";") if d)
            elif key == "sub_aspect" and value:
                value = label_for(value, dim_labels)
            cell = _put(ws, r, c, value)
            if key in WIDE_COLUMNS:
                cell.alignment = WRAP
        fill = PRIORITY_FILLS.get(str(record.get("priority", "")))
        if fill is not None:
            ws.cell(row=r, column=priority_col).fill = fill
    last = max(len(rows) + 1, 2)
    letter = get_column_letter(status_col)
    validation = DataValidation(
        type="list",
        formula1='"' + ",".join(STATUS_VALUES) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="状态无效",
        error="请选择 open、in_progress 或 closed",
        promptTitle="状态",
        prompt="open=待处理，in_progress=处理中，closed=已关闭",
    )
    validation.add(f"{letter}2:{letter}{last}")
    ws.add_data_validation(validation)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(keys))}{last}"
    fixed = {keys.index(k) + 1: w for k, w in WIDE_COLUMNS.items()}
    fixed[keys.index("closed_at") + 1] = 12
    fixed[status_col] = 12
    _fit_widths(ws, fixed)


def render_actions_xlsx(actions: pd.DataFrame, summary: Mapping[str, Any], max_rows_per_sheet: int = MAX_ROWS_PER_SHEET) -> bytes:
    """Build the managers' workbook: the items still to handle, one sheet per department.

    Closed items stay out (the register remembers them); each department sheet holds at most
    ``max_rows_per_sheet`` items, most urgent first: the full list is in ``actions.csv``.

    Args:
        actions: Output of :func:`~pipeline.report.actions.build_actions_table`, or the
            actions register (with ``recurrence_of``) carried run to run.
        summary: Output of :func:`~pipeline.report.summary.compute_summary`.
        max_rows_per_sheet: cap per department sheet.

    Returns:
        The ``.xlsx`` file content.
    """
    workbook = Workbook()
    ws = workbook.active
    ws.title = SUMMARY_SHEET
    columns = list(ACTION_COLUMNS) + [c for c in EXTRA_COLUMNS if c in actions.columns]
    table = actions.reindex(columns=columns).fillna("").astype(str)
    table = table[table["status"] != "closed"]
    _summary_sheet(ws, table, summary)
    dim_labels = {str(d.get("key")): str(d.get("label")) for d in summary.get("dimensions") or []}
    dim_labels.update(summary.get("labels") or {})
    owners = [str(o) for o in table["owner"].unique()]  # in order of first appearance
    for owner, sheet_name in zip(owners, sanitize_sheet_names(owners)):
        rows = table[table["owner"] == owner]
        if len(rows) > max_rows_per_sheet:
            logger.info("actions.xlsx: %s has %d open items; the sheet keeps the %d most urgent (all are in actions.csv)", owner, len(rows), max_rows_per_sheet)
            rows = rows.head(max_rows_per_sheet)
        _owner_sheet(workbook.create_sheet(sheet_name), rows, dim_labels)
    buffer = io.BytesIO()
    workbook.save(buffer)
    logger.debug("actions.xlsx: %d actions, %d owner sheets", len(table), len(owners))
    return buffer.getvalue()
