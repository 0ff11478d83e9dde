"""The cross-check after a pass is the real torch.optim (clip_grad_norm_, lr_scheduler) on the
device, against the user's rule run through torch there — not the rule against itself."""

from __future__ import annotations

import sys

import numpy as np

import pytest

torch = pytest.importorskip("torch")

from gdgrill.drill.catalog import DRILLS  # noqa: E402
from gdgrill.drill.crosscheck import TOLERANCE, cross_check, skipped  # noqa: E402
from gdgrill.drill.judge import judge, parse_for  # noqa: E402

ADAM = "m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^t))/(sqrt(v/(1-b2^t)) + eps)"


def test_the_adaptive_methods_are_checked_in_float32_and_bfloat16_against_torch_optim():
    check = cross_check(DRILLS["adam-bias"], parse_for(DRILLS["adam-bias"], ADAM), "cpu")
    assert check.compared == "torch.optim.Adam vs your rule run through torch (float32, bfloat16, cpu)"
    assert [c.dtype for c in check.checks] == ["float32", "bfloat16"]
    assert check.agrees and all(c.max_abs_diff <= c.tolerance for c in check.checks)
    assert check.to_dict()["checks"][1]["dtype"] == "bfloat16"


def test_it_runs_torch_optim_itself(monkeypatch):
    """A torch.optim.Adam that moves θ a little further must show up as a disagreement."""

    class Drifting(torch.optim.Adam):
        def step(self, closure=None):
            out = super().step(closure)
            with torch.no_grad():
                for group in self.param_groups:
                    for p in group["params"]:
                        p.add_(1e-3)
            return out

    monkeypatch.setattr(torch.optim, "Adam", Drifting)
    check = cross_check(DRILLS["adam-bias"], parse_for(DRILLS["adam-bias"], ADAM), "cpu")
    assert check.agrees is False
    assert check.checks[0].max_abs_diff > check.checks[0].tolerance


def test_clip_grad_norm_is_the_real_one(monkeypatch):
    real = torch.nn.utils.clip_grad_norm_
    calls = []

    def spy(parameters, max_norm, *args, **kwargs):
        calls.append(max_norm)
        return real(parameters, max_norm, *args, **kwargs)

    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", spy)
    assert judge(DRILLS["clip-norm"], DRILLS["clip-norm"].reference_rule, torch_device="cpu").torch.agrees
    assert len(calls) == sum(i.steps for i in DRILLS["clip-norm"].instances)


def test_the_accepted_eps_hat_form_is_said_to_differ_from_torch_where_eps_matters():
    text = "m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*sqrt(1-b2^t)/(1-b1^t)*m/(sqrt(v) + eps)"
    v = judge(DRILLS["adam-bias"], text, torch_device="cpu")
    assert v.verdict == "pass" and v.variant.id == "eps-hat"
    assert v.torch.agrees is False  # torch.optim.Adam puts ε after the corrected root


class OneInstanceAdam(torch.optim.Adam):
    """torch.optim.Adam, except on the one matrix instance of adam-bias (the others are
    vectors), where ``spoil`` changes θ after each step."""

    spoil = staticmethod(lambda p: None)

    def step(self, closure=None):
        out = super().step(closure)
        with torch.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.ndim == 2:
                        type(self).spoil(p)
        return out


def spoiled_adam(monkeypatch, spoil):
    assert sum(len(i.shape) == 2 for i in DRILLS["adam-bias"].instances) == 1 < len(DRILLS["adam-bias"].instances)
    monkeypatch.setattr(OneInstanceAdam, "spoil", staticmethod(spoil))
    monkeypatch.setattr(torch.optim, "Adam", OneInstanceAdam)
    return cross_check(DRILLS["adam-bias"], parse_for(DRILLS["adam-bias"], ADAM), "cpu")


def test_a_nan_in_one_instance_only_is_a_disagreement_in_every_dtype(monkeypatch):
    """torch gives NaN where the rule gives a number, on one instance of four; every finite
    value still agrees, so only the comparison of where each is finite can tell."""
    check = spoiled_adam(monkeypatch, lambda p: p[0, 0].fill_(float("nan")))
    assert check.agrees is False
    assert [(c.dtype, c.agrees) for c in check.checks] == [("float32", False), ("bfloat16", False)]
    assert all(c.max_abs_diff <= c.tolerance for c in check.checks)  # the NaN is not a |Δ|
    assert check.to_dict()["agrees"] is False and [c["agrees"] for c in check.to_dict()["checks"]] == [False, False]


def test_an_inf_in_one_instance_only_is_a_disagreement(monkeypatch):
    check = spoiled_adam(monkeypatch, lambda p: p[1, 2].fill_(float("inf")))
    assert check.agrees is False and not any(c.agrees for c in check.checks)


def test_a_drift_in_one_instance_fails_float32_but_not_bfloat16(monkeypatch):
    """The tolerance is per dtype: 1e-3 on θ of size ~1 is far beyond float32's 1e-5
    relative tolerance and within bfloat16's 2e-2."""
    check = spoiled_adam(monkeypatch, lambda p: p.add_(1e-3))
    assert check.agrees is False
    f32, bf16 = check.checks
    assert (f32.dtype, f32.agrees, bf16.dtype, bf16.agrees) == ("float32", False, "bfloat16", True)
    assert f32.tolerance < 1e-3 < f32.max_abs_diff and bf16.max_abs_diff <= bf16.tolerance
    assert f32.tolerance == pytest.approx(TOLERANCE["float32"] * max(abs(float(x)) for x in _adam_values()), rel=1e-2)


def _adam_values():
    """Every θ torch.optim.Adam produces on adam-bias's instances, in float32."""
    from gdgrill.drill.crosscheck import torch_trajectory
    from gdgrill.drill.judge import problems

    return [v for pr in problems(DRILLS["adam-bias"]) for v in torch_trajectory(DRILLS["adam-bias"], pr, torch, torch.float32, "cpu").ravel()]


# A rule the judge runs in float64 numpy (10^(400·t) is inf there, 1/inf is 0: plain Adam) but
# torch cannot: torch.optim keeps hyper-parameters and t as Python floats, and 10.0**400 overflows.
ADAM_OVERFLOWING = ADAM + "*(1 + 1/10^(400*t))"
COULD_NOT_RUN = "torch could not run your rule in float32: cannot evaluate this line: a number overflows"


def test_a_rule_torch_cannot_run_is_said_so_and_does_not_agree():
    v = judge(DRILLS["adam-bias"], ADAM_OVERFLOWING, torch_device="cpu")
    assert v.verdict == "pass"  # the verdict is numpy's, in float64
    assert v.torch.agrees is False and v.torch.note == COULD_NOT_RUN and v.torch.checks == ()
    assert v.torch.compared == "torch.optim.Adam vs your rule run through torch (float32, bfloat16, cpu)"


def test_a_rule_torch_refuses_in_bfloat16_keeps_the_float32_check(monkeypatch):
    """The torch backend's functions refusing in bfloat16 only: float32's check stands, and
    the note names bfloat16."""
    from gdgrill.drill import language

    real = language.torch_backend

    def backend(dtype=None, device="cpu"):
        made = real(dtype, device)
        if dtype is torch.bfloat16:
            def refuse(*args):
                raise language.EvaluationError("sqrt is not there in bfloat16")
            made.functions["sqrt"] = refuse
        return made

    monkeypatch.setattr(language, "torch_backend", backend)
    check = cross_check(DRILLS["adam-bias"], parse_for(DRILLS["adam-bias"], ADAM), "cpu")
    assert check.agrees is False
    assert check.note == "torch could not run your rule in bfloat16: cannot evaluate this line: sqrt is not there in bfloat16"
    assert [(c.dtype, c.agrees) for c in check.checks] == [("float32", True)]


def test_without_torch_the_check_is_skipped_with_a_note(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` raises ImportError
    check = cross_check(DRILLS["adam-bias"], parse_for(DRILLS["adam-bias"], ADAM), "cpu")
    assert check.agrees is None and check.note == "torch is not installed; skipped" and check.checks == ()
    assert check.to_dict() == {"device": "cpu", "compared": "nothing (the check did not run)", "agrees": None,
                               "dtype": "float32", "max_abs_diff": None, "tolerance": None, "checks": [],
                               "note": "torch is not installed; skipped"}


def test_cuda_is_skipped_with_a_note_when_there_is_none():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    check = cross_check(DRILLS["sgd"], parse_for(DRILLS["sgd"], "p = p - lr*(g + wd*p)"), "cuda")
    assert check.agrees is None and "CUDA" in check.note


@pytest.mark.cuda
@pytest.mark.parametrize("name", list(DRILLS))
def test_on_cuda_torch_optim_and_the_rule_agree(name):
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA (no GPU on this machine)")
    check = judge(DRILLS[name], DRILLS[name].reference_rule, torch_device="cuda").torch
    assert check.device == "cuda" and check.agrees, check


# -- what torch itself produced: float64 numpy, computed in the dtype asked ------------------------


@pytest.mark.parametrize("name", ["weight-ema", "grad-accumulation", "loss-scaling", "adam-bias", "lion", "clip-norm"])
def test_torch_runs_each_drill_in_the_dtype_asked_and_hands_back_float64_numpy(name):
    from gdgrill.drill.crosscheck import torch_trajectory
    from gdgrill.drill.judge import problems

    drill = DRILLS[name]
    for problem in problems(drill)[:2]:
        theirs = torch_trajectory(drill, problem, torch, torch.float32, "cpu")
        assert isinstance(theirs, np.ndarray) and theirs.dtype == np.float64
        assert theirs.shape == (problem.steps, *np.shape(problem.grads[0]))  # a clip drill has no θ: the clipped g
        # float32 arithmetic: every figure is a float32 number (a float64 run would not be)
        assert np.array_equal(theirs.astype(np.float32).astype(np.float64), theirs, equal_nan=True), name
        assert len(np.unique(theirs)) > 2  # real figures, not a constant


def test_the_json_of_a_check_carries_the_first_dtypes_gap_and_tolerance():
    check = cross_check(DRILLS["adam-bias"], parse_for(DRILLS["adam-bias"], ADAM), "cpu")
    data = check.to_dict()
    first = check.checks[0]
    assert (data["dtype"], data["max_abs_diff"], data["tolerance"]) == ("float32", first.max_abs_diff, first.tolerance)
    assert isinstance(data["max_abs_diff"], float) and 0 < data["tolerance"]
    assert [c["dtype"] for c in data["checks"]] == ["float32", "bfloat16"] and data["agrees"] is True
    none = skipped("cuda", "CUDA is not available; skipped").to_dict()
    assert (none["agrees"], none["max_abs_diff"], none["tolerance"], none["checks"]) == (None, None, None, [])
