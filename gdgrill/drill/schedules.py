"""Learning-rate schedules: each a pure function ``lr(t, hp)`` of the step number.

``get_schedule("step-lr")`` gives a :class:`Schedule`: ``lr(t, hp)`` is the learning rate the
optimizer uses for step ``t`` (1-based: ``t = 1`` is the first update), ``phase(t, hp)``
names the part of the schedule step ``t`` falls in (for the diagnosis), and
``torch_lrs(torch, hp, steps)`` steps torch's own scheduler (for the cross-check and the
tests). No numpy and no torch here: torch is passed in by the caller that has imported it.

**Which torch epoch step t is.** torch's schedulers count ``last_epoch`` from 0: after
construction the optimizer holds the rate for the first update, and every
``scheduler.step()`` (called after ``optimizer.step()``) moves to the next. So ``lr(t)`` is
torch's rate at ``last_epoch = t − 1``: the value in ``optimizer.param_groups[0]["lr"]``
before the t-th ``optimizer.step()``. Every closed form below is written in ``t`` and equals
torch's stepped (chainable) scheduler to rounding — torch multiplies the previous rate by a
factor at each step where a closed form raises γ to a power, which differs by a few ulp. Two
deliberate departures: past T, warmup-cosine holds its floor where torch's CosineAnnealingLR
is periodic and climbs back; and the schedules torch has no class for (inverse-sqrt,
wsd-sqrt) are checked against ``LambdaLR`` of the closed form itself.

**Hyper-parameters** are floats keyed by the drill language's names (the instance's ``hp``):
``lr_max`` (the rate at the start, or the peak), ``lr_min`` (the floor), ``warmup`` (W),
``total`` (T, the last step), ``gamma`` (γ), ``step_size``, ``power``, ``total_iters``,
``pct_start``, ``div_factor``, ``final_div_factor``, ``t0`` (T_0), ``t_mult`` (T_mult),
``d_model``, ``cooldown`` (D). A list hyper-parameter — MultiStepLR's milestones — is spelled
as numbered names ``m1, m2, m3, …`` (read in order until one is missing), so ``hp`` stays a
flat mapping of floats that a drill file writes as ``{m1: 5, m2: 9, m3: 14}`` and a rule
reads as the names ``m1``, ``m2``, ``m3``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable, Mapping

Hp = Mapping[str, float]
LrFn = Callable[[float, Hp], float]
PhaseFn = Callable[[float, Hp], str]
# (torch, optimizer built with the schedule's base lr, hp) -> a torch LR scheduler
TorchFn = Callable[[Any, Any, Hp], Any]


@dataclass(frozen=True)
class Schedule:
    name: str
    defaults: dict[str, float]
    _lr: LrFn = field(repr=False)
    torch_twin: str  # what torch runs for it, in words ("torch.optim.lr_scheduler.StepLR")
    _torch: TorchFn = field(repr=False)
    base_lr: Callable[[Hp], float] = field(repr=False, default=lambda h: h["lr_max"])
    _phase: PhaseFn | None = field(repr=False, default=None)

    def merged(self, hp: Hp | None) -> dict[str, float]:
        return {**self.defaults, **hp} if hp else dict(self.defaults)

    def lr(self, t: float, hp: Hp | None = None) -> float:
        """The learning rate for step ``t`` (1-based); ``hp`` overrides ``defaults``."""
        return self._lr(t, self.merged(hp))

    def phase(self, t: float, hp: Hp | None = None) -> str:
        """Where step ``t`` falls, in words ("during warmup (t ≤ W)"); "" for a schedule
        with one phase."""
        return self._phase(t, self.merged(hp)) if self._phase else ""

    def torch_lrs(self, torch: Any, hp: Hp | None, steps: int, device: str = "cpu") -> list[float]:
        """torch's own scheduler, stepped as a training loop steps it: the rate read before
        each of ``steps`` optimizer steps (t = 1 … steps)."""
        h = self.merged(hp)
        param = torch.nn.Parameter(torch.zeros(1, device=device))
        opt = torch.optim.SGD([param], lr=self.base_lr(h))
        sched = self._torch(torch, opt, h)
        out: list[float] = []
        for k in range(steps):
            if k:  # torch warns when the scheduler steps before the optimizer
                opt.step()
                sched.step()
            out.append(float(opt.param_groups[0]["lr"]))
        return out


def _int(h: Hp, name: str) -> int:
    """An integer hyper-parameter (torch wants ints for step counts)."""
    value = h[name]
    if value != int(value):
        raise ValueError(f"{name} must be a whole number of steps, got {value:g}")
    return int(value)


# -- Linear warmup then cosine decay (SequentialLR of LinearLR, CosineAnnealingLR) -----------

WARMUP_COSINE_DEFAULTS = {"warmup": 10.0, "total": 100.0, "lr_max": 1e-3, "lr_min": 1e-5}


def warmup_cosine(t: float, hp: Hp | None = None) -> float:
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


def _after_linear_warmup(torch: Any, opt: Any, warmup: int, decay: Any) -> Any:
    """torch's linear warmup over ``warmup`` steps (reaching the peak at step ``warmup``),
    then ``decay``: a SequentialLR, or the decay alone when there is no warmup to speak of."""
    if warmup <= 1:
        return decay
    sch = torch.optim.lr_scheduler
    rise = sch.LinearLR(opt, start_factor=1 / warmup, end_factor=1.0, total_iters=warmup - 1)
    return sch.SequentialLR(opt, [rise, decay], milestones=[warmup - 1])


def _warmup_cosine_torch(torch: Any, opt: Any, h: Hp) -> Any:
    warmup, total = _int(h, "warmup"), _int(h, "total")
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total - warmup, eta_min=h["lr_min"])
    return _after_linear_warmup(torch, opt, warmup, cosine)


def _warmup_phase(decay: str, t: float, h: Hp) -> str:
    """The phase of a warmup-then-``decay`` schedule (bound to its decay's name with partial)."""
    return "during warmup (t ≤ W)" if t <= h["warmup"] else f"in the {decay} (t > W), after a right warmup"


# -- Step decays: StepLR, MultiStepLR, ExponentialLR ------------------------------------------


def step_decay(t: float, h: Hp) -> float:
    """StepLR: ``lr_max · γ^⌊(t − 1)/step_size⌋`` — steps 1 … step_size run at lr_max, the
    first drop is at ``t = step_size + 1``."""
    return h["lr_max"] * h["gamma"] ** math.floor((t - 1) / h["step_size"])


def milestones(h: Hp) -> list[float]:
    """MultiStepLR's milestones from the numbered names m1, m2, … (in order until one is
    missing), sorted as torch sorts them."""
    found = []
    k = 1
    while f"m{k}" in h:
        found.append(h[f"m{k}"])
        k += 1
    return sorted(found)


def multistep_decay(t: float, h: Hp) -> float:
    """MultiStepLR: ``lr_max · γ^(number of milestones m with m ≤ t − 1)``: a milestone m is
    torch's epoch m, so the rate drops from step ``t = m + 1`` on."""
    passed = sum(1 for m in milestones(h) if m <= t - 1)
    return h["lr_max"] * h["gamma"] ** passed


def exponential_decay(t: float, h: Hp) -> float:
    """ExponentialLR: ``lr_max · γ^(t − 1)``."""
    return h["lr_max"] * h["gamma"] ** (t - 1)


def _drops_phase(count: Callable[[float, Hp], int], t: float, h: Hp) -> str:
    """How many drops a step decay has made by step t (``count`` bound with partial)."""
    n = count(t, h)
    return "before the first drop" if n == 0 else f"after {n} drop{'s' if n > 1 else ''} by γ"


# -- PolynomialLR ----------------------------------------------------------------------------


def polynomial_decay(t: float, h: Hp) -> float:
    """PolynomialLR: ``lr_max · (1 − min(t − 1, T)/T)^power`` with T = total_iters: the rate
    is lr_max at t = 1 and reaches 0 at ``t = T + 1`` (after T scheduler steps), then stays 0."""
    total_iters = h["total_iters"]
    return h["lr_max"] * (1.0 - min(total_iters, t - 1) / total_iters) ** h["power"]


def _polynomial_phase(t: float, h: Hp) -> str:
    return "while decaying (t ≤ T)" if t - 1 < h["total_iters"] else "at or past the end (t > T), where the rate is 0"


# -- OneCycleLR (cosine annealing, two phases) -------------------------------------------------


def _anneal_cos(start: float, end: float, pct: float) -> float:
    """torch's OneCycleLR._annealing_cos: from start (pct 0) to end (pct 1) along a half-cosine."""
    return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)


def one_cycle(t: float, h: Hp) -> float:
    """OneCycleLR(max_lr=lr_max, total_steps=total, pct_start, div_factor, final_div_factor,
    anneal_strategy='cos', three_phase=False) at epoch e = t − 1:

    * initial = lr_max/div_factor, min = initial/final_div_factor, peak epoch p = pct_start·total − 1
    * e ≤ p: half-cosine from initial up to lr_max, progress e/p (the peak at t = pct_start·total)
    * e > p: half-cosine from lr_max down to min, progress (e − p)/(total − 1 − p) (min at t = total)

    torch allows one epoch past the end (t = total + 1, where the cosine's progress passes 1)
    and raises beyond it; so does this."""
    total = h["total"]
    e = t - 1
    if e > total:
        raise ValueError(f"OneCycleLR is defined up to t = total + 1 = {total + 1:g}; got t = {t:g}")
    initial = h["lr_max"] / h["div_factor"]
    lowest = initial / h["final_div_factor"]
    peak = h["pct_start"] * total - 1
    if e <= peak:
        return _anneal_cos(initial, h["lr_max"], e / peak)
    return _anneal_cos(h["lr_max"], lowest, (e - peak) / (total - 1 - peak))


def _one_cycle_torch(torch: Any, opt: Any, h: Hp) -> Any:
    return torch.optim.lr_scheduler.OneCycleLR(
        opt,
        max_lr=h["lr_max"],
        total_steps=_int(h, "total"),
        pct_start=float(h["pct_start"]),
        anneal_strategy="cos",
        cycle_momentum=False,
        div_factor=h["div_factor"],
        final_div_factor=h["final_div_factor"],
        three_phase=False,
    )


def _one_cycle_phase(t: float, h: Hp) -> str:
    if t - 1 <= h["pct_start"] * h["total"] - 1:
        return "in the rise to the peak (t ≤ pct_start·T)"
    return "in the anneal down to the minimum (t > pct_start·T), after a right rise"


# -- CosineAnnealingWarmRestarts (SGDR) ---------------------------------------------------------


def sgdr_cycle(t: float, h: Hp) -> tuple[int, float, float]:
    """(n, T_cur, T_i) at step t: the cycle index n (0 for the first), the epochs since its
    restart, and its length T_i = T_0·T_mult^n. Integer arithmetic, as torch's step() keeps
    it (its epoch-argument form takes a float logarithm instead)."""
    e = t - 1
    length, start, n = h["t0"], 0.0, 0
    while e >= start + length:
        start += length
        length *= h["t_mult"]
        n += 1
    return n, e - start, length


def warm_restarts(t: float, h: Hp) -> float:
    """CosineAnnealingWarmRestarts(T_0=t0, T_mult=t_mult, eta_min=lr_min), base lr lr_max:
    ``lr_min + (lr_max − lr_min)·(1 + cos(π·T_cur/T_i))/2``. Cycle n starts at epoch
    ``T_0·(T_mult^n − 1)/(T_mult − 1)`` (``n·T_0`` when T_mult = 1) and lasts ``T_0·T_mult^n``
    epochs; T_cur counts from 0 at the restart, so the first step of a cycle is at lr_max and
    the rate never quite reaches lr_min (T_cur stops at T_i − 1)."""
    _, t_cur, t_i = sgdr_cycle(t, h)
    return h["lr_min"] + (h["lr_max"] - h["lr_min"]) * (1 + math.cos(math.pi * t_cur / t_i)) / 2


def _warm_restarts_torch(torch: Any, opt: Any, h: Hp) -> Any:
    return torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=_int(h, "t0"), T_mult=_int(h, "t_mult"), eta_min=h["lr_min"])


def _warm_restarts_phase(t: float, h: Hp) -> str:
    n, t_cur, t_i = sgdr_cycle(t, h)
    restart = t - t_cur
    return f"in cycle {n + 1} (restarted at t = {restart:g}, length T_i = {t_i:g})"


# -- Linear warmup then linear decay ----------------------------------------------------------

WARMUP_LINEAR_DEFAULTS = dict(WARMUP_COSINE_DEFAULTS)


def warmup_linear(t: float, h: Hp) -> float:
    """Linear warmup then linear decay to a floor (torch has no class for it):

    * ``t <= warmup``:          ``lr_max · t/W``
    * ``warmup < t <= total``:  ``lr_min + (lr_max − lr_min)·(T − t)/(T − W)``
    * ``t > total``:            ``lr_min``

    Equal to ``SequentialLR([LinearLR(start_factor=1/W, end_factor=1, total_iters=W−1),
    LinearLR(start_factor=1, end_factor=lr_min/lr_max, total_iters=T−W)], milestones=[W−1])``
    and to ``LambdaLR`` of the same factor at epoch t − 1. (Hugging Face's
    get_linear_schedule_with_warmup is this with lr_min = 0 read one step earlier: its
    first step runs at 0.)"""
    warmup, total, lr_max, lr_min = h["warmup"], h["total"], h["lr_max"], h["lr_min"]
    if t <= warmup:
        return lr_max * t / warmup
    if t >= total:
        return lr_min
    return lr_min + (lr_max - lr_min) * (total - t) / (total - warmup)


def _warmup_linear_torch(torch: Any, opt: Any, h: Hp) -> Any:
    warmup, total = _int(h, "warmup"), _int(h, "total")
    decay = torch.optim.lr_scheduler.LinearLR(opt, start_factor=1.0, end_factor=h["lr_min"] / h["lr_max"], total_iters=total - warmup)
    return _after_linear_warmup(torch, opt, warmup, decay)


def _after_total(phase: PhaseFn, t: float, h: Hp) -> str:
    """``phase``, or past the end once t > T (bound with partial)."""
    return "past the last step (t > T), where the rate stays at the floor" if t > h["total"] else phase(t, h)


# -- Inverse square root (Noam) ----------------------------------------------------------------


def inverse_sqrt(t: float, h: Hp) -> float:
    """Vaswani et al. 2017 ("Attention Is All You Need", eq. 3), step_num = t:
    ``d_model^−0.5 · min(t^−0.5, t·W^−1.5)`` — linear warmup to the peak ``(d_model·W)^−0.5``
    at t = W, then decay ∝ 1/√t. torch has no class; it is LambdaLR of this with base lr 1."""
    return h["d_model"] ** -0.5 * min(t**-0.5, t * h["warmup"] ** -1.5)


def _inverse_sqrt_torch(torch: Any, opt: Any, h: Hp) -> Any:
    return torch.optim.lr_scheduler.LambdaLR(opt, lambda epoch: inverse_sqrt(epoch + 1, h))


def _inverse_sqrt_phase(t: float, h: Hp) -> str:
    return "during warmup (t ≤ W)" if t <= h["warmup"] else "in the 1/√t decay (t > W), after a right warmup"


# -- Warmup–stable–decay (WSD) ----------------------------------------------------------------

WSD_DEFAULTS = {"warmup": 10.0, "total": 100.0, "cooldown": 20.0, "lr_max": 1e-3, "lr_min": 0.0}


def _wsd(t: float, h: Hp, cool: Callable[[float], float]) -> float:
    warmup, total, cooldown, lr_max, lr_min = h["warmup"], h["total"], h["cooldown"], h["lr_max"], h["lr_min"]
    if t <= warmup:
        return lr_max * t / warmup
    if t <= total - cooldown:
        return lr_max
    if t >= total:
        return lr_min
    return lr_min + (lr_max - lr_min) * (1 - cool((t - (total - cooldown)) / cooldown))


def wsd_linear(t: float, h: Hp) -> float:
    """WSD with a linear cooldown, ``1 − p`` in place of ``1 − √p``; see :func:`wsd_sqrt`."""
    return _wsd(t, h, lambda progress: progress)


def wsd_sqrt(t: float, h: Hp) -> float:
    """Warmup–stable–decay (Hu et al. 2024, MiniCPM, arXiv:2404.06395; the cooldown forms of
    Hägele et al. 2024, "Scaling Laws and Compute-Optimal Training Beyond Fixed Training
    Durations", arXiv:2405.18392), with W warmup steps, T steps in all, the last D of them
    cooling down, and progress ``p = (t − (T − D))/D`` through the cooldown:

    * ``t <= W``:            ``lr_max · t/W``   (linear warmup, peak at t = W)
    * ``W < t <= T − D``:    ``lr_max``         (stable)
    * ``T − D < t <= T``:    ``lr_min + (lr_max − lr_min)·(1 − √p)``  (the 1−√ cooldown)
    * ``t > T``:             ``lr_min``

    so the rate leaves the plateau at t = T − D + 1 and reaches lr_min on the last step t = T.
    (Hägele et al.'s code, epfml/schedules-and-scaling's ``wsd_schedule``, has the same
    cooldown at its 0-based step t; run through LambdaLR it reaches the floor one step later.)"""
    return _wsd(t, h, math.sqrt)


def _wsd_linear_torch(torch: Any, opt: Any, h: Hp) -> Any:
    """SequentialLR of three torch schedulers: LinearLR up over epochs 0 … W−1, ConstantLR
    (factor 1) on the plateau, LinearLR down over the D epochs from T − D − 1."""
    warmup, total, cooldown = _int(h, "warmup"), _int(h, "total"), _int(h, "cooldown")
    sch = torch.optim.lr_scheduler
    rise = sch.LinearLR(opt, start_factor=1 / warmup, end_factor=1.0, total_iters=max(warmup - 1, 1))
    stable = sch.ConstantLR(opt, factor=1.0, total_iters=1)
    cool = sch.LinearLR(opt, start_factor=1.0, end_factor=h["lr_min"] / h["lr_max"], total_iters=cooldown)
    return sch.SequentialLR(opt, [rise, stable, cool], milestones=[warmup - 1, total - cooldown - 1])


def _wsd_sqrt_torch(torch: Any, opt: Any, h: Hp) -> Any:
    # torch has no 1−√ decay: LambdaLR of this module's factor at epoch e = t − 1
    return torch.optim.lr_scheduler.LambdaLR(opt, lambda epoch: wsd_sqrt(epoch + 1, h) / h["lr_max"])


def _wsd_phase(t: float, h: Hp) -> str:
    if t <= h["warmup"]:
        return "during warmup (t ≤ W)"
    if t <= h["total"] - h["cooldown"]:
        return "in the stable phase (W < t ≤ T − D), after a right warmup"
    return "in the cooldown (t > T − D), after a right warmup and plateau"


# -- The registry -------------------------------------------------------------------------------

_LRS = "torch.optim.lr_scheduler."

SCHEDULES: dict[str, Schedule] = {
    s.name: s
    for s in (
        Schedule(
            "warmup-cosine",
            dict(WARMUP_COSINE_DEFAULTS),
            warmup_cosine,
            _LRS + "SequentialLR(LinearLR, CosineAnnealingLR)",
            _warmup_cosine_torch,
            _phase=partial(_warmup_phase, "cosine decay phase"),
        ),
        Schedule(
            "step-lr",
            {"lr_max": 0.1, "gamma": 0.1, "step_size": 30.0},
            step_decay,
            _LRS + "StepLR",
            lambda torch, opt, h: torch.optim.lr_scheduler.StepLR(opt, step_size=_int(h, "step_size"), gamma=h["gamma"]),
            _phase=partial(_drops_phase, lambda t, h: math.floor((t - 1) / h["step_size"])),
        ),
        Schedule(
            "multistep-lr",
            {"lr_max": 0.1, "gamma": 0.1},
            multistep_decay,
            _LRS + "MultiStepLR",
            lambda torch, opt, h: torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[int(m) for m in milestones(h)], gamma=h["gamma"]),
            _phase=partial(_drops_phase, lambda t, h: sum(1 for m in milestones(h) if m <= t - 1)),
        ),
        Schedule(
            "exponential-lr",
            {"lr_max": 0.1, "gamma": 0.9},
            exponential_decay,
            _LRS + "ExponentialLR",
            lambda torch, opt, h: torch.optim.lr_scheduler.ExponentialLR(opt, gamma=h["gamma"]),
        ),
        Schedule(
            "polynomial-lr",
            {"lr_max": 0.1, "total_iters": 5.0, "power": 1.0},
            polynomial_decay,
            _LRS + "PolynomialLR",
            lambda torch, opt, h: torch.optim.lr_scheduler.PolynomialLR(opt, total_iters=_int(h, "total_iters"), power=h["power"]),
            _phase=_polynomial_phase,
        ),
        Schedule(
            "one-cycle",
            {"lr_max": 0.1, "total": 100.0, "pct_start": 0.3, "div_factor": 25.0, "final_div_factor": 1e4},
            one_cycle,
            _LRS + "OneCycleLR(anneal_strategy='cos')",
            _one_cycle_torch,
            _phase=_one_cycle_phase,
        ),
        Schedule(
            "sgdr",
            {"lr_max": 0.1, "lr_min": 0.0, "t0": 10.0, "t_mult": 1.0},
            warm_restarts,
            _LRS + "CosineAnnealingWarmRestarts",
            _warm_restarts_torch,
            _phase=_warm_restarts_phase,
        ),
        Schedule(
            "warmup-linear",
            dict(WARMUP_LINEAR_DEFAULTS),
            warmup_linear,
            _LRS + "SequentialLR(LinearLR, LinearLR)",
            _warmup_linear_torch,
            _phase=partial(_after_total, partial(_warmup_phase, "linear decay phase")),
        ),
        Schedule(
            "inverse-sqrt",
            {"d_model": 512.0, "warmup": 4000.0},
            inverse_sqrt,
            "gdgrill's inverse_sqrt in " + _LRS + "LambdaLR (torch has no Noam class)",
            _inverse_sqrt_torch,
            base_lr=lambda h: 1.0,
            _phase=_inverse_sqrt_phase,
        ),
        Schedule(
            "wsd",
            dict(WSD_DEFAULTS),
            wsd_linear,
            _LRS + "SequentialLR(LinearLR, ConstantLR, LinearLR)",
            _wsd_linear_torch,
            _phase=partial(_after_total, _wsd_phase),
        ),
        Schedule(
            "wsd-sqrt",
            dict(WSD_DEFAULTS),
            wsd_sqrt,
            "gdgrill's WSD (1−√ cooldown) in " + _LRS + "LambdaLR (torch has no such class)",
            _wsd_sqrt_torch,
            _phase=partial(_after_total, _wsd_phase),
        ),
    )
}


def get_schedule(name: str) -> Schedule:
    """The schedule called ``name`` (see :data:`SCHEDULES`)."""
    try:
        return SCHEDULES[name]
    except KeyError:
        raise KeyError(f"no schedule {name!r} (known: {', '.join(SCHEDULES)})") from None
