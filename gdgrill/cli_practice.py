"""`gdgrill assess` and `grill`: imported only when one of them runs (practice lives in
gdgrill/commands/practice.py)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from gdgrill.cli import err, load_decks, new_per_day, open_progress, out, read_line, user_errors
from gdgrill.cli_options import DecksOption, HomeOption
from gdgrill.errors import ExitCode, UserError

def plan_summary_for(home):
    """The interview plan's summary (None without a plan), for advice phrased from it."""
    from gdgrill import clock
    from gdgrill.daily import plan_summary
    library = load_decks(None, home)
    with open_progress(home) as store:
        return plan_summary(library.cards, store, clock.today(home=home), new_per_day(None, home))


def assess(
    ratings: Annotated[
        Optional[str], typer.Option("--ratings", help="Give all seven ratings at once, e.g. 3,4,2,5,1,3,3 (no questions asked).")
    ] = None,
    home: HomeOption = None,
) -> None:
    """Self-assessment: rate seven skill areas 1-5; the total (7-35) places you in a band
    with concrete advice on what to study next. Saved, so the report shows the trend."""
    from rich.panel import Panel
    from rich.text import Text

    from gdgrill import clock
    from gdgrill.assess import ask_ratings, parse_ratings, record, study_plan, target_lines
    from gdgrill.content import load_assessment
    from gdgrill.text import reflow

    with user_errors():
        assessment = load_assessment()
        given = parse_ratings(ratings, len(assessment.areas)) if ratings is not None else None
        with open_progress(home) as store:
            previous = store.assessments()
            try:
                values = given or ask_ratings(assessment, out, read_line)
            except EOFError:
                raise UserError("assessment not finished: no answers were given for every area (nothing saved)") from None
            total, band = record(assessment, values, store, clock.today(home=home))
        trend = f" (last time {previous[-1]['total']})" if previous else ""
        body = Text(f"Total {total}/35{trend}: {band.title}\n", style="title")
        plan = study_plan(assessment, values, set(load_decks(None, home).tag_counts()))
        if plan:
            body.append("\nStart here, lowest rating first:\n", style="title")
            for line in plan:
                body.append(f"  • {line}\n", style="key")
        body.append("\n" + reflow(band.advice))
        goal = target_lines(band, plan_summary_for(home))
        if goal:
            body.append("\n\n" + " ".join(goal), style="title")
        from gdgrill.console import Hanging

        out.print(Panel(Hanging(body), title="self-assessment saved", title_align="left"))


def grill(
    seed: Annotated[Optional[int], typer.Option("--seed", help="Pick the same 50 questions again (default: a fresh draw).")] = None,
    deck: Annotated[Optional[list[str]], typer.Option("--deck", "-d", help="Only this deck (repeatable).")] = None,
    home: HomeOption = None,
    decks: DecksOption = None,
) -> None:
    """A timed 50-question readiness pass like a mock screen, tier 1 first, then deeper.
    Score out of 50 with a verdict per band (1-10, 11-20, 21-30, 31-50; aim 40+).
    A band with more than a quarter missed is flagged; missed cards come due tomorrow."""
    import time

    from gdgrill import clock
    from gdgrill.grill import pick_questions, score, verdict
    from gdgrill.quiz import QuizSession
    from gdgrill.scheduler import Grade

    with user_errors():
        library = load_decks(decks, home)
        questions = pick_questions(library.select(deck or ()), seed)
        today = clock.today(home=home)
        started = time.monotonic()
        with open_progress(home) as store:
            states = store.states()
            out.print("Grill: 50 questions, tier 1 first. Answer as you would out loud; the clock is running.", style="title")
            session = QuizSession(
                store, out, read_line, today, states, mode="grill", schedules=lambda g: g is Grade.FAIL, relearn=False
            )
            try:
                session.run(questions)
            except KeyboardInterrupt:
                err.print(f"\ninterrupted: {session.tally.line()}; grill not scored", style="muted", markup=False)
                raise typer.Exit(code=int(ExitCode.INTERRUPTED)) from None
            if session.stopped:
                answered = session.tally.passed + session.tally.missed
                out.print(
                    f"Grill stopped after {answered} of 50; not scored (your grades are saved, missed cards come due tomorrow).",
                    markup=False,
                )
                return
            by_key = {key: grade for key, _, grade, _ in session.tally.graded}
            total, bands = score([by_key.get(card.key) for card in questions])
            seconds = round(time.monotonic() - started, 1)
            store.record_grill(total, 50, [b.to_dict() for b in bands], seconds, day=today)
        out.print()
        out.print(f"Grill: {verdict(total)} (took {seconds / 60:.1f} min).", style="title", markup=False)
        for b in bands:
            flag = "  ← more than a quarter missed: re-grill this band" if b.flagged else ""
            out.print(f"  questions {b.first:2d}-{b.last:2d}: {b.correct}/{b.size}{flag}", markup=False)
        missed = sum(1 for _, _, g, _ in session.tally.graded if g is Grade.FAIL)
        skipped = 50 - len(session.tally.graded)
        if missed:
            out.print(f"{missed} missed: those cards come due tomorrow.", markup=False)
        if skipped:
            out.print(f"{skipped} skipped: counted as misses in the score, schedule untouched.", markup=False)
