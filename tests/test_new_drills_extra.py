"""The paper-optimizer and training-mechanics drill files (drills/*.yaml): each builds a
Drill, its reference rule passes the real judge against its Python reference, every known
mistake fails and is diagnosed as itself, every variant passes, and the reference rule
agrees with torch in the cross-check.

The drills are the drill loader's (gdgrill.drill.loading); the raw mapping is read beside
them with yaml.safe_load for the checks on the file itself."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from gdgrill.drill import catalog
from gdgrill.drill.catalog import GRADIENT_PATTERNS, Drill
from gdgrill.drill.judge import judge, parse_for, problems, rule_trajectory

DRILLS_DIR = Path(__file__).resolve().parent.parent / "drills"
NAMES = ("lamb", "lars", "schedule-free-adamw", "lookahead", "weight-ema", "grad-accumulation", "loss-scaling", "clip-value")
GROUPS = {"lamb": "optimizers", "lars": "optimizers", "schedule-free-adamw": "optimizers", "lookahead": "optimizers"}

def load(name: str) -> tuple[dict, Drill]:
    """The file's mapping, and the drill the drill loader built from it."""
    data = yaml.safe_load((DRILLS_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    return data, catalog.DRILLS[name]


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
    assert catalog.get_drill(name) is drill


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
