"""A non-editable install, run from another folder, finds the shipped decks."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_carries_the_decks_and_an_installed_copy_finds_them(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = wheels.glob("gdgrill-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for deck in ("foundations", "schedules", "optimizers", "diagnostics", "quick-fire"):
        assert f"gdgrill/_shipped/decks/{deck}.yaml" in names
    assert "gdgrill/_shipped/decks.json" in names  # pre-parsed by hatch_build.py
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
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


def test_an_installed_wheel_loads_its_decks_without_parsing_yaml(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), *map(str, wheels.glob("*.whl"))],
        check=True, capture_output=True, timeout=300,
    )
    probe = (
        "import sys; sys.modules['yaml'] = None\n"  # any YAML parse would now fail
        "from gdgrill.decks import load_library\n"
        "print(len(load_library().cards))"
    )
    env = dict(os.environ, PYTHONPATH=str(target))
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) >= 180
