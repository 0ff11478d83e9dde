"""`gdgrill plan`: set, show or clear the interview plan."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, Optional

import typer

from gdgrill.cli import load_decks, new_per_day, open_progress, out, user_errors
from gdgrill.cli_options import DecksOption, HomeOption
from gdgrill.errors import UserError
from gdgrill.planner import DEFAULT_PER_DAY, FOCUS

BAR = 30  # columns for the largest day's bar


def parse_interview(text: str, today: date) -> date:
    """The interview date: YYYY-MM-DD, after today. A UserError otherwise."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"--interview {text!r}: expected a date as YYYY-MM-DD, e.g. {today.replace(day=28).isoformat()}") from None
    if day <= today:
        when = "today" if day == today else "in the past"
        raise UserError(f"--interview {day.isoformat()}: that is {when} (today is {today.isoformat()}); give a later date")
    return day


def plan(
    interview: Annotated[
        Optional[str], typer.Option("--interview", "-i", metavar="YYYY-MM-DD", help="Your interview date (after today).")
    ] = None,
    per_day: Annotated[
        Optional[int],
        typer.Option("--per-day", min=1, max=1000, help=f"Most items (reviews + new cards + drills) you will do on one day [default: {DEFAULT_PER_DAY}]."),
    ] = None,
    focus: Annotated[
        Optional[str],
        typer.Option("--focus", help="What to keep when the budget cannot cover everything: phone (tiers 1-2 first, the default) or research (tiers 3-4)."),
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove the plan: the ladder schedules everything again.")] = False,
    format: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    home: HomeOption = None,
    decks: DecksOption = None,
) -> None:
    """Get ready by a date. With a plan, 'gdgrill quiz' serves each day the items that raise
    your predicted recall on interview morning the most (FSRS-6 memory model, fed with your
    own reviews), never more than --per-day a day; a far-off interview (22+ days) leaves
    the 0-3-7-14-21 ladder in charge. Without options: show the plan, its day-by-day load
    and your projected recall on the day."""
    from gdgrill import clock
    from gdgrill.daily import plan_summary

    with user_errors():
        if format not in ("text", "json"):
            raise UserError(f"--format {format!r}: expected text or json")
        if focus is not None and focus not in FOCUS:
            raise UserError(f"--focus {focus!r}: expected phone or research")
        today = clock.today(home=home)
        day = parse_interview(interview, today) if interview is not None else None
        if clear and (day or per_day or focus):
            raise UserError("--clear removes the plan: give it alone")
        library = load_decks(decks, home)
        with open_progress(home, write=bool(clear or day or per_day or focus)) as store:
            message = None
            if clear:
                message = "Plan cleared: the 0-3-7-14-21 ladder schedules everything again." if store.clear_plan(day=today) else "No plan was set."
            elif day or per_day or focus:
                current = store.plan()
                if day is None and current is None:
                    raise UserError("no plan yet: set one with --interview YYYY-MM-DD")
                store.set_plan(
                    day or current.interview,  # type: ignore[union-attr]
                    per_day or (current.per_day if current and day is None else DEFAULT_PER_DAY),
                    focus or (current.focus if current else "phone"),
                    day=today,
                )
                message = "Plan saved."
            summary = plan_summary(library.cards, store, today, new_per_day(None, home))
        if format == "json":
            typer.echo(json.dumps({"schema": 1, "today": today.isoformat(), "plan": summary}, indent=2))
            return
        if message:
            out.print(message, markup=False)
        render(summary, len(library.cards))


DAILY_ROWS = 14  # a plan longer than this shows its first two weeks by day, then by week


def load_rows(days: list[dict[str, Any]]) -> list[tuple[str, int, int, int | None, int]]:
    """(label, reviews, new, busiest day or None) per row: every day of a short plan; the
    first two weeks by day and the rest a week a row for a long one, so a plan a year out
    is a screen, not a thousand lines. Weekly rows are scaled per day for the bars."""
    rows: list[tuple[str, int, int, int | None, int]] = [(d["day"], d["reviews"], d["new"], None, 1) for d in days[:DAILY_ROWS]]
    if len(days) <= 2 * DAILY_ROWS:
        return [(d["day"], d["reviews"], d["new"], None, 1) for d in days]
    for start in range(DAILY_ROWS, len(days), 7):
        week = days[start : start + 7]
        label = f"{week[0]['day']} … {week[-1]['day'][5:]}"
        busiest = max(d["reviews"] + d["new"] for d in week)
        rows.append((label, sum(d["reviews"] for d in week), sum(d["new"] for d in week), busiest, len(week)))
    return rows


def render(summary: dict[str, Any] | None, cards: int) -> None:
    from rich.text import Text

    if summary is None:
        out.print("No plan set: the 0-3-7-14-21 ladder schedules everything.", markup=False)
        out.print("Set one: gdgrill plan --interview YYYY-MM-DD [--per-day 40]", markup=False, style="key")
        return
    head = Text.assemble(
        ("Interview ", "title"), (summary["interview"], "title"),
        f" · {summary['days_left']} day(s) left · up to {summary['per_day']} a day · focus {summary['focus']}",
    )
    out.print(head)
    if summary["projected_recall"] is None:
        out.print(summary["status"], markup=False)
        return
    recall = summary["projected_recall"]
    out.print(
        Text.assemble(
            ("Projected recall on the day: ", "title"), (f"{recall * 100:.0f}%", "ok" if recall >= 0.8 else "warn"),
            f" of all {cards} cards, if you keep to the plan · {summary['not_yet_introduced']} not yet introduced",
        )
    )
    if summary["not_covered"]:
        tiers = ", ".join(f"tier {t}: {n}" for t, n in summary["not_covered_by_tier"].items())
        out.print(
            Text(
                f"Not covered: {len(summary['not_covered'])} card(s) will not be introduced before the day ({tiers});"
                " raise --per-day to reach them.",
                style="bad",
            )
        )
    rows = load_rows(summary["days"])
    peak = max(((r[1] + r[2]) / r[4] for r in rows), default=0) or 1  # bars per day, whatever a row spans
    daily = len(rows) == len(summary["days"])
    out.print(Text("Day by day (█ reviews, ░ new):" if daily else "Day by day, then a week a row (█ reviews, ░ new a day on average):", style="title"))
    for label, reviews, new_cards, busiest, span in rows:
        line = Text(f"  {label}  ")
        line.append("█" * round(BAR * reviews / span / peak), style="key")
        line.append("░" * round(BAR * new_cards / span / peak), style="ok")
        line.append(f" {reviews} + {new_cards} new" + (f", ≤ {busiest}/day" if busiest is not None else ""))
        out.print(line)
