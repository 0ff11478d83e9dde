"""Reference optimizers: each written once as a pure step over an array namespace.

The shape follows optax: ``ref = get_reference("adam")`` gives an :class:`Optimizer` with
``defaults`` (hyper-parameters, torch's defaults where torch has the optimizer),
``init(params, xp) -> state`` and ``step(params, grad, state, hp, xp) -> (params, state)``.
``xp`` is the array module (``numpy`` or ``torch``); the same code runs on numpy arrays and on
torch tensors (CPU or CUDA) of any shape. The state is a plain dict holding the step counter
``t`` (number of steps taken) and the optimizer's buffers; nothing is mutated in place.

Each step reproduces ``torch.optim`` exactly (same order of operations where it matters,
e.g. SGD's first momentum buffer is the gradient itself, undamped); Lion follows Chen et al.
2023, "Symbolic Discovery of Optimization Algorithms", Algorithm 2. The tests compare them
with ``torch.optim`` over many steps in float64 and float32.

Hyper-parameter names (the drill language's canonical names): ``lr``; ``mu`` (momentum),
``dampening``; ``rho`` (RMSprop's smoothing constant, torch's ``alpha``); ``b1``, ``b2``;
``eps``; ``wd`` (weight decay); ``lr_decay`` (Adagrad).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

State = dict[str, Any]
StepFn = Callable[[Any, Any, State, Mapping[str, float], Any], tuple[Any, State]]


@dataclass(frozen=True)
class Optimizer:
    name: str
    defaults: dict[str, float]
    buffers: tuple[str, ...]
    _step: StepFn = field(repr=False)
    # what a drill compares after each step: the parameters, or the state buffer named here
    # (weight EMA tracks the average, not θ)
    output: str = ""

    def init(self, params: Any, xp: Any) -> State:
        """The state before the first step: ``t = 0`` and zero buffers shaped like params."""
        return {"t": 0, **{name: xp.zeros_like(params) for name in self.buffers}}

    def step(self, params: Any, grad: Any, state: State, hp: Mapping[str, float] | None, xp: Any) -> tuple[Any, State]:
        """One update; ``hp`` overrides ``defaults``. Returns new params and a new state."""
        merged = {**self.defaults, **hp} if hp else self.defaults
        return self._step(params, grad, state, merged, xp)

    def reported(self, params: Any, state: State) -> Any:
        """What the drill checks after a step: ``params``, or ``state[output]``."""
        return state[self.output] if self.output else params


# -- SGD family (torch.optim.SGD) -------------------------------------------------------


def _sgd_step(nesterov: bool) -> StepFn:
    def step(p: Any, g: Any, state: State, hp: Mapping[str, float], xp: Any) -> tuple[Any, State]:
        lr, mu, damp, wd = hp["lr"], hp["mu"], hp["dampening"], hp["wd"]
        t = state["t"] + 1
        if wd:
            g = g + wd * p
        if not mu:
            return p - lr * g, {"t": t, "buf": state["buf"]}
        # torch starts the buffer at the raw gradient (no dampening on the first step)
        buf = g if t == 1 else mu * state["buf"] + (1 - damp) * g
        direction = g + mu * buf if nesterov else buf
        return p - lr * direction, {"t": t, "buf": buf}

    return step


# -- RMSprop and Adagrad ----------------------------------------------------------------


def _rmsprop_step(p: Any, g: Any, state: State, hp: Mapping[str, float], xp: Any) -> tuple[Any, State]:
    lr, rho, eps, wd = hp["lr"], hp["rho"], hp["eps"], hp["wd"]
    if wd:
        g = g + wd * p
    v = rho * state["v"] + (1 - rho) * g * g
    return p - lr * g / (xp.sqrt(v) + eps), {"t": state["t"] + 1, "v": v}


def _adagrad_step(p: Any, g: Any, state: State, hp: Mapping[str, float], xp: Any) -> tuple[Any, State]:
    lr, eps, wd, lr_decay = hp["lr"], hp["eps"], hp["wd"], hp["lr_decay"]
    t = state["t"] + 1
    if wd:
        g = g + wd * p
    clr = lr / (1 + (t - 1) * lr_decay)
    s = state["s"] + g * g
    return p - clr * g / (xp.sqrt(s) + eps), {"t": t, "s": s}


# -- Adam family (torch.optim.Adam / AdamW, amsgrad) ------------------------------------


def _adam_step(decoupled: bool, amsgrad: bool) -> StepFn:
    def step(p: Any, g: Any, state: State, hp: Mapping[str, float], xp: Any) -> tuple[Any, State]:
        lr, b1, b2, eps, wd = hp["lr"], hp["b1"], hp["b2"], hp["eps"], hp["wd"]
        t = state["t"] + 1
        if wd:
            if decoupled:
                p = p * (1 - lr * wd)  # AdamW: decay the weights before the Adam step
            else:
                g = g + wd * p  # Adam: L2 penalty folded into the gradient
        m = b1 * state["m"] + (1 - b1) * g
        v = b2 * state["v"] + (1 - b2) * g * g
        new_state = {"t": t, "m": m, "v": v}
        if amsgrad:
            v = xp.maximum(state["vmax"], v)
            new_state["vmax"] = v
        bc1 = 1 - b1**t
        bc2_sqrt = math.sqrt(1 - b2**t)
        denom = xp.sqrt(v) / bc2_sqrt + eps
        return p - (lr / bc1) * (m / denom), new_state

    return step


# -- Lion (Chen et al. 2023) -------------------------------------------------------------


def _lion_step(p: Any, g: Any, state: State, hp: Mapping[str, float], xp: Any) -> tuple[Any, State]:
    lr, b1, b2, wd = hp["lr"], hp["b1"], hp["b2"], hp["wd"]
    m = state["m"]
    c = b1 * m + (1 - b1) * g  # interpolate with β1 for the update ...
    p = p - lr * (xp.sign(c) + wd * p)
    m = b2 * m + (1 - b2) * g  # ... and track the momentum with β2
    return p, {"t": state["t"] + 1, "m": m}


_SGD = {"lr": 1e-3, "mu": 0.0, "dampening": 0.0, "wd": 0.0}
_ADAM = {"lr": 1e-3, "b1": 0.9, "b2": 0.999, "eps": 1e-8, "wd": 0.0}

REFERENCES: dict[str, Optimizer] = {
    opt.name: opt
    for opt in (
        Optimizer("sgd", dict(_SGD), ("buf",), _sgd_step(nesterov=False)),
        Optimizer("momentum", {**_SGD, "mu": 0.9}, ("buf",), _sgd_step(nesterov=False)),
        Optimizer("nesterov", {**_SGD, "mu": 0.9}, ("buf",), _sgd_step(nesterov=True)),
        Optimizer("rmsprop", {"lr": 1e-2, "rho": 0.99, "eps": 1e-8, "wd": 0.0}, ("v",), _rmsprop_step),
        Optimizer("adagrad", {"lr": 1e-2, "eps": 1e-10, "wd": 0.0, "lr_decay": 0.0}, ("s",), _adagrad_step),
        Optimizer("adam", dict(_ADAM), ("m", "v"), _adam_step(decoupled=False, amsgrad=False)),
        Optimizer("adamw", {**_ADAM, "wd": 1e-2}, ("m", "v"), _adam_step(decoupled=True, amsgrad=False)),
        Optimizer("amsgrad", dict(_ADAM), ("m", "v", "vmax"), _adam_step(decoupled=False, amsgrad=True)),
        Optimizer("lion", {"lr": 1e-4, "b1": 0.9, "b2": 0.99, "wd": 0.0}, ("m",), _lion_step),
    )
}


def get_reference(name: str) -> Optimizer:
    """The reference optimizer called ``name`` (see :data:`REFERENCES`)."""
    from gdgrill.drill.references_extra import EXTRA_REFERENCES  # papers' optimizers, training mechanics

    known = {**REFERENCES, **EXTRA_REFERENCES}
    try:
        return known[name]
    except KeyError:
        raise KeyError(f"no reference optimizer {name!r} (known: {', '.join(known)})") from None


# -- Gradient clipping -------------------------------------------------------------------

CLIP_EPS = 1e-6  # torch.nn.utils.clip_grad_norm_ adds this to the norm


def clip_by_global_norm(grads: Any, max_norm: float, xp: Any) -> Any:
    """``torch.nn.utils.clip_grad_norm_`` as a pure function: scale all gradients by
    ``min(1, max_norm / (‖g‖ + 1e-6))`` where ‖g‖ is the L2 norm over every element of every
    array. ``grads`` is one array or a sequence of arrays; the result has the same shape."""
    arrays: Sequence[Any] = list(grads) if isinstance(grads, (list, tuple)) else [grads]
    total = xp.sqrt(sum(xp.sum(a * a) for a in arrays))
    coef = xp.clip(max_norm / (total + CLIP_EPS), None, 1.0)
    clipped = [a * coef for a in arrays]
    return clipped if isinstance(grads, (list, tuple)) else clipped[0]


# The schedules live in gdgrill.drill.schedules; these names stay importable from here.
from gdgrill.drill.schedules import WARMUP_COSINE_DEFAULTS, warmup_cosine  # noqa: E402,F401
