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

from gdgrill.decks import Card
from gdgrill.errors import UserError
from gdgrill.scheduler import NEW_STATE, CardState, Grade
from gdgrill.store import NON_SCHEDULING_MODES, Store
from gdgrill.text import reflow, wrap_hanging

DEFAULT_NEW_PER_DAY = 10
DEFAULT_CRAM_LIMIT = 20
DEFAULT_TIMED_SECONDS = 10.0  # when no deck sets timed_seconds


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
    easy: int = 0  # of the passes
    relearned: int = 0  # relearning asks passed (they are not in passed/missed)
    relearn_asked: int = 0
    # (card key, review id, grade, relearning?), newest last: what undo takes back.
    graded: list[tuple[str, int, Grade, bool]] = field(default_factory=list)

    def add(self, key: str, review_id: int, grade: Grade, relearn: bool = False) -> None:
        self.graded.append((key, review_id, grade, relearn))
        self._count(grade, relearn, +1)

    def pop(self) -> tuple[str, int, Grade, bool]:
        entry = self.graded.pop()
        self._count(entry[2], entry[3], -1)
        return entry

    def _count(self, grade: Grade, relearn: bool, sign: int) -> None:
        if relearn:
            self.relearn_asked += sign
            self.relearned += sign if grade.passed else 0
            return
        if grade.passed:
            self.passed += sign
            self.easy += sign if grade is Grade.EASY else 0
        else:
            self.missed += sign

    def line(self) -> str:
        n = self.passed + self.missed
        easy = f", {self.easy} of them easy" if self.easy else ""
        text = f"{n} graded and saved ({self.passed} passed{easy}, {self.missed} missed, {self.skipped} skipped)"
        if self.relearn_asked:
            text += f"; relearned {self.relearned} of {self.relearn_asked}"
        return text


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


class Ask(NamedTuple):
    """One question of the session: a card, or a card missed earlier coming back."""

    card: Card
    relearn: bool = False


RELEARN_MODE = "relearn"  # logged, never on the ladder: the miss already set tomorrow


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
    answer_seconds: float = 0.0  # time spent answering timed cards that were graded
    timed_cards: int = 0  # timed cards graded
    _timed_took: dict[int, float] = field(default_factory=dict, init=False, repr=False)  # review id -> seconds, for undo
    stopped: bool = False  # the user quit (q or end of input) before the last card
    # Under an interview plan the planner, not the ladder's due day, picks the next review.
    planned: bool = False
    # A missed card comes back once at the end of the session (not in a grill: a test).
    relearn: bool = True
    # Say something after a grade (e.g. a card that keeps being missed): (card, grade) -> lines.
    # Not called for relearning asks (they are not on the ladder).
    after_grade: Callable[[Card, Grade], list[str]] | None = None
    # An answer longer than this many lines (in a terminal) shows its key points first;
    # 'm' shows it all. None: from the terminal's height.
    answer_lines: int | None = None
    # Page a whole answer taller than the terminal (off in tests that fake a terminal).
    pager: bool = True

    # -- rendering ---------------------------------------------------------------------
    def _stage(self, card: Card, relearn: bool) -> str:
        if self.mode == "cram":
            return "cram (schedule untouched)"
        if relearn:
            return "relearning: missed earlier today"
        state = self.states.get(card.key, NEW_STATE)
        if state.reviews == 0:
            return "new card"
        cp_day = state.checkpoint_day
        if cp_day is None:
            return "maintenance check"
        label = f"day-{cp_day} checkpoint ({state.rung + 1} of 5)"
        # Only a card with its own prompt for this checkpoint asks something new.
        return label + (" · a new task below" if card.prompt_for(cp_day) else "")

    def _show_question(self, card: Card, position: int, total: int, relearn: bool = False) -> None:
        state = self.states.get(card.key, NEW_STATE)
        timed = f" · ⏱ {self.time_limit:g} s" if self._timed(card, relearn) else ""
        header = Text(f"[{position}/{total}] {card.deck} · tier {card.tier} · {self._stage(card, relearn)}{timed}", style="muted")
        self.console.print()
        self.console.print(header)
        body = Text(card.question)
        if card.curve:
            from gdgrill.curves import load_curve, render_curve

            # Markers ("lr ×0.1 at step 400") would give the diagnosis away before the reveal.
            curve = load_curve(card.curve)
            self.console.print(render_curve(curve, width=min(70, self.console.width), show_markers=False))
        prompt = None if relearn or self.mode == "cram" else card.prompt_for(state.checkpoint_day)
        if prompt:
            body.append("\n\n")
            body.append(prompt, style="key")
        self.console.print(Panel(body, title="question", title_align="left", border_style="cyan"))

    def _inner_width(self) -> int:
        return max(self.console.width - 4, 20)  # a panel's borders and padding

    def _answer_text(self, card: Card) -> Text:
        body = Text(wrap_hanging(reflow(card.answer), self._inner_width()))
        if card.curve:
            from gdgrill.curves import load_curve

            body.append(f"\n\nThe run: {load_curve(card.curve).description}", style="muted")
        return body

    def _points_text(self, card: Card, body: Text | None = None) -> Text:
        body = body if body is not None else Text()
        width = self._inner_width()
        if card.key_points:
            body.append("\n\nKey points:" if body.plain else "Key points:", style="title")
            for i, point in enumerate(card.key_points, 1):
                body.append("\n" + wrap_hanging(f"  {i}. {point}", width))
        if card.followups:
            body.append("\n\nLikely follow-ups:" if body.plain else "Likely follow-ups:", style="title")
            for f in card.followups:
                body.append("\n" + wrap_hanging(f"  • {f}", width))
        return body

    def _fits(self, card: Card) -> bool:
        """Whether the whole model answer fits the screen under the question."""
        if not self.console.is_terminal and self.answer_lines is None:
            return True  # a pipe or a transcript: nothing scrolls away
        budget = self.answer_lines if self.answer_lines is not None else max(self.console.height - 14, 12)
        whole = self._points_text(card, self._answer_text(card))
        return len(whole.plain.splitlines()) <= budget

    def _show_answer(self, card: Card, full: bool | None = None) -> bool:
        """Reveal. Returns True when only the key points were shown (``m`` shows it all)."""
        if full or (full is None and self._fits(card)) or not (card.key_points or card.followups):
            self.console.print(Panel(self._points_text(card, self._answer_text(card)), title="model answer", title_align="left", border_style="green"))
            return False
        lines = len(self._answer_text(card).plain.splitlines())
        body = self._points_text(card)
        body.append(f"\n\nThe full model answer is {lines} line{'' if lines == 1 else 's'}: press m to read it.", style="muted")
        self.console.print(Panel(body, title="model answer · key points first", title_align="left", border_style="green"))
        return True

    def _show_whole_answer(self, card: Card) -> None:
        """``m``: the whole answer; one taller than the screen goes through the pager
        ($PAGER, else less), so its start does not scroll away."""
        panel = Panel(self._points_text(card, self._answer_text(card)), title="model answer", title_align="left", border_style="green")
        lines = len(self._points_text(card, self._answer_text(card)).plain.splitlines()) + 2
        if self.pager and self.console.is_terminal and lines > self.console.height - 2:
            with self.console.pager():
                self.console.print(panel)
        else:
            self.console.print(panel)

    # -- input -------------------------------------------------------------------------
    def _read(self, prompt: str) -> str:
        try:
            return self.read_line(prompt)
        except EOFError:
            raise Quit from None

    def _countdown(self, card: Card, relearn: bool) -> "Countdown | nullcontext[None]":
        if self._timed(card, relearn) and self.console.is_terminal:
            assert self.time_limit is not None
            return Countdown(self.time_limit, self.console.file, self.console.width)
        return nullcontext()

    def _timed(self, card: Card, relearn: bool) -> bool:
        return self.time_limit is not None and card.auto_checked and not relearn

    def _warn(self, choice: str, keys: str) -> None:
        self.console.print(Text(f"? {choice!r}: {keys}", style="warn"))

    def _grade_prompt(self, card: Card, typed: str, took: float, relearn: bool = False, condensed: bool = False) -> tuple[str, Grade | None, dict]:
        """Ask for a grade. Returns (action, grade, detail); action is grade, skip, undo,
        or quit-after-grade (a timed miss is saved before the session stops)."""
        easy = "" if relearn else " · e easy"
        more = " · m full answer" if condensed else ""
        while True:
            action, grade, detail = self._ask_grade(card, typed, took, relearn, easy, more)
            if action != "more":
                if relearn and grade is Grade.EASY:
                    grade = Grade.PASS  # relearning only says whether it stuck
                return action, grade, detail
            self._show_whole_answer(card)
            more = ""

    def _ask_grade(self, card: Card, typed: str, took: float, relearn: bool, easy: str, more: str) -> tuple[str, Grade | None, dict]:
        if self._timed(card, relearn):
            assert self.time_limit is not None
            if not typed.strip():
                self.console.print(Text("✗ no answer typed — in timed mode that is a miss", style="bad"))
                return "grade", Grade.FAIL, {"auto": True, "blank": True}
            if took > self.time_limit:
                self.console.print(Text(f"⏱ too slow: {took:.1f} s > {self.time_limit:g} s — counts as a miss", style="bad"))
                keys = "Enter continue · s skip · u undo · q save the miss and quit"
                self.console.print(Text(keys, style="muted"))
                miss = {"auto": True, "timed_out": round(took, 2)}
                while True:
                    choice = self._read("grade › ").strip().lower()
                    if choice == "":
                        return "grade", Grade.FAIL, miss
                    if choice == "q":
                        return "grade-then-quit", Grade.FAIL, miss
                    if choice in ("s", "u"):
                        return self._command(choice)
                    self._warn(choice, keys)
        if card.auto_checked and typed.strip():
            judged = card.verdict(typed)
            verdict = judged.accepted
            if verdict:
                self.console.print(Text("✓ correct", style="ok"))
                keys = f"Enter accept{easy} · f mark it wrong{more} · s skip · u undo · q quit"
            else:
                read_as = f"; read as {judged.read_as}" if judged.read_as else ""
                self.console.print(Text(f"✗ not accepted (expected: {judged.expected}{read_as})", style="bad"))
                keys = f"Enter accept · o I was right{more} · s skip · u undo · q quit"
            self.console.print(Text(keys, style="muted"))
            while True:
                choice = self._read("grade › ").strip().lower()
                if choice == "":
                    return "grade", Grade.PASS if verdict else Grade.FAIL, {"auto": True}
                if choice == "e" and verdict and easy:
                    return "grade", Grade.EASY, {"auto": True}
                if choice == "o" and not verdict:
                    return "grade", Grade.PASS, {"auto": True, "override": True}
                if choice == "f" and verdict:
                    return "grade", Grade.FAIL, {"auto": True, "override": True}
                if choice == "m" and more:
                    return "more", None, {}
                if choice in ("s", "u", "q"):
                    return self._command(choice)
                self._warn(choice, keys)
        n = len(card.key_points)
        keys = f"p pass{easy} · f fail{more} · s skip · u undo · q quit"
        if n:
            self.console.print(
                Text(f"Key points hit? numbers (e.g. 1 3) · a all · n none — pass needs {pass_threshold(n)} of {n}", style="muted")
            )
        self.console.print(Text(("or " if n else "") + keys, style="muted"))
        while True:
            choice = self._read("grade › ").strip().lower()
            if choice in ("p", "pass", "y"):
                return "grade", Grade.PASS, {}
            if choice in ("e", "easy") and easy:
                return "grade", Grade.EASY, {}
            if choice in ("f", "fail"):
                return "grade", Grade.FAIL, {}
            if choice == "m" and more:
                return "more", None, {}
            if choice in ("s", "u", "q"):
                return self._command(choice)
            if n:
                hits = self._parse_hits(choice, n)
                if hits is not None:
                    grade = Grade.PASS if len(hits) >= pass_threshold(n) else Grade.FAIL
                    return "grade", grade, {"key_points_hit": sorted(hits), "key_points": n}
            self._warn(choice, (f"key points are numbered 1-{n}; a all, n none; " if n else "") + keys)

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
        queue = [Ask(c) for c in cards]
        missed: dict[str, Card] = {}  # missed this session, in order: they come back once
        relearning = False
        i = 0
        try:
            while True:
                if i == len(queue):
                    if relearning or not missed or not self.relearn:
                        break
                    relearning = True
                    queue += [Ask(c, relearn=True) for c in missed.values()]
                    self.console.print()
                    why = "the schedule is not touched" if self.mode == "cram" else "the schedule stays: a miss is due tomorrow"
                    self.console.print(
                        Text(f"Relearning: the {len(missed)} card(s) you missed come back once more (saved, but {why}).", style="title")
                    )
                ask = queue[i]
                card = ask.card
                if ask.relearn and card.key not in missed:
                    i += 1  # its miss was undone once the round began (and not missed again): nothing to relearn
                    continue
                self._show_question(card, i + 1, len(queue), ask.relearn)
                started = self.clock()
                with self._countdown(card, ask.relearn):
                    typed = self._read("Your answer (Enter reveals · q quits) › ")
                took = self.clock() - started
                if typed.strip().lower() == "q":
                    raise Quit
                condensed = self._show_answer(card)
                action, grade, detail = self._grade_prompt(card, typed, took, ask.relearn, condensed)
                if action == "skip":
                    self.tally.skipped += 1
                    state = self.states.get(card.key)
                    note = "skipped" if ask.relearn else ("skipped (still due)" if state and state.reviews else "skipped (still new)")
                    self.console.print(Text(note, style="muted"))
                    i += 1
                    continue
                if action == "undo":
                    if not self.tally.graded:
                        self.console.print(Text("nothing to undo yet", style="warn"))
                        continue
                    key, review_id, old, was_relearn = self.tally.pop()
                    self.store.undo(review_id, day=self.today)
                    if review_id in self._timed_took:  # the pace no longer counts the answer taken back
                        self.timed_cards -= 1
                        self.answer_seconds -= self._timed_took.pop(review_id)
                    if not was_relearn and not old.passed:
                        missed.pop(key, None)
                    word = "pass" if old.passed else "miss"
                    self.console.print(Text(f"undone: {word} on {key} — asking it again", style="warn"))
                    # Step back: the undone card is asked again now, in its old place.
                    j = max(j for j in range(i) if queue[j].card.key == key and queue[j].relearn == was_relearn)
                    undone = queue.pop(j)
                    i -= 1
                    queue.insert(i, undone)
                    continue
                assert action in ("grade", "grade-then-quit") and grade is not None, action
                self._save(ask, grade, typed, detail, started, took)
                if not ask.relearn and not grade.passed:
                    missed[card.key] = card
                if action == "grade-then-quit":
                    raise Quit
                i += 1
        except Quit:
            self.stopped = True
            self.console.print(Text("stopped; every grade so far is saved", style="muted"))
        return self.tally

    def _save(self, ask: Ask, grade: Grade, typed: str, detail: dict, started: float, took: float) -> None:
        card = ask.card
        seconds = round(self.clock() - started, 3)
        if ask.relearn:
            mode, scheduling = RELEARN_MODE, False
        else:
            mode, scheduling = self.mode, (self.schedules(grade) if self.schedules else None)
        review_id = self.store.record_review(
            card.key, grade, mode, day=self.today, answer=typed or None, seconds=seconds,
            detail=detail or None, scheduling=scheduling,
        )
        self.tally.add(card.key, review_id, grade, ask.relearn)
        if self._timed(card, ask.relearn):
            self.timed_cards += 1
            self.answer_seconds += took
            self._timed_took[review_id] = took
        self._confirm(card, grade, scheduling, ask.relearn, detail)
        if self.after_grade is not None and not ask.relearn:
            for line in self.after_grade(card, grade):
                self.console.print(Text(line, style="warn"))

    def _confirm(self, card: Card, grade: Grade, scheduling: bool | None, relearn: bool = False, detail: dict | None = None) -> None:
        word = "✓ easy" if grade is Grade.EASY else ("✓ pass" if grade.passed else "✗ miss")
        mark = Text.assemble((word, "ok" if grade.passed else "bad"))  # the word coloured, not the dim note after it
        if detail and "key_points" in detail:
            mark.append(f" ({len(detail['key_points_hit'])} of {detail['key_points']} key points)")
        if relearn:
            mark.append(" — saved · relearning: the schedule stays" + ("" if self.mode == "cram" else " (due tomorrow)"), style="muted")
        elif scheduling is False or (scheduling is None and self.mode in NON_SCHEDULING_MODES):
            mark.append(f" — saved ({self.mode}: schedule unchanged)", style="muted")
        elif self.planned:
            mark.append(" — saved · your plan picks its next review", style="muted")
        else:
            state = self.store.states_for([card.key]).get(card.key)
            if state and state.due:
                nxt = "maintenance check" if state.checkpoint_day is None else f"day-{state.checkpoint_day} checkpoint"
                skipped = " (easy: one checkpoint skipped)" if grade is Grade.EASY else ""
                mark.append(f" — saved · next on {state.due.isoformat()} ({nxt}){skipped}", style="muted")
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


def opening_lines(
    plan: Plan, states: dict[str, CardState], cards: Sequence[Card], today: date, cram: bool, again: str = "gdgrill quiz"
) -> list[str]:
    """What the quiz says before the first card: counts, drills due, or when to come back.
    ``again`` is the command that asked for this selection (its --cram variant is the
    advice when nothing is due)."""
    drills = [] if cram else due_drills(states, today)
    drill_note = ""
    if drills:
        drill_note = f" · {len(drills)} drill(s) due: " + ", ".join(f"gdgrill drill {d}" for d in drills)
    if cram:
        lines = [f"Cram: {len(plan.cards)} card(s), weakest first; the schedule is not touched."]
    else:
        lines = [f"{today.isoformat()}: {len(plan.due)} card(s) due, {len(plan.new)} new{drill_note}."]
    if not plan.cards and not cram:
        nd = next_due(states, (c.key for c in cards), today)
        msg = "No cards due" + (" (the drills above are)" if drills else "") + "."
        if nd:
            msg += f" Next: {nd[1]} card(s) on {nd[0].isoformat()}."
        lines.append(f"{msg} Practise anyway: {again} --cram")
    return lines


def empty_selection(deck: Sequence[str], tier: int | None, tags: Sequence[str], decks_cards: Sequence[Card]) -> str:
    """Why a --deck/--tier/--tag selection holds no card, and what it could hold instead."""
    asked = " ".join([*(f"--deck {d}" for d in deck), *([f"--tier {tier}"] if tier else []), *(f"--tag {t}" for t in tags)])
    tiers = sorted({c.tier for c in decks_cards})
    where = (("deck " if len(deck) == 1 else "decks ") + ", ".join(deck)) if deck else "the decks"
    has = "has" if len(deck) == 1 else "have"
    hint = f"{where} {has} tiers {', '.join(map(str, tiers))}" if tier and tiers else "see 'gdgrill decks list' and 'gdgrill decks tags'"
    return f"no card matches {asked} ({hint})"


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

