"""The quiz's pure parts, exactly: the countdown drawn on the answer line, the opening and
closing lines, which drills are due, why a selection is empty, and the next due day."""

from __future__ import annotations

import io
import re
import time
from datetime import date, timedelta

import pytest

from gdgrill.quiz import Countdown

TODAY = date(2026, 3, 2)


def test_the_countdown_redraws_the_seconds_left_at_the_lines_right_edge_then_says_time():
    out = io.StringIO()
    with Countdown(0.2, out, width=60, tick=0.02):
        time.sleep(0.7)  # well past the deadline, even on a busy machine
    drawn = re.findall(r"\x1b7\x1b\[(\d+)G(.*?)\x1b8", out.getvalue())
    assert drawn, out.getvalue()
    assert {column for column, _ in drawn} == {"51"}  # the last nine columns of 60
    labels = [label for _, label in drawn]
    seconds = [float(m.group(1)) for label in labels if (m := re.fullmatch(r"⏱ +(\d+\.\d)s", label))]
    assert seconds and all(0 <= s <= 0.2 for s in seconds) and seconds == sorted(seconds, reverse=True)
    assert labels[-1] == "⏱ time! " and labels.index("⏱ time! ") == len(seconds)  # counting down, then time


def test_the_countdown_stops_drawing_when_the_answer_is_in():
    out = io.StringIO()
    with Countdown(30, out, width=10, tick=0.01) as countdown:
        time.sleep(0.05)
    assert countdown.column == 1  # a narrow screen: never left of the first column
    drawn = out.getvalue()
    time.sleep(0.05)
    assert out.getvalue() == drawn and not countdown.thread.is_alive()


# -- the lines around a session --------------------------------------------------------------
from gdgrill.decks import load_library  # noqa: E402
from gdgrill.errors import UserError  # noqa: E402
from gdgrill.quiz import (  # noqa: E402
    Plan,
    QuizSession,
    Tally,
    closing_lines,
    due_drills,
    empty_selection,
    next_due,
    opening_lines,
    timed_selection,
)
from gdgrill.scheduler import Grade, Review, card_state  # noqa: E402


def passed_on(*days_ago: int):
    return card_state([Review(TODAY - timedelta(days=n), Grade.PASS) for n in days_ago])


def test_timed_mode_asks_the_auto_checked_cards_for_the_seconds_given_else_the_decks_else_ten(sample_decks):
    cards = load_library([sample_decks]).select(["sample"])
    auto = [c for c in cards if c.auto_checked]
    assert auto and len(auto) < len(cards)
    assert timed_selection(cards, 7.5, 20.0) == (auto, 7.5)
    assert timed_selection(cards, 0, 20.0) == (auto, 20.0)  # 0: the deck's own default
    assert timed_selection(cards, 0, None) == (auto, 10.0)
    with pytest.raises(UserError) as err:
        timed_selection([c for c in cards if not c.auto_checked], 5, None)
    assert str(err.value) == (
        "timed mode asks only auto-checked cards (answers with 'accept'), and the selected decks have none; try --deck quick-fire"
    )
    with pytest.raises(UserError, match=r"^--timed -1: expected a positive number of seconds$"):
        timed_selection(cards, -1, None)


def test_due_drills_are_the_drills_due_today_by_name():
    states = {"drill/sgd": passed_on(3), "drill/adam": passed_on(5), "drill/lion": passed_on(1), "deck/card": passed_on(3)}
    assert due_drills(states, TODAY) == ["adam", "sgd"]


def test_the_opening_line_counts_due_and_new_cards_and_names_the_drills_due(sample_decks):
    cards = load_library([sample_decks]).select(["sample"])
    states = {"drill/sgd": passed_on(3), "drill/adam": passed_on(3), cards[0].key: passed_on(3)}
    plan = Plan(due=[cards[0]], new=cards[1:])
    assert opening_lines(plan, states, cards, TODAY, cram=False) == [
        "2026-03-02: 1 card(s) due, 2 new · 2 drill(s) due: gdgrill drill adam, gdgrill drill sgd."
    ]
    assert opening_lines(Plan(cards, []), states, cards, TODAY, cram=True) == [
        "Cram: 3 card(s), weakest first; the schedule is not touched."  # no drills named while cramming
    ]


def test_with_nothing_due_the_opening_says_when_to_come_back_and_how_to_practise_anyway(sample_decks):
    cards = load_library([sample_decks]).select(["sample"])
    states = {cards[0].key: passed_on(1), cards[1].key: passed_on(1), cards[2].key: passed_on(0)}  # due in 2, 2 and 3 days
    assert opening_lines(Plan([], []), states, cards, TODAY, cram=False, again="gdgrill quiz --deck sample") == [
        "2026-03-02: 0 card(s) due, 0 new.",
        "No cards due. Next: 2 card(s) on 2026-03-04. Practise anyway: gdgrill quiz --deck sample --cram",
    ]
    with_drill = {**states, "drill/sgd": passed_on(3)}
    assert opening_lines(Plan([], []), with_drill, cards, TODAY, cram=False)[1] == (
        "No cards due (the drills above are). Next: 2 card(s) on 2026-03-04. Practise anyway: gdgrill quiz --cram"
    )
    assert opening_lines(Plan([], []), {}, cards, TODAY, cram=False)[1] == "No cards due. Practise anyway: gdgrill quiz --cram"


def test_an_empty_selection_says_what_was_asked_and_what_there_is(sample_decks):
    cards = load_library([sample_decks]).select(["sample"])
    assert empty_selection(["sample"], 4, ["adam"], cards) == "no card matches --deck sample --tier 4 --tag adam (deck sample has tiers 1, 2, 3)"
    assert empty_selection([], 9, [], cards) == "no card matches --tier 9 (the decks have tiers 1, 2, 3)"  # was "has"
    assert empty_selection(["sample", "other"], 9, [], cards) == "no card matches --deck sample --deck other --tier 9 (decks sample, other have tiers 1, 2, 3)"
    assert empty_selection(["a", "b"], None, ["x"], cards) == (
        "no card matches --deck a --deck b --tag x (see 'gdgrill decks list' and 'gdgrill decks tags')"
    )


def test_next_due_is_the_first_day_after_today_and_how_many_fall_on_it():
    states = {"a": passed_on(3), "b": passed_on(1), "c": passed_on(1), "d": passed_on(0), "e": card_state([])}
    assert next_due(states, states.keys(), TODAY) == (TODAY + timedelta(days=2), 2)  # a is due today: not "next"
    assert next_due(states, ["a", "e", "missing"], TODAY) is None


class Session:
    """What closing_lines reads of a session."""

    def __init__(self, tally, time_limit=None, timed_cards=0, answer_seconds=0.0, planned=False):
        self.tally, self.time_limit, self.timed_cards, self.answer_seconds, self.planned = (
            tally, time_limit, timed_cards, answer_seconds, planned)


def tally(passed=0, missed=0, skipped=0, easy=0):
    t = Tally()
    for n in range(passed):
        t.add(f"p{n}", n, Grade.EASY if n < easy else Grade.PASS)
    for n in range(missed):
        t.add(f"m{n}", 100 + n, Grade.FAIL)
    t.skipped = skipped
    return t


def test_the_closing_lines_give_the_tally_the_pace_what_is_still_due_and_what_is_next():
    after = {"a": passed_on(3), "b": passed_on(3), "c": passed_on(1)}
    cards = [type("C", (), {"key": k})() for k in ("a", "b", "c")]
    timed = Session(tally(passed=3, missed=1), time_limit=5.0, timed_cards=4, answer_seconds=12.0)
    assert closing_lines(timed, after, cards, TODAY) == [
        "Session done: 4 graded and saved (3 passed, 1 missed, 0 skipped).",
        "Timed: 20.0 answers per minute, 75% accurate (5 s per card).",  # 4 answers in 12 s
        "Still due today: 2.",
        "Next due: 1 item(s) on 2026-03-04.",
    ]
    planned = Session(tally(passed=1), planned=True)
    assert closing_lines(planned, {}, [], TODAY) == [
        "Session done: 1 graded and saved (1 passed, 0 missed, 0 skipped).",
        "Tomorrow: your plan's next items ('gdgrill due' lists them; 'gdgrill plan' shows the days ahead).",
    ]
    untimed_answers = Session(tally(missed=2), time_limit=5.0, timed_cards=2, answer_seconds=0.0)
    assert closing_lines(untimed_answers, {}, [], TODAY)[1] == "Timed: 0.0 answers per minute, 0% accurate (5 s per card)."


def test_the_tally_counts_easy_passes_and_relearning_and_an_undo_takes_each_back():
    t = tally(passed=3, missed=1, skipped=2, easy=2)
    t.add("m0", 200, Grade.PASS, relearn=True)
    t.add("m1", 201, Grade.FAIL, relearn=True)
    assert t.line() == "4 graded and saved (3 passed, 2 of them easy, 1 missed, 2 skipped); relearned 1 of 2"
    assert t.pop() == ("m1", 201, Grade.FAIL, True) and t.pop() == ("m0", 200, Grade.PASS, True)
    assert t.line() == "4 graded and saved (3 passed, 2 of them easy, 1 missed, 2 skipped)"
    while t.graded:
        t.pop()
    assert (t.passed, t.easy, t.missed, t.relearned, t.relearn_asked) == (0, 0, 0, 0, 0)


@pytest.mark.parametrize(
    "typed, hits",
    [("a", {1, 2, 3}), ("all", {1, 2, 3}), ("n", set()), ("none", set()), ("0", set()), ("1,3", {1, 3}),
     ("3 1", {1, 3}), ("3", {3}), ("4", None), ("0 1", None), ("x", None), ("", None), ("١", None)],
)
def test_key_points_hit_are_numbers_1_to_n_or_a_for_all_or_n_for_none(typed, hits):
    assert QuizSession._parse_hits(typed, 3) == hits


# -- a session as the user sees it: each confirmation and its colours ------------------------------
from rich.console import Console  # noqa: E402

from gdgrill.console import THEME  # noqa: E402
from gdgrill.paths import home_dir  # noqa: E402
from gdgrill.store import open_store  # noqa: E402
from helpers import Clock

BOLD, DIM, RED, GREEN, YELLOW = "1", "2", "31", "32", "33"


def style_at(ansi: str, fragment: str) -> set[str]:
    """The SGR codes in force where ``fragment`` first starts in ``ansi`` (empty: plain)."""
    at = ansi.index(fragment)
    codes = re.findall(r"\x1b\[([\d;]*)m", ansi[:at])
    last = codes[-1] if codes else "0"
    return set() if last in ("0", "") else set(last.split(";"))


def run_session(cards, replies, *, mode="quiz", planned=False, states=None, after_grade=None, width=100):
    out = io.StringIO()
    console = Console(file=out, width=width, theme=THEME, force_terminal=True, color_system="standard", no_color=False,
                      highlight=False)
    answers = iter(replies)

    def read_line(prompt: str) -> str:
        try:
            return next(answers)
        except StopIteration:
            raise EOFError from None

    with open_store(home_dir()) as store:
        session = QuizSession(store, console, read_line, TODAY, states or {}, mode=mode, planned=planned,
                              after_grade=after_grade, answer_lines=200)
        session.run(cards)
        rows = [(r.item, r.grade, r.mode, r.seconds) for r in store.log()]
    plain = re.sub(r"\x1b\[[\d;]*m", "", out.getvalue())
    return session, out.getvalue(), plain, rows


def test_each_grade_is_confirmed_with_where_the_card_goes_next_in_its_colour(sample_decks):
    cards = load_library([sample_decks]).select(["sample"])  # betas (typed), momentum, stability
    session, ansi, plain, rows = run_session(cards, ["0.9, 0.999", "", "", "e", "", "zz", "f", "", "p"],
                                             after_grade=lambda card, grade: [f"after {card.id}"])
    assert "✓ pass — saved · next on 2026-03-05 (day-3 checkpoint)" in plain
    assert "✓ easy — saved · next on 2026-03-09 (day-7 checkpoint) (easy: one checkpoint skipped)" in plain
    assert "✗ miss — saved · next on 2026-03-03 (day-0 checkpoint)" in plain
    assert "✓ pass — saved · relearning: the schedule stays (due tomorrow)" in plain
    assert [line for line in plain.splitlines() if line.startswith("after ")] == ["after betas", "after momentum", "after stability"]
    assert [(item, grade, mode) for item, grade, mode, _ in rows] == [
        ("sample/betas", "pass", "quiz"), ("sample/momentum", "easy", "quiz"), ("sample/stability", "fail", "quiz"),
        ("sample/stability", "pass", "relearn")]
    assert all(seconds is not None and seconds >= 0 for *_, seconds in rows)
    assert session.tally.line() == "3 graded and saved (2 passed, 1 of them easy, 1 missed, 0 skipped); relearned 1 of 1"
    assert style_at(ansi, "✓ correct") == {BOLD, GREEN} and style_at(ansi, "✓ pass") == {BOLD, GREEN}
    assert style_at(ansi, "✗ miss") == {BOLD, RED} and style_at(ansi, " — saved") == {DIM}
    assert style_at(ansi, "? 'zz'") == {YELLOW} and style_at(ansi, "after betas") == {YELLOW}
    assert style_at(ansi, "Key points:") == {BOLD}


def test_cram_and_planned_grades_say_the_ladder_was_left_alone_or_is_the_plans(sample_decks):
    cards = load_library([sample_decks]).select(["sample"])[1:2]  # momentum
    _, ansi, plain, rows = run_session(cards, ["", "p"], mode="cram")
    assert "✓ pass — saved (cram: schedule unchanged)" in plain and style_at(ansi, " — saved (cram") == {DIM}
    assert rows[0][2] == "cram"
    _, ansi, plain, _ = run_session(cards, ["", "f"], planned=True)
    assert "✗ miss — saved · your plan picks its next review" in plain and style_at(ansi, " — saved · your plan") == {DIM}


def test_a_mastered_cards_next_review_is_its_maintenance_check(sample_decks):
    cards = load_library([sample_decks]).select(["sample"])[1:2]
    with open_store(home_dir()) as store:
        for days in (21, 18, 14, 7):
            store.record_review(cards[0].key, Grade.PASS, "quiz", day=TODAY - timedelta(days=days))
        states = store.states()
    _, _, plain, _ = run_session(cards, ["", "p"], states=states)
    assert "day-21 checkpoint (5 of 5)" in plain
    assert "✓ pass — saved · next on 2026-04-01 (maintenance check)" in plain


def test_the_model_answer_shows_key_points_follow_ups_and_a_curves_run():
    from gdgrill.curves import load_curve

    card = load_library().card("diagnostics/curve-good")
    _, ansi, plain, _ = run_session([card], ["", "p"])
    flat = " ".join(plain.replace("│", " ").split())  # the panel's text, unwrapped
    assert f"The run: {load_curve(card.curve).description}" in flat
    assert "Key points: 1. " + card.key_points[0] in flat
    assert "Likely follow-ups: • " + card.followups[0] in flat
    assert style_at(ansi, "The run:") == {DIM}
    assert style_at(ansi, "Key points:") == {BOLD} and style_at(ansi, "Likely follow-ups:") == {BOLD}


def reader(replies):
    """A read_line that answers ``replies`` in turn, then ends the input (as Ctrl-D would)."""
    answers = iter(replies)

    def read_line(prompt: str) -> str:
        try:
            return next(answers)
        except StopIteration:
            raise EOFError from None

    return read_line


def keys_lines(plain: str) -> list[str]:
    """The lines that say which keys do what (they follow each reveal)."""
    return [line for line in plain.splitlines() if " · q quit" in line or "q save the miss" in line or line.startswith("Key points hit?")]


def test_the_grade_keys_offered_fit_the_card_and_the_moment(sample_decks):
    cards = load_library([sample_decks]).select(["sample"])  # betas (typed), momentum (3 key points), stability
    _, ansi, plain, _ = run_session(cards, ["0.9, 0.999", "", "", "f", "", "p", "", "p"])
    # betas right; momentum missed (f); stability passed; then momentum again, relearning: no easy key
    assert keys_lines(plain) == [
        "Enter accept · e easy · f mark it wrong · s skip · u undo · q quit",
        "Key points hit? numbers (e.g. 1 3) · a all · n none — pass needs 2 of 3",
        "or p pass · e easy · f fail · s skip · u undo · q quit",
        "Key points hit? numbers (e.g. 1 3) · a all · n none — pass needs 2 of 2",
        "or p pass · e easy · f fail · s skip · u undo · q quit",
        "Key points hit? numbers (e.g. 1 3) · a all · n none — pass needs 2 of 3",
        "or p pass · f fail · s skip · u undo · q quit",
    ]
    assert style_at(ansi, "Enter accept") == {DIM} and style_at(ansi, "Key points hit?") == {DIM}
    wrong = run_session(cards[:1], ["0.9, 0.99", ""])[2]
    assert "✗ not accepted (expected: 0.9, 0.999; read as (0.9, 0.99))" in wrong
    assert keys_lines(wrong) == ["Enter accept · o I was right · s skip · u undo · q quit"]
    assert style_at(run_session(cards[:1], ["0.9, 0.99", ""])[1], "✗ not accepted") == {BOLD, RED}


def model_answer_lines(plain: str) -> int:
    """How many lines the model answer's panel holds."""
    lines = plain.splitlines()
    top = next(i for i, line in enumerate(lines) if line.startswith("╭─ model answer"))
    bottom = next(i for i in range(top, len(lines)) if lines[i].startswith("╰"))
    return bottom - top - 1


def reveal(card, height, answer_lines=None, replies=("", "p")):
    out = io.StringIO()
    console = Console(file=out, width=80, height=height, force_terminal=True, no_color=True)
    with open_store(home_dir()) as store:
        QuizSession(store, console, reader(list(replies)), TODAY, {}, answer_lines=answer_lines).run([card])
    return out.getvalue()


def test_the_whole_answer_is_shown_when_it_fits_the_screen_under_the_question():
    card = load_library().card("optimizers/optimizer-state-count")
    whole = model_answer_lines(reveal(card, height=200))
    assert whole > 12
    assert "key points first" not in reveal(card, height=whole + 14)  # 14 lines for the question, prompts and borders
    assert "key points first" in reveal(card, height=whole + 13)
    assert "key points first" in reveal(card, height=5)  # a tiny screen still gets 12 lines of answer, not fewer
    piped = io.StringIO()  # not a terminal: nothing scrolls away, the whole answer always
    with open_store(home_dir()) as store:
        QuizSession(store, Console(file=piped, width=80, height=5), reader(["", "p"]), TODAY, {}).run([card])
    assert "key points first" not in piped.getvalue()


def test_a_long_answer_offers_m_until_it_has_been_shown_whole(sample_decks):
    card = load_library([sample_decks]).card("sample/momentum")
    plain = reveal(card, height=40, answer_lines=3, replies=("", "m", "p"))
    assert re.search(r"The full model answer is \d+ lines?: press m to read it\.", plain)
    assert "╭─ model answer · key points first" in plain
    assert "or p pass · e easy · f fail · m full answer · s skip · u undo · q quit" in plain
    after_m = plain[plain.index("It averages the gradient"):]
    assert "or p pass · e easy · f fail · s skip · u undo · q quit" in after_m  # m is not offered again
    assert "m full answer" not in after_m and "✓ pass" in after_m




def timed(sample_decks, replies, step):
    out = io.StringIO()
    console = Console(file=out, width=100, no_color=True)
    with open_store(home_dir()) as store:
        s = QuizSession(store, console, reader(replies), TODAY, {}, mode="timed", time_limit=5,
                        clock=Clock(step))
        s.run([load_library([sample_decks]).card("sample/betas")])
        rows = [(r.grade, r.detail, r.seconds) for r in store.log()]
    return s, out.getvalue(), rows


def test_a_timed_answer_on_the_limit_counts_and_a_blank_one_is_a_miss(sample_decks):
    s, text, rows = timed(sample_decks, ["0.9, 0.999", ""], step=5.0)  # exactly 5 s: in time
    assert "too slow" not in text and rows == [("pass", {"auto": True}, 10.0)]
    assert (s.timed_cards, s.answer_seconds) == (1, 5.0)
    s, text, rows = timed(sample_decks, ["   "], step=1.0)
    assert "✗ no answer typed — in timed mode that is a miss" in text
    assert rows[-1] == ("fail", {"auto": True, "blank": True}, 2.0)


def test_a_timed_answer_past_the_limit_is_a_miss_saved_with_the_time_it_took(sample_decks):
    s, text, rows = timed(sample_decks, ["0.9, 0.999", ""], step=6.0)
    assert "⏱ too slow: 6.0 s > 5 s — counts as a miss" in text
    assert "Enter continue · s skip · u undo · q save the miss and quit" in text
    assert rows == [("fail", {"auto": True, "timed_out": 6.0}, 12.0)]  # saved at once
