"""What the judge promises besides pass and fail: the instances have the gradients their pattern
names (gdgrill.drill.catalog.GRADIENT_PATTERNS), the JSON verdict carries every field it
documents, a stateless schedule is run once for all its steps, and a rule that moves t itself
is refused."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from helpers import command_app
from typer.testing import CliRunner

from gdgrill.drill.catalog import DRILLS, Instance
from gdgrill.drill.command import drill_command
from gdgrill.drill.judge import OVERFLOWS, judge, make_problem

ADAM = DRILLS["adam-bias"]
N = 20_000  # elements: a median of |N(0, 1)| draws is 0.6745 within a few per mille
HALF_NORMAL_MEDIAN = 0.6745


def grads(pattern: str, steps: int = 8, shape=(N,), seed: int = 0) -> np.ndarray:
    return make_problem(ADAM, Instance("test", {}, pattern, steps, shape, seed)).grads


def median_abs(x: np.ndarray) -> float:
    return float(np.median(np.abs(x)))


# -- The gradient patterns --------------------------------------------------------------------------


@pytest.mark.parametrize("pattern,scale", [("normal", 1.0), ("tiny", 1e-6), ("large", 10.0)])
def test_a_pattern_scales_standard_normal_gradients(pattern, scale):
    g = grads(pattern)
    assert median_abs(g) == pytest.approx(scale * HALF_NORMAL_MEDIAN, rel=0.03)
    assert np.isfinite(g).all() and (g != 0).all()


def test_small_gradients_are_three_tenths_of_normal_with_the_middle_step_all_zero():
    g = grads("small", steps=8)
    assert (g[4] == 0).all()
    others = np.delete(g, 4, axis=0)
    assert (others != 0).all() and median_abs(others) == pytest.approx(0.3 * HALF_NORMAL_MEDIAN, rel=0.03)


def test_zeros_first_means_exactly_the_first_two_steps():
    g = grads("zeros-first")
    assert (g[:2] == 0).all() and (g[2:] != 0).all()
    assert median_abs(g[2:]) == pytest.approx(HALF_NORMAL_MEDIAN, rel=0.03)


def test_decaying_gradients_shrink_from_about_10_to_about_0_01():
    g = grads("decaying", steps=7)
    assert median_abs(g[0]) == pytest.approx(10 * HALF_NORMAL_MEDIAN, rel=0.05)
    assert median_abs(g[3]) == pytest.approx(10**-0.5 * HALF_NORMAL_MEDIAN, rel=0.05)
    assert median_abs(g[-1]) == pytest.approx(0.01 * HALF_NORMAL_MEDIAN, rel=0.05)


def test_mixed_gradients_flip_sign_every_step_have_exact_zeros_and_two_decades_of_size():
    g = grads("mixed", steps=6)
    assert np.isfinite(g).all()
    assert 0.12 < float(np.mean(g == 0)) < 0.18  # about 15 % exact zeros
    both = (g[1:] != 0) & (g[:-1] != 0)
    assert (np.sign(g[1:])[both] == -np.sign(g[:-1])[both]).all()  # every coordinate flips each step
    assert {1.0, -1.0} <= set(np.sign(g[0]).tolist())  # and the coordinates start with both signs
    size = np.abs(g[g != 0])
    # |N(0, 1)|·10^U with U uniform on (−1, 1): a million draws of that give a median of 0.552 and
    # p90/p10 of 83 (|N(0, 1)| alone: 0.674 and 13)
    assert float(np.median(size)) == pytest.approx(0.552, rel=0.04)
    assert 78 < np.percentile(size, 90) / np.percentile(size, 10) < 89 and size.max() < 100


def test_overflow_puts_an_inf_or_a_nan_at_steps_3_4_9_and_16_and_nowhere_else():
    steps, size = 16, 7
    g = grads("overflow", steps=steps, shape=(size,))
    assert OVERFLOWS.keys() == {3, 4, 9, 16}
    for step in range(1, steps + 1):
        row = g[step - 1]
        if step in OVERFLOWS:
            where = (3 * step) % size
            value = OVERFLOWS[step]
            assert np.isnan(row[where]) if np.isnan(value) else row[where] == value, step
            assert np.isfinite(np.delete(row, where)).all(), step
        else:
            assert np.isfinite(row).all(), step


def test_overflow_on_a_matrix_counts_its_elements_row_by_row():
    g = grads("overflow", steps=4, shape=(2, 3))
    assert np.isinf(g[2].reshape(-1)[(3 * 3) % 6]) and np.isnan(g[3].reshape(-1)[(3 * 4) % 6])
    assert np.isfinite(g[:2]).all()


def test_only_zero_init_starts_theta_at_zero():
    zero = make_problem(ADAM, Instance("z", {}, "zero-init", 4, (6,)))
    assert (zero.p0 == 0).all() and (zero.grads != 0).all()
    for pattern in ("normal", "tiny", "mixed", "zeros-first"):
        assert (make_problem(ADAM, Instance("n", {}, pattern, 4, (6,))).p0 != 0).all(), pattern


def test_an_unknown_pattern_is_named():
    with pytest.raises(ValueError, match="unknown gradient pattern 'wobbly'"):
        make_problem(ADAM, Instance("w", {}, "wobbly", 4, (3,)))


# -- The verdict as JSON ----------------------------------------------------------------------------

runner = CliRunner()
app = command_app("drill", drill_command, "Type an update rule and have it judged.")
EPS_INSIDE = "m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^t))/sqrt(v/(1-b2^t) + eps)\n"
EPS_HAT = "m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*sqrt(1-b2^t)/(1-b1^t)*m/(sqrt(v) + eps)\n"
KEYS = {"drill", "verdict", "misconception", "misconception_title", "explanation", "variant", "first_difference",
        "refusal", "message", "diagnosis", "repair", "first_wrong_statement", "nonfinite", "torch", "checked", "saved"}


def drill_json(text: str, name: str = "adam-bias") -> dict:
    result = runner.invoke(app, ["drill", name, "--answer", "-", "--json", "--no-torch", "--no-save"], input=text)
    data = json.loads(result.stdout)
    assert set(data) == KEYS
    return data


def test_a_known_mistake_in_json_names_it_with_its_title_and_explanation():
    data = drill_json(EPS_INSIDE)
    (mistake,) = [m for m in ADAM.mutants if m.id == "eps-inside-sqrt"]
    assert (data["verdict"], data["misconception"], data["variant"], data["refusal"]) == ("fail", mistake.id, None, None)
    assert data["misconception_title"] == mistake.title and data["explanation"] == mistake.explanation
    assert data["checked"] == {"instances": len(ADAM.instances), "steps": sum(i.steps for i in ADAM.instances),
                               "dtype": "float64", "rtol": ADAM.rtol, "atol": ADAM.atol}
    first = data["first_difference"]
    assert set(first) == {"instance", "step", "quantity", "index", "yours", "reference"}
    assert first["instance"] in {i.label for i in ADAM.instances}
    assert first["quantity"] == "θ[" + ", ".join(map(str, first["index"])) + "]" and isinstance(first["index"], list)


def test_an_accepted_variant_in_json_is_named():
    data = drill_json(EPS_HAT)
    assert (data["verdict"], data["variant"], data["misconception"], data["misconception_title"]) == ("pass", "eps-hat", None, None)
    assert data["explanation"] is None and data["nonfinite"] is None


def test_a_refusal_in_json_says_where_and_why():
    data = drill_json("m = b1*m + (1-b1)*g\np = p - lr*m +\n")
    assert data["verdict"] == "refused" and set(data["refusal"]) == {"line", "col", "reason"}
    assert data["refusal"]["line"] == 2 and data["refusal"]["col"] >= 1 and data["refusal"]["reason"]
    assert data["refusal"]["reason"] in data["message"]


# -- A stateless schedule runs once for all its steps ----------------------------------------------


def test_a_stateless_elementwise_schedule_is_interpreted_once_per_instance(monkeypatch):
    from gdgrill.drill import language

    drill = DRILLS["warmup-cosine"]
    calls = []
    real = language.CompiledRule.step
    monkeypatch.setattr(language.CompiledRule, "step", lambda self, env: calls.append(1) or real(self, env))
    for text in (drill.reference_rule, drill.reference_rule + " + 0*abs(-t)*(t > 0)", "lr = -(-" + drill.reference_rule[5:] + ")"):
        calls.clear()
        assert judge(drill, text).passed, text
        assert len(calls) == len(drill.instances), text


def test_a_schedule_that_reduces_over_t_is_stepped_not_run_at_once():
    """sum, mean and norm of the number t are t; over all the steps at once they would not be."""
    drill = DRILLS["warmup-cosine"]
    for reduce in ("norm(t)", "sum(t)", "mean(t)", "norm(t - 0)", "-(-norm(t))"):
        text = drill.reference_rule.replace("lr_max*t/warmup", f"lr_max*{reduce}/warmup")
        assert judge(drill, text).passed, text
    text = drill.reference_rule.replace("where(t <= warmup", "where(norm(t) <= warmup")
    assert judge(drill, text).passed, text


def test_a_schedule_with_a_matrix_product_of_numbers_is_refused():
    drill = DRILLS["warmup-cosine"]
    v = judge(drill, "lr = lr_max*(t @ t)/(t*t)")
    assert v.verdict == "refused" and "@ is the matrix product" in v.message


def test_a_schedule_dividing_by_zero_gives_no_warning():
    drill = DRILLS["warmup-cosine"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not judge(drill, "lr = lr_max/(t - 1)").passed


# -- t is the judge's to advance --------------------------------------------------------------------


@pytest.mark.parametrize("line", ["t = t + 1", "t = t - 1", "t = 1 + t", "t = 5"])
def test_a_rule_that_moves_t_itself_is_refused(line):
    v = judge(DRILLS["adam-bias"], f"{line}\nm = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^t))/(sqrt(v/(1-b2^t)) + eps)")
    assert v.verdict == "refused" and v.refusal.line == 1
    assert v.refusal.reason.startswith("t is given: the step number")
