"""Regenerate the loss curves in data/curves/ from real tiny torch training runs.

    python data/make_curves.py [OUT_DIR]      # default: data/curves next to this script

Every run trains a small MLP on 3-class 2-D spirals (synthetic, made from a fixed seed) on
the CPU, in float64, on one thread, with deterministic algorithms and fixed seeds for the
weights and the batch order, so the files come out bit-for-bit the same each time (a test
regenerates them and compares bytes). float64 keeps the last printed digit stable across
CPUs, whose BLAS kernels may sum in a different order. Needs torch; takes a few seconds.

File format (``gdgrill-curve/1``), one JSON file per curve, never a pickle::

    {"format": "gdgrill-curve/1", "name": "good",
     "description": "one line: model, data, optimizer, lr, batch, steps, seed",
     "y_label": "what the values are",
     "y_scale": "linear",                                    # or "log": how to draw it
     "markers": [{"step": 400, "label": "lr x0.1"}],        # events worth drawing
     "series": [{"name": "train", "steps": [0, 1, ...], "values": [1.14054, ...]}]}

Values are printed with ``%.6g``. A loss that is not finite (inf or NaN) is stored as
``null``: JSON has no inf or NaN, and a diverged run's log shows nan from that step on.
The value at step s is the loss measured before that step's update (after s updates), on
that step's batch or on a fixed set, as the y_label says.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch

FORMAT = "gdgrill-curve/1"
F = torch.nn.functional


# ---- data and model ---------------------------------------------------------------------

def spirals(per_class: int, noise: float, seed: int, inner: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Three interleaved spiral arms in the plane (the CS231n toy problem), starting at radius
    ``inner`` (at 0 the three arms share the origin, a point no model can classify)."""
    gen = torch.Generator().manual_seed(seed)
    xs, ys = [], []
    for c in range(3):
        radius = torch.linspace(inner, 1.0, per_class)
        angle = torch.linspace(4.0 * c, 4.0 * (c + 1), per_class) + noise * torch.randn(per_class, generator=gen)
        xs.append(torch.stack([radius * torch.sin(angle), radius * torch.cos(angle)], dim=1))
        ys.append(torch.full((per_class,), c))
    return torch.cat(xs), torch.cat(ys)


def mlp(seed: int, hidden: int = 64, depth: int = 2) -> torch.nn.Module:
    # Leaky ReLU: units cannot die, so a too-high LR really overflows instead of stalling.
    torch.manual_seed(seed)
    layers: list[torch.nn.Module] = []
    width = 2
    for _ in range(depth):
        layers += [torch.nn.Linear(width, hidden), torch.nn.LeakyReLU(0.1)]
        width = hidden
    layers.append(torch.nn.Linear(width, 3))
    return torch.nn.Sequential(*layers)


@dataclass
class Run:
    """One training run: what to train and how, and what to log at each step."""

    optimizer: Callable[..., torch.optim.Optimizer]
    lr: Callable[[int], float]
    steps: int
    batch: int
    seed: int = 0
    hidden: int = 64
    depth: int = 2
    clip_norm: float | None = None
    corrupt_step: int | None = None  # this step's batch has its inputs scaled x30
    log: str = "batch"  # "batch": the loss of the step's batch; "set": the loss on a fixed set
    log_set: tuple[torch.Tensor, torch.Tensor] | None = None
    data: tuple[torch.Tensor, torch.Tensor] | None = None  # default: the 600 spiral points
    clipped_steps: list[int] | None = None  # filled with the steps whose pre-clip norm exceeded clip_norm


def train(run: Run) -> list[float]:
    x, y = run.data if run.data is not None else spirals(200, noise=0.2, seed=0)
    model = mlp(run.seed, run.hidden, run.depth)
    opt = run.optimizer(model.parameters())
    order = torch.Generator().manual_seed(run.seed + 1)
    losses = []
    for step in range(run.steps):
        for group in opt.param_groups:
            group["lr"] = run.lr(step)
        idx = torch.randint(0, len(x), (run.batch,), generator=order)
        inputs = x[idx] * 30.0 if step == run.corrupt_step else x[idx]
        loss = F.cross_entropy(model(inputs), y[idx])
        if run.log == "batch":
            losses.append(loss.item())
        else:
            assert run.log_set is not None
            with torch.no_grad():
                losses.append(F.cross_entropy(model(run.log_set[0]), run.log_set[1]).item())
        opt.zero_grad()
        loss.backward()
        if run.clip_norm is not None:
            norm = torch.nn.utils.clip_grad_norm_(model.parameters(), run.clip_norm)
            if run.clipped_steps is not None and norm.item() > run.clip_norm:
                run.clipped_steps.append(step)
        opt.step()
    return losses


def sgd(**kw) -> Callable[..., torch.optim.Optimizer]:
    return lambda params: torch.optim.SGD(params, lr=0.0, momentum=0.9, **kw)


def adam(**kw) -> Callable[..., torch.optim.Optimizer]:
    return lambda params: torch.optim.Adam(params, lr=0.0, **kw)


def constant(lr: float) -> Callable[[int], float]:
    return lambda step: lr


# ---- the curves -------------------------------------------------------------------------

DATA = "3-class spirals (600 points, noise 0.2, data seed 0)"
MLP = "MLP 2-64-64-3 (leaky ReLU), float64"


def curves(only: set[str] | None = None) -> dict[str, dict]:
    """Train every run (or those of the curves named in ``only``) and return the curves by
    name (in file order). Each curve's runs seed themselves, so any subset comes out the same."""
    torch.set_num_threads(1)
    # What torch.use_deterministic_algorithms(True) sets for eager ops; the public call also
    # imports the compiler stack (~1.4 s) only to set a flag for torch.compile, unused here.
    torch._C._set_deterministic_algorithms(True)
    torch.set_default_dtype(torch.float64)
    TRAIN = spirals(200, noise=0.2, seed=0)  # noqa: N806 (the data set every run shares)
    out: dict[str, dict] = {}

    def want(name: str) -> bool:
        return only is None or name in only

    def add(name, description, y_label, series, markers=(), y_scale="linear"):
        out[name] = {"description": description, "y_label": y_label, "y_scale": y_scale,
                     "series": series, "markers": list(markers)}

    if want("good"):
        good = train(Run(sgd(), constant(0.05), steps=500, batch=32))
        add("good", f"{MLP} on {DATA}; SGD momentum 0.9, lr 0.05, batch 32, 500 steps, seed 0",
            "training loss (batch of 32)", [("train", good)])

    if want("lr-too-high"):
        high = train(Run(sgd(), constant(2.0), steps=100, batch=32))
        add("lr-too-high", f"{MLP} on {DATA}; SGD momentum 0.9, lr 2.0 (40x the good run), batch 32, 100 steps, seed 0",
            "training loss (batch of 32)", [("train", high)], y_scale="log")

    if want("lr-too-low"):
        low = train(Run(sgd(), constant(0.0005), steps=500, batch=32))
        add("lr-too-low", f"{MLP} on {DATA}; SGD momentum 0.9, lr 0.0005 (1/100 of the good run), batch 32, 500 steps, seed 0",
            "training loss (batch of 32)", [("train", low)])

    if want("no-warmup-spike"):
        peak, total, warm = 0.05, 200, 50
        cosine = lambda step: 0.5 * (1.0 + math.cos(math.pi * step / total))  # noqa: E731
        wide = dict(hidden=128, depth=3, steps=total, batch=64, log="set", log_set=TRAIN)
        cold = train(Run(adam(), lambda s: peak * cosine(s), **wide))
        warmed = train(Run(adam(), lambda s: peak * min((s + 1) / warm, cosine(s)), **wide))
        add("no-warmup-spike",
            f"MLP 2-128-128-128-3 (leaky ReLU), float64, on {DATA}; Adam peak lr {peak}, cosine decay to 0, batch 64, "
            f"{total} steps, seed 0; no warmup vs {warm}-step linear warmup to the same peak",
            "training loss on the whole training set", [("no warmup", cold), (f"{warm}-step warmup", warmed)],
            [(warm, "warmup ends")], y_scale="log")

    if want("overfitting"):
        small = spirals(20, noise=0.4, seed=3, inner=0.1)
        held_out = spirals(200, noise=0.4, seed=4)
        train_loss, val_loss = _overfit(small, held_out)
        add("overfitting",
            "MLP 2-128-128-3 (leaky ReLU), float64, on 60 training points of noisy 3-class spirals (noise 0.4, seed 3), "
            "600 held-out points (seed 4); Adam lr 0.003, full batch, 500 steps, seed 0",
            "loss on the whole training / validation set", [("train", train_loss), ("validation", val_loss)])

    if want("step-decay-plateau"):
        milestone = 400
        decay = train(Run(sgd(), lambda s: 0.1 if s < milestone else 0.01, steps=600, batch=16, log="set", log_set=TRAIN))
        add("step-decay-plateau",
            f"{MLP} on {DATA}; SGD momentum 0.9, lr 0.1 then 0.01 from step {milestone}, batch 16, 600 steps, seed 0",
            "training loss on the whole training set", [("train", decay)],
            [(milestone, "lr x0.1")])

    if want("small-batch-noise"):
        tiny = train(Run(sgd(), constant(0.05), steps=500, batch=4))
        big = train(Run(sgd(), constant(0.05), steps=500, batch=256))
        add("small-batch-noise", f"{MLP} on {DATA}; SGD momentum 0.9, lr 0.05, batch 4 vs batch 256, 500 steps, seed 0",
            "training loss of each step's batch", [("batch 4", tiny), ("batch 256", big)])

    if want("clipping-tames-spike"):
        # The threshold sits above every pre-clip norm of a normal batch in this run (their largest is
        # about 2.1), so clipping fires only on the corrupted batch and the two runs agree exactly up to
        # it; a threshold below the typical norm (1.0 here) would clip dozens of ordinary steps too.
        bad, clip = 200, 2.5
        unclipped = train(Run(sgd(), constant(0.05), steps=500, batch=32, corrupt_step=bad, log="set", log_set=TRAIN))
        fired: list[int] = []
        clipped = train(Run(sgd(), constant(0.05), steps=500, batch=32, corrupt_step=bad, clip_norm=clip,
                            clipped_steps=fired, log="set", log_set=TRAIN))
        add("clipping-tames-spike",
            f"{MLP} on {DATA}; SGD momentum 0.9, lr 0.05, batch 32, 500 steps, seed 0; the batch of step {bad} is "
            f"corrupted (inputs x30); without clipping vs clip_grad_norm {clip} (it fired on {len(fired)} of 500 "
            f"steps: {', '.join(str(s) for s in fired)})",
            "training loss on the whole training set",
            [("no clipping", unclipped), (f"clip norm {clip}", clipped)], [(bad, "corrupted batch")])
    return out


def _overfit(train_set, held_out) -> tuple[list[float], list[float]]:
    model = mlp(0, hidden=128)
    opt = torch.optim.Adam(model.parameters(), lr=0.003)
    train_loss, val_loss = [], []
    for _ in range(500):
        loss = F.cross_entropy(model(train_set[0]), train_set[1])
        train_loss.append(loss.item())
        with torch.no_grad():
            val_loss.append(F.cross_entropy(model(held_out[0]), held_out[1]).item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return train_loss, val_loss


# ---- writing ----------------------------------------------------------------------------

def _number(v: float) -> str:
    return "%.6g" % v if math.isfinite(v) else "null"


def curve_text(name: str, curve: dict) -> str:
    """The file's exact bytes: fixed key order, fixed float format, one series per line pair."""
    lines = [
        "{",
        f'  "format": {json.dumps(FORMAT)},',
        f'  "name": {json.dumps(name)},',
        f'  "description": {json.dumps(curve["description"])},',
        f'  "y_label": {json.dumps(curve["y_label"])},',
        f'  "y_scale": {json.dumps(curve["y_scale"])},',
        '  "markers": [' + ", ".join(
            f'{{"step": {step}, "label": {json.dumps(label)}}}' for step, label in curve["markers"]) + "],",
        '  "series": [',
    ]
    for i, (series_name, values) in enumerate(curve["series"]):
        comma = "," if i < len(curve["series"]) - 1 else ""
        lines += [
            f'    {{"name": {json.dumps(series_name)},',
            '     "steps": [' + ", ".join(str(s) for s in range(len(values))) + "],",
            '     "values": [' + ", ".join(_number(v) for v in values) + f"]}}{comma}",
        ]
    lines += ["  ]", "}", ""]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Regenerate gdgrill's stored loss curves from real tiny torch runs.")
    parser.add_argument("out_dir", nargs="?", type=Path, default=Path(__file__).resolve().parent / "curves",
                        help="where to write the JSON files (default: data/curves beside this script)")
    parser.add_argument("--only", metavar="NAME,...", help="regenerate only these curves (the rest are left alone)")
    args = parser.parse_args(argv)
    out_dir = args.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    only = set(args.only.split(",")) if args.only else None
    made = curves(only)
    if only is not None and only - set(made):
        parser.error(f"--only: no curve called {', '.join(sorted(only - set(made)))}")
    for name, curve in made.items():
        (out_dir / f"{name}.json").write_bytes(curve_text(name, curve).encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
