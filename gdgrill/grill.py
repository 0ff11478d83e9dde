"""The grill: a 50-question readiness pass like a mock screen, tier 1 first, then deeper.

Questions 1-10 come from tier 1, 11-20 from tier 2, 21-30 from tier 3 and 31-50 from
tiers 3-4 (falling back to the nearest tier when one runs short). A band where more than
a quarter was missed is flagged; every missed card comes due tomorrow on the ladder, a
passed card's schedule is left alone.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Sequence

from gdgrill.decks import Card, DeckError
from gdgrill.scheduler import Grade

QUESTIONS = 50
GOAL = 40
BANDS: tuple[tuple[int, int, tuple[int, ...]], ...] = (
    (1, 10, (1,)),
    (11, 20, (2,)),
    (21, 30, (3,)),
    (31, 50, (4, 3)),
)
FLAG_MISS_SHARE = 0.25


def pick_questions(cards: Sequence[Card], seed: int | None = None) -> list[Card]:
    """Fifty distinct cards, band by band, each band drawn from its tiers first and then
    from the nearest tiers; raises DeckError when fewer than 50 cards are available."""
    if len(cards) < QUESTIONS:
        raise DeckError(f"the grill needs {QUESTIONS} cards; the selected decks have {len(cards)}")
    rng = random.Random(seed)
    pool = list(cards)
    rng.shuffle(pool)
    chosen: list[Card] = []
    used: set[str] = set()
    for first, last, tiers in BANDS:
        need = last - first + 1
        preference = list(tiers) + sorted({1, 2, 3, 4} - set(tiers), key=lambda t: min(abs(t - x) for x in tiers))
        for tier in preference:
            for card in pool:
                if need == 0:
                    break
                if card.tier == tier and card.key not in used:
                    chosen.append(card)
                    used.add(card.key)
                    need -= 1
    return chosen


@dataclass(frozen=True)
class BandResult:
    first: int
    last: int
    correct: int

    @property
    def size(self) -> int:
        return self.last - self.first + 1

    @property
    def flagged(self) -> bool:
        return (self.size - self.correct) > FLAG_MISS_SHARE * self.size

    def to_dict(self) -> dict:
        return {"questions": f"{self.first}-{self.last}", "correct": self.correct, "of": self.size, "flagged": self.flagged}


def score(grades: Sequence[Grade | None]) -> tuple[int, list[BandResult]]:
    """Score 50 answers in order (None: not answered, counts as a miss)."""
    padded = list(grades) + [None] * (QUESTIONS - len(grades))
    bands = [
        BandResult(first, last, sum(1 for g in padded[first - 1 : last] if g is not None and g.passed)) for first, last, _ in BANDS
    ]
    return sum(b.correct for b in bands), bands


def verdict(total: int) -> str:
    if total >= GOAL:
        return f"{total}/{QUESTIONS}: interview-ready on this pass (aim: {GOAL}+)"
    if total >= 30:
        return f"{total}/{QUESTIONS}: close — re-grill the flagged bands, then run it again"
    return f"{total}/{QUESTIONS}: not yet — work the daily quiz on the flagged bands first"
