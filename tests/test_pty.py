"""The quiz in a real pseudo-terminal: keys, Ctrl-C, and SIGKILL at random moments."""

from __future__ import annotations

import os
import random
import signal
import sys
from pathlib import Path

import pexpect

from gdgrill.store import open_store

SAVED = "— saved"


def many_cards_deck(folder: Path, n: int = 200) -> Path:
    lines = ["deck: {id: many, title: Many, description: Many small cards.}", "cards:"]
    for i in range(n):
        lines += [f"  - id: c{i}", f"    question: Question number {i}?", f"    answer: Answer {i}.", "    key_points: [first, second]"]
    folder.mkdir(exist_ok=True)
    (folder / "many.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def terminal(argv: list[str]) -> pexpect.spawn:
    """``python ARGV`` in a fresh pseudo-terminal. Every test waits for the prompt before it
    types, so pexpect's 50 ms pause before each send (for programs that are not yet reading)
    is dropped, as is its pause after closing a child that has already ended: together they
    were most of this module's run time."""
    env = dict(os.environ, PYTHONUNBUFFERED="1", COLUMNS="100", LINES="40")
    child = pexpect.spawn(sys.executable, argv, env=env, encoding="utf-8", timeout=20)
    child.delaybeforesend = None
    child.delayafterclose = child.ptyproc.delayafterclose = 0
    return child


def spawn(decks: Path, *args: str) -> pexpect.spawn:
    return terminal(["-m", "gdgrill", "quiz", "--decks", str(decks), "--deck", "many", "--new", "1000", *args])


def interrupt(child: pexpect.spawn, then: str | type = pexpect.EOF) -> None:
    """Ctrl-C, then wait for ``then``. CPython's readline loses a SIGINT that lands between
    the prompt being drawn and its select() starting (the handler runs, but nothing wakes
    the select), so a Ctrl-C pressed at that instant is acted on at the next key. A person
    presses again; so does this, after two quiet seconds."""
    for _ in range(5):
        child.sendintr()
        if child.expect([then, pexpect.TIMEOUT], timeout=2) == 0:
            return
    raise AssertionError(f"Ctrl-C never brought {then!r}; the screen: {child.before!r}")


def logged(home: Path) -> int:
    with open_store(home) as store:
        return sum(1 for r in store.log() if r.grade != "undo")


def test_a_kill_during_a_quiz_loses_no_grade_the_screen_confirmed(tmp_path, isolated_home):
    decks = many_cards_deck(tmp_path / "decks")
    rng = random.Random(20261125)
    total_confirmed = 0
    for run in range(12):
        child = spawn(decks)
        confirmed = 0
        for _ in range(rng.randint(0, 6)):
            child.expect("reveal")
            child.sendline("")
            child.expect("pass needs")
            child.sendline(rng.choice(["p", "f", "1 2", "1"]))
            child.expect(SAVED)
            confirmed += 1
        # Kill at a random moment: right away, mid-card, or while a grade is in flight.
        moment = rng.choice(["now", "after-reveal", "after-grade"])
        if moment != "now":
            child.expect("reveal")
            child.sendline("")
            if moment == "after-grade":
                child.expect("pass needs")
                child.sendline("p")
        os.kill(child.pid, signal.SIGKILL)
        child.expect(pexpect.EOF)
        child.close()
        total_confirmed += confirmed
        in_log = logged(isolated_home)
        # Every confirmed grade is there; at most the one in flight may be there unconfirmed.
        assert total_confirmed <= in_log <= total_confirmed + run + 1
        total_confirmed = in_log


def test_ctrl_c_keeps_every_grade_and_exits_130_with_a_summary(tmp_path, isolated_home):
    decks = many_cards_deck(tmp_path / "decks")
    child = spawn(decks)
    for keys in ("1 2", "f"):
        child.expect("reveal")
        child.sendline("")
        child.expect("pass needs")
        child.sendline(keys)
        child.expect(SAVED)
    child.expect("reveal")
    interrupt(child, "interrupted: 2 graded and saved \\(1 passed, 1 missed, 0 skipped\\)")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert "Traceback" not in (child.before or "")
    assert logged(isolated_home) == 2


def test_no_color_output_has_no_colour_codes(tmp_path, isolated_home, monkeypatch):
    decks = many_cards_deck(tmp_path / "decks")
    child = spawn(decks)
    child.expect("reveal")
    screen = child.before
    interrupt(child)
    import re

    colours = re.findall(r"\x1b\[[0-9;]*(?:3[0-9]|9[0-7]|38;[25])[0-9;]*m", screen)
    assert colours == [] and "Question number 0?" in screen


def test_timed_quick_fire_counts_down_on_the_answer_line_in_a_terminal(sample_decks, isolated_home):
    child = terminal(["-m", "gdgrill", "quiz", "--decks", str(sample_decks), "--deck", "sample", "--timed", "30"])
    child.expect("reveal")
    child.expect(r"⏱ +\d+\.\ds")  # redrawn while the user is still typing
    child.send("0.9, 0.999")
    child.expect(r"⏱ +\d+\.\ds")
    child.sendline("")
    child.expect("correct")
    child.sendline("")
    child.expect(SAVED)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def spawn_sample(sample_decks: Path, *args: str) -> pexpect.spawn:
    return terminal(["-m", "gdgrill", "quiz", "--decks", str(sample_decks), "--deck", "sample", *args])


def answers(home: Path) -> list[tuple[str, str, str, str | None]]:
    with open_store(home) as store:
        return [(r.item.split("/")[1], r.grade, r.mode, r.answer) for r in store.log()]


HOME, LEFT, UP = "\x1b[H", "\x1b[D", "\x1b[A"


def test_line_editing_moves_the_cursor_and_up_recalls_the_last_answer(sample_decks, isolated_home):
    child = spawn_sample(sample_decks)
    child.expect("q quits\\) › ")
    # Typed out of order: the end first, then Home and the start. Without line editing
    # the escape codes would be stored and the answer judged wrong.
    child.send(", 0.9999" + LEFT + "\x7f")  # Left, then Backspace deletes the 9 before the cursor
    child.send(HOME + "0.9")
    child.sendline("")
    child.expect("✓ correct")
    child.sendline("")
    child.expect(SAVED)
    child.expect("q quits\\) › ")
    child.send(UP)  # the answer prompt's history: the line typed at the card before
    child.sendline("")
    child.expect("pass needs")
    child.sendline("q")
    child.expect(pexpect.EOF)
    child.close()
    assert answers(isolated_home) == [("betas", "pass", "quiz", "0.9, 0.999")]
    history = (isolated_home / "cache" / "history.json").read_text(encoding="utf-8")
    assert "0.9, 0.999" in history  # kept for the next session's Up arrow


def test_easy_and_same_session_relearning_in_a_terminal(sample_decks, isolated_home):
    child = spawn_sample(sample_decks)
    for answer, grade, confirmation in (
        ("0.9, 0.999", "", "✓ pass"),
        ("", "e", "✓ easy"),
        ("", "f", "✗ miss"),
    ):
        child.expect("q quits\\) › ")
        child.sendline(answer)
        child.expect("grade › ")
        child.sendline(grade)
        child.expect(confirmation)
    child.expect("Relearning: the 1 card\\(s\\) you missed come back once more")
    child.expect("relearning: missed earlier today")
    child.expect("q quits\\) › ")
    child.sendline("")
    child.expect("grade › ")
    child.sendline("p")
    child.expect("relearning: the schedule stays")
    child.expect("relearned 1 of 1")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert [(c, g, m) for c, g, m, _ in answers(isolated_home)] == [
        ("betas", "pass", "quiz"), ("momentum", "easy", "quiz"), ("stability", "fail", "quiz"), ("stability", "pass", "relearn"),
    ]
