"""Automatic grading of quick-fire answers against a card's ``accept`` list.

An accept entry matches a typed answer when
- both read as the same number (``0.9`` = ``.90``; ``1e-8`` = ``1e−8`` = ``10^-8`` =
  ``1×10^-8``; ``10%`` = ``0.1``; ``1k`` = ``1000``), within 1e-6 relative;
- the entry is a range ``LOW..HIGH`` and the answer is one number inside it, or a range
  inside it ("2e-5 to 5e-5", "1-5%");
- both read as lists of numbers of the same length, equal in order
  (``0.9, 0.999`` = ``(0.9, 0.999)`` = ``0.9 and 0.999``);
- or, failing numbers, the two phrases agree ignoring case, spaces and punctuation.
Filler such as "about", "~" or "steps" around a number is ignored.
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache

REL_TOL = 1e-6

_NUMBER = re.compile(
    r"""
    (?<![\w.])
    (?P<mant>[-+]?(?:\d+(?:\.\d*)?|\.\d+))
    (?:e(?P<exp>[-+]?\d+))?
    (?:\s*[x*]\s*10\s*\^\s*\(?(?P<sci>[-+]?\d+)\)?)?
    (?:\s*\^\s*\(?(?P<pow>[-+]?\d+(?:\.\d+)?)\)?)?
    (?P<suffix>\s*%|k\b|m\b|x\b)?
    """,
    re.VERBOSE,
)
_FILLER = re.compile(
    r"\b(?:about|approx(?:imately)?|roughly|around|circa|some|nearly|almost|and|or|steps?|tokens?|times|the|is|of|peak)\b|[~≈,;()\[\]{}:=]"
)
_THOUSANDS = re.compile(r"(?<![\d.])(\d{1,3})((?:,\d{3})+)(?![\d.])")
_PUNCT = re.compile(r"[\s()\[\]{}.,;:!?'\"`_\-]+")
_RANGE = re.compile(r"^\s*(.+?)\s*\.\.\s*(.+?)\s*$")


def _canonical(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return (
        text.replace("−", "-")
        .replace("–", "-")
        .replace("×", "x")
        .replace("·", "*")
        .replace("**", "^")
        .replace("√", "sqrt")
    )


@lru_cache(maxsize=4096)  # the same accept entries are parsed for every answer checked
def parse_numbers(text: str) -> tuple[float, ...] | None:
    """The numbers a short answer states, in order; None when it says more than numbers."""
    text = _canonical(text).strip()
    text = _THOUSANDS.sub(lambda m: m.group(1) + m.group(2).replace(",", ""), text)
    numbers: list[float] = []

    def take(match: re.Match[str]) -> str:
        try:
            value = float(match.group("mant"))
            if match.group("exp"):
                value *= 10.0 ** int(match.group("exp"))
            if match.group("sci"):
                value *= 10.0 ** int(match.group("sci"))
            if match.group("pow"):
                value = value ** float(match.group("pow"))
        except (OverflowError, ZeroDivisionError, ValueError):
            value = math.nan
        suffix = (match.group("suffix") or "").strip()
        if suffix == "%":
            value /= 100
        elif suffix == "k":
            value *= 1e3
        elif suffix == "m":
            value *= 1e6  # "x" (as in "3x smaller") leaves the value as it is
        numbers.append(value)
        return " "

    rest = _NUMBER.sub(take, text)
    rest = _FILLER.sub(" ", rest).strip()
    if rest or not numbers or any(math.isnan(n) or math.isinf(n) for n in numbers):
        return None
    return tuple(numbers)


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=1e-15)


@lru_cache(maxsize=4096)
def normalize_phrase(text: str) -> str:
    return _PUNCT.sub("", _canonical(text))


_TYPED_RANGE = re.compile(r"^\s*(.+?)\s*(?:\.\.|\bto\b|–|—|(?<=[\d%x])\s*-\s*(?=[\d.]))\s*(.+?)\s*$")


def typed_range(answer: str) -> tuple[float, float] | None:
    """A range the user typed ("2e-5 to 5e-5", "1-5%", "3..10x"), low first; else None.
    A unit written only after the second number ("1-5%") applies to both."""
    m = _TYPED_RANGE.match(_canonical(answer))
    if not m:
        return None
    first, second = m.group(1), m.group(2)
    for unit in ("%", "x"):
        if second.endswith(unit) and not first.endswith(unit):
            first += unit
    a, b = parse_numbers(first), parse_numbers(second)
    if not a or not b or len(a) != 1 or len(b) != 1:
        return None
    return (min(a[0], b[0]), max(a[0], b[0]))


def _within(x: float, low: float, high: float) -> bool:
    return low - abs(low) * REL_TOL <= x <= high + abs(high) * REL_TOL


def matches(answer: str, entry: str) -> bool:
    """Whether a typed ``answer`` matches one ``accept`` (or ``reject``) entry."""
    if not answer.strip():
        return False
    span = _RANGE.match(_canonical(entry))
    if span:
        bounds = (parse_numbers(span.group(1)), parse_numbers(span.group(2)))
        if bounds[0] and bounds[1] and len(bounds[0]) == len(bounds[1]) == 1:
            low, high = sorted((bounds[0][0], bounds[1][0]))
            given = parse_numbers(answer)
            if given is not None and len(given) == 1:
                return _within(given[0], low, high)
            typed = typed_range(answer)  # a typed range must lie inside the accepted one
            return typed is not None and _within(typed[0], low, high) and _within(typed[1], low, high)
    wanted = parse_numbers(entry)
    given = parse_numbers(answer)
    if wanted is not None and given is not None:
        return len(wanted) == len(given) and all(_close(a, b) for a, b in zip(wanted, given))
    return normalize_phrase(answer) == normalize_phrase(entry) != ""


def is_accepted(answer: str, accept: tuple[str, ...] | list[str]) -> bool:
    return any(matches(answer, entry) for entry in accept)
