"""The schedule drill files (drills/<name>.yaml, group schedules) run through the real judge:
the reference rule matches the Python schedule, every known mistake fails and is diagnosed as
itself, every variant passes, and torch's own scheduler agrees with the reference rule run
through torch.

The drills are the drill loader's (gdgrill.drill.loading); the raw mapping is read beside
them with yaml.safe_load for the checks on the file itself."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from gdgrill.drill import catalog
from gdgrill.drill.catalog import Drill, Instance
from gdgrill.drill.judge import judge, parse_for, problems, reference_trajectories
from gdgrill.drill.schedules import get_schedule

DRILLS_DIR = Path(__file__).resolve().parent.parent / "drills"
SCHEDULE_DRILLS = (
    "step-lr",
    "multistep-lr",
    "exponential-lr",
    "polynomial-lr",
    "one-cycle",
    "sgdr",
    "warmup-linear",
    "inverse-sqrt",
    "wsd",
    "wsd-sqrt",
)
KEYS = {
    "name", "title", "summary", "group", "tier", "kind", "reference", "task", "target", "inputs", "outputs",
    "reference_rule", "roles", "hints", "instances", "mistakes", "variants", "rtol", "atol",
}  # fmt: skip
# ids a drill-local mistake must not take: drills/_mistakes.yaml's, and every catalogued drill's
TAKEN_IDS = {
    "step-uphill", "eps-inside-sqrt", "forgot-sqrt", "abs-instead-of-square", "no-bias-correction", "betas-swapped",
    "ema-momentum", "no-weight-decay", "decay-not-scaled-by-lr", "l2-instead-of-decoupled", "decay-after-step",
} | {m.id for d in catalog.DRILLS.values() if d.name not in SCHEDULE_DRILLS for m in d.mutants}  # fmt: skip


def raw(name: str) -> dict[str, Any]:
    return yaml.safe_load((DRILLS_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


def drill(name: str) -> Drill:
    """The drill the drill loader built from the file."""
    return catalog.DRILLS[name]


MISTAKES = [(name, m["id"]) for name in SCHEDULE_DRILLS for m in raw(name)["mistakes"]]
# other ways a user writes a right answer: notation, aliases, torch's own arithmetic
OTHER_RIGHT_ANSWERS = [
    ("step-lr", "η = η₀·γ^⌊(t − 1)/s⌋"),
    ("step-lr", "lr = base_lr * math.pow(gamma, np.floor((t - 1) / step_size))"),
    ("multistep-lr", "lr = lr_max*gamma**(where(t - 1 >= m1, 1, 0) + where(t - 1 >= m2, 1, 0) + where(t - 1 >= m3, 1, 0))"),
    ("exponential-lr", "lr = lr0 * factor**(t - 1)"),
    ("polynomial-lr", "lr = lr_max*(1 - min(t - 1, total)/total)**power"),
    (
        "one-cycle",
        "e = t - 1\nphase_end = pct_start*total - 1\nstart = max_lr/div_factor\nend = start/final_div_factor\n"
        "lr = where(e <= phase_end, max_lr + (start - max_lr)/2*(cos(pi*e/phase_end) + 1), "
        "end + (max_lr - end)/2*(cos(pi*(e - phase_end)/(total - 1 - phase_end)) + 1))",
    ),
    (
        "sgdr",
        "n = floor(log((t - 1)/T_0*(T_mult - 1) + 1)/log(T_mult))\n"
        "T_cur = t - 1 - T_0*(T_mult**n - 1)/(T_mult - 1)\n"
        "lr = eta_min + (eta_max - eta_min)*(1 + cos(pi*T_cur/(T_0*T_mult**n)))/2",
    ),
    ("warmup-linear", "lr = where(t <= W, peak*t/W, max(floor, floor + (peak - floor)*(T - t)/(T - W)))"),
    ("warmup-linear", "lr = where(t <= warmup, lr_max*t/warmup, where(t >= total, lr_min, lr_min + (lr_max - lr_min)*(total - t)/(total - warmup)))"),
    ("inverse-sqrt", "lr = d_model**-0.5 * min(1/sqrt(t), t/warmup**1.5)"),
    ("wsd", "p = (t - (T - D))/D\nlr = where(t <= W, η_max*t/W, where(t <= T - D, η_max, where(t >= T, η_min, η_min + (η_max - η_min)*(1 - p))))"),
    ("wsd-sqrt", "p = (t - (T - D))/D\nlr = where(t <= W, η_max*t/W, where(t <= T - D, η_max, where(t >= T, η_min, η_min + (η_max - η_min)*(1 - √p))))"),
]


@pytest.mark.parametrize("name", SCHEDULE_DRILLS)
def test_the_file_follows_the_drill_contract(name):
    data = raw(name)
    assert set(data) <= KEYS, set(data) - KEYS
    assert data["name"] == name and re.fullmatch(r"[a-z0-9-]+", name)
    assert (data["group"], data["kind"], data["target"]) == ("schedules", "schedule", "lr")
    assert 1 <= data["tier"] <= 4
    assert len(data["mistakes"]) >= 4 and data["hints"]
    assert all(m["title"] and m["explanation"] and m["id"] not in TAKEN_IDS for m in data["mistakes"])
    get_schedule(data["reference"])  # the registry knows it
    given = {v.name for v in drill(name).inputs} - {"t"}
    for inst in data["instances"]:
        assert inst["grads"] == "none"
        assert set(inst["hp"]) == given, inst["label"]  # every name given, nothing the rule cannot read


@pytest.mark.parametrize("name,text", OTHER_RIGHT_ANSWERS)
def test_other_ways_of_writing_the_schedule_pass(name, text):
    verdict = judge(drill(name), text)
    assert verdict.verdict == "pass", verdict.message


def test_every_schedule_drill_has_another_right_answer_checked():
    assert {name for name, _ in OTHER_RIGHT_ANSWERS} == set(SCHEDULE_DRILLS)


def _kinds_of_phase(d: Drill, inst: Instance, steps: int) -> set[str]:
    schedule = get_schedule(d.reference)
    kinds = set()
    for t in range(1, steps + 1):
        try:
            schedule.lr(t, inst.hp)
        except ValueError:  # OneCycleLR is not defined past total + 1
            break
        kinds.add(re.sub(r"[0-9.]+", "#", schedule.phase(t, inst.hp)))
    return kinds


@pytest.mark.parametrize("name", SCHEDULE_DRILLS)
def test_the_instances_run_long_enough_to_reach_every_phase(name):
    d = drill(name)
    seen = set().union(*(_kinds_of_phase(d, inst, inst.steps) for inst in d.instances))
    longer = set().union(*(_kinds_of_phase(d, inst, 3 * inst.steps) for inst in d.instances))
    assert seen == longer, f"phases no instance reaches: {longer - seen}"


@pytest.mark.parametrize("name", SCHEDULE_DRILLS)
def test_torch_twin_gives_the_reference_on_every_instance(name):
    torch = pytest.importorskip("torch")
    d = drill(name)
    for pr, expected in zip(problems(d), reference_trajectories(d)):
        theirs = get_schedule(d.reference).torch_lrs(torch, pr.instance.hp, pr.steps)
        assert theirs == pytest.approx(list(expected), rel=1e-12, abs=1e-300), pr.instance.label


@pytest.mark.parametrize("name", SCHEDULE_DRILLS)
def test_the_cross_check_agrees_with_the_reference_rule_in_float32(name):
    pytest.importorskip("torch")
    from gdgrill.drill.crosscheck import cross_check

    d = drill(name)
    check = cross_check(d, parse_for(d, d.reference_rule), "cpu")
    assert check.agrees, check.to_dict()
    assert check.compared.startswith(get_schedule(d.reference).torch_twin)


def test_mistake_ids_are_unique_across_the_schedule_drills():
    ids = [mistake for _, mistake in MISTAKES]
    assert len(ids) == len(set(ids))
