"""The derive stage of adam-bias: E[m_t], the bias correction, then the rule.

Formulas are checked symbolically when sympy is installed and numerically when it is not;
the user's text only ever goes through the drill's own parser."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import command_app, logged_reviews
from typer.testing import CliRunner

from gdgrill.drill import derive
from gdgrill.drill.command import drill_command
from gdgrill.drill.derive import CORRECTION, EXPECTATION, check_stage, split_answer
from gdgrill.errors import UserError

app = command_app("drill", drill_command, "Type an update rule and have it judged.")


runner = CliRunner()

RULE = "m = β₁·m + (1−β₁)·g\nv = β₂·v + (1−β₂)·g²\nθ = θ − η·m/(1−β₁ᵗ)/(√(v/(1−β₂ᵗ)) + ε)\n"
RULE_EPS_INSIDE = "m = β₁·m + (1−β₁)·g\nv = β₂·v + (1−β₂)·g²\nθ = θ − η·m/(1−β₁ᵗ)/√(v/(1−β₂ᵗ) + ε)\n"
RIGHT = "E[m_t] = μ(1 − β₁ᵗ)\nm_hat = m/(1 - b1^t)\n" + RULE

EQUIVALENT_EXPECTATIONS = [
    "mu*(1 - b1^t)",
    "μ − μ·β1ᵗ",
    "μ(1 − β1^t)",
    "-mu*(b1**t - 1)",
    "μ·(1 − β₁ᵗ)",
    "mu - mu*beta1^t",
    "E[m_t] = mu*(1 - b1**t)",
    "(1 - b1^t)(mu)",
    "mu*(1 - b1)*(1 + b1 + b1^2) + mu*b1^3 - mu*b1^t",  # the geometric series, partly written out
    "mu*(1 - exp(t*log(b1)))",
]
WRONG_EXPECTATIONS = [
    ("mu*b1^t", "init-weight"),
    ("mu/(1 - b1^t)", "corrected-estimate"),
    ("mu*(1-b1)^t", "power-misplaced"),
    ("mu*(1 - b1^(t+1))", "off-by-one-plus"),
    ("mu*(1-b1^(t-1))", "off-by-one-minus"),
    ("mu", "ignores-zero-init"),
    ("(1-b1)*mu", "first-step-only"),
    ("μ(1 − β₂ᵗ)", "wrong-beta"),
]
EQUIVALENT_CORRECTIONS = ["m/(1 - b1^t)", "m̂ = m/(1−β₁ᵗ)", "m_hat = m*(1 - b1^t)^(-1)", "1/(1-b1^t)", "m̂_t = 1/(1 − β₁ᵗ)", "-m/(b1^t - 1)"]
WRONG_CORRECTIONS = [
    ("m*(1 - b1^t)", "multiplied-not-divided"),
    ("1 - b1^t", "multiplied-not-divided"),  # the divisor alone reads as a factor
    ("m", "uncorrected"),
    ("m/b1^t", "init-weight"),
    ("m/(1-b1)^t", "power-misplaced"),
    ("1/(1-b1)^t", "power-misplaced"),
    ("m/(1 - b1^(t+1))", "off-by-one-plus"),
    ("m/(1 - b1^(t-1))", "off-by-one-minus"),
    ("m/(1 - b1)", "one-step-weight"),
    ("m*(1 + b1^t)", "first-order"),
    ("m/(1 - b2^t)", "wrong-beta"),
]
HOSTILE = [
    ("mu.real", "attribute"),
    ("mu.__class__", "attribute"),
    ("foo(mu)", "unknown function 'foo'"),
    ("norm(mu)", "unknown function 'norm'"),
    ("'mu'", "strings are not allowed"),
    ("__import__('os').system('true')", "attribute"),
    ("__import__('os')", "unknown function '__import__'"),
    ("mu**(10**10)", "too large"),
    ("b1^(9**9**9**9)", "overflows"),
    ("pow(mu, 1000)", "too large"),
    ("(1 + mu)^1e6", "too large"),
    ("mu*" + "(" * 200 + "1" + ")" * 200, "nest"),
    ("mu if t > 1 else 0", "not needed here"),
    ("x*(1 - b1^t)", "unknown name 'x'"),
    ("mu*(1 - b1^t); import os", "cannot parse"),
    ("lambda: 0", "lambda"),
]


@pytest.fixture
def no_sympy(monkeypatch):
    monkeypatch.setitem(sys.modules, "sympy", None)  # `import sympy` now raises ImportError


# -- Stage 1: E[m_t] ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", EQUIVALENT_EXPECTATIONS)
def test_equivalent_forms_of_the_expectation_are_proved_by_sympy(text):
    pytest.importorskip("sympy")
    result = check_stage(EXPECTATION, text)
    assert result.verdict == "pass", result.message
    assert result.method == "symbolic"


@pytest.mark.parametrize("text", EQUIVALENT_EXPECTATIONS)
def test_equivalent_forms_pass_numerically_without_sympy(text, no_sympy):
    result = check_stage(EXPECTATION, text)
    assert result.verdict == "pass", result.message
    assert result.method == "numeric" and "sympy is not installed" in result.note


@pytest.mark.parametrize("text, misconception", WRONG_EXPECTATIONS)
def test_each_wrong_expectation_fails_and_names_its_misconception(text, misconception):
    result = check_stage(EXPECTATION, text)
    assert result.verdict == "fail"
    assert result.misconception is not None and result.misconception.id == misconception
    assert result.misconception.title in result.message
    assert result.counterexample is not None and "At " in result.message


@pytest.mark.parametrize("text, misconception", WRONG_EXPECTATIONS)
def test_wrong_expectations_fail_the_same_way_without_sympy(text, misconception, no_sympy):
    result = check_stage(EXPECTATION, text)
    assert result.verdict == "fail" and result.misconception.id == misconception


def test_the_first_counterexample_is_one_you_can_check_by_hand():
    result = check_stage(EXPECTATION, "mu*b1^t")
    assert result.counterexample == {"at": {"mu": 1.0, "b1": 0.9, "t": 1}, "yours": 0.9, "expected": pytest.approx(0.1)}
    assert "μ = 1, β₁ = 0.9, t = 1: yours 0.9, expected 0.1" in result.message


def test_a_wrong_form_outside_the_catalog_fails_with_a_counterexample_only():
    result = check_stage(EXPECTATION, "mu*(1 - b1^t) + 0.001")
    assert result.verdict == "fail" and result.misconception is None and result.counterexample


@pytest.mark.parametrize("stage", [EXPECTATION, CORRECTION], ids=lambda s: s.id)
def test_every_catalogued_misconception_is_wrong_and_diagnosed_as_itself(stage):
    for m in stage.misconceptions:
        result = check_stage(stage, m.formula)
        assert result.verdict == "fail", m.id
        assert result.misconception == m, (m.id, result.misconception)


def test_the_expected_answers_pass_their_own_stage():
    for stage in derive.STAGES:
        assert check_stage(stage, stage.expected).passed


# -- Stage 2: the correction ---------------------------------------------------------------------


@pytest.mark.parametrize("text", EQUIVALENT_CORRECTIONS)
def test_the_estimate_or_the_factor_is_accepted(text):
    assert check_stage(CORRECTION, text).passed


@pytest.mark.parametrize("text", EQUIVALENT_CORRECTIONS)
def test_the_estimate_or_the_factor_is_accepted_without_sympy(text, no_sympy):
    result = check_stage(CORRECTION, text)
    assert result.passed and result.method == "numeric"


def test_an_answer_without_m_is_read_as_the_factor():
    assert "read as the factor" in check_stage(CORRECTION, "1/(1 - b1^t)").message


@pytest.mark.parametrize("text, misconception", WRONG_CORRECTIONS)
def test_each_wrong_correction_fails_and_names_its_misconception(text, misconception):
    result = check_stage(CORRECTION, text)
    assert result.verdict == "fail"
    assert result.misconception is not None and result.misconception.id == misconception


def test_the_correction_stage_does_not_know_mu():
    result = check_stage(CORRECTION, "mu/(1 - b1^t)")
    assert result.verdict == "refused" and "unknown name 'mu'" in result.message and "m, β₁ (b1)" in result.message


# -- Refusals --------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, reason", HOSTILE)
def test_hostile_formulas_are_refused_with_a_position(text, reason):
    result = check_stage(EXPECTATION, text)
    assert result.verdict == "refused"
    assert reason in result.message
    assert result.refusal.line == 1 and result.refusal.col >= 1


def test_unknown_names_are_refused_listing_the_names_available():
    result = check_stage(EXPECTATION, "E[m_t] = g*(1 - b1^t)")
    assert result.verdict == "refused"
    assert result.refusal.col == 10  # points at g in the user's own text, past the label
    assert "available: μ (mu), β₁ (b1), β₂ (b2), t" in result.message


def test_an_empty_formula_is_refused():
    assert check_stage(EXPECTATION, "E[m_t] = ").verdict == "refused"


# -- How sympy is used -----------------------------------------------------------------------------


def test_sympy_never_parses_user_text(monkeypatch):
    import importlib

    sympy = pytest.importorskip("sympy")
    sympify_module = importlib.import_module("sympy.core.sympify")  # the name sympy.core.sympify is the function
    parser_module = importlib.import_module("sympy.parsing.sympy_parser")

    def forbidden(*args, **kwargs):
        raise AssertionError("sympy's string parser was called")

    real = sympify_module.sympify

    def no_strings(a, *args, **kwargs):
        if isinstance(a, str):
            forbidden()
        return real(a, *args, **kwargs)

    monkeypatch.setattr(sympy, "sympify", forbidden)
    monkeypatch.setattr(sympy, "parse_expr", forbidden)
    monkeypatch.setattr(parser_module, "parse_expr", forbidden)
    monkeypatch.setattr(sympify_module, "sympify", no_strings)
    for text in ("μ − μ·β1ᵗ", "mu*(1 - b1^(t+1))"):
        result = check_stage(EXPECTATION, text)
        assert result.verdict in ("pass", "fail")
    assert check_stage(EXPECTATION, "μ(1 − β1^t)").method == "symbolic"


def test_the_module_never_calls_a_string_parser():
    source = Path(derive.__file__).read_text(encoding="utf-8")
    assert not re.findall(r"(?:sympify|parse_expr|\bS)\(", source)  # sympy's string parsers, as sp.… too
    assert not re.findall(r"(?<![\w.])(?:eval|exec|compile)\(", source)  # builtins (re.compile is fine)


def test_importing_the_module_does_not_import_sympy():
    code = "import sys, gdgrill.drill.derive; print('sympy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_when_sympy_cannot_prove_it_the_numeric_check_decides(monkeypatch):
    sympy = pytest.importorskip("sympy")
    monkeypatch.setattr(sympy, "simplify", lambda e, *a, **k: e)  # "inconclusive": never reaches 0
    right = check_stage(EXPECTATION, "mu - mu*(b1^t)*(sin(t)^2 + cos(t)^2)")
    assert right.passed and right.method == "numeric" and "did not simplify" in right.note
    wrong = check_stage(EXPECTATION, "mu*b1^t")
    assert wrong.verdict == "fail" and wrong.misconception.id == "init-weight"


def test_a_simplify_that_runs_away_is_abandoned_and_the_numeric_check_decides(monkeypatch):
    sympy = pytest.importorskip("sympy")
    monkeypatch.setattr(derive, "SIMPLIFY_SECONDS", 0.2)
    monkeypatch.setattr(sympy, "simplify", lambda e, *a, **k: time.sleep(5) or e)
    started = time.perf_counter()
    result = check_stage(EXPECTATION, "mu*(1 - b1)*(1 + b1) + mu*b1^2 - mu*b1^t")
    assert time.perf_counter() - started < 3
    assert result.passed and result.method == "numeric" and "did not finish" in result.note


def test_to_sympy_builds_the_expected_expression():
    sp = pytest.importorskip("sympy")
    expr = derive.parse_formula(EXPECTATION, "μ(1 − β₁ᵗ)/2 + 0.1")
    symbols = derive._sympy_symbols(sp)
    mu, b1, t = symbols["mu"], symbols["b1"], symbols["t"]
    built = derive.to_sympy(expr, symbols, sp)
    assert sp.simplify(built - (mu * (1 - b1**t) / 2 + sp.Rational(1, 10))) == 0


# -- The answer file ----------------------------------------------------------------------------------


def test_an_answer_file_may_be_three_lines_deep_or_split_by_dashes():
    plain = split_answer(RIGHT)
    assert (plain.expectation_line, plain.correction_line, plain.rule_line) == (1, 2, 3)
    dashed = split_answer("# my answer\nmu*(1-b1^t)\n---\n\n1/(1-b1^t)\n---\n" + RULE)
    assert (dashed.expectation, dashed.correction) == ("mu*(1-b1^t)", "1/(1-b1^t)")
    assert (dashed.expectation_line, dashed.correction_line, dashed.rule_line) == (2, 5, 7)
    assert dashed.rule.strip() == RULE.strip()


@pytest.mark.parametrize(
    "text",
    ["mu*(1-b1^t)\n", "mu*(1-b1^t)\nm/(1-b1^t)\n", "a\n---\nb\n", "a\n---\nb\n---\n\n", "a\nb\n---\nc\n---\nd\n"],
)
def test_a_file_missing_a_part_is_a_user_error(text):
    with pytest.raises(UserError, match="three parts"):
        split_answer(text)


def test_refusals_point_at_the_line_in_the_file():
    result = derive.grade_answer("mu*(1-b1^t)\n---\nm/(1-foo^t)\n---\n" + RULE + "p = p.T\n", None)
    assert (result.correction.refusal.line, result.correction.refusal.col) == (3, 6)  # foo
    assert result.rule.refusal.line == 8
    assert result.verdict == "refused"


# -- The command ----------------------------------------------------------------------------------------


reviews = logged_reviews


def drill(*args, input=None):
    return runner.invoke(app, ["drill", *args], input=input)


def test_a_right_derivation_exits_0_and_is_saved_as_one_derive_attempt(isolated_home):
    result = drill("adam-bias", "--derive", "--answer", "-", "--no-torch", input=RIGHT)
    assert result.exit_code == 0, result.output
    assert result.stdout.count("✓") == 3 and "E[m_t] for a stationary gradient" in result.stdout
    [(item, grade, mode, answer, detail)] = reviews(isolated_home)
    assert (item, grade, mode, answer) == ("drill/adam-bias", "pass", "derive", RIGHT)
    assert json.loads(detail)["derive"]["expectation"] == {"verdict": "pass", "misconception": None}


def test_a_wrong_stage_exits_1_and_explains_the_misconception(isolated_home):
    text = "mu/(1-b1^t)\nm/(1-b1^t)\n" + RULE
    result = drill("adam-bias", "--derive", "--answer", "-", "--no-torch", input=text)
    assert result.exit_code == 1
    assert "That is the corrected estimate" in result.stdout
    [(_, grade, _, _, detail)] = reviews(isolated_home)
    assert grade == "fail" and json.loads(detail)["derive"]["expectation"]["misconception"] == "corrected-estimate"


def test_a_wrong_rule_after_a_right_derivation_exits_1(isolated_home):
    result = drill("adam-bias", "--derive", "--answer", "-", "--no-torch", input="mu - mu*b1^t\n1/(1-b1^t)\n" + RULE_EPS_INSIDE)
    assert result.exit_code == 1 and "ε inside the square root" in result.stdout


def test_json_adds_a_derive_object_with_each_stages_verdict(isolated_home):
    text = "mu*(1 - b1^(t+1))\nm/(1-b1^t)\n" + RULE
    result = drill("adam-bias", "--derive", "--answer", "-", "--no-torch", "--json", input=text)
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["drill"] == "adam-bias" and data["verdict"] == "fail" and data["saved"] is True
    d = data["derive"]
    assert d["verdict"] == "fail"
    assert d["expectation"]["verdict"] == "fail" and d["expectation"]["misconception"] == "off-by-one-plus"
    assert d["expectation"]["counterexample"]["at"] == {"mu": 1.0, "b1": 0.9, "t": 1}
    assert d["correction"]["verdict"] == "pass" and d["correction"]["method"] in ("symbolic", "numeric")
    assert d["rule"]["verdict"] == "pass" and d["rule"]["stage"] == "rule"
    assert data["message"] == "E[m_t]: fail · correction: pass · rule: pass"


def test_a_refused_formula_exits_2_with_one_line_on_stderr_and_saves_nothing(isolated_home):
    text = "__import__('os').system('echo pwned')\nm/(1-b1^t)\n" + RULE
    result = drill("adam-bias", "--derive", "--answer", "-", "--no-torch", input=text)
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0 and "line 1, col 1" in result.stderr
    assert "pwned" not in result.output and "Traceback" not in result.output
    assert reviews(isolated_home) == []


@pytest.mark.parametrize("text, _reason", HOSTILE)
def test_every_hostile_formula_exits_2_through_the_command(isolated_home, text, _reason):
    result = drill("adam-bias", "--derive", "--answer", "-", "--no-torch", "--json", input=f"{text}\nm/(1-b1^t)\n{RULE}")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert json.loads(result.stdout)["derive"]["expectation"]["verdict"] == "refused"


def test_works_without_sympy_end_to_end(isolated_home, no_sympy):
    result = drill("adam-bias", "--derive", "--answer", "-", "--no-torch", "--json", input=RIGHT)
    assert result.exit_code == 0
    d = json.loads(result.stdout)["derive"]
    assert d["expectation"]["method"] == d["correction"]["method"] == "numeric"


def test_a_file_with_missing_parts_exits_2(isolated_home):
    result = drill("adam-bias", "--derive", "--answer", "-", input="mu*(1-b1^t)\n")
    assert result.exit_code == 2 and "three parts" in result.stderr


def test_derive_on_a_drill_without_derive_stages_is_refused_naming_those_with_them(isolated_home):
    result = drill("nesterov", "--derive")
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0 and "the nesterov drill has no derive stages" in result.stderr
    assert "adam-bias" in result.stderr


def test_interactive_wrong_then_retry_then_right(isolated_home):
    keys = "mu*b1^t\nr\nμ(1 − β₁ᵗ)\nm/(1 - b1^t)\n" + RULE + "\n"
    result = drill("adam-bias", "--derive", "--no-torch", input=keys)
    assert result.exit_code == 0, result.output
    assert "weight of the initialisation" in result.stdout and "Step 3/3" in result.stdout
    rows = reviews(isolated_home)
    assert [(r[1], r[2]) for r in rows] == [("fail", "derive"), ("pass", "drill")]  # first tries count
    assert json.loads(rows[0][4])["derive"]["expectation"]["misconception"] == "init-weight"


def test_interactive_reveal_shows_the_answer_and_moves_on(isolated_home):
    keys = "mu\ns\n1/(1-b1^t)\n" + RULE + "\n"
    result = drill("adam-bias", "--derive", "--no-torch", input=keys)
    assert result.exit_code == 1  # revealed: not all stages were answered right
    assert "E[m_t] = μ·(1 − β₁ᵗ)" in result.stdout and "geometric series" in result.stdout
    assert "Correct: θ matches" in result.stdout


def test_interactive_refusal_asks_again_without_saving_it(isolated_home):
    keys = "mu.real\nmu*(1-b1^t)\nm/(1-b1^t)\n" + RULE + "\n"
    result = drill("adam-bias", "--derive", "--no-torch", input=keys)
    assert result.exit_code == 0
    assert "attribute access" in result.stderr
    assert [r[1] for r in reviews(isolated_home)] == ["pass", "pass"]


def test_interactive_quit_saves_the_answered_stage(isolated_home):
    result = drill("adam-bias", "--derive", input="mu*b1^t\nq\n")
    assert result.exit_code == 1
    [(_, grade, mode, answer, _)] = reviews(isolated_home)
    assert (grade, mode, answer) == ("fail", "derive", "mu*b1^t")


def test_interactive_with_no_answer_saves_nothing(isolated_home):
    result = drill("adam-bias", "--derive", input="")
    assert result.exit_code == 2 and reviews(isolated_home) == []


def test_the_flag_has_help_text():
    result = runner.invoke(app, ["drill", "--help"])
    assert result.exit_code == 0 and "--derive" in result.stdout
