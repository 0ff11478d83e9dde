"""Practice answers are kept: typed or pasted before the reveal, saved with the self-rating,
read again with --history beside the model answer."""

from __future__ import annotations

import os
import sqlite3
import sys
from datetime import date
from io import StringIO

import pexpect
import pytest
from rich.console import Console
from typer.testing import CliRunner

from gdgrill.cli import app
from gdgrill.content import load_problems
from gdgrill.paths import home_dir
from gdgrill.practice import render_history, render_problem_list, run_practice
from gdgrill.store import open_store

TODAY = date(2026, 3, 2)
PROBLEM = "scale-batch-8x"
runner = CliRunner()


def problem(pid: str = PROBLEM):
    return next(p for p in load_problems() if p.id == pid)


def reader(*replies: str):
    """A read_line that types the given lines, then hits end of input (EOFError) for ever."""
    queue = list(replies)
    prompts: list[str] = []

    def read_line(prompt: str) -> str:
        prompts.append(prompt)
        if not queue:
            raise EOFError
        reply = queue.pop(0)
        if reply is EOFError:
            raise EOFError
        return reply

    read_line.prompts = prompts  # type: ignore[attr-defined]
    return read_line


def practise(*replies, width: int = 80, **options):
    console = Console(file=StringIO(), width=width, color_system=None)
    with open_store(home_dir()) as store:
        result = run_practice(problem(), store, console, reader(*replies), TODAY, **options)
        rows = store.practice_ratings()
    return result, rows, console.file.getvalue()


def saved_rows():
    with open_store(home_dir()) as store:
        return store.practice_ratings()


# -- typing an answer ------------------------------------------------------------------------


def test_a_typed_multiline_answer_is_saved_with_its_rating_and_the_hints_used():
    result, rows, screen = practise(
        "", "Scale the LR by 8 (linear rule) for SGD.", "", "  - warm up over ~5 epochs", "h", "  - convert step schedules   ", ".", "l"
    )
    assert "End it with a line holding only '.' (or Ctrl-D)" in screen and "Hint 1/3" in screen
    [row] = rows
    assert (row["problem"], row["rating"], row["hints_used"], row["day"]) == (PROBLEM, "lean", 1, "2026-03-02")
    # leading blank line and trailing spaces dropped; inner blank line and indentation kept; the h line is no part of it
    assert row["answer"] == "Scale the LR by 8 (linear rule) for SGD.\n\n  - warm up over ~5 epochs\n  - convert step schedules"
    assert result.saved and "saved: Lean hire, 1 hint, your answer of 4 lines" in screen


def test_a_pasted_block_arriving_as_one_string_is_split_into_its_lines():
    # a line editor may hand over a whole pasted block, newlines and all
    _, rows, _ = practise("first line\r\nsecond line\nthird\n.", "s")
    assert rows[0]["answer"] == "first line\nsecond line\nthird" and rows[0]["rating"] == "strong"


def test_ctrl_d_ends_the_answer_and_the_rating_is_still_asked():
    _, rows, screen = practise("my answer", EOFError, "n")
    assert "model answer" in screen and rows[0]["answer"] == "my answer" and rows[0]["rating"] == "no_hire"


def test_r_reveals_without_an_answer_as_before_and_the_rating_is_saved_without_one():
    _, rows, screen = practise("h", "h", "r", "s")
    assert rows[0]["answer"] is None and rows[0]["hints_used"] == 2
    assert "no answer typed" in screen


def test_non_utf8_bytes_in_a_typed_answer_are_saved_as_replacement_characters():
    # what input() returns for the byte 0xE9 under surrogateescape
    _, rows, screen = practise("caf\udce9 au lait", ".", "l")
    assert rows[0]["answer"] == "caf\ufffd au lait" and "saved" in screen


def test_quitting_at_the_rating_prompt_asks_once_then_saves_nothing_and_says_so():
    result, rows, screen = practise("an answer worth keeping", ".", "q", "q")
    assert rows == [] and not result.saved
    assert "q again discards it" in screen and "your answer was not saved" in screen
    assert "saved:" not in screen


def test_a_rating_after_the_warning_still_saves_the_answer():
    _, rows, _ = practise("an answer worth keeping", ".", "q", "s")
    assert rows[0]["answer"] == "an answer worth keeping" and rows[0]["rating"] == "strong"


def test_quitting_while_typing_or_at_end_of_input_never_claims_a_save():
    _, rows, screen = practise("half an answer", "q", "q")
    assert rows == [] and "your answer was not saved" in screen and "saved:" not in screen
    assert "q again quits and discards your answer" in screen  # one q does not throw typed lines away
    _, rows, screen = practise("piped answer, then the input ends")
    assert rows == [] and "not rated: your answer was not saved" in screen


def test_one_q_while_typing_keeps_the_answer_and_a_dot_then_saves_it():
    _, rows, screen = practise("an answer I almost lost", "q", ".", "l")
    assert rows[0]["answer"] == "an answer I almost lost" and rows[0]["rating"] == "lean"


def test_a_multiline_answer_through_the_cli_and_history_shows_it():
    typed = "Linear scaling: lr x8.\nWarm up for 5 epochs.\n.\nl\n"
    result = runner.invoke(app, ["practice", PROBLEM], input=typed)
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["practice", PROBLEM], input="h\nh\nsecond go\n.\ns\n")
    assert result.exit_code == 0, result.output
    history = runner.invoke(app, ["practice", PROBLEM, "--history"])
    assert history.exit_code == 0, history.output
    text = history.output
    assert "attempt 1/2 · 2026-03-02 · Lean hire · no hints" in text
    assert "attempt 2/2 · 2026-03-02 · Strong hire · 2 hints" in text
    assert "Linear scaling: lr x8." in text and "Warm up for 5 epochs." in text and "second go" in text
    assert "model answer" in text and "linear scaling rule" in text


# -- scripted answers ------------------------------------------------------------------------


def test_answer_from_a_file_asks_only_for_the_rating(tmp_path):
    answer = tmp_path / "answer.txt"
    answer.write_bytes(b"From a file.\nSecond line, caf\xe9.\n")
    result = runner.invoke(app, ["practice", PROBLEM, "--answer", str(answer)], input="l\n")
    assert result.exit_code == 0, result.output
    assert "Type or paste" not in result.output and "model answer" in result.output and "Rate your answer" in result.output
    [row] = saved_rows()
    assert (row["answer"], row["rating"]) == ("From a file.\nSecond line, caf\ufffd.", "lean")


def test_answer_and_rating_given_saves_without_asking(tmp_path):
    answer = tmp_path / "answer.md"
    answer.write_text("Scripted answer.\n", encoding="utf-8")
    result = runner.invoke(app, ["practice", PROBLEM, "--answer", str(answer), "--rating", "no-hire"], input="")
    assert result.exit_code == 0, result.output
    assert "model answer" not in result.output and "saved: scale-batch-8x No hire" in result.output
    assert [(r["answer"], r["rating"]) for r in saved_rows()] == [("Scripted answer.", "no_hire")]


def test_answer_from_stdin_with_a_rating_keeps_non_utf8_bytes():
    result = runner.invoke(app, ["practice", PROBLEM, "--answer", "-", "--rating", "strong"], input=b"line one\n\xff\xfe end\n")
    assert result.exit_code == 0, result.output
    assert [(r["answer"], r["rating"]) for r in saved_rows()] == [("line one\n\ufffd\ufffd end", "strong")]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--answer", "-"], "give the rating too"),
        (["--rating", "maybe"], "--rating 'maybe': expected strong, lean or no_hire"),
        (["--answer", "missing.txt", "--rating", "s"], "--answer missing.txt: no such file"),
        (["--history", "--rating", "s"], "--history only shows past attempts"),
    ],
)
def test_bad_scripted_use_is_one_line_exit_2_and_saves_nothing(args, message):
    result = runner.invoke(app, ["practice", PROBLEM, *args], input="an answer\n")
    assert result.exit_code == 2, result.output
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert saved_rows() == []


# -- history ---------------------------------------------------------------------------------


def history_screen(attempts, width):
    console = Console(file=StringIO(), width=width, color_system=None)
    render_history(problem(), attempts, console)
    return console.file.getvalue()


ATTEMPTS = [
    dict(problem=PROBLEM, rated_at="2026-03-01T09:00:00+00:00", day="2026-03-01", rating="no_hire", hints_used=3, answer="Just raise the batch size."),
    dict(problem=PROBLEM, rated_at="2026-03-02T09:00:00+00:00", day="2026-03-02", rating="strong", hints_used=0, answer="Scale the LR 8x, warm up, convert the milestones to epochs."),
]


def test_history_at_80_columns_puts_the_attempts_before_the_model_answer():
    screen = history_screen(ATTEMPTS, 80)
    assert max(len(line) for line in screen.splitlines()) <= 80
    first, second, model = (screen.index(s) for s in ("Just raise the batch size.", "Scale the LR 8x", "model answer"))
    assert first < second < model
    assert "2026-03-01 · No hire · 3 hints" in screen


def test_history_on_a_wide_terminal_puts_the_model_answer_beside_the_attempts():
    screen = history_screen(ATTEMPTS, 140)
    assert max(len(line) for line in screen.splitlines()) <= 140
    assert any("attempt 1/2" in line and "model answer" in line for line in screen.splitlines())


def test_history_shows_answers_verbatim_never_as_markup():
    attempt = dict(ATTEMPTS[0], answer="use [bold]warmup[/bold] and x[0]")
    assert "use [bold]warmup[/bold] and x[0]" in history_screen([attempt], 80)


def test_history_without_attempts_is_a_helpful_line_and_keeps_the_answer_hidden():
    result = runner.invoke(app, ["practice", PROBLEM, "--history"])
    assert result.exit_code == 0
    assert result.output.strip() == f"No attempts yet; try it: gdgrill practice {PROBLEM}"


def test_unknown_problem_is_one_line_exit_2():
    for args in (["nope", "--history"], ["nope"], ["nope", "--answer", "-", "--rating", "s"]):
        result = runner.invoke(app, ["practice", *args], input="x\n")
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.strip() == "gdgrill: error: no practice problem 'nope' (see 'gdgrill practice')"


# -- the list --------------------------------------------------------------------------------


def test_the_problem_list_fits_80_columns_with_whole_titles_and_attempt_counts():
    problems = load_problems()
    ratings = [dict(problem=PROBLEM, rating="no_hire"), dict(problem=PROBLEM, rating="lean")]
    console = Console(file=StringIO(), width=80, color_system=None)
    render_problem_list(problems, ratings, console)
    screen = console.file.getvalue()
    assert max(len(line) for line in screen.splitlines()) <= 80
    flat = " ".join(screen.split())
    for p in problems:
        assert " ".join(p.title.split()) in flat, p.title  # wrapped, never cut
    [row] = [line for line in screen.splitlines() if line.startswith(PROBLEM)]
    assert row.split()[1:] == ["3", "2", "Lean", "hire"]  # tier, attempts, last rating
    assert "attempts" in screen


def test_the_cli_list_counts_attempts(tmp_path):
    runner.invoke(app, ["practice", PROBLEM, "--rating", "lean"])
    listing = runner.invoke(app, ["practice"])
    [row] = [line for line in listing.output.splitlines() if line.startswith(PROBLEM)]
    assert row.split()[1:] == ["3", "1", "Lean", "hire"]


# -- an older database -----------------------------------------------------------------------


def test_a_database_from_before_answers_keeps_its_practice_rows(monkeypatch):
    import gdgrill.store as store_module
    from gdgrill.migrations import MIGRATIONS

    names = [name for name, _ in MIGRATIONS]
    old = MIGRATIONS[: names.index("m003_plans") + 1]
    with monkeypatch.context() as m:
        m.setattr(store_module, "MIGRATIONS", old)
        open_store(home_dir()).close()
    db = home_dir() / "progress.db"
    with sqlite3.connect(db) as conn:  # a rating as gdgrill wrote it before m006
        conn.execute(
            "INSERT INTO practice_ratings (problem, rated_at, day, rating, hints_used) VALUES (?, ?, ?, ?, ?)",
            (PROBLEM, "2026-02-20T10:00:00+00:00", "2026-02-20", "lean", 2),
        )
    conn.close()
    result = runner.invoke(app, ["practice", PROBLEM], input="new answer\n.\ns\n")
    assert result.exit_code == 0, result.output
    rows = saved_rows()
    assert [(r["day"], r["rating"], r["hints_used"], r["answer"]) for r in rows] == [
        ("2026-02-20", "lean", 2, None),
        ("2026-03-02", "strong", 0, "new answer"),
    ]
    with sqlite3.connect(db) as conn:
        assert ("m006_practice_answers",) in conn.execute("SELECT name FROM _migrations ORDER BY rowid").fetchall()
    conn.close()
    history = runner.invoke(app, ["practice", PROBLEM, "--history"]).output
    assert "2026-02-20 · Lean hire · 2 hints" in history and "(no answer typed: rated only)" in history


# -- a real terminal -------------------------------------------------------------------------


def test_in_a_terminal_a_pasted_answer_ends_with_ctrl_d_and_is_saved(isolated_home):
    env = dict(os.environ, PYTHONUNBUFFERED="1", COLUMNS="100", LINES="40")
    child = pexpect.spawn(sys.executable, ["-m", "gdgrill", "practice", PROBLEM], env=env, encoding="utf-8", timeout=20)
    child.expect("answer › ")
    child.send("Pasted line one\nPasted line two\n\nafter a blank line\n")
    child.expect("after a blank line")
    child.expect("… ")  # the prompt after the last pasted line: line editing is reading now
    child.sendcontrol("d")  # Ctrl-D on an empty line: the answer is finished
    child.expect("Rate your answer")
    child.sendline("l")
    child.expect("saved: Lean hire")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert [(r["answer"], r["rating"]) for r in saved_rows()] == [
        ("Pasted line one\nPasted line two\n\nafter a blank line", "lean")
    ]


def test_stdin_under_a_strict_locale_lets_non_utf8_bytes_through(monkeypatch):
    import io

    from gdgrill.commands.practice import keep_undecodable_input

    strict = io.TextIOWrapper(io.BytesIO(b"caf\xe9\nnext line\n"), encoding="utf-8", errors="strict")
    monkeypatch.setattr(sys, "stdin", strict)
    keep_undecodable_input()
    assert input() == "caf\udce9" and input() == "next line"  # nothing swallowed after the bad byte
