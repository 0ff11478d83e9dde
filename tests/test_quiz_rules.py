"""The quiz's pure parts, exactly: the countdown drawn on the answer line, the opening and
closing lines, which drills are due, why a selection is empty, and the next due day."""

from __future__ import annotations

import io
import re
import time
from datetime import date, timedelta

import pytest

from gdgrill.quiz import Countdown

TODAY = date(2026, 3, 2)


def test_the_countdown_redraws_the_seconds_left_at_the_lines_right_edge_then_says_time():
    out = io.StringIO()
    with Countdown(0.2, out, width=60, tick=0.02):
        time.sleep(0.7)  # well past the deadline, even on a busy machine
    drawn = re.findall(r"\x1b7\x1b\[(\d+)G(.*?)\x1b8", out.getvalue())
    assert drawn, out.getvalue()
    assert {column for column, _ in drawn} == {"51"}  # the last nine columns of 60
    labels = [label for _, label in drawn]
    seconds = [float(m.group(1)) for label in labels if (m := re.fullmatch(r"⏱ +(\d+\.\d)s", label))]
    assert seconds and all(0 <= s <= 0.2 for s in seconds) and seconds == sorted(seconds, reverse=True)
    assert labels[-1] == "⏱ time! " and labels.index("⏱ time! ") == len(seconds)  # counting down, then time


def test_the_countdown_stops_drawing_when_the_answer_is_in():
    out = io.StringIO()
    with Countdown(30, out, width=10, tick=0.01) as countdown:
        time.sleep(0.05)
    assert countdown.column == 1  # a narrow screen: never left of the first column
    drawn = out.getvalue()
    time.sleep(0.05)
    assert out.getvalue() == drawn and not countdown.thread.is_alive()
