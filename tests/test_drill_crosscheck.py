"""The cross-check after a pass is the real torch.optim (clip_grad_norm_, lr_scheduler) on the
device, against the user's rule run through torch there — not the rule against itself."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from gdgrill.drill.catalog import DRILLS  # noqa: E402
from gdgrill.drill.crosscheck import TOLERANCE, cross_check  # noqa: E402
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


def test_the_tolerances_are_per_dtype():
    assert TOLERANCE["float32"] < TOLERANCE["bfloat16"]


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
