"""The two consoles every command renders through (stdout and stderr).

Commands receive them as arguments so tests can pass ``Console(file=StringIO())``; Rich
handles NO_COLOR, non-terminal output and width by itself.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

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
    return Console(stderr=stderr, theme=THEME, highlight=False, soft_wrap=False, emoji=False)


def error_line(console: Console, message: str) -> None:
    """One line on stderr: the whole message, no markup interpretation, no wrapping."""
    message = " ".join(message.split()) if "\n" in message or "\r" in message else message  # one line, always
    console.print(f"gdgrill: error: {message}", style="bad", markup=False, soft_wrap=True)


@contextmanager
def user_errors(err: Console, interrupted: str = "interrupted") -> Iterator[None]:
    """Turn a :class:`~gdgrill.errors.UserError` into one line on stderr and its exit code
    (2), and Ctrl-C into a calm line and exit 130 — never a traceback."""
    import typer

    from gdgrill.errors import ExitCode, UserError

    try:
        yield
    except UserError as exc:
        error_line(err, str(exc))
        raise typer.Exit(code=int(exc.exit_code)) from None
    except KeyboardInterrupt:
        err.print(f"\n{interrupted}", style="muted", markup=False)
        raise typer.Exit(code=int(ExitCode.INTERRUPTED)) from None
