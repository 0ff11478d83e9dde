"""The memory model: FSRS-6, the Free Spaced Repetition Scheduler's model of forgetting.

An item's memory is a stability S (days until recall falls to 90 %) and a difficulty D
(1-10), updated by each review; recall ``t`` days after the last review is the power law
R(t) = (1 + F·t/S)^(−w20) with F = 0.9^(−1/w20) − 1. The default parameters were fitted by
the FSRS project on hundreds of millions of Anki reviews.

This module is a plain-float transcription of py-fsrs 6 (``fsrs`` on PyPI, the reference
implementation), for one reason: speed. ``fsrs.Scheduler.review_card`` costs ~18 µs a review
and importing it ~15 ms, which a planner replaying a year of history for 10,000 cards (and
the quiz's start-up) cannot afford; these formulas cost ~1 µs. ``tests/test_memory.py``
replays random histories through both and requires them to agree to 1e-9, and checks the
parameters below against ``fsrs.scheduler.DEFAULT_PARAMETERS``.

The mapping from gdgrill's grades: a miss is FSRS "Again", a pass "Good", an easy pass
"Easy". The replay matches ``fsrs.Scheduler(learning_steps=(), relearning_steps=())``: every
review updates S and D, and a second review on the same day uses FSRS's short-term formula.
Pure: no clock, no I/O.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Iterable, NamedTuple, Sequence

AGAIN, HARD, GOOD, EASY = 1, 2, 3, 4

# py-fsrs 6.x DEFAULT_PARAMETERS (w0 … w20); a test holds them equal to the library's.
FSRS6_PARAMETERS: tuple[float, ...] = (
    0.212, 1.2931, 2.3065, 8.2956, 6.4133, 0.8334, 3.0194, 0.001, 1.8722, 0.1666, 0.796,
    1.4835, 0.0614, 0.2629, 1.6483, 0.6014, 1.8729, 0.5425, 0.0912, 0.0658, 0.1542,
)  # fmt: skip
STABILITY_MIN = 0.001
MIN_DIFFICULTY, MAX_DIFFICULTY = 1.0, 10.0


class Memory(NamedTuple):
    stability: float  # days until predicted recall falls to 90 %
    difficulty: float  # 1 (easy) … 10 (hard)
    last: date  # the day of the last review


class FSRS:
    """FSRS-6 with a given parameter vector (the defaults unless the user's own fit)."""

    def __init__(self, parameters: Sequence[float] = FSRS6_PARAMETERS):
        if len(parameters) != 21:
            raise ValueError(f"FSRS-6 takes 21 parameters, got {len(parameters)}")
        w = self.w = tuple(float(p) for p in parameters)
        self.decay = -w[20]
        self.factor = 0.9 ** (1 / self.decay) - 1
        self._easy_d0 = w[4] - math.exp(w[5] * (EASY - 1)) + 1  # D0(Easy), unclamped: the mean-reversion target
        self._e_w8 = math.exp(w[8])
        self._short_forget = math.exp(w[17] * w[18])

    # -- recall ------------------------------------------------------------------------
    def recall(self, memory: Memory, day: date) -> float:
        """Predicted probability of recalling the item on ``day``."""
        elapsed = max((day - memory.last).days, 0)
        return (1 + self.factor * elapsed / memory.stability) ** self.decay

    def recall_after(self, stability: float, days: int) -> float:
        return (1 + self.factor * (days if days > 0 else 0) / stability) ** self.decay

    # -- updates -----------------------------------------------------------------------
    @staticmethod
    def _clamp_d(d: float) -> float:
        # Conditionals, not min/max: this runs for every review of a year's history.
        return MIN_DIFFICULTY if d < MIN_DIFFICULTY else (MAX_DIFFICULTY if d > MAX_DIFFICULTY else d)

    def first(self, rating: int, day: date) -> Memory:
        """The memory after an item's first review."""
        w = self.w
        s = max(w[rating - 1], STABILITY_MIN)
        d = self._clamp_d(w[4] - math.exp(w[5] * (rating - 1)) + 1)
        return Memory(s, d, day)

    def _next_difficulty(self, d: float, rating: int) -> float:
        w = self.w
        delta = -(w[6] * (rating - 3))
        damped = d + (10.0 - d) * delta / 9.0
        return self._clamp_d(w[7] * self._easy_d0 + (1 - w[7]) * damped)

    def _stability(self, s: float, d: float, elapsed: int, r: float, rating: int) -> float:
        """Stability after a review ``elapsed`` days after the last, recall then ``r``."""
        w = self.w
        if elapsed < 1:  # a same-day review: FSRS-6's short-term stability
            grow = math.exp(w[17] * (rating - 3 + w[18])) * s ** -w[19]
            if rating >= HARD and grow < 1.0:
                grow = 1.0
            s_new = s * grow
        elif rating == AGAIN:
            long_term = w[11] * d ** -w[12] * ((s + 1) ** w[13] - 1) * math.exp((1 - r) * w[14])
            short_term = s / self._short_forget
            s_new = long_term if long_term < short_term else short_term
        else:
            bonus = w[15] if rating == HARD else (w[16] if rating == EASY else 1.0)
            s_new = s * (1 + self._e_w8 * (11 - d) * s ** -w[9] * (math.exp((1 - r) * w[10]) - 1) * bonus)
        return s_new if s_new > STABILITY_MIN else STABILITY_MIN

    def review(self, memory: Memory | None, rating: int, day: date) -> Memory:
        """The memory after one more review on ``day`` with ``rating`` (1-4)."""
        if memory is None:
            return self.first(rating, day)
        s, d, last = memory
        elapsed = (day - last).days
        r = (1 + self.factor * (elapsed if elapsed > 0 else 0) / s) ** self.decay
        return Memory(self._stability(s, d, elapsed, r, rating), self._next_difficulty(d, rating), day)

    def outcomes(self, memory: Memory, day: date) -> tuple[float, float, float]:
        """(recall on ``day``, stability after a pass then, stability after a miss then):
        what a planner weighs, without the cost of two full reviews."""
        s, d, last = memory
        elapsed = (day - last).days
        r = (1 + self.factor * (elapsed if elapsed > 0 else 0) / s) ** self.decay
        return r, self._stability(s, d, elapsed, r, GOOD), self._stability(s, d, elapsed, r, AGAIN)

    def replay(self, reviews: Iterable[tuple[date, int]], start: Memory | None = None) -> Memory | None:
        """The memory after ``reviews`` ((day, rating) pairs, oldest first)."""
        memory = start
        for day, rating in reviews:
            memory = self.review(memory, rating, day)
        return memory
