"""The report as the user reads it: every section of the text report (its words, its
figures, its colours) and of the Markdown, rendered from one report with every section
filled and figures chosen by hand."""

from __future__ import annotations

import json
import re
from io import StringIO

from rich.console import Console

from gdgrill.console import THEME
from gdgrill.report import render_json, render_markdown, render_text


def summary(items, seen, learning, mastered, due, p7, p30, ready, verdict):
    return dict(items=items, seen=seen, learning=learning, mastered=mastered, due_today=due,
                pass_rate_7d=p7, pass_rate_30d=p30, readiness=ready, verdict=verdict)


def sample_report(**changes):
    report = {
        "schema": 1, "today": "2026-03-02",
        "overall": summary(6, 4, 3, 1, 2, 0.5, 0.75, 0.4, "climbing: cards are moving up the ladder"),
        "decks": [
            {"id": "optimizers", "title": "Optimizers", **summary(4, 3, 2, 1, 2, 0.5, 0.75, 0.55, "getting there: keep the daily quiz going")},
            {"id": "schedules", "title": "Schedules", **summary(2, 1, 1, 0, 0, None, None, 0.1, "just started: most cards are at the first checkpoints")},
        ],
        "tiers": [
            {"tier": 1, "name": "phone screen", **summary(5, 4, 3, 1, 2, 0.5, 1.0, 0.48, "climbing: cards are moving up the ladder")},
            {"tier": 4, "name": "research-engineer depth", **summary(1, 0, 0, 0, 0, None, None, 0.0, "not started")},
        ],
        "weakest": [
            {"item": "optimizers/adam", "title": "Adam's update?", "misses": 3, "reviews": 4, "pass_rate": 0.25},
            {"item": "schedules/cosine", "title": "Cosine schedule?", "misses": 1, "reviews": 12, "pass_rate": 0.917},
        ],
        "regrill": [{"item": "optimizers/adam", "title": "Adam's update?", "misses": 3, "due": "2026-03-03"},
                    {"item": "schedules/warmup", "title": "Warmup?", "misses": 1, "due": "2026-03-02"}],
        "leeches": [{"item": "optimizers/lion", "title": "Lion's update?", "misses": 5, "followups": [], "problem": None,
                     "suspend": "gdgrill decks suspend optimizers/lion", "advice": ["Rewrite it in your own words.", "Or suspend it."]}],
        "suspended": [f"optimizers/s{n:02}" for n in range(13)],
        # 40 due today, 20 the day after tomorrow, 1 the day after that (a bar of at least one block)
        "forecast": [{"day": f"2026-03-{2 + i:02}", "due": d} for i, d in enumerate([40, 0, 20, 1] + [0] * 17)],
        "streak": {"current": 2, "longest": 5, "studied_today": True},
        "plan": None,
        "practice": [{"problem": f"p{n}", "rated_at": "t", "day": "2026-03-01", "rating": r, "hints_used": 0, "answer": None}
                     for n, r in enumerate(["lean", "strong", "no_hire", "lean", "strong", "strong"])],
        "assessments": [{"taken_at": "t", "day": "2026-03-01", "ratings": {}, "total": t} for t in (14, 17, 20, 22, 25, 28)],
        "grills": [{"taken_at": "t", "day": "2026-02-20", "score": 30, "total": 50, "bands": [], "seconds": None},
                   {"taken_at": "t", "day": "2026-03-01", "score": 41, "total": 50, "bands": [], "seconds": None}],
    }
    report.update(changes)
    return report


PLAN = {"interview": "2026-03-20", "days_left": 18, "per_day": 40, "focus": "phone",
        "projected_recall": 0.83, "not_yet_introduced": 12, "not_covered": 3}


def text_of(report, width=100, colour=False) -> str:
    out = StringIO()
    if colour:
        console = Console(file=out, width=width, theme=THEME, force_terminal=True, color_system="standard", no_color=False,
                          highlight=False)  # no_color=False: the test suite sets NO_COLOR
    else:
        console = Console(file=out, width=width, no_color=True, highlight=False)
    render_text(report, console)
    return out.getvalue()


def lines_of(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


def test_the_text_report_opens_with_readiness_the_verdict_and_the_counts():
    lines = lines_of(text_of(sample_report()))
    assert lines[:3] == [
        "gdgrill report 2026-03-02",
        "Readiness 40% — climbing: cards are moving up the ladder",
        "4 of 6 seen · 1 mastered · 2 due today · streak 2 day(s), longest 5",
    ]


def table(lines: list[str], title: str) -> list[list[str]]:
    """The rows (header first) of the text report's table titled ``title``, as cells."""
    at = lines.index(title)
    header = lines[at + 2]
    assert set(lines[at + 3].strip()) == {"─"}  # a rule under the header, nothing else
    rows = [header]
    for line in lines[at + 4:]:
        if not line.strip():
            break
        rows.append(line)
    # Columns: the first is left-aligned under its name, the others end where their names end.
    names = header.split()
    ends = [m.end() for m in re.finditer(r"\S+", header)]
    cells = []
    for row in rows:
        found = [(m.group(), m.end()) for m in re.finditer(r"\S+(?: \S+)*", row)]
        assert row.startswith(" " + found[0][0]), row  # first column flush left
        cells.append([text for text, _ in found])
        if row is not header:
            for (text, end), name_end in zip(found[1:-1], ends[1:-1]):
                assert end == name_end, (row, text)  # figures right-aligned under their column
    assert names == ["deck" if "deck" in title else "tier", "cards", "seen", "mastered", "due", "30d", "ready", "verdict"]
    return cells


def test_the_deck_and_tier_tables_show_each_figure_under_its_column():
    lines = lines_of(text_of(sample_report()))
    assert table(lines, "By deck")[1:] == [
        ["optimizers", "4", "3", "1", "2", "75%", "55%", "getting there"],  # the verdict's words before the colon
        ["schedules", "2", "1", "0", "0", "—", "10%", "just started"],
    ]
    assert table(lines, "By tier")[1:] == [
        ["1 phone", "5", "4", "1", "2", "100%", "48%", "climbing"],
        ["4 research", "1", "0", "0", "0", "—", "0%", "not started"],
    ]
    legend = lines.index("30d: pass rate, last 30 days · ready: mean position on the 0-3-7-14-21 ladder")
    assert lines.index("By tier") < legend < lines.index("Weakest (misses / reviews):")


def test_the_tables_keep_one_line_per_row_at_80_columns():
    lines = lines_of(text_of(sample_report(), width=80))
    rows = lines[lines.index("By deck") + 4:lines.index("By deck") + 6]
    assert [row.split()[0] for row in rows] == ["optimizers", "schedules"] and all(len(row) <= 80 for row in rows)
    assert rows[0].endswith("getting there")


def test_a_column_stays_put_whether_a_rate_is_100_percent_or_not():
    plain = lines_of(text_of(sample_report()))
    full = sample_report()
    full["decks"][0] = {**full["decks"][0], "pass_rate_30d": 1.0, "readiness": 1.0}
    widened = lines_of(text_of(full))
    at = plain.index("By deck")
    assert widened[at + 2] == plain[at + 2]  # the header, so every column, did not move


def test_the_text_report_lists_weakest_regrill_leeches_suspended_forecast_and_history():
    lines = lines_of(text_of(sample_report()))
    at = lines.index("Weakest (misses / reviews):")
    assert lines[at + 1:at + 3] == ["   3/4   optimizers/adam  Adam's update?", "   1/12  schedules/cosine  Cosine schedule?"]
    assert lines[at + 3] == "Re-grill (back at the bottom of the ladder after a miss): optimizers/adam, schedules/warmup"
    assert lines[at + 4:at + 8] == [
        "Leeches (missed 4+ times: another pass at the card rarely fixes them):",
        "   5× optimizers/lion  Lion's update?",
        "      Rewrite it in your own words.",  # the advice, indented under its card
        "      Or suspend it.",
    ]
    text = " ".join(lines)
    # 13 suspended: the first twelve named, then an ellipsis
    assert "Suspended (13, never asked): " + ", ".join(f"optimizers/s{n:02}" for n in range(12)) + ", …" in text
    assert "optimizers/s12" not in text
    at = lines.index("Due, next 21 days:")
    assert lines[at + 1:at + 4] == [  # days with nothing due are left out; the busiest day has 20 blocks
        "  2026-03-02  " + "█" * 20 + " 40",
        "  2026-03-04  " + "█" * 10 + " 20",
        "  2026-03-05  █ 1",
    ]
    assert lines[at + 4:] == [
        "Last grill (2026-03-01): 41/50",
        "Self-assessment totals (of 35): 17 → 20 → 22 → 25 → 28",  # the last five
        "Practice ratings: p1 strong, p2 no_hire, p3 lean, p4 strong, p5 strong",
    ]


def test_empty_sections_are_left_out_and_an_empty_forecast_says_how_to_start():
    empty = sample_report(weakest=[], regrill=[], leeches=[], suspended=[], grills=[], assessments=[], practice=[],
                          forecast=[{"day": "2026-03-02", "due": 0}] * 21)
    lines = lines_of(text_of(empty))
    at = lines.index("Due, next 21 days:")
    assert lines[at + 1:] == ["  nothing scheduled yet: run 'gdgrill quiz' to start the ladder"]
    for gone in ("Weakest", "Re-grill", "Leeches", "Suspended", "Last grill", "Self-assessment", "Practice"):
        assert not any(line.startswith(gone) for line in lines), gone
    few = lines_of(text_of(sample_report(suspended=["a/b", "a/c"])))
    assert "Suspended (2, never asked): a/b, a/c" in few


def test_the_plan_line_comes_before_the_tables():
    lines = lines_of(text_of(sample_report(plan=PLAN), width=250))
    assert lines[3] == (
        "Plan: interview 2026-03-20 (18 day(s) left, up to 40 a day) · projected recall on the day 83% if you keep to it"
        " · 12 card(s) not yet introduced · 3 out of reach at this budget (gdgrill plan --per-day N)"
    )
    assert lines[4] == "By deck"
    done = {**PLAN, "projected_recall": None}
    assert lines_of(text_of(sample_report(plan=done)))[3] == "Plan: interview day 2026-03-20 reached; the ladder is back in charge."
    covered = {**PLAN, "not_covered": 0}
    assert "out of reach" not in text_of(sample_report(plan=covered), width=250)


# -- colours: what the eye finds first --------------------------------------------------------
BOLD, DIM, RED, GREEN, YELLOW, CYAN = "1", "2", "31", "32", "33", "36"


def style_at(ansi: str, fragment: str) -> set[str]:
    """The SGR codes in force where ``fragment`` starts in ``ansi`` (empty: plain)."""
    at = ansi.index(fragment)
    codes = re.findall(r"\x1b\[([\d;]*)m", ansi[:at])
    last = codes[-1] if codes else "0"
    return set() if last in ("0", "") else set(last.split(";"))


def test_colours_mark_titles_figures_and_notes():
    ansi = text_of(sample_report(plan=PLAN), width=250, colour=True)
    assert style_at(ansi, "gdgrill report") == {BOLD}
    assert style_at(ansi, "2026-03-02") == {DIM}
    assert style_at(ansi, "Readiness 40%") == {YELLOW}  # under 80 %: not ready yet
    assert style_at(ansi, "Plan: interview") == {BOLD, CYAN}
    for title in ("By deck", "By tier", "Weakest (misses", "Re-grill (back", "Leeches (missed", "Suspended (13",
                  "Due, next 21 days", "Last grill", "Self-assessment totals"):
        assert style_at(ansi, title) == {BOLD}, title
    for note in ("30d: pass rate", "Adam's update?", "Lion's update?", "Rewrite it in your own words."):
        assert style_at(ansi, note) == {DIM}, note
    assert style_at(ansi, " 3/4") == {BOLD, RED} and style_at(ansi, " 5×") == {BOLD, RED}
    # only the count is red: the card's key stays plain (it used to be red, and its title red too)
    assert style_at(ansi, "optimizers/adam  ") == set() and style_at(ansi, "optimizers/lion  ") == set()
    assert style_at(ansi, "Practice ratings") == set()
    ready = sample_report(overall={**sample_report()["overall"], "readiness": 0.8})
    assert style_at(text_of(ready, colour=True), "Readiness 80%") == {BOLD, GREEN}
    empty = sample_report(forecast=[{"day": "2026-03-02", "due": 0}] * 21)
    assert style_at(text_of(empty, colour=True), "nothing scheduled yet") == {DIM}



def test_a_headings_note_is_only_dim_and_the_names_after_a_list_title_are_plain():
    # (A Text summed onto a bold one stayed bold: the notes came out bold and dim, the names bold.)
    calendar = [{"day": f"2026-03-0{d}", "reviews": d} for d in (1, 2)]
    history = {"days": ["2026-02-23", "2026-03-02"], "overall": [0.0, 0.5], "decks": []}
    ansi = text_of(sample_report(calendar=calendar, history=history), width=250, colour=True)
    assert style_at(ansi, "Study calendar, last 12 weeks") == {BOLD}
    assert style_at(ansi, "(reviews a day:") == {DIM}
    assert style_at(ansi, "Readiness over 12 weeks") == {BOLD}
    assert style_at(ansi, "(weekly, 2026-02-23 → 2026-03-02)") == {DIM}
    assert style_at(ansi, "Re-grill (back") == {BOLD} and style_at(ansi, "optimizers/adam, schedules/warmup") == set()
    assert style_at(ansi, "Suspended (13") == {BOLD} and style_at(ansi, "optimizers/s00, ") == set()


def test_the_regrill_line_ends_in_an_ellipsis_when_more_than_twelve_cards_wait():
    regrill = [{"item": f"d/r{n:02}", "title": "t", "misses": 1, "due": "2026-03-02"} for n in range(13)]
    title = "Re-grill (back at the bottom of the ladder after a miss): "
    lines = lines_of(text_of(sample_report(regrill=regrill), width=250))
    assert title + ", ".join(f"d/r{n:02}" for n in range(12)) + ", …" in lines  # 13: the first twelve, then "…"
    lines = lines_of(text_of(sample_report(regrill=regrill[:12]), width=250))
    assert title + ", ".join(f"d/r{n:02}" for n in range(12)) in lines  # exactly twelve: all of them, no "…"

# -- Markdown -------------------------------------------------------------------------------------
def test_the_markdown_report_has_every_section_with_its_figures():
    md = render_markdown(sample_report(plan=PLAN))
    expected_start = [
        "# gdgrill report — 2026-03-02",
        "",
        "**Readiness 40%** — climbing: cards are moving up the ladder. 4 of 6 seen, 1 mastered, 2 due today."
        " Streak: 2 day(s) (longest 5).",
        "",
        "Plan: interview 2026-03-20 (18 day(s) left, up to 40 a day) · projected recall on the day 83% if you keep to it"
        " · 12 card(s) not yet introduced · 3 out of reach at this budget (gdgrill plan --per-day N)",
        "",
        "## By deck",
        "",
        "| deck | items | seen | on ladder | mastered | due today | pass 7d | pass 30d | readiness | verdict |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        "| optimizers | 4 | 3 | 2 | 1 | 2 | 50% | 75% | 55% | getting there: keep the daily quiz going |",
        "| schedules | 2 | 1 | 1 | 0 | 0 | — | — | 10% | just started: most cards are at the first checkpoints |",
        "",
        "## By tier",
        "",
        "| tier | items | seen | mastered | pass 30d | readiness | verdict |",
        "|---|---:|---:|---:|---:|---:|---|",
        "| 1 (phone screen) | 5 | 4 | 1 | 100% | 48% | climbing: cards are moving up the ladder |",
        "| 4 (research-engineer depth) | 1 | 0 | 0 | — | 0% | not started |",
        "",
        "## Weakest",
        "",
        "- `optimizers/adam` — 3 miss(es) in 4 reviews: Adam's update?",
        "- `schedules/cosine` — 1 miss(es) in 12 reviews: Cosine schedule?",
        "",
        "## Re-grill (back at the bottom of the ladder after a miss)",
        "",
        "- `optimizers/adam` (due 2026-03-03): Adam's update?",
        "- `schedules/warmup` (due 2026-03-02): Warmup?",
        "",
        "## Leeches (missed 4+ times: another pass at the card rarely fixes them)",
        "",
        "- `optimizers/lion` — 5 misses: Lion's update?",
        "  - Rewrite it in your own words.",
        "  - Or suspend it.",
        "",
        "Suspended (13, never asked): " + ", ".join(f"`optimizers/s{n:02}`" for n in range(13)) + ".",
        "",
        "## Due in the next 21 days",
        "",
        "| day | due |",
        "|---|---:|",
        "| 2026-03-02 | 40 |",
        "| 2026-03-03 | 0 |",
        "| 2026-03-04 | 20 |",
        "| 2026-03-05 | 1 |",
    ]
    lines = md.split("\n")
    assert lines[: len(expected_start)] == expected_start
    assert lines[len(expected_start):] == [
        *[f"| 2026-03-{d:02} | 0 |" for d in range(6, 23)],  # every one of the 21 days, the last on the 22nd
        "",
        "Last grill (2026-03-01): 41/50.",
        "",
        "Self-assessment totals (of 35): 17 → 20 → 22 → 25 → 28.",
        "",
        "Practice problems rated: p1 strong, p2 no_hire, p3 lean, p4 strong, p5 strong.",
        "",
    ]


def test_empty_markdown_sections_say_so_or_are_left_out():
    md = render_markdown(sample_report(weakest=[], regrill=[], leeches=[], suspended=[], grills=[], assessments=[], practice=[]))
    assert "## Weakest\n\n- none yet\n" in md
    assert "## Re-grill (back at the bottom of the ladder after a miss)\n\n- nothing: no card is waiting on a miss\n" in md
    for gone in ("## Leeches", "Suspended (", "Last grill", "Self-assessment", "Practice problems", "Plan:"):
        assert gone not in md, gone
    assert md.endswith("| 2026-03-22 | 0 |\n")


def test_json_is_the_report_itself_indented_and_unescaped():
    report = sample_report(weakest=[{"item": "d/β", "title": "β₂ — why?", "misses": 1, "reviews": 2, "pass_rate": 0.5}])
    text = render_json(report)
    assert json.loads(text) == report and text.endswith("}\n")
    assert '"title": "β₂ — why?"' in text  # readable, not \u escapes
    assert text.startswith('{\n  "schema": 1,\n  "today": "2026-03-02",')  # two-space indent
