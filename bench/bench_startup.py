"""Start-up of the daily path: `gdgrill quiz` to its first card, against the bare cost of
`python -c "import typer, rich.console"`, measured in the same run (goal <= 1.6x, <= 40 MB),
without and with an interview plan (a week of history and a self-assessment on file, so
the planner replays the memory model and weighs the assessed areas).

    python bench/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

from _util import median, run_process

GOAL_RATIO = 1.6
GOAL_RSS_MB = 40.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="gdgrill-bench-")
    env = dict(os.environ, GDGRILL_HOME=home, NO_COLOR="1")
    # An installed package runs from compiled bytecode; let the warm-up write it, as the
    # first real run (or pip's install step) would.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    quiz = [sys.executable, "-m", "gdgrill", "quiz", "--limit", "1"]
    base = [sys.executable, "-c", "import typer, rich.console"]
    planned_env = dict(env, GDGRILL_HOME=tempfile.mkdtemp(prefix="gdgrill-bench-plan-"))
    with_plan(planned_env)
    run_process(quiz, env)  # create the database and warm the file cache
    run_process(quiz, planned_env)
    run_process(base, env)
    times: dict[str, list[float]] = {"quiz": [], "plan": [], "base": []}
    rss: dict[str, list[float]] = {"quiz": [], "plan": [], "base": []}
    for _ in range(args.runs):  # interleaved, so drift hits all alike
        for name, argv, e in (("quiz", quiz, env), ("plan", quiz, planned_env), ("base", base, env)):
            t, r = run_process(argv, e)
            times[name].append(t)
            rss[name].append(r)
    b = median(times["base"])
    for name, label in (("quiz", "gdgrill quiz to first card "), ("plan", "  the same, with a plan    ")):
        ratio = median(times[name]) / b
        peak = max(rss[name])
        print(f"{label}: {median(times[name]) * 1000:7.1f} ms median, peak RSS {peak:5.1f} MB, "
              f"{ratio:4.2f}x (goal <= {GOAL_RATIO}x) {'OK' if ratio <= GOAL_RATIO and peak <= GOAL_RSS_MB else 'OVER'}")
    print(f"import typer, rich.console : {b * 1000:7.1f} ms median, peak RSS {max(rss['base']):5.1f} MB")


def with_plan(env: dict[str, str]) -> None:
    """A 14-day plan, a week of reviews through `gdgrill review --batch`, one assessment."""
    import json
    import subprocess
    from datetime import date, timedelta

    def gd(*args: str, stdin: str = "", day: date | None = None) -> str:
        e = dict(env, GDGRILL_TODAY=(day or start).isoformat())
        return subprocess.run([sys.executable, "-m", "gdgrill", *args], input=stdin, env=e, text=True,
                              capture_output=True, check=True).stdout

    start = date.today() - timedelta(days=7)
    gd("plan", "--interview", (start + timedelta(days=21)).isoformat())
    for offset in range(7):
        day = start + timedelta(days=offset)
        items = json.loads(gd("due", "--format", "json", day=day))["items"]
        batch = "\n".join(json.dumps({"item": i["item"], "grade": "fail" if n % 4 == 0 else "pass"}) for n, i in enumerate(items))
        gd("review", "--batch", "-", stdin=batch, day=day)
    gd("assess", "--ratings", "3,2,4,3,2,4,3", day=start + timedelta(days=6))


if __name__ == "__main__":
    main()
