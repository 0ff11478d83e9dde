"""The two consoles every command renders through (stdout and stderr).

Commands receive them as arguments so tests can pass ``Console(file=StringIO())``; Rich
handles NO_COLOR, non-terminal output and width by itself.
"""

from __future__ import annotations

from rich.console import Console
from rich.theme import Theme

THEME = Theme(
    {
        "ok": "bold green",
        "bad": "bold red",
        "warn": "yellow",
        "muted": "dim",
        "key": "bold cyan",
        "title": "bold",
    }
)


def make_console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, theme=THEME, highlight=False, soft_wrap=False)


def error_line(console: Console, message: str) -> None:
    """One line on stderr: the whole message, no markup interpretation, no wrapping."""
    console.print(f"gdgrill: error: {message}", style="bad", markup=False, soft_wrap=True)
