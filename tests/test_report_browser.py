"""An extra look at the HTML report in a real headless browser (Chromium from the system
packages), when one is installed: the page's own structure is checked without a browser in
test_report_html.py, which every run has."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date

import pytest
from typer.testing import CliRunner

from gdgrill.cli import app
from test_report_html import studied_home

BROWSER = next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
pytestmark = [pytest.mark.slow, pytest.mark.skipif(BROWSER is None, reason="no Chromium installed (apt-get install chromium)")]


def _chromium(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([BROWSER, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args],
                          capture_output=True, timeout=120)


def test_chromium_renders_the_charts_of_the_html_report(isolated_home, tmp_path):
    from PIL import Image  # matplotlib's own dependency

    studied_home(isolated_home)
    page = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", "--html", str(page)], env={"GDGRILL_TODAY": date(2026, 3, 2).isoformat()})
    assert result.exit_code == 0, result.output
    dom = _chromium("--dump-dom", page.as_uri()).stdout.decode("utf-8")
    assert len(re.findall(r"<rect [^>]*data-day=", dom)) == 84 + 21  # the browser built every calendar cell and bar
    shot = tmp_path / "shot.png"
    _chromium("--window-size=1000,1400", f"--screenshot={shot}", page.as_uri())
    image = Image.open(shot).convert("RGB")
    assert image.size == (1000, 1400)
    colours = {colour for _, colour in image.getcolors(maxcolors=1 << 24)}
    assert (0x23, 0x9A, 0x3B) in colours or (0x7B, 0xC9, 0x6F) in colours  # calendar cells drawn in their greens
    assert (0x2F, 0x6F, 0xDE) in colours  # the forecast bars
