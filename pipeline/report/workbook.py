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
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet.datavalidation import DataValidation

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


def _cell(ws: Any, value: Any, *, font: Font | None = None, fill: PatternFill | None = None, alignment: Alignment | None = None, number_format: str | None = None) -> WriteOnlyCell:
    """A cell for a write-only sheet; strings lose illegal characters and are never parsed
    as formulas."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        value = ""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if alignment is not None:
        cell.alignment = alignment
    if number_format is not None:
        cell.number_format = number_format
    return cell


def _header_cells(ws: Any, headers: list[str]) -> list[WriteOnlyCell]:
    return [_cell(ws, text, font=BOLD, fill=HEADER_FILL) for text in headers]


def _write(ws: Any, rows: list[list[WriteOnlyCell]], fixed: Mapping[int, float] | None = None) -> None:
    """Size the columns, then stream the rows (a write-only sheet takes widths first)."""
    widths: dict[int, float] = {}
    for row in rows[:WIDTH_SAMPLE_ROWS]:
        for col, cell in enumerate(row, start=1):
            if cell.value is not None and cell.value != "":
                longest = max(display_width(line) for line in str(cell.value).split("\n"))
                widths[col] = max(widths.get(col, 0.0), longest * 1.8 + 2)
    for col, width in widths.items():
        final = (fixed or {}).get(col) or min(max(width, 8.0), 60.0)
        ws.column_dimensions[get_column_letter(col)].width = round(final, 1)
    for row in rows:
        ws.append(row)


def _summary_sheet(ws: Any, actions: pd.DataFrame, summary: Mapping[str, Any]) -> None:
    info = summary.get("run_info") or {}
    rows: list[list[WriteOnlyCell]] = [[_cell(ws, "服务质量改进行动汇总", font=Font(bold=True, size=14))], []]
    meta = [
        ("运行编号", info.get("run_id")),
        ("配置", info.get("config") or info.get("config_name")),
        ("生成时间", info.get("generated_at")),
        ("服务质量指数 (0-100)", summary.get("service_quality_index")),
        ("状态说明", "open=待处理，in_progress=处理中，closed=已关闭（关闭时填写关闭日期）"),
    ]
    for name, value in meta:
        rows.append([_cell(ws, name, font=BOLD), _cell(ws, "—" if value is None else value)])
    rows.append([])
    priorities = list(PRIORITY_ORDER)
    rows.append(_header_cells(ws, ["负责部门", "合计"] + [label_for(p) for p in priorities]))
    owners = actions["owner"].astype(str) if not actions.empty else pd.Series(dtype=str)
    for owner in sorted(str(o) for o in owners.unique()):
        part = actions[owners == owner]
        rows.append([_cell(ws, owner), _cell(ws, int(len(part)))] + [_cell(ws, int((part["priority"] == p).sum())) for p in priorities])
    total = [_cell(ws, "合计", font=BOLD), _cell(ws, int(len(actions)), font=BOLD)]
    for p in priorities:
        count = int((actions["priority"] == p).sum()) if not actions.empty else 0
        total.append(_cell(ws, count, font=BOLD))
    rows += [total, []]
    rows.append(_header_cells(ws, ["维度", "权重", "评论数", "正面占比", "负面占比", "净得分", "负面占比目标", "是否达标"]))
    for dim in summary.get("dimensions") or []:
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
        row = []
        for col, value in enumerate(values, start=1):
            fmt = None
            if col in (4, 5, 7) and isinstance(value, float):
                fmt = "0.0%"
            elif col == 6 and isinstance(value, float):
                fmt = "+0.00;-0.00;0.00"
            row.append(_cell(ws, "—" if value is None else value, number_format=fmt))
        rows.append(row)
    _write(ws, rows, {1: 22, 2: 14})


def _owner_sheet(ws: Any, rows: pd.DataFrame, dim_labels: Mapping[str, str]) -> None:
    keys = [c for c in rows.columns if c in ACTION_COLUMNS or c in EXTRA_COLUMNS]
    status_col = keys.index("status") + 1
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
    ws.data_validations.append(validation)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(keys))}{last}"
    out = [_header_cells(ws, [HEADERS.get(k, k) for k in keys])]
    for record in rows.to_dict("records"):
        fill = PRIORITY_FILLS.get(str(record.get("priority", "")))
        cells = []
        for key in keys:
            value = record.get(key, "")
            if key == "dimensions":
                value = "、".join(label_for(d, dim_labels) for d in str(value).split(";") if d)
            elif key == "sub_aspect" and value:
                value = label_for(value, dim_labels)
            cells.append(_cell(ws, value, alignment=WRAP if key in WIDE_COLUMNS else None, fill=fill if key == "priority" else None))
        out.append(cells)
    fixed = {keys.index(k) + 1: w for k, w in WIDE_COLUMNS.items()}
    fixed[keys.index("closed_at") + 1] = 12
    fixed[status_col] = 12
    _write(ws, out, fixed)


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
    # Write-only: rows are streamed to the file, several times faster than building cells.
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(SUMMARY_SHEET)
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
