"""Feedback that finds the mistake: a wrong rule is told which statement goes wrong and, when
one edit of it passes, what that edit is; NaN and inf are traced to where they arose; a
correct rule never gets a diagnosis.

The wrong answers live in tests/diagnosis_cases.py (written before the diagnosis code) and
tests/diagnosis_fresh_cases.py (written before being run). Measured on this branch: 106 of 106
and 45 of 45 get the expected specific diagnosis; the floor asserted below is the issue's 85 %.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

from diagnosis_cases import CASES, Expect
from diagnosis_fresh_cases import FRESH
from gdgrill.drill import diagnosis
from gdgrill.drill.catalog import DRILLS
from gdgrill.drill.judge import judge
from test_drill_verdicts import ACCEPTED_ODDITIES, CORRECT, VARIANT_ANSWERS

ALL = [("mine", name, text, expect) for name, cases in CASES.items() for text, expect in cases] + [
    ("fresh", name, text, expect) for name, cases in FRESH.items() for text, expect in cases
]


@functools.lru_cache(maxsize=None)
def verdict_of(name: str, text: str):
    return judge(DRILLS[name], text)


def shortfall(name: str, text: str, expect: Expect) -> str | None:
    """Why the diagnosis is not the expected one (None when it is)."""
    v = verdict_of(name, text)
    if v.verdict != "fail":
        return f"verdict {v.verdict}"
    d = v.diagnosis
    if expect.misconception and (v.misconception is None or v.misconception.id != expect.misconception):
        return f"misconception {v.misconception and v.misconception.id}, expected {expect.misconception}"
    if expect.repair_lines and (d.repair is None or d.repair.statement not in expect.repair_lines):
        return f"repair {d.repair}, expected on statement {expect.repair_lines}"
    if expect.wrong_line and (d.departure is None or d.departure.statement != expect.wrong_line):
        return f"first wrong statement {d.departure}, expected {expect.wrong_line}"
    missing = [w for w in expect.says if w.lower() not in d.text.lower()]
    if missing:
        return f"the diagnosis does not say {missing}"
    return None


@pytest.mark.parametrize("which,name,text,expect", [pytest.param(*case, id=f"{case[0]}-{case[1]}-{k}") for k, case in enumerate(ALL)])
def test_a_wrong_answer_gets_the_diagnosis_an_interviewer_would_give(which, name, text, expect):
    problem = shortfall(name, text, expect)
    assert problem is None, f"{problem}: {verdict_of(name, text).diagnosis.text}"


def test_at_least_85_percent_of_wrong_answers_get_a_specific_correct_diagnosis():
    for which in ("mine", "fresh"):
        cases = [c for c in ALL if c[0] == which]
        right = sum(shortfall(name, text, expect) is None for _, name, text, expect in cases)
        assert right / len(cases) >= 0.85, (which, right, len(cases))
    assert len([c for c in ALL if c[0] == "mine"]) >= 80


@pytest.mark.parametrize("which,name,text,expect", [pytest.param(*case, id=f"{case[0]}-{case[1]}-{k}") for k, case in enumerate(ALL) if case[3].repair_lines])
def test_the_reported_repair_really_passes(which, name, text, expect):
    """Applying the repair to the user's own text, as the message says, makes it pass."""
    v = verdict_of(name, text)
    repair = v.diagnosis.repair
    fixed = apply_repair(text, repair)
    assert judge(DRILLS[name], fixed).verdict == "pass", (repair, fixed)


def apply_repair(text: str, repair) -> str:
    lines = text.split("\n")
    if repair.edit == "replace" and repair.kind != "decay-form":
        line = lines[repair.line - 1]
        col = repair.col - 1
        assert line[col:].startswith(repair.before), (line, repair)
        lines[repair.line - 1] = line[:col] + repair.after + line[col + len(repair.before) :]
        return "\n".join(lines)
    if repair.edit == "replace":  # the decay's form: the whole line, statements split by ;
        lines[repair.line - 1] = repair.after
        return "\n".join(lines)
    if repair.edit == "delete":
        del lines[repair.line - 1]
        return "\n".join(lines)
    if repair.edit == "insert":
        lines.insert(repair.line - 1, repair.after)
        return "\n".join(lines)
    moved = lines.pop(repair.line - 1)
    anchor = repair.moves_to - (1 if repair.moves_to > repair.line else 0)  # 1-based, after the pop
    lines.insert(anchor - 1 if repair.position == "before" else anchor, moved)
    return "\n".join(lines)


# -- Correct answers never get a diagnosis --------------------------------------------------------

RIGHT = [(n, t) for n, texts in CORRECT.items() for t in texts] + VARIANT_ANSWERS + ACCEPTED_ODDITIES


@pytest.mark.parametrize("name,text", RIGHT)
def test_a_correct_answer_or_an_accepted_variant_never_gets_a_diagnosis(name, text):
    v = judge(DRILLS[name], text)
    assert v.verdict == "pass", v.message
    assert v.diagnosis is None
    d = v.to_dict()
    assert d["diagnosis"] is None and d["repair"] is None and d["first_wrong_statement"] is None


# -- What a fail carries ---------------------------------------------------------------------------


def test_every_fail_carries_a_diagnosis_in_its_json():
    v = judge(DRILLS["rmsprop"], "v = rho*v + g^2\np = p - lr*g/(sqrt(v) + eps)")
    d = v.to_dict()
    assert d["verdict"] == "fail" and isinstance(d["diagnosis"], str) and d["diagnosis"]
    assert d["diagnosis"] in d["message"]
    assert d["repair"] == {"line": 1, "col": 13, "statement": 1, "from": "g^2", "to": "(1 - rho)*g^2", "edit": "replace"}
    assert d["first_wrong_statement"]["line"] == 1 and d["first_wrong_statement"]["reference"] == "v"
    assert d["misconception"] is None and d["nonfinite"] is None


def test_a_catalogued_mistake_keeps_its_name_and_gets_the_repair_too():
    v = judge(DRILLS["adam-bias"], "m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^t))/sqrt(v/(1-b2^t) + eps)")
    assert v.misconception.id == "eps-inside-sqrt"
    assert v.diagnosis.text.startswith("ε inside the square root.")
    assert v.diagnosis.repair.before == "sqrt(v/(1-b2^t) + eps)" and v.diagnosis.repair.after == "(sqrt(v/(1-b2^t)) + eps)"


def test_a_wrong_rule_with_no_single_repair_is_still_told_which_line_goes_wrong():
    v = judge(DRILLS["lion"], "p = p - lr*(sign(g) + wd*p)")
    d = v.diagnosis
    assert d.repair is None and d.departure.line == 1
    assert "keeps no state" in d.text and "momentum" in d.text


def test_the_diagnosis_quotes_the_users_own_notation():
    v = judge(DRILLS["adam-bias"], "m = β₁·m + (1−β₁)·g\nv = β₂·v + (1−β₂)·g\nθ = θ − η·(m/(1−β₁ᵗ))/(√(v/(1−β₂ᵗ)) + ε)")
    r = v.diagnosis.repair
    assert (r.line, r.before, r.after) == (2, "g", "g^2")
    assert "`(1−β₂)·g`" not in v.diagnosis.text  # the smallest piece that changes, not the whole term


def test_a_rule_that_uses_the_other_sign_convention_is_localised_past_it():
    # v = μ·v − η·g is −η times torch's buffer: fine; the mistake is the missing η on line 2
    v = judge(DRILLS["nesterov"], "v = mu*v - lr*g\np = p + mu*v - g")
    assert v.diagnosis.departure.line == 2 and v.diagnosis.repair.line == 2


# -- NaN and inf --------------------------------------------------------------------------------------


def test_a_nan_from_the_root_of_a_negative_number_is_not_called_a_zero_based_t():
    # every θ is NaN from step 1, as with 1 − β⁰ = 0: it used to be labelled that mistake
    v = judge(DRILLS["adam-bias"], "m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^t))/(sqrt(-1 - v) + eps)")
    assert v.misconception is None
    assert v.diagnosis.nonfinite.kind == "sqrt-of-negative" and v.diagnosis.nonfinite.line == 3
    assert "square root of a negative number" in v.diagnosis.text


def test_an_average_of_g_instead_of_g_squared_is_traced_to_its_negative_root():
    v = judge(DRILLS["adam-bias"], "m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g\np = p - lr*(m/(1-b1^t))/(sqrt(v/(1-b2^t)) + eps)")
    assert v.misconception is None
    assert v.diagnosis.nonfinite.kind == "sqrt-of-negative" and v.diagnosis.nonfinite.step == 1
    assert v.diagnosis.repair.statement == 2 and v.diagnosis.repair.after == "g^2"
    assert v.to_dict()["nonfinite"] == {"line": 3, "step": 1, "instance": "standard normal gradients", "value": "nan", "cause": "sqrt-of-negative"}


def test_the_zero_based_t_is_still_named_and_traced_to_its_division_by_zero():
    v = judge(DRILLS["adam-bias"], "m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1 - b1^(t - 1)))/(sqrt(v/(1 - b2^(t - 1))) + eps)")
    assert v.misconception.id == "bias-correction-zero-based"
    assert v.diagnosis.nonfinite.kind == "division-by-zero" and v.diagnosis.nonfinite.step == 1


def test_an_overflow_is_called_an_overflow():
    v = judge(DRILLS["sgd"], "p = p - lr*exp(1000*g)")
    assert v.diagnosis.nonfinite.kind == "overflow" and v.diagnosis.nonfinite.value == "inf"
    assert "overflows" in v.diagnosis.text


# -- Bounds --------------------------------------------------------------------------------------------


def test_the_repair_search_stops_at_its_work_budget():
    # no single edit fixes signed momentum with one beta: the search runs to its budget and stops
    v = judge(DRILLS["lion"], "m = b1*m + (1 - b1)*g\np = p - lr*(sign(m) + wd*p)")
    assert v.diagnosis.repair is None
    assert v.diagnosis.work <= diagnosis.WORK_BUDGET + 200


def test_the_diagnosis_never_imports_a_command_module_or_torch():
    tree = ast.parse(Path(diagnosis.__file__).read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(m and (m.startswith("gdgrill.commands") or m == "gdgrill.drill.command" or m.startswith("torch")) for m in imported)


def test_a_repair_of_a_compound_assignment_quotes_the_whole_line():
    v = judge(DRILLS["sgd"], "p += lr*(g + wd*p)")
    r = v.diagnosis.repair
    assert (r.line, r.col, r.before, r.after) == (1, 1, "p += lr*(g + wd*p)", "p = p - lr*(g + wd*p)")
    assert judge(DRILLS["sgd"], apply_repair("p += lr*(g + wd*p)", r)).verdict == "pass"


def test_a_repair_may_land_on_an_accepted_variant():
    # Kingma & Ba's ε̂ form with β₁ and 1 − β₁ the wrong way round in m: fixing m makes it the variant
    text = "m = (1-b1)*m + b1*g\nv = b2*v + (1-b2)*g^2\np = p - lr*sqrt(1-b2^t)/(1-b1^t)*m/(sqrt(v) + eps)"
    v = judge(DRILLS["adam-bias"], text)
    assert v.diagnosis.repair is not None and v.diagnosis.repair.statement == 1
    assert judge(DRILLS["adam-bias"], apply_repair(text, v.diagnosis.repair)).variant.id == "eps-hat"


def test_random_edits_of_every_reference_never_break_the_judge():
    """Rules one to three random edits away from each reference: a verdict every time, and
    a diagnosis (with its JSON) for every fail."""
    import random

    rng = random.Random(7)
    for d in DRILLS.values():
        rule = diagnosis.reference_rule(d)
        search = diagnosis.Search(d, rule, rule, diagnosis.Runner(d, diagnosis.make_cases(d)))
        edits = [e for i in range(len(rule.statements)) for e in search.single_edits(i, True)]
        write = diagnosis.Writer("", {})
        for _ in range(3):
            statements = list(rule.statements)
            picked = {e[1]: e for e in rng.sample(edits, rng.choice([1, 2, 3]))}  # one edit per statement
            for _kind, i, path, _old, new in picked.values():
                s = statements[i]
                statements[i] = diagnosis.Assign(s.target, diagnosis.replace_at(s.value, path, new), s.line, s.col)
            text = "\n".join(f"{s.target} = {write(s.value, keep_original=False)}" for s in statements)
            v = judge(d, text)
            assert v.verdict in ("pass", "fail", "refused"), text
            if v.verdict == "fail":
                assert v.diagnosis.text and v.to_dict()["diagnosis"] == v.diagnosis.text, text


def test_a_diagnosis_that_breaks_still_leaves_the_verdict_and_where_it_differs(monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("boom")

    monkeypatch.setattr(diagnosis, "diagnose", broken)
    v = judge(DRILLS["sgd"], "p = p + lr*(g + wd*p)")
    assert v.verdict == "fail" and v.misconception.id == "step-uphill"
    assert v.diagnosis.text.startswith("Stepping uphill (+ instead of −). θ[") and "first differs" in v.diagnosis.text
