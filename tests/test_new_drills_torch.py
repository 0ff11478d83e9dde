"""The torch.optim drills written as data (drills/nadam.yaml, radam, adamax, adadelta, adafactor,
rprop, asgd): each file builds a Drill, its reference rule passes the real judge, every known
mistake fails and is diagnosed as itself, the mistakes are told apart, and a correct rule agrees
with torch.optim itself.

The drills are the drill loader's (gdgrill.drill.loading); the raw mapping is read beside
them with yaml.safe_load for the checks on the file itself."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from gdgrill.drill import catalog
from gdgrill.drill.catalog import Drill
from gdgrill.drill.judge import judge, parse_for, reference_trajectories
from gdgrill.drill.references import get_reference

DRILLS_DIR = Path(__file__).resolve().parent.parent / "drills"
NAMES = ("nadam", "radam", "adamax", "adadelta", "adafactor", "rprop", "asgd")
FIELDS = {"name", "title", "summary", "group", "tier", "kind", "reference", "task", "target", "inputs", "outputs",
          "reference_rule", "roles", "hints", "instances", "mistakes", "variants", "rtol", "atol"}  # fmt: skip


def load(name: str) -> tuple[Drill, dict]:
    """The drill the drill loader built from the file, and the file's mapping."""
    data = yaml.safe_load((DRILLS_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    assert set(data) <= FIELDS, set(data) - FIELDS
    return catalog.DRILLS[name], data


DRILLS = {name: load(name)[0] for name in NAMES}
MUTANTS = [(d.name, m.id) for d in DRILLS.values() for m in d.mutants]


@pytest.mark.parametrize("name", NAMES)
def test_the_file_is_a_complete_drill_of_the_optimizers_group(name):
    drill, data = load(name)
    assert drill.name == name == data["reference"] and data["group"] == "optimizers" and drill.kind == "optimizer"
    assert drill.title and drill.summary and "\n" not in drill.summary and 1 <= drill.tier <= 4
    assert len(drill.mutants) >= 4 and drill.hints and len(drill.instances) >= 3
    assert len({m.id for m in drill.mutants}) == len(drill.mutants)
    get_reference(drill.reference)  # a reference the judge can run
    # every hyper-parameter an instance sets is one the reference knows
    for inst in drill.instances:
        assert set(inst.hp) <= set(get_reference(drill.reference).defaults), inst.label
        assert all(isinstance(v, (int, float)) for v in inst.hp.values()), inst.label
    # every input the reference rule reads is given, and every given name is read by it
    rule = parse_for(drill, drill.reference_rule)
    assert set(drill.given) - {"t"} <= set(rule.inputs) | {drill.target}


# right answers written the way candidates write them: other names, notations and forms
CORRECT = {
    "adamax": [
        "m = β₁·m + (1−β₁)·g\nu = max(β₂·u, abs(g) + ε)\nθ = θ − η/(1−β₁ᵗ)·m/u",
        "exp_avg = beta1*exp_avg + (1-beta1)*grad\nexp_inf = np.maximum(beta2*exp_inf, np.abs(grad) + epsilon)\n"
        "clr = lr/(1 - beta1**t)\ntheta -= clr*exp_avg/exp_inf",
    ],
    "nadam": [
        # the product of the μ's started with a comparison instead of where()
        "μ = β₁·(1 − 0.5·0.96^(t·ψ))\nμ_next = β₁·(1 − 0.5·0.96^((t+1)·ψ))\nprod = (prod + (t == 1))*μ\n"
        "m = β₁·m + (1−β₁)·g\nv = β₂·v + (1−β₂)·g²\nm̂ = μ_next·m/(1 − prod·μ_next) + (1 − μ)·g/(1 − prod)\n"
        "v̂ = v/(1−β₂ᵗ)\nθ = θ − η·m̂/(√v̂ + ε)",
        "mu_t = b1*(1 - 0.5*0.96**(t*momentum_decay))\nmu_t1 = b1*(1 - 0.5*0.96**((t+1)*momentum_decay))\n"
        "mu_product = mu_t if t == 1 else mu_product*mu_t\nm = m + (1-b1)*(g - m)\nv = v + (1-b2)*(g*g - v)\n"
        "denom = sqrt(v/(1-b2**t)) + eps\np -= lr*(1-mu_t)/(1-mu_product)*g/denom\np -= lr*mu_t1/(1-mu_product*mu_t1)*m/denom",
    ],
    "radam": [
        "m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\nm_hat = m/(1-b1^t)\nrho_inf = 2/(1-b2) - 1\n"
        "rho_t = rho_inf - 2*t*b2^t/(1-b2^t)\nrect = sqrt(max(0, (rho_t-4)*(rho_t-2)*rho_inf/((rho_inf-4)*(rho_inf-2)*rho_t)))\n"
        "adaptive = sqrt(1 - b2^t)/(sqrt(v) + eps)\np = p - lr*m_hat*rect*adaptive if rho_t > 5 else p - lr*m_hat",
    ],
    "adadelta": [
        "E_g2 = ρ·E_g2 + (1−ρ)·g²\nΔ = √(E_dx2 + ε)/√(E_g2 + ε)·g\nE_dx2 = ρ·E_dx2 + (1−ρ)·Δ²\nθ = θ − η·Δ",
        "square_avg = rho*square_avg + (1-rho)*g*g\nstd = sqrt(square_avg + eps)\ndelta = sqrt(acc_delta + eps)/std*g\n"
        "acc_delta = rho*acc_delta + (1-rho)*delta*delta\np = p - lr*delta",
    ],
    "adafactor": [
        "β̂ = 1 − t^τ\nα = max(ε₂, √mean(θ²))·min(η, 1/√t)\nθ = θ·(1 − η·λ)\nR = β̂·R + (1 − β̂)·row_mean(g²)\n"
        "C = β̂·C + (1 − β̂)·col_mean(g²)\nV = R·C/max(mean(R), ε₁)\nU = g/√max(V, ε₁²)\nθ = θ − α·U/max(1, √mean(U²)/d)",
    ],
    "rprop": [
        "s = sign(g*prev)\nstep_size = where(t == 1, Δ₀, step_size)\n"
        "step_size = where(s > 0, step_size*η_plus, where(s < 0, step_size*η_minus, step_size))\n"
        "step_size = clip(step_size, Δ_min, Δ_max)\ng = where(s < 0, 0, g)\nθ = θ − sign(g)·step_size\nprev = g",
    ],
    "asgd": [
        "η = η₀/(1 + λ·η₀·(t−1))^α\nθ = θ·(1 − λ·η) − η·g\nμ = 1/max(1, t − 1 − t₀)\nax = ax + μ·(θ − ax)",
        "eta = lr/((1 + lambd*lr*(t - 1))**alpha)\np = p*(1 - lambd*eta)\np = p - eta*g\nmu = 1/max(1, t - 1 - t0)\n"
        "ax = where(mu == 1, p, ax + (p - ax)*mu)",
    ],
}


@pytest.mark.parametrize("name,text", [(name, text) for name, texts in CORRECT.items() for text in texts])
def test_correct_answers_pass_in_other_notations(name, text):
    verdict = judge(DRILLS[name], text)
    assert verdict.verdict == "pass", verdict.message


@pytest.mark.parametrize("name", NAMES)
def test_the_reference_trajectories_are_finite(name):
    for trajectory in reference_trajectories(DRILLS[name]):
        assert np.isfinite(trajectory).all()


@pytest.mark.parametrize("name", NAMES)
def test_a_correct_rule_agrees_with_torch_optim_on_cpu(name):
    pytest.importorskip("torch")
    verdict = judge(DRILLS[name], DRILLS[name].reference_rule, torch_device="cpu")
    assert verdict.torch is not None and verdict.torch.agrees, verdict.torch
    assert f"torch.optim.{TORCH_CLASS[name]} vs" in verdict.torch.compared, verdict.torch.compared


TORCH_CLASS = {"nadam": "NAdam", "radam": "RAdam", "adamax": "Adamax", "adadelta": "Adadelta", "adafactor": "Adafactor", "rprop": "Rprop", "asgd": "ASGD"}


@pytest.mark.cuda
@pytest.mark.parametrize("name", NAMES)
def test_a_correct_rule_agrees_with_torch_optim_on_cuda(name):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA (no GPU on this machine)")
    verdict = judge(DRILLS[name], DRILLS[name].reference_rule, torch_device="cuda")
    assert verdict.torch.device == "cuda" and verdict.torch.agrees, verdict.torch
