"""Muon joins `gdgrill race`: the point on the surface is read as a 2×1 matrix, and every
surface has a learning rate for every reference optimizer, so `--opt` never meets a KeyError."""

from __future__ import annotations

import json

import pytest
from helpers import command_app
from typer.testing import CliRunner

from gdgrill.drill.references import REFERENCES
from gdgrill.race.command import race_command
from gdgrill.race.surfaces import SURFACES, make_surface

app = command_app("race", race_command, "Race optimizers on a 2-D surface.")


@pytest.mark.parametrize("surface", SURFACES)
def test_every_surface_has_a_learning_rate_for_every_reference(surface):
    assert set(REFERENCES) <= set(make_surface(surface).default_lrs)


def test_muon_races_on_the_valley_and_gets_down_it():
    result = CliRunner().invoke(app, ["race", "valley", "--opt", "muon", "--json"])
    assert result.exit_code == 0, result.output
    (run,) = json.loads(result.stdout)["runs"]
    assert run["optimizer"] == "muon" and run["letter"] == "O" and run["diverged"] is False
    assert run["final_loss"] < run["loss"][0] / 10
