"""The reference optimizers agree with torch.optim (and Lion with its published algorithm)."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from gdgrill.drill.references import (  # noqa: E402
    REFERENCES,
    clip_by_global_norm,
    get_reference,
    warmup_cosine,
)

STEPS = 60
CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA (no GPU on this machine)")

# our name, torch class, how our hyper-parameters map to torch's keyword arguments
TORCH_TWINS = {
    "sgd": (torch.optim.SGD, lambda h: dict(lr=h["lr"], weight_decay=h["wd"])),
    "momentum": (
        torch.optim.SGD,
        lambda h: dict(lr=h["lr"], momentum=h["mu"], dampening=h["dampening"], weight_decay=h["wd"]),
    ),
    "nesterov": (
        torch.optim.SGD,
        lambda h: dict(lr=h["lr"], momentum=h["mu"], nesterov=True, weight_decay=h["wd"]),
    ),
    "rmsprop": (
        torch.optim.RMSprop,
        lambda h: dict(lr=h["lr"], alpha=h["rho"], eps=h["eps"], weight_decay=h["wd"]),
    ),
    "adagrad": (
        torch.optim.Adagrad,
        lambda h: dict(lr=h["lr"], eps=h["eps"], weight_decay=h["wd"], lr_decay=h["lr_decay"]),
    ),
    "adam": (
        torch.optim.Adam,
        lambda h: dict(lr=h["lr"], betas=(h["b1"], h["b2"]), eps=h["eps"], weight_decay=h["wd"]),
    ),
    "adamw": (
        torch.optim.AdamW,
        lambda h: dict(lr=h["lr"], betas=(h["b1"], h["b2"]), eps=h["eps"], weight_decay=h["wd"]),
    ),
    "amsgrad": (
        torch.optim.Adam,
        lambda h: dict(lr=h["lr"], betas=(h["b1"], h["b2"]), eps=h["eps"], weight_decay=h["wd"], amsgrad=True),
    ),
}


def random_hp(name: str, rng: np.random.Generator) -> dict[str, float]:
    """Hyper-parameters drawn around torch's defaults. Weight decay and dampening are never 0
    here (a draw of 0 would leave that term unchecked on every seed); the tests at exactly 0 are
    apart (below, and test_drill_weight_decay.py at torch's defaults)."""
    hp = dict(get_reference(name).defaults)
    hp["lr"] = float(10 ** rng.uniform(-3, -1))
    if "wd" in hp:
        hp["wd"] = float(10 ** rng.uniform(-3, -1))
    if name in ("momentum", "nesterov"):
        hp["mu"] = float(rng.uniform(0.5, 0.99))
    if name == "momentum":
        hp["dampening"] = float(rng.uniform(0.05, 0.5))  # never 0: torch's default, tested by name
    if "b1" in hp:
        hp["b1"] = float(rng.uniform(0.5, 0.95))
        hp["b2"] = float(rng.uniform(0.9, 0.9999))
    if "rho" in hp:
        hp["rho"] = float(rng.uniform(0.8, 0.999))
    if "eps" in hp:
        hp["eps"] = float(10 ** rng.uniform(-10, -3))
    if "lr_decay" in hp:
        hp["lr_decay"] = float(rng.choice([0.0, 0.01]))
    return hp


def trajectories(name: str, seed: int, dtype, device: str = "cpu", shape=(3, 4), wd: float | None = None):
    """(ours, torch's) parameter trajectories over STEPS steps on the same random gradients;
    ``wd`` replaces the drawn weight decay."""
    rng = np.random.default_rng(seed)
    hp = random_hp(name, rng)
    if wd is not None:
        hp["wd"] = wd
    p0 = rng.normal(size=shape)
    grads = rng.normal(size=(STEPS, *shape)) * 10 ** rng.uniform(-4, 1, size=(STEPS, 1, 1))
    grads[rng.integers(STEPS)] = 0.0  # an all-zero gradient somewhere

    ref = get_reference(name)
    p = torch.tensor(p0, dtype=dtype, device=device)
    state = ref.init(p, torch)
    ours = []
    for g in grads:
        p, state = ref.step(p, torch.tensor(g, dtype=dtype, device=device), state, hp, torch)
        ours.append(p)

    cls, kwargs = TORCH_TWINS[name]
    param = torch.tensor(p0, dtype=dtype, device=device, requires_grad=True)
    opt = cls([param], **kwargs(hp))
    theirs = []
    for g in grads:
        param.grad = torch.tensor(g, dtype=dtype, device=device)
        opt.step()
        theirs.append(param.detach().clone())
    return torch.stack(ours), torch.stack(theirs), hp


@pytest.mark.parametrize("name", list(TORCH_TWINS))
@pytest.mark.parametrize("seed", range(4))
def test_reference_matches_torch_optim_in_float64(name, seed):
    ours, theirs, hp = trajectories(name, seed, torch.float64)
    torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-14, msg=lambda m: f"{name} {hp}: {m}")


def test_the_draws_switch_no_term_off():
    """Weight decay and dampening drawn on every seed; Adagrad's lr_decay both 0 and not."""
    draws = {name: [random_hp(name, np.random.default_rng(seed)) for seed in range(4)] for name in TORCH_TWINS}
    assert all(hp["wd"] > 0 for hps in draws.values() for hp in hps)
    assert all(hp["dampening"] > 0 for hp in draws["momentum"])
    assert {hp["lr_decay"] > 0 for hp in draws["adagrad"]} == {True, False}


@pytest.mark.parametrize("name", list(TORCH_TWINS))
@pytest.mark.parametrize("seed", range(2))
def test_reference_matches_torch_optim_without_weight_decay(name, seed):
    ours, theirs, hp = trajectories(name, seed, torch.float64, wd=0.0)
    torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-14, msg=lambda m: f"{name} {hp}: {m}")


@pytest.mark.parametrize("name", list(TORCH_TWINS))
@pytest.mark.parametrize("seed", range(2))
def test_reference_matches_torch_optim_in_float32(name, seed):
    ours, theirs, _ = trajectories(name, seed, torch.float32)
    torch.testing.assert_close(ours, theirs)  # torch's own float32 tolerances


@CUDA
@pytest.mark.cuda
@pytest.mark.parametrize("name", list(TORCH_TWINS))
def test_reference_matches_torch_optim_on_cuda(name):
    ours, theirs, _ = trajectories(name, 0, torch.float32, device="cuda")
    torch.testing.assert_close(ours, theirs)


def lion_as_published(p, g, m, lr, b1, b2, wd):
    """Chen et al. 2023, Algorithm 2, line by line (numpy, float64)."""
    c = b1 * m + (1 - b1) * g
    p = p - lr * (np.sign(c) + wd * p)
    m = b2 * m + (1 - b2) * g
    return p, m


@pytest.mark.parametrize("seed", range(4))
def test_lion_matches_the_published_algorithm(seed):
    rng = np.random.default_rng(seed)
    lr, b1, b2, wd = 10 ** rng.uniform(-4, -2), rng.uniform(0.8, 0.95), rng.uniform(0.95, 0.999), rng.uniform(0, 0.1)
    p = rng.normal(size=(5, 2))
    m = np.zeros_like(p)
    ours, state = p.copy(), get_reference("lion").init(p, np)
    for _ in range(STEPS):
        g = rng.normal(size=p.shape)
        g[rng.random(p.shape) < 0.2] = 0.0
        p, m = lion_as_published(p, g, m, lr, b1, b2, wd)
        ours, state = get_reference("lion").step(ours, g, state, {"lr": lr, "b1": b1, "b2": b2, "wd": wd}, np)
        np.testing.assert_allclose(ours, p, rtol=1e-12, atol=1e-15)
    assert state["t"] == STEPS


def test_lion_moves_every_coordinate_by_exactly_lr_without_decay():
    p0 = np.array([1.0, -2.0, 3.0])
    p, _ = get_reference("lion").step(p0, np.array([0.3, -1e-9, 5.0]), get_reference("lion").init(p0, np), {"lr": 0.01}, np)
    np.testing.assert_allclose(np.abs(p - p0), 0.01)


@pytest.mark.parametrize("seed", range(6))
def test_clip_by_global_norm_matches_torch(seed):
    rng = np.random.default_rng(seed)
    grads = [rng.normal(size=(3, 4)) * 10 ** rng.uniform(-3, 2), rng.normal(size=(5,))]
    max_norm = float(10 ** rng.uniform(-1, 1))
    tensors = [torch.tensor(g, requires_grad=True) for g in grads]
    for tensor, g in zip(tensors, grads):
        tensor.grad = torch.tensor(g)
    torch.nn.utils.clip_grad_norm_(tensors, max_norm)
    ours = clip_by_global_norm(grads, max_norm, np)
    for mine, tensor in zip(ours, tensors):
        np.testing.assert_allclose(mine, tensor.grad.numpy(), rtol=1e-12)
    # and on torch tensors, one array at a time
    single = clip_by_global_norm(torch.tensor(grads[0]), max_norm, torch)
    ref = torch.tensor(grads[0], requires_grad=True)
    ref.grad = torch.tensor(grads[0])
    torch.nn.utils.clip_grad_norm_([ref], max_norm)
    torch.testing.assert_close(single, ref.grad, rtol=1e-12, atol=0)


def test_clipping_leaves_a_small_gradient_alone():
    g = np.array([0.1, -0.2])
    np.testing.assert_array_equal(clip_by_global_norm(g, 1.0, np), g)
    np.testing.assert_array_equal(clip_by_global_norm(np.zeros(3), 1.0, np), np.zeros(3))


@pytest.mark.parametrize("warmup,total", [(5, 30), (1, 10), (10, 11), (3, 50)])
def test_warmup_cosine_matches_torch_sequential_lr(warmup, total):
    lr_max, lr_min = 0.1, 0.004
    hp = {"warmup": warmup, "total": total, "lr_max": lr_max, "lr_min": lr_min}
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=lr_max)
    linear = torch.optim.lr_scheduler.LinearLR(opt, start_factor=1 / warmup, end_factor=1.0, total_iters=max(warmup - 1, 1))
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total - warmup, eta_min=lr_min)
    sched = torch.optim.lr_scheduler.SequentialLR(opt, [linear, cosine], milestones=[warmup - 1]) if warmup > 1 else cosine
    for t in range(1, total + 1):
        assert math.isclose(warmup_cosine(t, hp), opt.param_groups[0]["lr"], rel_tol=1e-9), t
        opt.step()
        sched.step()


def test_warmup_cosine_closed_form_landmarks():
    hp = {"warmup": 4, "total": 24, "lr_max": 1.0, "lr_min": 0.1}
    assert warmup_cosine(1, hp) == pytest.approx(0.25)
    assert warmup_cosine(4, hp) == pytest.approx(1.0)
    assert warmup_cosine(14, hp) == pytest.approx(0.55)  # half-way down the cosine
    assert warmup_cosine(24, hp) == pytest.approx(0.1)
    assert warmup_cosine(1000, hp) == pytest.approx(0.1)


@pytest.mark.parametrize("name", list(REFERENCES))
def test_every_reference_is_pure_and_works_on_a_2d_point(name):
    ref = get_reference(name)
    p = np.array([1.5, -0.5])
    state = ref.init(p, np)
    snapshot = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in state.items()}
    new_p, new_state = ref.step(p, np.array([0.3, -0.2]), state, {}, np)
    assert new_p.shape == (2,) and not np.array_equal(new_p, p)
    assert new_state["t"] == 1
    np.testing.assert_array_equal(p, [1.5, -0.5])
    for key, value in snapshot.items():
        np.testing.assert_array_equal(state[key], value)


def test_unknown_reference_names_the_known_ones():
    with pytest.raises(KeyError, match="adam"):
        get_reference("sophia")
