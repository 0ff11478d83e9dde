"""Every number a curve card states about its stored run is true of data/curves/*.json.

One test per card that names a `curve:`. Each test first asserts that the card still says the
phrase (so an edit of the card has to come here too), then computes the figure from the stored
values. The curves' qualitative shape is tested in test_curves.py; this module holds the cards
to their exact words.
"""

from __future__ import annotations

import math
import re

import pytest

from gdgrill.curves import Curve, load_curve
from gdgrill.decks import load_library

LIBRARY = load_library()
CURVE_CARDS = sorted(c.id for c in LIBRARY.deck("diagnostics").cards if c.curve)


def card_text(card_id: str) -> str:
    card = LIBRARY.card(f"diagnostics/{card_id}")
    # YAML block text wraps lines: compare with every run of whitespace as one space.
    return re.sub(r"\s+", " ", " ".join([card.question, card.answer, *card.key_points]))


def says(card_id: str, *phrases: str) -> None:
    text = card_text(card_id)
    for phrase in phrases:
        assert phrase in text, f"{card_id} no longer says {phrase!r}: update its test"


def mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)


def rounded(x: float, digits: int) -> str:
    return f"{x:.{digits}f}"


def series(curve: Curve, index: int = 0) -> list[float]:
    return list(curve.series[index].values)


def first_step_at_or_below(values: list[float], level: float, start: int) -> int:
    return next(i for i in range(start, len(values)) if values[i] <= level)


def test_every_curve_card_has_a_claims_test_here():
    tested = {name[len("test_"):].replace("_", "-") for name in globals() if name.startswith("test_curve_")}
    assert set(CURVE_CARDS) <= tested, set(CURVE_CARDS) - tested


def test_curve_good():
    loss = series(load_curve("good"))
    says("curve-good", "the first 10 steps average 1.09", "ln 3 ≈ 1.10", "0.88 over steps 0–49",
         "0.31 over steps 150–199", "0.13 over steps 250–299", "0.48, at step 464",
         "no point after the first is above the starting loss", "0.099 over steps 350–399",
         "to 0.075 over the last 50")
    assert rounded(mean(loss[:10]), 2) == "1.09" and rounded(math.log(3), 2) == "1.10"
    assert [rounded(mean(loss[a:a + 50]), 2) for a in (0, 150, 250)] == ["0.88", "0.31", "0.13"]
    late = loss[300:]
    assert rounded(max(late), 2) == "0.48" and 300 + late.index(max(late)) == 464
    assert max(loss[1:]) < loss[0]
    assert rounded(mean(loss[350:400]), 3) == "0.099" and rounded(mean(loss[-50:]), 3) == "0.075"


def test_curve_lr_too_high():
    curve = load_curve("lr-too-high")
    loss = series(curve)
    says("curve-lr-too-high", "(1.14, up to 1.43 at step 2, down to 0.66 at step 7)", "from 3.8 at step 9",
         "about 10¹⁵⁴ at step 21", "NaN from step 22", "μ = 0.9", "2(1 + μ) = 3.8",
         "from step 16 on the exponent roughly doubles every step (10⁵, 10¹⁰, 10²⁰, 10⁴⁰, 10⁷⁷, 10¹⁵⁴)")
    assert "momentum 0.9" in curve.description and "SGD" in curve.description
    assert 2 * (1 + 0.9) == pytest.approx(3.8)
    assert (rounded(loss[0], 2), rounded(loss[2], 2), rounded(loss[7], 2)) == ("1.14", "1.43", "0.66")
    assert max(loss[:9]) == loss[2] and min(loss[:9]) == loss[7]
    assert rounded(loss[9], 1) == "3.8"
    assert curve.series[0].first_nonfinite_step() == 22
    exponents = [math.floor(math.log10(v)) for v in loss[16:22]]
    assert exponents == [5, 10, 20, 40, 77, 154]
    ratios = [math.log10(b) / math.log10(a) for a, b in zip(loss[16:21], loss[17:22])]
    assert all(1.8 < r < 2.1 for r in ratios), ratios


def test_curve_lr_too_low():
    low, good = series(load_curve("lr-too-low")), series(load_curve("good"))
    says("curve-lr-too-low", "from 1.12 (the first 10 steps' average) to 1.00 (the last 50 steps' average)",
         "about 11 %", "averages 0.075 over its last 50 steps", "ranges from 0.93 to 1.04",
         "no point is more than 2 % above the start", "100× larger LR")
    start, end = mean(low[:10]), mean(low[-50:])
    assert (rounded(start, 2), rounded(end, 2)) == ("1.12", "1.00")
    assert round(100 * (1 - end / start)) == 11
    assert rounded(mean(good[-50:]), 3) == "0.075"
    assert "lr 0.0005" in load_curve("lr-too-low").description and "lr 0.05" in load_curve("good").description
    assert (rounded(min(low[-50:]), 2), rounded(max(low[-50:]), 2)) == ("0.93", "1.04")
    assert max(low) <= 1.02 * low[0]


def test_curve_no_warmup_spike():
    curve = load_curve("no-warmup-spike")
    cold, warm = series(curve, 0), series(curve, 1)
    says("curve-no-warmup-spike", "(0.05, cosine decay to 0)", "50-step linear warmup", "jumps from 1.10 to 8.8 at step 2",
         "back below the start by step 6", "falls from 1.10 to 0.71 over its first 10 steps", "1/50 of the peak",
         "to 1.01 at step 36, then 1.40 at step 66", "0.79 at step 73", "(1.10 at step 42)",
         "from step 100 on neither run goes above 0.18", "0.028 vs 0.020 at step 199, about 40 %",
         "from step 132 on", "1.40 at step 66")
    assert "peak lr 0.05" in curve.description and "cosine decay to 0" in curve.description
    assert "50-step linear warmup" in curve.description
    assert rounded(cold[0], 2) == "1.10" and rounded(cold[2], 1) == "8.8" and max(cold[:20]) == cold[2]
    assert first_step_at_or_below(cold, cold[0], 3) == 6
    assert rounded(warm[0], 2) == "1.10" and rounded(warm[9], 2) == "0.71" and max(warm[1:10]) < warm[0]
    spikes = {36: "1.01", 66: "1.40", 73: "0.79"}
    for step, value in spikes.items():  # each a local peak of the warmed-up run
        assert rounded(warm[step], 2) == value and warm[step] == max(warm[step - 3:step + 4]), step
    assert warm[66] > warm[0] and max(warm) == warm[66]
    assert rounded(cold[42], 2) == "1.10" and cold[42] == max(cold[20:])
    assert max(cold[100:] + warm[100:]) < 0.18
    assert (rounded(cold[199], 3), rounded(warm[199], 3)) == ("0.028", "0.020")
    assert round(100 * (cold[199] / warm[199] - 1), -1) == 40
    behind = [i for i in range(len(cold)) if all(c > w for c, w in zip(cold[i:], warm[i:]))]
    assert behind[0] == 132


def test_curve_overfitting():
    curve = load_curve("overfitting")
    train, val = series(curve, 0), series(curve, 1)
    says("curve-overfitting", "falling at every step — from 1.08 to 0.0004 by step 499", "bottoms out at step 94 (0.31)",
         "rises steadily to 0.42 by step 499", "about 17,000 weights, 60 training examples")
    assert all(b < a for a, b in zip(train, train[1:]))
    assert rounded(train[0], 2) == "1.08" and rounded(train[499], 4) == "0.0004"
    best = val.index(min(val))
    assert best == 94 and rounded(val[best], 2) == "0.31"
    assert rounded(val[499], 2) == "0.42"
    assert all(b > a for a, b in zip(val[best::25], val[best + 25::25]))  # steadily, in 25-step strides
    gaps = [v - t for t, v in zip(train, val)]
    assert all(b > a for a, b in zip(gaps[best::25], gaps[best + 25::25]))
    widths = [int(w) for w in re.search(r"MLP ([\d-]+)", curve.description).group(1).split("-")]
    weights = sum(a * b + b for a, b in zip(widths, widths[1:]))
    assert round(weights, -3) == 17_000 and "60 training points" in curve.description


def test_curve_step_decay_plateau():
    curve = load_curve("step-decay-plateau")
    loss = series(curve)
    says("curve-step-decay-plateau", "over steps 200–399 it averages 0.17", "between 0.13 and 0.20",
         "(step 400, LR ×0.1)", "from 0.090 at step 400 to 0.054 by step 425", "between 0.043 and 0.055")
    assert [(m.step, m.label) for m in curve.markers] == [(400, "lr x0.1")]
    assert rounded(mean(loss[200:400]), 2) == "0.17"
    blocks = [mean(loss[a:a + 25]) for a in range(200, 400, 25)]
    assert (rounded(min(blocks), 2), rounded(max(blocks), 2)) == ("0.13", "0.20")
    assert (rounded(loss[400], 3), rounded(loss[425], 3)) == ("0.090", "0.054")
    assert (rounded(min(loss[425:]), 3), rounded(max(loss[425:]), 3)) == ("0.043", "0.055")


def test_curve_small_batch_noise():
    curve = load_curve("small-batch-noise")
    tiny, big = series(curve, 0), series(curve, 1)
    says("curve-small-batch-noise", "its highest point is 3.6", "from 1.01 over the first 50 steps to only 0.55 over the last 50",
         "falls smoothly to 0.05", "over 300× smaller", "batch size 4", "batch 256")
    assert rounded(max(tiny), 1) == "3.6" and min(tiny) < 0.01  # "from near 0 up to 3 and more"
    assert (rounded(mean(tiny[:50]), 2), rounded(mean(tiny[-50:]), 2)) == ("1.01", "0.55")
    assert rounded(big[-1], 2) == "0.05"

    def jitter(loss):
        return mean((b - a) ** 2 for a, b in zip(loss, loss[1:]))

    assert jitter(tiny) > 300 * jitter(big)


def test_curve_clipping_tames_spike():
    curve = load_curve("clipping-tames-spike")
    plain, clipped = series(curve, 0), series(curve, 1)
    says("curve-clipping-tames-spike", "clipping by global norm at 2.5", "identical up to step 200",
         "from 0.33 to 2.24 in a single step", "to 2.70 at step 203", "back to its pre-spike level (0.33) only at step 281",
         "(0.093 vs 0.061 at step 499)", "is 0.35 (step 205), below the 0.37 of step 199", "here one step of 500",
         "1/(1 − μ) = 10")
    assert "clip_grad_norm 2.5 (it fired on 1 of 500 steps: 200)" in curve.description
    assert "momentum 0.9" in curve.description
    assert [m.step for m in curve.markers] == [200]
    assert plain[:201] == clipped[:201] and plain[201] != clipped[201]
    assert (rounded(plain[200], 2), rounded(plain[201], 2)) == ("0.33", "2.24")
    assert rounded(max(plain), 2) == "2.70" and plain.index(max(plain)) == 203
    assert first_step_at_or_below(plain, plain[200], 204) == 281
    assert (rounded(plain[499], 3), rounded(clipped[499], 3)) == ("0.093", "0.061")
    after = clipped[201:]
    assert rounded(max(after), 2) == "0.35" and 201 + after.index(max(after)) == 205
    assert rounded(clipped[199], 2) == "0.37" and max(after) < clipped[199]
