"""The checkpoint ladder, with exact dates."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gdgrill.scheduler import (
    CHECKPOINT_DAYS,
    MASTERED,
    Grade,
    Review,
    Status,
    apply_review,
    card_state,
    forecast,
    NEW_STATE,
)

P, F = Grade.PASS, Grade.FAIL
D0 = date(2026, 3, 2)


def day(n: int) -> date:
    return D0 + timedelta(days=n)


def test_a_new_card_has_no_due_day_and_is_new():
    state = card_state([])
    assert state.status is Status.NEW and state.due is None and state.checkpoint_day == 0


def test_passing_on_time_climbs_the_ladder_on_days_0_3_7_14_21():
    history, state = [], NEW_STATE
    expected_due = [day(3), day(7), day(14), day(21), day(51)]
    review_day = D0
    for rung, due in enumerate(expected_due):
        assert state.checkpoint_day == CHECKPOINT_DAYS[rung]
        history.append(Review(review_day, P))
        state = card_state(history)
        assert state.due == due
        review_day = due
    assert state.status is Status.MASTERED and state.checkpoint_day is None


def test_a_miss_brings_the_card_back_tomorrow_and_restarts_the_ladder():
    state = card_state([Review(day(0), P), Review(day(3), P), Review(day(7), F)])
    assert state.due == day(8) and state.rung == 0 and state.lapses == 1
    state = card_state([Review(day(0), P), Review(day(3), P), Review(day(7), F), Review(day(8), P)])
    assert state.due == day(11) and state.checkpoint_day == 3


def test_a_late_review_counts_from_the_day_it_was_done_and_skips_no_checkpoint():
    # The day-3 checkpoint was done ten days late: the next one is 4 days after that.
    state = card_state([Review(day(0), P), Review(day(13), P)])
    assert state.due == day(17) and state.checkpoint_day == 7


def test_mastered_cards_return_for_maintenance_and_a_miss_there_puts_them_back():
    ladder = [Review(day(d), P) for d in (0, 3, 7, 14, 21)]
    assert card_state(ladder).due == day(51)
    assert card_state(ladder, maintenance_days=45).due == day(66)
    kept = card_state(ladder + [Review(day(51), P)])
    assert kept.status is Status.MASTERED and kept.due == day(81)
    lapsed = card_state(ladder + [Review(day(51), F)])
    assert lapsed.status is Status.LEARNING and lapsed.rung == 0 and lapsed.due == day(52)


def test_apply_review_returns_a_new_state_and_leaves_the_old_one_alone():
    before = card_state([Review(day(0), P)])
    after = apply_review(before, Review(day(3), P))
    assert before.rung == 1 and after.rung == 2


def test_due_and_overdue():
    state = card_state([Review(day(0), P)])
    assert not state.is_due(day(2)) and state.is_due(day(3)) and state.days_overdue(day(5)) == 2


def test_forecast_counts_overdue_items_today_and_ignores_new_ones():
    states = [card_state([Review(day(0), P)]), card_state([Review(day(-10), P)]), NEW_STATE]
    counts = forecast(states, day(1), days=5)
    assert counts == [1, 0, 1, 0, 0]


@given(st.lists(st.tuples(st.integers(0, 40), st.booleans()), max_size=30))
def test_the_rung_never_leaves_the_ladder_and_due_is_after_the_last_review(events):
    history, d = [], D0
    for gap, passed in events:
        d = d + timedelta(days=gap)
        history.append(Review(d, P if passed else F))
    state = card_state(history)
    assert 0 <= state.rung <= MASTERED
    if history:
        assert state.due > history[-1].day
        assert state.reviews == len(history)
        assert state.lapses == sum(1 for r in history if r.grade is F)


@pytest.mark.parametrize("rung, gap", [(0, 3), (1, 4), (2, 7), (3, 7), (4, 30)])
def test_gaps_between_checkpoints(rung, gap):
    from gdgrill.scheduler import gap_after_pass

    assert gap_after_pass(rung) == gap


def test_an_early_pass_is_counted_but_does_not_climb_the_ladder():
    # A drill passed five times on its first day stays bound for the day-3 checkpoint.
    state = card_state([Review(day(0), P)] * 5)
    assert state.rung == 1 and state.due == day(3) and state.reviews == 5
    # ...while an early miss still sends it back to the bottom.
    assert card_state([Review(day(0), P), Review(day(1), F)]).rung == 0


def test_an_easy_pass_skips_the_next_checkpoint():
    d0 = date(2026, 3, 2)
    easy_first = card_state([Review(d0, Grade.EASY)])
    assert (easy_first.checkpoint_day, easy_first.due) == (7, d0 + timedelta(days=7))  # day 3 skipped
    on_day_3 = card_state([Review(d0, Grade.PASS), Review(d0 + timedelta(days=3), Grade.EASY)])
    assert (on_day_3.checkpoint_day, on_day_3.due) == (14, d0 + timedelta(days=14))  # day 7 skipped
    on_day_14 = card_state([Review(d0 + timedelta(days=d), g) for d, g in ((0, Grade.PASS), (3, Grade.PASS), (7, Grade.PASS), (14, Grade.EASY))])
    assert on_day_14.status is Status.MASTERED and on_day_14.due == d0 + timedelta(days=14 + 7 + 30)
    mastered = card_state([Review(d0 + timedelta(days=d), Grade.PASS) for d in (0, 3, 7, 14, 21)])
    assert apply_review(mastered, Review(mastered.due, Grade.EASY), 30).due == mastered.due + timedelta(days=60)


def test_an_early_easy_pass_counts_but_does_not_climb_and_a_miss_after_it_resets():
    d0 = date(2026, 3, 2)
    early = card_state([Review(d0, Grade.PASS), Review(d0 + timedelta(days=1), Grade.EASY)])
    assert (early.rung, early.due, early.reviews) == (1, d0 + timedelta(days=3), 2)
    missed = card_state([Review(d0, Grade.EASY), Review(d0 + timedelta(days=7), Grade.FAIL)])
    assert (missed.rung, missed.due, missed.lapses) == (0, d0 + timedelta(days=8), 1)


def test_the_forecast_covers_21_days_and_its_last_day_counts():
    # Due on day 20 (the window's last day) is counted there; day 21 is past the window.
    on_last_day = card_state([Review(day(-7), P), Review(day(-4), P), Review(day(0), P)])  # day-7 pass: due +7
    assert on_last_day.due == day(7)
    states = [card_state([Review(day(20 - 3), P)]), card_state([Review(day(21 - 3), P)]), on_last_day]
    counts = forecast(states, D0)
    assert len(counts) == 21
    assert counts[20] == 1 and counts[7] == 1 and sum(counts) == 2


def test_a_new_card_in_the_list_does_not_stop_the_forecast_counting_the_rest():
    counts = forecast([NEW_STATE, card_state([Review(day(0), P)]), NEW_STATE, card_state([Review(day(-3), P)])], D0, days=5)
    assert counts == [1, 0, 0, 1, 0]


def test_a_never_reviewed_card_is_not_overdue():
    assert NEW_STATE.days_overdue(D0) == 0 and not NEW_STATE.is_due(D0)


def test_the_state_remembers_the_day_of_the_last_review():
    # The drill's "a same-day retry counts as practice" line compares this with today.
    assert card_state([Review(day(0), P), Review(day(3), F), Review(day(4), P)]).last_review == day(4)
    assert apply_review(card_state([Review(day(0), P)]), Review(day(1), P)).last_review == day(1)
    assert NEW_STATE.last_review is None


def test_apply_review_uses_the_maintenance_gap_it_is_given():
    mastered = card_state([Review(day(d), P) for d in (0, 3, 7, 14, 21)], maintenance_days=45)
    assert mastered.due == day(66)
    assert apply_review(mastered, Review(day(66), P), 45).due == day(111)


def test_an_easy_pass_never_climbs_past_mastered():
    """Easy climbs two rungs, but the ladder ends at MASTERED: from the last checkpoint, and
    from mastered itself, the rung is exactly MASTERED (the due day adds both gaps)."""
    d0 = date(2026, 3, 2)
    at_last = card_state([Review(d0 + timedelta(days=d), Grade.PASS) for d in (0, 3, 7, 14)])
    assert (at_last.rung, at_last.due) == (MASTERED - 1, d0 + timedelta(days=21))
    easy = apply_review(at_last, Review(at_last.due, Grade.EASY), 30)
    assert (easy.rung, easy.due) == (MASTERED, d0 + timedelta(days=21 + 30 + 30))
    again = apply_review(easy, Review(easy.due, Grade.EASY), 30)
    assert (again.rung, again.due) == (MASTERED, easy.due + timedelta(days=60))
    two_below = card_state([Review(d0 + timedelta(days=d), Grade.PASS) for d in (0, 3, 7)])
    assert apply_review(two_below, Review(two_below.due, Grade.EASY)).rung == MASTERED


def test_states_on_no_days_is_empty_and_reviews_after_the_last_day_are_not_sampled():
    from gdgrill.scheduler import states_on

    reviews = [(day(0), P), (day(3), P), (day(10), F)]
    assert states_on(NEW_STATE, reviews, []) == []
    (on_day_5,) = states_on(NEW_STATE, reviews, [day(5)])
    assert on_day_5 == card_state([Review(day(0), P), Review(day(3), P)])
    before_any = states_on(NEW_STATE, reviews, [day(-1), day(0)])
    assert before_any == [NEW_STATE, card_state([Review(day(0), P)])]
