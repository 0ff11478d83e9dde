"""Errors the user caused (bad deck, bad answer file, corrupt database...) and exit codes.

A :class:`UserError` is shown as one line on stderr and exits with ``ExitCode.USAGE`` (2);
it never becomes a traceback.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1  # a drill answer that is wrong
    USAGE = 2  # bad input, refused answer, unknown name, corrupt file
    INTERRUPTED = 130  # Ctrl-C


class UserError(Exception):
    """Something the user can fix; the message is a single line naming file/line/field."""

    exit_code = ExitCode.USAGE

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message
