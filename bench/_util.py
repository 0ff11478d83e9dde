"""Small helpers shared by the benchmark scripts (timing whole processes, medians)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from typing import Sequence


def run_process(argv: Sequence[str], env: dict[str, str] | None = None, stdin: bytes = b"") -> tuple[float, float]:
    """Run a command to completion; return (wall seconds, peak RSS in MB) of that child alone."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proc.stdin.write(stdin)
    proc.stdin.close()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return wall, usage.ru_maxrss * 1024 / scale / 1024


def median(xs: Sequence[float]) -> float:
    return statistics.median(xs)


def median_time(fn, repeat: int = 5) -> float:
    """Median wall time of ``fn()`` in seconds over ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)
