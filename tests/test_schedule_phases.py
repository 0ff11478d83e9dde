"""Where a schedule drill says a typed schedule goes wrong: the phase of each step, at the
steps on either side of every boundary (the last warmup step and the first after it, the
last step before a drop and the drop, the end of the plateau, the last step and one past
it), for every schedule; and the edges of the torch twins (a warmup of one or two steps)."""

from __future__ import annotations

import pytest

from gdgrill.drill.schedules import SCHEDULES, one_cycle

WARM = "during warmup (t ≤ W)"
PAST = "past the last step (t > T), where the rate stays at the floor"
STABLE = "in the stable phase (W < t ≤ T − D), after a right warmup"
COOL = "in the cooldown (t > T − D), after a right warmup and plateau"

PHASES = {
    # W = 10, T = 100 (the defaults); the cosine's floor needs no phase of its own
    "warmup-cosine": [(None, {1: WARM, 10: WARM, 11: "in the cosine decay phase (t > W), after a right warmup",
                              150: "in the cosine decay phase (t > W), after a right warmup"})],
    # StepLR's first drop is at t = step_size + 1
    "step-lr": [(None, {1: "before the first drop", 30: "before the first drop", 31: "after 1 drop by γ",
                        60: "after 1 drop by γ", 61: "after 2 drops by γ"}),
                ({"step_size": 4.0}, {4: "before the first drop", 5: "after 1 drop by γ", 13: "after 3 drops by γ"})],
    # a milestone m is torch's epoch m: the rate drops from t = m + 1 (milestones in any order)
    "multistep-lr": [({"m1": 8.0, "m2": 5.0}, {5: "before the first drop", 6: "after 1 drop by γ", 8: "after 1 drop by γ",
                                               9: "after 2 drops by γ"})],
    # T = 5 scheduler steps: the rate reaches 0 at t = T + 1
    "polynomial-lr": [(None, {1: "while decaying (t ≤ T)", 5: "while decaying (t ≤ T)",
                              6: "at or past the end (t > T), where the rate is 0", 9: "at or past the end (t > T), where the rate is 0"})],
    # the peak is at t = pct_start·T = 30
    "one-cycle": [(None, {1: "in the rise to the peak (t ≤ pct_start·T)", 30: "in the rise to the peak (t ≤ pct_start·T)",
                          31: "in the anneal down to the minimum (t > pct_start·T), after a right rise",
                          101: "in the anneal down to the minimum (t > pct_start·T), after a right rise"})],
    "sgdr": [(None, {1: "in cycle 1 (restarted at t = 1, length T_i = 10)", 10: "in cycle 1 (restarted at t = 1, length T_i = 10)",
                     11: "in cycle 2 (restarted at t = 11, length T_i = 10)", 13: "in cycle 2 (restarted at t = 11, length T_i = 10)"}),
             ({"t0": 5.0, "t_mult": 2.0}, {5: "in cycle 1 (restarted at t = 1, length T_i = 5)",
                                           6: "in cycle 2 (restarted at t = 6, length T_i = 10)",
                                           15: "in cycle 2 (restarted at t = 6, length T_i = 10)",
                                           16: "in cycle 3 (restarted at t = 16, length T_i = 20)",
                                           20: "in cycle 3 (restarted at t = 16, length T_i = 20)"})],
    "warmup-linear": [(None, {10: WARM, 11: "in the linear decay phase (t > W), after a right warmup",
                              100: "in the linear decay phase (t > W), after a right warmup", 101: PAST})],
    "inverse-sqrt": [(None, {4000: WARM, 4001: "in the 1/√t decay (t > W), after a right warmup"})],
    # W = 10, T = 100, D = 20: the plateau ends at T − D = 80
    "wsd": [(None, {1: WARM, 10: WARM, 11: STABLE, 80: STABLE, 81: COOL, 100: COOL, 101: PAST}),
            ({"warmup": 5.0, "cooldown": 50.0}, {5: WARM, 6: STABLE, 50: STABLE, 51: COOL})],
    "wsd-sqrt": [(None, {10: WARM, 11: STABLE, 80: STABLE, 81: COOL, 100: COOL, 101: PAST})],
}


def test_every_schedule_with_phases_is_in_the_table():
    assert set(PHASES) == {name for name, s in SCHEDULES.items() if s.phase(1)}
    assert [name for name, s in SCHEDULES.items() if not s.phase(1)] == ["exponential-lr"]


@pytest.mark.parametrize("name", sorted(PHASES))
def test_each_step_is_placed_in_its_phase_on_either_side_of_every_boundary(name):
    schedule = SCHEDULES[name]
    for hp, expected in PHASES[name]:
        got = {t: schedule.phase(t, hp) for t in expected}
        assert got == expected, (name, hp)


def test_a_schedule_of_one_phase_names_none_and_the_defaults_stand_in_for_missing_hyper_parameters():
    exponential = SCHEDULES["exponential-lr"]
    assert exponential.phase(1) == exponential.phase(50, {"gamma": 0.5}) == ""
    assert exponential.lr(3) == pytest.approx(0.1 * 0.9**2)  # no hp at all: the defaults
    assert exponential.lr(3, {}) == exponential.lr(3)
    assert exponential.lr(3, {"gamma": 0.5}) == pytest.approx(0.1 * 0.25)  # one overridden, the rest kept


def test_one_cycle_is_defined_one_step_past_the_end_and_says_so_beyond_it():
    h = dict(SCHEDULES["one-cycle"].defaults)
    assert one_cycle(101, h) >= 0
    with pytest.raises(ValueError) as beyond:
        one_cycle(102, h)
    assert str(beyond.value) == "OneCycleLR is defined up to t = total + 1 = 101; got t = 102"


@pytest.mark.parametrize("name", ["warmup-cosine", "warmup-linear", "wsd", "wsd-sqrt"])
@pytest.mark.parametrize("warmup", [1.0, 2.0, 3.0])
def test_a_warmup_of_one_two_or_three_steps_runs_in_torch_as_in_the_closed_form(name, warmup):
    torch = pytest.importorskip("torch")
    schedule = SCHEDULES[name]
    hp = {"warmup": warmup, "total": 12.0, **({"cooldown": 4.0} if "cooldown" in schedule.defaults else {})}
    # up to the last step: past it torch's CosineAnnealingLR climbs again (it is periodic)
    lrs = schedule.torch_lrs(torch, hp, 12)
    assert lrs == pytest.approx([schedule.lr(t, hp) for t in range(1, 13)], rel=1e-6, abs=1e-12)


@pytest.mark.parametrize("name", ["wsd", "wsd-sqrt"])
def test_a_wsd_with_no_plateau_runs_in_torch_as_in_the_closed_form(name):
    torch = pytest.importorskip("torch")
    schedule = SCHEDULES[name]
    hp = {"warmup": 4.0, "total": 12.0, "cooldown": 8.0}  # the cooldown starts where the warmup ends
    assert schedule.torch_lrs(torch, hp, 12) == pytest.approx([schedule.lr(t, hp) for t in range(1, 13)], rel=1e-6, abs=1e-12)
