"""The self-grading report: figures per deck and tier, weakest, forecast, streak, formats."""

from __future__ import annotations

import json
from datetime import date, timedelta

from typer.testing import CliRunner

from gdgrill.cli import app
from gdgrill.paths import home_dir
from gdgrill.report import Item, build_report, streaks
from gdgrill.scheduler import Grade
from gdgrill.store import open_store

runner = CliRunner()
TODAY = date(2026, 3, 2)
ITEMS = [
    Item("d/a", "d", 1, "A?"),
    Item("d/b", "d", 1, "B?"),
    Item("e/c", "e", 2, "C?"),
    Item("e/d", "e", 4, "D?"),
]


def grade(store, item, g, days_ago):
    store.record_review(item, g, "quiz", day=TODAY - timedelta(days=days_ago))


def test_figures_per_deck_and_tier_weakest_regrill_and_forecast(tmp_path):
    with open_store(tmp_path) as store:
        for days_ago in (21, 18, 14, 7, 0):  # d/a climbs the whole ladder: mastered
            grade(store, "d/a", Grade.PASS, days_ago)
        grade(store, "d/b", Grade.PASS, 3)  # due today (day-3 checkpoint)
        grade(store, "e/c", Grade.FAIL, 10)
        grade(store, "e/c", Grade.PASS, 9)
        grade(store, "e/c", Grade.FAIL, 1)  # missed yesterday: due today, re-grill
        report = build_report(ITEMS, {"d": "Deck D", "e": "Deck E"}, store, TODAY)
    decks = {d["id"]: d for d in report["decks"]}
    assert (decks["d"]["items"], decks["d"]["seen"], decks["d"]["mastered"], decks["d"]["due_today"]) == (2, 2, 1, 1)
    assert decks["d"]["readiness"] == round((1 + 1 / 5) / 2, 3)
    assert decks["e"]["seen"] == 1 and decks["e"]["due_today"] == 1 and decks["e"]["readiness"] == 0
    assert decks["e"]["pass_rate_7d"] == 0.0 and decks["e"]["pass_rate_30d"] == round(1 / 3, 3)
    assert decks["d"]["title"] == "Deck D"
    tiers = {t["tier"]: t for t in report["tiers"]}
    assert tiers[1]["items"] == 2 and tiers[4]["seen"] == 0 and tiers[4]["verdict"] == "not started"
    assert [w["item"] for w in report["weakest"]] == ["e/c"] and report["weakest"][0]["misses"] == 2
    assert [r["item"] for r in report["regrill"]] == ["e/c"]
    assert len(report["forecast"]) == 21
    assert report["forecast"][0] == {"day": "2026-03-02", "due": 2}
    assert sum(f["due"] for f in report["forecast"]) == 2  # the mastered card is back in 30 days, past the window
    assert report["overall"]["items"] == 4 and report["streak"]["studied_today"] is True


def test_the_streak_counts_consecutive_study_days():
    days = [TODAY - timedelta(days=n) for n in (1, 2, 3, 7, 8)]
    assert streaks(days, TODAY) == {"current": 3, "longest": 3, "studied_today": False}
    assert streaks(days + [TODAY], TODAY)["current"] == 4
    assert streaks([TODAY - timedelta(days=2)], TODAY)["current"] == 0


def test_a_shaky_pass_rate_is_called_shaky_even_high_on_the_ladder(tmp_path):
    with open_store(tmp_path) as store:
        for days_ago in (25, 22, 18, 11, 4):
            grade(store, "d/a", Grade.PASS, days_ago)
        for n in range(6):
            grade(store, "d/b", Grade.FAIL, 20 - n)
        report = build_report(ITEMS[:2], {}, store, TODAY)
    assert report["decks"][0]["verdict"].startswith("shaky")


def test_json_report_has_the_documented_stable_shape(sample_decks):
    runner.invoke(app, ["quiz", "--decks", str(sample_decks), "--deck", "sample"], input="0.9 0.999\n\n\na\n\nn\n")
    result = runner.invoke(app, ["report", "--format", "json", "--decks", str(sample_decks)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {
        "schema", "today", "overall", "decks", "tiers", "weakest", "regrill", "forecast", "streak",
        "practice", "assessments", "grills", "plan", "leeches", "suspended", "calendar", "history", "curves",
    }
    summary_keys = {"items", "seen", "learning", "mastered", "due_today", "pass_rate_7d", "pass_rate_30d", "readiness", "verdict"}
    assert set(data["overall"]) == summary_keys
    assert data["plan"] is None  # no interview plan set
    sample = next(d for d in data["decks"] if d["id"] == "sample")
    assert set(sample) == summary_keys | {"id", "title"}
    assert (sample["seen"], sample["pass_rate_7d"]) == (3, round(2 / 3, 3))
    assert data["schema"] == 1 and data["today"] == "2026-03-02"


def test_markdown_and_out_file(sample_decks, tmp_path):
    target = tmp_path / "r.md"
    result = runner.invoke(app, ["report", "--format", "md", "--out", str(target), "--decks", str(sample_decks)])
    assert result.exit_code == 0 and target.read_text(encoding="utf-8").startswith("# gdgrill report — 2026-03-02")
    text = tmp_path / "r.txt"
    runner.invoke(app, ["report", "--out", str(text)])
    assert "Readiness" in text.read_text(encoding="utf-8") and "\x1b[" not in text.read_text(encoding="utf-8")


def test_a_bad_format_is_a_one_line_error():
    result = runner.invoke(app, ["report", "--format", "pdf"])
    assert result.exit_code == 2 and "expected text, md or json" in result.stderr


def test_report_never_creates_data_it_does_not_need(isolated_home):
    result = runner.invoke(app, ["report"])
    assert result.exit_code == 0 and "not started" in result.output
    with open_store(home_dir()) as store:
        assert store.log() == []


def test_drills_sit_on_the_ladder_and_show_in_the_report(monkeypatch):
    rule = "m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^t))/(sqrt(v/(1-b2^t)) + eps)\n"
    result = runner.invoke(app, ["drill", "adam-bias", "--answer", "-", "--no-torch"], input=rule)
    assert result.exit_code == 0, result.output
    data = json.loads(runner.invoke(app, ["report", "--format", "json"]).stdout)
    drills = next(d for d in data["decks"] if d["id"] == "drills")
    assert drills["seen"] == 1 and drills["items"] >= 12
    quiz = runner.invoke(app, ["quiz", "--limit", "1"], input="")
    assert "drill(s) due" not in quiz.output
    monkeypatch.setenv("GDGRILL_TODAY", "2026-03-05")  # the day-3 checkpoint
    quiz = runner.invoke(app, ["quiz", "--limit", "1"], input="")
    assert "1 drill(s) due: gdgrill drill adam-bias" in quiz.output


def test_grill_answers_count_in_pass_rates_though_only_misses_move_the_ladder(tmp_path):
    with open_store(tmp_path) as store:
        for n in range(9):
            store.record_review(f"d/{n}", Grade.PASS, "grill", day=TODAY, scheduling=False)
        store.record_review("d/9", Grade.FAIL, "grill", day=TODAY, scheduling=True)
        store.record_review("d/0", Grade.FAIL, "cram", day=TODAY)  # cram never counts
        report = build_report([Item(f"d/{n}", "d", 1, "?") for n in range(10)], {}, store, TODAY)
    deck = report["decks"][0]
    assert deck["pass_rate_7d"] == 0.9 and deck["seen"] == 10 and not deck["verdict"].startswith("shaky")
    assert deck["readiness"] == 0  # a mock exam is no ladder review: readiness still comes from the quiz


# -- the study calendar and readiness over time ------------------------------------------------
def test_the_calendar_counts_every_graded_review_of_the_last_12_weeks_by_day(tmp_path):
    with open_store(tmp_path) as store:
        grade(store, "d/a", Grade.PASS, 0)
        grade(store, "d/b", Grade.FAIL, 0)
        store.record_review("d/b", Grade.PASS, "cram", day=TODAY)  # practice counts as study
        undone = store.record_review("e/c", Grade.PASS, "quiz", day=TODAY - timedelta(days=1))
        store.undo(undone, day=TODAY - timedelta(days=1))  # taken back: not a review
        grade(store, "e/c", Grade.PASS, 83)  # the first day shown
        grade(store, "e/d", Grade.PASS, 84)  # one day too old
        report = build_report(ITEMS, {}, store, TODAY)
    cal = report["calendar"]
    assert len(cal) == 84 and cal[-1] == {"day": "2026-03-02", "reviews": 3} and cal[0] == {"day": "2025-12-09", "reviews": 1}
    assert cal[-2]["reviews"] == 0 and sum(d["reviews"] for d in cal) == 4


def test_the_calendar_grid_puts_each_day_under_its_weekday_shaded_by_quarters_of_the_busiest():
    from gdgrill.report import calendar_legend, calendar_lines

    # Two weeks ending on Wednesday 2026-03-04: Mon 2026-02-23 .. Wed 2026-03-04.
    counts = {"2026-02-23": 8, "2026-02-24": 1, "2026-02-28": 4, "2026-03-02": 2, "2026-03-04": 6}
    days = [{"day": (date(2026, 2, 23) + timedelta(days=i)).isoformat(), "reviews": 0} for i in range(10)]
    for d in days:
        d["reviews"] = counts.get(d["day"], 0)
    assert calendar_lines(days) == [
        "     Feb",  # no room for "Mar" one column later
        "Mon  █ ░",
        "Tue  ░ ·",
        "Wed  · ▓",
        "Thu  ·",
        "Fri  ·",
        "Sat  ▒",
        "Sun  ·",
    ]
    assert calendar_legend(days) == "reviews a day: · 0  ░ 1-2  ▒ 3-4  ▓ 5-6  █ 7-8"


def test_readiness_over_time_is_sampled_weekly_and_matches_a_replay_up_to_each_day(tmp_path):
    from gdgrill.scheduler import card_state

    with open_store(tmp_path) as store:
        for days_ago in (70, 67, 63, 56, 49):  # d/a climbs the ladder over weeks 2-4: mastered
            grade(store, "d/a", Grade.PASS, days_ago)
        grade(store, "d/b", Grade.PASS, 200)  # long ago, untouched since: a flat line
        grade(store, "d/b", Grade.PASS, 197)
        grade(store, "e/c", Grade.PASS, 120)
        grade(store, "e/c", Grade.PASS, 117)
        grade(store, "e/c", Grade.FAIL, 100)  # its last miss before the window
        grade(store, "e/c", Grade.PASS, 99)
        grade(store, "e/c", Grade.PASS, 30)
        grade(store, "e/c", Grade.FAIL, 5)
        report = build_report(ITEMS, {}, store, TODAY)
        histories = {k: store.history(k) for k in ("d/a", "d/b", "e/c", "e/d")}
    h = report["history"]
    days = [date.fromisoformat(d) for d in h["days"]]
    assert len(days) == 13 and days[-1] == TODAY and all((b - a).days == 7 for a, b in zip(days, days[1:]))

    def replayed(key: str, day: date) -> float:
        state = card_state([r for r in histories[key] if r.day <= day])
        return min(state.rung, 5) / 5 if state.reviews else 0.0

    decks = {d["id"]: d["readiness"] for d in h["decks"]}
    for n, day in enumerate(days):
        assert decks["d"][n] == round((replayed("d/a", day) + replayed("d/b", day)) / 2, 3)
        assert decks["e"][n] == round((replayed("e/c", day) + replayed("e/d", day)) / 2, 3)
        assert h["overall"][n] == round(sum(replayed(k, day) for k in histories) / 4, 3)
    assert decks["d"][0] == round((0 + 2 / 5) / 2, 3) and decks["d"][-1] == round((1 + 2 / 5) / 2, 3)
    assert decks["e"][-1] == 0.0  # missed five days ago


def test_the_text_and_markdown_reports_show_the_calendar_and_readiness_lines(sample_decks):
    runner.invoke(app, ["quiz", "--decks", str(sample_decks), "--deck", "sample"], input="0.9 0.999\n\n\na\n\nn\n")
    text = runner.invoke(app, ["report", "--decks", str(sample_decks)]).stdout
    assert "Study calendar, last 12 weeks (reviews a day: · 0  ▒ 1  ▓ 2  █ 3)" in text  # three reviews today
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Study calendar"))
    assert [line.split()[0] for line in lines[start + 2: start + 9]] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    monday = lines[start + 2]  # 2026-03-02 is a Monday: the last cell of the Monday row is today
    assert monday.rstrip()[-1] in "░▒▓█"
    history = next(i for i, line in enumerate(lines) if line.startswith("Readiness over 12 weeks"))
    assert lines[history].endswith("(weekly, 2025-12-08 → 2026-03-02)")
    assert lines[history + 1].split()[0] == "overall" and any(line.split()[0] == "sample" for line in lines[history + 1: history + 10])
    md = runner.invoke(app, ["report", "--format", "md", "--decks", str(sample_decks)]).stdout
    assert "## Study calendar, last 12 weeks" in md and "## Readiness over 12 weeks" in md
