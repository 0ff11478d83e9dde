"""The daily quiz's session rules: relearning a miss, the easy grade, long answers that
fit the screen, honest checkpoint labels, timed mode's edges, and typed text that
cannot crash a save."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from gdgrill.cli import app
from gdgrill.console import THEME
from gdgrill.decks import load_library
from gdgrill.paths import home_dir
from gdgrill.quiz import QuizSession
from gdgrill.scheduler import Grade
from gdgrill.store import open_store
from helpers import Clock

runner = CliRunner()
TODAY = date(2026, 3, 2)


def quiz(sample_decks, keys: str | bytes, *args: str):
    return runner.invoke(app, ["quiz", "--decks", str(sample_decks), "--deck", "sample", *args], input=keys)


def log():
    with open_store(home_dir()) as store:
        return store.log()


def states():
    with open_store(home_dir()) as store:
        return store.states()


# -- relearning ----------------------------------------------------------------------------


def test_a_missed_card_comes_back_once_at_the_end_and_the_ladder_moves_once(sample_decks):
    # betas right, momentum missed (f), stability passed; then momentum again: passed.
    result = quiz(sample_decks, "0.9, 0.999\n\n\nf\n\np\n\np\n")
    assert result.exit_code == 0, result.output
    assert "Relearning: the 1 card(s) you missed come back once more" in result.output
    assert "[4/4] sample · tier 2 · relearning: missed earlier today" in result.output
    rows = [(r.item, r.grade, r.mode) for r in log()]
    assert rows == [
        ("sample/betas", "pass", "quiz"),
        ("sample/momentum", "fail", "quiz"),
        ("sample/stability", "pass", "quiz"),
        ("sample/momentum", "pass", "relearn"),  # recorded...
    ]
    momentum = states()["sample/momentum"]
    assert (momentum.due, momentum.rung, momentum.lapses) == (TODAY + timedelta(days=1), 0, 1)  # ...but still due tomorrow
    assert "3 graded and saved (2 passed, 1 missed, 0 skipped); relearned 1 of 1" in result.output


def test_a_relearning_miss_is_not_a_second_lapse_and_comes_back_no_more(sample_decks):
    result = quiz(sample_decks, "\nf\n\nf\n", "--tier", "2")
    assert result.output.count("relearning: missed earlier today") == 1
    assert "relearned 0 of 1" in result.output and "stopped" not in result.output
    with open_store(home_dir()) as store:
        summary = store.summaries(TODAY)["sample/momentum"]
    assert summary.state.lapses == 1 and summary.all_time.fails == 1  # the relearn miss counts for neither


def test_undoing_the_miss_takes_the_card_off_the_relearning_list(sample_decks):
    # momentum missed; at stability's grade prompt, u takes the miss back; momentum passed.
    result = quiz(sample_decks, "0.9, 0.999\n\n\nf\n\nu\n\np\n\np\n")
    assert "undone: miss on sample/momentum" in result.output
    assert "Relearning" not in result.output
    rows = [(r.item, r.grade) for r in log() if r.grade != "undo" and r.id not in {u.undoes for u in log()}]
    assert rows == [("sample/betas", "pass"), ("sample/momentum", "pass"), ("sample/stability", "pass")]


def test_a_grill_does_not_relearn(sample_decks):
    result = runner.invoke(app, ["grill", "--decks", str(sample_decks), "--deck", "sample"], input="\nf\n\nf\n\nf\n")
    assert "Relearning" not in result.output


# -- the easy grade ------------------------------------------------------------------------


def test_easy_skips_the_next_checkpoint_and_counts_as_a_pass(sample_decks):
    result = quiz(sample_decks, "\ne\n", "--tier", "2")
    assert "✓ easy — saved · next on 2026-03-09 (day-7 checkpoint) (easy: one checkpoint skipped)" in result.output
    assert [r.grade for r in log()] == ["easy"]
    assert states()["sample/momentum"].checkpoint_day == 7
    report = runner.invoke(app, ["report", "--format", "json", "--decks", str(sample_decks)])
    assert '"pass_rate_7d": 1.0' in report.output


def test_a_correct_quick_fire_answer_can_be_graded_easy(sample_decks):
    result = quiz(sample_decks, "0.9, 0.999\ne\n", "--tier", "1")
    assert [r.grade for r in log()] == ["easy"] and "✓ easy" in result.output


def test_the_grade_prompt_names_the_easy_key(sample_decks):
    result = quiz(sample_decks, "\n", "--tier", "2")
    assert "p pass · e easy · f fail · s skip · u undo · q quit" in result.output


# -- answers that fit ------------------------------------------------------------------------


def session(sample_decks, keys: list[str], *, height: int = 30, width: int = 80, answer_lines: int | None = None):
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=width, height=height, theme=THEME, color_system=None)
    library = load_library([sample_decks])
    replies = iter(keys)

    def read_line(prompt: str) -> str:
        try:
            reply = next(replies)
        except StopIteration:
            raise EOFError from None
        console.print(prompt + reply)  # as the terminal echoes it
        return reply

    with open_store(home_dir()) as store:
        s = QuizSession(store, console, read_line, TODAY, {}, answer_lines=answer_lines, pager=False)
        s.run([library.card("sample/momentum")])
    return buffer.getvalue()


def test_a_long_answer_shows_its_key_points_first_and_m_shows_the_rest(sample_decks):
    text = session(sample_decks, ["", "m", "p"], answer_lines=3)
    first = text.index("model answer · key points first")
    assert "press m to read it" in text
    assert text.index("zig-zag components cancel") > first
    assert "It averages the gradient" not in text[:first]
    full = text.index("It averages the gradient")  # shown after m
    assert full > text.index("press m to read it")
    assert "✓ pass" in text[full:]


def test_an_answer_that_fits_is_shown_whole_at_once(sample_decks):
    text = session(sample_decks, ["", "p"], answer_lines=40)
    assert "key points first" not in text and "It averages the gradient" in text and "m full answer" not in text


def test_wrapped_key_points_stay_indented_and_nothing_passes_80_columns(sample_decks, tmp_path):
    deck = (sample_decks / "sample.yaml").read_text(encoding="utf-8")
    long_point = "the consistent direction accumulates across many steps so the effective step grows as 1/(1-β)"
    (sample_decks / "sample.yaml").write_text(deck.replace("consistent direction accumulates", long_point), encoding="utf-8")
    text = session(sample_decks, ["", "p"], answer_lines=40)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    i = next(k for k, line in enumerate(lines) if "2. the consistent direction" in line)
    start = lines[i].index("the consistent")
    assert lines[i + 1][start - 1] == " " and lines[i + 1][start] != " "  # the continuation under the text


# -- checkpoint labels ------------------------------------------------------------------------


def test_a_checkpoint_label_promises_nothing_the_card_does_not_ask(sample_decks):
    quiz(sample_decks, "\np\n\np\n", "--tier", "3")  # stability: new, then passed
    quiz(sample_decks, "\np\n", "--tier", "2")
    later = runner.invoke(
        app, ["quiz", "--decks", str(sample_decks), "--deck", "sample"], input="\np\n\np\n", env={"GDGRILL_TODAY": "2026-03-05"}
    )
    assert "explain it without notes" not in later.output.split("Explain it without notes")[0]
    assert "sample · tier 3 · day-3 checkpoint (2 of 5)\n" in later.output  # no prompt of its own: a plain label
    assert "sample · tier 2 · day-3 checkpoint (2 of 5) · a new task below" in later.output
    assert "Explain it without notes in three sentences." in later.output  # the card's own day-3 prompt


# -- timed mode ------------------------------------------------------------------------------




def timed_session(sample_decks, keys: list[str]):
    buffer = io.StringIO()
    console = Console(file=buffer, width=100, theme=THEME, color_system=None)
    library = load_library([sample_decks])
    replies = iter(keys)

    def read_line(prompt: str) -> str:
        console.print(prompt, end="")
        try:
            return next(replies)
        except StopIteration:
            raise EOFError from None

    with open_store(home_dir()) as store:
        s = QuizSession(store, console, read_line, TODAY, {}, mode="timed", time_limit=5, clock=Clock(30.0))
        s.run([library.card("sample/betas")])
        rows = store.log()
    return s, buffer.getvalue(), rows


def test_too_slow_then_a_wrong_key_says_so_and_q_saves_the_miss_before_stopping(sample_decks):
    s, text, rows = timed_session(sample_decks, ["0.9, 0.999", "x", "q"])
    assert "too slow" in text and "? 'x':" in text
    assert [(r.grade, r.mode) for r in rows] == [("fail", "timed")]
    assert s.stopped and s.timed_cards == 1


def test_a_timed_round_that_graded_nothing_reports_no_pace():
    from gdgrill.quiz import Tally, closing_lines

    class Stub:
        tally, time_limit, timed_cards, answer_seconds, planned = Tally(), 5.0, 0, 0.0, False

    assert not [line for line in closing_lines(Stub(), {}, [], TODAY) if "answers per minute" in line]


def test_timed_with_a_word_for_seconds_is_refused_as_a_value():
    result = runner.invoke(app, ["quiz", "--timed", "abc"])
    assert result.exit_code == 2 and "unexpected extra argument" not in result.output.lower()


# -- what the user types ----------------------------------------------------------------------


def test_non_utf8_bytes_in_an_answer_are_saved_not_a_crash(sample_decks):
    result = quiz(sample_decks, b"caf\xe9 0.9\n\n", "--tier", "1")
    assert result.exit_code == 0, result.output
    assert log()[0].answer == "caf\ufffd 0.9"


def test_arrow_key_escape_codes_never_reach_the_judge_or_the_log(sample_decks):
    result = quiz(sample_decks, "0.9, 0.99\x1b[D\x1b[D\x1b[C9\x1b[H\x1b[F\x1bOH\n\n", "--tier", "1")
    assert log()[0].answer == "0.9, 0.999"
    assert "✓ correct" in result.output


# -- leeches ---------------------------------------------------------------------------------


def test_the_fourth_miss_of_a_card_offers_what_to_try_instead(sample_decks):
    with open_store(home_dir()) as store:
        for d in range(3):  # three misses on earlier days
            store.record_review("sample/momentum", Grade.FAIL, "quiz", day=TODAY - timedelta(days=3 - d))
    result = quiz(sample_decks, "\nf\n\nf\n", "--tier", "2")
    assert "Leech: sample/momentum missed 4 times" in result.output
    assert "or set it aside: gdgrill decks suspend sample/momentum" in result.output
    assert result.output.count("Leech:") == 1  # the relearning miss does not say it again


def test_a_third_miss_is_not_a_leech_yet(sample_decks):
    with open_store(home_dir()) as store:
        for d in range(2):
            store.record_review("sample/momentum", Grade.FAIL, "quiz", day=TODAY - timedelta(days=3 - d))
    result = quiz(sample_decks, "\nf\n", "--tier", "2")
    assert "Leech" not in result.output


def test_q_at_the_answer_prompt_quits_and_a_hit_count_is_shown(sample_decks):
    result = quiz(sample_decks, "\n1\nq\n", "--tier", "2")
    assert "✗ miss (1 of 3 key points) — saved" in result.output
    assert "stopped; every grade so far is saved" in result.output  # q at the relearning card's answer prompt
    assert [(r.answer, r.mode) for r in log()] == [(None, "quiz")]  # 'q' ended the session; it was not taken as an answer


def test_relearning_in_cram_does_not_claim_a_schedule(sample_decks):
    result = quiz(sample_decks, "\nf\n\np\n", "--tier", "2", "--cram")
    assert "the schedule is not touched" in result.output and "due tomorrow" not in result.output


def test_a_used_up_new_card_allowance_is_said_not_silent(sample_decks):
    quiz(sample_decks, "\np\n", "--tier", "2", "--new", "1")
    result = quiz(sample_decks, "", "--new", "1")
    assert "No new cards: today's allowance of 1 is used (1 introduced); 2 wait for tomorrow" in result.output


def test_no_relearn_leaves_the_missed_card_for_tomorrow_only(sample_decks):
    result = quiz(sample_decks, "\nf\n", "--tier", "2", "--no-relearn")
    assert "Relearning" not in result.output and "stopped" not in result.output
