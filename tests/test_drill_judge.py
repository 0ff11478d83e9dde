"""The judge: right answers pass in any notation, each known mistake is diagnosed as itself."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from gdgrill.drill.catalog import DRILLS
from gdgrill.drill.judge import judge, problems, reference_trajectories, rule_trajectory, parse_for

MUTANTS = [(d.name, m.id) for d in DRILLS.values() for m in d.mutants]
VARIANTS = [(d.name, v.id) for d in DRILLS.values() for v in d.variants]


def test_the_catalog_has_the_twelve_drills_of_the_issue():  # every drill's own checks, below, run over all of DRILLS
    assert {"sgd", "momentum", "nesterov", "rmsprop", "adagrad", "adam", "adam-bias", "adamw", "amsgrad", "lion", "clip-norm", "warmup-cosine"} <= set(DRILLS)
    for d in DRILLS.values():
        assert d.title and d.summary and "\n" not in d.summary and 1 <= d.tier <= 4
        assert d.hints and d.instances and d.mutants


@pytest.mark.parametrize("name", list(DRILLS))
def test_the_reference_rule_passes_its_own_drill(name):
    verdict = judge(DRILLS[name], DRILLS[name].reference_rule)
    assert verdict.verdict == "pass", verdict.message
    assert verdict.misconception is None and verdict.first_difference is None
    assert verdict.variant is None  # it matches the reference itself, not an accepted variant


@pytest.mark.parametrize("name,mutant_id", MUTANTS)
def test_each_known_mistake_is_diagnosed_as_itself(name, mutant_id):
    drill = DRILLS[name]
    verdict = judge(drill, drill.mutant(mutant_id).rule)
    assert verdict.verdict == "fail", f"{mutant_id} passes"
    assert verdict.misconception is not None and verdict.misconception.id == mutant_id, verdict.message
    assert verdict.first_difference is not None
    assert verdict.diagnosis is not None and verdict.diagnosis.text


@pytest.mark.parametrize("name", list(DRILLS))
def test_known_mistakes_are_told_apart_from_each_other(name):
    drill = DRILLS[name]
    trajectories = {m.id: [rule_trajectory(drill, parse_for(drill, m.rule), pr) for pr in problems(drill)] for m in drill.mutants}
    ids = list(trajectories)
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            same = all(
                np.allclose(x, y, rtol=drill.rtol, atol=drill.atol, equal_nan=True) for x, y in zip(trajectories[a], trajectories[b])
            )
            assert not same, f"{name}: {a} and {b} are indistinguishable on the instances"


@pytest.mark.parametrize("name", list(DRILLS))
def test_every_explanation_is_interview_grade_prose(name):
    for m in DRILLS[name].mutants:
        assert m.title and "\n" not in m.explanation, m.id
        assert len(m.explanation.split()) >= 15 and m.explanation.rstrip().endswith((".", ")")), m.id


@pytest.mark.parametrize("name,variant_id", VARIANTS)
def test_accepted_variants_pass_and_are_named(name, variant_id):
    drill = DRILLS[name]
    variant = next(v for v in drill.variants if v.id == variant_id)
    verdict = judge(drill, variant.rule)
    assert verdict.verdict == "pass" and verdict.variant is not None and verdict.variant.id == variant_id


CORRECT_NOTATIONS = {
    "momentum": [
        "v = β·v − η·g\nθ = θ + v",
        "velocity = mu*velocity + grad\ntheta -= lr*velocity",
        "buf = momentum*buf + g; w = w - eta*buf",
    ],
    "nesterov": [
        "v = μ·v − η·g\nθ = θ + μ·v − η·g",
        "b = mu*b + g\nstep = g + mu*b\np -= lr*step",
    ],
    "sgd": ["θ ← θ − η·(g + λ·θ)", "p = p*(1 - lr*weight_decay) - lr*grad"],
    "rmsprop": ["s = α·s + (1−α)·g²\nθ = θ − η·g/(√s + ε)", "v = rho*v + (1-rho)*g*g\np -= lr * g / (v**0.5 + eps)"],
    "adagrad": ["G += g^2\nθ -= η·g/(√G + ε)"],
    "adam-bias": [
        "m = β₁·m + (1−β₁)·g\nv = β₂·v + (1−β₂)·g²\nm̂ = m/(1−β₁ᵗ)\nv̂ = v/(1−β₂ᵗ)\nθ = θ − α·m̂/(√v̂ + ε)",
        "m_t = beta1*m_{t-1} + (1-beta1)*g_t\nv_t = beta2*v_{t-1} + (1-beta2)*g_t^2\ntheta = theta - lr*(m_t/(1-beta1**t))/(sqrt(v_t/(1-beta2**t)) + eps)",
        "m = m + (1 - b1)*(g - m)\nv = v + (1 - b2)*(g*g - v)\nstep_size = lr/(1 - b1^t)\ndenom = sqrt(v)/sqrt(1 - b2^t) + eps\np = p - step_size*m/denom",
    ],
    "adamw": ["θ = θ − η·λ·θ\nm = β₁·m + (1−β₁)·g\nv = β₂·v + (1−β₂)·g²\nθ = θ − η·(m/(1−β₁ᵗ))/(√(v/(1−β₂ᵗ)) + ε)"],
    "lion": ["c = β₁·m + (1−β₁)·g\nθ = θ − η·(sign(c) + λ·θ)\nm = β₂·m + (1−β₂)·g", "update = sign(b1*m + (1-b1)*g)\nm = b2*m + (1-b2)*g\np = p*(1 - lr*wd) - lr*update"],
    "clip-norm": [
        "n = ‖g‖\ng = g·min(1, max_norm/n)",  # no 1e-6 guard: harmless
        "g = where(norm(g) > max_norm, g*max_norm/norm(g), g)",
        "scale = min(1.0, c/(sqrt(sum(g^2)) + 1e-6))\ng *= scale",
    ],
    "warmup-cosine": [
        "η = where(t < W, η_max·t/W, η_min + ½·(η_max − η_min)·(1 + cos(π·(t − W)/(T − W))))".replace("½·", "0.5*"),
        "progress = (t - warmup)/(total - warmup)\nlr = lr_max*t/warmup if t <= warmup else lr_min + 0.5*(lr_max - lr_min)*(1 + cos(pi*progress))",
    ],
}


@pytest.mark.parametrize("name,text", [(n, t) for n, texts in CORRECT_NOTATIONS.items() for t in texts])
def test_correct_answers_pass_in_several_notations(name, text):
    verdict = judge(DRILLS[name], text)
    assert verdict.verdict == "pass", verdict.message


def test_eps_inside_the_root_is_diagnosed_with_where_it_first_differs():
    text = "m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g^2\np = p - lr*(m/(1-b1^t))/sqrt(v/(1-b2^t) + eps)"
    verdict = judge(DRILLS["adam-bias"], text)
    diff = verdict.first_difference
    assert verdict.misconception.id == "eps-inside-sqrt"
    assert diff.step == 1 and diff.quantity.startswith("θ[")
    assert "tiny" in diff.instance  # the instance that shows the mistake most plainly
    assert abs(diff.yours - diff.reference) > 1e-6


def test_a_wrong_rule_matching_no_known_mistake_still_says_where_it_differs():
    verdict = judge(DRILLS["adam-bias"], "m = g\np = p - lr*m*2")
    assert verdict.verdict == "fail" and verdict.misconception is None
    assert verdict.first_difference.step == 1


def test_a_rule_right_for_the_first_step_only_is_caught_at_a_later_step():
    # correct at t = 1 (m̂ = g, v̂ = g²) but without any memory afterwards
    verdict = judge(DRILLS["adam-bias"], "p = p - lr*g/(abs(g) + eps)")
    assert verdict.verdict == "fail" and verdict.first_difference.step >= 2


def test_zero_based_bias_correction_gives_nan_and_is_still_named():
    verdict = judge(DRILLS["adam-bias"], DRILLS["adam-bias"].mutant("bias-correction-zero-based").rule)
    assert verdict.to_dict()["first_difference"]["yours"] == "nan"


def test_refusals_come_back_as_a_verdict_not_an_exception():
    verdict = judge(DRILLS["adam"], "import os")
    assert verdict.verdict == "refused" and verdict.refusal.line == 1
    assert judge(DRILLS["adam"], "m = g").verdict == "refused"  # never assigns θ
    assert "never assigns θ" in judge(DRILLS["adam"], "m = g").message


def test_json_shape_of_a_verdict():
    data = judge(DRILLS["sgd"], "p = p - lr*g").to_dict()
    assert data["drill"] == "sgd" and data["verdict"] == "fail"
    assert data["misconception"] == "no-weight-decay"
    assert set(data["first_difference"]) >= {"step", "quantity", "yours", "reference"}
    assert isinstance(data["message"], str) and data["refusal"] is None


COMPARED_WITH = {
    "sgd": "torch.optim.SGD vs", "momentum": "torch.optim.SGD vs", "nesterov": "torch.optim.SGD(nesterov=True) vs",
    "rmsprop": "torch.optim.RMSprop vs", "adagrad": "torch.optim.Adagrad vs", "adam": "torch.optim.Adam vs",
    "adam-bias": "torch.optim.Adam vs", "adamw": "torch.optim.AdamW vs", "amsgrad": "torch.optim.Adam(amsgrad=True) vs",
    "lion": "gdgrill's reference lion (torch.optim has none) run in torch vs",
    "clip-norm": "torch.nn.utils.clip_grad_norm_ vs",
    "warmup-cosine": "torch.optim.lr_scheduler.SequentialLR(LinearLR, CosineAnnealingLR) vs",
}  # fmt: skip


@pytest.mark.parametrize("name", list(DRILLS))
def test_a_correct_rule_agrees_with_torch_optim_on_cpu(name):
    pytest.importorskip("torch")
    verdict = judge(DRILLS[name], DRILLS[name].reference_rule, torch_device="cpu")
    assert verdict.torch is not None and verdict.torch.agrees, verdict.torch
    # what is compared, for the drills named above (the drill files added since name theirs
    # in tests/test_new_drills_*.py)
    assert name not in COMPARED_WITH or verdict.torch.compared.startswith(COMPARED_WITH[name]), verdict.torch.compared
    assert all(c.max_abs_diff <= c.tolerance for c in verdict.torch.checks)


@pytest.mark.cuda
@pytest.mark.parametrize("name", list(DRILLS))
def test_a_correct_rule_agrees_in_torch_float32_on_cuda(name):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA (no GPU on this machine)")
    verdict = judge(DRILLS[name], DRILLS[name].reference_rule, torch_device="cuda")
    assert verdict.torch.device == "cuda" and verdict.torch.agrees, verdict.torch


def test_reference_trajectories_are_deterministic():
    drill = DRILLS["adam"]
    a = reference_trajectories(drill)
    from gdgrill.drill import judge as judge_module

    judge_module._REFERENCE.clear()
    judge_module._PROBLEMS.clear()
    b = reference_trajectories(drill)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def test_the_instances_include_the_separating_cases():
    patterns = {inst.grads for d in DRILLS.values() for inst in d.instances}
    assert {"tiny", "mixed", "zeros-first"} <= patterns
    assert any(inst.hp.get("wd", 0) > 0 for inst in DRILLS["adamw"].instances)
    assert any(inst.hp.get("eps", 0) >= 0.1 for inst in DRILLS["adam-bias"].instances)


def test_judging_on_numpy_does_not_import_torch():
    code = (
        "import sys\n"
        "from gdgrill.drill.catalog import DRILLS\n"
        "assert 'numpy' not in sys.modules and 'torch' not in sys.modules\n"
        "from gdgrill.drill.judge import judge\n"
        "v = judge(DRILLS['adam'], DRILLS['adam'].reference_rule)\n"
        "assert v.verdict == 'pass'\n"
        "assert 'torch' not in sys.modules, 'torch imported on the numpy path'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=_env())


def _env():
    import os

    env = dict(os.environ)
    root = str(__import__("pathlib").Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    return env


# -- A stateless schedule is evaluated at every step at once --------------------------------


def _schedule_rules():
    from gdgrill.drill.catalog import DRILLS

    for drill in DRILLS.values():
        if drill.kind == "schedule":
            texts = [drill.reference_rule, *(m.rule for m in drill.mutants), *(v.rule for v in drill.variants)]
            for text in texts:
                yield drill, text


@pytest.mark.parametrize("drill,text", list(_schedule_rules()), ids=lambda x: getattr(x, "name", None) or x[:30])
def test_a_schedule_at_once_gives_the_numbers_of_stepping_through_it(drill, text):
    from gdgrill.drill.judge import make_problem, parse_for, rule_trajectory
    from gdgrill.drill.language import numpy_backend

    rule = parse_for(drill, text)
    for instance in drill.instances:
        problem = make_problem(drill, instance)
        stepped = rule_trajectory(drill, rule, problem, backend=numpy_backend())  # a backend given: step by step
        fast = rule_trajectory(drill, rule, problem)
        np.testing.assert_allclose(fast, stepped, rtol=1e-14, atol=0)  # array and scalar pow may round apart by an ulp


def test_a_schedule_with_state_is_stepped_and_still_right():
    from gdgrill.drill.catalog import DRILLS
    from gdgrill.drill.judge import _elementwise, judge, parse_for

    drill = DRILLS["warmup-cosine"]
    # the same schedule written with a state that counts the steps itself
    text = "n = n + 1\nlr = where(n <= warmup, lr_max*n/warmup, lr_min + (lr_max - lr_min)*(1 + cos(pi*(n - warmup)/(total - warmup)))/2)"
    rule = parse_for(drill, text)
    assert rule.state and not _elementwise(rule)
    assert judge(drill, text).passed
