"""The two consoles every command renders through (stdout and stderr).

Commands receive them as arguments so tests can pass ``Console(file=StringIO())``; Rich
handles NO_COLOR, non-terminal output and width by itself.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text
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


class Hanging:
    """Styled prose whose wrapped lines stay under their own text: a wrapped bullet under
    its bullet, a numbered point under its words, at whatever width it is drawn (a panel
    at 80 columns, a wide terminal). Lines that fit are drawn as they are."""

    def __init__(self, text: Text):
        self.text = text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from gdgrill.text import text_column

        width = max(options.max_width, 10)
        for line in self.text.split("\n", allow_blank=True):
            if line.cell_len <= width:
                yield line
                continue
            column = text_column(line.plain)
            if column > width // 2:
                column = len(line.plain) - len(line.plain.lstrip())
            head, rest = line[:column], line[column:]
            wrapped = rest.wrap(console, width - column, overflow="fold")
            for i, piece in enumerate(wrapped):
                yield (head if i == 0 else Text(" " * column, style=line.style)) + piece
