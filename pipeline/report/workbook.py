"""``actions.xlsx`` for managers: a summary sheet, then one sheet per owner department.

Staff fill in ``status`` (a drop-down of open / in_progress / closed), ``closed_at`` and
``note``; the ``action_id`` is stable across runs so sheets can be merged back. Text from
reviews is always written as text, never as a formula (a review starting with ``=`` stays
a string).
"""

from __future__ import annotations

import io
import logging
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
import xlsxwriter
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

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
#: Fill colour (RGB hex) of the priority cell by priority.
PRIORITY_FILLS: dict[str, str] = {"critical": "F8B4B4", "high": "FCD9A8"}
HEADER_FILL = "E5E7EB"
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


class _Sheet:
    """Rows of (value, style) for one sheet, sized and written at the end (xlsxwriter writes
    cell by cell; styles are the workbook's shared formats, by name)."""

    def __init__(self, ws: Any, styles: Mapping[str, Any]) -> None:
        self.ws = ws
        self.styles = styles
        self.rows: list[list[tuple[Any, str | None]]] = []

    def add(self, row: list[tuple[Any, str | None]] | None = None) -> None:
        self.rows.append(row or [])

    def write(self, fixed: Mapping[int, float] | None = None) -> None:
        """Size the columns from the first rows (CJK counted double, capped at 60), then write
        every cell: strings lose illegal characters and are always text, never formulas."""
        widths: dict[int, float] = {}
        for row in self.rows[:WIDTH_SAMPLE_ROWS]:
            for col, (value, _) in enumerate(row, start=1):
                if value is not None and value != "":
                    longest = max(display_width(line) for line in str(value).split("\n"))
                    widths[col] = max(widths.get(col, 0.0), longest * 1.8 + 2)
        for col, width in widths.items():
            final = (fixed or {}).get(col) or min(max(width, 8.0), 60.0)
            self.ws.set_column(col - 1, col - 1, round(final, 1))
        for r, row in enumerate(self.rows):
            for c, (value, style) in enumerate(row):
                self._put(r, c, value, self.styles.get(style) if style else None)

    def _put(self, r: int, c: int, value: Any, style: Any) -> None:
        if value is None or value == "" or (isinstance(value, float) and not math.isfinite(value)):
            if style is not None:
                self.ws.write_blank(r, c, None, style)
            return
        if isinstance(value, bool):
            self.ws.write_boolean(r, c, value, style)
        elif isinstance(value, (int, float)):
            self.ws.write_number(r, c, value, style)
        else:
            self.ws.write_string(r, c, ILLEGAL_CHARACTERS_RE.sub("", str(value)), style)


def _styles(workbook: Any) -> dict[str, Any]:
    solid = {"pattern": 1}
    return {
        "title": workbook.add_format({"bold": True, "font_size": 14}),
        "bold": workbook.add_format({"bold": True}),
        "header": workbook.add_format({"bold": True, "bg_color": "#" + HEADER_FILL, **solid}),
        "wrap": workbook.add_format({"text_wrap": True, "valign": "top"}),
        "pct": workbook.add_format({"num_format": "0.0%"}),
        "net": workbook.add_format({"num_format": "+0.00;-0.00;0.00"}),
        **{p: workbook.add_format({"bg_color": "#" + colour, **solid}) for p, colour in PRIORITY_FILLS.items()},
    }


def _header(headers: list[str]) -> list[tuple[Any, str | None]]:
    return [(text, "header") for text in headers]


def _summary_sheet(sheet: _Sheet, actions: pd.DataFrame, summary: Mapping[str, Any]) -> None:
    info = summary.get("run_info") or {}
    sheet.add([("服务质量改进行动汇总", "title")])
    sheet.add()
    meta = [
        ("运行编号", info.get("run_id")),
        ("配置", info.get("config") or info.get("config_name")),
        ("生成时间", info.get("generated_at")),
        ("服务质量指数 (0-100)", summary.get("service_quality_index")),
        ("状态说明", "open=待处理，in_progress=处理中，closed=已关闭（关闭时填写关闭日期）"),
    ]
    for name, value in meta:
        sheet.add([(name, "bold"), ("—" if value is None else value, None)])
    sheet.add()
    priorities = list(PRIORITY_ORDER)
    sheet.add(_header(["负责部门", "合计"] + [label_for(p) for p in priorities]))
    owners = actions["owner"].astype(str) if not actions.empty else pd.Series(dtype=str)
    for owner in sorted(str(o) for o in owners.unique()):
        part = actions[owners == owner]
        sheet.add([(owner, None), (int(len(part)), None)] + [(int((part["priority"] == p).sum()), None) for p in priorities])
    total = [("合计", "bold"), (int(len(actions)), "bold")]
    for p in priorities:
        total.append((int((actions["priority"] == p).sum()) if not actions.empty else 0, "bold"))
    sheet.add(total)
    sheet.add()
    sheet.add(_header(["维度", "权重", "评论数", "正面占比", "负面占比", "净得分", "负面占比目标", "是否达标"]))
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
            style = None
            if col in (4, 5, 7) and isinstance(value, float):
                style = "pct"
            elif col == 6 and isinstance(value, float):
                style = "net"
            row.append(("—" if value is None else value, style))
        sheet.add(row)
    sheet.write({1: 22, 2: 14})


def _owner_sheet(sheet: _Sheet, rows: pd.DataFrame, dim_labels: Mapping[str, str]) -> None:
    keys = [c for c in rows.columns if c in ACTION_COLUMNS or c in EXTRA_COLUMNS]
    status_col = keys.index("status")
    last = max(len(rows), 1)
    sheet.ws.data_validation(
        1, status_col, last, status_col,
        {
            "validate": "list",
            "source": list(STATUS_VALUES),
            "ignore_blank": True,
            "show_error": True,
            "error_title": "状态无效",
            "error_message": "请选择 open、in_progress 或 closed",
            "input_title": "状态",
            "input_message": "open=待处理，in_progress=处理中，closed=已关闭",
        },
    )
    sheet.ws.freeze_panes(1, 0)
    sheet.ws.autofilter(0, 0, last, len(keys) - 1)
    sheet.add(_header([HEADERS.get(k, k) for k in keys]))
    for record in rows.to_dict("records"):
        priority = str(record.get("priority", ""))
        cells = []
        for key in keys:
            value = record.get(key, "")
            if key == "dimensions":
                value = "、".join(label_for(d, dim_labels) for d in str(value).split(";") if d)
            elif key == "sub_aspect" and value:
                value = label_for(value, dim_labels)
            style = "wrap" if key in WIDE_COLUMNS else (priority if key == "priority" and priority in PRIORITY_FILLS else None)
            cells.append((value, style))
        sheet.add(cells)
    fixed = {keys.index(k) + 1: w for k, w in WIDE_COLUMNS.items()}
    fixed[keys.index("closed_at") + 1] = 12
    fixed[status_col + 1] = 12
    sheet.write(fixed)


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
    buffer = io.BytesIO()
    # Strings stay strings: never read as formulas, urls or numbers.
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False})
    styles = _styles(workbook)
    summary_sheet = _Sheet(workbook.add_worksheet(SUMMARY_SHEET), styles)
    columns = list(ACTION_COLUMNS) + [c for c in EXTRA_COLUMNS if c in actions.columns]
    table = actions.reindex(columns=columns).fillna("").astype(str)
    table = table[table["status"] != "closed"]
    _summary_sheet(summary_sheet, table, summary)
    dim_labels = {str(d.get("key")): str(d.get("label")) for d in summary.get("dimensions") or []}
    dim_labels.update(summary.get("labels") or {})
    owners = [str(o) for o in table["owner"].unique()]  # in order of first appearance
    for owner, sheet_name in zip(owners, sanitize_sheet_names(owners)):
        rows = table[table["owner"] == owner]
        if len(rows) > max_rows_per_sheet:
            logger.info("actions.xlsx: %s has %d open items; the sheet keeps the %d most urgent (all are in actions.csv)", owner, len(rows), max_rows_per_sheet)
            rows = rows.head(max_rows_per_sheet)
        _owner_sheet(_Sheet(workbook.add_worksheet(sheet_name), styles), rows, dim_labels)
    workbook.close()
    logger.debug("actions.xlsx: %d actions, %d owner sheets", len(table), len(owners))
    return buffer.getvalue()
