"""Today's queue, exactly as the quiz asks it: the ladder's, or the interview plan's.

One function, :func:`todays_queue`, serves ``gdgrill quiz``, ``gdgrill due`` and the
plan's projection, so a script reading ``due`` sees the very cards the quiz would ask, in
the same order. It reads the store, calls the pure scheduler or planner, and returns data.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, NamedTuple, Sequence

from gdgrill.decks import Card
from gdgrill.planner import Item, Projection, Today, allowance_on, choose, new_pass_rate, project, value
from gdgrill.quiz import Plan, plan_session
from gdgrill.scheduler import CardState
from gdgrill.store import Store, StoredPlan

DRILL_TIER = 2  # drills weigh as tier 2 (the drill catalogue is not loaded on the daily path)


class Queue(NamedTuple):
    session: Plan  # the cards the quiz asks (due first, then new)
    drills: list[str]  # drill names due today
    plan: StoredPlan | None  # the plan in force, if any
    today_plan: Today | None  # the planner's choice, when a plan is in force
    spent: int  # items already reviewed today (counted against --per-day)
    states: dict[str, CardState]  # every item's ladder state, as read for this queue
    suspended: frozenset[str] = frozenset()  # items left out because the user suspended them
    held_back: int = 0  # new cards of the selection today's new-card allowance leaves out
    allowance: tuple[int, int] = (0, 0)  # (new cards allowed per day, introduced today)


def _area_ratings(store: Store) -> dict[str, int]:
    """The latest self-assessment, as tag → the lowest rating among areas carrying it."""
    taken = store.assessments()
    if not taken:
        return {}
    ratings = taken[-1]["ratings"]
    by_tag: dict[str, int] = {}
    for area, tags in assessment_area_tags(store.path.parent / "cache" / "assessment.json").items():
        r = ratings.get(area)
        if isinstance(r, int):
            for tag in tags:
                by_tag[tag] = min(by_tag.get(tag, 5), r)
    return by_tag


def assessment_area_tags(cache: Path | None = None) -> dict[str, tuple[str, ...]]:
    """Each assessment area's tags, for the planner's weighting. The daily quiz never
    imports yaml, so the parsed result is kept in ``cache`` (see
    :func:`gdgrill.parsecache.cached_parse`)."""
    from gdgrill.parsecache import cached_parse
    from gdgrill.paths import content_dir

    path = content_dir() / "assessment.yaml"

    def parse() -> dict[str, list[str]]:
        from gdgrill.content import load_assessment  # yaml: only on a stale cache

        return {a.id: list(a.tags) for a in load_assessment(path).areas}

    return {a: tuple(t) for a, t in cached_parse(path, cache, parse).items()}


def plan_items(
    cards: Sequence[Card],
    states: dict[str, CardState],
    histories: dict[str, list[tuple[date, int]]],
    focus: str,
    area_ratings: dict[str, int],
) -> list[Item]:
    """Every card, and every drill already on the ladder, as the planner sees them."""
    from gdgrill.memory import AGAIN, FSRS

    model = FSRS()
    items = []
    keys = [(c.key, c.tier, c.tags) for c in cards]
    keys += [(k, DRILL_TIER, ()) for k in states if k.startswith("drill/")]
    for key, tier, tags in keys:
        history = histories.get(key, ())
        rated = [area_ratings[t] for t in tags if t in area_ratings]
        misses = sum(1 for _, r in history if r == AGAIN)
        items.append(
            Item(key, tier, value(tier, focus, min(rated) if rated else None, misses), states.get(key), model.replay(history))
        )
    return items


def unsuspended(cards: Sequence[Card], suspended: frozenset[str] | set[str]) -> Sequence[Card]:
    """``cards`` without the suspended ones (the same sequence when none is suspended)."""
    return [c for c in cards if c.key not in suspended] if suspended else cards


def todays_queue(
    all_cards: Sequence[Card],
    selected: Sequence[Card],
    store: Store,
    today: date,
    *,
    new_per_day: int,
    limit: int | None = None,
    cram: bool = False,
) -> Queue:
    """Today's quiz. Without a plan (or in cram mode, or once the interview has come),
    the ladder's queue; with one, the planner's, computed over every card and then
    narrowed to ``selected`` (so --deck or --tag show part of the same plan). Suspended
    cards are never in it (nor in cram)."""
    states = store.states()
    stored = store.plan()
    suspended = frozenset(store.suspended())
    all_cards, selected = unsuspended(all_cards, suspended), unsuspended(selected, suspended)
    if cram or stored is None or stored.interview <= today:
        introduced = store.introduced_on(today)
        session = plan_session(
            selected, states, today, new_per_day=new_per_day, introduced_today=introduced, limit=limit, cram=cram
        )
        from gdgrill.quiz import due_drills

        unseen = sum(1 for c in selected if c.key not in states)
        allowed = max(new_per_day - introduced, 0)
        held_back = 0 if cram else max(unseen - allowed, 0) if len(session.new) >= allowed else 0
        return Queue(
            session, [] if cram else due_drills(states, today), stored, None, 0, states, suspended, held_back, (new_per_day, introduced)
        )
    chosen, spent = _planned(all_cards, store, states, stored, today, new_per_day)
    wanted = {c.key: c for c in selected}
    due = [wanted[k] for k in chosen.ladder + chosen.planned if k in wanted]
    new = [wanted[k] for k in chosen.new if k in wanted]
    if limit is not None:
        due = due[:limit]
        new = new[: max(limit - len(due), 0)]
    drills = [k.split("/", 1)[1] for k in chosen.ladder + chosen.planned if k.startswith("drill/")]
    return Queue(Plan(due=due, new=new), drills, stored, chosen, spent, states, suspended)


def opening_lines(queue: Queue, cards: Sequence[Card], today: date, cram: bool, again: str = "gdgrill quiz") -> list[str]:
    """What the quiz says before the first card; under a plan, the plan's day too.
    ``again`` is the command line of this selection, for advice to practise it anyway."""
    from gdgrill.quiz import opening_lines as ladder_lines

    cards = [c for c in cards if c.key not in queue.suspended]  # "next due" leaves them out too
    if queue.today_plan is None or cram:
        lines = ladder_lines(queue.session, queue.states, cards, today, cram, again)
        if queue.held_back and not queue.session.new:
            per_day, introduced = queue.allowance
            lines.insert(
                1,
                f"No new cards: today's allowance of {per_day} is used ({introduced} introduced);"
                f" {queue.held_back} wait for tomorrow ('--new N' or 'gdgrill config set new_per_day N' allows more).",
            )
        if queue.plan is not None and not cram and queue.plan.interview <= today:
            lines.insert(0, f"Interview day ({queue.plan.interview.isoformat()}): the plan is over, the ladder is back. Good luck!")
        return lines
    plan, chosen, session = queue.plan, queue.today_plan, queue.session
    assert plan is not None
    lines = [
        f"{today.isoformat()}: interview on {plan.interview.isoformat()}, {chosen.days_left} day(s) left."
        f" Today: {len(session.due)} review(s), {len(session.new)} new"
        f" ({queue.spent} of {plan.per_day} done so far)."
    ]
    if queue.drills:
        lines.append("Drills in today's plan: " + ", ".join(f"gdgrill drill {d}" for d in queue.drills))
    if not session.cards:
        if queue.spent >= plan.per_day:
            lines.append(f"Today's {plan.per_day} are done: come back tomorrow (extra practice: {again} --cram).")
        elif chosen.keys:
            lines.append("The rest of today's plan is outside this selection: run 'gdgrill quiz' without filters.")
        else:
            lines.append(f"Nothing in today's plan is worth reviewing now. Extra practice: {again} --cram")
    return lines


def _context(all_cards: Sequence[Card], store: Store, states: dict[str, CardState], stored: StoredPlan) -> tuple[list[Item], float]:
    histories = store.memory_histories()
    items = plan_items(all_cards, states, histories, stored.focus, _area_ratings(store))
    return items, new_pass_rate(histories)


def _planned(
    all_cards: Sequence[Card], store: Store, states: dict[str, CardState], stored: StoredPlan, today: date, new_per_day: int
) -> tuple[Today, int]:
    from gdgrill.memory import FSRS

    items, p_new = _context(all_cards, store, states, stored)
    spent = store.reviewed_on(today)
    allowance = allowance_on(items, today, stored.interview, new_per_day, store.introduced_on(today))
    chosen = choose(
        items, today=today, interview=stored.interview, budget=stored.per_day - len(spent), model=FSRS(),
        p_new=p_new, spent=spent, new_allowance=allowance,
    )
    return chosen, len(spent)


def projection(
    all_cards: Sequence[Card], store: Store, stored: StoredPlan, today: date, new_per_day: int,
    context: tuple[list[Item], float] | None = None,
) -> Projection:
    """The plan rolled forward to the interview from today's state of the log."""
    from gdgrill.memory import FSRS

    items, p_new = context or _context(all_cards, store, store.states(), stored)
    return project(
        items, today=today, interview=stored.interview, per_day=stored.per_day, model=FSRS(), p_new=p_new,
        spent=store.reviewed_on(today), new_per_day=new_per_day, introduced_today=store.introduced_on(today),
    )


def plan_summary(all_cards: Sequence[Card], store: Store, today: date, new_per_day: int) -> dict[str, Any] | None:
    """The plan as the report and ``gdgrill plan --format json`` show it; None without one."""
    stored = store.plan()
    if stored is None:
        return None
    all_cards = unsuspended(all_cards, store.suspended())  # set aside: not part of the plan
    card_keys = [c.key for c in all_cards]
    items, p_new = _context(all_cards, store, store.states(), stored)
    not_yet = sum(1 for i in items if i.memory is None and not i.key.startswith("drill/"))
    out: dict[str, Any] = {
        "interview": stored.interview.isoformat(),
        "days_left": (stored.interview - today).days,
        "per_day": stored.per_day,
        "focus": stored.focus,
        "not_yet_introduced": not_yet,
    }
    if stored.interview <= today:
        out.update(projected_recall=None, not_covered=[], not_covered_by_tier={}, days=[],
                   status="interview day reached: the ladder is back in charge")
        return out
    proj = projection(all_cards, store, stored, today, new_per_day, (items, p_new))
    known = set(card_keys)
    uncovered = [k for k in proj.never_introduced if k in known]
    by_key = {c.key: c for c in all_cards}
    out.update(
        projected_recall=round(proj.mean_recall(card_keys), 3),
        not_covered=uncovered,
        not_covered_by_tier={str(t): n for t in (1, 2, 3, 4) if (n := sum(1 for k in uncovered if by_key[k].tier == t))},
        days=[{"day": d.day.isoformat(), "reviews": d.reviews, "new": d.new} for d in proj.days],
        status="planned",
    )
    return out

