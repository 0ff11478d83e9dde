"""Start-up of the daily path: `gdgrill quiz` to its first card, against the bare cost of
`python -c "import typer, rich.console"`, measured in the same run (goal <= 1.6x, <= 40 MB).

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
    run_process(quiz, env)  # create the database and warm the file cache
    run_process(base, env)
    q_times, q_rss, b_times, b_rss = [], [], [], []
    for _ in range(args.runs):  # interleaved, so drift hits both alike
        t, r = run_process(quiz, env)
        q_times.append(t)
        q_rss.append(r)
        t, r = run_process(base, env)
        b_times.append(t)
        b_rss.append(r)
    ratio = median(q_times) / median(b_times)
    print(f"gdgrill quiz to first card : {median(q_times) * 1000:7.1f} ms median, peak RSS {max(q_rss):5.1f} MB")
    print(f"import typer, rich.console : {median(b_times) * 1000:7.1f} ms median, peak RSS {max(b_rss):5.1f} MB")
    print(f"ratio                      : {ratio:7.2f}x  (goal <= {GOAL_RATIO}x)  {'OK' if ratio <= GOAL_RATIO else 'OVER'}")
    print(f"peak RSS                   : {max(q_rss):7.1f} MB (goal <= {GOAL_RSS_MB} MB)  {'OK' if max(q_rss) <= GOAL_RSS_MB else 'OVER'}")


if __name__ == "__main__":
    main()
