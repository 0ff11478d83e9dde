"""The quiz, scripted through Typer's runner with answers one per line."""

from __future__ import annotations

from datetime import date, timedelta

from typer.testing import CliRunner

from gdgrill.cli import app
from gdgrill.decks import load_library
from gdgrill.paths import home_dir
from gdgrill.quiz import pass_threshold, plan_session
from gdgrill.scheduler import Grade, Review, card_state
from gdgrill.store import open_store

runner = CliRunner()
TODAY = date(2026, 3, 2)


def quiz(sample_decks, keys: str, *args: str):
    return runner.invoke(app, ["quiz", "--decks", str(sample_decks), "--deck", "sample", *args], input=keys)


def log(item=None):
    with open_store(home_dir()) as store:
        return store.log(item)


def test_a_scripted_session_grades_and_saves_every_card(sample_decks):
    # betas: typed and auto-checked; momentum: 2 of 3 key points; stability: 1 of 2 key points.
    result = quiz(sample_decks, "0.9, 0.999\n\n\n1 2\n\n1\n")
    assert result.exit_code == 0, result.output
    assert "0 card(s) due, 3 new" in result.output
    assert "3 graded and saved (2 passed, 1 missed, 0 skipped)" in result.output
    rows = log()
    assert [(r.item, r.grade, r.mode) for r in rows] == [
        ("sample/betas", "pass", "quiz"),
        ("sample/momentum", "pass", "quiz"),
        ("sample/stability", "fail", "quiz"),
    ]
    assert rows[0].answer == "0.9, 0.999" and rows[0].detail == {"auto": True}
    assert rows[1].detail == {"key_points": 3, "key_points_hit": [1, 2]}


def test_a_wrong_quick_fire_answer_is_a_miss_unless_overridden(sample_decks):
    result = quiz(sample_decks, "0.9, 0.99\n\n", "--limit", "1")
    assert "not accepted" in result.output and log()[0].grade == "fail"
    result = runner.invoke(
        app, ["quiz", "--decks", str(sample_decks), "--deck", "sample", "--cram", "--limit", "1"], input="0.9 0.99\no\n"
    )
    assert log()[-1].grade == "pass" and log()[-1].detail == {"auto": True, "override": True}


def test_the_pass_rule_needs_most_key_points():
    assert [pass_threshold(n) for n in (1, 2, 3, 4, 5)] == [1, 2, 2, 3, 3]


def test_a_miss_brings_the_card_back_tomorrow(sample_decks, monkeypatch):
    quiz(sample_decks, "\nf\n", "--limit", "1")
    monkeypatch.setenv("GDGRILL_TODAY", "2026-03-03")
    result = quiz(sample_decks, "", "--limit", "1")
    assert "1 card(s) due" in result.output


def test_due_cards_come_before_new_ones_and_new_cards_are_capped_per_day(sample_decks):
    cards = load_library([sample_decks]).select(["sample"])
    states = {cards[2].key: card_state([Review(TODAY - timedelta(days=5), Grade.FAIL)])}
    plan = plan_session(cards, states, TODAY, new_per_day=1)
    assert [c.id for c in plan.cards] == ["stability", "betas"]
    assert plan_session(cards, states, TODAY, new_per_day=3, introduced_today=2).new == [cards[0]]


def test_most_overdue_first(sample_decks):
    cards = load_library([sample_decks]).select(["sample"])
    states = {
        cards[0].key: card_state([Review(TODAY - timedelta(days=2), Grade.FAIL)]),
        cards[1].key: card_state([Review(TODAY - timedelta(days=9), Grade.FAIL)]),
    }
    assert [c.id for c in plan_session(cards, states, TODAY).due] == ["momentum", "betas"]


def test_skip_leaves_the_card_due_and_undo_takes_back_the_last_grade(sample_decks):
    # betas: Enter reveals, 'f' (miss); momentum: 'u' undoes the betas miss, so betas is asked again
    # and passed; then momentum is skipped; then quit.
    result = quiz(sample_decks, "\nf\n\nu\n\np\n\ns\n\nq\n")
    assert result.exit_code == 0, result.output
    grades = [(r.item, r.grade) for r in log()]
    assert grades == [("sample/betas", "fail"), ("sample/betas", "undo"), ("sample/betas", "pass")]
    with open_store(home_dir()) as store:
        state = store.states()["sample/betas"]
    assert state.due == TODAY + timedelta(days=3) and state.lapses == 0
    assert "1 graded and saved (1 passed, 0 missed, 1 skipped)" in result.output
    assert result.output.count("[1/3]") == 2 and "[1/4]" not in result.output  # asked again in its place


def test_cram_practises_without_touching_the_schedule(sample_decks):
    quiz(sample_decks, "\np\n", "--limit", "1")
    with open_store(home_dir()) as store:
        before = store.states()
    result = quiz(sample_decks, "\nf\n\nf\n\nf\n", "--cram")
    assert result.exit_code == 0 and "schedule is not touched" in result.output
    assert [r.mode for r in log()][1:] == ["cram"] * 3
    with open_store(home_dir()) as store:
        assert store.states() == before


def test_end_of_input_ends_the_session_calmly(sample_decks):
    result = quiz(sample_decks, "\np\n")
    assert result.exit_code == 0 and "1 graded and saved" in result.output


def test_tier_filter_and_limit(sample_decks):
    result = quiz(sample_decks, "\np\n", "--tier", "3")
    assert "0 card(s) due, 1 new" in result.output and log()[0].item == "sample/stability"


def test_nothing_due_says_when_the_next_card_is(sample_decks):
    quiz(sample_decks, "0.9 0.999\n\n\na\n\na\n")
    result = quiz(sample_decks, "")
    assert "No cards due. Next: 3 card(s) on 2026-03-05." in result.output
    assert "Practise anyway: gdgrill quiz --deck sample --cram" in result.output  # the same selection


def test_a_selection_that_matches_no_card_says_so_and_does_not_advise_cramming_it(sample_decks):
    result = quiz(sample_decks, "", "--tier", "4", "--cram")
    assert result.exit_code == 2
    assert "no card matches --deck sample --tier 4 (deck sample has tiers 1, 2, 3)" in result.stderr
    assert "--cram" not in result.output


def test_the_header_counts_cards_and_names_a_due_drill(sample_decks):
    with open_store(home_dir()) as store:
        store.record_review("drill/adam-bias", Grade.FAIL, "drill", day=date(2026, 3, 1))
        for key in ("sample/betas", "sample/momentum", "sample/stability"):
            store.record_review(key, Grade.PASS, "quiz", day=date(2026, 3, 2))
    result = quiz(sample_decks, "")
    assert "2026-03-02: 0 card(s) due, 0 new · 1 drill(s) due: gdgrill drill adam-bias." in result.output
    assert "No cards due (the drills above are)." in result.output


def test_the_checkpoint_prompt_of_the_cards_rung_is_shown(sample_decks, monkeypatch):
    result = quiz(sample_decks, "", "--tier", "2")
    assert "Recall the heavy-ball update." in result.output
    quiz(sample_decks, "\np\n", "--tier", "2")
    monkeypatch.setenv("GDGRILL_TODAY", "2026-03-05")
    result = quiz(sample_decks, "", "--tier", "2")
    assert "Explain it without notes in three sentences." in result.output and "day-3 checkpoint" in result.output


def test_an_unknown_deck_is_a_one_line_error(sample_decks):
    result = runner.invoke(app, ["quiz", "--deck", "nope"], input="")
    assert result.exit_code == 2 and "no deck named 'nope'" in result.stderr


def test_a_curve_card_draws_the_stored_run_before_the_question_and_describes_it_after(tmp_path):
    folder = tmp_path / "curvedeck"
    folder.mkdir()
    (folder / "c.yaml").write_text(
        "deck: {id: c, title: C, description: Curve cards.}\n"
        "cards:\n"
        "  - id: step\n"
        "    question: This run's loss curve is shown above. What happened at the drop?\n"
        "    answer: The learning rate was cut tenfold at the milestone.\n"
        "    key_points: [step decay milestone, lower LR resolves the noise floor]\n"
        "    curve: step-decay-plateau\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["quiz", "--decks", str(folder), "--deck", "c"], input="\np\n")
    assert result.exit_code == 0, result.output
    before, after = result.output.split("model answer", 1)
    assert "step 0" in before and "shown above" in before
    assert "(step 400)" not in before  # the milestone marker would give the answer away
    assert "The run:" in after and "The run:" not in before


def test_odd_digits_at_the_grade_prompt_are_asked_again_not_a_crash(sample_decks):
    result = quiz(sample_decks, "\n1²\n9\n1 2\n", "--tier", "2")
    assert result.exit_code == 0, result.output
    assert "key points are numbered 1-3" in result.output and log()[0].grade == "pass"


def test_a_blank_answer_in_timed_mode_is_a_miss(sample_decks):
    result = quiz(sample_decks, "\np\n", "--timed", "600")
    assert "no answer typed" in result.output and log()[0].grade == "fail"


def test_timed_refuses_nan_and_inf(sample_decks):
    for bad in ("nan", "inf"):
        result = quiz(sample_decks, "", "--timed", bad)
        assert result.exit_code == 2 and "positive number of seconds" in result.stderr


def test_drills_and_grill_misses_do_not_use_up_the_new_card_allowance(sample_decks):
    with open_store(home_dir()) as store:
        store.record_review("drill/adam", Grade.FAIL, "drill", day=TODAY)
        store.record_review("other/x", Grade.FAIL, "grill", day=TODAY)
        assert store.introduced_on(TODAY) == 0
        store.record_review("sample/betas", Grade.PASS, "quiz", day=TODAY)
        assert store.introduced_on(TODAY) == 1


def test_a_new_user_starts_with_tier_one_foundations():
    result = runner.invoke(app, ["quiz", "--limit", "1"], input="")
    assert "[1/1] foundations · tier 1 · new card" in result.output


def test_lowering_the_new_card_allowance_below_what_was_introduced_today_offers_no_new_card(monkeypatch):
    first = runner.invoke(app, ["quiz", "--deck", "foundations", "--limit", "3"], input="x\nf\n" * 3)
    assert "3 graded and saved" in first.output  # three new cards introduced today
    monkeypatch.setenv("GDGRILL_NEW_PER_DAY", "1")
    result = runner.invoke(app, ["quiz", "--deck", "foundations"], input="")
    assert result.exit_code == 0, result.output
    assert "2026-03-02: 0 card(s) due, 0 new." in result.output and len(log()) == 3


def test_no_new_card_once_more_were_introduced_than_the_allowance(sample_decks):
    cards = load_library([sample_decks]).select(["sample"])
    assert plan_session(cards, {}, TODAY, new_per_day=1, introduced_today=2).new == []
    assert plan_session(cards, {}, TODAY, new_per_day=2, introduced_today=2, limit=5).new == []
