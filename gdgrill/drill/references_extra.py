"""Reference steps for the optimizers from papers and for the training mechanics.

Same shape as :mod:`gdgrill.drill.references`: each is an :class:`Optimizer` whose
``step(params, grad, state, hp, xp)`` is a pure function over an array namespace (numpy or
torch). ``t`` in the state counts the steps (micro-batches for gradient accumulation).
Where torch has no implementation, the paper's algorithm is the reference; the tests
compare each with ``pytorch-optimizer`` where it implements the same thing, and say where it
differs.

* ``lamb`` — You et al. 2019, "Large Batch Optimization for Deep Learning: Training BERT in
  76 minutes" (ICLR 2020), Algorithm 2 with φ the identity: bias-corrected Adam direction
  r = m̂/(√v̂ + ε), update u = r + λ·θ, θ ← θ − η·(‖θ‖/‖u‖)·u; the trust ratio is 1 when
  ‖θ‖ = 0 or ‖u‖ = 0. (pytorch-optimizer's ``Lamb`` follows arXiv v3: no bias correction,
  decoupled decay by default, ‖u‖ + ε and ‖θ‖ clamped at 10; ``_lamb_step`` with
  ``bias_correction=False`` is that form without the clamp.)
* ``lars`` — You et al. 2017, "Large Batch Training of Convolutional Networks", Algorithm 1:
  local lr κ·‖θ‖/(‖g‖ + λ‖θ‖) (κ the trust coefficient, ``trust``), buf ← μ·buf + local·(g + λθ),
  θ ← θ − η·buf (the paper keeps η inside the buffer; equal for a constant η). The local lr is
  1 when ‖θ‖ = 0 or the denominator is 0, as in pytorch-optimizer's ``LARS`` (which applies it
  to tensors of two or more dimensions only; here θ is one layer, of any shape).
* ``schedule-free-adamw`` — Defazio et al. 2024, "The Road Less Scheduled", Algorithm 1:
  y = (1−β₁)z + β₁x, where the gradient is taken; v ← β₂v + (1−β₂)g²;
  γ_t = γ·√(1−β₂ᵗ)·min(1, t/T_warmup) (no warmup when ``warmup`` ≤ 1);
  z ← z − γ_t·g/(√v + ε) − γ_t·λ·y; c = γ_t²/Σγ_i²; x ← (1−c)x + c·z. The parameters the
  model holds while training are y (as in the authors' implementation), so θ here is y; the
  evaluation point x is ``schedule_free_x``. Written in the authors' y/z form, which never
  stores x (the drill's rule uses x, y and z; the tests check the two agree).
* ``lookahead`` — Zhang et al. 2019, "Lookahead Optimizer: k steps forward, 1 step back",
  Algorithm 1 with plain SGD inside: every k-th step, slow ← slow + α·(fast − slow), fast ← slow;
  slow starts at the initial θ. θ is the fast weights.
* ``weight-ema`` — SGD, then ``torch.optim.swa_utils.AveragedModel`` with
  ``get_ema_multi_avg_fn(decay)`` updated after each step: the first update copies θ, later
  ones ema ← decay·ema + (1−decay)·θ. The drill compares ``ema`` (see ``output``).
* ``grad-accumulation`` — each step is one micro-batch: the loss is divided by k, so the
  gradients summed in .grad over k micro-batches are their mean; every k-th micro-batch SGD
  steps with it and the gradient is zeroed.
* ``loss-scaling`` — ``torch.amp.GradScaler`` driving SGD: g is the gradient of the scaled
  loss; a step whose g holds an inf or NaN is skipped, otherwise θ ← θ − η·g/s; then the scale
  backs off (s·backoff, tracker reset) on an overflow, or grows (s·growth, tracker reset)
  after ``interval`` finite steps in a row, unless the grown scale overflows float32 (torch keeps it so)
  (``torch._amp_update_scale_``). The scale starts at ``s0`` (torch's init_scale).
* ``clip_grad_value`` — ``torch.nn.utils.clip_grad_value_``: every element clamped to [−c, c].

Hyper-parameter names: ``lr``, ``b1``, ``b2``, ``eps``, ``wd``, ``mu`` as in
:mod:`gdgrill.drill.references`; ``trust`` (LARS's trust coefficient); ``warmup``
(schedule-free's warmup steps); ``k`` (Lookahead's sync period, the micro-batches per step);
``alpha`` (Lookahead's slow step size); ``decay`` (the EMA's); ``s0``, ``growth``,
``backoff``, ``interval`` (GradScaler's init_scale, growth_factor, backoff_factor,
growth_interval); ``clip_value``.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Mapping

from gdgrill.drill.references import Optimizer, State, clip_by_global_norm


def _norm(x: Any, xp: Any) -> Any:
    return xp.sqrt(xp.sum(x * x))


def _guarded_ratio(num: Any, den: Any, xp: Any) -> Any:
    """num/den, or 1 where either is 0 (LAMB's and LARS's guard); never divides by 0."""
    ok = (num > 0) & (den > 0)
    return xp.where(ok, num / xp.where(ok, den, 1.0), 1.0)


def found_inf(g: Any) -> bool:
    """Whether ``g`` holds an inf or a NaN (what GradScaler's unscale_ looks for)."""
    return not bool((abs(g) < math.inf).all())  # False for ±inf and for NaN, on numpy and torch


# -- LAMB and LARS (layer-wise trust ratios) -----------------------------------------------------


def _lamb_step(p: Any, g: Any, state: State, hp: Mapping[str, float], xp: Any, bias_correction: bool = True) -> tuple[Any, State]:
    lr, b1, b2, eps, wd = hp["lr"], hp["b1"], hp["b2"], hp["eps"], hp["wd"]
    t = state["t"] + 1
    m = b1 * state["m"] + (1 - b1) * g
    v = b2 * state["v"] + (1 - b2) * g * g
    m_hat, v_hat = (m / (1 - b1**t), v / (1 - b2**t)) if bias_correction else (m, v)
    u = m_hat / (xp.sqrt(v_hat) + eps) + wd * p
    trust = _guarded_ratio(_norm(p, xp), _norm(u, xp), xp)
    return p - lr * trust * u, {"t": t, "m": m, "v": v}


def _lars_step(p: Any, g: Any, state: State, hp: Mapping[str, float], xp: Any) -> tuple[Any, State]:
    lr, mu, wd, trust = hp["lr"], hp["mu"], hp["wd"], hp["trust"]
    p_norm = _norm(p, xp)
    local = _guarded_ratio(trust * p_norm, _norm(g, xp) + wd * p_norm, xp)
    buf = mu * state["buf"] + local * (g + wd * p)
    return p - lr * buf, {"t": state["t"] + 1, "buf": buf}


# -- Schedule-free AdamW (Defazio et al. 2024) ----------------------------------------------------


def schedule_free_lr(t: int, hp: Mapping[str, float]) -> float:
    """γ_t = γ·√(1 − β₂ᵗ)·min(1, t/T_warmup): warmup and Adam's bias correction in the lr."""
    warmup = hp["warmup"]
    ramp = min(1.0, t / warmup) if warmup > 0 else 1.0
    return hp["lr"] * math.sqrt(1 - hp["b2"] ** t) * ramp


def _schedule_free_adamw_step(y: Any, g: Any, state: State, hp: Mapping[str, float], xp: Any) -> tuple[Any, State]:
    b1, b2, eps, wd = hp["b1"], hp["b2"], hp["eps"], hp["wd"]
    t = state["t"] + 1
    z = y if t == 1 else state["z"]  # z₁ = x₁ = y₁ = θ₀
    lr_t = schedule_free_lr(t, hp)
    weight_sum = state.get("weight_sum", 0.0) + lr_t**2
    c = lr_t**2 / weight_sum
    v = b2 * state["v"] + (1 - b2) * g * g
    direction = g / (xp.sqrt(v) + eps) + wd * y  # the decay is taken at y, like the gradient
    # y_{t+1} = (1−β₁)z_{t+1} + β₁x_{t+1} with x_{t+1} = (1−c)x_t + c·z_{t+1}, x_t eliminated
    y = (1 - c) * y + c * z + lr_t * (b1 * (1 - c) - 1) * direction
    z = z - lr_t * direction
    return y, {"t": t, "z": z, "v": v, "weight_sum": weight_sum}


def schedule_free_x(y: Any, state: State, hp: Mapping[str, float]) -> Any:
    """The evaluation point x (what ``optimizer.eval()`` puts in the model): y = (1−β₁)z + β₁x."""
    b1 = hp["b1"]
    return (y - (1 - b1) * state["z"]) / b1


# -- Lookahead (Zhang et al. 2019) -----------------------------------------------------------------


def _lookahead_step(p: Any, g: Any, state: State, hp: Mapping[str, float], xp: Any) -> tuple[Any, State]:
    lr, k, alpha = hp["lr"], int(hp["k"]), hp["alpha"]
    t = state["t"] + 1
    slow = p if t == 1 else state["slow"]  # φ₀ = θ₀
    p = p - lr * g
    if t % k == 0:
        slow = slow + alpha * (p - slow)
        p = slow
    return p, {"t": t, "slow": slow}


# -- Training mechanics ----------------------------------------------------------------------------


def _weight_ema_step(p: Any, g: Any, state: State, hp: Mapping[str, float], xp: Any) -> tuple[Any, State]:
    lr, decay = hp["lr"], hp["decay"]
    t = state["t"] + 1
    p = p - lr * g
    # AveragedModel copies the weights at its first update (n_averaged == 0), then lerps
    ema = p if t == 1 else state["ema"] + (1 - decay) * (p - state["ema"])
    return p, {"t": t, "ema": ema}


def _grad_accumulation_step(p: Any, g: Any, state: State, hp: Mapping[str, float], xp: Any) -> tuple[Any, State]:
    lr, k = hp["lr"], int(hp["k"])
    t = state["t"] + 1
    acc = state["acc"] + g / k  # backward of loss/k adds g/k to .grad
    if t % k == 0:
        return p - lr * acc, {"t": t, "acc": xp.zeros_like(acc)}  # optimizer.step(); zero_grad()
    return p, {"t": t, "acc": acc}


def _loss_scaling_step(p: Any, g: Any, state: State, hp: Mapping[str, float], xp: Any) -> tuple[Any, State]:
    lr = hp["lr"]
    t = state["t"] + 1
    scale = state.get("scale", hp["s0"])  # GradScaler creates its scale lazily at init_scale
    tracker = state.get("tracker", 0)
    if found_inf(g):  # the step is skipped; the scale backs off and the tracker restarts
        return p, {"t": t, "scale": scale * hp["backoff"], "tracker": 0}
    p = p - lr * (g / scale)
    tracker += 1
    if tracker == int(hp["interval"]):
        grown = scale * hp["growth"]
        scale, tracker = (grown if grown <= FLOAT32_MAX else scale), 0  # torch's scale is float32: never inf
    return p, {"t": t, "scale": scale, "tracker": tracker}


FLOAT32_MAX = 3.4028234663852886e38


def clip_grad_value(g: Any, clip_value: float, xp: Any) -> Any:
    """``torch.nn.utils.clip_grad_value_`` as a pure function: each element clamped to [−c, c]."""
    return xp.clip(g, -clip_value, clip_value)


CLIPS: dict[str, Callable[[Any, Mapping[str, float], Any], Any]] = {
    "clip-norm": lambda g, hp, xp: clip_by_global_norm(g, hp["max_norm"], xp),
    "clip-value": lambda g, hp, xp: clip_grad_value(g, hp["clip_value"], xp),
}


def get_clip(name: str) -> Callable[[Any, Mapping[str, float], Any], Any]:
    """The clipping a clip drill's ``reference`` names: ``clip(g, hp, xp) -> clipped g``."""
    try:
        return CLIPS[name]
    except KeyError:
        raise KeyError(f"no reference clipping {name!r} (known: {', '.join(CLIPS)})") from None


_ADAM = {"lr": 1e-3, "b1": 0.9, "b2": 0.999}

EXTRA_REFERENCES: dict[str, Optimizer] = {
    opt.name: opt
    for opt in (
        Optimizer("lamb", {**_ADAM, "eps": 1e-6, "wd": 0.01}, ("m", "v"), _lamb_step),
        Optimizer("lars", {"lr": 1e-3, "mu": 0.9, "wd": 0.0, "trust": 1e-3}, ("buf",), _lars_step),
        Optimizer("schedule-free-adamw", {**_ADAM, "lr": 2.5e-3, "eps": 1e-8, "wd": 0.0, "warmup": 0.0}, ("z", "v"), _schedule_free_adamw_step),
        Optimizer("lookahead", {"lr": 1e-3, "k": 5.0, "alpha": 0.5}, ("slow",), _lookahead_step),
        Optimizer("weight-ema", {"lr": 1e-3, "decay": 0.999}, ("ema",), _weight_ema_step),
        Optimizer("grad-accumulation", {"lr": 1e-3, "k": 4.0}, ("acc",), _grad_accumulation_step),
        Optimizer(
            "loss-scaling",
            {"lr": 1e-3, "s0": 65536.0, "growth": 2.0, "backoff": 0.5, "interval": 2000.0},
            (),
            _loss_scaling_step,
        ),
    )
}
