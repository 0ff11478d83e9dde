"""What the judge picks when several answers to "what went wrong" are possible: which known
mistake, which accepted variant, which instance it shows first, and at what tolerance two
trajectories count as the same.

The shipped catalogue has at most one variant per drill and no two mistakes that blow up
alike, so some of these choices only show on a drill of the user's own; those are built
here from a shipped one with `dataclasses.replace` (under a name of their own: the judge
keeps what it computes per drill name).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from gdgrill.drill.catalog import DRILLS, Instance, Mutant, Variant
from gdgrill.drill.judge import first_difference, judge, problems, reference_trajectories, rule_trajectory, parse_for

ADAM_BIAS = DRILLS["adam-bias"]
EPS_HAT = ADAM_BIAS.variants[0]


def test_the_second_of_two_accepted_variants_is_named_as_itself():
    doubled = Variant("double-eps", "ε counted twice", EPS_HAT.rule.replace("+ eps)", "+ 2*eps)"), "A variant of this test's own.")
    drill = replace(ADAM_BIAS, name="adam-bias-two-variants", variants=(EPS_HAT, doubled))
    first = judge(drill, EPS_HAT.rule)
    second = judge(drill, doubled.rule)
    assert first.verdict == second.verdict == "pass"
    assert (first.variant.id, second.variant.id) == ("eps-hat", "double-eps")


def test_a_rule_within_a_hair_of_the_variant_is_not_it_at_the_drills_tolerance():
    """The drill says rtol 1e-9 and atol 1e-13; numpy's defaults (1e-5, 1e-8) would take a
    wrong answer for the accepted variant, and pass it."""
    assert (ADAM_BIAS.rtol, ADAM_BIAS.atol) == (1e-9, 1e-13)
    last = EPS_HAT.rule.rsplit("\n", 1)
    scaled = last[0] + "\n" + last[1].replace("p = p - ", "p = (1 + 1e-7)*p - ", 1)  # θ off by 1e-7 relative
    shifted = last[0] + "\n" + last[1] + " + 5e-9*(-1)^t"  # θ off by 5e-9 absolute, every other step
    for text in (scaled, shifted):
        verdict = judge(ADAM_BIAS, text)
        assert verdict.verdict == "fail" and verdict.variant is None, text
    assert judge(ADAM_BIAS, last[0] + "\n" + last[1] + " + 1e-15").variant.id == "eps-hat"  # rounding noise is still it


def test_a_rule_within_a_hair_of_a_mistake_is_not_named_as_that_mistake():
    mistake = DRILLS["sgd"].mutant("no-weight-decay")
    verdict = judge(DRILLS["sgd"], "p = (1 + 1e-7)*p - lr*g")
    assert verdict.verdict == "fail" and verdict.misconception is None
    assert judge(DRILLS["sgd"], mistake.rule + " + 1e-16").misconception.id == "no-weight-decay"


def test_a_blown_up_mistake_is_named_in_each_drill_judged_in_one_session():
    """What made the first NaN is remembered per drill and mistake, so judging one drill's
    blown-up mistake does not decide what another drill's is."""
    adam = judge(ADAM_BIAS, ADAM_BIAS.mutant("bias-correction-zero-based").rule)
    lars = judge(DRILLS["lars"], DRILLS["lars"].mutant("lars-no-guard").rule)
    assert adam.misconception.id == "bias-correction-zero-based"
    assert lars.misconception.id == "lars-no-guard"


def test_a_mistake_that_blows_up_like_another_but_for_another_reason_is_still_found():
    """Two mistakes of one drill whose values turn NaN at the same places: the one whose NaN
    has the same cause as the answer's is named, even when the other comes first."""
    root = Mutant("root-of-negative", "A root of a negative", "p = p - lr*sqrt(-1 - g^2)", "√ of a negative number.")
    zero = Mutant("zero-over-zero", "Zero over zero", "p = p - lr*(g - g)/(g - g)", "0/0.")
    drill = replace(DRILLS["sgd"], name="sgd-two-blown-mistakes", mutants=(root, zero))
    assert judge(drill, root.rule).misconception.id == "root-of-negative"
    assert judge(drill, zero.rule).misconception.id == "zero-over-zero"
    assert judge(drill, "p = p - lr*(g - g)/(g - g)*2").misconception.id == "zero-over-zero"


def _earliest(drill, text):
    """Every instance's first difference, for the instances that differ at the earliest step."""
    rule = parse_for(drill, text)
    found = [d for d in (first_difference(drill, pr, rule_trajectory(drill, rule, pr), ref)
                         for pr, ref in zip(problems(drill), reference_trajectories(drill))) if d]
    step = min(d.step for d in found)
    return [d for d in found if d.step == step]


def test_of_the_instances_differing_first_the_one_shown_has_the_largest_relative_gap():
    """Not the largest absolute gap: an error of 0.001 on a θ of 0.01 shows the mistake
    more plainly than on a θ of 10."""
    small = Instance("θ near 0", {"lr": 0.1, "wd": 0.0}, grads="zero-init", shape=(1,))
    large = Instance("θ far from 0", {"lr": 0.1, "wd": 0.0}, grads="normal", shape=(1,), seed=3)
    wide = Instance("θ far from 0, wide", {"lr": 0.1, "wd": 0.0}, grads="large", shape=(1,), seed=5)
    drill = replace(DRILLS["sgd"], name="sgd-gap-choice", instances=(large, wide, small))
    text = "p = p - lr*(g + wd*p) + 0.001"
    earliest = _earliest(drill, text)
    assert len(earliest) == 3
    relative = {d.instance: abs(d.yours - d.reference) / abs(d.reference) for d in earliest}
    absolute = {d.instance: abs(d.yours - d.reference) for d in earliest}
    times_ref = {d.instance: abs(d.yours - d.reference) * abs(d.reference) for d in earliest}
    widest = max(relative, key=relative.get)
    # the three readings disagree here, so the test tells them apart
    assert widest != max(times_ref, key=times_ref.get)
    assert widest != earliest[0].instance  # a tie on the absolute gap would keep the first
    assert max(absolute.values()) - min(absolute.values()) < 1e-12
    assert judge(drill, text).first_difference.instance == widest


def test_an_instance_that_turned_nan_is_the_one_shown():
    """A NaN is the plainest difference there is: where one instance turns NaN and another
    is only off, at the same step, the NaN is shown."""
    decayed = Instance("with decay", {"lr": 0.1, "wd": 0.1}, shape=(3,))
    plain = Instance("without decay", {"lr": 0.1, "wd": 0.0}, shape=(3,), seed=1)
    drill = replace(DRILLS["sgd"], name="sgd-nan-shown", instances=(decayed, plain))
    text = "p = p - lr*(g + wd*p)*wd/wd + wd*0.01"  # 0/0 without decay, off by 0.001 with it
    earliest = _earliest(drill, text)
    assert [d.instance for d in earliest] == ["with decay", "without decay"]
    shown = judge(drill, text).first_difference
    assert shown.instance == "without decay" and np.isnan(shown.yours)
