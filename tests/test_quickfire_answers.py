"""Every auto-checked card judged as an interviewer would: each hand-written right answer
(other notations, words, units, formula rewrites, named values, a sentence around the
value) is accepted and each near-miss refused. The answers are in quickfire_answers.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gdgrill.decks import load_library

ANSWERS = yaml.safe_load((Path(__file__).parent / "quickfire_answers.yaml").read_text(encoding="utf-8"))
LIBRARY = load_library(None)
AUTO = [c for c in LIBRARY.cards if c.auto_checked]
CASES = [(card, text, kind) for card, lists in ANSWERS.items() for kind in ("right", "wrong") for text in lists[kind]]


def test_every_auto_checked_card_has_five_right_answers_and_three_near_misses():
    written = {f"quick-fire/{k}": v for k, v in ANSWERS.items()}
    assert sorted(written) == sorted(c.key for c in AUTO)
    thin = [k for k, v in written.items() if len(v["right"]) < 5 or len(v["wrong"]) < 3]
    assert thin == []


@pytest.mark.parametrize("card_id, text, kind", CASES, ids=[f"{c}:{k}:{t}" for c, t, k in CASES])
def test_an_answer_is_judged_as_an_interviewer_would(card_id, text, kind):
    card = LIBRARY.card(f"quick-fire/{card_id}")
    verdict = card.verdict(text)
    assert verdict.accepted is (kind == "right"), f"{text!r} read as {verdict.read_as}"


@pytest.mark.parametrize("card", AUTO, ids=[c.id for c in AUTO])
def test_every_reject_entry_of_a_card_is_refused(card):
    assert [r for r in card.reject if card.verdict(r).accepted] == []


ISSUE_STRINGS = [  # every answer the issue found refused, on its card
    ("best-fixed-step-qf", "2/(λ_max+λ_min)"), ("best-fixed-step-qf", "2/(mu+L)"),
    ("best-fixed-step-rate-qf", "(κ-1)/(1+κ)"), ("rate-gd-strongly-convex", "linear convergence"),
    ("edge-of-stability-sharpness", "~2/η"), ("rate-nesterov", "O(1/k^2)"), ("rate-sgd-convex", "O(1/T^0.5)"),
    ("goyal-warmup-epochs", "5 epochs"), ("resnet-step-decay-factor", "÷10"), ("resnet-step-decay-factor", "/10"),
    ("resnet-step-decay-factor", "1/10"), ("torch-sgd-default-momentum", "zero"), ("adam-default-epsilon", "1 × 10⁻⁸"),
    ("adam-default-betas", "beta1=0.9 beta2=0.999"), ("bf16-bits", "8 exponent bits, 7 mantissa bits"), ("bf16-bits", "E8M7"),
    ("lamb-bert-minutes", "76 mins"), ("gpt3-warmup-tokens", "375 million tokens"),
]


@pytest.mark.parametrize("card_id, text", ISSUE_STRINGS)
def test_the_answers_the_issue_found_refused_are_accepted(card_id, text):
    assert LIBRARY.card(f"quick-fire/{card_id}").verdict(text).accepted


def test_8000_is_not_8k_on_a_batch_size_card():
    card = LIBRARY.card("quick-fire/goyal-batch-size")
    assert card.verdict("8k").accepted and not card.verdict("8000").accepted
    assert card.verdict("8000").read_as == "8000"  # the refusal says what was compared


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789.,-+/^*()=~ xeEkKmM%λμκηTt√OoLl abcdefgh")), max_size=40))
def test_any_typed_text_is_judged_without_error(text):
    for card_id in ("best-fixed-step-qf", "rate-sgd-convex", "adam-default-betas", "warmup-fraction", "goyal-batch-size"):
        verdict = LIBRARY.card(f"quick-fire/{card_id}").verdict(text)
        assert isinstance(verdict.accepted, bool) and isinstance(verdict.read_as, str)


def test_a_hedge_or_a_negation_is_named_as_such_when_refused():
    card = LIBRARY.card("quick-fire/momentum-beta-typical")
    assert card.verdict("about 0.9 or 0.99").read_as == "a hedge between two answers"
    assert card.verdict("not 0.9").read_as == "a negation, not an answer"
    assert not card.verdict("not 0.9").accepted
