"""Reporting: summary figures, the HTML report, the action list and its workbook.

Nothing here touches disk: functions return dicts, strings and bytes; the runner writes
``summary.json``, ``report.html`` and ``actions.xlsx``.
"""

from __future__ import annotations

from pipeline.report.actions import ACTION_COLUMNS, build_actions_table
from pipeline.report.page import render_html
from pipeline.report.summary import compute_summary
from pipeline.report.workbook import render_actions_xlsx, sanitize_sheet_names

__all__ = [
    "ACTION_COLUMNS",
    "build_actions_table",
    "compute_summary",
    "render_actions_xlsx",
    "render_html",
    "sanitize_sheet_names",
]
