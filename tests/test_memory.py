"""The FSRS-6 transcription against py-fsrs, the reference implementation."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

import pytest

from gdgrill.memory import AGAIN, EASY, FSRS, FSRS6_PARAMETERS, GOOD, Memory

fsrs = pytest.importorskip("fsrs")  # in the test extra: this cross-check must run in CI


def test_parameters_are_the_libraries_defaults():
    from fsrs.scheduler import DEFAULT_PARAMETERS

    assert FSRS6_PARAMETERS == tuple(DEFAULT_PARAMETERS)


def _reference(history: list[tuple[date, int]], when: date):
    scheduler = fsrs.Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)
    card = fsrs.Card()
    for day, rating in history:
        moment = datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc)
        card, _ = scheduler.review_card(card, fsrs.Rating(rating), moment)
    at = datetime(when.year, when.month, when.day, 12, tzinfo=timezone.utc)
    return card, scheduler.get_card_retrievability(card, at)


@pytest.mark.parametrize("seed", range(40))
def test_random_histories_match_py_fsrs(seed):
    rng = random.Random(seed)
    day = date(2026, 1, 1) + timedelta(days=rng.randrange(300))
    history = []
    for _ in range(rng.randrange(1, 12)):
        history.append((day, rng.choice([1, 2, 3, 4, 3, 3, 1])))
        day += timedelta(days=rng.choice([0, 0, 1, 2, 3, 7, 15, 40]))
    model = FSRS()
    ours = model.replay(history)
    card, recall = _reference(history, day)
    assert ours.stability == pytest.approx(card.stability, rel=1e-9)
    assert ours.difficulty == pytest.approx(card.difficulty, rel=1e-9)
    assert model.recall(ours, day) == pytest.approx(recall, rel=1e-9)


def test_recall_is_ninety_percent_after_one_stability():
    model = FSRS()
    memory = Memory(stability=10.0, difficulty=5.0, last=date(2026, 1, 1))
    assert model.recall(memory, date(2026, 1, 11)) == pytest.approx(0.9)
    assert model.recall(memory, date(2026, 1, 1)) == 1.0
    assert model.recall(memory, date(2026, 2, 1)) < 0.9


def test_a_pass_lasts_longer_than_a_miss_and_easy_longer_than_good():
    model = FSRS()
    d0 = date(2026, 1, 1)
    start = model.first(GOOD, d0)
    later = d0 + timedelta(days=3)
    assert model.review(start, AGAIN, later).stability < start.stability < model.review(start, GOOD, later).stability
    assert model.review(start, GOOD, later).stability < model.review(start, EASY, later).stability


def test_wrong_parameter_count_is_refused():
    with pytest.raises(ValueError, match="^FSRS-6 takes 21 parameters, got 19$"):
        FSRS((0.1,) * 19)


@pytest.mark.parametrize("gap", [0, 1, 5, 30])
def test_outcomes_equal_two_full_reviews(gap):
    model = FSRS()
    d0 = date(2026, 1, 1)
    memory = model.review(model.first(GOOD, d0), AGAIN, d0 + timedelta(days=2))
    day = memory.last + timedelta(days=gap)
    r, s_pass, s_fail = model.outcomes(memory, day)
    assert r == pytest.approx(model.recall(memory, day))
    assert s_pass == model.review(memory, GOOD, day).stability
    assert s_fail == model.review(memory, AGAIN, day).stability


D0 = date(2026, 1, 1)


@pytest.mark.parametrize(
    "history",
    [
        [(D0, AGAIN), (D0 + timedelta(days=400), AGAIN)],  # missed, then again a year on: the short-term cap binds
        [(D0 + timedelta(days=n), AGAIN) for n in range(15)],  # miss after miss: difficulty stops at 10
        [(D0 + timedelta(days=n * n), EASY) for n in range(12)],  # easy after easy: difficulty stops at 1
        [(D0, AGAIN)] * 12,  # missed again and again the same day: stability stops at its floor
        [(D0, GOOD)] * 6,  # passed again the same day: stability never shrinks
    ],
    ids=["overdue-miss", "misses", "easies", "same-day-misses", "same-day-passes"],
)
def test_the_model_at_its_limits_matches_py_fsrs(history):
    model = FSRS()
    ours = model.replay(history)
    when = history[-1][0] + timedelta(days=5)
    card, recall = _reference(history, when)
    assert ours.stability == pytest.approx(card.stability, rel=1e-9)
    assert ours.difficulty == pytest.approx(card.difficulty, rel=1e-9)
    assert model.recall(ours, when) == pytest.approx(recall, rel=1e-9)


def test_recall_on_the_day_of_the_review_or_before_it_is_certain():
    model = FSRS()
    memory = Memory(stability=4.0, difficulty=5.0, last=D0)
    assert model.recall_after(4.0, 0) == 1.0 and model.recall_after(4.0, -3) == 1.0
    r, _, _ = model.outcomes(memory, D0 - timedelta(days=2))  # a clock set back before the last review
    assert r == 1.0 and model.recall(memory, D0 - timedelta(days=2)) == 1.0
