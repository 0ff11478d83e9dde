"""The report's figures at their edges, in all three formats: the 7- and 30-day windows,
the verdict bands, the order and length of "weakest", the forecast's last day."""

from __future__ import annotations

import json
from datetime import date, timedelta
from io import StringIO

import pytest
from rich.console import Console

from gdgrill.report import Item, build_report, render_json, render_markdown, render_text, verdict
from gdgrill.scheduler import Grade
from gdgrill.store import open_store

TODAY = date(2026, 3, 2)
P, F = Grade.PASS, Grade.FAIL


def ago(n: int) -> date:
    return TODAY - timedelta(days=n)


def report_for(tmp_path, items, reviews):
    """Build the report over ``reviews`` ((item, grade, days ago), oldest first) and render it
    three ways: (the JSON the user's scripts read, the Markdown, the plain-text report)."""
    with open_store(tmp_path) as store:
        for item, g, days_ago in reviews:
            store.record_review(item, g, "quiz", day=ago(days_ago))
        report = build_report(items, {}, store, TODAY)
    buf = StringIO()
    render_text(report, Console(file=buf, width=120, no_color=True, highlight=False))
    return json.loads(render_json(report)), render_markdown(report), buf.getvalue()


def deck_row(markdown: str, deck: str) -> list[str]:
    line = next(line for line in markdown.splitlines() if line.startswith(f"| {deck} |"))
    return [cell.strip() for cell in line.strip("|").split("|")]


def text_row(text: str, first: str) -> list[str]:
    return next(line for line in text.splitlines() if line.split()[:1] == [first]).split()


def test_a_review_29_days_back_is_in_the_30_day_rate_and_one_30_days_back_is_not(tmp_path):
    # Also the 7-day window: 6 days back is in it, 7 days back is not.
    reviews = [("d/a", F, 30), ("d/a", P, 29), ("d/a", F, 7), ("d/a", P, 6)]
    data, md, text = report_for(tmp_path, [Item("d/a", "d", 1, "A?")], reviews)
    deck = data["decks"][0]
    assert (deck["pass_rate_7d"], deck["pass_rate_30d"]) == (1.0, round(2 / 3, 3))
    # | deck | items | seen | on ladder | mastered | due today | pass 7d | pass 30d | readiness | verdict |
    assert deck_row(md, "d")[6:8] == ["100%", "67%"]
    # deck cards seen mastered due 30d ready verdict
    assert text_row(text, "d")[5] == "67%"


def test_reviews_on_the_window_edges_only_count_from_the_day_they_fall_in(tmp_path):
    # Nothing in the last 7 days: the 7-day rate is empty, not zero.
    data, md, _ = report_for(tmp_path, [Item("d/a", "d", 1, "A?")], [("d/a", P, 30), ("d/a", P, 7)])
    deck = data["decks"][0]
    assert (deck["pass_rate_7d"], deck["pass_rate_30d"]) == (None, 1.0)
    assert deck_row(md, "d")[6:8] == ["—", "100%"]


@pytest.mark.parametrize(
    "score, seen, rate, band",
    [
        (0.8, 1, None, "ready"),
        (0.7999, 1, None, "getting there"),
        (0.5, 1, None, "getting there"),
        (0.4999, 1, None, "climbing"),
        (0.2, 1, None, "climbing"),
        (0.1999, 1, None, "just started"),
        (0.0, 1, None, "just started"),
        (1.0, 1, 0.7, "ready"),  # 70% passed is not shaky
        (1.0, 1, 0.699, "shaky"),
        (1.0, 0, None, "not started"),
    ],
)
def test_verdict_bands_start_exactly_at_their_thresholds(score, seen, rate, band):
    assert verdict(score, seen, rate).split(":")[0] == band


def climb(item: str, rungs: int) -> list[tuple[str, Grade, int]]:
    """Passes on each checkpoint day, ending today, that leave ``item`` at ``rungs``."""
    offsets = {0: [], 1: [0], 2: [3, 0], 3: [7, 4, 0], 4: [14, 11, 7, 0], 5: [21, 18, 14, 7, 0]}[rungs]
    return [(item, P, n) for n in offsets]


@pytest.mark.parametrize(
    "rungs, readiness, band",
    [([4], 0.8, "ready"), ([3], 0.6, "getting there"), ([1, 4], 0.5, "getting there"),
     ([1, 3], 0.4, "climbing"), ([1], 0.2, "climbing"), ([1, 1, 0], 0.133, "just started")],
)
def test_a_deck_on_a_band_edge_gets_that_band_in_every_format(tmp_path, rungs, readiness, band):
    items = [Item(f"d/{n}", "d", 1, f"Q{n}?") for n in range(len(rungs))]
    reviews = [r for n, k in enumerate(rungs) for r in climb(f"d/{n}", k)]
    reviews += [("d/2", F, 40)] if len(rungs) == 3 else []  # seen, but back at the bottom
    data, md, text = report_for(tmp_path, items, reviews)
    deck = data["decks"][0]
    assert deck["readiness"] == readiness and deck["verdict"].split(":")[0] == band
    assert deck_row(md, "d")[8] == f"{readiness * 100:.0f}%" and deck_row(md, "d")[9].startswith(band)
    row = " ".join(text_row(text, "d"))
    assert row.endswith(f"{readiness * 100:.0f}% {band}")


def test_weakest_lists_the_most_missed_first_then_the_lowest_pass_rate_at_most_ten(tmp_path):
    reviews = [("w/b", F, 9), ("w/b", F, 8), ("w/b", P, 7), ("w/b", F, 6)]  # 3 misses, 25%
    reviews += [("w/a", F, 12)] + [("w/a", P, n) for n in (11, 10, 9)] + [("w/a", F, 8)]  # 3 misses, 2 of 3 passes after
    reviews += [("w/a", P, n) for n in (7, 6, 5)] + [("w/a", F, 4)]  # 3 misses in 9: 67% (w/b, fewer passes, comes first)
    reviews += [("w/c", F, 5), ("w/c", F, 4)]  # 2 misses
    reviews += [("w/d", F, 3), ("w/d", P, 2)]  # 1 miss, 50%
    singles = [f"w/s{n:02}" for n in range(9)]  # 1 miss, 0%: by key; the last three fall off
    reviews += [(key, F, 1) for key in singles]
    reviews += [("w/m", F, 40)] + climb("w/m", 5)  # missed once, since mastered: not weak
    reviews += [("w/z", P, 3)]  # never missed
    keys = ["w/a", "w/b", "w/c", "w/d", "w/m", "w/z", *singles]
    data, md, text = report_for(tmp_path, [Item(k, "w", 1, f"title of {k}") for k in keys], reviews)
    expected = ["w/b", "w/a", "w/c", *singles[:7]]
    assert [w["item"] for w in data["weakest"]] == expected
    assert data["weakest"][:2] == [
        {"item": "w/b", "title": "title of w/b", "misses": 3, "reviews": 4, "pass_rate": 0.25},
        {"item": "w/a", "title": "title of w/a", "misses": 3, "reviews": 9, "pass_rate": 0.667},
    ]
    assert data["weakest"][2]["pass_rate"] == 0.0
    section = md.split("## Weakest")[1].split("##")[0]
    assert [line.split("`")[1] for line in section.splitlines() if line.startswith("- ")] == expected
    assert "- `w/b` — 3 miss(es) in 4 reviews: title of w/b" in section
    listed = text.split("Weakest (misses / reviews):")[1].splitlines()[1:11]
    assert [line.split()[1] for line in listed] == expected and listed[0].split()[0] == "3/4"


def test_regrill_lists_the_cards_back_at_the_bottom_most_missed_first_with_their_due_day(tmp_path):
    items = [Item(k, "d", 1, f"{k}?") for k in ("d/a", "d/b", "d/c", "d/d")]
    reviews = [("d/a", F, 3), ("d/b", F, 9), ("d/b", P, 8), ("d/b", F, 2), ("d/c", P, 0)]
    reviews += [("d/d", F, 5), ("d/d", P, 4)]  # missed, then passed again: climbing, not waiting on a miss
    data, md, _ = report_for(tmp_path, items, reviews)
    assert data["regrill"] == [
        {"item": "d/b", "title": "d/b?", "misses": 2, "due": "2026-03-01"},
        {"item": "d/a", "title": "d/a?", "misses": 1, "due": "2026-02-28"},
    ]
    assert "- `d/b` (due 2026-03-01): d/b?\n- `d/a` (due 2026-02-28): d/a?" in md


def test_group_counts_add_up_over_every_card_of_a_deck_and_tier(tmp_path):
    items = [Item("d/a", "d", 1, "A?"), Item("d/b", "d", 1, "B?"), Item("d/c", "d", 5, "C?"), Item("d/n", "d", 1, "N?")]
    reviews = [("d/a", P, 3), ("d/b", P, 3), ("d/c", P, 1)]  # two due today, then one not due; d/n never seen
    with open_store(tmp_path) as store:
        for item, g, days_ago in reviews:
            store.record_review(item, g, "quiz", day=ago(days_ago))
        data = build_report(items, {}, store, TODAY)  # no deck titles given
    deck = data["decks"][0]
    assert (deck["title"], deck["items"], deck["seen"], deck["learning"], deck["mastered"], deck["due_today"]) == ("d", 4, 3, 3, 0, 2)
    tiers = {t["tier"]: t for t in data["tiers"]}
    assert (tiers[1]["name"], tiers[1]["seen"], tiers[1]["learning"], tiers[1]["due_today"]) == ("phone screen", 2, 2, 2)
    assert (tiers[5]["name"], tiers[5]["items"], tiers[5]["seen"]) == ("tier 5", 1, 1)  # a tier with no name of its own
    assert data["overall"]["readiness"] == round(3 * 0.2 / 4, 3)


def test_a_report_with_no_cards_is_not_started_rather_than_ready(tmp_path):
    with open_store(tmp_path) as store:
        data = build_report([], {}, store, TODAY)
    assert (data["overall"]["items"], data["overall"]["readiness"], data["overall"]["verdict"]) == (0, 0.0, "not started")
    assert data["streak"] == {"current": 0, "longest": 0, "studied_today": False}


def test_a_shaky_verdict_gives_the_recent_pass_rate():
    assert verdict(1.0, 3, 0.6) == "shaky: 60% passed lately; re-grill the misses before going deeper"
    assert verdict(0.9, 3, 0.95) == "ready: keep it warm with the maintenance checks"


def test_a_card_due_on_the_forecasts_last_day_is_shown_and_one_due_a_day_later_is_not(tmp_path):
    items = [Item("d/a", "d", 1, "A?"), Item("d/b", "d", 1, "B?")]
    # Mastered cards come back 30 days after the day-21 pass: 10 days ago -> in 20 days, the
    # forecast's 21st and last day; 9 days ago -> in 21 days, past it.
    reviews = [("d/a", P, n) for n in (31, 28, 24, 17, 10)] + [("d/b", P, n) for n in (30, 27, 23, 16, 9)]
    data, md, text = report_for(tmp_path, items, reviews)
    assert len(data["forecast"]) == 21 and data["forecast"][0]["day"] == "2026-03-02"
    assert data["forecast"][-1] == {"day": "2026-03-22", "due": 1}
    assert sum(f["due"] for f in data["forecast"]) == 1
    assert "| 2026-03-22 | 1 |" in md and "2026-03-23" not in md
    assert "2026-03-22  █" in text and "2026-03-23" not in text


def test_weakest_ties_are_broken_by_the_item_key_not_by_when_the_card_was_first_seen(tmp_path):
    reviews = [("w/y", F, 3), ("w/x", F, 2)]  # w/y reaches the log first; both 1 miss, 0 %
    data, md, text = report_for(tmp_path, [Item(k, "w", 1, k) for k in ("w/x", "w/y")], reviews)
    assert [w["item"] for w in data["weakest"]] == ["w/x", "w/y"]


def _summary_with(*rungs: int):
    from gdgrill.scheduler import CardState
    from gdgrill.store import ItemStats, ItemSummary

    none = ItemStats(0, 0, 0)
    history = tuple(CardState(r, TODAY, 1) for r in rungs)
    return ItemSummary(history[-1], none, none, none, history)


def test_readiness_over_time_is_each_groups_mean_rung_share_on_each_day():
    from gdgrill.report import readiness_history

    summaries = {"x": _summary_with(0, 1, 5), "y": _summary_with(0, 3, 5), "z": _summary_with(2, 2, 4)}
    groups = {"empty": [], "a": ["x", "y"], "b": ["z"], "all": ["x", "y", "z"], "unseen": ["q"], "part": ["x", "q"]}
    assert readiness_history(groups, summaries, 3) == {
        "empty": [0.0, 0.0, 0.0],  # a group with no cards: 0, and the groups after it still counted
        "a": [0.0, 0.4, 1.0],  # (0+0)/10, (1+3)/10, (5+5)/10
        "b": [0.4, 0.4, 0.8],
        "all": [0.133, 0.4, 0.933],  # 2/15 rounded to three places, 6/15, 14/15
        "unseen": [0.0, 0.0, 0.0],  # cards never reviewed count 0
        "part": [0.0, 0.1, 0.5],  # the unreviewed card still counts in the mean
    }


def test_worst_curves_are_the_most_missed_curve_cards_then_the_lowest_pass_rate():
    from gdgrill.decks import Card
    from gdgrill.report import worst_curves
    from gdgrill.store import ItemStats

    cards = [
        Card("d", "a", "Why  does\n  the loss spike?", "A", curve="lr-too-high"),
        Card("d", "b", "Q b", "A", curve="good"),
        Card("d", "c", "Q c", "A", curve="overfitting"),
        Card("d", "n", "no curve, most missed", "A"),
        Card("d", "z", "never missed", "A", curve="good"),
        Card("d", "u", "never reviewed", "A", curve="good"),
    ]
    all_time = {"d/a": ItemStats(4, 2, 2), "d/b": ItemStats(3, 0, 3), "d/c": ItemStats(2, 0, 2), "d/n": ItemStats(5, 0, 5),
                "d/z": ItemStats(3, 3, 0)}
    assert worst_curves(cards, all_time) == [
        {"item": "d/b", "title": "Q b", "curve": "good", "misses": 3, "reviews": 3},
        {"item": "d/c", "title": "Q c", "curve": "overfitting", "misses": 2, "reviews": 2},  # 0 % passed: before d/a's 50 %
        {"item": "d/a", "title": "Why does the loss spike?", "curve": "lr-too-high", "misses": 2, "reviews": 4},
    ]
    assert [w["item"] for w in worst_curves(cards, all_time, n=2)] == ["d/b", "d/c"]


def test_on_a_narrow_terminal_each_chart_row_and_list_line_stays_one_line(tmp_path):
    """A terminal narrower than the calendar and the lines: calendar rows are cut (no
    marker: a row of cells), readiness rows and weakest lines end in '…', none wraps."""
    long_title = "why does the loss spike right after warmup ends " * 3
    reviews = [("w/a", F, 40), ("w/a", P, 39), ("w/a", F, 10), ("w/b", P, 3), ("w/b", F, 2)]
    items = [Item("w/a", "w", 1, long_title), Item("w/b", "w", 1, "short")]
    with open_store(tmp_path) as store:
        for item, g, days_ago in reviews:
            store.record_review(item, g, "quiz", day=ago(days_ago))
        report = build_report(items, {}, store, TODAY)
    width = 30
    buf = StringIO()
    render_text(report, Console(file=buf, width=width, no_color=True, highlight=False))
    lines = buf.getvalue().splitlines()
    assert all(len(line) <= width for line in lines)
    history = next(i for i, line in enumerate(lines) if line.startswith("Readiness over"))
    # the calendar (2 + 14 columns wide) on a terminal of 10: each row cut there, none folded
    from gdgrill.report import calendar_lines

    tiny = StringIO()
    render_text(report, Console(file=tiny, width=10, no_color=True, highlight=False))
    shown = tiny.getvalue().splitlines()
    rows = calendar_lines(report["calendar"])
    expected = [("  " + row)[:10].rstrip() for row in rows]
    first = [line.rstrip() for line in shown].index(expected[0])
    assert [line.rstrip() for line in shown[first: first + len(rows)]] == expected
    assert max(len("  " + row) for row in rows) > 10  # the rows really were wider than the terminal
    weakest = next(i for i, line in enumerate(lines) if line.startswith("Weakest"))
    readiness_rows = [line for line in lines[history + 1: weakest] if line.startswith("  ")]
    assert readiness_rows and any(row.endswith("…") for row in readiness_rows)
    listed = lines[weakest + 1: weakest + 3]
    assert [line.split()[1] for line in listed] == ["w/a", "w/b"]
    assert listed[0].endswith("…") and "short" in listed[1]
