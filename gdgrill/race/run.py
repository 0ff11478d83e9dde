"""The race: every optimizer steps from the same start on the same surface, each with the
drill's reference implementation (or the user's own rule, run by the drill language).

``run_race(surface, entrants, steps, seed=..., tol=...)`` returns a :class:`Race`: one
:class:`Run` per entrant with its path, its loss after every step, and the numbers the table
shows (final loss, steps to reach the goal, sign flips across the valley floor, divergence).

A run stops early when its point becomes non-finite or leaves a box ten times the plot's
size around the plot's centre ("diverged"); on a surface with no minimum (the saddle) leaving
the plot itself is the goal ("escaped"), not a failure. On a noisy surface every entrant sees
the same noise sequence (drawn once from ``seed``), so differences come from the optimizers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from gdgrill.drill.catalog import DRILLS, Drill
from gdgrill.drill.language import RefusedAnswer, Rule, compile_rule
from gdgrill.drill.references import REFERENCES, get_reference
from gdgrill.race.surfaces import Surface
from gdgrill.serialize import json_number

# Everything with a reference the race can step: torch.optim's and the papers' optimizers
# (the training mechanics — EMA, accumulation, loss scaling — are not optimizers of their own).
RACERS: tuple[str, ...] = (*REFERENCES, "lamb", "lars", "lookahead", "schedule-free-adamw")
DEFAULT_OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw", "lion")
LETTERS = {
    "sgd": "S",
    "momentum": "M",
    "nesterov": "N",
    "rmsprop": "R",
    "adagrad": "G",
    "adam": "A",
    "adamw": "W",
    "amsgrad": "X",
    "lion": "L",
    "nadam": "D",
    "radam": "E",
    "adamax": "U",
    "adadelta": "T",
    "adafactor": "F",
    "rprop": "P",
    "asgd": "V",
    "muon": "O",
    "lamb": "B",
    "lars": "C",
    "lookahead": "K",
    "schedule-free-adamw": "Z",
    "yours": "Y",
}
YOURS = "yours"
BLOWUP_FACTOR = 10.0  # a run diverged once it leaves a box this many times the plot's size

StepFn = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (p, g) -> new p; t is counted inside


@dataclass(frozen=True)
class Entrant:
    """One lane of the race: a name, its letter, its hyper-parameters (lr included) and a
    factory for a fresh step function (state starts empty for every run)."""

    label: str
    letter: str
    hp: Mapping[str, float]
    new_stepper: Callable[[], StepFn] = field(repr=False, compare=False)
    source: str = "reference"  # "reference" or "rule (<drill>)"

    @property
    def lr(self) -> float:
        return float(self.hp["lr"])


def reference_entrant(name: str, lr: float) -> Entrant:
    """The drills' reference optimizer ``name`` with its default hyper-parameters and ``lr``."""
    ref = get_reference(name)
    hp = {**ref.defaults, "lr": float(lr)}

    def new_stepper() -> StepFn:
        state = ref.init(np.zeros(2), np)

        def step(p: np.ndarray, g: np.ndarray) -> np.ndarray:
            nonlocal state
            p, state = ref.step(p, g, state, hp, np)
            return p

        return step

    return Entrant(name, LETTERS.get(name, name[:1].upper()), hp, new_stepper)


def rule_entrant(rule: Rule, drill: Drill, lr: float, label: str = YOURS) -> Entrant:
    """The user's rule, run by the drill language exactly as the judge runs it: the drill's
    names (p, g, lr, t, …) given each step, the rule's own state starting at zero. The other
    hyper-parameters are those of the drill's reference optimizer, so a correct rule traces
    the reference's path. Raises RefusedAnswer (at run time) for a line that cannot run."""
    hp = {**get_reference(drill.reference).defaults, "lr": float(lr)}
    compiled = compile_rule(rule)

    def new_stepper() -> StepFn:
        env: dict[str, Any] = {}
        compiled.init_state(env, np.zeros(2))
        t = 0

        def step(p: np.ndarray, g: np.ndarray) -> np.ndarray:
            nonlocal t
            t += 1
            env.update(hp)
            env["t"] = float(t)
            env["p"] = p
            env["g"] = g
            compiled.step(env)
            return _as_point(env["p"])

        return step

    return Entrant(label, LETTERS[YOURS], hp, new_stepper, source=f"rule ({drill.name})")


def _as_point(value: Any) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    try:
        return np.broadcast_to(arr, (2,)).copy()
    except ValueError:
        raise RefusedAnswer(f"θ ends a step with shape {arr.shape}; expected (2,) (the point on the surface)") from None


# -- Choosing the drill whose names a user's rule is written in ------------------------------


def race_drills() -> list[Drill]:
    """The drills whose rule moves parameters with a reference optimizer the race can run."""
    return [d for d in DRILLS.values() if d.kind == "optimizer" and d.reference in RACERS]


def parse_rule_for(text: str, drill_name: str | None) -> tuple[Rule, Drill]:
    """Parse the user's rule with a drill's names. With no drill named: the drill with the
    fewest names that accepts the rule (catalog order breaks ties), so a momentum rule is read
    as momentum and a bare Adam rule as adam-bias; when none accepts it, the refusal is the
    one the adam drill gives. Raises RefusedAnswer or KeyError (unknown drill)."""
    from gdgrill.drill.judge import parse_for

    candidates = race_drills()
    if drill_name is not None:
        chosen = [d for d in candidates if d.name == drill_name]
        if not chosen:
            raise KeyError(f"--rule-drill {drill_name!r} is not an optimizer drill (choose from: {', '.join(d.name for d in candidates)})")
        return parse_for(chosen[0], text), chosen[0]
    first_refusal: RefusedAnswer | None = None
    for drill in sorted(candidates, key=lambda d: len(d.names)):
        try:
            return parse_for(drill, text), drill
        except RefusedAnswer as refusal:
            if drill.name == "adam":
                first_refusal = refusal
    assert first_refusal is not None
    raise first_refusal


# -- Running ----------------------------------------------------------------------------------


@dataclass
class Run:
    entrant: Entrant
    path: np.ndarray  # (n + 1, 2): the start, then the point after each step taken
    loss: np.ndarray  # (n + 1,)
    stop_step: int | None  # the step at which the run stopped early; None if it ran them all
    stop_reason: str | None  # "diverged" | "escaped" | None
    steps_to_goal: int | None
    sign_flips: int

    @property
    def label(self) -> str:
        return self.entrant.label

    @property
    def letter(self) -> str:
        return self.entrant.letter

    @property
    def diverged(self) -> bool:
        return self.stop_reason == "diverged"

    @property
    def final_loss(self) -> float:
        return float(self.loss[-1])

    @property
    def steps_taken(self) -> int:
        return len(self.loss) - 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "optimizer": self.label,
            "letter": self.letter,
            "source": self.entrant.source,
            # None is a default torch resolves itself (Adafactor's ε₁: the dtype's epsilon)
            "hp": {k: None if v is None else float(v) for k, v in self.entrant.hp.items()},
            "steps_taken": self.steps_taken,
            "final_loss": json_number(self.final_loss),
            "steps_to_goal": self.steps_to_goal,
            "sign_flips": self.sign_flips,
            "diverged": self.diverged,
            "stopped": None if self.stop_step is None else {"step": self.stop_step, "reason": self.stop_reason},
            "path": [[json_number(x), json_number(y)] for x, y in self.path],
            "loss": [json_number(v) for v in self.loss],
        }


@dataclass
class Race:
    surface: Surface
    steps: int
    seed: int
    tol: float
    runs: list[Run]

    @property
    def goal(self) -> tuple[float, str]:
        return self.surface.goal(self.tol)

    def run(self, label: str) -> Run:
        for r in self.runs:
            if r.label == label:
                return r
        raise KeyError(label)

    def to_dict(self) -> dict[str, Any]:
        s = self.surface
        threshold, goal_label = self.goal
        return {
            "surface": {
                "name": s.name,
                "formula": s.formula,
                "params": dict(s.params),
                "start": list(s.start),
                "minimum": None if s.minimum is None else list(s.minimum),
                "min_value": s.min_value,
                "bounds": [list(s.bounds[0]), list(s.bounds[1])],
                "noise": s.noise,
            },
            "steps": self.steps,
            "seed": self.seed,
            "goal": {"tol": self.tol, "loss": threshold, "label": goal_label},
            "runs": [r.to_dict() for r in self.runs],
        }



def gradient_noise(surface: Surface, steps: int, seed: int) -> np.ndarray | None:
    """The noise added to each step's gradient, (steps, 2); the same for every entrant."""
    if not surface.noise:
        return None
    return surface.noise * np.random.default_rng(seed).standard_normal((steps, 2))


def _outside(p: np.ndarray, bounds: Any, factor: float) -> bool:
    (x0, x1), (y0, y1) = bounds
    cx, cy, hx, hy = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
    return bool(abs(p[0] - cx) > factor * hx or abs(p[1] - cy) > factor * hy)


def sign_flips(surface: Surface, path: np.ndarray) -> int:
    """How many times the path crosses the valley floor (the sign of ``surface.across``
    changes between consecutive points; points exactly on the floor are skipped)."""
    signs = np.sign(surface.across(path[:, 0], path[:, 1]))
    signs = signs[signs != 0]
    return int(np.count_nonzero(signs[1:] != signs[:-1]))


def run_one(surface: Surface, entrant: Entrant, steps: int, noise: np.ndarray | None, goal: float) -> Run:
    step = entrant.new_stepper()
    p = np.array(surface.start, dtype=np.float64)
    points = [p]
    losses = [surface.loss(p)]
    stop_step: int | None = None
    reason: str | None = None
    escape_box = 1.0 if surface.minimum is None else BLOWUP_FACTOR
    with np.errstate(all="ignore"):
        for k in range(steps):
            g = surface.gradient(p)
            if noise is not None:
                g = g + noise[k]
            p = step(p, g)
            loss = surface.loss(p)
            if not (np.isfinite(p).all() and np.isfinite(loss)):
                stop_step, reason = k + 1, "diverged"
                break
            points.append(p)
            losses.append(loss)
            if _outside(p, surface.bounds, escape_box):
                stop_step, reason = k + 1, "escaped" if surface.minimum is None else "diverged"
                break
    path, loss_arr = np.array(points), np.array(losses)
    reached = np.nonzero(loss_arr <= goal)[0]
    return Run(
        entrant=entrant,
        path=path,
        loss=loss_arr,
        stop_step=stop_step,
        stop_reason=reason,
        steps_to_goal=int(reached[0]) if reached.size else None,
        sign_flips=sign_flips(surface, path),
    )


def run_race(surface: Surface, entrants: Iterable[Entrant], steps: int, *, seed: int = 0, tol: float | None = None) -> Race:
    """Run every entrant from the surface's start for ``steps`` steps (fewer if it stops)."""
    tol = surface.default_tol if tol is None else tol
    noise = gradient_noise(surface, steps, seed)
    goal, _ = surface.goal(tol)
    runs = [run_one(surface, e, steps, noise, goal) for e in entrants]
    return Race(surface, steps, seed, tol, runs)


def reference_entrants(surface: Surface, names: Sequence[str], lr: float | None = None, lr_for: Mapping[str, float] | None = None) -> list[Entrant]:
    """Entrants for the named references: per-optimizer ``lr_for`` first, then the global
    ``lr``, then the surface's default for that optimizer."""
    lr_for = lr_for or {}
    return [reference_entrant(n, choose_lr(surface, n, lr, lr_for)) for n in names]


def choose_lr(surface: Surface, name: str, lr: float | None, lr_for: Mapping[str, float], default_for: str | None = None) -> float:
    if name in lr_for:
        return float(lr_for[name])
    if lr is not None:
        return float(lr)
    return float(surface.default_lrs[default_for or name])
