"""Benchmark `gdgrill race`.

    PYTHONPATH=. python bench/bench_race.py

Prints the median time of (1) the simulation alone for the default race on every surface
(seven reference optimizers, the surface's default steps), (2) the same with the user's rule
racing too (the drill language's interpreter), (3) drawing the terminal figure at 100
columns, and (4) a whole `race` process (import, run, render) for the default valley.
"""

from __future__ import annotations

import io
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _util import median_time, run_process  # noqa: E402

ADAM_RULE = "m = β₁·m + (1−β₁)·g\nv = β₂·v + (1−β₂)·g²\nθ = θ − η·m/(1−β₁ᵗ)/(√(v/(1−β₂ᵗ)) + ε)\n"




def main() -> int:
    from rich.console import Console

    from gdgrill.race.plot import print_race
    from gdgrill.race.run import DEFAULT_OPTIMIZERS, parse_rule_for, reference_entrants, rule_entrant, run_race
    from gdgrill.race.surfaces import SURFACES, make_surface

    print(f"{'surface':<11} {'steps':>6} {'simulate':>10} {'+ your rule':>12} {'figure':>9}")
    for name in SURFACES:
        surface = make_surface(name)
        steps = surface.default_steps
        entrants = reference_entrants(surface, DEFAULT_OPTIMIZERS)
        rule, drill = parse_rule_for(ADAM_RULE, None)
        with_rule = [*entrants, rule_entrant(rule, drill, surface.default_lrs["adam"])]
        sim = median_time(lambda: run_race(surface, entrants, steps))
        sim_rule = median_time(lambda: run_race(surface, with_rule, steps))
        race = run_race(surface, entrants, steps)
        draw = median_time(lambda: print_race(race, Console(file=io.StringIO(), width=100)))
        print(f"{name:<11} {steps:>6} {sim * 1e3:>8.1f}ms {sim_rule * 1e3:>10.1f}ms {draw * 1e3:>7.1f}ms")

    argv = [sys.executable, "-c", "import typer; from gdgrill.race.command import race_command; typer.run(race_command)"]
    walls = [run_process(argv)[0] for _ in range(5)]
    print(f"whole process, default valley race: {statistics.median(walls) * 1e3:.0f} ms (median of 5)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
