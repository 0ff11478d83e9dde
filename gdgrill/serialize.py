"""JSON-safe numbers: every --json output writes non-finite values the same way."""

from __future__ import annotations

import math


def json_number(x: float) -> float | str:
    """A float for JSON; NaN and infinities (which JSON lacks) as "nan", "inf", "-inf"."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x
