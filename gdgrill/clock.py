""""Today" for a spaced-repetition habit: a local calendar day that rolls over at 4 a.m.

A session at 1 a.m. still counts for the evening before. ``GDGRILL_TODAY=YYYY-MM-DD`` pins
the day (time travel, tests); the rollover hour is a setting (``rollover_hour`` in
config.toml, ``GDGRILL_ROLLOVER_HOUR``; see :mod:`gdgrill.config`).
The functions here are the only place gdgrill reads the clock.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone, tzinfo
from pathlib import Path

from gdgrill.errors import UserError

DEFAULT_ROLLOVER_HOUR = 4


def local_day(moment: datetime, rollover_hour: int = DEFAULT_ROLLOVER_HOUR, tz: tzinfo | None = None) -> date:
    """The study day that ``moment`` (timezone-aware) belongs to, in ``tz`` (default: local).

    Works on the local wall clock, so a daylight-saving night neither skips nor repeats a
    day: 03:59 belongs to the previous day and 04:00 to the new one, whatever the offset.
    """
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    local = moment.astimezone(tz) if tz is not None else moment.astimezone()
    day = local.date()
    if local.hour < rollover_hour:
        day -= timedelta(days=1)
    return day


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def today(moment: datetime | None = None, home: Path | None = None) -> date:
    """The current study day: ``GDGRILL_TODAY`` when set, else :func:`local_day` of now
    (or of ``moment``) with the rollover hour configured for ``home`` (the --home
    folder; None: GDGRILL_HOME or the platform's)."""
    pinned = os.environ.get("GDGRILL_TODAY")
    if pinned:
        try:
            return date.fromisoformat(pinned)
        except ValueError:
            raise UserError(f"GDGRILL_TODAY={pinned!r}: expected a date as YYYY-MM-DD") from None
    from gdgrill.config import settings

    return local_day(moment or now_utc(), settings(home).rollover_hour)
