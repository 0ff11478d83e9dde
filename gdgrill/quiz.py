"""A quiz session: which cards to ask today, and the ask → reveal → grade loop.

The loop talks to the user only through a ``read_line(prompt)`` callable and a Rich
console, so it runs the same in a terminal, under a pseudo-terminal test, and with
answers piped one per line. Each grade is committed to the store before the next card
is shown; the screen only says "saved" after the commit.
"""

from __future__ import annotations

import math
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Callable, Iterable, NamedTuple, Sequence

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from gdgrill.answers import is_accepted
from gdgrill.decks import Card
from gdgrill.errors import UserError
from gdgrill.scheduler import NEW_STATE, CardState, Grade
from gdgrill.store import NON_SCHEDULING_MODES, Store
from gdgrill.text import reflow

DEFAULT_NEW_PER_DAY = 10
DEFAULT_CRAM_LIMIT = 20
DEFAULT_TIMED_SECONDS = 10.0  # when no deck sets timed_seconds
CHECKPOINT_LABELS = {
    0: "day 0 · recall",
    3: "day 3 · explain it without notes",
    7: "day 7 · apply it to a scenario",
    14: "day 14 · compare and connect",
    21: "day 21 · answer as in the interview",
}


def pass_threshold(key_points: int) -> int:
    """Key points needed for a pass: a strict majority ("most of them")."""
    return key_points // 2 + 1


class Plan(NamedTuple):
    due: list[Card]
    new: list[Card]

    @property
    def cards(self) -> list[Card]:
        return self.due + self.new


def plan_session(
    cards: Sequence[Card],
    states: dict[str, CardState],
    today: date,
    *,
    new_per_day: int = DEFAULT_NEW_PER_DAY,
    introduced_today: int = 0,
    limit: int | None = None,
    cram: bool = False,
) -> Plan:
    """Due cards first, most overdue first; then new cards (lowest tier first), capped
    per day. In cram mode: every selected card, weakest first, schedule untouched."""
    if cram:
        order = sorted(
            cards,
            key=lambda c: (-states.get(c.key, NEW_STATE).lapses, states.get(c.key, NEW_STATE).rung, c.tier),
        )
        return Plan(due=order[: limit or DEFAULT_CRAM_LIMIT], new=[])
    due = [c for c in cards if c.key in states and states[c.key].is_due(today)]
    due.sort(key=lambda c: -states[c.key].days_overdue(today))  # stable: deck order breaks ties
    new = sorted((c for c in cards if c.key not in states), key=lambda c: c.tier)
    new = new[: max(new_per_day - introduced_today, 0)]
    if limit is not None:
        due = due[:limit]
        new = new[: max(limit - len(due), 0)]
    return Plan(due=due, new=new)


@dataclass
class Tally:
    passed: int = 0
    missed: int = 0
    skipped: int = 0
    graded: list[tuple[str, int, Grade]] = field(default_factory=list)  # (card key, review id, grade)

    def add(self, key: str, review_id: int, grade: Grade) -> None:
        self.graded.append((key, review_id, grade))
        if grade is Grade.PASS:
            self.passed += 1
        else:
            self.missed += 1

    def pop(self) -> tuple[str, int, Grade]:
        key, review_id, grade = self.graded.pop()
        if grade is Grade.PASS:
            self.passed -= 1
        else:
            self.missed -= 1
        return key, review_id, grade

    def line(self) -> str:
        n = self.passed + self.missed
        return f"{n} graded and saved ({self.passed} passed, {self.missed} missed, {self.skipped} skipped)"


class Countdown:
    """Seconds left, redrawn at the right edge of the answer line while the user types.

    A background thread saves the cursor, writes the figure at the last columns of the
    current line and restores the cursor, so typing is never disturbed. Terminals only."""

    def __init__(self, seconds: float, file: IO[str], width: int, tick: float = 0.25):
        self.deadline = time.monotonic() + seconds
        self.file = file
        self.column = max(width - 9, 1)
        self.tick = tick
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _draw(self) -> None:
        left = self.deadline - time.monotonic()
        label = f"⏱ {left:4.1f}s" if left > 0 else "⏱ time! "
        self.file.write(f"\x1b7\x1b[{self.column}G{label}\x1b8")
        self.file.flush()

    def _run(self) -> None:
        while not self.stop.wait(self.tick):
            self._draw()

    def __enter__(self) -> "Countdown":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


class Quit(Exception):
    """The user asked to stop (q, or end of input)."""


@dataclass
class QuizSession:
    store: Store
    console: Console
    read_line: Callable[[str], str]
    today: date
    states: dict[str, CardState]
    mode: str = "quiz"
    clock: Callable[[], float] = time.monotonic
    tally: Tally = field(default_factory=Tally)
    # Whether a grade moves the ladder; None: the store decides from the mode (cram: no).
    schedules: Callable[[Grade], bool] | None = None
    # Timed quick-fire: seconds allowed per auto-checked card (a later answer is a miss).
    time_limit: float | None = None
    answer_seconds: float = 0.0  # time spent answering timed cards
    timed_cards: int = 0
    stopped: bool = False  # the user quit (q or end of input) before the last card
    # Under an interview plan the planner, not the ladder's due day, picks the next review.
    planned: bool = False

    # -- rendering ---------------------------------------------------------------------
    def _show_question(self, card: Card, position: int, total: int) -> None:
        state = self.states.get(card.key, NEW_STATE)
        cp_day = state.checkpoint_day
        if state.reviews == 0:
            stage = "new card"
        elif cp_day is None:
            stage = "maintenance check"
        elif card.prompt_for(cp_day):
            stage = f"day-{cp_day} checkpoint"  # the card's own prompt says what to do
        else:
            stage = CHECKPOINT_LABELS[cp_day]
        if self.mode == "cram":
            stage = "cram (schedule untouched)"
        timed = f" · ⏱ {self.time_limit:g} s" if self._timed(card) else ""
        header = Text(f"[{position}/{total}] {card.deck} · tier {card.tier} · {stage}{timed}", style="muted")
        self.console.print()
        self.console.print(header)
        body = Text(card.question)
        if card.curve:
            from gdgrill.curves import load_curve, render_curve

            # Markers ("lr ×0.1 at step 400") would give the diagnosis away before the reveal.
            curve = load_curve(card.curve)
            self.console.print(render_curve(curve, width=min(70, self.console.width), show_markers=False))
        prompt = card.prompt_for(cp_day)
        if prompt:
            body.append("\n\n")
            body.append(prompt, style="key")
        self.console.print(Panel(body, title="question", title_align="left", border_style="cyan"))

    def _show_answer(self, card: Card) -> None:
        body = Text(reflow(card.answer))
        if card.curve:
            from gdgrill.curves import load_curve

            body.append(f"\n\nThe run: {load_curve(card.curve).description}", style="muted")
        if card.key_points:
            body.append("\n\nKey points:", style="title")
            for i, point in enumerate(card.key_points, 1):
                body.append(f"\n  {i}. {point}")
        if card.followups:
            body.append("\n\nLikely follow-ups:", style="title")
            for f in card.followups:
                body.append(f"\n  • {f}")
        self.console.print(Panel(body, title="model answer", title_align="left", border_style="green"))

    # -- input -------------------------------------------------------------------------
    def _read(self, prompt: str) -> str:
        try:
            return self.read_line(prompt)
        except EOFError:
            raise Quit from None

    def _countdown(self, card: Card) -> "Countdown | nullcontext[None]":
        if self._timed(card) and self.console.is_terminal:
            assert self.time_limit is not None
            return Countdown(self.time_limit, self.console.file, self.console.width)
        return nullcontext()

    def _timed(self, card: Card) -> bool:
        return self.time_limit is not None and card.auto_checked

    def _grade_prompt(self, card: Card, typed: str, took: float) -> tuple[str, Grade | None, dict]:
        """Ask for a grade. Returns (action, grade, detail); action is grade/skip/undo."""
        if self._timed(card):
            assert self.time_limit is not None
            if not typed.strip():
                self.console.print(Text("✗ no answer typed — in timed mode that is a miss", style="bad"))
                return "grade", Grade.FAIL, {"auto": True, "blank": True}
            if took > self.time_limit:
                self.console.print(Text(f"⏱ too slow: {took:.1f} s > {self.time_limit:g} s — counts as a miss", style="bad"))
                self.console.print(Text("Enter continue · s skip · u undo · q quit", style="muted"))
                while True:
                    choice = self._read("grade › ").strip().lower()
                    if choice == "":
                        return "grade", Grade.FAIL, {"auto": True, "timed_out": round(took, 2)}
                    if choice in ("s", "u", "q"):
                        return self._command(choice)
        if card.auto_checked and typed.strip():
            verdict = is_accepted(typed, card.accept)
            if verdict:
                self.console.print(Text("✓ correct", style="ok"))
                help_line = "Enter accept · f mark it wrong · s skip · u undo · q quit"
            else:
                expected = card.accept[0].replace("..", " to ")
                self.console.print(Text(f"✗ not accepted (expected: {expected})", style="bad"))
                help_line = "Enter accept · o override: my answer was right · s skip · u undo · q quit"
            self.console.print(Text(help_line, style="muted"))
            while True:
                choice = self._read("grade › ").strip().lower()
                if choice == "":
                    return "grade", Grade.PASS if verdict else Grade.FAIL, {"auto": True}
                if choice == "o" and not verdict:
                    return "grade", Grade.PASS, {"auto": True, "override": True}
                if choice == "f" and verdict:
                    return "grade", Grade.FAIL, {"auto": True, "override": True}
                if choice in ("s", "u", "q"):
                    return self._command(choice)
                self.console.print(Text(f"? {choice!r}: press Enter, or one of the keys shown", style="warn"))
        n = len(card.key_points)
        if n:
            help_line = (
                f"Which key points did you hit? numbers (e.g. 1 3) · a all · n none — pass needs {pass_threshold(n)} of {n}"
                " · or p pass · f fail · s skip · u undo · q quit"
            )
        else:
            help_line = "p pass · f fail · s skip · u undo · q quit"
        self.console.print(Text(help_line, style="muted"))
        while True:
            choice = self._read("grade › ").strip().lower()
            if choice in ("p", "pass", "y"):
                return "grade", Grade.PASS, {}
            if choice in ("f", "fail"):
                return "grade", Grade.FAIL, {}
            if choice in ("s", "u", "q"):
                return self._command(choice)
            if n:
                hits = self._parse_hits(choice, n)
                if hits is not None:
                    grade = Grade.PASS if len(hits) >= pass_threshold(n) else Grade.FAIL
                    return "grade", grade, {"key_points_hit": sorted(hits), "key_points": n}
            hint = f"key points are numbered 1-{n}; a all, n none, " if n else ""
            self.console.print(Text(f"? {choice!r}: {hint}p pass, f fail, s skip, u undo, q quit", style="warn"))

    @staticmethod
    def _parse_hits(choice: str, n: int) -> set[int] | None:
        if choice in ("a", "all"):
            return set(range(1, n + 1))
        if choice in ("n", "none", "0"):
            return set()
        parts = choice.replace(",", " ").split()
        if not parts or not all(p.isascii() and p.isdigit() for p in parts):
            return None
        hits = {int(p) for p in parts}
        return hits if all(1 <= h <= n for h in hits) else None

    def _command(self, choice: str) -> tuple[str, None, dict]:
        if choice == "q":
            raise Quit
        return ("skip" if choice == "s" else "undo"), None, {}

    # -- the loop ----------------------------------------------------------------------
    def run(self, cards: Iterable[Card]) -> Tally:
        queue = list(cards)
        i = 0
        try:
            while i < len(queue):
                card = queue[i]
                self._show_question(card, i + 1, len(queue))
                started = self.clock()
                with self._countdown(card):
                    typed = self._read("Your answer (or just Enter to reveal) › ")
                took = self.clock() - started
                if self._timed(card):
                    self.timed_cards += 1
                    self.answer_seconds += took
                self._show_answer(card)
                action, grade, detail = self._grade_prompt(card, typed, took)
                if action == "skip":
                    self.tally.skipped += 1
                    state = self.states.get(card.key)
                    self.console.print(Text("skipped (still due)" if state and state.reviews else "skipped (still new)", style="muted"))
                    i += 1
                    continue
                if action == "undo":
                    if not self.tally.graded:
                        self.console.print(Text("nothing to undo yet", style="warn"))
                        continue
                    key, review_id, old = self.tally.pop()
                    self.store.undo(review_id, day=self.today)
                    self.console.print(Text(f"undone: {'pass' if old is Grade.PASS else 'miss'} on {key} — asking it again", style="warn"))
                    # Step back: the undone card is asked again now, in its old place.
                    undone = queue.pop(max(j for j in range(i) if queue[j].key == key))
                    i -= 1
                    queue.insert(i, undone)
                    continue
                assert grade is not None
                seconds = round(self.clock() - started, 3)
                scheduling = self.schedules(grade) if self.schedules else None
                review_id = self.store.record_review(
                    card.key, grade, self.mode, day=self.today, answer=typed or None, seconds=seconds,
                    detail=detail or None, scheduling=scheduling,
                )
                self.tally.add(card.key, review_id, grade)
                self._confirm(card, grade, scheduling)
                i += 1
        except Quit:
            self.stopped = True
            self.console.print(Text("stopped; every grade so far is saved", style="muted"))
        return self.tally

    def _confirm(self, card: Card, grade: Grade, scheduling: bool | None) -> None:
        mark = Text("✓ pass" if grade is Grade.PASS else "✗ miss", style="ok" if grade is Grade.PASS else "bad")
        if scheduling is False or (scheduling is None and self.mode in NON_SCHEDULING_MODES):
            mark.append(f" — saved ({self.mode}: schedule unchanged)", style="muted")
        elif self.planned:
            mark.append(" — saved · your plan picks its next review", style="muted")
        else:
            state = self.store.states_for([card.key]).get(card.key)
            if state and state.due:
                nxt = "maintenance check" if state.checkpoint_day is None else f"day-{state.checkpoint_day} checkpoint"
                mark.append(f" — saved · next on {state.due.isoformat()} ({nxt})", style="muted")
            else:
                mark.append(" — saved", style="muted")
        self.console.print(mark)


def timed_selection(cards: Sequence[Card], seconds: float, deck_default: float | None) -> tuple[list[Card], float]:
    """The cards a timed quick-fire round asks (auto-checked ones) and the seconds each;
    ``seconds`` 0 means the deck's default. Raises UserError when nothing qualifies."""
    if not math.isfinite(seconds) or seconds < 0:
        raise UserError(f"--timed {seconds:g}: expected a positive number of seconds")
    chosen = [c for c in cards if c.auto_checked]
    if not chosen:
        raise UserError(
            "timed mode asks only auto-checked cards (answers with 'accept'), and the selected decks have none;"
            " try --deck quick-fire"
        )
    return chosen, seconds or deck_default or DEFAULT_TIMED_SECONDS


def due_drills(states: dict[str, CardState], today: date) -> list[str]:
    """Names of the drills due today (drills sit on the ladder as 'drill/NAME')."""
    return sorted(k.split("/", 1)[1] for k, s in states.items() if k.startswith("drill/") and s.is_due(today))


def opening_lines(plan: Plan, states: dict[str, CardState], cards: Sequence[Card], today: date, cram: bool) -> list[str]:
    """What the quiz says before the first card: counts, drills due, or when to come back."""
    if cram:
        lines = [f"Cram: {len(plan.cards)} card(s), weakest first; the schedule is not touched."]
    else:
        lines = [f"{today.isoformat()}: {len(plan.due)} due, {len(plan.new)} new."]
        drills = due_drills(states, today)
        if drills:
            lines.append("Drills due too: " + ", ".join(f"gdgrill drill {d}" for d in drills))
    if not plan.cards:
        nd = next_due(states, (c.key for c in cards), today)
        msg = f"Nothing due. Next: {nd[1]} card(s) on {nd[0].isoformat()}." if nd else "Nothing due."
        lines.append(msg + " Practise anyway with 'gdgrill quiz --cram'.")
    return lines


def closing_lines(session: "QuizSession", after: dict[str, CardState], cards: Sequence[Card], today: date) -> list[str]:
    """The end-of-session summary: grades, the timed pace, what is still due, what next."""
    tally = session.tally
    lines = [f"Session done: {tally.line()}."]
    if session.time_limit and session.timed_cards:
        graded = tally.passed + tally.missed
        rate = 60 * session.timed_cards / session.answer_seconds if session.answer_seconds else 0.0
        accuracy = tally.passed / graded if graded else 0.0
        lines.append(f"Timed: {rate:.1f} answers per minute, {accuracy:.0%} accurate ({session.time_limit:g} s per card).")
    left = sum(1 for c in cards if c.key in after and after[c.key].is_due(today))
    if left:
        lines.append(f"Still due today: {left}.")
    nd = next_due(after, after.keys(), today)  # everything on the ladder: all decks and drills
    if session.planned:
        lines.append("Tomorrow: your plan's next items ('gdgrill due' lists them; 'gdgrill plan' shows the days ahead).")
    elif nd:
        lines.append(f"Next due: {nd[1]} item(s) on {nd[0].isoformat()}.")
    return lines


def next_due(states: dict[str, CardState], keys: Iterable[str], today: date) -> tuple[date, int] | None:
    """The first day after today with something due, and how many items then."""
    days = [s.due for k in keys if (s := states.get(k)) and s.due and s.due > today]
    if not days:
        return None
    first = min(days)
    return first, sum(1 for d in days if d == first)

