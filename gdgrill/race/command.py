"""``gdgrill race``: optimizers race from one start on a 2-D surface; see the zig-zag.

Usage::

    gdgrill race                              # the valley (κ = 50), seven optimizers, 100 steps
    gdgrill race rosenbrock --opt adam --opt momentum
    gdgrill race --lr 2.1                     # one η for all: SGD diverges, the table says so
    gdgrill race --lr-for adam=0.1 --steps 200
    gdgrill race noisy --noise 0.5 --seed 3   # stochastic gradients (the same noise for everyone)
    gdgrill race --rule my_momentum.txt --rule-drill momentum   # your rule, labelled "yours"
    gdgrill race --png race.png               # the same figure with matplotlib (pip install 'gdgrill[plot]')
    gdgrill race --json                       # trajectories and table as JSON

Surfaces: ``valley`` ½(x²/κ + y²), ``rosenbrock``, ``saddle`` x² − y², ``noisy`` (the valley
with Gaussian gradient noise). Each optimizer is the drills' reference implementation with its
default hyper-parameters; learning rates default per surface (see
:mod:`gdgrill.race.surfaces`), then ``--lr`` sets one for all, then ``--lr-for NAME=LR`` per
optimizer (``yours`` for your rule).

``--json`` prints one object on stdout (non-finite numbers as "nan", "inf", "-inf")::

    {
      "surface": {"name": str, "formula": str, "params": {"kappa": number}?,
                  "start": [x, y], "minimum": [x, y] | null, "min_value": number | null,
                  "bounds": [[x_min, x_max], [y_min, y_max]], "noise": number},
      "steps": int, "seed": int,
      "goal": {"tol": number, "loss": number, "label": str},   # the loss "steps_to_goal" waits for
      "runs": [{
        "optimizer": "sgd" | ... | "yours", "letter": "S",
        "source": "reference" | "rule (<drill>)",
        "hp": {"lr": number, ...},                   # every hyper-parameter used
        "steps_taken": int,                          # fewer than "steps" when the run stopped
        "final_loss": number,
        "steps_to_goal": int | null,                 # first step with loss <= goal.loss
        "sign_flips": int,                           # crossings of the valley floor (the zig-zag)
        "diverged": bool,
        "stopped": {"step": int, "reason": "diverged" | "escaped"} | null,
        "path": [[x, y], ...],                       # steps_taken + 1 points, the start first
        "loss": [number, ...]                        # the loss at each of those points
      }, ...]
    }

Exit codes: 0 the race ran (divergence is a result, not an error); 2 a user error (unknown
surface or optimizer, bad number, unreadable or refused rule, --png without matplotlib);
130 interrupted. numpy is imported only when the command runs; torch never.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console

from gdgrill.console import make_console, user_errors
from gdgrill.errors import ExitCode, UserError

if TYPE_CHECKING:
    from gdgrill.race.run import Entrant, Race
    from gdgrill.race.surfaces import Surface

MAX_STEPS = 100_000
PNG_NEEDS = "matplotlib is needed for --png: pip install 'gdgrill[plot]'"


def race_command(
    surface: Annotated[
        str,
        typer.Argument(help="The surface: valley (½(x²/κ + y²)), rosenbrock, saddle (x² − y²) or noisy (the valley with noisy gradients).", show_default=True),
    ] = "valley",
    opt: Annotated[
        Optional[list[str]],
        typer.Option("--opt", "-o", metavar="NAME", help="An optimizer to race (repeatable, or comma-separated): sgd momentum nesterov rmsprop adagrad adam adamw amsgrad lion nadam radam adamax adadelta adafactor rprop asgd muon (the point as a 2×1 matrix) lamb lars lookahead schedule-free-adamw. Default: sgd momentum nesterov rmsprop adam adamw lion.", show_default=False),
    ] = None,
    lr: Annotated[Optional[float], typer.Option("--lr", help="One learning rate for every optimizer (default: a per-optimizer rate chosen for the surface).", show_default=False)] = None,
    lr_for: Annotated[
        Optional[list[str]],
        typer.Option("--lr-for", metavar="NAME=LR", help="The learning rate of one optimizer, e.g. adam=0.1 (repeatable; 'yours' for --rule).", show_default=False),
    ] = None,
    steps: Annotated[Optional[int], typer.Option("--steps", help="Steps per optimizer (default: the surface's, 100 on the valley).", show_default=False)] = None,
    kappa: Annotated[Optional[float], typer.Option("--kappa", help="Condition number of the valley and the noisy valley (default 50).", show_default=False)] = None,
    noise: Annotated[Optional[float], typer.Option("--noise", help="σ of Gaussian noise added to every gradient (default 0.3 on noisy, 0 elsewhere).", show_default=False)] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the gradient noise; the same seed gives the same race.")] = 0,
    tol: Annotated[Optional[float], typer.Option("--tol", help="The table's goal: steps until loss − min ≤ TOL (on the saddle: loss ≤ −TOL).", show_default=False)] = None,
    rule: Annotated[
        Optional[str],
        typer.Option("--rule", metavar="FILE|-", help="Race your own update rule (the drill language; '-' reads stdin), labelled 'yours'.", show_default=False),
    ] = None,
    rule_drill: Annotated[
        Optional[str],
        typer.Option("--rule-drill", metavar="DRILL", help="Whose names your rule uses and whose hyper-parameters it gets, e.g. momentum or adam (default: inferred from the names it uses).", show_default=False),
    ] = None,
    png: Annotated[Optional[Path], typer.Option("--png", metavar="FILE", help="Also write the figure as a PNG (needs matplotlib: pip install 'gdgrill[plot]').", show_default=False)] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the trajectories and the table as one JSON object instead of the figure.")] = False,
    overlay: Annotated[bool, typer.Option("--overlay", help="Draw every path on one plot instead of one small plot per optimizer.")] = False,
) -> None:
    """Race optimizers on a 2-D surface: paths over the contour, loss vs step, and a table."""
    out, err = make_console(), make_console(stderr=True)
    with user_errors(err, "interrupted."):
        code = run_race_command(
            surface, opt, lr, lr_for, steps, kappa, noise, seed, tol, rule, rule_drill, png, json_output, overlay, out, err
        )
    raise typer.Exit(code=code)


def run_race_command(
    surface_name: str,
    opt: list[str] | None,
    lr: float | None,
    lr_for: list[str] | None,
    steps: int | None,
    kappa: float | None,
    noise: float | None,
    seed: int,
    tol: float | None,
    rule: str | None,
    rule_drill: str | None,
    png: Path | None,
    json_output: bool,
    overlay: bool,
    out: Console,
    err: Console,
) -> int:
    """The command's logic with its consoles passed in; returns the exit code."""
    if png is not None:
        require_matplotlib()
    if rule_drill is not None and rule is None:
        raise UserError("--rule-drill needs --rule FILE (the rule it names the variables of)")
    _positive("--lr", lr)
    _positive("--tol", tol)
    _positive("--noise", noise, allow_zero=True)
    if kappa is not None and not (math.isfinite(kappa) and kappa >= 1):
        raise UserError(f"--kappa must be a number ≥ 1 (the ratio of the steep to the flat curvature), not {kappa:g}")
    if steps is not None and not 1 <= steps <= MAX_STEPS:
        raise UserError(f"--steps must be between 1 and {MAX_STEPS}, not {steps}")

    from gdgrill.race.run import DEFAULT_OPTIMIZERS, reference_entrants, run_race

    surface = _surface(surface_name, kappa, noise)
    names = _optimizers(opt, DEFAULT_OPTIMIZERS)
    rates = _lr_overrides(lr_for or [], names, allow_yours=rule is not None)
    entrants = reference_entrants(surface, names, lr, rates)
    if rule is not None:
        entrants.append(_rule_entrant(rule, rule_drill, surface, lr, rates))

    from gdgrill.drill.language import RefusedAnswer

    try:
        race = run_race(surface, entrants, steps or surface.default_steps, seed=seed, tol=tol)
    except RefusedAnswer as refusal:
        raise UserError(f"{_rule_source(rule)}: {refusal.message}") from None

    if png is not None:
        _write_png(race, png, err)
    if json_output:
        out.print(json.dumps(race.to_dict()), markup=False, highlight=False, soft_wrap=True)
    else:
        from gdgrill.race.plot import print_race

        print_race(race, out, overlay=overlay)
    return ExitCode.OK


def require_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UserError(PNG_NEEDS) from None


def _write_png(race: "Race", png: Path, err: Console) -> None:
    from gdgrill.race.plot import write_png

    try:
        write_png(race, png)
    except OSError as exc:
        raise UserError(f"{png}: cannot write the PNG ({exc.strerror or exc})") from None
    err.print(f"wrote {png}", style="muted", markup=False)


def _positive(flag: str, value: float | None, allow_zero: bool = False) -> None:
    if value is None:
        return
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise UserError(f"{flag} must be a {'non-negative' if allow_zero else 'positive'} number, not {value:g}")


def _surface(name: str, kappa: float | None, noise: float | None) -> "Surface":
    from gdgrill.race.surfaces import SURFACES, make_surface

    key = name.strip().lower()
    if key not in SURFACES:
        raise UserError(f"unknown surface {name!r} (choose from: {', '.join(SURFACES)})")
    try:
        return make_surface(key, kappa=kappa, noise=noise)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def _optimizers(opt: list[str] | None, default: tuple[str, ...]) -> list[str]:
    """The optimizers named (repeated or comma-separated, in order, once each)."""
    from gdgrill.race.run import RACERS

    if not opt:
        return list(default)
    names: list[str] = []
    for item in opt:
        for name in item.split(","):
            name = name.strip().lower()
            if not name:
                continue
            if name not in RACERS:
                raise UserError(f"unknown optimizer {name!r} for --opt (choose from: {', '.join(RACERS)})")
            if name not in names:
                names.append(name)
    if not names:
        raise UserError("--opt names no optimizer")
    return names


def _lr_overrides(items: list[str], names: list[str], allow_yours: bool) -> dict[str, float]:
    from gdgrill.race.run import YOURS

    racing = [*names, YOURS] if allow_yours else names
    rates: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip().lower()
        if not sep or not name:
            raise UserError(f"--lr-for expects NAME=LR (e.g. adam=0.1), not {item!r}")
        if name not in racing:
            hint = " (use --rule FILE to race your own rule)" if name == YOURS else ""
            raise UserError(f"--lr-for {name}: not in this race (racing: {', '.join(racing)}){hint}")
        try:
            rate = float(value)
        except ValueError:
            raise UserError(f"--lr-for {name}: {value.strip()!r} is not a number") from None
        _positive(f"--lr-for {name}", rate)
        rates[name] = rate
    return rates


def _rule_source(rule: str | None) -> str:
    return "your rule (stdin)" if rule == "-" else f"your rule ({rule})"


def _rule_entrant(rule: str, rule_drill: str | None, surface: "Surface", lr: float | None, rates: dict[str, float]) -> "Entrant":
    """The user's rule as an entrant; a rule that cannot be read or parsed is a UserError."""
    from gdgrill.drill.command import read_answer
    from gdgrill.drill.language import RefusedAnswer
    from gdgrill.race.run import YOURS, choose_lr, parse_rule_for, rule_entrant

    text = read_answer(rule)
    try:
        parsed, drill = parse_rule_for(text, rule_drill.strip().lower() if rule_drill else None)
    except KeyError as exc:
        raise UserError(str(exc.args[0])) from None
    except RefusedAnswer as refusal:
        raise UserError(f"{_rule_source(rule)}: {refusal.message}") from None
    rate = choose_lr(surface, YOURS, lr, rates, default_for=drill.reference)
    return rule_entrant(parsed, drill, rate)
