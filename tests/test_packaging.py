"""A non-editable install, run from another folder, finds the shipped decks and drills."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path]:
    """The wheel built from this checkout and a non-editable install of it: (wheel, site
    folder). Built once for the module: building and installing take seconds each."""
    where = tmp_path_factory.mktemp("packaging")
    wheels = where / "wheels"
    # The PEP 517 hook pip itself calls (`pip wheel --no-build-isolation`), without pip's
    # own start-up and resolution: a third of the time.
    subprocess.run(
        [sys.executable, "-c", f"from hatchling.build import build_wheel; build_wheel({str(wheels)!r})"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = wheels.glob("gdgrill-*.whl")
    target = where / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return wheel, target


def test_the_wheel_carries_the_decks_and_an_installed_copy_finds_them(installed, tmp_path):
    wheel, target = installed
    names = zipfile.ZipFile(wheel).namelist()
    for deck in ("foundations", "schedules", "optimizers", "diagnostics", "quick-fire"):
        assert f"gdgrill/_shipped/decks/{deck}.yaml" in names
    assert "gdgrill/_shipped/decks.json" in names  # pre-parsed by hatch_build.py
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = dict(os.environ, PYTHONPATH=str(target), NO_COLOR="1", COLUMNS="120")
    result = subprocess.run(
        [sys.executable, "-m", "gdgrill", "decks", "list"], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert all(deck in result.stdout for deck in ("foundations", "optimizers", "quick-fire", "drills"))
    # A contributor's checkout beside that install: its decks/ are the shipped ones, edited
    # or not, and check clean (they used to clash with the installed copies of themselves).
    check = subprocess.run(
        [sys.executable, "-m", "gdgrill", "decks", "check", str(ROOT / "decks")],
        cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60,
    )
    assert check.returncode == 0, check.stderr
    assert check.stdout.startswith("ok: 5 deck(s)")
    where = subprocess.run(
        [sys.executable, "-c", "from gdgrill.paths import shipped_decks_dir; print(shipped_decks_dir())"],
        cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60,
    )
    assert where.stdout.strip().startswith(str(target))


def test_an_installed_wheel_loads_its_decks_without_parsing_yaml(installed, tmp_path):
    _, target = installed
    probe = (
        "import sys; sys.modules['yaml'] = None\n"  # any YAML parse would now fail
        "from gdgrill.decks import load_library\n"
        "print(len(load_library().cards))"
    )
    env = dict(os.environ, PYTHONPATH=str(target))
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) >= 180


def test_the_wheel_carries_the_drills_and_an_installed_copy_lists_them(installed, tmp_path):
    wheel, target = installed
    names = zipfile.ZipFile(wheel).namelist()
    shipped = sorted(p.name for p in (ROOT / "drills").glob("*.yaml"))
    assert {"_names.yaml", "_mistakes.yaml", "sgd.yaml", "adam-bias.yaml"} <= set(shipped)
    assert all(f"gdgrill/_shipped/drills/{name}" in names for name in shipped)
    assert "gdgrill/_shipped/drills.json" in names  # pre-parsed by hatch_build.py
    env = dict(os.environ, PYTHONPATH=str(target), NO_COLOR="1", COLUMNS="120", GDGRILL_HOME=str(tmp_path / "home"))
    env.pop("GDGRILL_DRILLS", None)
    result = subprocess.run(
        [sys.executable, "-m", "gdgrill", "drill", "list", "--json"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    listed = {d["name"]: d["group"] for d in json.loads(result.stdout)}
    assert set(listed) == {name[: -len(".yaml")] for name in shipped if not name.startswith("_")}
    assert (listed["sgd"], listed["clip-norm"], listed["warmup-cosine"]) == ("optimizers", "mechanics", "schedules")
    graded = subprocess.run(
        [sys.executable, "-m", "gdgrill", "drill", "sgd", "--answer", "-", "--no-torch", "--no-save"],
        cwd=tmp_path, env=env, input="p = p - lr*(g + wd*p)\n", capture_output=True, text=True, timeout=60,
    )
    assert graded.returncode == 0, graded.stdout + graded.stderr


def test_an_installed_wheel_loads_its_drills_without_parsing_yaml(installed, tmp_path):
    _, target = installed
    probe = (
        "import sys; sys.modules['yaml'] = None\n"  # any YAML parse would now fail
        "from gdgrill.drill.catalog import DRILLS\n"
        "print(len(DRILLS), DRILLS['adam-bias'].mutant('eps-inside-sqrt').title)"
    )
    env = dict(os.environ, PYTHONPATH=str(target))
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    count, title = result.stdout.split(" ", 1)
    assert int(count) == len([p for p in (ROOT / "drills").glob("*.yaml") if not p.name.startswith("_")])
    assert title.strip() == "ε inside the square root"
