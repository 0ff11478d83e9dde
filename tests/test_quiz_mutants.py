"""The quiz's rules that mutation testing found unpinned: the whole answer that 'm' shows
(its panel, and the pager for one taller than the screen), the countdown's figures and
pace, which cards a cram session asks and how many, and the timed pace after an undo."""

from __future__ import annotations

import io
import re
import time
import types
from datetime import date

import pytest
from rich.console import Console

import gdgrill.quiz as quiz
from gdgrill.console import THEME
from gdgrill.decks import Card, load_library
from gdgrill.paths import home_dir
from gdgrill.quiz import Countdown, QuizSession, closing_lines, plan_session
from gdgrill.scheduler import CardState
from gdgrill.store import open_store
from helpers import Clock

TODAY = date(2026, 3, 2)
GREEN = "32"
ANSI = re.compile(r"\x1b\[[\d;]*m")


def reader(replies, console, prompts=None):
    """A read_line that answers ``replies`` in turn, echoing each as a terminal would, then
    ends the input (as Ctrl-D would). Each prompt it is asked with goes on ``prompts``."""
    answers = iter(replies)

    def read_line(prompt: str) -> str:
        if prompts is not None:
            prompts.append(prompt)
        try:
            reply = next(answers)
        except StopIteration:
            raise EOFError from None
        console.print(prompt + reply, highlight=False)
        return reply

    return read_line


def ask_then_m(card, *, height=60, pager=False, colour=False, before=False):
    """Reveal ``card`` with room for only 3 answer lines (so its key points come first),
    press m for the whole answer, then pass. Returns what the screen showed after m
    (``before``: up to m)."""
    out = io.StringIO()
    console = Console(file=out, width=80, height=height, force_terminal=True, theme=THEME, highlight=False,
                      **({"color_system": "standard", "no_color": False} if colour else {"no_color": True}))
    with open_store(home_dir()) as store:
        QuizSession(store, console, reader(["", "m", "p"], console), TODAY, {}, answer_lines=3, pager=pager).run([card])
    text = out.getvalue()
    at = text.index("grade › m")
    return text[:at] if before else text[at + len("grade › m"):]


def panel_lines(plain: str, title: str) -> list[str]:
    """The lines inside the first panel whose top border carries ``title``."""
    lines = plain.splitlines()
    top = next(i for i, line in enumerate(lines) if line.startswith(f"╭─ {title} ─"))
    bottom = next(i for i in range(top, len(lines)) if lines[i].startswith("╰"))
    return lines[top + 1:bottom]


# -- m: the whole answer ---------------------------------------------------------------------


def test_m_shows_the_whole_answer_with_every_key_point_in_a_green_panel_titled_model_answer(sample_decks):
    card = load_library([sample_decks]).card("sample/momentum")
    after_m = ask_then_m(card, colour=True)
    plain = ANSI.sub("", after_m)
    # The title sits at the left, as on every other panel, and says plainly what this is.
    inside = " ".join(" ".join(line.strip("│ ") for line in panel_lines(plain, "model answer")).split())
    assert inside.startswith("It averages the gradient, so the zig-zag across the walls cancels")
    assert "Key points: 1. zig-zag components cancel 2. consistent direction accumulates 3. effective step grows by 1/(1-β)" in inside
    assert "press m" not in inside  # the whole answer, not the key-points-first one again
    codes = re.findall(r"\x1b\[([\d;]*)m", after_m[: after_m.index("╭")])
    assert codes and set(codes[-1].split(";")) == {GREEN}  # the border of an answer is green, as the first reveal's
    assert "✓ pass" in plain


class Pager:
    """Stands in for $PAGER: records what it was given."""

    def __init__(self):
        self.shown: list[str] = []

    def __call__(self, content: str) -> None:
        self.shown.append(content)


@pytest.fixture
def pager(monkeypatch):
    import pydoc

    fake = Pager()
    monkeypatch.setattr(pydoc, "pager", fake)  # what rich's system pager calls
    return fake


def test_a_whole_answer_taller_than_the_screen_goes_through_the_pager_and_one_that_fits_does_not(sample_decks, pager):
    card = load_library([sample_decks]).card("sample/momentum")
    rows = len(panel_lines(ask_then_m(card, height=200), "model answer"))  # the panel's inner lines on a tall screen
    assert rows > 3
    # The panel (its lines and two borders) and the two prompt lines under it fit: printed in place.
    after_m = ask_then_m(card, height=rows + 4, pager=True)
    assert pager.shown == [] and len(panel_lines(after_m, "model answer")) == rows
    # One line less and its start would scroll away: the pager gets it, the screen does not.
    after_m = ask_then_m(card, height=rows + 3, pager=True)
    assert len(pager.shown) == 1
    paged = " ".join(" ".join(line.strip("│ ") for line in panel_lines(pager.shown[0], "model answer")).split())
    assert paged.startswith("It averages the gradient") and "3. effective step grows by 1/(1-β)" in paged
    assert "╭─ model answer ─" not in after_m and "✓ pass" in after_m
    # Never paged: with the pager off, or when the output is not a terminal.
    ask_then_m(card, height=rows + 3, pager=False)
    assert len(pager.shown) == 1


# -- the countdown -----------------------------------------------------------------------------


class FrozenClock:
    """time.monotonic for gdgrill.quiz only, moved by hand."""

    def __init__(self, now: float = 100.0):
        self.now = now

    def monotonic(self) -> float:
        return self.now


def labels(out: io.StringIO) -> list[str]:
    return re.findall(r"\x1b7\x1b\[\d+G(.*?)\x1b8", out.getvalue())


def wait_for(condition, seconds: float = 5.0) -> None:
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "the countdown drew nothing new"
        time.sleep(0.005)


def test_the_countdown_starts_at_the_limit_counts_down_and_says_time_once_the_deadline_is_reached(monkeypatch):
    clock = FrozenClock()
    monkeypatch.setattr(quiz, "time", types.SimpleNamespace(monotonic=clock.monotonic))
    out = io.StringIO()
    with Countdown(10, out, width=60, tick=0.005):
        wait_for(lambda: labels(out))
        clock.now = 104.5
        wait_for(lambda: labels(out)[-1] != "⏱ 10.0s")
        clock.now = 110.0  # the deadline itself: no time is left
        wait_for(lambda: labels(out)[-1] != "⏱  5.5s")
    drawn = list(dict.fromkeys(labels(out)))  # each figure once, in order
    assert drawn == ["⏱ 10.0s", "⏱  5.5s", "⏱ time! "]


def test_the_countdown_is_redrawn_several_times_a_second():
    out = io.StringIO()
    with Countdown(30, out, width=60):  # the tick the quiz uses
        end = time.monotonic() + 1.1
        while len(labels(out)) < 2 and time.monotonic() < end:
            time.sleep(0.01)
    assert len(labels(out)) >= 2, "a figure in tenths of a second must not stand still for a second"


# -- cram: which cards, in which order, how many ---------------------------------------------------


def sample_cards(sample_decks):
    cards = {c.id: c for c in load_library([sample_decks]).select(["sample"])}
    assert [c.tier for c in cards.values()] == [1, 2, 3]  # betas, momentum, stability: deck order is tier order
    return cards


def state(rung: int, lapses: int) -> CardState:
    return CardState(rung=rung, due=TODAY, reviews=lapses + rung + 1, lapses=lapses)


def test_cram_asks_the_most_missed_cards_first_then_the_lowest_rung(sample_decks):
    c = sample_cards(sample_decks)
    order = lambda states: [card.id for card in plan_session(list(c.values()), states, TODAY, cram=True).cards]  # noqa: E731
    # Misses first, whatever the rung: stability (2 misses, rung 3), betas (1, rung 2), momentum (new).
    assert order({c["stability"].key: state(3, 2), c["betas"].key: state(2, 1)}) == ["stability", "betas", "momentum"]
    # As often missed: the card lower on the ladder first, even from a higher tier.
    assert order({c["stability"].key: state(1, 1), c["betas"].key: state(3, 1)}) == ["stability", "betas", "momentum"]
    # As weak on both: the lower tier first.
    assert order({c["stability"].key: state(1, 1), c["betas"].key: state(1, 1)}) == ["betas", "stability", "momentum"]


def test_cram_asks_twenty_cards_unless_a_limit_says_otherwise():
    cards = [Card(deck="d", id=f"c{n:02d}", question="q", answer="a") for n in range(25)]
    assert len(plan_session(cards, {}, TODAY, cram=True).cards) == 20
    assert len(plan_session(cards, {}, TODAY, cram=True, limit=2).cards) == 2
    assert len(plan_session(cards, {}, TODAY, cram=True, limit=24).cards) == 24
    assert plan_session(cards, {}, TODAY, cram=True).new == []  # cram touches no schedule: nothing is introduced


def test_a_limit_counts_due_and_new_cards_together(sample_decks):
    c = sample_cards(sample_decks)
    states = {c["stability"].key: state(1, 0)}  # due today; betas and momentum are new
    plan = plan_session(list(c.values()), states, TODAY, limit=2)
    assert [card.id for card in plan.due] == ["stability"] and [card.id for card in plan.new] == ["betas"]
    assert len(plan_session(list(c.values()), states, TODAY, limit=1).cards) == 1


# -- the timed pace after an undo ------------------------------------------------------------------




def timed_round(replies):
    cards = load_library().select(["quick-fire"])[:2]
    out = io.StringIO()
    console = Console(file=out, width=100, no_color=True)
    with open_store(home_dir()) as store:
        s = QuizSession(store, console, reader(replies, console), TODAY, {}, mode="timed", time_limit=5, clock=Clock(1.0))
        s.run(cards)
        after = store.states()
    return s, closing_lines(s, after, cards, TODAY)


def test_an_undone_timed_answer_leaves_the_pace_and_accuracy():
    # Card 1 answered wrong and the miss accepted; at card 2's grade prompt u takes it back; q.
    s, lines = timed_round(["x", "", "y", "u", "q"])
    assert lines[0] == "Session done: 0 graded and saved (0 passed, 0 missed, 0 skipped)."
    assert not [line for line in lines if line.startswith("Timed:")]  # nothing graded: no pace, no "0% accurate"
    # The same, then card 1 answered again (a miss, accepted) and card 2 too: two answers graded, 1 s each.
    s, lines = timed_round(["x", "", "y", "u", "x", "", "y", ""])
    assert lines[0] == "Session done: 2 graded and saved (0 passed, 2 missed, 0 skipped)."
    assert "Timed: 60.0 answers per minute, 0% accurate (5 s per card)." in lines
    assert (s.timed_cards, s.answer_seconds) == (2, 2.0)


class ScriptedClock:
    """A clock that reads ``times`` in turn: for each question, when it was shown, when the
    answer came, and when the grade was saved."""

    def __init__(self, *times: float):
        self.times = iter(times)

    def __call__(self) -> float:
        return next(self.times)


QUICK_DECK = """\
deck:
  id: quick
  title: Quick
  description: Two auto-checked cards.
cards:
  - id: answer
    question: The answer to everything?
    answer: "42"
    accept: ["42"]
  - id: days
    question: Days in a week?
    answer: "7"
    accept: ["7"]
"""


def test_the_timed_pace_counts_each_timed_answer_once_and_not_the_relearning_ask(tmp_path):
    (tmp_path / "quick.yaml").write_text(QUICK_DECK, encoding="utf-8")
    cards = load_library([tmp_path]).select(["quick"])
    out = io.StringIO()
    console = Console(file=out, width=100, no_color=True)
    # "answer" missed in 2 s, "days" right in 4 s; then "answer" again, relearning (not timed), in 10 s.
    clock = ScriptedClock(0, 2, 2.12345, 10, 14, 14.5004, 20, 30, 30.25)
    with open_store(home_dir()) as store:
        s = QuizSession(store, console, reader(["41", "", "7", "", "42", ""], console), TODAY, {}, mode="timed",
                        time_limit=5, clock=clock)
        s.run(cards)
        rows = [(r.item, r.grade, r.mode, r.seconds) for r in store.log()]
        lines = closing_lines(s, store.states(), cards, TODAY)
    # Each review keeps the seconds from its question to its grade, to the millisecond.
    assert rows == [("quick/answer", "fail", "timed", 2.123), ("quick/days", "pass", "timed", 4.5),
                    ("quick/answer", "pass", "relearn", 10.25)]
    assert "Timed: 20.0 answers per minute, 50% accurate (5 s per card)." in lines  # 2 answers in 6 s, 1 right


def test_in_a_grill_a_pass_leaves_the_ladder_alone_and_says_so_and_a_miss_says_when_it_comes_back(sample_decks):
    from gdgrill.scheduler import Grade

    cards = load_library([sample_decks]).select(["sample"])[1:]  # momentum, stability
    out = io.StringIO()
    console = Console(file=out, width=100, no_color=True)
    with open_store(home_dir()) as store:
        QuizSession(store, console, reader(["", "p", "", "f"], console), TODAY, {}, mode="grill",
                    schedules=lambda g: g is Grade.FAIL, relearn=False).run(cards)  # as 'gdgrill grill' runs it
        after = store.states()
    text = out.getvalue()
    assert "✓ pass — saved (grill: schedule unchanged)" in text
    assert "✗ miss — saved · next on 2026-03-03 (day-0 checkpoint)" in text
    assert cards[0].key not in after and after[cards[1].key].due == date(2026, 3, 3)


# -- each grade's confirmation, whole ------------------------------------------------------------


def confirmations(cards, replies, mode="quiz"):
    """The lines that confirm each grade (✓/✗ …), and the raw screen with its colours."""
    out = io.StringIO()
    console = Console(file=out, width=100, theme=THEME, force_terminal=True, color_system="standard", no_color=False,
                      highlight=False)
    with open_store(home_dir()) as store:
        QuizSession(store, console, reader(replies, console), TODAY, {}, mode=mode, answer_lines=200).run(cards)
    plain = ANSI.sub("", out.getvalue())
    return [line for line in plain.splitlines() if line.startswith(("✓ pass", "✓ easy", "✗ miss"))], out.getvalue()


def sgr_at(ansi: str, fragment: str) -> set[str]:
    """The SGR codes in force where ``fragment`` first starts (empty: plain)."""
    codes = re.findall(r"\x1b\[([\d;]*)m", ansi[: ansi.index(fragment)])
    last = codes[-1] if codes else "0"
    return set() if last in ("0", "") else set(last.split(";"))


def test_each_confirmation_says_where_the_card_goes_and_nothing_more(sample_decks):
    cards = load_library([sample_decks]).select(["sample"])[1:]  # momentum, stability
    lines, ansi = confirmations(cards, ["", "p", "", "f", "", "p"])
    assert lines == [
        "✓ pass — saved · next on 2026-03-05 (day-3 checkpoint)",  # a plain pass skips nothing
        "✗ miss — saved · next on 2026-03-03 (day-0 checkpoint)",
        "✓ pass — saved · relearning: the schedule stays (due tomorrow)",
    ]
    assert sgr_at(ansi, " — saved · relearning") == {"2"}  # the note after the word is dim, as every such note


def test_relearning_in_cram_confirms_without_a_due_day(sample_decks):
    cards = load_library([sample_decks]).select(["sample"])[1:2]  # momentum
    lines, ansi = confirmations(cards, ["", "f", "", "p"], mode="cram")
    assert lines == ["✗ miss — saved (cram: schedule unchanged)", "✓ pass — saved · relearning: the schedule stays"]
    assert sgr_at(ansi, " — saved · relearning") == {"2"}


# -- the key points and follow-ups, laid out -------------------------------------------------------

EXTRA_DECK = """\
deck:
  id: extra
  title: Extra
  description: Cards with follow-ups, and one answer exactly as wide as its panel.
cards:
  - id: both
    question: Why warm up the learning rate?
    answer: Adam's second-moment estimate is noisy for the first steps, so early updates are too large.
    key_points: [the second moment starts noisy, small steps until it settles]
    followups: [What does RAdam do instead?]
  - id: asks
    question: Name a sign of a learning rate that is too high.
    answer: The loss spikes or diverges.
    followups: [What if it only spikes now and then?, And too low?]
  - id: wide
    question: Wide?
    answer: %s yyyyy zzz
""" % ("x" * 70)


def extra(tmp_path):
    (tmp_path / "extra.yaml").write_text(EXTRA_DECK, encoding="utf-8")
    return load_library([tmp_path])


def panel_text(card, *, answer_lines, title, replies=("", "p"), width=80):
    """The inner lines of the panel titled ``title``, borders and padding cut off."""
    out = io.StringIO()
    console = Console(file=out, width=width, height=60, force_terminal=True, no_color=True)
    with open_store(home_dir()) as store:
        QuizSession(store, console, reader(list(replies), console), TODAY, {}, answer_lines=answer_lines,
                    pager=False).run([card])
    return [line[2:-2].rstrip() for line in panel_lines(out.getvalue(), title)]


def test_key_points_first_opens_with_the_key_points_and_keeps_the_follow_ups_a_line_apart(tmp_path):
    card = extra(tmp_path).card("extra/both")
    assert panel_text(card, answer_lines=1, title="model answer · key points first") == [
        "Key points:", "  1. the second moment starts noisy", "  2. small steps until it settles",
        "",
        "Likely follow-ups:", "  • What does RAdam do instead?",
        "",
        "The full model answer is 2 lines: press m to read it.",
    ]
    # The whole answer: the answer, then each list after a blank line.
    assert panel_text(card, answer_lines=200, title="model answer") == [
        "Adam's second-moment estimate is noisy for the first steps, so early updates", "are too large.",
        "",
        "Key points:", "  1. the second moment starts noisy", "  2. small steps until it settles",
        "",
        "Likely follow-ups:", "  • What does RAdam do instead?",
    ]


def test_a_card_with_only_follow_ups_opens_its_short_reveal_with_them(tmp_path):
    card = extra(tmp_path).card("extra/asks")
    assert panel_text(card, answer_lines=0, title="model answer · key points first")[:3] == [
        "Likely follow-ups:", "  • What if it only spikes now and then?", "  • And too low?",
    ]
    assert panel_text(card, answer_lines=200, title="model answer")[:3] == ["The loss spikes or diverges.", "", "Likely follow-ups:"]


def test_the_answer_fills_the_panels_width_before_it_wraps(tmp_path):
    card = extra(tmp_path).card("extra/wide")
    # 80 columns: a border and a space each side leave 76 for the answer, and its first line is exactly 76.
    assert panel_text(card, answer_lines=200, title="model answer") == ["x" * 70 + " yyyyy", "zzz"]


@pytest.mark.parametrize("width", [24, 31, 80])
def test_a_wrapped_key_point_hangs_under_its_text_down_to_a_24_column_screen(sample_decks, width):
    # 24 columns: the panel leaves 20 for its text, the narrowest the answer is wrapped to.
    deck = (sample_decks / "sample.yaml").read_text(encoding="utf-8")
    point = "steps add up far along the valley floor while the zig-zag across it cancels out"  # "  2. steps add up far": 21
    (sample_decks / "sample.yaml").write_text(deck.replace("consistent direction accumulates", point), encoding="utf-8")
    card = load_library([sample_decks]).card("sample/momentum")
    lines = panel_text(card, answer_lines=200, title="model answer", width=width)
    start = next(i for i, line in enumerate(lines) if line.startswith("  2. "))
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("  3. "))
    assert end - start > 1  # it wraps
    assert all(line.startswith("     ") and line[5] != " " for line in lines[start + 1:end])
    assert " ".join(line.strip() for line in lines[start:end]) == "2. " + point


def border_codes(ansi: str, title: str) -> set[str]:
    """The SGR codes the top border of the panel titled ``title`` is drawn in."""
    line = next(raw for raw in ansi.splitlines() if ANSI.sub("", raw).startswith(f"╭─ {title} ─"))
    first = re.match(r"\x1b\[([\d;]*)m╭", line)
    return set(first.group(1).split(";")) if first else set()


def test_the_question_is_framed_in_cyan_and_every_reveal_of_the_answer_in_green(sample_decks):
    cards = load_library([sample_decks]).select(["sample"])[1:2]  # momentum
    _, ansi = confirmations(cards, ["", "p"])  # the whole answer fits: shown at once
    assert border_codes(ansi, "question") == {"36"} and border_codes(ansi, "model answer") == {GREEN}
    after_m = ask_then_m(cards[0], colour=True)
    assert border_codes(after_m, "model answer") == {GREEN}
    before_m = ask_then_m(cards[0], colour=True, before=True)
    assert border_codes(before_m, "model answer · key points first") == {GREEN}
    assert sgr_at(before_m, "The full model answer is") == {"2"}  # the hint is dim, as the other notes


ANSWER_DECK = """\
deck:
  id: sized
  title: Sized
  description: Whole answers of 12 and 13 lines.
cards:
  - id: twelve
    question: Twelve?
    answer: One line of answer.
    key_points: [p1, p2, p3, p4, p5, p6, p7, p8, p9]
  - id: thirteen
    question: Thirteen?
    answer: One line of answer.
    key_points: [p1, p2, p3, p4, p5, p6, p7, p8, p9, p10]
"""


def test_a_tiny_screen_still_shows_a_twelve_line_answer_whole(tmp_path):
    (tmp_path / "sized.yaml").write_text(ANSWER_DECK, encoding="utf-8")
    library = load_library([tmp_path])
    for name, lines, short in (("twelve", 12, False), ("thirteen", 13, True)):
        card = library.card(f"sized/{name}")
        out = io.StringIO()
        console = Console(file=out, width=80, height=5, force_terminal=True, no_color=True)
        with open_store(home_dir()) as store:
            QuizSession(store, console, reader(["", "p"], console), TODAY, {}, pager=False).run([card])
        if not short:  # answer, blank, "Key points:", nine points
            assert len(panel_lines(out.getvalue(), "model answer")) == lines
        assert ("key points first" in out.getvalue()) is short, name


def timed_screen(tmp_path, replies, *times):
    (tmp_path / "quick.yaml").write_text(QUICK_DECK, encoding="utf-8")
    cards = load_library([tmp_path]).select(["quick"])
    out = io.StringIO()
    console = Console(file=out, width=100, theme=THEME, force_terminal=True, color_system="standard", no_color=False,
                      highlight=False)
    with open_store(home_dir()) as store:
        s = QuizSession(store, console, reader(replies, console), TODAY, {}, mode="timed", time_limit=5,
                        clock=ScriptedClock(*times))
        s.run(cards)
        rows = [(r.item, r.grade, r.mode) for r in store.log()]
        details = [r.detail for r in store.log()]
    s.details = details
    return s, out.getvalue(), ANSI.sub("", out.getvalue()).splitlines(), rows


def test_a_blank_timed_answer_is_said_to_be_a_miss_in_red_and_the_relearning_ask_is_not_timed(tmp_path):
    # "answer" left blank: a miss at once, no grade asked; "days" right; "answer" again, relearning:
    # blank is no miss there (Enter just reveals), and it is graded by hand.
    s, ansi, lines, rows = timed_screen(tmp_path, ["", "7", "", "", "p"], 0, 1, 1.5, 2, 3, 3.5, 4, 40, 41)
    assert lines.count("✗ no answer typed — in timed mode that is a miss") == 1
    assert sgr_at(ansi, "✗ no answer typed") == {"1", "31"}
    assert rows == [("quick/answer", "fail", "timed"), ("quick/days", "pass", "timed"), ("quick/answer", "pass", "relearn")]
    assert s.tally.line() == "2 graded and saved (1 passed, 1 missed, 0 skipped); relearned 1 of 1"


def grade_prompts(lines):
    """The grade prompts as echoed, each with the key typed."""
    return [line for line in lines if "grade › " in line.lower()]


TOO_SLOW_KEYS = "Enter continue · s skip · u undo · q save the miss and quit"


def test_too_slow_says_by_how_much_in_red_offers_its_keys_dim_and_saves_the_time_to_the_hundredth(tmp_path):
    s, ansi, lines, rows = timed_screen(tmp_path, ["42", "x", ""], 0, 6.1234, 7, 10)  # then the input ends
    assert "⏱ too slow: 6.1 s > 5 s — counts as a miss" in lines and sgr_at(ansi, "⏱ too slow") == {"1", "31"}
    assert TOO_SLOW_KEYS in lines and sgr_at(ansi, TOO_SLOW_KEYS) == {"2"}
    assert f"? 'x': {TOO_SLOW_KEYS}" in lines  # a key it does not know: the keys again
    assert grade_prompts(lines) == ["grade › x", "grade › "]
    assert rows == [("quick/answer", "fail", "timed")] and s.details == [{"auto": True, "timed_out": 6.12}]


def test_q_after_too_slow_saves_the_miss_and_stops_before_the_next_card(tmp_path):
    s, _, lines, rows = timed_screen(tmp_path, ["42", "q"], 0, 6, 7)
    assert rows == [("quick/answer", "fail", "timed")] and s.stopped
    assert not [line for line in lines if line.startswith("[2/2]")]


def test_after_too_slow_u_takes_back_the_last_grade_and_s_skips_the_card(tmp_path):
    # "answer" right in 1 s; "days" too slow, u: the pass on "answer" is undone, it is asked again
    # and passed; "days" too slow again, s: skipped, nothing saved for it.
    s, ansi, lines, rows = timed_screen(tmp_path, ["42", "", "7", "u", "42", "", "7", "s"],
                                        0, 1, 1.5, 2, 8, 10, 11, 11.5, 12, 18)
    assert "undone: pass on quick/answer — asking it again" in lines
    assert rows == [("quick/answer", "pass", "timed"), ("quick/answer", "undo", "timed"), ("quick/answer", "pass", "timed")]
    assert "skipped (still new)" in lines
    assert s.tally.line() == "1 graded and saved (1 passed, 0 missed, 1 skipped)"
    assert lines.count("✓ correct") == 2 and sgr_at(ansi, "✓ correct") == {"1", "32"}
    assert grade_prompts(lines) == ["grade › ", "grade › u", "grade › ", "grade › s"]


def test_an_answer_that_reads_as_nothing_is_not_echoed_back_as_read(tmp_path):
    (tmp_path / "quick.yaml").write_text(QUICK_DECK, encoding="utf-8")
    card = load_library([tmp_path]).card("quick/answer")
    out = io.StringIO()
    console = Console(file=out, width=100, no_color=True)
    with open_store(home_dir()) as store:
        QuizSession(store, console, reader(["...", "", "41", ""], console), TODAY, {}, relearn=False).run([card, card])
    lines = out.getvalue().splitlines()
    assert "✗ not accepted (expected: 42)" in lines  # "..." reads as nothing: no "read as"
    assert "✗ not accepted (expected: 42; read as 41)" in lines


def test_after_the_auto_check_each_key_does_what_it_says_and_no_other(tmp_path):
    (tmp_path / "quick.yaml").write_text(QUICK_DECK, encoding="utf-8")
    card = load_library([tmp_path]).card("quick/answer")
    out = io.StringIO()
    console = Console(file=out, width=100, no_color=True)
    replies = ["42", "f",  # right, but f: marked wrong
               "42", "e",  # right, e: easy
               "41", "e", "x", "s"]  # wrong: e (not offered for a wrong answer) and x are refused; s skips
    with open_store(home_dir()) as store:
        s = QuizSession(store, console, reader(replies, console), TODAY, {}, relearn=False)
        s.run([card, card, card])
        rows = [(r.grade, r.detail) for r in store.log()]
    lines = out.getvalue().splitlines()
    assert rows == [("fail", {"auto": True, "override": True}), ("easy", {"auto": True})]
    wrong_keys = "Enter accept · o I was right · s skip · u undo · q quit"
    assert f"? 'e': {wrong_keys}" in lines and f"? 'x': {wrong_keys}" in lines
    assert "skipped (still new)" in lines and s.tally.skipped == 1


# -- the grade prompt: every word it takes, and what it says to one it does not ---------------


def play(cards, replies, *, width=120, colour=False, states=None, answer_lines=200, prompts=None, **kw):
    """Run a quiz session over ``cards`` answering ``replies`` (echoed, as a terminal shows
    them); ``kw`` goes to QuizSession. Returns the screen, the saved reviews and the session."""
    out = io.StringIO()
    console = Console(file=out, width=width, theme=THEME, force_terminal=colour, highlight=False,
                      **({"color_system": "standard", "no_color": False} if colour else {"no_color": True}))
    with open_store(home_dir()) as store:
        s = QuizSession(store, console, reader(replies, console, prompts), TODAY, states or {}, answer_lines=answer_lines, **kw)
        s.run(cards)
        reviews = store.log()
    return out.getvalue(), reviews, s


def grade_round(cards, replies, *, answer_lines=200, relearn=True):
    """The screen, the saved (item, grade, detail) rows and the session."""
    text, reviews, s = play(cards, replies, answer_lines=answer_lines, relearn=relearn)
    return text, [(r.item, r.grade, r.detail) for r in reviews], s


@pytest.mark.parametrize(("word", "grade"), [
    ("p", "pass"), ("pass", "pass"), ("y", "pass"), ("  PASS ", "pass"), ("Y", "pass"),
    ("e", "easy"), ("easy", "easy"), ("Easy", "easy"),
    ("f", "fail"), ("fail", "fail"), ("FAIL", "fail"),
])
def test_a_self_graded_card_takes_the_grade_as_a_letter_or_a_word_in_any_case(sample_decks, word, grade):
    card = load_library([sample_decks]).card("sample/momentum")
    text, rows, s = grade_round([card], ["", word], relearn=False)
    assert rows == [("sample/momentum", grade, None)]
    assert "?" not in text.split("grade › ", 1)[1].splitlines()[0]  # taken at once, no warning


def test_words_that_are_not_grades_are_answered_with_the_keys_and_the_key_point_range(sample_decks):
    card = load_library([sample_decks]).card("sample/momentum")  # 3 key points
    text, rows, _ = grade_round([card], ["", "ok", "4", "1 4", "m", "o", "2,3"])
    keys = "p pass · e easy · f fail · s skip · u undo · q quit"
    for typed in ("ok", "4", "1 4", "m", "o"):  # m: the whole answer is already on screen; o: not auto-checked
        assert f"? {typed!r}: key points are numbered 1-3; a all, n none; {keys}" in text
    assert rows == [("sample/momentum", "pass", {"key_points_hit": [2, 3], "key_points": 3})]
    assert "✓ pass (2 of 3 key points)" in text


def test_a_card_without_key_points_asks_for_a_grade_alone_and_takes_no_numbers(tmp_path):
    (tmp_path / "bare.yaml").write_text(
        "deck: {id: bare, title: Bare, description: No key points.}\ncards:\n  - {id: stability, question: When does GD diverge?, answer: When η > 2/λ_max.}\n",
        encoding="utf-8")
    card = load_library([tmp_path]).card("bare/stability")
    text, rows, _ = grade_round([card], ["", "1", "a", "f"], relearn=False)
    keys = "p pass · e easy · f fail · s skip · u undo · q quit"
    assert "Key points hit?" not in text
    assert f"\n{keys}\n" in text  # no "or": there is nothing to offer before it
    assert f"? '1': {keys}" in text and f"? 'a': {keys}" in text and "numbered" not in text
    assert rows == [("bare/stability", "fail", None)]


def test_q_at_the_grade_prompt_quits_then_and_there_saving_nothing_for_the_card(sample_decks):
    cards = load_library([sample_decks]).select(["sample"])  # betas, momentum, stability
    text, rows, s = grade_round(cards, ["0.9, 0.999", "", "", "q", "p", "", "p"])
    assert rows == [("sample/betas", "pass", {"auto": True})]  # momentum was not graded; nothing after it read
    assert s.stopped and text.count("grade › ") == 2 and "grade › p" not in text
    assert "When does GD on a quadratic diverge?" not in text
    assert text.rstrip().endswith("stopped; every grade so far is saved")


def test_the_auto_check_takes_only_the_keys_its_verdict_offers(sample_decks):
    card = load_library([sample_decks]).card("sample/betas")
    right = "Enter accept · e easy · f mark it wrong · s skip · u undo · q quit"
    text, rows, _ = grade_round([card], ["0.9, 0.999", "o", "m", "p", "f"], relearn=False)
    for typed in ("o", "m", "p"):  # o: it was accepted; m: the whole answer is on screen; p: not a key here
        assert f"? {typed!r}: {right}" in text
    assert rows == [("sample/betas", "fail", {"auto": True, "override": True})]
    wrong = "Enter accept · o I was right · s skip · u undo · q quit"
    text, rows, _ = grade_round([card], ["0.9, 0.99", "e", "f", "m", "o"], relearn=False)
    for typed in ("e", "f", "m"):  # nothing to mark wrong, and no easy for a miss
        assert f"? {typed!r}: {wrong}" in text
    assert rows[-1] == ("sample/betas", "pass", {"auto": True, "override": True})


def test_q_after_an_auto_check_quits_without_saving_the_verdict(sample_decks):
    cards = load_library([sample_decks]).select(["sample"])
    text, rows, s = grade_round(cards, ["0.9, 0.999", "q", "", "p"])
    assert rows == [] and s.stopped and "Why does momentum help" not in text


# -- the loop: skips, undo with nothing to undo, the relearning round ---------------------------


def prompted_round(cards, replies, *, states=None, mode="quiz", relearn=True):
    """Like grade_round, with (item, grade, mode) rows and every prompt the session read a line with."""
    prompts: list[str] = []
    text, reviews, s = play(cards, replies, states=states, mode=mode, relearn=relearn, prompts=prompts)
    return text.splitlines(), [(r.item, r.grade, r.mode) for r in reviews], s, prompts


def test_a_skip_saves_nothing_and_says_whether_the_card_is_still_new_or_still_due(sample_decks):
    from datetime import timedelta

    from gdgrill.scheduler import Grade, Review, card_state

    cards = load_library([sample_decks]).select(["sample"])  # betas, momentum, stability
    seen = card_state([Review(TODAY - timedelta(days=3), Grade.PASS)])  # betas: a state with no review (its one undone)
    lines, rows, s, prompts = prompted_round(cards, ["", "s", "", "s", "", "f", "", "s"],
                                             states={"sample/momentum": seen, "sample/betas": card_state([])})
    assert lines.count("skipped (still new)") == 1 and lines.count("skipped (still due)") == 1
    assert lines.count("skipped") == 1  # the relearning ask of stability: neither new nor due, just skipped
    assert rows == [("sample/stability", "fail", "quiz")] and s.tally.skipped == 3
    assert prompts[0] == "Your answer (Enter reveals · q quits) › " and prompts[1] == "grade › "


def test_undo_before_any_grade_says_there_is_nothing_to_undo_and_asks_the_card_again(sample_decks):
    card = load_library([sample_decks]).card("sample/stability")
    lines, rows, s, _ = prompted_round([card], ["", "u", "", "p"])
    assert "nothing to undo yet" in lines
    assert [line for line in lines if line.startswith("[")] == ["[1/1] sample · tier 3 · new card"] * 2
    assert rows == [("sample/stability", "pass", "quiz")] and s.tally.passed == 1


@pytest.mark.parametrize("typed", ["q", " Q ", "Q"])
def test_q_as_the_answer_quits_before_the_reveal_in_any_case(sample_decks, typed):
    cards = load_library([sample_decks]).select(["sample"])
    lines, rows, s, prompts = prompted_round(cards, [typed, "p"])
    assert rows == [] and s.stopped and prompts == ["Your answer (Enter reveals · q quits) › "]
    assert not [line for line in lines if "model answer" in line]


def test_the_relearning_round_says_how_many_come_back_and_what_happens_to_the_schedule(sample_decks):
    cards = load_library([sample_decks]).select(["sample"])
    lines, rows, _, _ = prompted_round(cards, ["", "f", "", "p", "", "f", "", "p", "", "f"])
    banner = [line for line in lines if line.startswith("Relearning:")]
    assert banner == ["Relearning: the 2 card(s) you missed come back once more (saved, but the schedule stays: a miss is due tomorrow)."]
    assert [line for line in lines if line.startswith("[")] == [
        "[1/3] sample · tier 1 · new card", "[2/3] sample · tier 2 · new card", "[3/3] sample · tier 3 · new card",
        "[4/5] sample · tier 1 · relearning: missed earlier today", "[5/5] sample · tier 3 · relearning: missed earlier today"]
    assert rows[3:] == [("sample/betas", "pass", "relearn"), ("sample/stability", "fail", "relearn")]  # then no third ask
    lines, _, _, _ = prompted_round(cards[:1], ["", "f", "", "f"], mode="cram")
    assert "Relearning: the 1 card(s) you missed come back once more (saved, but the schedule is not touched)." in lines


def test_undoing_a_relearning_miss_asks_it_again_as_a_relearning_card(sample_decks):
    cards = load_library([sample_decks]).select(["sample"])[1:]  # momentum, stability
    # both missed; relearning: momentum missed again, then u at stability's grade takes that back
    lines, rows, s, _ = prompted_round(cards, ["", "f", "", "f", "", "f", "", "u", "", "p", "", "p"])
    assert "undone: miss on sample/momentum — asking it again" in lines
    assert [line for line in lines if line.startswith("[")][2:] == [
        "[3/4] sample · tier 2 · relearning: missed earlier today", "[4/4] sample · tier 3 · relearning: missed earlier today",
        "[3/4] sample · tier 2 · relearning: missed earlier today", "[4/4] sample · tier 3 · relearning: missed earlier today"]
    assert rows[2:] == [("sample/momentum", "fail", "relearn"), ("sample/momentum", "undo", "relearn"),
                        ("sample/momentum", "pass", "relearn"), ("sample/stability", "pass", "relearn")]
    assert "Relearning:" in "\n".join(lines) and sum(line.startswith("Relearning:") for line in lines) == 1


def test_a_miss_undone_after_the_relearning_round_began_is_not_relearnt_unless_missed_again(sample_decks):
    cards = load_library([sample_decks]).select(["sample"])[1:]  # momentum, stability
    # Both missed. Relearning momentum: skipped. At stability's relearning grade, u takes back
    # stability's miss (asked again as itself, passed: nothing to relearn), then momentum's
    # original ask comes back too after a second u.
    lines, rows, s, _ = prompted_round(cards, ["", "f", "", "f", "", "s", "", "u", "", "u", "", "p", "", "p"])
    headers = [line for line in lines if line.startswith("[")]
    assert headers[4:] == ["[3/4] sample · tier 3 · new card", "[2/4] sample · tier 2 · new card",
                           "[3/4] sample · tier 3 · new card"]
    assert rows == [("sample/momentum", "fail", "quiz"), ("sample/stability", "fail", "quiz"),
                    ("sample/stability", "undo", "quiz"), ("sample/momentum", "undo", "quiz"),
                    ("sample/momentum", "pass", "quiz"), ("sample/stability", "pass", "quiz")]
    assert "relearning: missed earlier today" not in "\n".join(headers[4:])
    lines, rows, _, _ = prompted_round(cards[1:], ["", "f", "", "u", "", "f", "", "p"])
    # undone at its relearning ask, then missed again: it is relearnt after all
    assert rows[-1] == ("sample/stability", "pass", "relearn")


def test_a_one_line_answer_shown_key_points_first_says_line_not_lines(tmp_path):
    points = ", ".join(f"point {i}" for i in range(1, 7))
    (tmp_path / "short.yaml").write_text(
        "deck: {id: short, title: Short, description: One line of answer.}\n"
        f"cards:\n  - {{id: one, question: Why?, answer: Because., key_points: [{points}]}}\n", encoding="utf-8")
    card = load_library([tmp_path]).card("short/one")
    text, _, _ = grade_round([card], ["", "p"], answer_lines=3)
    assert "The full model answer is 1 line: press m to read it." in " ".join(text.replace("│", " ").split())


def test_with_the_key_points_shown_first_any_grade_key_works_and_m_is_one_key_among_them(sample_decks):
    card = load_library([sample_decks]).card("sample/momentum")
    keys = "p pass · e easy · f fail · m full answer · s skip · u undo · q quit"
    for replies, grade in ((["", "x", "M ", "p"], "pass"), (["", "f"], "fail"), (["", "2 3"], "pass")):
        text, rows, _ = grade_round([card], replies, answer_lines=3, relearn=False)
        assert rows[-1][1] == grade  # one data folder for the test: the newest row
        if "x" in replies:
            assert f"? 'x': key points are numbered 1-3; a all, n none; {keys}" in text
            assert text.count("╭─ model answer ─") == 1  # M (any case, spaces) showed it whole, once
        else:
            assert "╭─ model answer ─" not in text  # a grade straight away: the whole answer was not asked for


def test_the_grade_keys_line_is_dim_like_every_other_hint(sample_decks):
    card = load_library([sample_decks]).card("sample/momentum")
    out = io.StringIO()
    console = Console(file=out, width=100, theme=THEME, force_terminal=True, color_system="standard", highlight=False)
    with open_store(home_dir()) as store:
        QuizSession(store, console, reader(["", "p"], console), TODAY, {}, answer_lines=200).run([card])
    ansi = out.getvalue()
    line = next(line for line in ansi.splitlines() if "or p pass" in line)
    assert line.startswith("\x1b[2m") and "\x1b[2mor p pass · e easy · f fail · s skip · u undo · q quit" in line


# -- the question: its header, the timer, a curve, the checkpoint's own task ------------------


def question_screen(cards, replies, *, width=100, **kw):
    return play(cards, replies, width=width, **kw)[0]


def test_the_header_is_dim_and_names_the_stage_in_cram_and_at_a_maintenance_check(sample_decks):
    from datetime import timedelta

    from gdgrill.scheduler import Grade, Review, card_state

    card = load_library([sample_decks]).card("sample/stability")
    text = question_screen([card], ["", "p"], colour=True)
    assert "\x1b[2m[1/1] sample · tier 3 · new card" in text
    assert "[1/1] sample · tier 3 · cram (schedule untouched)" in question_screen([card], ["", "p"], mode="cram")
    mastered = card_state([Review(TODAY - timedelta(days=d), Grade.PASS) for d in (60, 57, 53, 46, 39)])
    assert mastered.checkpoint_day is None  # past the day-21 checkpoint
    assert "[1/1] sample · tier 3 · maintenance check" in question_screen([card], ["", "p"], states={"sample/stability": mastered})


def test_a_timed_card_shows_its_seconds_in_the_header_but_not_when_it_comes_back_to_relearn(sample_decks):
    card = load_library([sample_decks]).card("sample/betas")
    clock = iter(float(t) for t in range(0, 100))
    text = question_screen([card], ["0.9, 0.99", "", "0.9, 0.999", ""], mode="timed", time_limit=5,
                           clock=lambda: next(clock))
    headers = [line for line in text.splitlines() if line.startswith("[")]
    assert headers == ["[1/1] sample · tier 1 · new card · ⏱ 5 s", "[2/2] sample · tier 1 · relearning: missed earlier today"]


def test_a_curve_card_draws_its_run_70_columns_wide_or_the_screen_without_its_markers():
    card = load_library().card("diagnostics/curve-step-decay-plateau")
    for width, drawn in ((100, 70), (60, 60)):
        text = question_screen([card], ["", "p"], width=width)
        chart = text[:text.index("╭─ question")].splitlines()
        assert max(len(line.rstrip()) for line in chart) == drawn
        assert "lr x0.1" not in text[:text.index("╭─ model answer")]  # the marker would give the answer away


def test_a_checkpoints_own_task_follows_the_question_after_a_blank_line_in_bold_cyan_in_a_quiz_only(sample_decks):
    from datetime import timedelta

    from gdgrill.scheduler import Grade, Review, card_state

    card = load_library([sample_decks]).card("sample/momentum")  # its day-3 task: "Explain it without notes ..."
    states = {"sample/momentum": card_state([Review(TODAY - timedelta(days=3), Grade.PASS)])}
    task = "Explain it without notes in three sentences."
    text = question_screen([card], ["", "p"], states=states)
    inside = [line.strip("│ ") for line in text.splitlines() if line.startswith("│")]
    at = inside.index(task)
    assert inside[at - 2:at] == ["Why does momentum help in a narrow valley?", ""]
    coloured = question_screen([card], ["", "p"], states=states, colour=True)
    assert "\x1b[1;36m" + task in coloured
    assert task not in question_screen([card], ["", "p"], states=states, mode="cram")
    relearnt = question_screen([card], ["", "f", "", "p"], states=states)
    assert relearnt.count(task) == 1  # asked on the checkpoint, not again when it comes back to relearn


def test_the_countdown_runs_on_the_quiz_screen_for_a_timed_ask_only_not_when_the_card_comes_back(sample_decks, monkeypatch):
    started = []

    class Recorder:
        def __init__(self, seconds, file, width):
            started.append((seconds, file, width))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return None

    monkeypatch.setattr(quiz, "Countdown", Recorder)
    card = load_library([sample_decks]).card("sample/betas")
    out = io.StringIO()
    console = Console(file=out, width=90, force_terminal=True, no_color=True, highlight=False)
    with open_store(home_dir()) as store:
        s = QuizSession(store, console, reader(["0.9, 0.99", "", "0.9, 0.999", ""], console), TODAY, {},
                        mode="timed", time_limit=5, clock=Clock(0.0))
        assert s.run([card]) is s.tally  # the caller gets the session's tally
    assert started == [(5, out, 90)]  # the first ask; its relearning ask is not timed
    piped = Console(file=io.StringIO(), width=90, no_color=True)  # not a terminal: nothing to redraw in place
    with open_store(home_dir()) as store:
        QuizSession(store, piped, reader(["0.9, 0.999", ""], piped), TODAY, {}, mode="timed", time_limit=5, clock=Clock(0.0)).run([card])
    assert started == [(5, out, 90)]


def test_skip_and_undo_notes_are_dim_and_yellow_and_the_relearning_banner_is_a_heading(sample_decks):
    cards = load_library([sample_decks]).select(["sample"])[1:]
    ansi = question_screen(cards, ["", "u", "", "s", "", "f", "", "p"], colour=True)
    assert "\x1b[33mnothing to undo yet" in ansi and "\x1b[2mskipped (still new)" in ansi
    assert "\x1b[1mRelearning: the 1 card(s)" in ansi


def test_an_auto_checked_card_shown_key_points_first_offers_m_and_then_the_verdict_stands(sample_decks):
    card = load_library([sample_decks]).card("sample/betas")
    text, rows, _ = grade_round([card], ["0.9, 0.999", " M ", ""], answer_lines=1, relearn=False)
    assert "Enter accept · e easy · f mark it wrong · m full answer · s skip · u undo · q quit" in text
    assert text.count("╭─ model answer ─") == 1  # m showed it whole
    assert "Enter accept · e easy · f mark it wrong · s skip · u undo · q quit" in text.split("╭─ model answer ─")[1]
    assert rows == [("sample/betas", "pass", {"auto": True})]


def test_a_relearning_ask_passed_over_does_not_end_the_round_for_the_cards_after_it(sample_decks):
    cards = load_library([sample_decks]).select(["sample"])[1:]  # momentum, stability
    # Both missed; at momentum's relearning grade u, u takes back both misses; momentum is
    # then passed, stability missed again: momentum's relearning ask is passed over, and
    # stability's still comes.
    lines, rows, _, _ = prompted_round(cards, ["", "f", "", "f", "", "u", "", "u", "", "p", "", "f", "", "p"])
    assert rows == [("sample/momentum", "fail", "quiz"), ("sample/stability", "fail", "quiz"),
                    ("sample/stability", "undo", "quiz"), ("sample/momentum", "undo", "quiz"),
                    ("sample/momentum", "pass", "quiz"), ("sample/stability", "fail", "quiz"),
                    ("sample/stability", "pass", "relearn")]
    assert "undone: miss on sample/stability — asking it again" in lines


def test_the_same_card_missed_twice_in_one_run_can_have_both_misses_undone(sample_decks):
    card = load_library([sample_decks]).card("sample/stability")
    lines, rows, s, _ = prompted_round([card] * 3, ["", "f", "", "f", "", "u", "", "u", "", "p", "", "p", "", "p"], relearn=False)
    assert [r[1] for r in rows] == ["fail", "fail", "undo", "undo", "pass", "pass", "pass"] and not s.stopped


def test_an_undo_is_said_in_yellow(sample_decks):
    card = load_library([sample_decks]).card("sample/stability")
    ansi = question_screen([card] * 3, ["", "p", "", "u", "", "p", "", "p"], colour=True, relearn=False)
    assert "\x1b[33mundone: pass on sample/stability — asking it again" in ansi
    assert "\x1b[2mstopped; every grade so far is saved" in ansi  # the input ran out
