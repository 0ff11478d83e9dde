"""The paper-optimizer and training-mechanics drill files (drills/*.yaml): each builds a
Drill, its reference rule passes the real judge against its Python reference, every known
mistake fails and is diagnosed as itself, every variant passes, and the reference rule
agrees with torch in the cross-check.

Until the drill loader lands these files are read here with yaml.safe_load and turned into
gdgrill.drill.catalog objects (shared names and mistakes from catalog.py's constants)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from gdgrill.drill import catalog
from gdgrill.drill.catalog import GRADIENT_PATTERNS, Drill, Instance, Mutant, Variable, Variant
from gdgrill.drill.judge import judge, parse_for, problems, rule_trajectory

DRILLS_DIR = Path(__file__).resolve().parent.parent / "drills"
NAMES = ("lamb", "lars", "schedule-free-adamw", "lookahead", "weight-ema", "grad-accumulation", "loss-scaling", "clip-value")
GROUPS = {"lamb": "optimizers", "lars": "optimizers", "schedule-free-adamw": "optimizers", "lookahead": "optimizers"}

SHARED_NAMES = {
    key: getattr(catalog, key.upper().replace("-", "_"))
    for key in "p g lr lr-not-alpha t mu rho b1 b2 eps wd max-norm g-clip warmup total lr-max lr-min lr-out".split()
}
SHARED_MISTAKES = {
    spec[0]: spec
    for spec in (
        catalog.UPHILL, catalog.EPS_INSIDE, catalog.FORGOT_SQRT, catalog.ABS_NOT_SQUARE, catalog.NO_BIAS,
        catalog.BETAS_SWAPPED, catalog.EMA_MOMENTUM, catalog.NO_WD, catalog.DECAY_NOT_LR,
        catalog.L2_NOT_DECOUPLED, catalog.DECAY_AFTER_STEP,
    )
}  # fmt: skip


def _variable(entry) -> Variable:
    if isinstance(entry, str):
        return SHARED_NAMES[entry]
    return Variable(entry["name"], entry["symbol"], tuple(entry.get("aliases", ())), entry["meaning"], tuple(entry.get("words", ())))


def _mistake(entry) -> Mutant:
    if "title" not in entry:
        shared_id, title, explanation = SHARED_MISTAKES[entry["id"]]
        return Mutant(shared_id, title, entry["rule"].strip(), " ".join(explanation.split()))
    return Mutant(entry["id"], entry["title"], entry["rule"].strip(), " ".join(entry["explanation"].split()))


def build(data: dict) -> Drill:
    """A Drill from one file's mapping, the keys 1:1 onto the dataclass fields."""
    fields = {f.name for f in dataclasses.fields(Drill)}
    kwargs = {k: v for k, v in data.items() if k in fields}
    kwargs["inputs"] = tuple(_variable(v) for v in data["inputs"])
    kwargs["outputs"] = tuple(_variable(v) for v in data.get("outputs", ()))
    kwargs["reference_rule"] = data["reference_rule"].strip()
    kwargs["hints"] = tuple(data["hints"])
    kwargs["instances"] = tuple(
        Instance(i["label"], dict(i["hp"]), i.get("grads", "normal"), i.get("steps", 8), tuple(i.get("shape", (5,))), i.get("seed", 0))
        for i in data["instances"]
    )
    kwargs["mutants"] = tuple(_mistake(m) for m in data["mistakes"])
    kwargs["variants"] = tuple(Variant(v["id"], v["title"], v["rule"].strip(), v["note"]) for v in data.get("variants", ()))
    kwargs["roles"] = tuple(data.get("roles", {}).items())
    for key in ("rtol", "atol"):
        if key in data:
            kwargs[key] = float(data[key])
    kwargs.pop("mistakes", None)
    return Drill(**kwargs)


def load(name: str) -> tuple[dict, Drill]:
    data = yaml.safe_load((DRILLS_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    return data, build(data)


DRILLS = {name: load(name) for name in NAMES}
MISTAKES = [(name, m.id) for name, (_, d) in DRILLS.items() for m in d.mutants]
VARIANTS = [(name, v.id) for name, (_, d) in DRILLS.items() for v in d.variants]


@pytest.mark.parametrize("name", NAMES)
def test_drill_file_is_complete(name):
    data, drill = DRILLS[name]
    assert drill.name == name
    assert data["group"] == GROUPS.get(name, "mechanics")
    assert drill.kind in ("optimizer", "clip") and 1 <= drill.tier <= 4
    assert len(drill.mutants) >= 4 and len({m.id for m in drill.mutants}) == len(drill.mutants)
    assert drill.hints and drill.instances and drill.task and drill.summary
    assert all(i.grads in GRADIENT_PATTERNS for i in drill.instances)
    assert drill.target in drill.names
    assert not catalog.get_drill(name), "a name of a Python catalog drill"


@pytest.mark.parametrize("name", NAMES)
def test_reference_rule_passes_against_the_python_reference(name):
    _, drill = DRILLS[name]
    verdict = judge(drill, drill.reference_rule)
    assert verdict.verdict == "pass" and verdict.variant is None, verdict.message


@pytest.mark.parametrize("name, mistake", MISTAKES)
def test_each_mistake_fails_and_is_diagnosed_as_itself(name, mistake):
    _, drill = DRILLS[name]
    verdict = judge(drill, drill.mutant(mistake).rule)
    assert verdict.verdict == "fail", f"{mistake} passes"
    assert verdict.misconception is not None and verdict.misconception.id == mistake, verdict.message
    assert verdict.diagnosis is not None and verdict.diagnosis.text


@pytest.mark.parametrize("name, variant", VARIANTS)
def test_each_variant_passes_as_itself(name, variant):
    _, drill = DRILLS[name]
    rule = next(v for v in drill.variants if v.id == variant).rule
    verdict = judge(drill, rule)
    assert verdict.passed and verdict.variant is not None and verdict.variant.id == variant, verdict.message


@pytest.mark.parametrize("name", NAMES)
def test_reference_rule_agrees_with_torch_in_the_cross_check(name):
    pytest.importorskip("torch")
    from gdgrill.drill.crosscheck import cross_check

    _, drill = DRILLS[name]
    check = cross_check(drill, parse_for(drill, drill.reference_rule), "cpu")
    assert check.agrees, check.to_dict()


def test_every_k_th_step_is_written_with_the_remainder():
    _, drill = DRILLS["lookahead"]
    rule = parse_for(drill, "slow = where(t == 1, p, slow)\np = p - lr*g\nsync = t % k == 0\nslow = where(sync, slow + alpha*(p - slow), slow)\np = where(sync, slow, p)")
    assert judge(drill, rule.source).passed
    # a counter does the same without %
    counted = "slow = where(t == 1, p, slow)\np = p - lr*g\nn = n + 1\nslow = where(n == k, slow + alpha*(p - slow), slow)\np = where(n == k, slow, p)\nn = where(n == k, 0, n)"
    assert judge(drill, counted).passed


def test_a_misplaced_boundary_is_caught_on_the_step_it_moves():
    _, drill = DRILLS["grad-accumulation"]
    verdict = judge(drill, "acc = acc + g/k\np = where((t + 1) % k == 0, p - lr*acc, p)\nacc = where((t + 1) % k == 0, 0, acc)")
    assert verdict.verdict == "fail"
    assert verdict.first_difference is not None and verdict.first_difference.step < 4


def test_loss_scaling_is_given_found_inf_for_the_steps_that_overflow():
    _, drill = DRILLS["loss-scaling"]
    problem = problems(drill)[0]
    seen = rule_trajectory(drill, parse_for(drill, "p = found_inf + 0*p"), problem)[:, 0]
    assert [i + 1 for i, flag in enumerate(seen) if flag] == [3, 4, 9, 16][: sum(1 for s in (3, 4, 9, 16) if s <= problem.steps)]


def test_a_schedule_rule_that_reads_its_own_lr_gets_a_verdict_not_a_traceback():
    # the learning rate is an output, not given: read before it is assigned it is state (0 at first)
    drill = catalog.get_drill("warmup-cosine")
    verdict = judge(drill, "lr = where(t == 1, lr_max/warmup, lr + lr_max/warmup)")
    assert verdict.verdict == "fail" and verdict.first_difference is not None
    assert verdict.first_difference.step > 3  # right through the warmup (W ≥ 3), wrong once the cosine starts


def test_remainder_is_written_back_with_the_brackets_it_needs():
    from gdgrill.drill.diagnosis import Writer
    from gdgrill.drill.language import Bin, Num, Var, evaluate, parse_expression

    write = Writer("", {})
    assert write(Bin("%", Var("t"), Bin("*", Var("k"), Num(2.0))), keep_original=False) == "t%(k*2)"
    assert write(Bin("*", Bin("%", Var("t"), Var("k")), Num(2.0)), keep_original=False) == "t%k*2"
    assert evaluate(parse_expression("t % k == 0", ["t", "k"]), {"t": 6.0, "k": 3.0}) == 1.0
    assert evaluate(parse_expression("(t - 1) % k", ["t", "k"]), {"t": 1.0, "k": 4.0}) == 0.0


@pytest.mark.parametrize(
    "name, machinery, mistake",
    [
        ("weight-ema", "AveragedModel", "ema-from-zero"),
        ("grad-accumulation", "autograd", "accum-sum-not-mean"),
        ("loss-scaling", "GradScaler", "scaler-no-unscale"),
        ("clip-value", "clip_grad_value_", "clip-one-sided"),
    ],
)
def test_mechanics_are_cross_checked_against_torchs_own_machinery(name, machinery, mistake):
    pytest.importorskip("torch")
    from gdgrill.drill.crosscheck import cross_check

    _, drill = DRILLS[name]
    right = cross_check(drill, parse_for(drill, drill.reference_rule), "cpu")
    wrong = cross_check(drill, parse_for(drill, drill.mutant(mistake).rule), "cpu")
    assert machinery in right.compared and right.agrees
    assert wrong.agrees is False
