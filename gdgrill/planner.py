"""The interview planner: which items to study each day so that the most is recalled on
interview morning, within a daily budget. Pure: states, memories, the plan and "today" in,
a queue out; no clock, no I/O.

How it decides (measured in ``bench/bench_plan.py``, where it beats the ladder 1.5-3×):

- **The ladder stays the default.** An item whose ladder can still finish before the
  interview (a new card with 22+ days left; a card whose remaining checkpoints, passed on
  time, end before the day; a mastered card) is *on track* and follows the ladder exactly:
  it is served when due, first, most overdue first.
- **Everything else is planned by value.** For each remaining item the planner asks the
  memory model (FSRS-6, :mod:`gdgrill.memory`) how much reviewing it *today* raises its
  expected recall on interview morning: with r = today's recall, E[after] =
  r·R_T(pass) + (1 − r)·R_T(miss), gain = E[after] − R_T(no review). A new card's gain is
  its whole expected recall, so cards are introduced as early as the budget allows, and
  the last days go to what is weakest. The gain is weighted by interview value (tier,
  the latest self-assessment, past misses) and the budget is filled best first.
  A miss is simply a low-recall item: it comes back when a review is worth the most, not
  every day, which is what sinks a "compress the ladder" plan.
- **Never over budget**: ``per_day`` counts every item (reviews, new cards and drills)
  already reviewed today.

:func:`project` rolls the plan forward day by day (assuming each review passes, with the
last review's outcome taken in expectation) for the load chart and projected recall.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Iterable, Mapping, NamedTuple, Sequence

from gdgrill.memory import AGAIN, FSRS, GOOD, Memory
from gdgrill.scheduler import CHECKPOINT_DAYS, MASTERED, CardState, Grade, apply_review

LADDER_DAYS = CHECKPOINT_DAYS[-1]  # 21: a card learned today finishes the ladder on day 21
DEFAULT_PER_DAY = 40
MIN_GAIN = 0.001  # a review worth less than 0.1 % recall on the day is not worth the user's time
FOCUS = ("phone", "research")
TIER_WEIGHTS = {
    "phone": {1: 1.0, 2: 0.9, 3: 0.8, 4: 0.7},  # phone screens ask tier 1-2 first
    "research": {1: 0.85, 2: 0.9, 3: 1.0, 4: 1.0},
}


class Item(NamedTuple):
    """One thing the user can study: a card or a drill, with what the planner knows of it."""

    key: str
    tier: int
    weight: float  # interview value, ~0.5-1.5 (see :func:`value`)
    state: CardState | None  # on the ladder, or None if never reviewed there
    memory: Memory | None  # FSRS memory, None if never reviewed at all


class Today(NamedTuple):
    """Today's queue under a plan."""

    ladder: list[str]  # on-track items due today (most overdue first)
    planned: list[str]  # items chosen by value (best first)
    new: list[str]  # never-reviewed items to introduce (best first)
    days_left: int

    @property
    def keys(self) -> list[str]:
        return self.ladder + self.planned + self.new


def value(tier: int, focus: str = "phone", area_rating: int | None = None, misses: int = 0) -> float:
    """An item's interview value: its tier for the focus, scaled up for a weak self-assessed
    area (rating 1 → ×1.2 … 5 → ×0.8) and for past misses (+5 % each, up to four)."""
    w = TIER_WEIGHTS[focus].get(tier, 0.7)
    if area_rating is not None:
        w *= 1 + 0.1 * (3 - area_rating)
    return w * (1 + 0.05 * min(misses, 4))


def new_pass_rate(histories: Mapping[str, Sequence[tuple[date, int]]]) -> float:
    """How often this user passes a card the first time they see it (a Beta(1, 1) prior:
    0.5 with no history). The model's prediction for a card not yet introduced."""
    first = [h[0][1] for h in histories.values() if h]
    return (sum(1 for r in first if r != AGAIN) + 1) / (len(first) + 2)


def on_track(state: CardState | None, day: date, interview: date) -> bool:
    """Whether the ladder alone can finish this item before ``interview``."""
    if state is None or state.reviews == 0:
        return (interview - day).days > LADDER_DAYS
    if state.rung >= MASTERED:
        return True
    next_review = max(state.due or day, day)
    finish = next_review + timedelta(days=LADDER_DAYS - CHECKPOINT_DAYS[state.rung])
    return finish < interview


class _Gains:
    """Expected recall on ``interview`` with and without a review on ``day``."""

    def __init__(self, model: FSRS, day: date, interview: date, p_new: float):
        self.model, self.day, self.interview = model, day, interview
        horizon = (interview - day).days
        self.horizon = horizon
        s_pass, s_fail = model.first(GOOD, day).stability, model.first(AGAIN, day).stability
        self.new_gain = p_new * model.recall_after(s_pass, horizon) + (1 - p_new) * model.recall_after(s_fail, horizon)

    def gain(self, memory: Memory | None) -> float:
        if memory is None:
            return self.new_gain
        m, horizon = self.model, self.horizon
        r, s_pass, s_fail = m.outcomes(memory, self.day)
        without = m.recall_after(memory.stability, (self.interview - memory.last).days)
        return r * m.recall_after(s_pass, horizon) + (1 - r) * m.recall_after(s_fail, horizon) - without


def choose(
    items: Iterable[Item],
    *,
    today: date,
    interview: date,
    budget: int,
    model: FSRS,
    p_new: float,
    spent: frozenset[str] | set[str] = frozenset(),
    new_allowance: int | None = None,
) -> Today:
    """Today's queue: at most ``budget`` items. ``spent`` holds the items already reviewed
    today (they are not asked again); ``new_allowance`` caps on-track new cards (the
    ladder's new-card allowance, used only while the interview is 22+ days away)."""
    days_left = (interview - today).days
    budget = max(budget, 0)
    gains = _Gains(model, today, interview, p_new)
    due: list[tuple[int, int, str]] = []
    ranked: list[tuple[float, int, str, bool]] = []
    fresh: list[tuple[float, int, str]] = []
    for n, item in enumerate(items):
        if item.key in spent:
            continue
        state = item.state
        if on_track(state, today, interview):
            if state is not None and state.reviews:
                if state.is_due(today):
                    due.append((-state.days_overdue(today), n, item.key))
            else:
                fresh.append((-item.weight, n, item.key))
            continue
        g = gains.gain(item.memory) * item.weight
        if g >= MIN_GAIN:
            ranked.append((-g, n, item.key, item.memory is None and (state is None or not state.reviews)))
    due.sort()
    ranked.sort()
    fresh.sort()
    ladder = [k for _, _, k in due][:budget]
    left = budget - len(ladder)
    chosen = ranked[:left]
    planned = [k for _, _, k, is_new in chosen if not is_new]
    new = [k for _, _, k, is_new in chosen if is_new]
    left -= len(chosen)
    if fresh and left > 0:
        cap = left if new_allowance is None else min(left, max(new_allowance, 0))
        new += [k for _, _, k in fresh[:cap]]
    return Today(ladder, planned, new, days_left)


def new_allowance(new_on_track: int, days_left: int, new_per_day: int, introduced_today: int) -> int:
    """On-track new cards allowed today: the ladder's allowance, raised so that every card
    can start its ladder before the last day that still lets it finish."""
    runway = days_left - LADDER_DAYS
    needed = math.ceil(new_on_track / runway) if runway > 0 else 0
    return max(new_per_day, needed) - introduced_today


def _expected_memory(model: FSRS, memory: Memory | None, day: date, p_new: float) -> Memory:
    r = p_new if memory is None else model.recall(memory, day)
    passed, missed = model.review(memory, GOOD, day), model.review(memory, AGAIN, day)
    stability = math.exp(r * math.log(passed.stability) + (1 - r) * math.log(missed.stability))
    return Memory(stability, r * passed.difficulty + (1 - r) * missed.difficulty, day)


def allowance_on(items: Iterable[Item], day: date, interview: date, new_per_day: int, introduced_today: int) -> int:
    """:func:`new_allowance` for ``day``, counting the new cards still on track then."""
    fresh = sum(1 for i in items if (i.state is None or not i.state.reviews) and on_track(i.state, day, interview))
    return new_allowance(fresh, (interview - day).days, new_per_day, introduced_today)


class DayLoad(NamedTuple):
    day: date
    reviews: int
    new: int


class Projection(NamedTuple):
    days: list[DayLoad]  # today … the day before the interview
    recall: dict[str, float]  # projected recall on interview morning, per item
    never_introduced: list[str]  # new items the budget does not reach before the day

    def mean_recall(self, keys: Iterable[str]) -> float:
        keys = list(keys)
        return sum(self.recall.get(k, 0.0) for k in keys) / len(keys) if keys else 0.0


def project(
    items: Sequence[Item],
    *,
    today: date,
    interview: date,
    per_day: int,
    model: FSRS,
    p_new: float,
    spent: frozenset[str] | set[str] = frozenset(),
    new_per_day: int = 10,
    introduced_today: int = 0,
) -> Projection:
    """Roll the plan forward to the interview, assuming the user keeps to it. Each
    review's outcome is taken in expectation: the memory after it is the recall-weighted
    blend of the pass and the miss (geometric in stability), and the last review's two
    outcomes are weighed exactly. Today's load counts what was already done today."""
    states = {i.key: i.state for i in items}
    memories = {i.key: i.memory for i in items}
    before_last: dict[str, tuple[Memory | None, date]] = {}
    days: list[DayLoad] = []
    day = today
    done_today = set(spent)
    current = list(items)
    index = {item.key: n for n, item in enumerate(items)}
    while day < interview:
        allowance = allowance_on(current, day, interview, new_per_day, introduced_today if day == today else 0)
        queue = choose(
            current, today=day, interview=interview, budget=per_day - len(done_today), model=model,
            p_new=p_new, spent=done_today, new_allowance=allowance,
        )
        for key in queue.keys:
            memory = memories[key]
            before_last[key] = (memory, day)
            memories[key] = _expected_memory(model, memory, day, p_new)
            states[key] = apply_review(states[key] or CardState(0, None), (day, Grade.PASS))  # type: ignore[arg-type]
            current[index[key]] = current[index[key]]._replace(state=states[key], memory=memories[key])
        extra = len(done_today) if day == today else 0
        days.append(DayLoad(day, len(queue.ladder) + len(queue.planned) + extra, len(queue.new)))
        done_today = set()
        day += timedelta(days=1)
    recall: dict[str, float] = {}
    for item in items:
        key = item.key
        if key in before_last:
            memory, when = before_last[key]
            horizon = (interview - when).days
            r = p_new if memory is None else model.recall(memory, when)
            s_pass = model.review(memory, GOOD, when).stability
            s_fail = model.review(memory, AGAIN, when).stability
            recall[key] = r * model.recall_after(s_pass, horizon) + (1 - r) * model.recall_after(s_fail, horizon)
        elif memories[key] is not None:
            recall[key] = model.recall(memories[key], interview)  # type: ignore[arg-type]
        else:
            recall[key] = 0.0
    never = [i.key for i in items if memories[i.key] is None]
    return Projection(days, recall, never)
