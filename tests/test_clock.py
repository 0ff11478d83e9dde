"""'Today' is a local study day that rolls over at 4 a.m., DST and time zones included."""

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from gdgrill.clock import local_day, today
from gdgrill.errors import UserError

NY = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")


def test_a_late_night_session_counts_for_the_day_before():
    assert local_day(datetime(2026, 3, 3, 3, 59, tzinfo=NY), tz=NY) == date(2026, 3, 2)
    assert local_day(datetime(2026, 3, 3, 4, 0, tzinfo=NY), tz=NY) == date(2026, 3, 3)


def test_the_rollover_hour_is_configurable():
    moment = datetime(2026, 3, 3, 5, 30, tzinfo=NY)
    assert local_day(moment, rollover_hour=6, tz=NY) == date(2026, 3, 2)
    assert local_day(moment, rollover_hour=0, tz=NY) == date(2026, 3, 3)


def test_spring_forward_night_neither_skips_nor_repeats_a_day():
    # 2026-03-08 02:00 EST jumps to 03:00 EDT in New York.
    before = datetime(2026, 3, 8, 6, 59, tzinfo=timezone.utc)  # 01:59 EST
    after_jump = datetime(2026, 3, 8, 7, 0, tzinfo=timezone.utc)  # 03:00 EDT
    rollover = datetime(2026, 3, 8, 8, 0, tzinfo=timezone.utc)  # 04:00 EDT
    assert local_day(before, tz=NY) == date(2026, 3, 7)
    assert local_day(after_jump, tz=NY) == date(2026, 3, 7)
    assert local_day(rollover, tz=NY) == date(2026, 3, 8)


def test_fall_back_night_repeats_an_hour_but_not_a_day():
    # 2026-11-01 02:00 EDT falls back to 01:00 EST; 01:30 happens twice.
    first = datetime(2026, 11, 1, 5, 30, tzinfo=timezone.utc)  # 01:30 EDT
    second = datetime(2026, 11, 1, 6, 30, tzinfo=timezone.utc)  # 01:30 EST
    rollover = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)  # 04:00 EST
    assert local_day(first, tz=NY) == local_day(second, tz=NY) == date(2026, 10, 31)
    assert local_day(rollover, tz=NY) == date(2026, 11, 1)


def test_the_same_instant_is_a_different_study_day_in_another_time_zone():
    moment = datetime(2026, 3, 2, 20, 0, tzinfo=timezone.utc)
    assert local_day(moment, tz=NY) == date(2026, 3, 2)
    assert local_day(moment, tz=TOKYO) == date(2026, 3, 3)  # 05:00 next morning


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        local_day(datetime(2026, 3, 2, 12, 0))


def test_gdgrill_today_pins_the_day(monkeypatch):
    monkeypatch.setenv("GDGRILL_TODAY", "2030-01-15")
    assert today() == date(2030, 1, 15)
    monkeypatch.setenv("GDGRILL_TODAY", "15/01/2030")
    with pytest.raises(UserError, match="GDGRILL_TODAY"):
        today()


def test_the_rollover_hour_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("GDGRILL_TODAY")
    monkeypatch.setenv("GDGRILL_ROLLOVER_HOUR", "25")
    with pytest.raises(UserError, match="GDGRILL_ROLLOVER_HOUR"):
        today()
    monkeypatch.setenv("GDGRILL_ROLLOVER_HOUR", "0")
    moment = datetime(2026, 3, 2, 0, 30).astimezone()
    assert today(moment) == moment.date()
