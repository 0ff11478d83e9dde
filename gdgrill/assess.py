"""The self-assessment: rate seven skill areas 1-5; the total places you in a band with
advice on what to study next. Each assessment is saved so the report shows the trend."""

from __future__ import annotations

from datetime import date
from typing import Callable, Sequence

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from gdgrill.content import Assessment, Band
from gdgrill.errors import UserError
from gdgrill.store import Store
from gdgrill.text import reflow


def parse_ratings(text: str, areas: int) -> list[int]:
    """'3,4,2,5,1,3,3' (or spaces) into seven ratings 1-5; a UserError otherwise."""
    parts = text.replace(",", " ").split()
    if len(parts) != areas or not all(p in "12345" for p in parts):
        raise UserError(f"--ratings {text!r}: expected {areas} whole numbers from 1 to 5, e.g. 3,4,2,5,1,3,3")
    return [int(p) for p in parts]


def ask_ratings(assessment: Assessment, console: Console, read_line: Callable[[str], str]) -> list[int]:
    console.print(Panel(Text("\n".join(assessment.scale)), title="scale", title_align="left"))
    ratings = []
    for i, area in enumerate(assessment.areas, 1):
        console.print()
        console.print(Text(f"{i}/{len(assessment.areas)} {area.title}", style="title"))
        console.print(Text(reflow(area.question)))
        while True:
            raw = read_line("rating 1-5 › ").strip()
            if raw in ("1", "2", "3", "4", "5"):
                ratings.append(int(raw))
                break
            console.print(Text("a whole number from 1 to 5", style="warn"))
    return ratings


def record(assessment: Assessment, ratings: Sequence[int], store: Store, today: date) -> tuple[int, Band]:
    by_area = {area.id: r for area, r in zip(assessment.areas, ratings)}
    store.record_assessment(by_area, day=today)
    total = sum(ratings)
    return total, assessment.band_for(total)


def study_plan(assessment: Assessment, ratings: Sequence[int], known_tags: set[str] | None = None) -> list[str]:
    """One line per area rated 3 or less, lowest first: what to run next for it."""
    order = sorted(zip(assessment.areas, ratings), key=lambda ar: ar[1])
    lines = []
    for area, rating in order:
        if rating > 3:
            continue
        tags = [t for t in area.tags if known_tags is None or t in known_tags][:3]
        if tags:
            command = "gdgrill quiz" + "".join(f" --tag {t}" for t in tags)
        else:
            command = "gdgrill quiz" + "".join(f" --deck {d}" for d in area.study)
        lines.append(f"{area.title} ({rating}/5): {command}")
    return lines


def target_lines(band: Band, plan: dict | None) -> list[str]:
    """The goal to aim for: the band's readiness target without a plan; with one, the
    plan's own projection, never a figure the plan cannot reach."""
    if plan is None or plan.get("projected_recall") is None:
        return [band.target] if band.target else []
    recall = plan["projected_recall"]
    lines = [
        f"Your plan: interview on {plan['interview']} ({plan['days_left']} day(s) left), up to {plan['per_day']} items a day;"
        f" kept to, it projects {recall * 100:.0f}% recall on the day."
    ]
    if plan["not_covered"]:
        lines.append(
            f"{len(plan['not_covered'])} card(s) will not be reached at this budget: start the weak areas above first,"
            " or raise it with gdgrill plan --per-day N."
        )
    elif recall < 0.8:
        lines.append("Keep to the plan every day; the areas above are where the extra minutes pay most.")
    else:
        lines.append("Keep to it daily: 'gdgrill quiz' serves the plan's items.")
    return lines
