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

    def init(self, params: Any, xp: Any) -> State:
        """The state before the first step: ``t = 0`` and zero buffers shaped like params."""
        return {"t": 0, **{name: xp.zeros_like(params) for name in self.buffers}}

    def step(self, params: Any, grad: Any, state: State, hp: Mapping[str, float] | None, xp: Any) -> tuple[Any, State]:
        """One update; ``hp`` overrides ``defaults``. Returns new params and a new state."""
        merged = {**self.defaults, **hp} if hp else self.defaults
        return self._step(params, grad, state, merged, xp)


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
    try:
        return REFERENCES[name]
    except KeyError:
        raise KeyError(f"no reference optimizer {name!r} (known: {', '.join(REFERENCES)})") from None


# -- Gradient clipping and the learning-rate schedule ------------------------------------

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


WARMUP_COSINE_DEFAULTS = {"warmup": 10.0, "total": 100.0, "lr_max": 1e-3, "lr_min": 1e-5}


def warmup_cosine(t: float, hp: Mapping[str, float] | None = None) -> float:
    """Learning rate at step ``t`` (1-based) for linear warmup then cosine decay to a floor:

    * ``t <= warmup``:          ``lr_max * t / warmup`` (reaches the peak at ``t = warmup``)
    * ``warmup < t <= total``:  ``lr_min + (lr_max - lr_min) * (1 + cos(π (t - warmup) / (total - warmup))) / 2``
    * ``t > total``:            ``lr_min``

    Equal to torch's ``SequentialLR([LinearLR(start_factor=1/warmup, total_iters=warmup-1),
    CosineAnnealingLR(T_max=total-warmup, eta_min=lr_min)], milestones=[warmup-1])`` read
    before step ``t`` (its epoch ``t - 1``)."""
    h = {**WARMUP_COSINE_DEFAULTS, **(hp or {})}
    warmup, total, lr_max, lr_min = h["warmup"], h["total"], h["lr_max"], h["lr_min"]
    if t <= warmup:
        return lr_max * t / warmup
    if t >= total:  # also covers a schedule that is all warmup (total == warmup)
        return lr_min
    progress = (t - warmup) / (total - warmup)
    return lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * progress)) / 2


# -- Muon (torch.optim.Muon) ---------------------------------------------------------------
#
# Hyper-parameters: ``lr``, ``mu`` (torch's momentum), ``wd`` (weight_decay), ``eps``, the
# Newton–Schulz coefficients ``a``, ``b``, ``c`` and ``ns_steps``; torch's defaults. Nesterov,
# as torch's default; the learning rate adjusted as torch's default adjust_lr_fn ("original").

MUON_DEFAULTS = {"lr": 1e-3, "mu": 0.95, "wd": 0.1, "eps": 1e-7, "a": 3.4445, "b": -4.7750, "c": 2.0315, "ns_steps": 5}


def newton_schulz(x: Any, hp: Mapping[str, float], xp: Any) -> Any:
    """``torch.optim.Muon``'s orthogonalisation of a matrix (``_zeropower_via_newtonschulz``),
    in the dtype of ``x`` (torch runs it in bfloat16): divide by the Frobenius norm (at least
    ``eps``), then ``ns_steps`` quintic iterations X ← a·X + (b·A + c·A·A)·X with A = X·Xᵀ. A tall
    matrix is transposed first, so A is the smaller Gram matrix; in exact arithmetic that changes
    nothing (p(X·Xᵀ)·X = X·p(Xᵀ·X)), it saves work."""
    a, b, c, eps = hp["a"], hp["b"], hp["c"], hp["eps"]
    tall = x.shape[0] > x.shape[1]
    if tall:
        x = x.T
    norm = xp.sqrt(xp.sum(x * x))
    x = x / (norm if norm > eps else eps)  # torch: x.norm().clamp(min=eps)
    for _ in range(int(hp["ns_steps"])):
        gram = x @ x.T
        x = a * x + (b * gram + c * (gram @ gram)) @ x
    return x.T if tall else x


def _muon_step(nesterov: bool) -> StepFn:
    def step(p: Any, g: Any, state: State, hp: Mapping[str, float], xp: Any) -> tuple[Any, State]:
        lr, mu, wd = hp["lr"], hp["mu"], hp["wd"]
        buf = mu * state["buf"] + (1 - mu) * g  # torch: buf.lerp_(g, 1 − μ), an average (its docs write μ·B + g)
        update = (1 - mu) * g + mu * buf if nesterov else buf  # torch: g.lerp(buf, μ)
        # torch takes 2-D parameters only; a vector (a point in the race) is read as a column
        matrix = update if update.ndim == 2 else update.reshape(-1, 1)
        rows, cols = matrix.shape
        ortho = newton_schulz(matrix, hp, xp).reshape(p.shape)
        adjusted_lr = lr * math.sqrt(max(1.0, rows / cols))  # the same RMS for every shape
        # decoupled decay, with the learning rate as given (not the adjusted one)
        return p * (1 - lr * wd) - adjusted_lr * ortho, {"t": state["t"] + 1, "buf": buf}

    return step


REFERENCES["muon"] = Optimizer("muon", dict(MUON_DEFAULTS), ("buf",), _muon_step(nesterov=True))
