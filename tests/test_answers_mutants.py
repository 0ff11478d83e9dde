"""The quick-fire answer checker's edges that mutation testing found untested: what a deck
author is told about a bad ``check:`` mapping (each message, each boundary of what is
allowed), and how one accept entry is read by :func:`matches`."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from gdgrill.answers import Spec, check, is_accepted, matches, spec_problems
from gdgrill.cli import app

runner = CliRunner()

NOT_A_MAPPING = "field 'check' must be a mapping (unit, percent, tolerance, kilo, names, variables, given, direction, define)"
UNIT = "check.unit must be one of steps, epochs, tokens, images, examples, minutes, hours, seconds, bits"
PERCENT = "check.percent must be true or false"
TOLERANCE = "check.tolerance must be a relative tolerance from 0 to 1"
KILO = "check.kilo must be 1000 or 1024"
NAMES = "check.names must be a list of names (or of [name, alias, ...] lists)"
VARIABLES = "check.variables must map each name to a list of aliases"
GIVEN = "check.given must map names to numbers"
DEFINE = "check.define must map names to formulas"
DIRECTION = "check.direction can only be 'down'"


# -- a bad check: mapping is refused with exactly the message for what is wrong ----------------

REFUSED = {
    "a list, not a mapping": (["unit", "steps"], [NOT_A_MAPPING]),
    "a bare word, not a mapping": ("steps", [NOT_A_MAPPING]),
    "empty (check: with nothing after it)": (None, [NOT_A_MAPPING]),
    "a misspelt key": (
        {"units": "steps"},
        ["check: unknown key 'units' (allowed: define, direction, given, kilo, names, percent, tolerance, unit, variables)"],
    ),
    "an unknown unit": ({"unit": "parsecs"}, [UNIT]),
    "a unit in the singular": ({"unit": "step"}, [UNIT]),
    "percent as a word": ({"percent": "yes"}, [PERCENT]),
    "percent as 1": ({"percent": 1}, [PERCENT]),
    "a tolerance of 1 (everything passes)": ({"tolerance": 1}, [TOLERANCE]),
    "a tolerance above 1": ({"tolerance": 1.5}, [TOLERANCE]),
    "a negative tolerance": ({"tolerance": -0.01}, [TOLERANCE]),
    "a tolerance of true": ({"tolerance": True}, [TOLERANCE]),
    "a tolerance of false": ({"tolerance": False}, [TOLERANCE]),
    "a tolerance in quotes": ({"tolerance": "0.01"}, [TOLERANCE]),
    "a kilo of 2000": ({"kilo": 2000}, [KILO]),
    "a kilo in quotes": ({"kilo": "1024"}, [KILO]),
    "names as one string": ({"names": "beta1"}, [NAMES]),
    "names as a mapping": ({"names": {"β1": 0.9}}, [NAMES]),
    "a name that is a number": ({"names": ["β1", 2]}, [NAMES]),
    "an empty alias list": ({"names": ["β1", []]}, [NAMES]),
    "an alias that is a number": ({"names": [["β1", 1], "β2"]}, [NAMES]),
    "variables as a list": ({"variables": ["L"]}, [VARIABLES]),
    "a variable's aliases as one string": ({"variables": {"λ_max": "L"}}, [VARIABLES]),
    "a variable's alias a number": ({"variables": {"λ_max": [1]}}, [VARIABLES]),
    "a variable mapped to a number": ({"variables": {"λ_max": 5}}, [VARIABLES]),
    "a variable named by a number": ({"variables": {1: ["L"]}}, [VARIABLES]),
    "given as a list": ({"given": [0.999]}, [GIVEN]),
    "a given value in quotes": ({"given": {"β2": "0.999"}}, [GIVEN]),
    "a given value of true": ({"given": {"β2": True}}, [GIVEN]),
    "a given named by a number": ({"given": {2: 0.999}}, [GIVEN]),
    "define as a list": ({"define": ["κ"]}, [DEFINE]),
    "a definition that is a number": ({"define": {"κ": 5}}, [DEFINE]),
    "a definition named by a number": ({"define": {1: "λ_max/λ_min"}}, [DEFINE]),
    "direction up": ({"direction": "up"}, [DIRECTION]),
    "direction left empty": ({"direction": None}, [DIRECTION]),
    "several faults, each reported once, in a fixed order": (
        {"direction": "up", "kilo": 2000, "unit": "parsecs", "tolerance": 1, "colour": "red"},
        [
            "check: unknown key 'colour' (allowed: define, direction, given, kilo, names, percent, tolerance, unit, variables)",
            UNIT,
            TOLERANCE,
            KILO,
            DIRECTION,
        ],
    ),
    "every field wrong at once": (
        {
            "unit": 3,
            "percent": "no",
            "tolerance": 2,
            "kilo": 1,
            "names": "x",
            "variables": "x",
            "given": "x",
            "define": "x",
            "direction": "sideways",
        },
        [UNIT, PERCENT, TOLERANCE, KILO, NAMES, VARIABLES, GIVEN, DEFINE, DIRECTION],
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_bad_check_mapping_gets_exactly_the_message_for_its_fault(case):
    raw, messages = REFUSED[case]
    assert spec_problems(raw) == messages


def test_the_not_a_mapping_message_names_every_key_a_check_may_have():
    """The message lists what a check: may hold; it must not leave one out (it once omitted 'define')."""
    (message,) = spec_problems(["define"])
    listed = message[message.index("(") + 1 : message.rindex(")")].split(", ")
    assert sorted(listed) == ["define", "direction", "given", "kilo", "names", "percent", "tolerance", "unit", "variables"]


ACCEPTED = {
    "nothing said": {},
    "each unit": None,  # filled below
    "percent true": {"percent": True},
    "percent false": {"percent": False},
    "a tolerance of 0 (exact)": {"tolerance": 0},
    "a tolerance of 0.0": {"tolerance": 0.0},
    "a measured figure's 5 %": {"tolerance": 0.05},
    "a tolerance just under 1": {"tolerance": 0.999},
    "kilo 1000": {"kilo": 1000},
    "kilo 1024 (batch sizes)": {"kilo": 1024},
    "no names": {"names": []},
    "plain names": {"names": ["β1", "β2"]},
    "names with aliases": {"names": [["β1", "beta1", "b1"], "β2"]},
    "variables with aliases": {"variables": {"λ_max": ["L", "largest eigenvalue"], "λ_min": ["μ"]}},
    "a variable with no aliases (left empty)": {"variables": {"T": None}},
    "a variable with an empty alias list": {"variables": {"T": []}},
    "given values, integer and float": {"given": {"β2": 0.999, "n": 3}},
    "a definition": {"define": {"κ": "λ_max/λ_min"}},
    "direction down": {"direction": "down"},
}


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_a_good_check_mapping_has_no_problem(case):
    raws = [{"unit": u} for u in ("steps", "epochs", "tokens", "images", "examples", "minutes", "hours", "seconds", "bits")] if case == "each unit" else [ACCEPTED[case]]
    for raw in raws:
        assert spec_problems(raw) == [], raw
        Spec.from_mapping(raw)  # and the checker can use it


# -- what the deck author sees ------------------------------------------------------------------

DECK = """\
deck: {id: mine, title: Mine, description: A deck of my own.}
cards:
  - id: warmup
    question: How many warmup steps?
    answer: 2000 steps
    accept: ["2000"]
    check:
      unit: steps
      tolerance: %s
"""


@pytest.mark.parametrize("tolerance, message", [("1", TOLERANCE), ("true", TOLERANCE), ("0", None), ("0.05", None)])
def test_decks_check_reports_a_bad_tolerance_on_the_cards_check_line(tmp_path, tolerance, message):
    path = tmp_path / "mine.yaml"
    path.write_text(DECK % tolerance, encoding="utf-8")
    result = runner.invoke(app, ["decks", "check", str(path)])
    if message is None:
        assert result.exit_code == 0, result.output + result.stderr
        return
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [f"gdgrill: error: {path}:7: card 'warmup': {message}"]


def test_decks_check_reports_every_fault_of_one_check_mapping(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(
        DECK.replace("unit: steps", "unit: parsecs\n      kilo: 2000\n      direction: up") % "0",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["decks", "check", str(path)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert [line.rsplit(": ", 1)[-1] for line in lines] == [UNIT, KILO, DIRECTION]


# -- matches(): one typed answer against one accept entry -------------------------------------


def test_an_accept_entry_worded_with_or_is_the_cards_phrase_not_a_hedge():
    """A typed "A or B" is a hedge, read as its bare words; an accept entry saying "or" is
    the card's own wording and is read as a phrase, its filler words dropped, so the answer
    need not repeat the entry's "the"."""
    assert matches("Adam or AdamW", "the Adam or the AdamW")
    assert matches("SGD or Adam", "either SGD or Adam") is False  # 'either' is no filler word


@pytest.mark.parametrize("typed, entry", [("", "0.9"), ("   ", "0.9"), ("0.9", ""), ("", "")])
def test_nothing_typed_or_an_empty_entry_never_matches(typed, entry):
    assert matches(typed, entry) is False


# -- what a rejected answer is said to have been read as -----------------------------------------


@pytest.mark.parametrize(
    "typed, accept, check_spec, read_as",
    [
        ("3000 to 4000 steps", ["1000..2000"], {"unit": "steps"}, "3000 to 4000 steps"),  # the range keeps its unit
        ("3 to 4", ["5..10"], None, "3 to 4"),  # and shows none where it has none
        ("between 2e-5 and 3e-5", ["1e-4..6e-4"], None, "2e-05 to 3e-05"),
        ("5 epochs", ["5"], {"unit": "steps"}, "5 epochs"),
        ("500", ["1000"], {"unit": "steps"}, "500"),
    ],
)
def test_a_rejected_answer_says_what_it_was_read_as(typed, accept, check_spec, read_as):
    verdict = check(typed, accept, check_spec)
    assert verdict.accepted is False and verdict.read_as == read_as


# -- a phrase answer that holds every word of a phrase entry ------------------------------------


@pytest.mark.parametrize(
    "typed, entry, accepted",
    [
        ("weight decay decoupled from the gradient update", "decoupled weight decay", True),  # the entry's words, and more
        ("weight decay decoupled", "decoupled weight decay", True),  # exactly its words, another order
        ("AdamW decoupled weight decay", "decoupled weight decay in AdamW", True),  # the entry's filler 'in' need not be typed
        ("McCandlish et al. 2018", "McCandlish 2018", True),  # a citation with the paper's year
        ("2018 McCandlish", "McCandlish 2018", True),
        ("McCandlish et al. 2019", "McCandlish 2018", False),  # the wrong year
        ("McCandlish et al.", "McCandlish 2018", False),  # no year where the entry has one
        ("weight decay from the gradient update", "decoupled weight decay", False),  # a word of the entry missing
    ],
)
def test_a_phrase_answer_is_accepted_when_it_holds_every_word_of_the_entry(typed, entry, accepted):
    assert check(typed, [entry]).accepted is accepted


# -- is_accepted() reads the answer by the card's check: -----------------------------------------


def test_is_accepted_uses_the_cards_check():
    assert is_accepted("8k", ["8192"], {"kilo": 1024})
    assert not is_accepted("8k", ["8192"])  # a plain k is a thousand
    assert not is_accepted("2000 epochs", ["2000"], {"unit": "steps"})


def test_decks_check_judges_a_reject_entry_by_the_cards_check(tmp_path):
    """A reject entry in another unit is no accepted answer on a card that counts steps, so
    the deck is fine; on a card without a unit the same reject would pass its own accept."""
    card = DECK.replace("tolerance: %s", "kilo: 1024").replace('accept: ["2000"]', 'accept: ["2048"]\n    reject: ["2048 epochs", "2000"]')
    path = tmp_path / "mine.yaml"
    path.write_text(card, encoding="utf-8")
    assert runner.invoke(app, ["decks", "check", str(path)]).exit_code == 0
    path.write_text(card.replace('reject: ["2048 epochs", "2000"]', 'reject: ["2k"]'), encoding="utf-8")
    result = runner.invoke(app, ["decks", "check", str(path)])
    assert result.exit_code == 2 and "reject entry '2k' is accepted by the accept list" in result.stderr
