"""The command line as a user meets it: help everywhere, version, exit codes."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from gdgrill import __version__
from gdgrill.cli import app

runner = CliRunner()


def all_commands():
    from gdgrill.cli import LAZY_COMMANDS, real_app

    root = get_command(app)
    stack = [((), root)]
    for name in LAZY_COMMANDS:  # the real command behind each lazily imported stub
        yield (name, "(real)"), get_command(real_app(name))
    while stack:
        path, cmd = stack.pop()
        yield path, cmd
        for name, sub in getattr(cmd, "commands", {}).items():
            stack.append((path + (name,), sub))


@pytest.mark.parametrize("path", [p for p, _ in all_commands()], ids=lambda p: " ".join(p) or "gdgrill")
def test_every_command_and_option_has_help(path):
    cmd = dict(all_commands())[path]
    assert (cmd.help or "").strip(), f"{path} has no help"
    for param in cmd.params:
        if param.param_type_name == "option" and param.name not in ("help",):
            assert (param.help or "").strip(), f"{path} --{param.name} has no help"
    result = runner.invoke(app, [*(p for p in path if p != "(real)"), "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


def test_version_and_no_args_shows_help():
    assert runner.invoke(app, ["--version"]).output.strip() == f"gdgrill {__version__}"
    result = runner.invoke(app, [])
    assert "quiz" in result.output and "report" in result.output


def test_python_dash_m_runs_without_importing_torch_or_numpy(tmp_path):
    code = (
        "import sys, runpy; sys.argv=['gdgrill','report','--format','json'];\n"
        "try:\n    runpy.run_module('gdgrill', run_name='__main__')\nexcept SystemExit: pass\n"
        "heavy = sorted(m for m in ('torch', 'numpy') if m in sys.modules); print('HEAVY', heavy, file=sys.stderr)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "HEAVY []" in result.stderr, result.stderr


def test_quiz_does_not_import_torch_or_numpy(tmp_path):
    code = (
        "import sys, runpy; sys.argv=['gdgrill','quiz','--limit','1'];\n"
        "try:\n    runpy.run_module('gdgrill', run_name='__main__')\nexcept SystemExit: pass\n"
        "heavy = sorted(m for m in ('torch', 'numpy') if m in sys.modules); print('HEAVY', heavy, file=sys.stderr)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, input="")
    assert "HEAVY []" in result.stderr, result.stderr


@pytest.mark.parametrize("command", [["quiz"], ["report"], ["decks", "list"], ["practice"]])
def test_a_garbage_progress_file_is_one_line_exit_2_and_left_untouched(isolated_home, command):
    isolated_home.mkdir(parents=True)
    db = isolated_home / "progress.db"
    db.write_bytes(b"\x00\x01 definitely not sqlite " * 50)
    before = db.read_bytes()
    result = runner.invoke(app, command, input="")
    assert result.exit_code == 2, result.output
    assert len(result.stderr.strip().splitlines()) == 1 and "not a gdgrill progress database" in result.stderr
    assert "Traceback" not in result.output and db.read_bytes() == before


def test_bare_gdgrill_prints_help_and_exits_0():
    result = subprocess.run([sys.executable, "-m", "gdgrill"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "quiz" in result.stdout and "Usage" in result.stdout


def test_a_curve_card_in_the_quiz_keeps_numpy_and_torch_off_the_daily_path(tmp_path):
    deck = tmp_path / "d"
    deck.mkdir()
    (deck / "c.yaml").write_text(
        "deck: {id: c, title: C, description: d}\ncards:\n  - id: x\n    question: What happened?\n"
        "    answer: It diverged.\n    curve: lr-too-high\n",
        encoding="utf-8",
    )
    code = (
        "import sys, runpy; sys.argv=['gdgrill','quiz','--decks',sys.argv[1],'--deck','c'];\n"
        "try:\n    runpy.run_module('gdgrill', run_name='__main__')\nexcept SystemExit: pass\n"
        "heavy = sorted(m for m in ('torch', 'numpy') if m in sys.modules); print('HEAVY', heavy, file=sys.stderr)"
    )
    result = subprocess.run([sys.executable, "-c", code, str(deck)], capture_output=True, text=True, timeout=60, input="\np\n")
    assert "NaN" in result.stdout and "HEAVY []" in result.stderr, result.stderr
