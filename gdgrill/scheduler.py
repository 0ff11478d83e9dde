"""The checkpoint ladder: a pure function from an item's review history to its state.

Checkpoints sit on days 0, 3, 7, 14 and 21 after a card is first learned. A pass moves the
card up one checkpoint, due after the gap to the next one (3, 4, 7, 7 days) counted from the
day it was actually reviewed, so a late review never skips a checkpoint. A miss brings the
card back tomorrow at checkpoint 0; a pass before the due day counts but does not climb.
An easy pass skips the next checkpoint: it climbs two rungs, due when the skipped one's
successor would have been (a day-3 easy pass is next tested on day 14).
After the day-21 pass the card is mastered and returns
for a maintenance check every ``maintenance_days`` (30); a miss there puts it back on the
ladder. Nothing here reads a clock or touches a file: "today" is an argument.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from enum import Enum
from typing import Iterable, NamedTuple, Sequence

CHECKPOINT_DAYS: tuple[int, ...] = (0, 3, 7, 14, 21)
MASTERED = len(CHECKPOINT_DAYS)  # the rung after the last checkpoint
DEFAULT_MAINTENANCE_DAYS = 30


class Grade(str, Enum):
    PASS = "pass"
    FAIL = "fail"
    EASY = "easy"  # a pass that skips the next checkpoint

    @property
    def passed(self) -> bool:
        return self is not Grade.FAIL


class Review(NamedTuple):
    """One graded review as the scheduler sees it: the study day and the grade."""

    day: date
    grade: Grade


class Status(str, Enum):
    NEW = "new"
    LEARNING = "learning"  # on the ladder, checkpoint 0..4
    MASTERED = "mastered"


class CardState(NamedTuple):
    """Where an item stands. ``rung`` 0..4 is the checkpoint it will be tested on next
    (its day in :data:`CHECKPOINT_DAYS`); ``rung == MASTERED`` means maintenance.
    (A NamedTuple: immutable, and cheap to build a million times in a report.)"""

    rung: int
    due: date | None  # None: never reviewed (due whenever new cards are introduced)
    reviews: int = 0
    lapses: int = 0
    last_review: date | None = None

    @property
    def status(self) -> Status:
        if self.reviews == 0:
            return Status.NEW
        return Status.MASTERED if self.rung >= MASTERED else Status.LEARNING

    @property
    def checkpoint_day(self) -> int | None:
        """The ladder day (0, 3, 7, 14, 21) of the next test; None once mastered."""
        return CHECKPOINT_DAYS[self.rung] if self.rung < MASTERED else None

    def is_due(self, today: date) -> bool:
        return self.due is not None and self.due <= today

    def days_overdue(self, today: date) -> int:
        return (today - self.due).days if self.due is not None else 0


NEW_STATE = CardState(rung=0, due=None)


def gap_after_pass(rung: int, maintenance_days: int = DEFAULT_MAINTENANCE_DAYS) -> int:
    """Days until the next review after passing the checkpoint at ``rung``."""
    if rung + 1 < MASTERED:
        return CHECKPOINT_DAYS[rung + 1] - CHECKPOINT_DAYS[rung]
    return maintenance_days


@lru_cache(maxsize=8)
def _gaps(maintenance_days: int) -> tuple[timedelta, ...]:
    return tuple(timedelta(days=gap_after_pass(r, maintenance_days)) for r in range(MASTERED + 1))


def replay(
    start: CardState, reviews: Iterable[tuple[date, Grade]], maintenance_days: int = DEFAULT_MAINTENANCE_DAYS
) -> CardState:
    """The state after ``reviews`` (oldest first, as (day, grade) pairs) starting from
    ``start``. The ladder's rules:

    - a miss sends the item to checkpoint 0, due the next day;
    - a pass on or after the due day climbs one rung, due after the gap to the next
      checkpoint (then every ``maintenance_days`` once mastered), counted from that day;
    - an easy pass on or after the due day climbs two rungs, due after both gaps (a
      mastered card's easy pass: two maintenance gaps);
    - an early pass (a drill repeated the same day, two sessions at once) is counted but
      does not climb."""
    return states_on(start, reviews, _END_OF_TIME, maintenance_days)[0]


_END_OF_TIME = (date.max,)


def states_on(
    start: CardState, reviews: Iterable[tuple[date, Grade]], days: Sequence[date], maintenance_days: int = DEFAULT_MAINTENANCE_DAYS
) -> list[CardState]:
    """The state at the end of each of ``days`` (ascending), replaying ``reviews`` (oldest
    first) from ``start``: the one implementation of the rules :func:`replay` states (the
    report's readiness over time samples a history in one pass with it)."""
    gaps = _gaps(maintenance_days)
    one_day = timedelta(days=1)
    fail, easy, top = Grade.FAIL, Grade.EASY, MASTERED  # locals: this loop runs per review in a report
    rung, due, count, lapses, last = start
    out: list[CardState] = []
    marks = iter(days)
    cut = next(marks, None)
    state = start  # the state as of the last review replayed (None: not built yet)
    for day, grade in reviews:
        while cut is not None and day > cut:
            if state is None:
                state = CardState(rung, due, count, lapses, last)
            out.append(state)  # days without a review between them share one state
            cut = next(marks, None)
        state = None
        count += 1
        last = day
        if grade is fail:
            rung, due, lapses = 0, day + one_day, lapses + 1
        elif due is None or day >= due:
            if grade is easy:
                due = day + gaps[rung] + gaps[rung + 1 if rung < top else top]
                rung = rung + 2 if rung < top - 1 else top
            else:
                due = day + gaps[rung]
                rung = rung + 1 if rung < top else top
    if cut is not None:
        state = state or CardState(rung, due, count, lapses, last)
        while cut is not None:
            out.append(state)
            cut = next(marks, None)
    return out


def apply_review(state: CardState, review: Review, maintenance_days: int = DEFAULT_MAINTENANCE_DAYS) -> CardState:
    """The state after one more review (returns a new state; ``state`` is unchanged)."""
    return replay(state, (review,), maintenance_days)


def card_state(history: Iterable[Review], maintenance_days: int = DEFAULT_MAINTENANCE_DAYS) -> CardState:
    """Replay a history (oldest first, undone reviews already removed) into a state."""
    return replay(NEW_STATE, history, maintenance_days)


def forecast(states: Iterable[CardState], today: date, days: int = 21) -> list[int]:
    """How many items fall due on each of the next ``days`` days (index 0 = today,
    counting everything already overdue); new, never-seen items are not counted."""
    counts = [0] * days
    for state in states:
        if state.due is None:
            continue
        offset = max((state.due - today).days, 0)
        if offset < days:
            counts[offset] += 1
    return counts
