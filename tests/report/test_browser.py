"""report.html in a real headless browser: it renders, and Chinese text draws as real glyphs.

Runs when Chromium is installed (``.ci/run`` installs it with a CJK font where it can) and
skips otherwise. Missing CJK glyphs all draw as the same empty box, so two different Chinese
strings rendering to identical pixels means the Chinese text is not visible.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from pipeline.report import compute_summary, render_html

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars"]


def _browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no headless Chromium installed (apt-get install chromium)")


def screenshot(html: str, tmp: Path, name: str, size: str = "1280,2000") -> bytes:
    page = tmp / f"{name}.html"
    page.write_text(html, encoding="utf-8")
    png = tmp / f"{name}.png"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([_browser(), *FLAGS, f"--user-data-dir={profile}", f"--window-size={size}", f"--screenshot={png}", page.as_uri()],
                       check=True, capture_output=True, timeout=120)
    return png.read_bytes()


def _text_page(text: str) -> str:
    return ('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0;background:#fff">'
            f'<p style="font:64px \'Noto Sans CJK SC\',\'WenQuanYi Micro Hei\',sans-serif">{text}</p></body></html>')


def test_browser_draws_distinct_chinese_glyphs(tmp_path):
    a = screenshot(_text_page("有形性可靠性"), tmp_path, "a", "600,200")
    b = screenshot(_text_page("响应性关怀性"), tmp_path, "b", "600,200")
    assert a != b, "two different Chinese strings render identically: no CJK font, Chinese shows as boxes"


def test_browser_renders_the_report(tmp_path, feedback, mentions, dims, run_info):
    summary = compute_summary(feedback, mentions, dims, run_info=run_info)
    html = render_html(summary, feedback, mentions)
    png = screenshot(html, tmp_path, "report")
    blank = screenshot("<!DOCTYPE html><html><body></body></html>", tmp_path, "blank")
    assert png.startswith(b"\x89PNG") and len(png) > 5 * len(blank)
