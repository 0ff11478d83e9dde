"""The report's charts and lists as laid out on the screen and in Markdown: the study
calendar's month row, cells and legend, the readiness sparklines, the tables' columns at a
wide and at a narrow terminal, how long lists are cut short, which grill is "last", and
the Markdown code blocks the charts sit in. Every expected value is worked out by hand
from the calendar dates (2026-03-02 is a Monday) and the docstrings."""

from __future__ import annotations

import re
from datetime import date, timedelta

from test_report_render import lines_of, sample_report, style_at, text_of

from gdgrill.report import (
    SPARKS,
    Item,
    build_report,
    calendar,
    calendar_legend,
    calendar_lines,
    history_lines,
    render_markdown,
    shade,
    sparkline,
)
from gdgrill.scheduler import Grade
from gdgrill.store import open_store

TODAY = date(2026, 3, 2)  # a Monday
BOLD, DIM = "1", "2"


def days_from(first: date, last: date, reviews: dict[date, int] | None = None) -> list[dict]:
    """The report's calendar entries for ``first``..``last`` (oldest first)."""
    reviews = reviews or {}
    n = (last - first).days + 1
    return [{"day": (d := first + timedelta(days=i)).isoformat(), "reviews": reviews.get(d, 0)} for i in range(n)]


# The readiness history of sample_report below: 13 weekly samples, 2025-12-08 .. 2026-03-02.
HISTORY = {
    "days": [(TODAY - timedelta(weeks=12 - k)).isoformat() for k in range(13)],
    "overall": [0.1, 0.2] + [0.3] * 9 + [0.45, 0.6],
    "decks": [{"id": "optimizers", "readiness": [0.0] * 12 + [1.0]},
              {"id": "schedules", "readiness": [0.25, 0.55] + [0.55] * 9 + [0.75, 0.9]}],
}


def full_report(**changes):
    """sample_report with a study calendar (one review on Tuesday 9 December, four today:
    the busiest day) and the readiness history above."""
    cal = calendar({date(2025, 12, 9): 1, TODAY: 4}, TODAY)
    return sample_report(**{"calendar": cal, "history": HISTORY, **changes})


# -- the study calendar -------------------------------------------------------------------------
def test_the_calendar_names_each_month_over_the_column_of_its_first_monday():
    # The last 12 weeks end today (Mon 2 March): 84 days from Tue 9 December. Columns are
    # weeks from Mon 8 December, two characters apart after the 5-character weekday label:
    # Dec over week 0, Jan over week 4 (Mon 5 Jan), Feb over week 8 (2 Feb), Mar over week 12.
    lines = calendar_lines(calendar({date(2025, 12, 9): 1, TODAY: 4}, TODAY))
    assert lines == [
        "     Dec     Jan     Feb     Mar",
        "Mon    · · · · · · · · · · · █",  # Mon 8 Dec is before the first day: blank; today, the busiest, darkest
        "Tue  ░ · · · · · · · · · · ·",  # Tue 9 Dec: 1 review of a peak of 4; Tue 3 March is still to come
        *[f"{wd}  " + " ".join("·" * 12) for wd in ("Wed", "Thu", "Fri", "Sat", "Sun")],
    ]


def test_a_month_gets_no_label_unless_the_calendar_shows_a_week_of_it():
    # Eight whole weeks, Mon 5 January .. Sun 1 March: no day of March is drawn, so no "Mar".
    lines = calendar_lines(days_from(date(2026, 1, 5), date(2026, 3, 1)))
    assert lines[0] == "     Jan     Feb"
    assert lines[1:] == [f"{wd}  " + " ".join("·" * 8) for wd in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")]


def test_month_labels_one_space_apart_are_both_shown_and_a_crowded_one_is_left_out():
    # From Mon 19 January: "Jan" over week 0, February starts on week 2 (2 Feb), two
    # columns on: one space after "Jan", so both are named.
    assert calendar_lines(days_from(date(2026, 1, 19), TODAY))[0] == "     Jan Feb     Mar"
    # From Mon 26 January: February's first week is the next column, where "Jan" still
    # runs; February goes unnamed rather than named over a week other than its first.
    assert calendar_lines(days_from(date(2026, 1, 26), TODAY))[0] == "     Jan       Mar"


def test_a_calendar_whose_busiest_day_had_one_review_shows_that_day_darkest_as_its_legend_says():
    days = days_from(date(2026, 2, 23), TODAY, {date(2026, 2, 24): 1, TODAY: 1})
    assert calendar_legend(days) == "reviews a day: · 0  █ 1"
    lines = calendar_lines(days)
    assert lines[1] == "Mon  · █" and lines[2] == "Tue  █"


def test_the_legend_of_a_calendar_without_reviews_has_only_the_blank_shade():
    assert calendar_legend(days_from(date(2026, 2, 23), TODAY)) == "reviews a day: · 0"
    assert calendar_legend([]) == "reviews a day: · 0"  # no days at all: no busiest day to divide


def test_each_shade_covers_a_quarter_of_the_busiest_day_and_only_its_top_quarter_is_darkest():
    # A peak of 8: ░ 1-2, ▒ 3-4, ▓ 5-6, █ 7-8, as the legend says.
    days = days_from(date(2026, 2, 23), TODAY, {date(2026, 2, 23): 8})
    assert calendar_legend(days) == "reviews a day: · 0  ░ 1-2  ▒ 3-4  ▓ 5-6  █ 7-8"
    assert [shade(n, 8) for n in range(9)] == [0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert shade(0, 0) == 0  # a calendar with no review at all: every day blank
    assert shade(1, 0) == 0 and shade(9, 8) == 4  # never outside the four shades, nor a division by zero


# -- readiness over time ------------------------------------------------------------------------
def test_the_sparkline_has_one_block_per_value_lowest_for_0_and_full_for_100_percent():
    assert sparkline([k / 7 for k in range(8)]) == SPARKS == "▁▂▃▄▅▆▇█"  # eighths of the way up, each its own height
    assert sparkline([0.0, 1.0, 0.3]) == "▁█▃"  # 30 % is 2.1 steps of 7 up: the third height
    assert sparkline([-0.2, 1.3]) == "▁█"  # kept on the scale
    assert sparkline([]) == ""


def test_each_readiness_line_shows_its_sparkline_then_the_first_and_the_latest_readiness():
    assert history_lines({"history": HISTORY}) == [
        "overall     ▂▂▃▃▃▃▃▃▃▃▃▄▅  10% → 60%",
        "optimizers  ▁▁▁▁▁▁▁▁▁▁▁▁█  0% → 100%",
        "schedules   ▃▅▅▅▅▅▅▅▅▅▅▆▇  25% → 90%",
    ]


def test_the_text_report_draws_the_calendar_and_readiness_under_their_headings():
    lines = lines_of(text_of(full_report(), width=120))
    at = lines.index("Study calendar, last 12 weeks (reviews a day: · 0  ░ 1  ▒ 2  ▓ 3  █ 4)")
    assert lines[at + 1:at + 4] == ["       Dec     Jan     Feb     Mar", "  Mon    · · · · · · · · · · · █",
                                    "  Tue  ░ · · · · · · · · · · ·"]
    at = lines.index("Readiness over 12 weeks (weekly, 2025-12-08 → 2026-03-02)")
    assert lines[at + 1:at + 4] == ["  overall     ▂▂▃▃▃▃▃▃▃▃▃▄▅  10% → 60%", "  optimizers  ▁▁▁▁▁▁▁▁▁▁▁▁█  0% → 100%",
                                    "  schedules   ▃▅▅▅▅▅▅▅▅▅▅▆▇  25% → 90%"]
    assert lines[at + 4] == "Weakest (misses / reviews):"


def test_the_chart_headings_are_bold_and_their_notes_dim():
    ansi = text_of(full_report(), width=120, colour=True)
    assert style_at(ansi, "Study calendar, last 12 weeks") == {BOLD}
    assert DIM in style_at(ansi, "(reviews a day:")
    assert style_at(ansi, "Readiness over 12 weeks") == {BOLD}
    assert DIM in style_at(ansi, "(weekly, 2025-12-08 → 2026-03-02)")


# -- the tables -----------------------------------------------------------------------------------
def table_lines(lines: list[str], title: str) -> list[str]:
    """The header and the rows (each a screen line) of the table titled ``title``."""
    at = next(i for i, line in enumerate(lines) if line.strip() == title)
    header, rule = lines[at + 2], lines[at + 3]
    assert set(rule.strip()) == {"─"}, rule
    rows = []
    for line in lines[at + 4:]:
        if not line.strip():
            break
        rows.append(line)
    return [header, rule, *rows]


def cells(line: str) -> list[tuple[str, int, int]]:
    """The cells of a table line (separated by two spaces or more), with where they start and end."""
    return [(m.group(), m.start(), m.end()) for m in re.finditer(r"\S+(?: \S+)*", line)]


def test_every_column_is_as_wide_as_its_widest_entry_and_no_wider():
    # 100% is the widest rate: the 30d column is just wide enough for it, the ready column
    # just wide enough for its name; every column sits three spaces from the next.
    report = full_report()
    lines = lines_of(text_of(report, width=120))
    header, _, *rows = table_lines(lines, "By tier")
    assert [c for c, _, _ in cells(rows[0])][5:7] == ["100%", "48%"]
    columns = list(zip(*(cells(line) for line in (header, *rows))))
    spans = [(min(s for _, s, _ in col), max(e for _, _, e in col)) for col in columns]
    assert [spans[i + 1][0] - spans[i][1] for i in range(len(spans) - 1)] == [3] * 7


def test_the_verdict_column_fits_the_longest_verdict_whichever_a_table_shows():
    # The deck table's widest verdict is "getting there"; the tier table's only "not started",
    # yet both tables (first columns of the same width) are drawn equally wide: the rule under
    # the header ends where "getting there" ends.
    lines = lines_of(text_of(full_report(), width=120))
    deck_header, deck_rule, *deck_rows = table_lines(lines, "By deck")
    tier_header, tier_rule, *_ = table_lines(lines, "By tier")
    assert deck_rows[0].endswith("getting there") and len(deck_rule) == len(deck_rows[0])
    assert len(tier_rule) == len(deck_rule)


def test_on_a_narrow_terminal_each_table_row_stays_one_line_with_its_column_names_whole():
    names = {"deck", "tier", "cards", "seen", "mastered", "due", "30d", "ready", "verdict"}
    for width in (66, 50):
        lines = lines_of(text_of(full_report(), width=width))
        for title, first in (("By deck", "optimizers"), ("By tier", "1 phone")):
            header, _, *rows = table_lines(lines, title)
            assert len(rows) == 2, (width, rows)  # two rows, two lines: none folded
            shown = [c for c, _, _ in cells(header)]
            assert shown[:6] == [title.split()[1], "cards", "seen", "mastered", "due", "30d"], (width, header)
            assert set(shown) - names <= {"verdic"}, (width, header)  # only the last column may be cut
            assert all(len(line) <= width for line in lines)
        tier_row = table_lines(lines, "By tier")[2]
        assert cells(tier_row)[0][0] == "1 phone" and cells(tier_row)[5][0] == "100%", (width, tier_row)


def test_a_tier_without_a_short_name_shows_its_number_alone():
    tiers = [{**sample_report()["tiers"][0], "tier": 9, "name": "tier 9"}]
    lines = lines_of(text_of(sample_report(tiers=tiers), width=120))
    row = table_lines(lines, "By tier")[2]
    assert [c for c, _, _ in cells(row)][:2] == ["9", "5"]


# -- lists that are cut short ---------------------------------------------------------------------
def test_the_regrill_line_names_at_most_the_first_twelve_cards():
    regrill = [{"item": f"d/r{n:02}", "title": "t", "misses": 1, "due": "2026-03-02"} for n in range(14)]
    text = " ".join(lines_of(text_of(sample_report(regrill=regrill), width=250)))
    assert "Re-grill (back at the bottom of the ladder after a miss): " + ", ".join(f"d/r{n:02}" for n in range(12)) in text
    assert "d/r12" not in text
    twelve = lines_of(text_of(sample_report(regrill=regrill[:12]), width=250))
    assert "Re-grill (back at the bottom of the ladder after a miss): " + ", ".join(f"d/r{n:02}" for n in range(12)) in twelve


def test_twelve_suspended_cards_are_all_named_without_an_ellipsis():
    suspended = [f"s/{n:02}" for n in range(12)]
    lines = lines_of(text_of(sample_report(suspended=suspended), width=250))
    assert "Suspended (12, never asked): " + ", ".join(suspended) in lines


def test_on_a_narrow_terminal_a_leech_line_is_cut_with_an_ellipsis_and_its_advice_fills_the_width():
    advice = "x" * 34  # with the 6-space indent, exactly 40 columns
    leeches = [{"item": "optimizers/lion", "title": "Lion's update, and why its sign step needs a smaller lr?", "misses": 5,
                "followups": [], "problem": None, "suspend": "gdgrill decks suspend optimizers/lion", "advice": [advice]}]
    lines = lines_of(text_of(sample_report(leeches=leeches), width=40))
    at = next(i for i, line in enumerate(lines) if line.startswith("   5×"))
    assert lines[at - 1].endswith("rarely fixes them):")  # the heading, wrapped above
    assert lines[at].startswith("   5× optimizers/lion  Lion's") and lines[at].endswith("…")
    assert len(lines[at]) == 40
    assert lines[at + 1] == "      " + advice  # one line, to the terminal's edge
    assert lines[at + 2].startswith("Suspended (")


def test_a_report_without_forecast_days_says_nothing_is_scheduled():
    lines = lines_of(text_of(sample_report(forecast=[]), width=120))
    at = lines.index("Due, next 21 days:")
    assert lines[at + 1] == "  nothing scheduled yet: run 'gdgrill quiz' to start the ladder"


def test_the_last_grill_is_the_newest_of_several():
    grills = [{"taken_at": "t", "day": day, "score": score, "total": 50, "bands": [], "seconds": None}
              for day, score in (("2026-02-10", 20), ("2026-02-20", 30), ("2026-03-01", 41))]
    report = sample_report(grills=grills)
    assert "Last grill (2026-03-01): 41/50" in lines_of(text_of(report, width=120))
    assert "\nLast grill (2026-03-01): 41/50.\n" in render_markdown(report)


# -- Markdown ---------------------------------------------------------------------------------------
def test_markdown_puts_the_calendar_and_readiness_in_fenced_blocks_each_set_off_by_blank_lines():
    report = full_report()
    md = render_markdown(report).split("\n")
    at = md.index("## Study calendar, last 12 weeks")
    assert md[at - 1:at + 14] == [
        "",
        "## Study calendar, last 12 weeks",
        "",
        "reviews a day: · 0  ░ 1  ▒ 2  ▓ 3  █ 4:",
        "",
        "```",
        "     Dec     Jan     Feb     Mar",
        "Mon    · · · · · · · · · · · █",
        "Tue  ░ · · · · · · · · · · ·",
        *[f"{wd}  " + " ".join("·" * 12) for wd in ("Wed", "Thu", "Fri", "Sat", "Sun")],
        "```",
    ]
    assert md[at + 14:at + 23] == [
        "",
        "## Readiness over 12 weeks (weekly, 2025-12-08 → 2026-03-02)",
        "",
        "```",
        "overall     ▂▂▃▃▃▃▃▃▃▃▃▄▅  10% → 60%",
        "optimizers  ▁▁▁▁▁▁▁▁▁▁▁▁█  0% → 100%",
        "schedules   ▃▅▅▅▅▅▅▅▅▅▅▆▇  25% → 90%",
        "```",
        "",
    ]
    assert md[at + 23] == "## Due in the next 21 days"


# -- the figures ------------------------------------------------------------------------------------
def test_on_ladder_counts_the_cards_still_climbing_not_the_mastered_ones(tmp_path):
    items = [Item("d/a", "d", 1, "A?"), Item("d/b", "d", 1, "B?"), Item("d/c", "d", 1, "C?")]
    with open_store(tmp_path) as store:
        for n in (21, 18, 14, 7, 0):  # d/a climbs the whole ladder: mastered
            store.record_review("d/a", Grade.PASS, "quiz", day=TODAY - timedelta(days=n))
        store.record_review("d/b", Grade.PASS, "quiz", day=TODAY - timedelta(days=1))  # climbing; d/c never seen
        report = build_report(items, {}, store, TODAY)
    deck = report["decks"][0]
    assert (deck["seen"], deck["learning"], deck["mastered"]) == (2, 1, 1)
    assert report["overall"]["learning"] == 1 and report["tiers"][0]["learning"] == 1
    row = next(line for line in render_markdown(report).splitlines() if line.startswith("| d |"))
    # | deck | items | seen | on ladder | mastered | ...
    assert [cell.strip() for cell in row.strip("|").split("|")][1:5] == ["3", "2", "1", "1"]
