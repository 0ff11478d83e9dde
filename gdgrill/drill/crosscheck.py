"""The cross-check after a pass: the real ``torch.optim`` on the chosen device against the
user's rule run through torch on the same device.

For every instance of the drill, the optimizer torch ships (``torch.optim.SGD``, ``RMSprop``,
``Adagrad``, ``Adam``, ``AdamW``, ``Adam(amsgrad=True)``; ``torch.nn.utils.clip_grad_norm_``;
``torch.optim.lr_scheduler.SequentialLR`` of ``LinearLR`` and ``CosineAnnealingLR``) is run on
the instance's parameters and gradients, and the user's rule is run through the language's
torch backend, both in float32 — and in bfloat16 too for the drills where ε and the low
precision interact (the adaptive methods: RMSprop, Adagrad, the Adam family). The worst
absolute difference over every step and element is compared with a tolerance relative to the
largest value the optimizer produced (bfloat16's tolerance for ``torch.optim.Muon``, which runs
its Newton–Schulz in bfloat16 whatever the dtype). torch has no Lion: that drill is checked against
gdgrill's reference Lion (Chen et al. 2023) run in torch on the device, and says so.

Informational: it never changes the verdict, which is decided in float64 by the judge. torch is
imported here only, and only when the check runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from gdgrill.drill.catalog import Drill
from gdgrill.drill.language import Rule
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
    "muon": (
        "Muon",
        lambda h: dict(lr=h["lr"], weight_decay=h["wd"], momentum=h["mu"], nesterov=True, ns_coefficients=(h["a"], h["b"], h["c"]), eps=h["eps"], ns_steps=int(h["ns_steps"])),
    ),
}


def described(drill: Drill, dtypes: tuple[str, ...], device: str) -> str:
    """What the check compares, in words."""
    mine = f"your rule run through torch ({', '.join(dtypes)}, {device})"
    if drill.kind == "clip":
        return f"torch.nn.utils.clip_grad_norm_ vs {mine}"
    if drill.kind == "schedule":
        return f"torch.optim.lr_scheduler.SequentialLR(LinearLR, CosineAnnealingLR) vs {mine}"
    if drill.reference in _OPTIMIZERS:
        name, _ = _OPTIMIZERS[drill.reference]
        extra = "(amsgrad=True)" if drill.reference == "amsgrad" else "(nesterov=True)" if drill.reference == "nesterov" else ""
        extra += " (its Newton–Schulz in bfloat16, as torch runs it)" if drill.reference in BFLOAT16_INSIDE else ""
        return f"torch.optim.{name}{extra} vs {mine}"
    return f"gdgrill's reference {drill.reference} (torch.optim has none) run in torch vs {mine}"


def dtypes_for(drill: Drill) -> tuple[str, ...]:
    return ("float32", "bfloat16") if drill.reference in EPS_SENSITIVE else ("float32",)


def torch_trajectory(drill: Drill, problem: Any, torch: Any, dtype: Any, device: str) -> np.ndarray:
    """What torch itself produces on one instance after each step, as float64 numpy."""
    from gdgrill.drill.references import get_reference

    hp = dict(problem.instance.hp)
    out: list[Any] = []
    if drill.kind == "schedule":
        warmup, total = int(hp["warmup"]), int(hp["total"])
        param = torch.nn.Parameter(torch.zeros(1, device=device))
        opt = torch.optim.SGD([param], lr=hp["lr_max"])
        linear = torch.optim.lr_scheduler.LinearLR(opt, start_factor=1 / warmup, end_factor=1.0, total_iters=max(warmup - 1, 1))
        cosine = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total - warmup, eta_min=hp["lr_min"])
        sched = torch.optim.lr_scheduler.SequentialLR(opt, [linear, cosine], milestones=[warmup - 1]) if warmup > 1 else cosine
        for _ in range(problem.steps):
            out.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        return np.asarray(out, dtype=np.float64)
    grads = [torch.as_tensor(g, dtype=dtype, device=device) for g in problem.grads]
    if drill.kind == "clip":
        for g in grads:
            param = torch.zeros_like(g, requires_grad=True)
            param.grad = g.clone()
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
            out.append(param.detach().to(torch.float64).cpu().numpy().copy())
        return np.stack(out)
    p = torch.as_tensor(problem.p0, dtype=dtype, device=device)  # no torch.optim twin (Lion)
    state = ref.init(p, torch)
    for g in grads:
        p, state = ref.step(p, g, state, merged, torch)
        out.append(p.detach().to(torch.float64).cpu().numpy().copy())
    return np.stack(out)


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
