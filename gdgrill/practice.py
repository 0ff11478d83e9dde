"""Practice problems: the interviewer's question, three hints on request, the model answer
and a Strong / Lean / No-hire rubric to rate yourself against. The answer the user types or
pastes before the reveal is saved with the rating, and every past attempt can be read again
beside the model answer (:func:`render_history`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Callable, Iterable

from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from gdgrill.content import RATINGS, Problem
from gdgrill.errors import UserError
from gdgrill.reviewing import clean_text
from gdgrill.store import Store
from gdgrill.console import Hanging
from gdgrill.text import reflow

RATING_KEYS = {"s": "strong", "l": "lean", "n": "no_hire"}
RUBRIC_LABELS = {"strong": "Strong hire", "lean": "Lean hire", "no_hire": "No hire"}
END_OF_ANSWER = "."  # a line holding only this finishes the answer (as in mail(1))
SIDE_BY_SIDE_WIDTH = 110  # from this many columns the history puts the model answer beside the attempts


@dataclass
class PracticeResult:
    rating: str | None
    hints_used: int
    answer: str | None = None  # the text typed before the reveal (None: nothing typed)
    saved: bool = False


def parse_rating(value: str) -> str:
    """``--rating``: strong, lean or no_hire (also no-hire, or the keys s, l, n)."""
    key = value.strip().lower().replace("-", "_")
    rating = RATING_KEYS.get(key, key)
    if rating not in RATINGS:
        raise UserError(f"--rating {value!r}: expected strong, lean or no_hire")
    return rating


def tidy_answer(text: str | None) -> str | None:
    """The answer as it is saved: storable text (bytes that were not UTF-8 become U+FFFD),
    trailing spaces and surrounding blank lines dropped; None when nothing is left."""
    if text is None:
        return None
    lines = [line.rstrip() for line in clean_text(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    tidy = "\n".join(lines).strip("\n")
    return tidy if tidy.strip() else None


def save_attempt(store: Store, problem: Problem, rating: str, hints_used: int, answer: str | None, today: date) -> str | None:
    """Save one rated attempt; return the answer as saved."""
    kept = tidy_answer(answer)
    store.record_practice(problem.id, rating, hints_used, day=today, answer=kept)
    return kept


def _hints_phrase(hints: int) -> str:
    return "no hints" if hints == 0 else f"{hints} hint" if hints == 1 else f"{hints} hints"


def _lines_phrase(answer: str | None) -> str:
    if answer is None:
        return "no answer typed"
    lines = answer.count("\n") + 1
    return "your answer of 1 line" if lines == 1 else f"your answer of {lines} lines"


class _Attempt:
    """The answer being typed and the hints shown so far."""

    def __init__(self, problem: Problem, console: Console):
        self.problem, self.console = problem, console
        self.lines: list[str] = []
        self.hints = 0

    def hint(self) -> None:
        total = len(self.problem.hints)
        if self.hints < total:
            self.hints += 1
            self.console.print(Text(f"Hint {self.hints}/{total}: {self.problem.hints[self.hints - 1]}", style="key"))
        else:
            self.console.print(Text("no more hints: '.' or r reveals the answer", style="warn"))

    @property
    def answer(self) -> str | None:
        return tidy_answer("\n".join(self.lines))


def read_typed_answer(attempt: _Attempt, read_line: Callable[[str], str]) -> str:
    """Read the user's answer line by line through ``read_line`` until a line holding only
    '.' or r (reveal), q (quit) or end of input (Ctrl-D, or the end of piped input: reveal).
    A line holding only h shows the next hint and is not part of the answer. A pasted block
    arrives as many lines (or, from a line editor, as one string with newlines): both work.
    Returns 'reveal' or 'quit'; the lines typed are in ``attempt.lines``. With lines
    typed, q asks once more before it discards them."""
    warned = False
    while True:
        try:
            raw = read_line("answer › " if not attempt.lines else "       … ")
        except EOFError:
            attempt.console.print()
            return "reveal"
        except UnicodeDecodeError:
            attempt.console.print(Text("that line could not be read as text; type it again", style="warn"))
            continue
        for line in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
            key = line.strip().lower()
            if key in (END_OF_ANSWER, "r"):
                return "reveal"
            if key == "q":
                if attempt.lines and not warned:  # a typed answer is not thrown away on one key
                    warned = True
                    attempt.console.print(
                        Text("q again quits and discards your answer; '.' reveals the model answer so you can rate and keep it", style="warn")
                    )
                    continue
                return "quit"
            if key == "h":
                attempt.hint()
                continue
            if attempt.lines or line.strip():  # leading blank lines are not part of the answer
                attempt.lines.append(line)


def _show_problem(problem: Problem, console: Console) -> None:
    console.print(Panel(Hanging(Text(reflow(problem.prompt))), title=f"{problem.title} · tier {problem.tier}", title_align="left", border_style="cyan"))


def _reveal(problem: Problem, console: Console) -> None:
    console.print(Panel(Hanging(Text(reflow(problem.answer))), title="model answer", title_align="left", border_style="green"))
    rubric = Text()
    for key in RATINGS:
        rubric.append(f"{RUBRIC_LABELS[key]}: ", style="title")
        rubric.append(reflow(problem.rubric[key]) + "\n")
    console.print(Panel(Hanging(rubric), title="rubric", title_align="left"))


def _ask_rating(attempt: _Attempt, answer: str | None, read_line: Callable[[str], str]) -> str | None:
    """The self-rating, or None when the user leaves without one. With a typed answer, q
    asks once more, since leaving unrated discards the answer."""
    console = attempt.console
    warned = False
    while True:
        try:
            choice = read_line("Rate your answer: s strong · l lean · n no-hire · q skip › ").strip().lower()
        except EOFError:
            console.print()
            return None
        if choice in RATING_KEYS:
            return RATING_KEYS[choice]
        if choice == "q":
            if answer is None or warned:
                return None
            warned = True
            console.print(Text("Only a rated attempt is kept: s, l or n saves your answer; q again discards it.", style="warn"))
            continue
        console.print(Text("s, l, n or q", style="warn"))


def run_practice(
    problem: Problem,
    store: Store,
    console: Console,
    read_line: Callable[[str], str],
    today: date,
    *,
    answer: str | None = None,
    rating: str | None = None,
) -> PracticeResult:
    """Ask one problem. The user types or pastes an answer (any number of lines) and ends it
    with a line holding only '.' (or r, or Ctrl-D); h on a line of its own shows the next
    hint, q quits. Then the model answer and rubric, and the self-rating: s strong, l lean,
    n no-hire saves the rating with the answer; q leaves and saves nothing (said on screen).

    ``answer`` given (``--answer FILE``): it is not asked for. ``rating`` given
    (``--rating``): nothing is asked or revealed; the attempt is saved at once with that
    rating and ``answer`` (which may be None)."""
    attempt = _Attempt(problem, console)
    if rating is not None:
        kept = save_attempt(store, problem, rating, 0, answer, today)
        console.print(Text(f"saved: {problem.id} {RUBRIC_LABELS[rating]}, {_lines_phrase(kept)}", style="ok"))
        return PracticeResult(rating, 0, kept, saved=True)
    _show_problem(problem, console)
    if answer is None:
        console.print(
            Text(
                "Type or paste your answer, as many lines as you like.\n"
                "End it with a line holding only '.' (or Ctrl-D) to see the model answer.\n"
                "On a line of its own: h shows a hint · r reveals without typing · q quits.",
                style="muted",
            )
        )
        if read_typed_answer(attempt, read_line) == "quit":
            typed = attempt.answer
            if typed is not None:
                console.print(Text("quit: your answer was not saved (only a rated attempt is kept).", style="warn"))
            return PracticeResult(None, attempt.hints, typed)
        typed = attempt.answer
    else:
        typed = tidy_answer(answer)
        console.print(Panel(Text(typed or "(empty)"), title="your answer", title_align="left"))
    _reveal(problem, console)
    rating = _ask_rating(attempt, typed, read_line)
    if rating is None:
        note = "not rated: your answer was not saved." if typed is not None else "not rated: nothing saved."
        console.print(Text(note, style="warn"))
        return PracticeResult(None, attempt.hints, typed)
    kept = save_attempt(store, problem, rating, attempt.hints, typed, today)
    console.print(
        Text(f"saved: {RUBRIC_LABELS[rating]}, {_hints_phrase(attempt.hints)}, {_lines_phrase(kept)}", style="ok")
    )
    return PracticeResult(rating, attempt.hints, kept, saved=True)


def attempts_of(store: Store, problem_id: str) -> list[dict[str, Any]]:
    """Every rated attempt at one problem, oldest first."""
    return [row for row in store.practice_ratings() if row["problem"] == problem_id]


def render_problem_list(problems: Iterable[Problem], ratings: list[dict[str, Any]], console: Console) -> None:
    """The problems with their tier, how often each was attempted and the last rating: the
    id on one line and the title under it, so both stay whole at 80 columns."""
    last: dict[str, str] = {}
    tries: dict[str, int] = {}
    for row in ratings:
        last[row["problem"]] = row["rating"]
        tries[row["problem"]] = tries.get(row["problem"], 0) + 1
    table = Table(
        box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, leading=1, title_justify="left",
        title="Practice problems (gdgrill practice ID; add --history for your past answers)",
    )
    table.add_column("problem", ratio=1, overflow="fold")
    table.add_column("tier", justify="right", no_wrap=True)
    table.add_column("attempts", justify="right", no_wrap=True)
    table.add_column("last rating", no_wrap=True)
    for p in problems:
        cell = Text(p.id, style="key")
        cell.append("\n" + p.title, style="")
        table.add_row(cell, str(p.tier), str(tries.get(p.id) or "—"), RUBRIC_LABELS.get(last.get(p.id, ""), "—"))
    console.print(table)


def _attempt_panel(number: int, total: int, row: dict[str, Any]) -> Panel:
    rating = RUBRIC_LABELS.get(row["rating"], str(row["rating"]))
    title = f"attempt {number}/{total} · {row['day']} · {rating} · {_hints_phrase(int(row['hints_used'] or 0))}"
    body = Text(row["answer"]) if row.get("answer") else Text("(no answer typed: rated only)", style="muted")
    return Panel(body, title=title, title_align="left", border_style="cyan")


def render_history(problem: Problem, attempts: list[dict[str, Any]], console: Console) -> None:
    """Every past attempt (date, rating, hints used, the typed answer) and the model answer:
    side by side on a wide terminal, one after the other below that. With no attempt, one
    line saying how to make one (the model answer stays hidden)."""
    if not attempts:
        console.print(
            Text(f"No attempts yet; try it: gdgrill practice {problem.id}", style="muted")
        )
        return
    console.print(Text(f"{problem.title} · tier {problem.tier} · {len(attempts)} attempt{'' if len(attempts) == 1 else 's'}", style="title"))
    panels = [_attempt_panel(i, len(attempts), row) for i, row in enumerate(attempts, 1)]
    model = Panel(Hanging(Text(reflow(problem.answer))), title="model answer", title_align="left", border_style="green")
    if console.width >= SIDE_BY_SIDE_WIDTH:
        grid = Table.grid(expand=True, padding=(0, 1))
        grid.add_column(ratio=1)
        grid.add_column(ratio=1)
        grid.add_row(Group(*panels), model)
        console.print(grid)
    else:
        for panel in panels:
            console.print(panel)
        console.print(model)
