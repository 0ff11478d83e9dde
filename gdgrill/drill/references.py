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
``eps``; ``wd`` (weight decay); ``lr_decay`` (Adagrad); ``psi`` (NAdam's momentum decay,
torch's ``momentum_decay``); ``eta_minus``, ``eta_plus``, ``step_min``, ``step_max`` (Rprop's
``etas`` and ``step_sizes``); ``lambd``, ``alpha``, ``t0`` (ASGD, torch's names); ``b2_decay``,
``eps1``, ``eps2``, ``d`` (Adafactor's ``beta2_decay``, ``eps`` pair and clipping threshold;
``eps1`` ``None`` is torch's default, the machine epsilon of the parameters' dtype).

The torch.optim family beyond SGD/Adam follows the single-tensor (non-foreach) code of torch
2.13: NAdam (Dozat 2016), RAdam (Liu et al. 2020), Adamax (Kingma & Ba 2015, §7.1), Adadelta
(Zeiler 2012), Adafactor (Shazeer & Stern 2018, with torch's deviations: lr caps the relative
step, ε₁ guards the variance estimate, decoupled weight decay), Rprop (Riedmiller & Braun 1993,
torch's Rprop⁻ variant) and ASGD (Polyak & Juditsky 1992). Where torch keeps a scalar in a
float32 tensor (NAdam's μ-product, ASGD's η and μ), these keep a Python float: equal to torch
run with ``torch.set_default_dtype(torch.float64)``, within float32 rounding otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable, Mapping, Sequence

State = dict[str, Any]
StepFn = Callable[[Any, Any, State, Mapping[str, float], Any], tuple[Any, State]]


@dataclass(frozen=True)
class Optimizer:
    name: str
    defaults: dict[str, Any]  # numbers; None only where torch's default is None
    buffers: tuple[str, ...]
    _step: StepFn = field(repr=False)
    # a state that is not all zero buffers shaped like params (Adafactor's row and column
    # factors, NAdam's μ-product) comes from this instead
    _init: Callable[[Any, Any], State] | None = field(default=None, repr=False)

    def init(self, params: Any, xp: Any) -> State:
        """The state before the first step: ``t = 0`` and zero buffers shaped like params
        (or the optimizer's own starting state)."""
        if self._init is not None:
            return self._init(params, xp)
        return {"t": 0, **{name: xp.zeros_like(params) for name in self.buffers}}

    def step(self, params: Any, grad: Any, state: State, hp: Mapping[str, float] | None, xp: Any) -> tuple[Any, State]:
        """One update; ``hp`` overrides ``defaults``. Returns new params and a new state."""
        merged = {**self.defaults, **hp} if hp else self.defaults
        return self._step(params, grad, state, merged, xp)


# -- SGD family (torch.optim.SGD) -------------------------------------------------------


# The variants of one step (Nesterov, AdamW, AMSGrad) are keyword arguments bound with
# functools.partial, not closures made when the module loads, so every call runs the
# module-level function (which bench/mutation.py can then mutate and trace).


def _sgd_step(p: Any, g: Any, state: State, hp: Mapping[str, float], xp: Any, nesterov: bool = False) -> tuple[Any, State]:
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


def _adam_step(
    p: Any, g: Any, state: State, hp: Mapping[str, float], xp: Any, decoupled: bool = False, amsgrad: bool = False
) -> tuple[Any, State]:
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


# -- Lion (Chen et al. 2023) -------------------------------------------------------------


def _lion_step(p: Any, g: Any, state: State, hp: Mapping[str, float], xp: Any) -> tuple[Any, State]:
    lr, b1, b2, wd = hp["lr"], hp["b1"], hp["b2"], hp["wd"]
    m = state["m"]
    c = b1 * m + (1 - b1) * g  # interpolate with β1 for the update ...
    p = p - lr * (xp.sign(c) + wd * p)
    m = b2 * m + (1 - b2) * g  # ... and track the momentum with β2
    return p, {"t": state["t"] + 1, "m": m}


# -- The rest of torch.optim's first-order family ---------------------------------------------
# Each follows torch 2.13's single-tensor code; the comments say where torch differs from the
# paper or from the obvious reading.


def _nadam_init(p: Any, xp: Any) -> State:
    return {"t": 0, "m": xp.zeros_like(p), "v": xp.zeros_like(p), "mu_product": 1.0}


def _nadam_step(p: Any, g: Any, state: State, hp: Mapping[str, float], xp: Any) -> tuple[Any, State]:
    """NAdam (Dozat 2016) with torch's momentum schedule μ_t = β₁·(1 − ½·0.96^(t·ψ))."""
    lr, b1, b2, eps, wd, psi = hp["lr"], hp["b1"], hp["b2"], hp["eps"], hp["wd"], hp["psi"]
    t = state["t"] + 1
    if wd:
        g = g + wd * p
    mu = b1 * (1.0 - 0.5 * 0.96 ** (t * psi))
    mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
    mu_product = state["mu_product"] * mu
    mu_product_next = mu_product * mu_next
    m = b1 * state["m"] + (1 - b1) * g
    v = b2 * state["v"] + (1 - b2) * g * g
    denom = xp.sqrt(v / (1 - b2**t)) + eps
    # the gradient's share uses ∏μ up to t, the momentum's (the look-ahead) ∏μ up to t+1
    p = p - (lr * (1.0 - mu) / (1.0 - mu_product)) * (g / denom)
    p = p - (lr * mu_next / (1.0 - mu_product_next)) * (m / denom)
    return p, {"t": t, "m": m, "v": v, "mu_product": mu_product}


def _radam_step(p: Any, g: Any, state: State, hp: Mapping[str, float], xp: Any) -> tuple[Any, State]:
    """RAdam (Liu et al. 2020): Adam rectified by r_t while the SMA length ρ_t > 5, a
    bias-corrected momentum SGD step before that."""
    lr, b1, b2, eps, wd = hp["lr"], hp["b1"], hp["b2"], hp["eps"], hp["wd"]
    t = state["t"] + 1
    if wd:
        g = g + wd * p
    m = b1 * state["m"] + (1 - b1) * g
    v = b2 * state["v"] + (1 - b2) * g * g
    bc2 = 1 - b2**t
    m_hat = m / (1 - b1**t)
    rho_inf = 2 / (1 - b2) - 1
    rho_t = rho_inf - 2 * t * b2**t / bc2
    if rho_t > 5.0:
        rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
        adaptive = bc2**0.5 / (xp.sqrt(v) + eps)  # torch adds ε to √v, not to √v̂
        p = p - m_hat * lr * adaptive * rect
    else:
        p = p - m_hat * lr
    return p, {"t": t, "m": m, "v": v}


def _adamax_step(p: Any, g: Any, state: State, hp: Mapping[str, float], xp: Any) -> tuple[Any, State]:
    """Adamax (Kingma & Ba 2015, §7.1): the second moment replaced by an exponentially
    weighted infinity norm u_t = max(β₂·u, |g| + ε) (torch puts ε inside the max)."""
    lr, b1, b2, eps, wd = hp["lr"], hp["b1"], hp["b2"], hp["eps"], hp["wd"]
    t = state["t"] + 1
    if wd:
        g = g + wd * p
    m = b1 * state["m"] + (1 - b1) * g
    u = xp.maximum(b2 * state["u"], xp.abs(g) + eps)
    return p - (lr / (1 - b1**t)) * (m / u), {"t": t, "m": m, "u": u}


def _adadelta_step(p: Any, g: Any, state: State, hp: Mapping[str, float], xp: Any) -> tuple[Any, State]:
    """Adadelta (Zeiler 2012): Δ = √(E[Δ²] + ε)/√(E[g²] + ε)·g, both averages with ρ; torch
    multiplies Δ by lr (1.0 by default, the paper has none)."""
    lr, rho, eps, wd = hp["lr"], hp["rho"], hp["eps"], hp["wd"]
    if wd:
        g = g + wd * p
    v = rho * state["v"] + (1 - rho) * g * g
    delta = xp.sqrt(state["dx2"] + eps) / xp.sqrt(v + eps) * g  # the old E[Δ²]: Δ_t is not known yet
    dx2 = rho * state["dx2"] + (1 - rho) * delta * delta
    return p - lr * delta, {"t": state["t"] + 1, "v": v, "dx2": dx2}


def _adafactor_init(p: Any, xp: Any) -> State:
    if p.ndim > 1:  # factored along the last two dimensions: one value per row, one per column
        return {"t": 0, "row": xp.zeros_like(p[..., :1]), "col": xp.zeros_like(p[..., :1, :])}
    return {"t": 0, "v": xp.zeros_like(p)}


def _rms(x: Any, xp: Any) -> float:
    return float(xp.sqrt(xp.sum(x * x))) / math.prod(x.shape) ** 0.5


def _adafactor_step(p: Any, g: Any, state: State, hp: Mapping[str, Any], xp: Any) -> tuple[Any, State]:
    """Adafactor (Shazeer & Stern 2018) as torch implements it: 1 − β̂₂ = t^b2_decay; relative
    step ρ_t = min(lr, 1/√t) scaled by max(ε₂, RMS(θ)); for a matrix, the second moment is the
    outer product of row and column means of g² over their mean; update clipping at RMS d."""
    lr, b2_decay, eps2, d, wd = hp["lr"], hp["b2_decay"], hp["eps2"], hp["d"], hp["wd"]
    eps1 = hp["eps1"] if hp["eps1"] is not None else float(xp.finfo(p.dtype).eps)
    t = state["t"] + 1
    w = t**b2_decay  # 1 − β̂₂: 1 at t = 1, so the first estimate is g² itself
    alpha = max(eps2, _rms(p, xp)) * min(lr, 1 / t**0.5)  # from θ before the decay
    if wd:
        p = p * (1 - lr * wd)  # decoupled, scaled by lr (not by the relative step)
    g2 = g * g
    if p.ndim > 1:
        row = state["row"] + w * (g2.mean(-1)[..., None] - state["row"])
        col = state["col"] + w * (g2.mean(-2)[..., None, :] - state["col"])
        var = row * col / xp.clip(row.mean(-2)[..., None, :], eps1, None)
        new_state: State = {"t": t, "row": row, "col": col}
    else:
        var = state["v"] + w * (g2 - state["v"])
        new_state = {"t": t, "v": var}
    update = g / xp.sqrt(xp.clip(var, eps1 * eps1, None))
    return p - (alpha / max(1.0, _rms(update, xp) / d)) * update, new_state


def _rprop_step(p: Any, g: Any, state: State, hp: Mapping[str, float], xp: Any) -> tuple[Any, State]:
    """Rprop (Riedmiller & Braun 1993) in torch's form (Rprop without weight backtracking): each
    coordinate's step size grows by η₊ while g keeps its sign, shrinks by η₋ when it flips (and
    that coordinate then skips a step and forgets its gradient), clipped to [step_min, step_max]."""
    t = state["t"] + 1
    step_size = state["step_size"] if t > 1 else xp.zeros_like(p) + hp["lr"]
    agree = xp.sign(g * state["prev"])
    flipped = agree < 0
    factor = xp.where(flipped, hp["eta_minus"], xp.where(agree > 0, hp["eta_plus"], xp.ones_like(p)))
    step_size = xp.clip(step_size * factor, hp["step_min"], hp["step_max"])
    g = xp.where(flipped, 0.0, g)
    return p - xp.sign(g) * step_size, {"t": t, "prev": g, "step_size": step_size}


def _asgd_init(p: Any, xp: Any) -> State:
    return {"t": 0, "ax": xp.zeros_like(p), "eta": None, "mu": 1.0}


def _asgd_step(p: Any, g: Any, state: State, hp: Mapping[str, float], xp: Any) -> tuple[Any, State]:
    """ASGD (Polyak & Juditsky 1992) as torch.optim.ASGD: SGD with the decaying step
    η_t = lr/(1 + λ·lr·(t−1))^α and the shrink (1 − λ·η_t), and the running average ax of the
    iterates, which starts averaging (μ_t = 1/(t−1−t0)) after step t0 + 1. The state keeps
    η and μ for the next step, as torch does."""
    lr, lambd, alpha, t0, wd = hp["lr"], hp["lambd"], hp["alpha"], hp["t0"], hp["wd"]
    t = state["t"] + 1
    eta = lr if state["eta"] is None else state["eta"]
    mu = state["mu"]
    if wd:
        g = g + wd * p
    p = p * (1 - lambd * eta) - eta * g
    ax = p if mu == 1 else state["ax"] + (p - state["ax"]) * mu
    next_eta = lr / (1 + lambd * lr * t) ** alpha
    return p, {"t": t, "ax": ax, "eta": next_eta, "mu": 1 / max(1, t - t0)}


_SGD = {"lr": 1e-3, "mu": 0.0, "dampening": 0.0, "wd": 0.0}
_ADAM = {"lr": 1e-3, "b1": 0.9, "b2": 0.999, "eps": 1e-8, "wd": 0.0}

REFERENCES: dict[str, Optimizer] = {
    opt.name: opt
    for opt in (
        Optimizer("sgd", dict(_SGD), ("buf",), _sgd_step),
        Optimizer("momentum", {**_SGD, "mu": 0.9}, ("buf",), _sgd_step),
        Optimizer("nesterov", {**_SGD, "mu": 0.9}, ("buf",), partial(_sgd_step, nesterov=True)),
        Optimizer("rmsprop", {"lr": 1e-2, "rho": 0.99, "eps": 1e-8, "wd": 0.0}, ("v",), _rmsprop_step),
        Optimizer("adagrad", {"lr": 1e-2, "eps": 1e-10, "wd": 0.0, "lr_decay": 0.0}, ("s",), _adagrad_step),
        Optimizer("adam", dict(_ADAM), ("m", "v"), _adam_step),
        Optimizer("adamw", {**_ADAM, "wd": 1e-2}, ("m", "v"), partial(_adam_step, decoupled=True)),
        Optimizer("amsgrad", dict(_ADAM), ("m", "v", "vmax"), partial(_adam_step, amsgrad=True)),
        Optimizer("lion", {"lr": 1e-4, "b1": 0.9, "b2": 0.99, "wd": 0.0}, ("m",), _lion_step),
        Optimizer("nadam", {**_ADAM, "lr": 2e-3, "psi": 4e-3}, ("m", "v"), _nadam_step, _nadam_init),
        Optimizer("radam", dict(_ADAM), ("m", "v"), _radam_step),
        Optimizer("adamax", {**_ADAM, "lr": 2e-3}, ("m", "u"), _adamax_step),
        Optimizer("adadelta", {"lr": 1.0, "rho": 0.9, "eps": 1e-6, "wd": 0.0}, ("v", "dx2"), _adadelta_step),
        Optimizer(
            "adafactor",
            {"lr": 1e-2, "b2_decay": -0.8, "eps1": None, "eps2": 1e-3, "d": 1.0, "wd": 0.0},
            ("row", "col", "v"),
            _adafactor_step,
            _adafactor_init,
        ),
        Optimizer(
            "rprop",
            {"lr": 1e-2, "eta_minus": 0.5, "eta_plus": 1.2, "step_min": 1e-6, "step_max": 50.0},
            ("prev", "step_size"),
            _rprop_step,
        ),
        Optimizer("asgd", {"lr": 1e-2, "lambd": 1e-4, "alpha": 0.75, "t0": 1e6, "wd": 0.0}, ("ax",), _asgd_step, _asgd_init),
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


def _muon_step(p: Any, g: Any, state: State, hp: Mapping[str, float], xp: Any, nesterov: bool = True) -> tuple[Any, State]:
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


REFERENCES["muon"] = Optimizer("muon", dict(MUON_DEFAULTS), ("buf",), _muon_step)
