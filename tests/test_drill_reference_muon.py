"""The reference Muon agrees with torch.optim.Muon: exactly when torch's Newton–Schulz runs in
the parameters' precision, and within bfloat16's error as torch ships it."""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from gdgrill.drill.references import MUON_DEFAULTS, Optimizer, _muon_step, get_reference  # noqa: E402

STEPS = 24
SHAPES = {"tall": (6, 3), "wide": (3, 7), "square": (5, 5), "very tall": (16, 4)}


@pytest.fixture
def ns_in_full_precision(monkeypatch):
    """torch.optim.Muon casts the matrix to bfloat16 before Newton–Schulz (``grad.bfloat16()``);
    with that cast a copy in the same dtype, torch runs its own algorithm in float64/float32."""
    monkeypatch.setattr(torch.Tensor, "bfloat16", lambda self: self.clone())


def problem(shape, seed):
    rng = np.random.default_rng(seed)
    hp = {**MUON_DEFAULTS, "lr": float(10 ** rng.uniform(-3, -1)), "mu": float(rng.uniform(0.8, 0.99))}
    p0 = rng.normal(size=shape)
    grads = rng.normal(size=(STEPS, *shape)) * 10 ** rng.uniform(-3, 1, size=(STEPS, 1, 1))
    grads[0] = 0.0  # a first step with nothing to orthogonalise: the eps guard, not 0/0
    grads[rng.integers(1, STEPS)] = 0.0
    return hp, p0, grads


def ours(hp, p0, grads, dtype, nesterov=True):
    ref = Optimizer("muon", dict(MUON_DEFAULTS), ("buf",), partial(_muon_step, nesterov=False)) if not nesterov else get_reference("muon")
    p = torch.tensor(p0, dtype=dtype)
    state = ref.init(p, torch)
    out = []
    for g in grads:
        p, state = ref.step(p, torch.tensor(g, dtype=dtype), state, hp, torch)
        out.append(p)
    return torch.stack(out)


def theirs(hp, p0, grads, dtype, nesterov=True):
    param = torch.tensor(p0, dtype=dtype, requires_grad=True)
    opt = torch.optim.Muon(
        [param], lr=hp["lr"], weight_decay=hp["wd"], momentum=hp["mu"], nesterov=nesterov,
        ns_coefficients=(hp["a"], hp["b"], hp["c"]), eps=hp["eps"], ns_steps=int(hp["ns_steps"]),
    )  # fmt: skip
    out = []
    for g in grads:
        param.grad = torch.tensor(g, dtype=dtype)
        opt.step()
        out.append(param.detach().clone())
    return torch.stack(out)


def orthogonalised(trajectory, p0, hp):
    """The Newton–Schulz output of every step, read back from the parameters:
    θ_k = θ_{k−1}·(1 − η·λ) − η'·O_k, with η' the shape-adjusted learning rate."""
    rows, cols = trajectory.shape[1:]
    adjusted = hp["lr"] * math.sqrt(max(1, rows / cols))
    before = torch.cat([torch.as_tensor(p0, dtype=trajectory.dtype)[None], trajectory[:-1]])
    return (before * (1 - hp["lr"] * hp["wd"]) - trajectory) / adjusted


CASES = [pytest.param(shape, wd, seed, id=f"{name}-wd{wd}-seed{seed}") for name, shape in SHAPES.items() for wd in (0.0, 0.1) for seed in range(2)]


@pytest.mark.parametrize(("shape", "wd", "seed"), CASES)
def test_muon_matches_torch_in_float64_with_newton_schulz_in_float64(ns_in_full_precision, shape, wd, seed):
    hp, p0, grads = problem(shape, seed)
    hp["wd"] = wd
    torch.testing.assert_close(ours(hp, p0, grads, torch.float64), theirs(hp, p0, grads, torch.float64), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(("shape", "wd", "seed"), CASES[::2])
def test_muon_matches_torch_in_float32_with_newton_schulz_in_float32(ns_in_full_precision, shape, wd, seed):
    hp, p0, grads = problem(shape, seed)
    hp["wd"] = wd
    torch.testing.assert_close(ours(hp, p0, grads, torch.float32), theirs(hp, p0, grads, torch.float32))  # torch's float32 tolerances


@pytest.mark.parametrize("shape", list(SHAPES.values()))
def test_muon_without_nesterov_matches_torch(ns_in_full_precision, shape):
    hp, p0, grads = problem(shape, 5)
    torch.testing.assert_close(ours(hp, p0, grads, torch.float64, nesterov=False), theirs(hp, p0, grads, torch.float64, nesterov=False), rtol=1e-12, atol=1e-14)


def test_the_newton_schulz_coefficients_and_steps_are_the_ones_given(ns_in_full_precision):
    hp, p0, grads = problem((6, 3), 7)
    hp.update(a=1.5, b=-0.5, c=0.0, ns_steps=3)  # the classic cubic iteration
    torch.testing.assert_close(ours(hp, p0, grads, torch.float64), theirs(hp, p0, grads, torch.float64), rtol=1e-12, atol=1e-14)


# Torch as shipped runs Newton–Schulz in bfloat16 (8 significant bits, unit roundoff 2⁻⁸):
# it rounds the input and, in each of the 5 iterations, X·Xᵀ and the polynomial, and the
# quintic multiplies a small singular value by up to a ≈ 3.4 per iteration (a⁵ ≈ 480), so
# rounding in the weakest directions grows. The buffer and the decay are in the parameters'
# dtype and the gradients do not depend on θ, so nothing else drifts: we compare the
# orthogonalised update O step by step, relative to its size (‖ΔO‖_F / ‖O‖_F ≤ 0.1; 0.068 at
# worst over 36 seeded rectangular cases). Square matrices are left to the full-precision
# tests above: a random square update has a singular value near 0, where the bfloat16 rounding
# of the input alone (≈ 2⁻⁹·σ_max) swamps it and torch's own output there is mostly rounding.
BF16_ALLOWANCE = 0.1
RECTANGULAR = [pytest.param(shape, wd, seed, id=f"{name}-wd{wd}-seed{seed}") for name, shape in SHAPES.items() if shape[0] != shape[1] for wd in (0.0, 0.1) for seed in range(2)]


def relative_gap(mine, other, p0, hp) -> float:
    """The worst step's ‖O_mine − O_other‖_F / ‖O_mine‖_F."""
    o_mine, o_other = orthogonalised(mine, p0, hp).flatten(1), orthogonalised(other, p0, hp).flatten(1)
    size = o_mine.norm(dim=1)
    moved = size > 0  # the first step orthogonalises a zero gradient: O = 0 in both
    return ((o_mine - o_other).norm(dim=1)[moved] / size[moved]).max().item()


@pytest.mark.parametrize(("shape", "wd", "seed"), RECTANGULAR)
def test_muon_matches_torch_as_shipped_within_bfloat16_error(shape, wd, seed):
    hp, p0, grads = problem(shape, seed)
    hp["wd"] = wd
    assert relative_gap(ours(hp, p0, grads, torch.float64), theirs(hp, p0, grads, torch.float64), p0, hp) <= BF16_ALLOWANCE


@pytest.mark.parametrize(("shape", "wd", "seed"), RECTANGULAR[::2])
def test_the_bfloat16_allowance_still_tells_nesterov_from_plain_momentum(shape, wd, seed):
    hp, p0, grads = problem(shape, seed)
    hp["wd"] = wd
    assert relative_gap(ours(hp, p0, grads, torch.float64, nesterov=False), theirs(hp, p0, grads, torch.float64), p0, hp) > 3 * BF16_ALLOWANCE


def test_a_vector_is_read_as_a_column_matrix(ns_in_full_precision):
    hp, p0, grads = problem((5, 1), 11)
    column = theirs(hp, p0, grads, torch.float64)  # torch.optim.Muon takes 2-D parameters only
    vector = ours(hp, p0[:, 0], grads[:, :, 0], torch.float64)
    torch.testing.assert_close(vector, column[:, :, 0], rtol=1e-12, atol=1e-14)


def test_muon_runs_on_numpy_as_on_torch():
    hp, p0, grads = problem((6, 3), 2)
    ref = get_reference("muon")
    p, state = p0, ref.init(p0, np)
    for g in grads:
        p, state = ref.step(p, g, state, hp, np)
    np.testing.assert_allclose(p, ours(hp, p0, grads, torch.float64)[-1].numpy(), rtol=1e-12, atol=1e-14)
    assert state["t"] == STEPS


def test_the_defaults_are_torchs():
    defaults = torch.optim.Muon([torch.zeros(2, 2, requires_grad=True)]).defaults
    assert MUON_DEFAULTS["lr"] == defaults["lr"] and MUON_DEFAULTS["wd"] == defaults["weight_decay"]
    assert MUON_DEFAULTS["mu"] == defaults["momentum"] and MUON_DEFAULTS["eps"] == defaults["eps"]
    assert (MUON_DEFAULTS["a"], MUON_DEFAULTS["b"], MUON_DEFAULTS["c"]) == defaults["ns_coefficients"]
    assert MUON_DEFAULTS["ns_steps"] == defaults["ns_steps"] and defaults["nesterov"] is True and defaults["adjust_lr_fn"] is None
