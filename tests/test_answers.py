"""Quick-fire auto-checking: numbers with tolerance, lists, ranges and phrases."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gdgrill.answers import is_accepted, matches, parse_numbers


@pytest.mark.parametrize(
    "typed, entry",
    [
        ("0.9", ".90"),
        ("1e-8", "1e−8"),
        ("10^-8", "1e-8"),
        ("1×10^-8", "1e-8"),
        ("1 x 10^-8", "1e-8"),
        ("about 1000 steps", "1000"),
        ("~1000", "1000"),
        ("0.9, 0.999", "(0.9, 0.999)"),
        ("0.9 and 0.999", "0.9, 0.999"),
        ("10%", "0.1"),
        ("3e-4", "1e-4..6e-4"),
        ("65,504", "65504"),
        ("1k", "1000"),
        ("2^-24", "5.9e-8..6e-8"),
        ("O(1/√T)", "o(1/sqrt t)"),
        ("  Decoupled Weight-Decay ", "decoupled weight decay"),
    ],
)
def test_equivalent_answers_are_accepted(typed, entry):
    assert matches(typed, entry)


@pytest.mark.parametrize(
    "typed, entry",
    [
        ("0.99, 0.999", "0.9, 0.999"),
        ("0.9", "0.9, 0.999"),
        ("1e-3", "1e-4..6e-4"),
        ("0.91", "0.9"),
        ("O(1/T)", "O(1/√T)"),
        ("", "0.9"),
        ("9**9**9**9", "1"),
        ("1e999", "1"),
        ("3e-4 or 1e-3", "1e-4..6e-4"),
    ],
)
def test_wrong_answers_are_rejected(typed, entry):
    assert not matches(typed, entry)


def test_prose_is_not_mistaken_for_a_number():
    assert parse_numbers("use 0.9 because it is standard") is None


@given(st.floats(min_value=1e-12, max_value=1e12))
def test_any_number_matches_its_own_repr_and_a_scaled_one_does_not(x):
    assert matches(repr(x), f"{x:.12e}")
    assert not matches(repr(x * 1.01), f"{x:.12e}")


@given(st.text(max_size=60))
def test_arbitrary_text_never_crashes_the_checker(text):
    is_accepted(text, ("0.9, 0.999", "1e-5..2e-5", "decoupled weight decay"))


@pytest.mark.parametrize(
    "typed, entry, accepted",
    [
        ("2e-5 to 5e-5", "2e-5..5e-5", True),
        ("2e-5..5e-5", "2e-5..5e-5", True),
        ("1-5%", "0.01..0.05", True),
        ("3-10x", "3..10", True),
        ("5x", "3..10", True),
        ("1e-5 to 1e-4", "2e-5..5e-5", False),  # wider than the accepted range
        ("3e-5 to 1e-4", "2e-5..5e-5", False),  # the upper end past the accepted one
        ("1e-5 to 3e-5", "2e-5..5e-5", False),  # the lower end below it
        ("2e-5 to 5e-5", "2e-5..5.00001e-5", True),  # both ends inside, one on the edge
        ("2e-5 to 5e-5", "3e-5", False),  # a range is no single value
    ],
)
def test_a_typed_range_is_accepted_when_it_lies_inside_the_accepted_one(typed, entry, accepted):
    assert matches(typed, entry) is accepted


@pytest.mark.parametrize(
    "typed, entry, check, same",
    [
        ("375m", "375M", {"unit": "tokens"}, True),  # a lone m after a number is a million
        ("375m", "375k", {"unit": "tokens"}, False),
        ("375m", "375000", {"unit": "tokens"}, False),
        ("2m steps", "2000000", {"unit": "steps"}, True),
        ("3.75M", "3.75e6", None, True),
        ("76m", "76", {"unit": "minutes"}, True),  # ... unless the card counts time
        ("76m", "76e6", {"unit": "minutes"}, False),
        ("1h16m", "76", {"unit": "minutes"}, True),
        ("90m", "1.5", {"unit": "hours"}, True),
        ("90m", "90e6", {"unit": "hours"}, False),
        ("2m", "120", {"unit": "seconds"}, True),
    ],
)
def test_a_lone_m_after_a_number_is_a_million_unless_the_card_counts_time(typed, entry, check, same):
    assert matches(typed, entry, check) is same


def test_a_citation_in_a_sentence_is_accepted_only_with_the_papers_year():
    from gdgrill.decks import load_library

    card = load_library().card("quick-fire/noise-scale-paper")
    assert card.verdict("McCandlish et al. 2018, with 4 co-authors").accepted
    assert card.verdict("McCandlish 2018; batch 512").accepted
    assert not card.verdict("McCandlish et al. 2020, with 4 co-authors").accepted  # the right name, the wrong year
    assert not card.verdict("McCandlish 2016; batch 512").accepted


def test_parse_numbers_gives_the_values_in_order_and_none_for_named_ones_or_prose():
    assert parse_numbers("0.9, 0.999") == (0.9, 0.999)
    assert parse_numbers("1e-3") == (0.001,)
    assert parse_numbers("beta1=0.9 beta2=0.999") is None
    assert parse_numbers("fast") is None
