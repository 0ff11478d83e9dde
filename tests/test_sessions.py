"""practice, assess, grill and timed quick-fire, end to end through the CLI runner."""

from __future__ import annotations

import json
from datetime import date

from typer.testing import CliRunner

from gdgrill.cli import app, optional_values
from gdgrill.grill import QUESTIONS, pick_questions, score
from gdgrill.decks import load_library
from gdgrill.paths import home_dir
from gdgrill.scheduler import Grade
from gdgrill.store import open_store

runner = CliRunner()


def store():
    return open_store(home_dir())


def test_practice_lists_problems_and_saves_a_rating_with_the_hints_used():
    listing = runner.invoke(app, ["practice"])
    assert listing.exit_code == 0 and "llm-loss-spikes" in listing.output
    result = runner.invoke(app, ["practice", "scale-batch-8x"], input="h\nh\nh\nh\nr\nl\n")
    assert result.exit_code == 0, result.output
    assert "Hint 3/3" in result.output and "no more hints" in result.output and "Lean hire" in result.output
    with store() as s:
        [rating] = s.practice_ratings()
    assert (rating["problem"], rating["rating"], rating["hints_used"]) == ("scale-batch-8x", "lean", 3)
    report = json.loads(runner.invoke(app, ["report", "--format", "json"]).stdout)
    assert report["practice"][0]["rating"] == "lean"


def test_practice_without_a_rating_saves_nothing_and_unknown_ids_are_one_line():
    runner.invoke(app, ["practice", "scale-batch-8x"], input="q\n")
    with store() as s:
        assert s.practice_ratings() == []
    result = runner.invoke(app, ["practice", "nope"])
    assert result.exit_code == 2 and "no practice problem 'nope'" in result.stderr


def test_assess_places_the_total_in_a_band_and_the_report_shows_the_trend():
    first = runner.invoke(app, ["assess"], input="1\n2\n2\n1\n2\n1\n1\n")
    assert first.exit_code == 0, first.output
    assert "Total 10/35" in first.output and "Build the floor first" in first.output
    second = runner.invoke(app, ["assess", "--ratings", "4,4,4,3,4,3,4"])
    assert "Total 26/35 (last time 10)" in second.output
    report = json.loads(runner.invoke(app, ["report", "--format", "json"]).stdout)
    assert [a["total"] for a in report["assessments"]] == [10, 26]
    bad = runner.invoke(app, ["assess", "--ratings", "9,9"])
    assert bad.exit_code == 2 and "expected 7 whole numbers" in bad.stderr


def test_an_unfinished_assessment_saves_nothing():
    result = runner.invoke(app, ["assess"], input="3\n3\n")
    assert result.exit_code == 2 and "nothing saved" in result.stderr
    with store() as s:
        assert s.assessments() == []


def test_grill_picks_fifty_distinct_cards_tier_one_first():
    cards = load_library().cards
    picked = pick_questions(cards, seed=3)
    assert len(picked) == QUESTIONS == len({c.key for c in picked})
    assert {c.tier for c in picked[:10]} == {1} and {c.tier for c in picked[10:20]} == {2}
    assert {c.tier for c in picked[30:]} <= {3, 4}
    assert [c.key for c in pick_questions(cards, seed=3)] == [c.key for c in picked]


def test_grill_scores_bands_and_flags_those_with_more_than_a_quarter_missed():
    grades = [Grade.PASS] * 10 + [Grade.FAIL] * 3 + [Grade.PASS] * 7 + [Grade.PASS] * 7 + [None] * 23
    total, bands = score(grades)
    assert total == 24
    assert [b.flagged for b in bands] == [False, True, True, True]


def test_a_grill_run_saves_its_score_and_brings_misses_back_tomorrow(monkeypatch):
    # 'p' passes a card after an empty answer, 'f' fails it, 's' skips: pass the first ten,
    # fail the next five and skip the rest (skips score as misses but leave the ladder alone).
    keys = "\np\n" * 10 + "\nf\n" * 5 + "\ns\n" * 35
    result = runner.invoke(app, ["grill", "--seed", "1"], input=keys)
    assert result.exit_code == 0, result.output
    assert "10/50" in result.output and "questions 11-20: 0/10" in result.output
    assert "5 missed" in result.output and "35 skipped" in result.output
    with store() as s:
        [g] = s.grills()
        states = s.states()
        rows = s.log()
    assert (g["score"], g["total"]) == (10, 50) and g["bands"][1]["flagged"] is True and g["bands"][0]["flagged"] is False
    missed = [r.item for r in rows if r.grade == "fail"]
    passed = [r.item for r in rows if r.grade == "pass"]
    assert len(missed) == 5 and all(states[k].due == date(2026, 3, 3) for k in missed)
    assert all(k not in states for k in passed)  # a grill pass leaves the schedule alone


def test_quitting_a_grill_keeps_the_grades_but_records_no_score():
    result = runner.invoke(app, ["grill", "--seed", "1"], input="\np\n\nf\n\nq\n")
    assert result.exit_code == 0 and "stopped after 2 of 50; not scored" in result.output
    with store() as s:
        assert s.grills() == [] and len(s.log()) == 2


def test_the_grill_needs_fifty_cards(sample_decks):
    result = runner.invoke(app, ["grill", "--deck", "sample", "--decks", str(sample_decks)], input="")
    assert result.exit_code == 2 and "needs 50 cards" in result.stderr


def test_timed_quick_fire_counts_a_late_answer_as_a_miss_and_reports_the_pace(sample_decks):
    result = runner.invoke(
        app, ["quiz", "--decks", str(sample_decks), "--deck", "sample", "--timed", "0.000001"], input="0.9, 0.999\n\n"
    )
    assert result.exit_code == 0, result.output
    assert "too slow" in result.output and "answers per minute" in result.output
    with store() as s:
        [row] = s.log()
    assert (row.item, row.grade, row.mode) == ("sample/betas", "fail", "timed")
    assert "timed_out" in row.detail


def test_timed_quick_fire_in_time_is_graded_normally_and_only_auto_checked_cards_are_asked(sample_decks):
    result = runner.invoke(
        app, ["quiz", "--decks", str(sample_decks), "--deck", "sample", "--timed", "600"], input="0.9, 0.999\n\n"
    )
    assert "0 card(s) due, 1 new" in result.output and "100% accurate" in result.output


def test_a_bare_timed_flag_takes_the_decks_default():
    assert optional_values(["quiz", "--timed"]) == ["quiz", "--timed", "0"]
    assert optional_values(["quiz", "--timed", "--limit", "3"]) == ["quiz", "--timed", "0", "--limit", "3"]
    assert optional_values(["quiz", "--timed", "12"]) == ["quiz", "--timed", "12"]
    result = runner.invoke(app, ["quiz", "--timed", "0", "--limit", "1"], input="")
    assert "⏱ 10 s" in result.output  # the quick-fire deck's timed_seconds


def test_assess_points_the_lowest_rated_areas_at_runnable_quiz_commands():
    result = runner.invoke(app, ["assess", "--ratings", "5,5,5,5,1,5,2"])
    plan = result.output[result.output.index("Start here") :]
    first, second = plan.index("(1/5)"), plan.index("(2/5)")
    assert first < second and "(5/5)" not in plan
    command = plan[first:].split(": ", 1)[1].split("\n")[0].split("│")[0].strip()
    tags = command.split("--tag")[1:]
    assert command.startswith("gdgrill quiz --tag") and tags
    quiz = runner.invoke(app, command.split()[1:] + ["--limit", "1"], input="")
    assert quiz.exit_code == 0 and "1 new" in quiz.output


def test_quiz_by_tag_and_timed_mode_without_auto_checked_cards(sample_decks):
    result = runner.invoke(app, ["quiz", "--decks", str(sample_decks), "--deck", "sample", "--tag", "momentum"], input="")
    assert "0 card(s) due, 1 new" in result.output and "heavy-ball" in result.output
    result = runner.invoke(app, ["quiz", "--tag", "no-such-tag"], input="")
    assert result.exit_code == 2 and "no card is tagged" in result.stderr
    result = runner.invoke(app, ["quiz", "--deck", "optimizers", "--timed", "0"], input="")
    assert result.exit_code == 2 and "auto-checked" in result.stderr


def test_assess_refuses_odd_digits_in_one_line():
    result = runner.invoke(app, ["assess", "--ratings", "3,3,3,3,3,3,²"])
    assert result.exit_code == 2 and "expected 7 whole numbers" in result.stderr


ADAM_RIGHT = "m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^t))/(sqrt(v/(1-b2^t)) + eps)\n"
ADAM_NO_CORRECTION = "m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*m/(sqrt(v)+eps)\n"


def test_a_drill_says_where_it_stands_on_the_ladder_after_each_attempt():
    first = runner.invoke(app, ["drill", "adam-bias", "--answer", "-", "--no-torch"], input=ADAM_RIGHT)
    assert "next attempt due 2026-03-05 (day-3 checkpoint)" in first.output
    miss = runner.invoke(app, ["drill", "adam", "--answer", "-", "--no-torch"], input=ADAM_NO_CORRECTION)
    assert miss.exit_code == 1 and "next attempt due 2026-03-03 (day-0 checkpoint)" in miss.output
    retry = runner.invoke(app, ["drill", "adam-bias", "--answer", "-", "--no-torch"], input=ADAM_RIGHT)
    assert "next attempt due 2026-03-05" in retry.output  # an early pass does not climb twice
