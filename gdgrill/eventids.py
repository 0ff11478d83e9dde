"""Globally unique, time-ordered ids for the events of the progress log.

An event id is a UUID in the version-7 layout of RFC 9562: 48 bits of Unix time in
milliseconds, then 74 bits that are random for a fresh id. Ids compare (as strings) in
the order of their time, so every machine sorts a merged log the same way, and each
table's ids are kept increasing in insertion order: :func:`next_uid` returns an id greater
than the table's newest one even when the clock stands still or went back. That makes
"the order of a table's rows" and "the order of their ids" the same thing on every
machine, which is what lets two merged logs replay to the same states.

Only ``os`` and ``time`` are imported here (both loaded at start-up anyway): the quiz's start-up path reaches this module.
"""

from __future__ import annotations

import os
import time

LOW_BITS = 74  # the 12 + 62 bits after the time, version and variant
LOW_MASK = (1 << LOW_BITS) - 1
MS_MASK = (1 << 48) - 1
STEP_BITS = 40  # a same-millisecond successor steps by 1 .. 2**40 (random), so ids stay unique


def format_uid(ms: int, low: int) -> str:
    """The id made of ``ms`` (Unix milliseconds) and ``low`` (74 bits)."""
    value = (ms & MS_MASK) << 80 | 0x7 << 76 | (low >> 62) << 64 | 0b10 << 62 | (low & ((1 << 62) - 1))
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def parse_uid(uid: str) -> tuple[int, int]:
    """(ms, low) of an id made by :func:`format_uid`; ValueError for anything else."""
    if len(uid) != 36 or uid[8] != "-" or uid[13] != "-" or uid[18] != "-" or uid[23] != "-":
        raise ValueError(f"not an event id: {uid!r}")
    value = int(uid.replace("-", ""), 16)
    if (value >> 76) & 0xF != 7 or (value >> 62) & 0b11 != 0b10 or uid != uid.lower():
        raise ValueError(f"not an event id: {uid!r}")
    return value >> 80, ((value >> 64) & 0xFFF) << 62 | (value & ((1 << 62) - 1))


_UID = None


def is_uid(text: object) -> bool:
    """Whether ``text`` is an id as :func:`format_uid` writes it (lowercase, version 7)."""
    global _UID
    if _UID is None:  # compiled on first use: the quiz's start-up never needs it
        import re

        _UID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\Z")
    return type(text) is str and len(text) == 36 and _UID.match(text) is not None


def next_uid(after: str | None, ms: int, entropy: int) -> str:
    """An id greater than ``after`` (None: no id yet): at time ``ms`` when that is later
    than ``after``'s, else just after ``after`` by a step drawn from ``entropy``."""
    if after is None:
        return format_uid(ms, entropy & LOW_MASK)
    last_ms, last_low = parse_uid(after)
    if ms > last_ms:
        return format_uid(ms, entropy & LOW_MASK)
    low = last_low + 1 + (entropy & ((1 << STEP_BITS) - 1))
    if low > LOW_MASK:
        return format_uid(last_ms + 1, low & LOW_MASK)
    return format_uid(last_ms, low)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def fresh_uid(after: str | None) -> str:
    """A new event's id, after the table's newest one ``after``."""
    return next_uid(after, now_ms(), int.from_bytes(os.urandom(10), "big"))
