"""Muon joins `gdgrill race`: the point on the surface is read as a 2×1 matrix, and every
surface has a learning rate for every reference optimizer, so `--opt` never meets a KeyError."""

from __future__ import annotations

import json

import pytest
from helpers import command_app
from typer.testing import CliRunner

from gdgrill.race.run import RACERS
from gdgrill.race.command import race_command
from gdgrill.race.surfaces import SURFACES, make_surface

app = command_app("race", race_command, "Race optimizers on a 2-D surface.")


@pytest.mark.parametrize("surface", SURFACES)
def test_every_surface_has_a_learning_rate_for_every_reference(surface):
    assert set(RACERS) <= set(make_surface(surface).default_lrs)


def test_muon_races_on_the_valley_and_gets_down_it():
    result = CliRunner().invoke(app, ["race", "valley", "--opt", "muon", "--json"])
    assert result.exit_code == 0, result.output
    (run,) = json.loads(result.stdout)["runs"]
    assert run["optimizer"] == "muon" and run["letter"] == "O" and run["diverged"] is False
    assert run["final_loss"] < run["loss"][0] / 10


@pytest.mark.parametrize("surface", ["valley", "rosenbrock", "saddle"])
def test_the_papers_optimizers_race_at_their_own_rates_and_do_not_diverge(surface):
    names = ["lamb", "lars", "lookahead", "schedule-free-adamw"]
    result = CliRunner().invoke(app, ["race", surface, "--opt", ",".join(names), "--json"])
    assert result.exit_code == 0, result.output
    runs = json.loads(result.stdout)["runs"]
    assert [r["optimizer"] for r in runs] == names and [r["letter"] for r in runs] == ["B", "C", "K", "Z"]
    for run in runs:
        assert run["diverged"] is False
        assert run["final_loss"] < run["loss"][0]  # downhill from the start (off the saddle)


def test_lookahead_is_slower_than_its_inner_sgd_on_the_valley():
    """Lookahead pulls the fast weights back toward the slow ones every k steps: at the same
    rate it ends the valley's race higher than plain SGD."""
    result = CliRunner().invoke(app, ["race", "valley", "--opt", "sgd,lookahead", "--lr", "1.9", "--json"])
    assert result.exit_code == 0, result.output
    sgd, lookahead = json.loads(result.stdout)["runs"]
    assert lookahead["final_loss"] > sgd["final_loss"]
