"""The shipped content: five decks of the promised size and shape, quick-fire cards that
grade their own answer and reject their wrong ones, and the facts a computer can check."""

from __future__ import annotations

import math
import re
from collections import Counter

import pytest

from gdgrill.answers import matches
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
def test_the_value_a_quick_fire_card_reveals_first_is_one_its_check_accepts(card):
    # What the reveal shows leads with the answer (then the why): typed back, it passes.
    assert card.auto_checked and card.reject, card.key
    lead = re.split(r"[:;]\s|\s\(|\.\s|\s[-–—]\s|\bbecause\b", card.answer)[0].strip()
    assert card.verdict(lead).accepted, (card.key, lead)


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
# Each fact is computed independently (a simulation, numpy's float16, gdgrill's reference
# Adam) and then given to the card's own check, so a card that states it wrongly fails.
def qf(card_id: str):
    return LIBRARY.card(f"quick-fire/{card_id}")


def formula_gives(card_id: str, value: float, given: dict[str, float], tolerance: float = 1e-3) -> bool:
    """Whether the card's accepted formula, at the given values, equals ``value``."""
    card = qf(card_id)
    spec = {**(card.check or {}), "given": given, "tolerance": tolerance}
    return matches(repr(value), card.accept[0], spec)


def test_bias_correction_factor_after_one_step_is_ten():
    b1 = 0.9
    assert qf("adam-bias-correction-step1").verdict(repr(1 / (1 - b1**1))).accepted
    assert not qf("adam-bias-correction-step1").verdict(repr(1 / (1 - b1**2))).accepted


def gd_on_a_quadratic_diverges(eta: float, lam: float) -> bool:
    x = 1.0
    for _ in range(200):
        x -= eta * lam * x
    return abs(x) > 1.0


def test_gd_on_a_quadratic_diverges_just_above_two_over_lambda_max():
    lam, low, high = 4.0, 0.0, 10.0
    for _ in range(50):  # bisect for the smallest diverging step
        mid = (low + high) / 2
        low, high = (low, mid) if gd_on_a_quadratic_diverges(mid, lam) else (mid, high)
    assert formula_gives("quadratic-stability-bound-qf", high, {"λ_max": lam})
    assert not formula_gives("quadratic-stability-bound-qf", high * 1.01, {"λ_max": lam})
    card = LIBRARY.card("foundations/quadratic-stability-bound")
    assert "2/λ_max" in card.answer.replace(" ", "") or "2/λmax" in card.answer.replace(" ", "")


def test_best_fixed_step_is_two_over_lambda_min_plus_lambda_max():
    lmin, lmax = 1.0, 9.0
    rates = {eta: max(abs(1 - eta * lmin), abs(1 - eta * lmax)) for eta in [i / 10000 for i in range(1, 2221)]}
    best = min(rates, key=rates.get)
    eigen = {"λ_min": lmin, "λ_max": lmax}
    assert formula_gives("best-fixed-step-qf", best, eigen)
    kappa = {"κ": lmax / lmin}
    assert formula_gives("best-fixed-step-rate-qf", rates[best], kappa)
    assert not formula_gives("best-fixed-step-rate-qf", rates[best] * 1.01, kappa)
    assert "2/(λ_min + λ_max)" in LIBRARY.card("foundations/best-fixed-step").answer.replace("+λ", "+ λ").replace("λ_min+", "λ_min +")


def test_adams_first_steps_move_each_weight_by_about_the_learning_rate():
    import numpy as np

    from gdgrill.drill.references import get_reference

    adam = get_reference("adam")
    lr = adam.defaults["lr"]
    for g in (1e-4, 0.3, -7.0):
        p = np.array([1.0])
        state = adam.init(p, np)
        moved, state = adam.step(p, np.array([g]), state, None, np)
        assert abs(p - moved)[0] == pytest.approx(lr, rel=1e-3)
        # Uncorrected, both moments: the step is about 3.2x too large, not 10x too small.
        uncorrected = lr * abs(state["m"][0]) / (math.sqrt(state["v"][0]) + adam.defaults["eps"])
        ratio = uncorrected / abs(p - moved)[0]
        assert f"≈ {ratio:.1f}x too large" in qf("adam-bias-correction-step1").answer


def test_beta2_horizon_and_outlier_half_life():
    b2 = 0.999
    assert qf("adam-beta2-horizon").verdict(f"{1 / (1 - b2):.6g} steps").accepted
    half_life = math.log(2) / -math.log(b2)  # b2**n = 1/2
    assert qf("adam-beta2-half-life").verdict(f"{half_life:.6g} steps").accepted
    assert not qf("adam-beta2-half-life").verdict(f"{half_life * 2:.6g} steps").accepted


def test_the_float16_and_bfloat16_limits_on_the_cards_are_the_formats_own():
    import numpy as np

    f16 = np.finfo(np.float16)
    assert qf("fp16-max").verdict(repr(float(f16.max))).accepted
    assert qf("fp16-smallest-normal").verdict(repr(float(f16.tiny))).accepted
    assert qf("fp16-smallest-subnormal").verdict(repr(float(f16.smallest_subnormal))).accepted
    assert qf("fp16-bits").verdict(f"{f16.nexp}, {f16.nmant}").accepted
    # bfloat16 is float32 with 16 mantissa bits dropped: same 8 exponent bits, 7 mantissa bits
    f32 = np.finfo(np.float32)
    assert qf("bf16-bits").verdict(f"{f32.nexp}, {f32.nmant - 16}").accepted
    assert qf("bf16-max").verdict(repr((2 - 2.0**-7) * 2.0**f32.maxexp / 2)).accepted


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
