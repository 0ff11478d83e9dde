"""Checking a quick-fire answer: the time per answer, cold (first reading of its accept
entries, formulas parsed) and warm (the quiz's second card on), against the goal of
<= 5 ms warm; and what the first check imports (numpy and sympy must not load).

    python bench/bench_quickfire.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

GOAL_WARM_MS = 5.0
ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    from gdgrill import answers
    from gdgrill.decks import load_library

    library = load_library(None)
    data = yaml.safe_load((ROOT / "tests" / "quickfire_answers.yaml").read_text(encoding="utf-8"))
    cases = [(library.card(f"quick-fire/{cid}"), text) for cid, lists in data.items() for kind in ("right", "wrong") for text in lists[kind]]
    cold = []
    for card, text in cases:
        answers.read.cache_clear()
        answers._parse_formula.cache_clear()
        t = time.perf_counter()
        card.verdict(text)
        cold.append((time.perf_counter() - t) * 1000)
    warm: list[float] = []
    for _ in range(args.rounds):
        for card, text in cases:
            answers.read.cache_clear()  # the answer is new each time; its card's entries stay parsed
            for entry in card.accept:
                answers.read(entry, answers.Spec.from_mapping(card.check), entry=True)
            t = time.perf_counter()
            card.verdict(text)
            warm.append((time.perf_counter() - t) * 1000)
    probe = subprocess.run(
        [sys.executable, "-c", "import sys; from gdgrill.decks import load_library; c = load_library(None).card('quick-fire/best-fixed-step-qf');"
         " c.verdict('2/(mu+L)'); print(' '.join(m for m in ('numpy', 'sympy', 'torch') if m in sys.modules) or 'none')"],
        capture_output=True, text=True, check=True,
    )
    p = lambda xs, q: sorted(xs)[min(len(xs) - 1, int(q * len(xs)))]  # noqa: E731
    print(f"{len(cases)} answers over {len(data)} cards")
    print(f"cold  median {statistics.median(cold):.3f} ms   p99 {p(cold, 0.99):.3f} ms   max {max(cold):.3f} ms")
    print(f"warm  median {statistics.median(warm):.3f} ms   p99 {p(warm, 0.99):.3f} ms   max {max(warm):.3f} ms"
          f"   goal <= {GOAL_WARM_MS} ms: {'met' if p(warm, 0.99) <= GOAL_WARM_MS else 'MISSED'}")
    print(f"heavy modules after a formula check: {probe.stdout.strip()}")


if __name__ == "__main__":
    main()
