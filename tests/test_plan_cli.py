"""`gdgrill plan`, `due` and `review` end to end through the CLI runner, with fixed dates."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta

import pytest
from typer.testing import CliRunner

from gdgrill.cli import app
from gdgrill.decks import load_library
from gdgrill.paths import home_dir
from gdgrill.store import open_store
from helpers import logged_reviews

runner = CliRunner()
TODAY = date(2026, 3, 2)  # conftest pins GDGRILL_TODAY
SHIPPED_CARDS = len(load_library().cards)  # every shipped card, none introduced yet in a fresh home


def gd(*args: str, input: str | None = None, today: date | None = None, env: dict | None = None):
    extra = dict(env or {})
    if today is not None:
        extra["GDGRILL_TODAY"] = today.isoformat()
    return runner.invoke(app, list(args), input=input, env=extra or None)


def due_items(today: date | None = None, *extra: str) -> list[dict]:
    result = gd("due", "--format", "json", *extra, today=today)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["items"]


def plan_rows() -> list[tuple]:
    db = home_dir() / "progress.db"
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT interview, per_day, focus FROM plans ORDER BY id").fetchall()


# -- gdgrill plan ------------------------------------------------------------------------
def test_a_plan_is_stored_in_the_database_shown_and_cleared():
    result = gd("plan", "--interview", "2026-03-16", "--per-day", "30")
    assert result.exit_code == 0, result.output
    assert "Interview 2026-03-16" in result.output and "14 day(s) left" in result.output and "Projected recall" in result.output
    assert plan_rows() == [("2026-03-16", 30, "phone")]
    shown = json.loads(gd("plan", "--format", "json").stdout)["plan"]
    assert (shown["interview"], shown["days_left"], shown["per_day"], shown["not_yet_introduced"]) == ("2026-03-16", 14, 30, SHIPPED_CARDS)
    assert len(shown["days"]) == 14 and all(d["reviews"] + d["new"] <= 30 for d in shown["days"])
    assert 0.5 < shown["projected_recall"] <= 1
    # Changing only the budget keeps the date; --focus is kept too.
    assert gd("plan", "--per-day", "50", "--focus", "research").exit_code == 0
    assert gd("plan", "--per-day", "45").exit_code == 0
    assert plan_rows()[-1] == ("2026-03-16", 45, "research")
    cleared = gd("plan", "--clear")
    assert cleared.exit_code == 0 and "Plan cleared" in cleared.output
    assert json.loads(gd("plan", "--format", "json").stdout)["plan"] is None
    assert "No plan set" in gd("plan").output
    assert "No plan was set" in gd("plan", "--clear").output


@pytest.mark.parametrize(
    "given, message",
    [
        ("2026-03-01", "in the past"),
        ("2026-03-02", "that is today"),
        ("2026-02-30", "expected a date as YYYY-MM-DD"),
        ("next friday", "expected a date as YYYY-MM-DD"),
    ],
)
def test_a_bad_interview_date_is_one_line_exit_2_and_nothing_is_stored(given, message):
    result = gd("plan", "--interview", given)
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert plan_rows() == []


def test_other_bad_plan_options_are_refused_cleanly():
    assert gd("plan", "--per-day", "20").exit_code == 2  # no plan to change yet
    assert gd("plan", "--interview", "2026-04-01", "--focus", "vibes").exit_code == 2
    assert gd("plan", "--interview", "2026-04-01", "--per-day", "0").exit_code == 2
    assert gd("plan", "--interview", "2026-04-01", "--clear").exit_code == 2
    assert plan_rows() == []


def test_the_plan_survives_reopening_and_a_passed_interview_hands_back_to_the_ladder():
    gd("plan", "--interview", "2026-03-05", "--per-day", "12")
    with open_store(home_dir()) as store:
        assert store.plan().interview == date(2026, 3, 5)
    assert len(due_items()) == 12
    after = TODAY + timedelta(days=3)  # the interview day itself
    assert len(due_items(after)) == 10  # the ladder's ten new cards
    shown = json.loads(gd("plan", "--format", "json", today=after).stdout)["plan"]
    assert shown["projected_recall"] is None and "ladder" in shown["status"]
    assert "Interview day" in gd("quiz", "--limit", "1", input="q\n", today=after).output


# -- the queue under a plan ----------------------------------------------------------------
def test_due_lists_what_the_quiz_asks_in_the_same_order():
    gd("plan", "--interview", "2026-03-09", "--per-day", "20")
    items = due_items()
    assert len(items) == 20 and all(i["new"] and i["checkpoint"] == 0 and i["due"] is None for i in items)
    assert {i["kind"] for i in items} <= {"card", "quick-fire"}
    result = gd("quiz", input="\np\n" * 3 + "q\n")
    assert result.exit_code == 0, result.output
    asked = [row[0] for row in logged_reviews(home_dir())]
    assert asked == [i["item"] for i in items[:3]]
    # What was done counts against today's budget: 17 left, the three not asked again.
    left = due_items()
    assert len(left) == 17 and not {i["item"] for i in left} & set(asked)


def test_no_day_goes_over_the_budget_in_a_run_that_keeps_to_the_plan():
    gd("plan", "--interview", "2026-03-09", "--per-day", "25")
    for offset in range(7):
        day = TODAY + timedelta(days=offset)
        items = due_items(day)
        assert 0 < len(items) <= 25
        batch = "\n".join(json.dumps({"item": i["item"], "grade": "fail" if n % 4 == 0 else "pass"}) for n, i in enumerate(items))
        result = gd("review", "--batch", "-", "--format", "json", input=batch, today=day)
        assert result.exit_code == 0, result.output
        assert due_items(day) == []  # today's budget spent
        assert "Today's 25 are done" in gd("quiz", today=day).output
    with sqlite3.connect(home_dir() / "progress.db") as conn:
        per_day = dict(conn.execute("SELECT day, COUNT(DISTINCT item_id) FROM reviews GROUP BY day"))
    assert len(per_day) == 7 and max(per_day.values()) == 25
    seen = sum(1 for _ in logged_reviews(home_dir()))
    assert seen == 7 * 25


def test_a_far_interview_leaves_the_ladder_exactly_as_it_is():
    """Build a history, then compare each day's queue with and without a 60-day plan."""
    for offset in range(6):
        day = TODAY + timedelta(days=offset)
        items = due_items(day)
        batch = "\n".join(json.dumps({"item": i["item"], "grade": "fail" if n % 3 == 0 else "pass"}) for n, i in enumerate(items))
        assert gd("review", "--batch", "-", input=batch, today=day).exit_code == 0
    far = (TODAY + timedelta(days=60)).isoformat()
    capped = 0
    for offset in range(6, 12):
        day = TODAY + timedelta(days=offset)
        without = due_items(day)
        gd("plan", "--interview", far, "--per-day", "500", today=day)
        assert due_items(day) == without  # same items, same order, same new-card allowance
        gd("plan", "--interview", far, "--per-day", "40", today=day)
        assert due_items(day) == without[:40]  # the budget cuts the new cards first, never reorders
        capped += len(without) > 40
        gd("plan", "--clear", today=day)
        assert any(not i["new"] for i in without)  # reviews were due, not just new cards
    assert capped  # some day the ladder alone asked more than 40


def test_undo_and_cram_still_work_under_a_plan():
    gd("plan", "--interview", "2026-03-09", "--per-day", "20")
    first = due_items()[0]["item"]
    result = gd("quiz", input="\np\n\nu\n\nf\n\nq\n")
    assert result.exit_code == 0, result.output
    assert "undone: pass on " + first in result.output
    rows = logged_reviews(home_dir())
    assert [(r[0], r[1]) for r in rows] == [(first, "pass"), (first, "undo"), (first, "fail")]
    cram = gd("quiz", "--cram", "--limit", "2", input="\np\n\np\n")
    assert cram.exit_code == 0 and "Cram: 2 card(s)" in cram.output
    assert [r[2] for r in logged_reviews(home_dir())][-2:] == ["cram", "cram"]
    assert len(due_items()) == 19  # cram did not spend the plan's budget


def test_deck_filters_narrow_the_same_plan():
    gd("plan", "--interview", "2026-03-09", "--per-day", "30")
    everything = [i["item"] for i in due_items()]
    quick = [i["item"] for i in due_items(None, "--deck", "quick-fire")]
    assert quick == [k for k in everything if k.startswith("quick-fire/")]


# -- gdgrill review -------------------------------------------------------------------------
def test_review_records_one_grade_and_says_what_comes_next():
    result = gd("review", "foundations/gd-update-rule", "--grade", "pass", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "item": "foundations/gd-update-rule", "verdict": "pass", "next_due": "2026-03-05", "checkpoint": 3,
    }
    miss = json.loads(gd("review", "foundations/gd-update-rule", "--grade", "fail", "--format", "json").stdout)
    assert (miss["next_due"], miss["checkpoint"]) == ("2026-03-03", 0)
    assert [(r[0], r[1], r[2]) for r in logged_reviews(home_dir())] == [
        ("foundations/gd-update-rule", "pass", "review"), ("foundations/gd-update-rule", "fail", "review"),
    ]
    text = gd("review", "foundations/gd-update-rule", "--grade", "p")
    assert "✓ pass — saved · next on 2026-03-03" in text.output  # a same-day pass after a miss: due tomorrow still


def test_a_quick_fire_answer_is_checked_and_a_dry_run_saves_nothing():
    ok = json.loads(gd("review", "quick-fire/adam-default-betas", "--answer", "0.9, 0.999", "--dry-run", "--format", "json").stdout)
    assert ok["verdict"] == "pass"
    wrong = json.loads(gd("review", "quick-fire/adam-default-betas", "--answer", "0.9, 0.99", "--dry-run", "--format", "json").stdout)
    assert wrong["verdict"] == "fail" and wrong["checkpoint"] == 0
    assert wrong["check"] == {"accepted": False, "read_as": "(0.9, 0.99)", "expected": "0.9, 0.999"}  # why it failed
    assert logged_reviews(home_dir()) == []
    saved = gd("review", "quick-fire/adam-default-betas", "--answer", "0.9, 0.99", "--format", "json")
    assert json.loads(saved.stdout)["verdict"] == "fail"
    [(item, grade, mode, answer, detail)] = logged_reviews(home_dir())
    assert (item, grade, mode, answer, json.loads(detail)) == ("quick-fire/adam-default-betas", "fail", "review", "0.9, 0.99", {"auto": True, "read_as": "(0.9, 0.99)"})


@pytest.mark.parametrize(
    "args, message",
    [
        (["nope/card", "--grade", "pass"], "unknown item 'nope/card'"),
        (["foundations/gd-update-rule", "--grade", "maybe"], "expected pass, easy or fail"),
        (["foundations/gd-update-rule", "--answer", "θ ← θ − η∇L"], "needs a grade"),
        (["foundations/gd-update-rule"], "give a grade"),
        (["drill/adam-bias", "--grade", "pass"], "gdgrill drill adam-bias --answer FILE"),
        ([], "give an ITEM"),
        (["foundations/gd-update-rule", "--grade", "pass", "--format", "xml"], "--format 'xml'"),
    ],
)
def test_bad_review_input_is_one_line_exit_2_and_nothing_is_recorded(args, message):
    result = gd("review", *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert logged_reviews(home_dir()) == []


def test_a_batch_is_recorded_in_one_transaction_with_one_result_per_line(tmp_path):
    lines = [
        {"item": "foundations/gd-update-rule", "grade": "pass"},
        {"item": "quick-fire/adam-default-betas", "answer": "(0.9, 0.999)"},
        {"item": "foundations/gd-update-rule", "grade": "fail"},
    ]
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n\n", encoding="utf-8")
    result = gd("review", "--batch", str(path), "--format", "json")
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(o["item"], o["verdict"], o["next_due"]) for o in out] == [
        ("foundations/gd-update-rule", "pass", "2026-03-05"),
        ("quick-fire/adam-default-betas", "pass", "2026-03-05"),
        ("foundations/gd-update-rule", "fail", "2026-03-03"),  # each line sees the lines before it
    ]
    with sqlite3.connect(home_dir() / "progress.db") as conn:
        stamps = {r[0] for r in conn.execute("SELECT reviewed_at FROM reviews")}
    assert len(logged_reviews(home_dir())) == 3 and len(stamps) >= 1


@pytest.mark.parametrize(
    "bad_line, message",
    [
        ('{"item": "foundations/gd-update-rule", "grade": "pass"', "line 2: malformed JSON"),
        ('{"item": "nope/x", "grade": "pass"}', "line 2: unknown item 'nope/x'"),
        ('{"item": "foundations/gd-update-rule", "grade": "great"}', "line 2: foundations/gd-update-rule: grade 'great'"),
        ('["foundations/gd-update-rule", "pass"]', "line 2: expected an object"),
        ('{"item": "foundations/gd-update-rule", "grade": "pass", "when": 1}', "line 2: unknown field 'when'"),
        ('{"grade": "pass"}', "line 2: 'item' must be"),
    ],
)
def test_a_bad_batch_line_names_its_line_and_records_nothing(bad_line, message):
    good = json.dumps({"item": "foundations/gd-update-rule", "grade": "pass"})
    result = gd("review", "--batch", "-", input=f"{good}\n{bad_line}\n{good}\n")
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert logged_reviews(home_dir()) == []


def test_a_batch_that_is_not_utf8_or_missing_or_empty_is_refused(tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"item": "quick-fire/adam-default-betas", "answer": "0.9"}\n{"item": "quick-fire/adam-default-betas", "answer": "caf\xe9"}\n')
    result = gd("review", "--batch", str(path))
    assert result.exit_code == 2 and "line 2: not UTF-8" in result.stderr
    assert gd("review", "--batch", str(tmp_path / "missing.jsonl")).exit_code == 2
    assert gd("review", "--batch", "-", input="\n\n").exit_code == 2
    assert gd("review", "x/y", "--batch", "-", input="").exit_code == 2
    assert logged_reviews(home_dir()) == []


# -- the plan in the report and the self-assessment ------------------------------------------------
def test_the_report_shows_the_plan_in_json_and_text():
    assert json.loads(gd("report", "--format", "json").stdout)["plan"] is None
    gd("plan", "--interview", "2026-03-16")
    report = json.loads(gd("report", "--format", "json").stdout)
    plan = report["plan"]
    assert {"interview", "days_left", "per_day", "projected_recall", "not_yet_introduced"} <= set(plan)
    assert (plan["interview"], plan["days_left"], plan["per_day"], plan["not_yet_introduced"]) == ("2026-03-16", 14, 40, SHIPPED_CARDS)
    assert plan["projected_recall"] == json.loads(gd("plan", "--format", "json").stdout)["plan"]["projected_recall"]
    text = gd("report").output
    assert "Plan: interview 2026-03-16" in text and "projected recall" in text
    assert "Plan: interview 2026-03-16" in gd("report", "--format", "md").output


def test_a_budget_too_small_says_what_will_not_be_covered_and_assess_never_promises_80_percent():
    gd("plan", "--interview", "2026-03-04", "--per-day", "20")  # 2 days x 20 = 40 of all the shipped cards
    shown = json.loads(gd("plan", "--format", "json").stdout)["plan"]
    assert len(shown["not_covered"]) == SHIPPED_CARDS - 40 and shown["projected_recall"] < 0.3
    assert shown["not_covered_by_tier"]["4"] > shown["not_covered_by_tier"].get("1", 0)  # phone-screen tiers kept first
    text = gd("plan").output
    assert f"Not covered: {SHIPPED_CARDS - 40} card(s)" in text
    advice = gd("assess", "--ratings", "3,3,3,3,3,3,3").output
    assert "Aim for 80 %" not in advice and "projects" in advice and "will not be reached" in advice
    gd("plan", "--clear")
    assert "Aim for 80 %" in gd("assess", "--ratings", "3,3,3,3,3,3,3").output


def test_the_quiz_under_a_plan_with_an_assessment_stays_off_yaml_torch_and_numpy():
    import subprocess
    import sys

    gd("plan", "--interview", "2026-03-16")
    gd("assess", "--ratings", "1,2,3,4,5,3,2")
    gd("quiz", "--limit", "1", input="q\n")  # warms the deck and assessment caches, as yesterday's quiz did
    code = (
        "import sys, runpy; sys.argv=['gdgrill','quiz','--limit','1'];\n"
        "try:\n    runpy.run_module('gdgrill', run_name='__main__')\nexcept SystemExit: pass\n"
        "heavy = sorted(m for m in ('torch', 'numpy', 'yaml', 'fsrs') if m in sys.modules); print('HEAVY', heavy, file=sys.stderr)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, input="")
    assert "interview on 2026-03-16" in result.stdout
    assert "HEAVY []" in result.stderr, result.stderr


def test_a_weak_self_assessed_area_comes_first_when_the_budget_is_short():
    gd("plan", "--interview", "2026-03-03", "--per-day", "10")  # one day, ten cards
    gd("assess", "--ratings", "5,5,5,5,5,5,5")
    baseline = [i["item"] for i in due_items()]
    gd("assess", "--ratings", "5,5,1,5,5,5,5")  # schedules and warmup: weak
    weak_first = [i["item"] for i in due_items()]
    assert weak_first != baseline
    assert sum(k.startswith("schedules/") for k in weak_first) > sum(k.startswith("schedules/") for k in baseline)


def test_a_plan_months_away_shows_two_weeks_by_day_then_a_week_a_row():
    assert gd("plan", "--interview", "2026-09-01").exit_code == 0  # 183 days after 2026-03-02
    shown = gd("plan").stdout
    daily = [line for line in shown.splitlines() if line.startswith("  2026-") and " … " not in line]
    weekly = [line for line in shown.splitlines() if " … " in line]
    assert len(daily) == 14 and daily[0].startswith("  2026-03-02") and daily[-1].startswith("  2026-03-15")
    assert weekly[0].startswith("  2026-03-16 … 03-22") and len(weekly) == -(-(183 - 14) // 7)
    assert len(shown.splitlines()) < 50


def test_review_takes_a_bare_card_id_and_names_the_card_a_typo_meant():
    ok = json.loads(gd("review", "gd-update-rule", "--grade", "pass", "--dry-run", "--format", "json").stdout)
    assert ok["item"] == "foundations/gd-update-rule"
    typo = gd("review", "foundations/gd-updte-rule", "--grade", "pass")
    assert typo.exit_code == 2 and "did you mean foundations/gd-update-rule?" in typo.stderr
    assert logged_reviews(home_dir()) == []
