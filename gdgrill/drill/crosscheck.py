"""The cross-check after a pass: the real ``torch.optim`` on the chosen device against the
user's rule run through torch on the same device.

For every instance of the drill, the optimizer torch ships (``torch.optim.SGD``, ``RMSprop``,
``Adagrad``, ``Adam``, ``AdamW``, ``Adam(amsgrad=True)``, ``NAdam``, ``RAdam``, ``Adamax``,
``Adadelta``, ``Adafactor``, ``Rprop``, ``ASGD``; ``torch.nn.utils.clip_grad_norm_``;
the schedule's ``torch.optim.lr_scheduler`` twin, see :mod:`gdgrill.drill.schedules`) is run on
the instance's parameters and gradients, and the user's rule is run through the language's
torch backend, both in float32 — and in bfloat16 too for the drills where ε and the low
precision interact (the adaptive methods: RMSprop, Adagrad, the Adam family). The worst
absolute difference over every step and element is compared with a tolerance relative to the
largest value the optimizer produced (bfloat16's tolerance for ``torch.optim.Muon``, which runs
its Newton–Schulz in bfloat16 whatever the dtype). torch has no Lion: that drill is checked against
gdgrill's reference Lion (Chen et al. 2023) run in torch on the device, and says so (as are
LAMB, LARS, Lookahead and schedule-free AdamW, after their papers). The training mechanics run
torch's own machinery around ``torch.optim.SGD``: ``swa_utils.AveragedModel`` for weight EMA,
autograd accumulating loss/k for gradient accumulation, ``torch.amp.GradScaler`` for loss
scaling; clip-by-value runs ``clip_grad_value_``.

Informational: it never changes the verdict, which is decided in float64 by the judge. torch is
imported here only, and only when the check runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from gdgrill.drill.catalog import Drill
from gdgrill.drill.language import Rule
from gdgrill.drill.schedules import get_schedule
from gdgrill.serialize import json_number

# |Δ| ≤ TOLERANCE[dtype] × the largest |value| the optimizer produced on the instance
TOLERANCE = {"float32": 1e-5, "bfloat16": 2e-2}
EPS_SENSITIVE = ("rmsprop", "adagrad", "adam", "adamw", "amsgrad")  # bfloat16 checked too
# torch runs part of the step in bfloat16 whatever the parameters' dtype (Muon's Newton–Schulz
# casts to bfloat16), so every check of these allows bfloat16's error
BFLOAT16_INSIDE = ("muon",)


@dataclass(frozen=True)
class DtypeCheck:
    dtype: str
    agrees: bool
    max_abs_diff: float
    tolerance: float

    def to_dict(self) -> dict[str, Any]:
        return {"dtype": self.dtype, "agrees": self.agrees, "max_abs_diff": json_number(self.max_abs_diff), "tolerance": json_number(self.tolerance)}


@dataclass(frozen=True)
class TorchCheck:
    """``agrees`` is None when the check could not run (``note`` says why)."""

    device: str
    compared: str  # what was compared with what, in words
    checks: tuple[DtypeCheck, ...] = ()
    note: str = ""
    agrees: bool | None = field(default=None)

    @property
    def dtype(self) -> str:
        return self.checks[0].dtype if self.checks else "float32"

    @property
    def max_abs_diff(self) -> float | None:
        return self.checks[0].max_abs_diff if self.checks else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "compared": self.compared,
            "agrees": self.agrees,
            "dtype": self.dtype,
            "max_abs_diff": None if self.max_abs_diff is None else json_number(self.max_abs_diff),
            "tolerance": json_number(self.checks[0].tolerance) if self.checks else None,
            "checks": [c.to_dict() for c in self.checks],
            "note": self.note,
        }


def skipped(device: str, note: str) -> TorchCheck:
    return TorchCheck(device, "nothing (the check did not run)", (), note, None)


# -- What torch runs for each drill ------------------------------------------------------------------

_OPTIMIZERS: dict[str, tuple[str, Callable[[dict[str, float]], dict[str, Any]]]] = {
    "sgd": ("SGD", lambda h: dict(lr=h["lr"], weight_decay=h["wd"])),
    "momentum": ("SGD", lambda h: dict(lr=h["lr"], momentum=h["mu"], dampening=h["dampening"], weight_decay=h["wd"])),
    "nesterov": ("SGD", lambda h: dict(lr=h["lr"], momentum=h["mu"], nesterov=True, weight_decay=h["wd"])),
    "rmsprop": ("RMSprop", lambda h: dict(lr=h["lr"], alpha=h["rho"], eps=h["eps"], weight_decay=h["wd"])),
    "adagrad": ("Adagrad", lambda h: dict(lr=h["lr"], eps=h["eps"], weight_decay=h["wd"], lr_decay=h["lr_decay"])),
    "adam": ("Adam", lambda h: dict(lr=h["lr"], betas=(h["b1"], h["b2"]), eps=h["eps"], weight_decay=h["wd"])),
    "adamw": ("AdamW", lambda h: dict(lr=h["lr"], betas=(h["b1"], h["b2"]), eps=h["eps"], weight_decay=h["wd"])),
    "amsgrad": ("Adam", lambda h: dict(lr=h["lr"], betas=(h["b1"], h["b2"]), eps=h["eps"], weight_decay=h["wd"], amsgrad=True)),
    "nadam": ("NAdam", lambda h: dict(lr=h["lr"], betas=(h["b1"], h["b2"]), eps=h["eps"], weight_decay=h["wd"], momentum_decay=h["psi"])),
    "radam": ("RAdam", lambda h: dict(lr=h["lr"], betas=(h["b1"], h["b2"]), eps=h["eps"], weight_decay=h["wd"])),
    "adamax": ("Adamax", lambda h: dict(lr=h["lr"], betas=(h["b1"], h["b2"]), eps=h["eps"], weight_decay=h["wd"])),
    "adadelta": ("Adadelta", lambda h: dict(lr=h["lr"], rho=h["rho"], eps=h["eps"], weight_decay=h["wd"])),
    "adafactor": (
        "Adafactor",
        lambda h: dict(lr=h["lr"], beta2_decay=h["b2_decay"], eps=(h["eps1"], h["eps2"]), d=h["d"], weight_decay=h["wd"]),
    ),
    "rprop": ("Rprop", lambda h: dict(lr=h["lr"], etas=(h["eta_minus"], h["eta_plus"]), step_sizes=(h["step_min"], h["step_max"]))),
    "asgd": ("ASGD", lambda h: dict(lr=h["lr"], lambd=h["lambd"], alpha=h["alpha"], t0=h["t0"], weight_decay=h["wd"])),
    "muon": (
        "Muon",
        lambda h: dict(lr=h["lr"], weight_decay=h["wd"], momentum=h["mu"], nesterov=True, ns_coefficients=(h["a"], h["b"], h["c"]), eps=h["eps"], ns_steps=int(h["ns_steps"])),
    ),
}


_CLIPS = {"clip-norm": "clip_grad_norm_", "clip-value": "clip_grad_value_"}


def described(drill: Drill, dtypes: tuple[str, ...], device: str) -> str:
    """What the check compares, in words."""
    mine = f"your rule run through torch ({', '.join(dtypes)}, {device})"
    if drill.kind == "clip":
        return f"torch.nn.utils.{_CLIPS[drill.reference]} vs {mine}"
    if drill.kind == "schedule":
        return f"{get_schedule(drill.reference).torch_twin} vs {mine}"
    if drill.reference in _OPTIMIZERS:
        name, _ = _OPTIMIZERS[drill.reference]
        extra = "(amsgrad=True)" if drill.reference == "amsgrad" else "(nesterov=True)" if drill.reference == "nesterov" else ""
        extra += " (its Newton–Schulz in bfloat16, as torch runs it)" if drill.reference in BFLOAT16_INSIDE else ""
        return f"torch.optim.{name}{extra} vs {mine}"
    if drill.reference in _MECHANICS:
        return f"{_MECHANICS[drill.reference][0]} vs {mine}"
    return f"gdgrill's reference {drill.reference} (torch.optim has none) run in torch vs {mine}"


def dtypes_for(drill: Drill) -> tuple[str, ...]:
    return ("float32", "bfloat16") if drill.reference in EPS_SENSITIVE else ("float32",)


def torch_trajectory(drill: Drill, problem: Any, torch: Any, dtype: Any, device: str) -> np.ndarray:
    """What torch itself produces on one instance after each step, as float64 numpy."""
    from gdgrill.drill.references import get_reference

    hp = dict(problem.instance.hp)
    out: list[Any] = []
    if drill.kind == "schedule":
        return np.asarray(get_schedule(drill.reference).torch_lrs(torch, hp, problem.steps, device), dtype=np.float64)
    grads = [torch.as_tensor(g, dtype=dtype, device=device) for g in problem.grads]
    if drill.kind == "clip":
        for g in grads:
            param = torch.zeros_like(g, requires_grad=True)
            param.grad = g.clone()
            if drill.reference == "clip-value":
                torch.nn.utils.clip_grad_value_([param], hp["clip_value"])
            else:
                torch.nn.utils.clip_grad_norm_([param], hp["max_norm"])
            out.append(param.grad.detach().to(torch.float64).cpu().numpy())
        return np.stack(out)
    ref = get_reference(drill.reference)
    merged = {**ref.defaults, **hp}
    if drill.reference in _OPTIMIZERS:
        name, kwargs = _OPTIMIZERS[drill.reference]
        param = torch.tensor(problem.p0, dtype=dtype, device=device, requires_grad=True)
        opt = getattr(torch.optim, name)([param], **kwargs(merged))
        for g in grads:
            param.grad = g
            opt.step()
            # θ, or the state the drill checks (ASGD's average: torch's state["ax"])
            value = param if drill.target == "p" else opt.state[param][drill.target]
            out.append(value.detach().to(torch.float64).cpu().numpy().copy())
        return np.stack(out)
    if drill.reference in _MECHANICS:
        return np.stack(_MECHANICS[drill.reference][1](problem, merged, torch, dtype, device))
    p = torch.as_tensor(problem.p0, dtype=dtype, device=device)  # no torch.optim twin (Lion)
    state = ref.init(p, torch)
    for g in grads:
        p, state = ref.step(p, g, state, merged, torch)
        value = p if drill.target == "p" else state[drill.target]
        out.append(value.detach().to(torch.float64).cpu().numpy().copy())
    return np.stack(out)


# -- Training mechanics: torch's own machinery around torch.optim.SGD -------------------------------


def _numpy(x: Any, torch: Any) -> np.ndarray:
    return x.detach().to(torch.float64).cpu().numpy().reshape(-1).copy()


def _weight_ema(problem: Any, hp: dict[str, float], torch: Any, dtype: Any, device: str) -> list[np.ndarray]:
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

    shape = problem.p0.shape
    model = torch.nn.Linear(int(np.prod(shape)), 1, bias=False).to(device=device, dtype=dtype)
    with torch.no_grad():
        model.weight.copy_(torch.as_tensor(problem.p0, dtype=dtype, device=device).reshape(1, -1))
    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(hp["decay"]))
    opt = torch.optim.SGD(model.parameters(), lr=hp["lr"])
    out = []
    for g in problem.grads:
        model.weight.grad = torch.as_tensor(g, dtype=dtype, device=device).reshape(1, -1)
        opt.step()
        ema.update_parameters(model)
        out.append(_numpy(ema.module.weight, torch).reshape(shape))
    return out


def _grad_accumulation(problem: Any, hp: dict[str, float], torch: Any, dtype: Any, device: str) -> list[np.ndarray]:
    k = int(hp["k"])
    param = torch.tensor(problem.p0, dtype=dtype, device=device, requires_grad=True)
    opt = torch.optim.SGD([param], lr=hp["lr"])
    out = []
    for i, g in enumerate(problem.grads):
        # a micro-batch loss whose gradient is g, divided by k and backpropagated into .grad
        ((torch.as_tensor(g, dtype=dtype, device=device) * param).sum() / k).backward()
        if (i + 1) % k == 0:
            opt.step()
            opt.zero_grad()
        out.append(_numpy(param, torch).reshape(problem.p0.shape))
    return out


def _loss_scaling(problem: Any, hp: dict[str, float], torch: Any, dtype: Any, device: str) -> list[np.ndarray]:
    param = torch.tensor(problem.p0, dtype=dtype, device=device, requires_grad=True)
    opt = torch.optim.SGD([param], lr=hp["lr"])
    scaler = torch.amp.GradScaler(
        device, init_scale=hp["s0"], growth_factor=hp["growth"], backoff_factor=hp["backoff"], growth_interval=int(hp["interval"])
    )
    out = []
    for g in problem.grads:
        scaler.scale(torch.zeros((), dtype=dtype, device=device))  # the scale is made here, lazily
        param.grad = torch.as_tensor(g, dtype=dtype, device=device)  # backward of the scaled loss
        scaler.step(opt)
        scaler.update()
        out.append(_numpy(param, torch).reshape(problem.p0.shape))
    return out


# reference -> (what runs, in words; the run: (problem, hp, torch, dtype, device) -> θ or ema per step)
_MECHANICS: dict[str, tuple[str, Callable[..., list[np.ndarray]]]] = {
    "weight-ema": ("torch.optim.swa_utils.AveragedModel(get_ema_multi_avg_fn) over torch.optim.SGD", _weight_ema),
    "grad-accumulation": ("autograd accumulating loss/k into .grad, torch.optim.SGD every k", _grad_accumulation),
    "loss-scaling": ("torch.amp.GradScaler driving torch.optim.SGD", _loss_scaling),
}


def cross_check(drill: Drill, rule: Rule, device: str) -> TorchCheck:
    """Run torch's own optimizer and the user's rule through torch on ``device``; compare."""
    try:
        import torch
    except ImportError:
        return skipped(device, "torch is not installed; skipped")
    if device == "cuda" and not torch.cuda.is_available():
        return skipped(device, "CUDA is not available; skipped")
    from gdgrill.drill.judge import RefusedAnswer, problems, rule_trajectory
    from gdgrill.drill.language import torch_backend

    names = dtypes_for(drill)
    checks = []
    for name in names:
        dtype = getattr(torch, name)
        backend = torch_backend(dtype, device)

        def convert(x: Any, dtype: Any = dtype) -> Any:
            return torch.as_tensor(x, dtype=dtype, device=device)

        worst, scale = 0.0, 0.0
        agrees = True
        try:
            for pr in problems(drill):
                theirs = torch_trajectory(drill, pr, torch, dtype, device)
                # hyper-parameters stay Python floats, as torch.optim keeps them; a schedule is
                # all numbers, so there t is a tensor and the rule runs in dtype on the device
                mine = rule_trajectory(drill, rule, pr, backend, convert, None if drill.kind == "schedule" else float)
                finite = np.isfinite(theirs)
                scale = max(scale, float(np.max(np.abs(theirs[finite]))) if finite.any() else 0.0)
                both = finite & np.isfinite(mine)
                if both.any():
                    worst = max(worst, float(np.max(np.abs(mine[both] - theirs[both]))))
                agrees &= bool(np.array_equal(np.isfinite(mine), finite))
        except RefusedAnswer as exc:
            return TorchCheck(device, described(drill, names, device), tuple(checks), f"torch could not run your rule in {name}: {exc.reason}", False)
        tolerance = TOLERANCE["bfloat16" if drill.reference in BFLOAT16_INSIDE else name] * max(scale, 1e-30)
        checks.append(DtypeCheck(name, agrees and worst <= tolerance, worst, tolerance))
    return TorchCheck(device, described(drill, names, device), tuple(checks), "", all(c.agrees for c in checks))
