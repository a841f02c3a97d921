"""actions.xlsx: sheets, headers, validation, colours, safe text; sheet-name sanitising."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from pipeline.report import (
    build_actions_table,
    compute_summary,
    render_actions_xlsx,
    sanitize_sheet_names,
)
from pipeline.report.actions import ACTION_COLUMNS
from pipeline.report.workbook import HEADERS


@pytest.fixture
def workbook(feedback, mentions, dims, run_info):
    summary = compute_summary(feedback, mentions, dims, run_info=run_info)
    data = render_actions_xlsx(build_actions_table(feedback, mentions), summary)
    return load_workbook(io.BytesIO(data))


def test_workbook_sheets_summary_first_then_owners(workbook):
    assert workbook.sheetnames == ["汇总", "客房部", "前台", "销售部"]


def test_workbook_summary_sheet_has_index_and_dimensions(workbook):
    values = [c.value for row in workbook["汇总"].iter_rows() for c in row]
    assert 60.73 in values and "有形性" in values and "前台" in values


def test_workbook_owner_sheet_header_bold_frozen(workbook):
    ws = workbook["前台"]
    assert [c.value for c in ws[1]] == [HEADERS[k] for k in ACTION_COLUMNS]
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.max_row == 3  # header + r3 + r6
    # evidence: 50 characters shown (the file stores the width plus Excel's cell padding)
    assert ws.column_dimensions["I"].width == pytest.approx(50, abs=1)


def test_workbook_status_validation_list(workbook):
    ws = workbook["前台"]
    validations = ws.data_validations.dataValidation
    assert len(validations) == 1
    assert validations[0].type == "list"
    assert validations[0].formula1 == '"open,in_progress,closed"'
    status_col = "L"
    assert ws[f"{status_col}1"].value == "状态"
    assert f"{status_col}2" in validations[0].sqref


def test_workbook_priority_colours(workbook):
    assert workbook["客房部"]["H2"].fill.fgColor.rgb.endswith("F8B4B4")  # critical
    assert workbook["前台"]["H2"].fill.fgColor.rgb.endswith("FCD9A8")  # high
    assert workbook["前台"]["H3"].fill.fill_type is None  # medium


def test_workbook_summary_title_and_share_formats(workbook):
    ws = workbook["汇总"]
    assert ws["A1"].font.bold and ws["A1"].font.size == 14
    formats = {c.number_format for row in ws.iter_rows() for c in row if isinstance(c.value, float)}
    assert "0.0%" in formats


def test_workbook_text_never_becomes_formula(feedback, mentions, dims, run_info):
    feedback.loc[feedback["review_id"] == "r4", "action"] = '=HYPERLINK("http://x","点我")'
    summary = compute_summary(feedback, mentions, dims, run_info=run_info)
    data = render_actions_xlsx(build_actions_table(feedback, mentions), summary)
    cell = load_workbook(io.BytesIO(data))["销售部"]["J2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_workbook_empty_actions(empty_feedback, empty_mentions, dims, run_info):
    summary = compute_summary(empty_feedback, empty_mentions, dims, run_info=run_info)
    data = render_actions_xlsx(build_actions_table(empty_feedback, empty_mentions), summary)
    assert load_workbook(io.BytesIO(data)).sheetnames == ["汇总"]


def test_workbook_sanitises_sheet_names_for_owners(feedback, mentions, dims, run_info):
    feedback.loc[feedback["review_id"] == "r4", "owner"] = "销售/预订部[总部]"
    summary = compute_summary(feedback, mentions, dims, run_info=run_info)
    data = render_actions_xlsx(build_actions_table(feedback, mentions), summary)
    assert "销售_预订部_总部_" in load_workbook(io.BytesIO(data)).sheetnames


def test_workbook_sheet_names_forbidden_characters():
    assert sanitize_sheet_names(["a[b]:c*d?e/f\\g"]) == ["a_b__c_d_e_f_g"]


def test_workbook_sheet_names_truncated_and_unique():
    long = "工程部" * 20
    names = sanitize_sheet_names([long, long, "Front", "front", "", "汇总", "History", "'x'"])
    assert all(len(n) <= 31 for n in names)
    assert names[0] == long[:31] and names[1].endswith("~2") and len(names[1]) == 31
    assert names[2:4] == ["Front", "front~2"]  # Excel compares case-insensitively
    assert names[4] == "未分配"
    assert names[5] == "汇总~2" and names[6] == "History~2"
    assert names[7] == "x"
    assert len({n.lower() for n in names}) == len(names)


def test_workbook_leaves_closed_items_out_and_caps_sheets(feedback, mentions, dims, run_info):
    summary = compute_summary(feedback, mentions, dims, run_info=run_info)
    reg = build_actions_table(feedback, mentions)
    reg["recurrence_of"] = ""
    reg.loc[reg.index[0], "status"] = "closed"
    wb = load_workbook(io.BytesIO(render_actions_xlsx(reg, summary, max_rows_per_sheet=1)))
    ids = [ws.cell(row=r, column=1).value for ws in wb.worksheets[1:] for r in range(2, ws.max_row + 1)]
    assert reg["action_id"].iloc[0] not in ids
    assert all(ws.max_row <= 2 for ws in wb.worksheets[1:])
    assert wb.worksheets[1].cell(row=1, column=len(ACTION_COLUMNS) + 1).value == HEADERS["recurrence_of"]
