"""Derive stages beyond adam-bias: an EMA's horizon and an outlier's half-life, momentum's
effective step (momentum), GD's stability bound (sgd), Adam's first step (adam), and weight
decay's per-step shrink, L2 vs decoupled, under SGD and under Adam (adamw).

Every stage is checked twice: with sympy (a proof) and with sympy hidden (the numeric check).
Expected values in the counterexamples are worked out by hand from the question."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
from helpers import command_app, logged_reviews
from typer.testing import CliRunner

from gdgrill.drill import derive
from gdgrill.drill.catalog import DRILLS
from gdgrill.drill.command import drill_command
from gdgrill.drill.derivations import (
    ADAMW_SHRINK,
    DERIVATIONS,
    EFFECTIVE_STEP,
    FIRST_STEP,
    HALF_LIFE,
    HORIZON,
    L2_SHRINK,
    NICE_POINTS,
    SGD_SHRINK,
    STABILITY,
)
from gdgrill.drill.derive import check_stage

app = command_app("drill", drill_command, "Type an update rule and have it judged.")
runner = CliRunner()

# stage -> (right answers as people write them, [(a wrong answer, the misconception it is)], a wrong
# answer that is no known misconception)
CASES = {
    HORIZON: (
        ["1/(1 − β)", "N = 1/(1 - beta)", "(1 − μ)^(-1)", "-1/(b - 1)", "N ≈ 1 + β/(1 − β)"],
        [
            ("β/(1 − β)", "mean-age"),
            ("N = 1 − β", "newest-weight"),
            ("1/β", "inverse-beta"),
            ("−1/ln(β)", "time-constant"),
            ("1", "weights-sum"),
        ],
        "2/(1 − β)",
    ),
    HALF_LIFE: (
        ["ln 2/(−ln β)", "-log(2)/log(b)", "log(0.5)/log(beta)", "ln(2)/ln(1/β)", "k½ = log(1/2)/log(β)"],
        [
            ("1/(1 − β)", "horizon"),
            ("ln 2/(1 − β)", "linearised"),
            ("ln(2)/ln(β)", "sign"),
            ("1/(−ln β)", "e-folding"),
            ("−ln(β)/ln(2)", "inverted"),
            ("0.5/(1 − β)", "half-horizon"),
        ],
        "ln 3/(−ln β)",
    ),
    EFFECTIVE_STEP: (
        ["η/(1 − μ)", "η_eff = lr/(1 - momentum)", "-eta/(mu - 1)", "η' = η·(1 − μ)^(-1)", "η·g/(1 − μ)"],
        [
            ("η", "damped-ema"),
            ("η·(1 − μ)", "multiplied"),
            ("η + η·μ", "one-step"),
            ("η·(1 − μᵗ)/(1 − μ)", "transient"),
            ("−η·g/(1 − μ)", "signed"),
            ("η/(1 + μ)", "alternating"),
        ],
        "η/(1 − μ)^2",
    ),
    STABILITY: (
        ["η < 2/λ_max", "2/L", "lr <= 2/lambda_max", "η ≤ 2·(1/λmax)", "eta_max = 2/λ_max", "0 < η < 2/λ_max"],
        [
            ("η < 1/λ_max", "one-over-l"),
            ("2/λ_min", "flattest"),
            ("η < 2/(λ_max + λ_min)", "optimal-step"),
            ("λ_max/2", "inverted"),
            ("2·λ_min/λ_max", "condition-number"),
        ],
        "η < 2/λ_max²",
    ),
    FIRST_STEP: (
        [
            "−η·sign(g)",
            "Δθ₁ = -eta*g/abs(g)",
            "θ − η·sgn(g)",
            "θ₁ = θ₀ − η·g/(√(g²) + ε)",
            "-η·(1 - β1)*g/((1 - β1)*sqrt(g^2))",
        ],
        [
            ("−η·(1 − β₁)/√(1 − β₂)·sign(g)", "uncorrected"),
            ("θ − η·(1 − β₁)·sign(g)", "m-uncorrected"),
            ("−η·sign(g)/√(1 − β₂)", "v-uncorrected"),
            ("−η·g", "sgd-step"),
            ("−η/g", "forgot-sqrt"),
            ("θ + η·sign(g)", "uphill"),
        ],
        "−η·sign(g)/2",
    ),
    SGD_SHRINK: (
        ["1 − ηλ", "θ ← (1 − ηλ)·θ", "θ_{t+1} = θ - η·λ·θ", "1 - lr*wd", "-(eta*lam - 1)"],
        [
            ("1 − λ", "no-lr"),
            ("θ ← θ − 2·ηλθ", "squared-penalty"),
            ("ηλ", "removed-share"),
            ("1 + η·λ", "growing"),
            ("1/(1 + ηλ)", "proximal"),
        ],
        "1 − ηλ/2",
    ),
    ADAMW_SHRINK: (
        ["1 − ηλ", "θ ← θ − ηλθ", "1 - lr*weight_decay", "θ = θ·(1 − η·λ)"],
        [
            ("1 − ηλ/(√v̂ + ε)", "l2-form"),
            ("θ ← θ − λθ", "no-lr"),
            ("η·λ", "removed-share"),
            ("1 + ηλ", "growing"),
        ],
        "1 − ηλ/√v̂",
    ),
    L2_SHRINK: (
        ["1 − ηλ/(√v̂ + ε)", "θ ← θ − η·λ·θ/(√v̂ + ε)", "1 - eta*lam/(sqrt(v_hat) + eps)", "(√v̂ + ε − ηλ)/(√v̂ + ε)"],
        [
            ("1 − ηλ", "decoupled"),
            ("1 − ηλ/√(v̂ + ε)", "eps-inside-sqrt"),
            ("θ − ηλθ/(v̂ + ε)", "forgot-sqrt"),
            ("1 − ηλ·(√v̂ + ε)", "multiplied"),
            ("ηλ/(√v̂ + ε)", "removed-share"),
            ("1 − λ/(√v̂ + ε)", "no-lr"),
        ],
        "1 − ηλ/√v̂",
    ),
}
RIGHT = [(stage, text) for stage, (right, _, _) in CASES.items() for text in right]
WRONG = [(stage, text, mistake) for stage, (_, wrong, _) in CASES.items() for text, mistake in wrong]
UNKNOWN = [(stage, text) for stage, (_, _, text) in CASES.items()]


def _id(value):
    return value.id if hasattr(value, "misconceptions") else None


@pytest.fixture
def no_sympy(monkeypatch):
    monkeypatch.setitem(sys.modules, "sympy", None)  # `import sympy` now raises ImportError


def test_every_new_stage_is_covered_here_with_every_misconception():
    new = [s for d in DERIVATIONS.values() if d.drill != "adam-bias" for s in d.stages]
    assert set(CASES) == set(new)
    for stage, (right, wrong, _) in CASES.items():
        assert len(right) >= 3, stage.id
        assert {m for _, m in wrong} == {m.id for m in stage.misconceptions}, stage.id


# -- Right answers, in several spellings ----------------------------------------------------------


@pytest.mark.parametrize("stage, text", RIGHT, ids=_id)
def test_equivalent_spellings_are_proved_by_sympy(stage, text):
    pytest.importorskip("sympy")
    result = check_stage(stage, text)
    assert result.verdict == "pass", result.message
    assert result.method == "symbolic"


@pytest.mark.parametrize("stage, text", RIGHT, ids=_id)
def test_equivalent_spellings_pass_numerically_without_sympy(stage, text, no_sympy):
    result = check_stage(stage, text)
    assert result.verdict == "pass", result.message
    assert result.method == "numeric" and "sympy is not installed" in result.note


# -- Misconceptions, each by name -----------------------------------------------------------------


@pytest.mark.parametrize("stage, text, misconception", WRONG, ids=_id)
def test_each_misconception_is_named_with_a_counterexample(stage, text, misconception):
    result = check_stage(stage, text)
    assert result.verdict == "fail"
    assert result.misconception is not None and result.misconception.id == misconception
    assert result.misconception.title in result.message
    assert result.counterexample is not None and "At " in result.message


@pytest.mark.parametrize("stage, text, misconception", WRONG, ids=_id)
def test_each_misconception_is_named_without_sympy_too(stage, text, misconception, no_sympy):
    result = check_stage(stage, text)
    assert result.verdict == "fail" and result.misconception.id == misconception


@pytest.mark.parametrize("stage, text", UNKNOWN, ids=_id)
def test_a_wrong_formula_outside_the_catalogue_fails_with_a_counterexample_only(stage, text):
    result = check_stage(stage, text)
    assert result.verdict == "fail" and result.misconception is None
    assert result.counterexample is not None and result.message.startswith("Not quite")
    assert result.counterexample["yours"] != pytest.approx(result.counterexample["expected"])


@pytest.mark.parametrize("stage, text", UNKNOWN, ids=_id)
def test_a_wrong_formula_outside_the_catalogue_fails_without_sympy(stage, text, no_sympy):
    result = check_stage(stage, text)
    assert result.verdict == "fail" and result.misconception is None and result.counterexample


@pytest.mark.parametrize("stage", list(CASES), ids=_id)
def test_every_misconception_is_wrong_and_diagnosed_as_itself(stage):
    for m in stage.misconceptions:
        result = check_stage(stage, m.formula)
        assert result.verdict == "fail", m.id
        assert result.misconception == m, (m.id, result.misconception)
        assert result.misconception.explanation


@pytest.mark.parametrize(
    "stage, text, at, yours, expected",
    [
        # all worked by hand at the first sample, which is meant to be checked by hand
        (HORIZON, "β/(1 − β)", {"b": 0.9}, 9.0, 10.0),
        (HALF_LIFE, "1/(1 − β)", {"b": 0.9}, 10.0, math.log(2) / -math.log(0.9)),
        (EFFECTIVE_STEP, "η", {"eta": 0.1, "mu": 0.9, "g": 1.0}, 0.1, 1.0),
        (STABILITY, "1/λ_max", {"lmax": 10.0}, 0.1, 0.2),
        (FIRST_STEP, "−η·g", {"eta": 0.1, "g": 2.0, "theta": 0.0}, -0.2, -0.1),
        (SGD_SHRINK, "1 − λ", {"eta": 0.1, "lam": 0.5, "theta": 1.0}, 0.5, 0.95),
        (L2_SHRINK, "1 − ηλ", {"eta": 0.1, "lam": 0.5, "v": 4.0, "eps": 0.0, "theta": 1.0}, 0.95, 0.975),
    ],
    ids=lambda v: v.id if hasattr(v, "id") else None,
)
def test_the_first_counterexample_is_one_you_can_check_by_hand(stage, text, at, yours, expected):
    result = check_stage(stage, text)
    assert result.counterexample == {"at": at, "yours": pytest.approx(yours), "expected": pytest.approx(expected)}


# -- How answers are read ---------------------------------------------------------------------------


def test_a_shrink_without_theta_is_the_factor_and_with_theta_the_new_theta():
    assert "read as the factor θ is multiplied by" in check_stage(SGD_SHRINK, "1 - eta*lam").message
    assert "read as" not in check_stage(SGD_SHRINK, "θ - η·λ·θ").message
    # ηλ alone is the share removed: read as a factor it shrinks θ to ηλ·θ
    assert check_stage(SGD_SHRINK, "ηλ").misconception.id == "removed-share"


def test_adams_first_step_may_be_written_as_the_change_or_as_the_new_theta():
    change = check_stage(FIRST_STEP, "−η·sign(g)")
    assert change.passed and "read as the step θ₁ − θ₀" in change.message
    assert check_stage(FIRST_STEP, "θ₁ = θ − η·sign(g)").passed
    assert check_stage(FIRST_STEP, "θ + η·sign(g)").misconception.id == "uphill"


def test_eps_is_neglected_in_the_first_step_but_kept_in_adams_l2_shrink():
    assert check_stage(FIRST_STEP, "−η·g/(abs(g) + ε)").passed  # ε → 0: the same as −η·sign(g)
    assert check_stage(L2_SHRINK, "1 − ηλ/√v̂").verdict == "fail"  # ε matters here


def test_a_run_of_one_letter_names_is_their_product():
    assert check_stage(SGD_SHRINK, "1 − ηλ").passed
    assert check_stage(ADAMW_SHRINK, "θ − ηλθ").passed


def test_a_run_with_a_letter_that_is_no_name_is_refused_listing_the_names():
    result = check_stage(SGD_SHRINK, "1 − ηx")
    assert result.verdict == "refused" and "unknown name 'ηx'" in result.message
    assert "η (eta), λ (lam), θ (theta)" in result.message


def test_a_function_name_before_a_spaced_argument_is_a_call_and_refusals_still_point_into_the_text():
    assert check_stage(HALF_LIFE, "ln 2 / −ln β").passed
    result = check_stage(HALF_LIFE, "k = ln 2/(−ln x)")
    assert result.verdict == "refused" and (result.refusal.line, result.refusal.col) == (1, 15)  # x


@pytest.mark.parametrize("stage", list(CASES), ids=_id)
def test_hostile_text_is_refused_in_every_stage(stage):
    for text in ("__import__('os').system('true')", "eta.real", "'x'", "lambda: 0"):
        assert check_stage(stage, text).verdict == "refused", text


# -- The registry -------------------------------------------------------------------------------------


def test_every_derivation_belongs_to_a_drill_and_stage_ids_are_unique():
    assert set(DERIVATIONS) == {"adam-bias", "sgd", "momentum", "adam", "adamw"}
    assert set(DERIVATIONS) <= set(DRILLS)
    ids = [s.id for s in derive.STAGES]
    assert len(ids) == len(set(ids)) and "rule" not in ids
    assert [s.id for s in DERIVATIONS["adam-bias"].stages] == ["expectation", "correction"]


def test_every_stage_samples_its_names_in_their_domains_and_its_answer_is_finite():
    for stage in derive.STAGES:
        points = derive.stage_samples(stage)
        for n in stage.names:
            assert len(n.domain.nice) == NICE_POINTS, (stage.id, n.name)
            values = points[n.name]
            assert len(values) == derive.SAMPLES
            if n.domain.fixed is not None:
                assert (values == n.domain.fixed).all()
            else:
                drawn = abs(values[NICE_POINTS:]) if n.domain.signed else values[NICE_POINTS:]
                assert drawn.min() >= n.domain.low and drawn.max() <= n.domain.high, (stage.id, n.name)
        expected = derive._as_estimate(stage, derive.parse_formula(stage, stage.expected))
        assert all(math.isfinite(v) for v in derive._values(stage, expected)), stage.id


def test_the_derivations_module_imports_nothing_heavy():
    code = "import sys, gdgrill.drill.derivations; print(sorted(m for m in ('numpy', 'sympy', 'yaml', 'torch') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- The command ----------------------------------------------------------------------------------------

RULES = {
    "sgd": "g = g + λ·θ\nθ = θ − η·g\n",
    "momentum": "buf = μ·buf + g\nθ = θ − η·buf\n",
    "adam": (
        "g = g + λ·θ\nm = β₁·m + (1 − β₁)·g\nv = β₂·v + (1 − β₂)·g²\n"
        "θ = θ − η·m/(1 − β₁ᵗ)/(√(v/(1 − β₂ᵗ)) + ε)\n"
    ),
    "adamw": (
        "θ = θ − η·λ·θ\nm = β₁·m + (1 − β₁)·g\nv = β₂·v + (1 − β₂)·g²\n"
        "θ = θ − η·m/(1 − β₁ᵗ)/(√(v/(1 − β₂ᵗ)) + ε)\n"
    ),
}
FORMULAS = {
    "sgd": ["η < 2/λ_max"],
    "momentum": ["N = 1/(1 − β)", "ln 2/(−ln β)", "η/(1 − μ)"],
    "adam": ["Δθ₁ = −η·sign(g)"],
    "adamw": ["1 − ηλ", "1 − ηλ", "1 − ηλ/(√v̂ + ε)"],
}
# the misconception each drill's wrong answer file makes in its first stage
FIRST_WRONG = {"sgd": ("1/λ_max", "one-over-l"), "momentum": ("β/(1 − β)", "mean-age"), "adam": ("−η·g", "sgd-step"), "adamw": ("1 − λ", "no-lr")}


def drill(*args, input=None):
    return runner.invoke(app, ["drill", *args], input=input)


def answer_file(name, formulas=None):
    return "\n".join(formulas or FORMULAS[name]) + "\n" + RULES[name]


@pytest.mark.parametrize("name", list(RULES))
def test_a_right_derivation_through_the_command_exits_0_and_saves_every_stage(isolated_home, name):
    text = answer_file(name)
    result = drill(name, "--derive", "--answer", "-", "--no-torch", input=text)
    assert result.exit_code == 0, result.output
    stages = DERIVATIONS[name].stages
    assert result.stdout.count("✓") == len(stages) + 1
    assert all(f"{n}. {s.title}" in result.stdout for n, s in enumerate(stages, start=1))
    [(item, grade, mode, answer, detail)] = logged_reviews(isolated_home)
    assert (item, grade, mode, answer) == (f"drill/{name}", "pass", "derive", text)
    saved = json.loads(detail)["derive"]
    assert set(saved) == {s.id for s in stages} | {"rule"}
    assert all(v == {"verdict": "pass", "misconception": None} for v in saved.values())


@pytest.mark.parametrize("name", list(RULES))
def test_a_misconception_through_the_command_exits_1_explains_it_and_saves_it(isolated_home, name):
    wrong, misconception = FIRST_WRONG[name]
    text = answer_file(name, [wrong, *FORMULAS[name][1:]])
    result = drill(name, "--derive", "--answer", "-", "--no-torch", input=text)
    assert result.exit_code == 1, result.output
    first = DERIVATIONS[name].stages[0]
    assert first.misconception(misconception).title in result.stdout
    [(_, grade, _, _, detail)] = logged_reviews(isolated_home)
    saved = json.loads(detail)["derive"]
    assert grade == "fail" and saved[first.id] == {"verdict": "fail", "misconception": misconception}
    assert saved["rule"]["verdict"] == "pass"


def test_json_has_one_object_per_stage_and_the_summary_names_them(isolated_home):
    text = answer_file("momentum", ["1/(1 − β)", "1/(1 − β)", "η/(1 − μ)"])
    result = drill("momentum", "--derive", "--answer", "-", "--no-torch", "--json", input=text)
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    d = data["derive"]
    assert list(d) == ["verdict", "horizon", "half_life", "effective_step", "rule"]
    assert d["half_life"]["misconception"] == "horizon" and d["half_life"]["counterexample"]["at"] == {"b": 0.9}
    assert data["message"] == "horizon: pass · half-life: fail · effective step: pass · rule: pass"


def test_sections_split_by_dashes_work_for_any_derivation(isolated_home):
    text = "# adamw\n1 − ηλ\n---\nθ ← θ − ηλθ\n---\n1 − ηλ/(√v̂ + ε)\n---\n" + RULES["adamw"]
    result = drill("adamw", "--derive", "--answer", "-", "--no-torch", input=text)
    assert result.exit_code == 0, result.output


def test_a_file_with_a_part_missing_names_the_parts_of_that_derivation(isolated_home):
    result = drill("momentum", "--derive", "--answer", "-", input="1/(1 − β)\n" + RULES["momentum"])
    assert result.exit_code == 2 and result.stderr.strip().count("\n") == 0
    assert "momentum have four parts: the horizon N, then the half-life, then η_eff, then the update rule" in result.stderr


def test_a_refused_formula_exits_2_pointing_at_its_line_and_saves_nothing(isolated_home):
    text = "η < 2/λ_max\n" + RULES["sgd"]
    text = text.replace("η < 2/λ_max", "η < 2/λ_max + os.system('true')")
    result = drill("sgd", "--derive", "--answer", "-", "--no-torch", input=text)
    assert result.exit_code == 2 and "line 1" in result.stderr and "Traceback" not in result.output
    assert logged_reviews(isolated_home) == []


def test_works_end_to_end_without_sympy(isolated_home, no_sympy):
    result = drill("adamw", "--derive", "--answer", "-", "--no-torch", "--json", input=answer_file("adamw"))
    assert result.exit_code == 0
    d = json.loads(result.stdout)["derive"]
    assert {d[s.id]["method"] for s in DERIVATIONS["adamw"].stages} == {"numeric"}


@pytest.mark.parametrize("name", list(RULES))
def test_piped_interactive_derivation_asks_every_stage_then_the_rule(isolated_home, name):
    steps = len(DERIVATIONS[name].stages) + 1
    keys = "\n".join(FORMULAS[name]) + "\n" + RULES[name] + "\n"
    result = drill(name, "--derive", "--no-torch", input=keys)
    assert result.exit_code == 0, result.output
    assert f"Step 1/{steps}" in result.stdout and f"Step {steps}/{steps} · The update rule" in result.stdout
    rows = logged_reviews(isolated_home)
    assert [(r[1], r[2]) for r in rows] == [("pass", "derive"), ("pass", "drill")]
    assert set(json.loads(rows[0][4])["derive"]) == {s.id for s in DERIVATIONS[name].stages}


def test_piped_interactive_wrong_then_retry_counts_the_first_try(isolated_home):
    keys = "1/λ_max\nr\n2/λ_max\n" + RULES["sgd"] + "\n"
    result = drill("sgd", "--derive", "--no-torch", input=keys)
    assert result.exit_code == 0, result.output
    assert "the textbook safe step" in " ".join(result.stdout.split())
    rows = logged_reviews(isolated_home)
    assert [(r[1], r[2]) for r in rows] == [("fail", "derive"), ("pass", "drill")]
    assert json.loads(rows[0][4])["derive"]["stability"] == {"verdict": "fail", "misconception": "one-over-l"}


def test_piped_interactive_show_reveals_the_derivation(isolated_home):
    keys = "η\ns\n" + RULES["adam"] + "\n"
    result = drill("adam", "--derive", "--no-torch", input=keys)
    assert result.exit_code == 1  # revealed: not every stage was answered right
    shown = " ".join(result.stdout.split())
    assert "≈ −η·sign(g)" in shown and "m̂₁ = g and v̂₁ = g²" in shown


def test_list_marks_the_drills_with_derive_stages(isolated_home):
    result = drill("list")
    assert result.exit_code == 0
    marked = {line.split()[0] for line in result.stdout.splitlines() if "✓" in line and line.split()[0] in DRILLS}
    assert marked == set(DERIVATIONS)
    data = json.loads(drill("list", "--json").stdout)
    assert {d["name"] for d in data if d["derive"]} == set(DERIVATIONS)


def test_the_flag_help_names_the_drills_with_derive_stages():
    result = runner.invoke(app, ["drill", "--help"])
    assert result.exit_code == 0 and "--derive" in result.stdout
    assert "momentum" in " ".join(result.stdout.split())
