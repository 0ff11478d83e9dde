"""The interview planner, as pure functions: what it serves, when it leaves the ladder alone,
and that no day goes over the budget."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from gdgrill.memory import AGAIN, FSRS, GOOD, Memory
from gdgrill.planner import (
    LADDER_DAYS,
    Item,
    choose,
    new_allowance,
    new_pass_rate,
    on_track,
    project,
    value,
)
from gdgrill.scheduler import MASTERED, CardState, Grade, apply_review

TODAY = date(2026, 3, 2)
MODEL = FSRS()


def new_items(n: int, tiers=(1, 2, 3, 4)) -> list[Item]:
    return [Item(f"d/c{i}", tiers[i % len(tiers)], value(tiers[i % len(tiers)]), None, None) for i in range(n)]


def test_a_new_card_is_on_track_only_when_the_ladder_can_finish_before_the_interview():
    assert on_track(None, TODAY, TODAY + timedelta(days=LADDER_DAYS + 1))  # day-21 review the day before
    assert not on_track(None, TODAY, TODAY + timedelta(days=LADDER_DAYS))


def test_a_learning_card_is_on_track_when_its_remaining_checkpoints_end_before_the_day():
    # At checkpoint day 14, due in 2 days: the day-21 review lands 2 + 7 = 9 days from now.
    state = CardState(rung=3, due=TODAY + timedelta(days=2), reviews=3)
    assert on_track(state, TODAY, TODAY + timedelta(days=10))
    assert not on_track(state, TODAY, TODAY + timedelta(days=9))
    overdue = CardState(rung=3, due=TODAY - timedelta(days=5), reviews=3)  # counted from today, not the old due day
    assert on_track(overdue, TODAY, TODAY + timedelta(days=8)) and not on_track(overdue, TODAY, TODAY + timedelta(days=7))
    assert on_track(CardState(rung=MASTERED, due=TODAY, reviews=5), TODAY, TODAY + timedelta(days=1))


def test_with_a_far_interview_the_queue_is_the_ladders():
    """22+ days away: due cards in overdue order, then new cards at the ladder's allowance."""
    items = [
        Item("d/late", 1, 1.0, CardState(1, TODAY - timedelta(days=3), 1), Memory(2.0, 5.0, TODAY - timedelta(days=6))),
        Item("d/later", 1, 1.0, CardState(1, TODAY - timedelta(days=1), 1), Memory(2.0, 5.0, TODAY - timedelta(days=4))),
        Item("d/not-due", 1, 1.0, CardState(1, TODAY + timedelta(days=2), 1), Memory(3.0, 5.0, TODAY - timedelta(days=1))),
        *new_items(30),
    ]
    queue = choose(items, today=TODAY, interview=TODAY + timedelta(days=60), budget=40, model=MODEL, p_new=0.5, new_allowance=10)
    assert queue.ladder == ["d/late", "d/later"]
    assert queue.planned == []
    assert len(queue.new) == 10 and all(k.startswith("d/c") for k in queue.new)


def test_a_close_interview_introduces_new_cards_before_reviewing_easy_ones():
    strong = [Item(f"d/s{i}", 1, 1.0, CardState(1, TODAY, 1), Memory(30.0, 3.0, TODAY - timedelta(days=1))) for i in range(5)]
    queue = choose([*strong, *new_items(50)], today=TODAY, interview=TODAY + timedelta(days=10), budget=40, model=MODEL, p_new=0.5)
    assert queue.ladder == []  # nothing can finish the ladder in 10 days
    assert len(queue.new) == 40 and not queue.planned


def test_the_weakest_review_beats_the_strongest_and_tiers_order_new_cards_when_the_budget_is_short():
    weak = Item("d/weak", 1, 1.0, CardState(0, TODAY, 2, 1), Memory(0.3, 8.0, TODAY - timedelta(days=2)))
    strong = Item("d/strong", 1, 1.0, CardState(1, TODAY, 1), Memory(40.0, 2.0, TODAY - timedelta(days=1)))
    queue = choose([strong, weak], today=TODAY, interview=TODAY + timedelta(days=5), budget=1, model=MODEL, p_new=0.5)
    assert queue.keys == ["d/weak"]
    queue = choose(new_items(8), today=TODAY, interview=TODAY + timedelta(days=5), budget=4, model=MODEL, p_new=0.5)
    assert queue.keys == ["d/c0", "d/c4", "d/c1", "d/c5"]  # tier 1s, then tier 2s
    research = [i._replace(weight=value(i.tier, "research")) for i in new_items(8)]
    queue = choose(research, today=TODAY, interview=TODAY + timedelta(days=5), budget=4, model=MODEL, p_new=0.5)
    assert {k for k in queue.keys} == {"d/c2", "d/c6", "d/c3", "d/c7"}  # tiers 3-4 first


def test_items_done_today_count_against_the_budget_and_are_not_asked_again():
    items = new_items(50)
    spent = {"d/c0", "d/c1", "d/c2"}
    queue = choose(items, today=TODAY, interview=TODAY + timedelta(days=7), budget=40 - len(spent), model=MODEL, p_new=0.5, spent=spent)
    assert len(queue.keys) == 37 and not spent & set(queue.keys)


def test_value_weighs_a_weak_area_and_past_misses_up():
    assert value(1) == 1.0 and value(4) < value(3) < value(2) < value(1)
    assert value(2, area_rating=1) > value(2) > value(2, area_rating=5)
    assert value(2, misses=2) > value(2) and value(2, misses=9) == value(2, misses=4)
    assert value(4, "research") > value(4)


def test_more_introduced_today_than_the_allowance_introduces_no_new_card():
    assert new_allowance(100, 31, 10, 13) == -3  # three over: the lowered setting, or a second session
    queue = choose(new_items(30), today=TODAY, interview=TODAY + timedelta(days=60), budget=40, model=MODEL, p_new=0.5,
                   new_allowance=-3)
    assert queue.new == [] and queue.keys == []


def test_new_allowance_raises_the_ladder_rate_to_start_every_card_in_time():
    assert new_allowance(100, 31, 10, 0) == 10  # 10 days of runway: 10 a day suffices
    assert new_allowance(235, 30, 10, 0) == 27  # 9 days of runway: ceil(235 / 9)
    assert new_allowance(235, 30, 10, 5) == 22  # five already introduced today
    assert new_allowance(235, 21, 10, 0) == 10  # no runway: the planner introduces by value instead


def test_the_new_card_pass_rate_comes_from_first_reviews_with_a_flat_prior():
    assert new_pass_rate({}) == 0.5
    histories = {"a": [(TODAY, GOOD), (TODAY, AGAIN)], "b": [(TODAY, GOOD)], "c": [(TODAY, AGAIN)], "d": []}
    assert new_pass_rate(histories) == pytest.approx(3 / 5)


@pytest.mark.parametrize("days", [3, 7, 14, 21, 30])
def test_a_simulated_run_never_goes_over_the_budget_and_covers_every_card(days):
    """Keep to the plan every day with a learner who fails sometimes: no day over 40,
    and with 40 a day every card is introduced before the day."""
    rng = random.Random(days)
    interview = TODAY + timedelta(days=days)
    states: dict[str, CardState] = {}
    memories: dict[str, Memory] = {}
    cards = new_items(235)
    seen: set[str] = set()
    for offset in range(days):
        day = TODAY + timedelta(days=offset)
        items = [Item(i.key, i.tier, i.weight, states.get(i.key), memories.get(i.key)) for i in cards]
        queue = choose(items, today=day, interview=interview, budget=40, model=MODEL, p_new=0.5, new_allowance=10)
        assert len(queue.keys) <= 40 and len(set(queue.keys)) == len(queue.keys)
        for key in queue.keys:
            passed = rng.random() < 0.7
            memories[key] = MODEL.review(memories.get(key), GOOD if passed else AGAIN, day)
            states[key] = apply_review(states.get(key, CardState(0, None)), (day, Grade.PASS if passed else Grade.FAIL))
            seen.add(key)
    if days * 40 >= 235 and days <= LADDER_DAYS:
        assert len(seen) == 235


def test_the_projection_keeps_the_budget_says_what_is_out_of_reach_and_ranks_recall_sensibly():
    cards = new_items(100)
    proj = project(cards, today=TODAY, interview=TODAY + timedelta(days=2), per_day=30, model=MODEL, p_new=0.5)
    assert [d.reviews + d.new for d in proj.days] == [30, 30]
    assert len(proj.never_introduced) == 40  # 100 cards, 60 slots
    assert all(proj.recall[k] == 0.0 for k in proj.never_introduced)
    introduced = [k for k in proj.recall if k not in proj.never_introduced]
    assert all(0.3 < proj.recall[k] < 1.0 for k in introduced)
    longer = project(cards, today=TODAY, interview=TODAY + timedelta(days=14), per_day=30, model=MODEL, p_new=0.5)
    assert longer.never_introduced == [] and longer.mean_recall(proj.recall) > proj.mean_recall(proj.recall)
    assert all(d.reviews + d.new <= 30 for d in longer.days)


# -- the projection's arithmetic, pinned against the memory model's own reviews --------------
def test_a_reviewed_items_expected_recall_weighs_both_outcomes():
    memory = Memory(stability=2.0, difficulty=6.0, last=TODAY - timedelta(days=3))
    interview = TODAY + timedelta(days=4)
    r = MODEL.recall(memory, TODAY)
    after = r * MODEL.recall(MODEL.review(memory, GOOD, TODAY), interview) + (1 - r) * MODEL.recall(
        MODEL.review(memory, AGAIN, TODAY), interview
    )
    item = Item("d/x", 1, 1.0, CardState(0, TODAY, 1, 1), memory)
    proj = project([item], today=TODAY, interview=TODAY + timedelta(days=1), per_day=1, model=MODEL, p_new=0.5)
    assert proj.days[0].reviews == 1 and proj.days[0].new == 0
    # Reviewed today, interview tomorrow: both outcomes weighed exactly.
    r1 = MODEL.recall(memory, TODAY)
    tomorrow = TODAY + timedelta(days=1)
    exact = r1 * MODEL.recall(MODEL.review(memory, GOOD, TODAY), tomorrow) + (1 - r1) * MODEL.recall(
        MODEL.review(memory, AGAIN, TODAY), tomorrow
    )
    assert proj.recall["d/x"] == pytest.approx(exact)
    # The planner's gain is the same expectation minus recall without the review.
    from gdgrill.planner import _Gains

    gains = _Gains(MODEL, TODAY, interview, 0.5)
    assert gains.gain(memory) == pytest.approx(after - MODEL.recall(memory, interview))
    assert gains.gain(None) == pytest.approx(
        0.5 * MODEL.recall(MODEL.first(GOOD, TODAY), interview) + 0.5 * MODEL.recall(MODEL.first(AGAIN, TODAY), interview)
    )


def test_a_new_cards_projection_uses_the_first_sight_pass_rate():
    interview = TODAY + timedelta(days=1)  # one study day: introduced, never reviewed again
    proj = project(new_items(1), today=TODAY, interview=interview, per_day=5, model=MODEL, p_new=0.8)
    exact = 0.8 * MODEL.recall(MODEL.first(GOOD, TODAY), interview) + 0.2 * MODEL.recall(MODEL.first(AGAIN, TODAY), interview)
    assert proj.recall["d/c0"] == pytest.approx(exact)
    assert [(d.reviews, d.new) for d in proj.days] == [(0, 1)]


def test_a_projected_review_blends_pass_and_miss_geometrically():
    from gdgrill.planner import _expected_memory

    memory = Memory(stability=3.0, difficulty=5.0, last=TODAY - timedelta(days=4))
    r = MODEL.recall(memory, TODAY)
    passed, missed = MODEL.review(memory, GOOD, TODAY), MODEL.review(memory, AGAIN, TODAY)
    blended = _expected_memory(MODEL, memory, TODAY, 0.5)
    assert blended.stability == pytest.approx(passed.stability**r * missed.stability ** (1 - r))
    assert blended.difficulty == pytest.approx(r * passed.difficulty + (1 - r) * missed.difficulty)
    assert blended.last == TODAY
    first = _expected_memory(MODEL, None, TODAY, 0.25)
    good, again = MODEL.first(GOOD, TODAY), MODEL.first(AGAIN, TODAY)
    assert first.stability == pytest.approx(good.stability**0.25 * again.stability**0.75)


def test_mean_recall_counts_unknown_keys_as_zero():
    from gdgrill.planner import Projection

    proj = Projection([], {"a": 0.5, "b": 1.0}, [])
    assert proj.mean_recall(["a", "b", "c"]) == pytest.approx(0.5)
    assert proj.mean_recall([]) == 0.0


def test_a_replay_can_start_from_a_known_memory():
    start = MODEL.first(GOOD, TODAY)
    later = TODAY + timedelta(days=5)
    assert MODEL.replay([(later, GOOD)], start) == MODEL.review(start, GOOD, later)
    assert MODEL.replay([], start) == start and MODEL.replay([]) is None


def test_value_is_the_tier_weight_scaled_by_the_area_rating_and_by_misses():
    assert [value(t) for t in (1, 2, 3, 4)] == [1.0, 0.9, 0.8, 0.7]
    assert [value(t, "research") for t in (1, 2, 3, 4)] == [0.85, 0.9, 1.0, 1.0]
    assert value(9) == 0.7  # a tier the focus does not list weighs like tier 4
    assert [value(1, area_rating=r) for r in (1, 3, 5)] == pytest.approx([1.2, 1.0, 0.8])
    assert [value(1, misses=m) for m in (0, 2, 4, 9)] == pytest.approx([1.0, 1.1, 1.2, 1.2])
    assert value(2, "research", area_rating=1, misses=1) == pytest.approx(0.9 * 1.2 * 1.05)


def test_with_one_day_of_runway_every_on_track_card_may_start_today():
    assert new_allowance(50, 22, 10, 0) == 50  # the last day a new card can still finish its ladder
    assert new_allowance(5, 21, 0, 0) == 0  # no runway and no ladder allowance: none


def test_a_card_reviewed_once_is_on_track_by_its_remaining_checkpoints_not_as_new():
    # Passed two days ago, due tomorrow (day 3): its ladder ends 1 + 18 = 19 days from now.
    once = CardState(rung=1, due=TODAY + timedelta(days=1), reviews=1)
    assert on_track(once, TODAY, TODAY + timedelta(days=20))
    assert not on_track(once, TODAY, TODAY + timedelta(days=19))


def test_the_new_card_allowance_counts_the_new_cards_still_on_track():
    from gdgrill.planner import allowance_on

    interview = TODAY + timedelta(days=23)  # two days of runway
    reviewed = [Item(f"d/r{i}", 1, 1.0, CardState(1, TODAY + timedelta(days=1), 1), Memory(3.0, 5.0, TODAY)) for i in range(2)]
    unseen = [*new_items(3), Item("d/n", 1, 1.0, CardState(0, None, 0), None)]  # never reviewed, one with a bare state
    assert allowance_on([*reviewed, *unseen], TODAY, interview, 1, 0) == 2  # ceil(4 new / 2 days)
    assert allowance_on([*reviewed, *unseen], TODAY, interview, 1, 1) == 1


def test_a_close_interview_still_serves_an_on_track_mastered_card_from_the_ladder():
    mastered = Item("d/m", 1, 1.0, CardState(5, TODAY, 5), Memory(60.0, 3.0, TODAY - timedelta(days=30)))
    queue = choose([mastered, *new_items(3)], today=TODAY, interview=TODAY + timedelta(days=10), budget=40, model=MODEL, p_new=0.5)
    assert queue.ladder == ["d/m"] and queue.days_left == 10


def test_an_item_known_only_from_grills_is_planned_not_introduced():
    grilled = Item("d/g", 1, 1.0, None, Memory(1.0, 6.0, TODAY - timedelta(days=5)))  # a memory, no ladder state
    bare = Item("d/b", 1, 1.0, CardState(0, None, 0), None)  # a state with no review: still new
    queue = choose([grilled, bare], today=TODAY, interview=TODAY + timedelta(days=10), budget=40, model=MODEL, p_new=0.5)
    assert queue.planned == ["d/g"] and queue.new == ["d/b"]


def test_the_budget_is_shared_ladder_first_then_planned_then_new_and_never_exceeded():
    interview = TODAY + timedelta(days=25)
    due = [Item(f"d/due{i}", 1, 1.0, CardState(4, TODAY, 4), Memory(20.0, 4.0, TODAY - timedelta(days=7))) for i in range(5)]
    # at checkpoint 0 after a miss, due in 10 days: 10 + 21 days is past the interview, so planned by value
    behind = [Item(f"d/b{i}", 1, 1.0, CardState(0, TODAY + timedelta(days=10), 2, 1), Memory(0.5, 8.0, TODAY - timedelta(days=3)))
              for i in range(5)]
    for budget, new in ((12, 2), (11, 1)):
        queue = choose([*due, *behind, *new_items(20)], today=TODAY, interview=interview, budget=budget, model=MODEL, p_new=0.5)
        assert (len(queue.ladder), len(queue.planned), len(queue.new)) == (5, 5, new), budget


def test_a_projection_introduces_at_the_ladders_rate_and_brings_each_card_back_on_its_day_3():
    proj = project(new_items(30), today=TODAY, interview=TODAY + timedelta(days=60), per_day=40, model=MODEL, p_new=0.5)
    assert [(d.reviews, d.new) for d in proj.days[:5]] == [(0, 10), (0, 10), (0, 10), (10, 0), (10, 0)]
    later = project(new_items(30), today=TODAY, interview=TODAY + timedelta(days=60), per_day=40, model=MODEL, p_new=0.5,
                    new_per_day=10, introduced_today=4)
    assert [d.new for d in later.days[:3]] == [6, 10, 10]  # four already introduced today; tomorrow is a new day


def test_a_projection_counts_what_was_done_today_and_does_not_ask_it_again():
    due = [Item(f"d/due{i}", 1, 1.0, CardState(4, TODAY, 4), Memory(20.0, 4.0, TODAY - timedelta(days=7))) for i in range(4)]
    proj = project(due, today=TODAY, interview=TODAY + timedelta(days=40), per_day=3, model=MODEL, p_new=0.5,
                   spent={"d/due0", "d/due1"})
    assert (proj.days[0].reviews, proj.days[0].new) == (3, 0)  # two done today + one more: the budget of 3
    done = project(due, today=TODAY, interview=TODAY + timedelta(days=40), per_day=10, model=MODEL, p_new=0.5,
                   spent={item.key for item in due})
    assert done.days[0].reviews == 4  # all four done already: none asked twice


def test_an_item_the_plan_never_reaches_keeps_the_recall_it_has():
    memory = Memory(5.0, 5.0, TODAY - timedelta(days=2))
    item = Item("d/x", 1, 1.0, CardState(1, TODAY + timedelta(days=30), 1), memory)
    interview = TODAY + timedelta(days=6)
    proj = project([item], today=TODAY, interview=interview, per_day=0, model=MODEL, p_new=0.5)
    assert proj.recall == {"d/x": pytest.approx(MODEL.recall(memory, interview))} and proj.never_introduced == []


def test_reviews_in_a_projection_only_raise_the_recall_on_the_day():
    items = [Item(f"d/w{i}", 1, 1.0, CardState(0, TODAY, 2, 1), Memory(0.5 + i, 7.0, TODAY - timedelta(days=2))) for i in range(4)]
    interview = TODAY + timedelta(days=12)
    proj = project(items, today=TODAY, interview=interview, per_day=4, model=MODEL, p_new=0.5)
    assert sum(d.reviews for d in proj.days) > len(items)  # each reviewed more than once
    for item in items:
        assert proj.recall[item.key] > MODEL.recall(item.memory, interview)


def test_each_projected_review_starts_from_the_memory_the_last_one_left():
    from gdgrill.planner import _expected_memory

    memory = Memory(stability=1.5, difficulty=6.0, last=TODAY - timedelta(days=2))
    item = Item("d/x", 1, 1.0, CardState(0, TODAY, 2, 1), memory)
    interview = TODAY + timedelta(days=3)
    proj = project([item], today=TODAY, interview=interview, per_day=1, model=MODEL, p_new=0.5)
    assert [d.reviews for d in proj.days] == [1, 1, 1]  # worth a review every day
    day1, day2 = TODAY + timedelta(days=1), TODAY + timedelta(days=2)
    before_last = _expected_memory(MODEL, _expected_memory(MODEL, memory, TODAY, 0.5), day1, 0.5)
    r = MODEL.recall(before_last, day2)
    expected = r * MODEL.recall(MODEL.review(before_last, GOOD, day2), interview) + (1 - r) * MODEL.recall(
        MODEL.review(before_last, AGAIN, day2), interview
    )
    assert proj.recall["d/x"] == pytest.approx(expected)
