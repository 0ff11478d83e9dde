"""The race itself: built on the drill references, reproducible, and teaching out of the box."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from rich.console import Console

from gdgrill.drill.catalog import DRILLS
from gdgrill.drill.language import RefusedAnswer
from gdgrill.drill.references import get_reference
from gdgrill.race.plot import print_race
from gdgrill.race.run import (
    DEFAULT_OPTIMIZERS,
    parse_rule_for,
    reference_entrants,
    rule_entrant,
    run_race,
    sign_flips,
)
from gdgrill.race.surfaces import SURFACES, make_surface


def default_race(name: str = "valley", **kw):
    surface = make_surface(name)
    lr = kw.pop("lr", None)
    names = kw.pop("names", DEFAULT_OPTIMIZERS)
    return run_race(surface, reference_entrants(surface, names, lr), kw.pop("steps", surface.default_steps), **kw)


# -- Built on the references ----------------------------------------------------------------


def test_each_lane_is_the_drill_reference_stepping_on_the_exact_gradient():
    race = default_race(steps=25)
    surface = race.surface
    for run in race.runs:
        ref = get_reference(run.label)
        p = np.array(surface.start)
        state = ref.init(p, np)
        expected = [p]
        for _ in range(25):
            p, state = ref.step(p, surface.gradient(p), state, run.entrant.hp, np)
            expected.append(p)
        assert np.array_equal(run.path, np.array(expected)), run.label


def test_every_lane_starts_at_the_same_point_and_records_the_loss_of_each_point():
    race = default_race(steps=40)
    for run in race.runs:
        assert tuple(run.path[0]) == race.surface.start
        assert len(run.path) == len(run.loss) == 41
        assert np.allclose(run.loss, race.surface.value(run.path[:, 0], run.path[:, 1]))


# -- The defaults teach -------------------------------------------------------------------------


def test_on_the_default_valley_sgd_zig_zags_far_more_than_momentum_and_adam():
    race = default_race()
    sgd = race.run("sgd").sign_flips
    assert sgd >= race.steps * 0.8  # it crosses the floor on nearly every step
    for other in ("momentum", "adam"):
        assert sgd >= 3 * race.run(other).sign_flips, other


def test_on_the_default_valley_momentum_and_adam_get_further_than_sgd_in_the_same_steps():
    race = default_race()
    sgd = race.run("sgd")
    for other in ("momentum", "nesterov", "adam"):
        run = race.run(other)
        assert run.final_loss < sgd.final_loss / 5, other
        assert run.steps_to_goal is not None and (sgd.steps_to_goal is None or run.steps_to_goal < sgd.steps_to_goal)
    assert not any(r.diverged for r in race.runs)


def test_too_high_a_learning_rate_makes_sgd_diverge_and_says_when():
    race = default_race(lr=2.5, names=("sgd", "momentum", "adam"))
    sgd = race.run("sgd")
    assert sgd.diverged and sgd.stop_step is not None and sgd.stop_step < race.steps
    assert sgd.steps_taken == sgd.stop_step and np.isfinite(sgd.path).all()
    # momentum's stability limit is higher (2(1 + μ)/λ), Adam's steps are bounded by η
    assert not race.run("momentum").diverged and not race.run("adam").diverged


def test_a_run_that_turns_non_finite_is_stopped_and_its_path_stays_finite():
    surface = make_surface("rosenbrock")
    race = run_race(surface, reference_entrants(surface, ["sgd"], lr=0.5), 50)
    run = race.run("sgd")
    assert run.diverged and run.stop_step <= 50
    assert np.isfinite(run.path).all() and np.isfinite(run.loss).all()


@pytest.mark.parametrize("name", SURFACES)
def test_no_default_lane_diverges_on_any_surface(name):
    race = default_race(name)
    assert [r.label for r in race.runs if r.diverged] == []


TORCH_OPTIM_FAMILY = ("nadam", "radam", "adamax", "adadelta", "adafactor", "rprop", "asgd")


@pytest.mark.parametrize("name", SURFACES)
def test_the_rest_of_torch_optim_races_on_every_surface_with_its_own_lr_and_letter(name):
    race = default_race(name, names=TORCH_OPTIM_FAMILY)
    assert [r.label for r in race.runs] == list(TORCH_OPTIM_FAMILY)
    for run in race.runs:
        assert not run.diverged, run.label
        assert run.loss[-1] < run.loss[0], run.label  # each default lr makes progress
        assert json.loads(json.dumps(run.to_dict()))["hp"]["lr"] == race.surface.default_lrs[run.label]
    letters = [r.letter for r in default_race(name, names=(*DEFAULT_OPTIMIZERS, "adagrad", "amsgrad", *TORCH_OPTIM_FAMILY), steps=1).runs]
    assert len(set(letters)) == len(letters)


def test_on_the_saddle_everyone_escapes_and_adaptive_methods_escape_sooner_than_sgd():
    race = default_race("saddle")
    assert all(r.stop_reason == "escaped" for r in race.runs)
    sgd = race.run("sgd").steps_to_goal
    for other in ("rmsprop", "adam"):
        assert race.run(other).steps_to_goal < sgd


def test_sign_flips_count_crossings_of_the_floor():
    valley = make_surface("valley")
    path = np.array([[0, 1.0], [0, -1.0], [0, 0.0], [0, 2.0], [0, 3.0], [0, -0.5]])
    assert sign_flips(valley, path) == 3  # a point exactly on the floor is not a crossing


# -- Reproducible ---------------------------------------------------------------------------------


def test_a_noisy_race_is_the_same_for_the_same_seed_and_differs_for_another():
    a, b, c = (default_race("noisy", seed=s) for s in (4, 4, 5))
    for ra, rb, rc in zip(a.runs, b.runs, c.runs):
        assert np.array_equal(ra.path, rb.path)
        assert not np.array_equal(ra.path, rc.path)


def test_noise_is_shared_by_every_lane_so_only_the_optimizer_differs():
    surface = make_surface("noisy")
    twins = run_race(surface, reference_entrants(surface, ["adam", "adam"]), 30, seed=9)
    assert np.array_equal(twins.runs[0].path, twins.runs[1].path)


# -- The user's rule -------------------------------------------------------------------------------


def test_a_correct_momentum_rule_traces_the_reference_path_exactly():
    surface = make_surface("valley")
    rule, drill = parse_rule_for("v = μ·v + g\nθ = θ − η·v", None)
    assert drill.name == "momentum"
    lr = surface.default_lrs["momentum"]
    race = run_race(surface, [*reference_entrants(surface, ["momentum"]), rule_entrant(rule, drill, lr)], 100)
    assert np.array_equal(race.run("yours").path, race.run("momentum").path)


def test_a_correct_adam_rule_tracks_adam_on_every_surface():
    for name in SURFACES:
        surface = make_surface(name)
        rule, drill = parse_rule_for(DRILLS["adam-bias"].reference_rule, "adam-bias")
        race = run_race(surface, [*reference_entrants(surface, ["adam"]), rule_entrant(rule, drill, surface.default_lrs["adam"])], 60)
        yours, ref = race.run("yours").path, race.run("adam").path
        assert np.allclose(yours, ref, rtol=1e-9, atol=1e-12), name


def test_a_wrong_rule_leaves_the_reference_path():
    surface = make_surface("valley")
    rule, drill = parse_rule_for("v = μ·v + (1 − μ)·g\nθ = θ − η·v", "momentum")
    race = run_race(surface, [*reference_entrants(surface, ["momentum"]), rule_entrant(rule, drill, 0.5)], 20)
    assert not np.allclose(race.run("yours").path, race.run("momentum").path)


@pytest.mark.parametrize(
    "text",
    ["__import__('os').system('true')", "p = p.__class__", "import os", "p = open('x')", "p = [q for q in g]"],
)
def test_a_hostile_rule_is_refused_before_it_runs(text):
    with pytest.raises(RefusedAnswer):
        parse_rule_for(text, None)


def test_an_unknown_rule_drill_is_refused():
    with pytest.raises(KeyError):
        parse_rule_for("p = p - lr*g", "warmup-cosine")


# -- The terminal figure --------------------------------------------------------------------------


def render(race, width: int, **kw) -> str:
    buf = io.StringIO()
    print_race(race, Console(file=buf, width=width, no_color=True, force_terminal=False), **kw)
    return buf.getvalue()


@pytest.mark.parametrize("width", [80, 100])
@pytest.mark.parametrize("name", SURFACES)
def test_the_figure_fits_the_terminal_and_names_every_optimizer(name, width):
    race = default_race(name, steps=60)
    text = render(race, width)
    assert max(len(line) for line in text.splitlines()) <= width
    for run in race.runs:
        assert run.label in text


def test_without_colour_each_path_on_the_overlay_is_marked_by_its_letter():
    race = default_race(steps=60)
    text = render(race, 80, overlay=True)
    plot = [line for line in text.splitlines() if line.startswith("│")]
    letters = {run.letter for run in race.runs}
    assert len(letters) == len(race.runs)
    for letter in letters:
        assert any(letter in line for line in plot), letter
    assert "\x1b[" not in text
