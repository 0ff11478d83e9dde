"""Text helpers: deck prose written with hard line breaks, and what the user typed."""

from __future__ import annotations

import re

# What a terminal without line editing leaves in a typed line: CSI sequences (arrow keys,
# Home/End: ESC [ 1 ~), SS3 sequences (ESC O H), bracketed-paste marks, lone ESCs.
_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[O N][@-~]?|\x1b")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_MARKER = re.compile(r"^(\s*)([-•*·]|\d+[.)])\s+")
_LABEL = re.compile(r"^[A-Z][A-Za-z /-]{0,30}:(\s|$)")


def text_column(line: str) -> int:
    """Where a line's prose starts: after its indentation and any list marker."""
    marker = _MARKER.match(line)
    return marker.end() if marker else len(line) - len(line.lstrip())


def reflow(text: str) -> str:
    """Join the hard-wrapped lines of each paragraph so the terminal can wrap them to its
    own width. A line continues the one before when it starts where that line's prose
    starts (a hanging indent under a list item counts); blank lines, new list items,
    deeper-indented lines (formulas) and "Label:" lines keep their breaks."""
    out: list[str] = []
    column = 0  # where the prose of the line being built starts
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            out.append("")
            continue
        indent = len(line) - len(line.lstrip())
        continues = (
            out
            and out[-1]
            and not _MARKER.match(line)
            and not _LABEL.match(stripped)
            and indent == column
            and not out[-1].endswith(":")
        )
        if continues:
            out[-1] = out[-1].rstrip() + " " + stripped
        else:
            out.append(line.rstrip())
            column = text_column(line)
    return "\n".join(out)


_SURROGATE = re.compile("[\ud800-\udc7f\udd00-\udfff]")  # the lone surrogates no byte became


def clean_text(text: str) -> str:
    """Text as it can be stored: bytes that were not UTF-8 (kept by Python as lone
    surrogates) become U+FFFD instead of failing the write, and so does any other lone
    surrogate (a JSON file's "\\ud800")."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text).encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def clean_input(text: str) -> str:
    """A typed line as the user meant it: escape sequences that arrow and Home/End keys
    leave where no line editing runs are dropped, a tab is a space, other control
    characters go, and undecodable bytes become U+FFFD."""
    text = _ESCAPES.sub("", clean_text(text)).replace("\t", " ")
    return _CONTROLS.sub("", text)


def wrap_hanging(text: str, width: int) -> str:
    """Wrap reflowed prose to ``width`` columns, each continuation indented to where its
    line's prose starts: a wrapped bullet stays under its bullet, a numbered point under
    its text. Lines that fit are left exactly as they are (formulas keep their spacing)."""
    import textwrap

    out: list[str] = []
    for line in text.splitlines():
        if len(line) <= width or not line.strip():
            out.append(line)
            continue
        column = text_column(line)
        if column > width // 2:  # a hanging indent this deep leaves no room: plain wrap
            column = len(line) - len(line.lstrip())
        out.extend(
            textwrap.wrap(
                line[column:],
                width=width,
                initial_indent=line[:column],
                subsequent_indent=" " * column,
                break_on_hyphens=False,
                break_long_words=True,
            )
            or [line]
        )
    return "\n".join(out)
