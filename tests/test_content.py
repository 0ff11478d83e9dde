"""The shipped content: five decks of the promised size and shape, quick-fire cards that
grade their own answer and reject their wrong ones, and the facts a computer can check."""

from __future__ import annotations

import math
import re
from collections import Counter

import pytest

from gdgrill.answers import is_accepted, matches
from gdgrill.content import load_assessment, load_problems
from gdgrill.decks import load_library

LIBRARY = load_library()
MINIMUM = {"foundations": 35, "schedules": 35, "optimizers": 45, "diagnostics": 25, "quick-fire": 40}
QUICK = LIBRARY.deck("quick-fire").cards


def test_every_deck_has_at_least_its_promised_number_of_cards():
    counts = {d.id: len(d.cards) for d in LIBRARY.decks}
    for deck, minimum in MINIMUM.items():
        assert counts[deck] >= minimum, (deck, counts[deck])
    assert sum(counts.values()) >= 180


def test_every_card_has_two_to_five_key_points_a_tier_and_tags():
    for card in LIBRARY.cards:
        assert 2 <= len(card.key_points) <= 5, card.key
        assert card.tier in (1, 2, 3, 4) and card.tags, card.key


def test_every_tier_is_represented_in_each_teaching_deck():
    for deck in ("foundations", "schedules", "optimizers", "diagnostics"):
        tiers = Counter(c.tier for c in LIBRARY.deck(deck).cards)
        assert set(tiers) == {1, 2, 3, 4}, (deck, tiers)


@pytest.mark.parametrize("card", QUICK, ids=lambda c: c.id)
def test_quick_fire_accepts_its_own_answer_and_rejects_its_wrong_ones(card):
    assert card.accept and card.reject, card.key
    assert is_accepted(card.accept[0], card.accept) or ".." in card.accept[0]
    for wrong in card.reject:
        assert not is_accepted(wrong, card.accept), (card.key, wrong)


def test_at_least_ten_core_topics_carry_a_prompt_for_every_checkpoint():
    full = [c for c in LIBRARY.cards if sorted(c.checkpoints) == [0, 3, 7, 14, 21]]
    assert len(full) >= 10
    topics = " ".join(c.key for c in full)
    for topic in ("momentum", "bias", "adamw", "warmup", "cosine", "batch", "clip", "range", "stability"):
        assert topic in topics, topic


def test_diagnostics_cards_are_structured_scenarios_with_rubrics():
    for card in LIBRARY.deck("diagnostics").cards:
        assert card.rubric and set(card.rubric) == {"strong", "lean", "no_hire"}, card.key
        if "communication" in card.tags:  # explaining to a non-ML interviewer is no diagnosis
            continue
        assert "Likely causes" in card.answer and "Check first" in card.answer and "Fix" in card.answer, card.key


def test_cards_cite_the_papers_interviewers_expect():
    text = " ".join(c.answer + " ".join(c.references) for c in LIBRARY.cards)
    for paper in ("Kingma", "Loshchilov", "Goyal", "Cohen", "McCandlish", "Keskar", "Reddi", "Chen", "You"):
        assert paper in text, paper


# -- facts the cards state, computed ------------------------------------------------------
def test_bias_correction_factor_after_one_step_is_ten():
    b1 = 0.9
    assert 1 / (1 - b1**1) == pytest.approx(10.0)
    card = LIBRARY.card("quick-fire/adam-bias-correction-step1")
    assert is_accepted("10", card.accept)


def test_gd_on_a_quadratic_diverges_just_above_two_over_lambda_max():
    lam = 4.0

    def run(eta: float) -> float:
        x = 1.0
        for _ in range(200):
            x -= eta * lam * x
        return abs(x)

    assert run(0.99 * 2 / lam) < 1.0 and run(1.01 * 2 / lam) > 1.0
    card = LIBRARY.card("foundations/quadratic-stability-bound")
    assert "2/λ_max" in card.answer.replace(" ", "") or "2/λmax" in card.answer.replace(" ", "")


def test_best_fixed_step_is_two_over_lambda_min_plus_lambda_max():
    lmin, lmax = 1.0, 9.0
    rates = {eta: max(abs(1 - eta * lmin), abs(1 - eta * lmax)) for eta in [i / 1000 for i in range(1, 222)]}
    best = min(rates, key=rates.get)
    assert best == pytest.approx(2 / (lmin + lmax), abs=1e-3)
    assert rates[best] == pytest.approx((9 - 1) / (9 + 1), abs=2e-3)  # (κ−1)/(κ+1)
    assert "2/(λ_min + λ_max)" in LIBRARY.card("foundations/best-fixed-step").answer.replace("+λ", "+ λ").replace("λ_min+", "λ_min +")


def test_adams_first_steps_move_each_weight_by_about_the_learning_rate():
    lr, b1, b2, eps = 1e-3, 0.9, 0.999, 1e-8
    for g in (1e-4, 0.3, -7.0):
        m = (1 - b1) * g
        v = (1 - b2) * g * g
        step = lr * (m / (1 - b1)) / (math.sqrt(v / (1 - b2)) + eps)
        assert abs(step) == pytest.approx(lr, rel=1e-3)
    # Uncorrected, both moments: about 3.16x too large, not 10x too small.
    assert ((1 - b1) / math.sqrt(1 - b2)) == pytest.approx(3.162, rel=1e-3)


def test_beta2_horizon_and_outlier_half_life():
    b2 = 0.999
    assert 1 / (1 - b2) == pytest.approx(1000)
    assert math.log(2) / -math.log(b2) == pytest.approx(693, abs=1)


def test_fp16_smallest_subnormal_and_max_match_the_quick_fire_cards():
    smallest, largest = 2.0**-24, (2 - 2**-10) * 2.0**15
    texts = " ".join(" ".join(c.accept) for c in QUICK)
    assert largest == 65504 and "65504" in texts
    assert any(matches(repr(smallest), a) for c in QUICK for a in c.accept)


def test_cosine_schedule_formula_on_the_card_matches_the_closed_form():
    text = LIBRARY.card("schedules/cosine-annealing").answer
    assert re.search(r"η_min \+ ½\s*\(η_max − η_min\)\s*\(1 \+ cos\(π\s*·?\s*t\s*/\s*T\)\)", text), text[:400]


# -- practice problems and the self-assessment -------------------------------------------
def test_practice_problems_have_three_hints_and_a_full_rubric():
    problems = load_problems()
    assert len(problems) >= 6
    for p in problems:
        assert len(p.hints) == 3 and set(p.rubric) == {"strong", "lean", "no_hire"}, p.id


def test_the_assessment_has_seven_areas_and_bands_covering_7_to_35():
    a = load_assessment()
    assert len(a.areas) == 7
    assert [a.band_for(t).title for t in (7, 14)] == [a.bands[0].title] * 2
    assert a.band_for(15).title == a.bands[1].title and a.band_for(35).title == a.bands[2].title
    deck_ids = {d.id for d in LIBRARY.decks}
    for area in a.areas:
        assert set(area.study) <= deck_ids, area.id
