"""The report's stylesheet, inlined into ``report.html`` (no external files)."""

from __future__ import annotations

import logging

from pipeline.report._common import FONT_STACK

logger = logging.getLogger(__name__)

CSS = (
    """
:root { --ink:#111827; --muted:#6b7280; --line:#e5e7eb; --bg:#f6f7f9; --card:#ffffff;
        --pos:#2e9d6a; --neg:#d9534f; --accent:#2563eb; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink); line-height:1.55;
       font-family: """
    + FONT_STACK
    + """; font-size:14px; }
main { max-width:1120px; margin:0 auto; padding:28px 24px 48px; }
header.page { margin-bottom:20px; }
header.page h1 { font-size:26px; margin:0 0 6px; letter-spacing:.5px; }
.meta { color:var(--muted); font-size:13px; display:flex; flex-wrap:wrap; gap:4px 18px; }
.meta b { color:var(--ink); font-weight:600; }
section { background:var(--card); border:1px solid var(--line); border-radius:10px;
          padding:18px 22px; margin:16px 0; }
section h2 { font-size:18px; margin:0 0 4px; }
.note { color:var(--muted); font-size:12.5px; margin:2px 0 12px; }
.kpis { display:grid; grid-template-columns:repeat(auto-fit, minmax(170px, 1fr)); gap:12px;
        margin:16px 0; }
.kpi { background:var(--card); border:1px solid var(--line); border-radius:10px;
       padding:14px 16px; }
.kpi .name { color:var(--muted); font-size:13px; }
.kpi .value { font-size:28px; font-weight:700; margin-top:2px; }
.kpi .value small { font-size:14px; color:var(--muted); font-weight:400; }
.kpi .sub { color:var(--muted); font-size:12px; }
.kpi.good .value { color:var(--pos); } .kpi.bad .value { color:var(--neg); }
.charts { display:grid; grid-template-columns:1fr 1fr; gap:18px; }
.charts > div { min-width:0; }
.charts h3, section h3 { font-size:14px; margin:6px 0; color:#374151; }
@media (max-width: 900px) { .charts { grid-template-columns:1fr; } }
table { border-collapse:collapse; width:100%; font-size:13px; }
th, td { text-align:left; padding:7px 10px; border-bottom:1px solid var(--line);
         vertical-align:top; }
th { background:#f9fafb; color:#374151; font-weight:600; white-space:nowrap; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
tr:last-child td { border-bottom:none; }
.ok { color:var(--pos); font-weight:600; } .miss { color:var(--neg); font-weight:600; }
.themes { display:grid; grid-template-columns:repeat(auto-fill, minmax(300px, 1fr));
          gap:12px; }
.theme { border:1px solid var(--line); border-radius:8px; padding:10px 14px;
         border-left:4px solid var(--neg); }
.theme.praise { border-left-color:var(--pos); }
.theme .head { display:flex; justify-content:space-between; gap:8px; font-weight:600; }
.theme .count { color:var(--muted); font-weight:400; font-size:12.5px; white-space:nowrap; }
.theme blockquote { margin:6px 0 0; padding:4px 10px; background:#f9fafb; border-radius:4px;
                    color:#374151; font-size:13px; }
.tag { display:inline-block; padding:0 8px; border-radius:10px; font-size:12px;
       background:#eef2ff; color:#3730a3; margin-right:4px; white-space:nowrap; }
.prio-critical { background:#fee2e2; color:#991b1b; }
.prio-high { background:#ffedd5; color:#9a3412; }
.prio-medium { background:#fef9c3; color:#854d0e; }
.prio-low { background:#e0f2fe; color:#075985; }
.items { list-style:none; margin:0; padding:0; }
.items li { border-bottom:1px solid var(--line); padding:10px 0; }
.items li:last-child { border-bottom:none; }
.items .line1 { color:var(--muted); font-size:12.5px; }
.items .quote { margin:4px 0; }
.items .act { font-size:13px; }
.empty { color:var(--muted); padding:18px 0; text-align:center; }
footer { color:var(--muted); font-size:12px; text-align:center; margin-top:24px; }
@media print { body { background:#fff; } section, .kpi { break-inside:avoid; } }
"""
)
