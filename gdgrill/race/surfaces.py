"""The 2-D surfaces optimizers race on: each with its value, exact gradient, start point,
plot bounds, minimum, and the learning rates that make its picture teach.

* ``valley``      ½(x²/κ + y²): an elongated quadratic with condition number κ (default 50).
  The steep axis is y (curvature 1), the floor runs along x (curvature 1/κ). Plain SGD is
  stable for η < 2; its default η = 1.9 sits just under that, so it zig-zags across the floor.
* ``rosenbrock``  (1 − x)² + 100(y − x²)²: a curved, flat-bottomed banana; minimum (1, 1).
* ``saddle``      x² − y²: no minimum; the start sits almost on the ridge, so the question is
  how quickly each optimizer notices the tiny y gradient and escapes.
* ``noisy``       the valley with stochastic gradients: ∇f plus Gaussian noise (σ = ``noise``).

Values are vectorised: ``surface.value(x, y)`` takes scalars or arrays of any shape (the
contour grid); ``surface.gradient(p)`` takes a point of shape (2,) and returns the exact
gradient. ``across(x, y)`` is a quantity whose sign says which side of the valley floor a
point is on (y for the valley, y − x² for Rosenbrock, x for the saddle's stable axis): its
sign flips along a path count the zig-zag.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

DEFAULT_KAPPA = 50.0
DEFAULT_NOISE = 0.3  # on the noisy surface; σ of the Gaussian added to each gradient component

Bounds = tuple[tuple[float, float], tuple[float, float]]


@dataclass(frozen=True)
class Surface:
    name: str
    formula: str  # how the figure's title writes it
    value: Callable[[Any, Any], Any]  # f(x, y), elementwise over arrays
    gradient: Callable[[np.ndarray], np.ndarray]  # exact ∇f at a point of shape (2,)
    across: Callable[[Any, Any], Any]  # its sign: which side of the valley floor (x, y) is on
    start: tuple[float, float]
    bounds: Bounds  # ((x_min, x_max), (y_min, y_max)) of the plot
    minimum: tuple[float, float] | None  # None: unbounded below (the saddle)
    default_lrs: Mapping[str, float]
    default_steps: int
    default_tol: float
    noise: float = 0.0  # σ of the gradient noise; 0 means exact gradients
    params: Mapping[str, float] = field(default_factory=dict)  # e.g. {"kappa": 50}

    @property
    def min_value(self) -> float | None:
        return None if self.minimum is None else float(self.value(*self.minimum))

    def loss(self, p: np.ndarray) -> float:
        return float(self.value(p[0], p[1]))

    def goal(self, tol: float) -> tuple[float, str]:
        """The loss a run must reach to count as arrived, and how the table names it: within
        ``tol`` of the minimum, or (with no minimum) below −tol, i.e. off the saddle."""
        if self.min_value is None:
            return -tol, f"loss ≤ −{tol:g}"
        return self.min_value + tol, f"loss−min ≤ {tol:g}"


# Learning rates per surface. The valley's are chosen against its curvatures (1 across the
# floor, 1/κ along it), so they stay right for any κ: SGD just below 2/λ_max zig-zags, momentum
# and Adam travel the floor faster, Lion moves η per coordinate per step, and Muon (the point
# read as a 2×1 matrix: normalised momentum) about η·√2 per step, so it takes Lion's rates.
# LAMB and LARS scale each step by ‖θ‖ (the trust ratio), so their rates are of another size;
# Lookahead's inner SGD takes SGD's, and pulls back: it is the slow one on the valley.
_VALLEY_LRS = {
    "sgd": 1.9,
    "momentum": 0.5,
    "nesterov": 0.5,
    "rmsprop": 0.1,
    "adagrad": 1.0,
    "adam": 0.5,
    "adamw": 0.5,
    "amsgrad": 0.5,
    "lion": 0.1,
    "nadam": 0.5,
    "radam": 2.0,
    "adamax": 0.5,
    "adadelta": 5.0,
    "adafactor": 0.5,
    "rprop": 0.1,
    "asgd": 1.0,
    "muon": 0.1,
    "lamb": 0.3,
    "lars": 30.0,
    "lookahead": 1.9,
    "schedule-free-adamw": 1.0,
}
_ROSENBROCK_LRS = {
    "sgd": 1.5e-3,
    "momentum": 5e-4,
    "nesterov": 5e-4,
    "rmsprop": 1e-2,
    "adagrad": 0.3,
    "adam": 0.1,
    "adamw": 0.1,
    "amsgrad": 0.1,
    "lion": 3e-3,
    "nadam": 3e-2,
    "radam": 3e-3,
    "adamax": 1.0,
    "adadelta": 0.5,
    "adafactor": 0.1,
    "rprop": 3e-2,
    "asgd": 1.5e-3,
    "muon": 3e-3,
    "lamb": 0.03,
    "lars": 3.0,
    "lookahead": 0.002,
    "schedule-free-adamw": 0.1,
}
_SADDLE_LRS = {
    "sgd": 0.05,
    "momentum": 0.05,
    "nesterov": 0.05,
    "rmsprop": 0.02,
    "adagrad": 0.1,
    "adam": 0.05,
    "adamw": 0.05,
    "amsgrad": 0.05,
    "lion": 0.02,
    "nadam": 0.05,
    "radam": 0.1,
    "adamax": 0.05,
    "adadelta": 1.0,
    "adafactor": 0.05,
    "rprop": 0.01,
    "asgd": 0.05,
    "muon": 0.02,
    "lamb": 0.1,
    "lars": 30.0,
    "lookahead": 0.3,
    "schedule-free-adamw": 0.1,
}


def valley(kappa: float = DEFAULT_KAPPA, noise: float = 0.0, name: str = "valley", tol: float = 1e-3) -> Surface:
    """½(x²/κ + y²): condition number κ, minimum 0 at the origin."""
    inv = 1.0 / kappa

    def value(x: Any, y: Any) -> Any:
        return 0.5 * (inv * x * x + y * y)

    def gradient(p: np.ndarray) -> np.ndarray:
        return np.array([inv * p[0], p[1]])

    formula = f"½(x²/κ + y²), κ = {kappa:g}"
    if noise:
        formula += f", gradient noise σ = {noise:g}"
    return Surface(
        name=name,
        formula=formula,
        value=value,
        gradient=gradient,
        across=lambda x, y: y,
        start=(-9.0, 1.5),
        bounds=((-10.0, 3.0), (-2.0, 2.0)),
        minimum=(0.0, 0.0),
        default_lrs=_VALLEY_LRS,
        default_steps=100,
        default_tol=tol,
        noise=noise,
        params={"kappa": kappa},
    )


def rosenbrock(noise: float = 0.0) -> Surface:
    """(1 − x)² + 100(y − x²)², minimum 0 at (1, 1)."""

    def value(x: Any, y: Any) -> Any:
        return (1 - x) ** 2 + 100 * (y - x * x) ** 2

    def gradient(p: np.ndarray) -> np.ndarray:
        x, y = p[0], p[1]
        return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])

    return Surface(
        name="rosenbrock",
        formula="(1 − x)² + 100(y − x²)²" + (f", gradient noise σ = {noise:g}" if noise else ""),
        value=value,
        gradient=gradient,
        across=lambda x, y: y - x * x,
        start=(-1.2, 1.0),
        bounds=((-1.6, 1.6), (-0.4, 1.6)),
        minimum=(1.0, 1.0),
        default_lrs=_ROSENBROCK_LRS,
        default_steps=1000,
        default_tol=1e-2,
        noise=noise,
    )


def saddle(noise: float = 0.0) -> Surface:
    """x² − y²: a saddle at the origin, unbounded below along y."""

    def value(x: Any, y: Any) -> Any:
        return x * x - y * y

    def gradient(p: np.ndarray) -> np.ndarray:
        return np.array([2 * p[0], -2 * p[1]])

    return Surface(
        name="saddle",
        formula="x² − y²" + (f", gradient noise σ = {noise:g}" if noise else ""),
        value=value,
        gradient=gradient,
        across=lambda x, y: x,
        start=(1.0, 1e-3),
        bounds=((-1.5, 1.5), (-1.5, 1.5)),
        minimum=None,
        default_lrs=_SADDLE_LRS,
        default_steps=100,
        default_tol=1.0,
        noise=noise,
    )


SURFACES = ("valley", "rosenbrock", "saddle", "noisy")
KAPPA_SURFACES = ("valley", "noisy")


def make_surface(name: str, *, kappa: float | None = None, noise: float | None = None) -> Surface:
    """The surface called ``name``. ``kappa`` applies to the valley and the noisy valley;
    ``noise`` adds Gaussian gradient noise to any surface (the noisy valley has σ = 0.3 unless
    told otherwise)."""
    if name == "valley":
        return valley(DEFAULT_KAPPA if kappa is None else kappa, noise or 0.0)
    if name == "noisy":
        # noise keeps the loss near σ²-sized, so a 1e-3 goal would never be met
        return valley(DEFAULT_KAPPA if kappa is None else kappa, DEFAULT_NOISE if noise is None else noise, name="noisy", tol=5e-2)
    if kappa is not None:
        raise ValueError(f"κ (--kappa) applies to {' and '.join(KAPPA_SURFACES)}, not {name}")
    if name == "rosenbrock":
        return rosenbrock(noise or 0.0)
    if name == "saddle":
        return saddle(noise or 0.0)
    raise KeyError(f"no surface {name!r} (known: {', '.join(SURFACES)})")
