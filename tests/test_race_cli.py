"""`gdgrill race` through Typer's runner: JSON, the figure, the user's rule, PNG, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import command_app
from typer.testing import CliRunner

from gdgrill.drill.catalog import DRILLS
from gdgrill.race import command as race_module
from gdgrill.race.command import race_command
from gdgrill.race.run import DEFAULT_OPTIMIZERS
from gdgrill.race.surfaces import SURFACES

app = command_app("race", race_command, "Race optimizers on a 2-D surface.")


runner = CliRunner()
MOMENTUM_RULE = "buf = mu*buf + g\np = p - lr*buf\n"
ROOT = Path(__file__).resolve().parent.parent


def race(*args, input=None):
    return runner.invoke(app, ["race", *args], input=input)


def race_json(*args, input=None) -> dict:
    result = race(*args, "--json", input=input)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def assert_one_line_error(result) -> None:
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() and result.stderr.strip().count("\n") == 0
    assert "Traceback" not in result.output


# -- JSON ---------------------------------------------------------------------------------------


def test_json_has_the_surface_the_goal_and_one_run_per_optimizer():
    data = race_json()
    assert data["surface"]["name"] == "valley" and data["surface"]["params"]["kappa"] == 50
    assert data["steps"] == 100 and isinstance(data["goal"]["loss"], float)
    assert [r["optimizer"] for r in data["runs"]] == list(DEFAULT_OPTIMIZERS)
    for run in data["runs"]:
        assert len(run["path"]) == len(run["loss"]) == run["steps_taken"] + 1
        assert run["path"][0] == data["surface"]["start"]
        assert run["final_loss"] == run["loss"][-1]
        assert run["hp"]["lr"] > 0 and run["source"] == "reference"
        assert isinstance(run["sign_flips"], int) and run["diverged"] is False and run["stopped"] is None


def test_the_same_command_gives_the_same_json_and_the_noisy_surface_follows_the_seed():
    assert race("noisy", "--json", "--seed", "3").stdout == race("noisy", "--json", "--seed", "3").stdout
    assert race("--json").stdout == race("--json").stdout
    a, b = race_json("noisy", "--seed", "3"), race_json("noisy", "--seed", "4")
    assert a["runs"][0]["path"] != b["runs"][0]["path"]


def test_options_choose_optimizers_rates_steps_and_kappa():
    data = race_json("--opt", "sgd", "--opt", "adam,lion", "--lr", "0.2", "--lr-for", "adam=0.05", "--steps", "30", "--kappa", "10")
    assert [r["optimizer"] for r in data["runs"]] == ["sgd", "adam", "lion"]
    assert {r["optimizer"]: r["hp"]["lr"] for r in data["runs"]} == {"sgd": 0.2, "adam": 0.05, "lion": 0.2}
    assert data["steps"] == 30 and all(r["steps_taken"] == 30 for r in data["runs"])
    assert data["surface"]["params"]["kappa"] == 10


def test_a_high_lr_diverges_and_the_report_says_so():
    data = race_json("--lr", "3", "--opt", "sgd,adam")
    sgd, adam = data["runs"]
    assert sgd["diverged"] and sgd["stopped"]["reason"] == "diverged" and sgd["steps_taken"] < data["steps"]
    assert not adam["diverged"]
    text = race("--lr", "3", "--opt", "sgd,adam").stdout
    assert "diverged" in text and str(sgd["stopped"]["step"]) in text


# -- The figure ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SURFACES)
def test_the_figure_renders_at_80_columns_with_every_optimizer(name, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    result = race(name, "--steps", "50")
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    for opt in DEFAULT_OPTIMIZERS:
        assert opt in result.stdout


def test_the_overlay_draws_every_path_on_one_plot(monkeypatch):
    monkeypatch.setenv("COLUMNS", "90")
    result = race("--overlay", "--opt", "sgd,momentum")
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.stdout.splitlines()) <= 90


# -- The user's rule ---------------------------------------------------------------------------


def test_a_correct_momentum_rule_matches_the_momentum_reference_path_exactly(tmp_path):
    rule = tmp_path / "rule.txt"
    rule.write_text(MOMENTUM_RULE, encoding="utf-8")
    for extra in (["--rule-drill", "momentum"], []):  # named or inferred from the rule's names
        data = race_json("--opt", "momentum", "--rule", str(rule), *extra)
        ref, yours = data["runs"]
        assert yours["optimizer"] == "yours" and yours["source"] == "rule (momentum)"
        assert yours["path"] == ref["path"] and yours["hp"] == ref["hp"]


def test_a_rule_on_stdin_races_with_its_own_learning_rate():
    data = race_json("--opt", "sgd", "--rule", "-", "--rule-drill", "sgd", "--lr-for", "yours=0.7", input="p = p - lr*(g + wd*p)\n")
    assert data["runs"][1]["hp"]["lr"] == 0.7 and not data["runs"][1]["diverged"]


def test_the_rule_shows_up_in_the_figure(tmp_path):
    rule = tmp_path / "adam.txt"
    rule.write_text(DRILLS["adam-bias"].reference_rule, encoding="utf-8")
    result = race("--rule", str(rule), "--opt", "adam")
    assert result.exit_code == 0, result.output
    assert "yours" in result.stdout


@pytest.mark.parametrize(
    "text",
    ["__import__('os').system('echo pwned')", "import os\np = p", "p = p.__class__.__bases__", "p = (lambda: 1)()"],
)
def test_a_hostile_rule_is_refused_with_exit_2_and_one_line(text, tmp_path):
    rule = tmp_path / "evil.txt"
    rule.write_text(text, encoding="utf-8")
    result = race("--rule", str(rule))
    assert_one_line_error(result)
    assert "pwned" not in result.output
    assert "line" in result.stderr  # the refusal points at the user's own text


def test_a_rule_missing_the_parameter_update_is_refused(tmp_path):
    rule = tmp_path / "rule.txt"
    rule.write_text("buf = mu*buf + g\n", encoding="utf-8")
    assert_one_line_error(race("--rule", str(rule), "--rule-drill", "momentum"))


# -- PNG ----------------------------------------------------------------------------------------


def test_png_without_matplotlib_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    out = tmp_path / "race.png"
    result = race("--png", str(out))
    assert_one_line_error(result)
    assert "matplotlib" in result.stderr and "pip install" in result.stderr and "gdgrill[plot]" in result.stderr
    assert not out.exists()


def test_png_is_written_when_matplotlib_is_installed(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "race.png"
    result = race("--png", str(out), "--steps", "40")
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000


# -- Errors and exit codes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["bogus"],
        ["--opt", "sophia"],
        ["--lr", "0"],
        ["--lr", "-1"],
        ["--lr-for", "adam"],
        ["--lr-for", "adam=fast"],
        ["--lr-for", "adagrad=0.1"],  # not racing
        ["--lr-for", "yours=0.1"],  # no --rule
        ["--steps", "0"],
        ["--kappa", "0.5"],
        ["rosenbrock", "--kappa", "10"],
        ["--noise", "-1"],
        ["--rule-drill", "adam"],
        ["--rule", "no-such-file.txt"],
        ["--rule", "-", "--rule-drill", "clip-norm"],
    ],
)
def test_user_mistakes_exit_2_with_one_line(args):
    assert_one_line_error(race(*args, input="p = p - lr*g\n"))


def test_ctrl_c_exits_130_calmly(monkeypatch):
    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(race_module, "run_race_command", interrupted)
    result = race()
    assert result.exit_code == 130 and "Traceback" not in result.output


def test_the_command_has_help_that_names_every_surface():
    result = race("--help")
    assert result.exit_code == 0
    for name in SURFACES:
        assert name in result.stdout


def test_the_command_module_imports_no_numpy_and_a_race_never_imports_torch():
    code = (
        "import sys\n"
        "import gdgrill.race.command\n"
        "assert 'numpy' not in sys.modules, 'numpy imported with the command module'\n"
        "import typer\n"
        "from typer.testing import CliRunner\n"
        "app = typer.Typer()\n"
        "app.command('race')(gdgrill.race.command.race_command)\n"
        "app.command('v')(lambda: None)\n"
        "r = CliRunner().invoke(app, ['race', '--json', '--rule', '-'], input='p = p - lr*g')\n"
        "assert r.exit_code == 0, r.output\n"
        "assert 'torch' not in sys.modules, 'torch imported by a race'\n"
    )
    env = {**__import__("os").environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=120)
