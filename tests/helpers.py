"""Helpers shared by several test modules."""

from __future__ import annotations

import sqlite3
from pathlib import Path


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
