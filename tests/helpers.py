"""Helpers shared by several test modules."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest


def logged_reviews(home: Path) -> list[tuple]:
    """(item, grade, mode, answer, detail) of every row in the progress log, oldest first,
    read straight from SQLite (not through the store under test)."""
    db = home / "progress.db"
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT i.key, r.grade, r.mode, r.answer, r.detail FROM reviews r JOIN items i ON i.id = r.item_id ORDER BY r.id"
        ).fetchall()


def command_app(name: str, function, help: str):
    """A Typer app with ``function`` as its subcommand ``name`` (and a second command, so
    ``name`` stays a real subcommand) — to test one command without the whole CLI."""
    import typer

    app = typer.Typer()
    app.command(name, help=help)(function)

    @app.command("version")
    def _version() -> None:
        pass

    return app


def make_unwritable(paths: list[Path]) -> list[Path]:
    """Make files and folders unwritable for real: immutable when running as root (chmod
    does not stop root), read-only modes otherwise. Returns what to restore."""
    done = []
    for p in paths:
        if os.geteuid() == 0:
            if subprocess.run(["chattr", "+i", str(p)], capture_output=True).returncode != 0:
                pytest.fail(f"chattr +i failed on {p}: this check needs a file system with immutable files")
        else:
            p.chmod(0o555 if p.is_dir() else 0o444)
        done.append(p)
    return done


def restore(paths: list[Path]) -> None:
    for p in paths:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(p)], capture_output=True)
        else:
            p.chmod(0o755 if p.is_dir() else 0o644)


class Clock:
    """A clock that moves ``step`` seconds each time it is read."""

    def __init__(self, step: float):
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now
