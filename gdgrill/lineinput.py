"""Reading what the user types: line editing and history in a terminal, plain lines
from a pipe.

In a terminal every prompt goes through GNU readline (or libedit) where Python has it:
arrow keys, Home/End, Ctrl-A/E/K/U/W and Ctrl-R work, Up recalls what was typed at the
same prompt before (each prompt keeps its own history, saved between sessions), and a
line can start pre-filled (a drill's retry starts from the previous attempt). The
prompt itself is handed to readline, wrapped so it knows the colour codes take no
columns, so a redraw never eats it. From a pipe, lines are read as they come, echoed so
a transcript stays readable, and bytes that are not UTF-8 become U+FFFD. Either way
escape sequences a terminal without line editing leaves behind are dropped
(:func:`gdgrill.text.clean_input`).
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import IO, Any, Iterable

from rich.console import Console

from gdgrill.text import clean_input

HISTORY_LINES = 300  # per prompt
_SGR = re.compile(r"(\x1b\[[0-9;]*m)")


class Prompter:
    """``prompter(prompt)`` reads one line (EOFError at end of input); ``line(prompt,
    default=...)`` pre-fills it; ``lines(...)`` reads a block ending at an empty line."""

    def __init__(
        self,
        console: Console,
        history_file: Path | None = None,
        stdin: IO[str] | None = None,
        style: str = "key",
    ):
        self.console = console
        self.stdin = stdin or sys.stdin
        self.style = style
        self.history_file = history_file
        self.interactive = _isatty(self.stdin)  # a person types: no echo needed
        self.readline: Any = _readline() if self.interactive and console.is_terminal else None
        self.histories: dict[str, list[str]] = self._load_history() if self.readline else {}
        if not self.interactive and hasattr(self.stdin, "reconfigure"):
            try:  # undecodable bytes: U+FFFD, never an exception that loses the line
                self.stdin.reconfigure(errors="replace")  # type: ignore[union-attr]
            except (ValueError, OSError):
                pass

    # -- the three ways to read ----------------------------------------------------------
    def __call__(self, prompt: str) -> str:
        return self.line(prompt)

    def line(self, prompt: str, default: str = "") -> str:
        if self.readline is not None:
            return self._edited(prompt, default)
        self.console.print(prompt, end="", markup=False, style=self.style)
        raw = self.stdin.readline()
        if not raw:
            raise EOFError
        line = clean_input(raw.rstrip("\r\n"))
        if not self.interactive:
            self.console.print(line, markup=False, highlight=False)  # keep the transcript readable
        return line

    def lines(self, first: str, more: str, default: Iterable[str] = (), limit: int | None = None) -> list[str]:
        """Lines until an empty one (or end of input). ``default`` pre-fills each line in
        turn: Enter keeps it, Ctrl-U clears it, an empty line ends the block."""
        typed: list[str] = []
        defaults = list(default)
        while True:
            try:
                line = self.line(more if typed else first, defaults[len(typed)] if len(typed) < len(defaults) else "")
            except EOFError:
                if self.interactive:
                    self.console.print()
                break
            if not line.strip():
                if typed:
                    break
                continue
            typed.append(line)
            if limit is not None and sum(len(x) + 1 for x in typed) > limit:
                break
        return typed

    # -- readline ------------------------------------------------------------------------
    def _edited(self, prompt: str, default: str) -> str:
        rl = self.readline
        history = self.histories.setdefault(prompt.strip(), [])
        rl.clear_history()
        for entry in history:
            rl.add_history(entry)
        if default:
            rl.set_startup_hook(lambda: rl.insert_text(default))
        try:
            line = input(self._readline_prompt(prompt))
        finally:
            if default:
                rl.set_startup_hook(None)
        line = clean_input(line)
        if line.strip() and (not history or history[-1] != line):
            history.append(line)
            del history[:-HISTORY_LINES]
            self._save_history()
        return line

    def _readline_prompt(self, prompt: str) -> str:
        with self.console.capture() as capture:
            self.console.print(prompt, end="", markup=False, style=self.style)
        # \001 … \002 tell readline that what lies between takes no columns on screen.
        return _SGR.sub("\x01\\1\x02", capture.get())

    def _load_history(self) -> dict[str, list[str]]:
        if self.history_file is None:
            return {}
        try:
            data = json.loads(self.history_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}  # a missing or damaged history is only a convenience lost
        if not isinstance(data, dict):
            return {}
        return {k: [x for x in v if isinstance(x, str)] for k, v in data.items() if isinstance(k, str) and isinstance(v, list)}

    def _save_history(self) -> None:
        if self.history_file is None:
            return
        try:
            self.history_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.history_file.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.histories, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, self.history_file)
        except OSError:
            pass  # a read-only data folder: history stays for this session only


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _readline() -> Any:
    try:
        import readline
    except ImportError:  # Windows without pyreadline: plain input, escape codes cleaned
        return None
    readline.set_auto_history(False)  # each prompt keeps its own history (see Prompter)
    readline.parse_and_bind("set enable-bracketed-paste on")
    return readline
