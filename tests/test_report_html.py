"""`gdgrill report --html FILE` and `--png FILE`: one self-contained page whose charts hold
the report's own figures, checked by parsing it (html.parser), and the same charts as a PNG."""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

from typer.testing import CliRunner

from gdgrill.cli import app
from gdgrill.scheduler import Grade
from gdgrill.store import open_store

runner = CliRunner()
TODAY = date(2026, 3, 2)
VOID = {"meta", "link", "br", "hr", "img", "input", "rect", "line", "polyline", "path", "circle"}


class Page(HTMLParser):
    """Every element with its attributes and text, and whether the tags nest properly."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str], list[str]]] = []
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.doctype = None
        self.feed(text)
        self.close()
        if self.stack:
            self.problems.append(f"unclosed: {self.stack}")

    def handle_decl(self, decl):
        self.doctype = decl

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs), self.stack.copy()))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs), self.stack.copy()))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()

    def all(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [a for t, a, _ in self.elements if t == tag and all(a.get(k) == v for k, v in attrs.items())]

    def inside(self, tag: str, ancestor_id: str) -> list[dict[str, str]]:
        """``tag`` elements within the section whose id is ``ancestor_id``."""
        out, depth = [], None
        for t, a, parents in self.elements:
            if t == "section" and a.get("id") == ancestor_id:
                depth = len(parents)
                continue
            if depth is not None and len(parents) <= depth:
                depth = None
            if depth is not None and t == tag:
                out.append(a)
        return out


def gd(*args: str, today: date = TODAY):
    return runner.invoke(app, list(args), env={"GDGRILL_TODAY": today.isoformat()})


def studied_home(home: Path) -> None:
    """Some weeks of study, a curve card missed three times, an undo, a plan."""
    with open_store(home) as store:
        for n, days_ago in enumerate((60, 57, 53, 46, 39)):
            store.record_review("optimizers/adam-update-rule", Grade.PASS, "quiz", day=TODAY - timedelta(days=days_ago))
        for days_ago in (20, 12, 3):
            store.record_review("diagnostics/curve-lr-too-high", Grade.FAIL, "quiz", day=TODAY - timedelta(days=days_ago))
        for days_ago in (10, 7, 3, 0):
            store.record_review("foundations/gd-update-rule", Grade.PASS, "quiz", day=TODAY - timedelta(days=days_ago))
        taken_back = store.record_review("schedules/warmup-why", Grade.FAIL, "quiz", day=TODAY)
        store.undo(taken_back, day=TODAY)
        store.set_plan(date(2026, 4, 1), 20, "phone", day=TODAY)


def test_the_html_report_is_one_well_formed_self_contained_page_with_the_reports_figures(isolated_home, tmp_path):
    studied_home(isolated_home)
    data = json.loads(gd("report", "--format", "json").stdout)
    target = tmp_path / "report.html"
    result = gd("report", "--html", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"HTML report written to {target}"
    text = target.read_text(encoding="utf-8")
    page = Page(text)
    assert page.problems == [] and page.doctype == "doctype html"
    assert [t for t, _, _ in page.elements][:2] == ["html", "head"]
    assert page.all("meta", charset="utf-8")
    # Self-contained: no script, no stylesheet or picture fetched from anywhere.
    assert not page.all("script") and not page.all("link") and not page.all("img") and not page.all("iframe")
    assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in text
    assert {a.get("id") for a in page.all("section")} >= {"calendar", "readiness", "forecast", "decks", "tiers", "weakest", "curves"}
    # The calendar: a cell per day of the last 12 weeks, each carrying that day's reviews.
    cells = page.inside("rect", "calendar")
    assert [(c["data-day"], int(c["data-reviews"])) for c in cells] == [(d["day"], d["reviews"]) for d in data["calendar"]]
    assert len(cells) == 84 and int(cells[-1]["data-reviews"]) == 1  # today: one review (the undone one does not count)
    assert {c["data-shade"] for c in cells if c["data-reviews"] == "0"} == {"·"}
    # Readiness over time: a line per deck and one overall, a point per week.
    lines = page.inside("polyline", "readiness")
    assert [l["data-deck"] for l in lines] == ["overall"] + [d["id"] for d in data["history"]["decks"]]
    assert all(len(l["points"].split()) == 13 for l in lines)
    # The forecast: a bar per day with its count.
    bars = page.inside("rect", "forecast")
    assert [(b["data-day"], int(b["data-due"])) for b in bars] == [(f["day"], f["due"]) for f in data["forecast"]]
    # The worst curve card's loss curve, drawn from its stored run.
    (curve,) = [a for a in page.inside("svg", "curves")]
    assert curve["data-curve"] == "lr-too-high" and data["curves"][0]["item"] == "diagnostics/curve-lr-too-high"
    assert {l["data-series"] for l in page.inside("polyline", "curves")}  # its series are drawn
    assert "Readiness" in text and "Plan: interview 2026-04-01" in text


def test_card_text_is_escaped_in_the_page(isolated_home, tmp_path):
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "evil.yaml").write_text(
        "deck: {id: evil, title: Evil, description: Escaping.}\n"
        "cards:\n  - id: c1\n    question: 'Is <script>alert(1)</script> & co escaped?'\n    answer: 'It is.'\n",
        encoding="utf-8",
    )
    with open_store(isolated_home) as store:
        store.record_review("evil/c1", Grade.FAIL, "quiz", day=TODAY)
    target = tmp_path / "r.html"
    assert gd("report", "--decks", str(decks), "--html", str(target)).exit_code == 0
    text = target.read_text(encoding="utf-8")
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in text
    assert Page(text).problems == []


def test_the_png_figure_and_its_refusal_without_matplotlib(isolated_home, tmp_path, monkeypatch):
    studied_home(isolated_home)
    target = tmp_path / "report.png"
    result = gd("report", "--png", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    result = gd("report", "--png", str(tmp_path / "again.png"))
    assert result.exit_code == 2 and result.stderr.strip() == "gdgrill: error: matplotlib is needed for --png: pip install 'gdgrill[plot]'"
    assert not (tmp_path / "again.png").exists()


def test_a_page_for_an_empty_log_still_has_every_chart(tmp_path):
    target = tmp_path / "r.html"
    assert gd("report", "--html", str(target)).exit_code == 0
    page = Page(target.read_text(encoding="utf-8"))
    assert page.problems == []
    assert len(page.inside("rect", "calendar")) == 84 and {a["data-reviews"] for a in page.inside("rect", "calendar")} == {"0"}
    assert len(page.inside("rect", "forecast")) == 21
    assert not page.all("section", id="curves")  # no curve card missed yet
