"""Practice problems: the interviewer's question, three hints on request, the model answer
and a Strong / Lean / No-hire rubric to rate yourself against (the rating is saved)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from gdgrill.content import RATINGS, Problem
from gdgrill.store import Store
from gdgrill.text import reflow

RATING_KEYS = {"s": "strong", "l": "lean", "n": "no_hire"}
RUBRIC_LABELS = {"strong": "Strong hire", "lean": "Lean hire", "no_hire": "No hire"}


@dataclass
class PracticeResult:
    rating: str | None
    hints_used: int


def run_practice(problem: Problem, store: Store, console: Console, read_line: Callable[[str], str], today: date) -> PracticeResult:
    """Ask one problem. Keys: h next hint, r reveal the answer and rubric, q quit.
    After the reveal: s strong, l lean, n no-hire (saved), q leave without rating."""
    console.print(Panel(Text(reflow(problem.prompt)), title=f"{problem.title} · tier {problem.tier}", title_align="left", border_style="cyan"))
    console.print(Text("Answer out loud or on paper, then: h hint · r reveal the model answer and rubric · q quit", style="muted"))
    hints = 0
    try:
        while True:
            choice = read_line("practice › ").strip().lower()
            if choice == "h":
                if hints < len(problem.hints):
                    hints += 1
                    console.print(Text(f"Hint {hints}/{len(problem.hints)}: {problem.hints[hints - 1]}", style="key"))
                else:
                    console.print(Text("no more hints: r reveals the answer", style="warn"))
            elif choice == "r":
                break
            elif choice == "q":
                return PracticeResult(None, hints)
            else:
                console.print(Text("h hint · r reveal · q quit", style="warn"))
        console.print(Panel(Text(reflow(problem.answer)), title="model answer", title_align="left", border_style="green"))
        rubric = Text()
        for key in RATINGS:
            rubric.append(f"{RUBRIC_LABELS[key]}: ", style="title")
            rubric.append(reflow(problem.rubric[key]) + "\n")
        console.print(Panel(rubric, title="rubric", title_align="left"))
        while True:
            choice = read_line("Rate your answer: s strong · l lean · n no-hire · q skip › ").strip().lower()
            if choice in RATING_KEYS:
                rating = RATING_KEYS[choice]
                store.record_practice(problem.id, rating, hints, day=today)
                console.print(Text(f"saved: {RUBRIC_LABELS[rating]} ({hints} hint(s) used)", style="ok"))
                return PracticeResult(rating, hints)
            if choice == "q":
                return PracticeResult(None, hints)
            console.print(Text("s, l, n or q", style="warn"))
    except EOFError:
        return PracticeResult(None, hints)
