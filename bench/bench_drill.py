"""Benchmark the drill judge.

    PYTHONPATH=. python bench/bench_drill.py

Prints (1) the time to judge one answer — cold (first answer in the process, including the
known-mistake catalog for a wrong one) and warm — (2) a wrong answer's verdict with its
diagnosis (where it goes wrong, the repair search) over the wrong answers of
tests/diagnosis_cases.py and tests/diagnosis_fresh_cases.py, each in a fresh process for the
cold figure (goal: <= 300 ms, torch never imported), and the share that gets the expected
diagnosis, (3) the overhead of interpreting the user's rule relative to running the
reference optimizer alone on numpy (goal: <= 2x), for Adam at several array sizes, and (4) the
torch cross-check after a pass (torch.optim on cpu, and on cuda when there is one).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _util import median_time  # noqa: E402

STEPS = 200
ADAM_USER = """
m = β₁·m + (1−β₁)·g
v = β₂·v + (1−β₂)·g²
m̂ = m/(1−β₁ᵗ)
v̂ = v/(1−β₂ᵗ)
θ = θ − η·m̂/(√v̂ + ε)
"""
ADAM_WRONG = ADAM_USER.replace("(√v̂ + ε)", "√(v̂ + ε)")




def main() -> int:
    from gdgrill.drill.catalog import DRILLS
    from gdgrill.drill.judge import judge

    drill = DRILLS["adam-bias"]
    start = time.perf_counter()
    verdict = judge(drill, ADAM_USER)
    cold_pass = time.perf_counter() - start
    assert verdict.passed, verdict.message
    start = time.perf_counter()
    verdict = judge(drill, ADAM_WRONG)
    cold_fail = time.perf_counter() - start
    assert verdict.misconception and verdict.misconception.id == "eps-inside-sqrt"
    warm_pass = median_time(lambda: judge(drill, ADAM_USER))
    warm_fail = median_time(lambda: judge(drill, ADAM_WRONG))
    torch_free = "torch" not in sys.modules

    print("judge one answer (adam-bias, 4 instances x 8 steps, float64 numpy):")
    print(f"  correct answer : cold {cold_pass * 1e3:7.2f} ms   warm {warm_pass * 1e3:7.2f} ms")
    print(f"  wrong answer   : cold {cold_fail * 1e3:7.2f} ms   warm {warm_fail * 1e3:7.2f} ms  (cold runs all {len(drill.mutants)} known mistakes once)")
    print(f"  torch imported on the numpy-only path: {'no' if torch_free else 'YES (regression)'}")

    latency_ok = wrong_answer_latency()
    overhead_ok = interpreter_overhead()
    every_ok = every_drill_overhead()

    try:
        start = time.perf_counter()
        import torch

        verdict = judge(drill, ADAM_USER, torch_device="cpu")
        first = time.perf_counter() - start
        warm = median_time(lambda: judge(drill, ADAM_USER, torch_device="cpu"))
        print(f"with the cross-check ({verdict.torch.compared}): first {first * 1e3:.1f} ms (includes importing torch), warm {warm * 1e3:.2f} ms")
        for c in verdict.torch.checks:
            print(f"  {c.dtype}: worst |Δ| {c.max_abs_diff:.2g}, tolerance {c.tolerance:.2g}, agrees={c.agrees}")
        if torch.cuda.is_available():
            judge(drill, ADAM_USER, torch_device="cuda")
            warm = median_time(lambda: judge(drill, ADAM_USER, torch_device="cuda"))
            verdict = judge(drill, ADAM_USER, torch_device="cuda")
            print(f"with the cross-check on cuda ({torch.cuda.get_device_name()}): warm {warm * 1e3:.2f} ms")
            for c in verdict.torch.checks:
                print(f"  {c.dtype}: worst |Δ| {c.max_abs_diff:.2g}, tolerance {c.tolerance:.2g}, agrees={c.agrees}")
        else:
            print("no CUDA device here: the cuda cross-check is not timed")
    except ImportError:
        print("torch not installed: cross-check not timed")
    return 0 if (torch_free and overhead_ok and latency_ok and every_ok) else 1


_COLD = """
import json, sys, time
from gdgrill.drill.catalog import DRILLS
from gdgrill.drill.judge import judge
name, text = json.loads(sys.argv[1])
started = time.perf_counter()
verdict = judge(DRILLS[name], text)
seconds = time.perf_counter() - started
print(json.dumps([seconds, "torch" in sys.modules, verdict.verdict]))
"""


def wrong_answer_latency(cold_samples: int = 24) -> bool:
    """A wrong answer's verdict, diagnosis included: warm over every case, cold (a fresh
    process, so the drill's catalog and reference are computed too) on a sample."""
    import json
    import subprocess

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from diagnosis_cases import CASES
    from diagnosis_fresh_cases import FRESH
    from test_drill_diagnosis import shortfall

    from gdgrill.drill.catalog import DRILLS
    from gdgrill.drill.judge import judge

    cases = [(n, t, e) for source in (CASES, FRESH) for n, items in source.items() for t, e in items]
    for n, t, _ in cases:  # warm every drill's caches
        judge(DRILLS[n], t)
    warm = sorted(median_time(lambda n=n, t=t: judge(DRILLS[n], t), repeat=3) for n, t, _ in cases)
    right = {name: sum(shortfall(n, t, e) is None for n, t, e in cases if (n, t) in keys) for name, keys in (("mine", {(n, t) for n, items in CASES.items() for t, _ in items}), ("fresh", {(n, t) for n, items in FRESH.items() for t, _ in items}))}
    step = max(1, len(cases) // cold_samples)
    cold = []
    torch_seen = False
    for n, t, _ in cases[::step]:
        out = subprocess.run([sys.executable, "-c", _COLD, json.dumps([n, t])], capture_output=True, text=True, check=True)
        seconds, imported, _ = json.loads(out.stdout)
        cold.append(seconds)
        torch_seen |= imported
    cold.sort()
    pick = lambda xs, q: xs[min(len(xs) - 1, int(q * len(xs)))]  # noqa: E731
    print(f"a wrong answer's verdict with its diagnosis ({len(cases)} wrong answers across the 12 drills):")
    print(f"  warm: median {pick(warm, 0.5) * 1e3:.1f} ms, p90 {pick(warm, 0.9) * 1e3:.1f} ms, max {warm[-1] * 1e3:.1f} ms")
    print(f"  cold (fresh process, {len(cold)} sampled): median {pick(cold, 0.5) * 1e3:.1f} ms, max {cold[-1] * 1e3:.1f} ms (goal <= 300 ms)")
    print(f"  torch imported on that path: {'YES (regression)' if torch_seen else 'no'}")
    mine = sum(len(v) for v in CASES.values())
    fresh = sum(len(v) for v in FRESH.values())
    print(f"  expected diagnosis: {right['mine']}/{mine} of tests/diagnosis_cases.py, {right['fresh']}/{fresh} of tests/diagnosis_fresh_cases.py")
    return max(warm[-1], cold[-1]) <= 0.3 and not torch_seen


def interpreter_overhead() -> bool:
    import numpy as np

    from gdgrill.drill.catalog import DRILLS
    from gdgrill.drill.judge import parse_for
    from gdgrill.drill.language import compile_rule
    from gdgrill.drill.references import get_reference

    drill = DRILLS["adam-bias"]
    rule = compile_rule(parse_for(drill, ADAM_USER))
    ref = get_reference("adam")
    hp = {"lr": 1e-3, "b1": 0.9, "b2": 0.999, "eps": 1e-8}
    print(f"interpreter overhead vs the reference alone (Adam, {STEPS} steps, numpy float64):")
    worst = 0.0
    for size in (10, 1_000, 100_000):
        rng = np.random.default_rng(0)
        p0 = rng.normal(size=size)
        grads = rng.normal(size=(STEPS, size))

        def run_reference() -> None:
            p, state = p0, ref.init(p0, np)
            for g in grads:
                p, state = ref.step(p, g, state, hp, np)

        def run_rule() -> None:
            env = {"p": p0}
            rule.init_state(env, p0)
            scalars = {k: np.float64(v) for k, v in hp.items()}
            for k, g in enumerate(grads):
                env.update(scalars)
                env["t"] = np.float64(k + 1)
                env["g"] = g
                rule.step(env)

        t_ref, t_rule = median_time(run_reference), median_time(run_rule)
        ratio = t_rule / t_ref
        worst = max(worst, ratio)
        print(f"  n={size:>7}: reference {t_ref / STEPS * 1e6:8.2f} us/step   rule {t_rule / STEPS * 1e6:8.2f} us/step   ratio {ratio:.2f}x")
    print(f"  worst ratio {worst:.2f}x (goal <= 2x): {'ok' if worst <= 2 else 'OVER'}")
    return worst <= 2


def _bench_instance(drill, instance):
    """The drill's first instance made large enough to time: 200 steps over 100,000
    parameters (64 x 32 for a matrix drill: Newton–Schulz is cubic). A schedule keeps its instance (one number a
    step): its run is repeated instead."""
    from dataclasses import replace

    if drill.kind == "schedule":
        return instance
    shape = (100_000,) if len(instance.shape) < 2 else (64, 32)
    return replace(instance, steps=STEPS, shape=shape)


def every_drill_overhead() -> bool:
    """Judging each drill's reference rule (parsing, interpreting, comparing) against running
    its Python reference over the same large instance, both through the judge's own paths."""
    from gdgrill.drill.catalog import DRILLS
    from gdgrill.drill.judge import first_difference, make_problem, parse_for, reference_trajectory, rule_trajectory

    print(f"judging each drill's reference rule vs its reference alone ({STEPS} steps x 100,000 parameters; a schedule its own instance, 200 times):")
    worst, over = 0.0, []
    for name in sorted(DRILLS):
        drill = DRILLS[name]
        problem = make_problem(drill, _bench_instance(drill, drill.instances[0]))
        expected = reference_trajectory(drill, problem)

        rounds = 200 if drill.kind == "schedule" else 1
        rule = parse_for(drill, drill.reference_rule)  # once per answer: timed apart, below

        def judged() -> None:
            for _ in range(rounds):
                yours = rule_trajectory(drill, rule, problem)
            assert first_difference(drill, problem, yours, expected) is None

        def referenced() -> None:
            for _ in range(rounds):
                reference_trajectory(drill, problem)

        # interleaved pairs, the ratio pair by pair: a shared machine's drift hits both alike
        refs, rules, ratios = [], [], []
        for _ in range(5):
            refs.append(median_time(referenced, repeat=1))
            rules.append(median_time(judged, repeat=1))
            ratios.append(rules[-1] / refs[-1])
        t_ref, t_rule, ratio = statistics.median(refs), statistics.median(rules), statistics.median(ratios)
        worst = max(worst, ratio)
        if ratio > 2:
            over.append(name)
        print(f"  {name:<22} reference {t_ref * 1e3:8.1f} ms   judged {t_rule * 1e3:8.1f} ms   ratio {ratio:5.2f}x (median of 5 pairs)")
    parse = sorted(median_time(lambda d=d: parse_for(d, d.reference_rule), repeat=5) for d in DRILLS.values())
    print(f"  worst ratio {worst:.2f}x over {len(DRILLS)} drills (goal <= 2x): {'ok' if not over else 'OVER: ' + ', '.join(over)}")
    print(f"  parsing a reference rule (once per answer): median {parse[len(parse) // 2] * 1e3:.2f} ms, max {parse[-1] * 1e3:.2f} ms")
    return not over


if __name__ == "__main__":
    sys.exit(main())
