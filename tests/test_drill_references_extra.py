"""The papers' optimizers and the training mechanics agree with the real implementations:
pytorch-optimizer where it implements the paper's algorithm (with the options that make it
so), torch itself for the mechanics (AveragedModel, autograd accumulation, GradScaler,
clip_grad_value_), and the papers' equations written out where no library matches them.
All in float64 over at least 20 steps."""

from __future__ import annotations

import functools

import importlib.util

import numpy as np
import pytest

torch = pytest.importorskip("torch")


class _PytorchOptimizer:
    """The papers' optimizers as pytorch-optimizer (the test extra) implements them, imported
    when a test first uses one (the import takes ~1.4 s; collecting need not pay it)."""

    def __getattr__(self, name: str):
        import pytorch_optimizer

        return getattr(pytorch_optimizer, name)


po = _PytorchOptimizer()
NEEDS_PO = pytest.mark.skipif(importlib.util.find_spec("pytorch_optimizer") is None,
                              reason="needs pytorch-optimizer (pip install '.[test]')")

from gdgrill.drill.references import Optimizer, get_reference  # noqa: E402
from gdgrill.drill.references_extra import (  # noqa: E402
    _lamb_step,
    clip_grad_value,
    found_inf,
    get_clip,
    schedule_free_x,
)

STEPS = 25
RTOL = 1e-9


def problem(seed: int, shape=(4, 3), steps: int = STEPS):
    rng = np.random.default_rng(seed)
    return rng.normal(size=shape), rng.normal(size=(steps, *shape))


CHECKED = {"weight-ema": "ema"}  # what the drill compares when it is not θ (its target)


def reported(ref: Optimizer, p, state):
    return state[CHECKED[ref.name]] if ref.name in CHECKED else p


def ours(ref: Optimizer, hp, p0, grads):
    """The value the drill checks after every step (θ, or its target), and the final state."""
    p, state, out = p0.copy(), ref.init(p0, np), []
    for g in grads:
        p, state = ref.step(p, g, state, hp, np)
        out.append(reported(ref, p, state))
    return np.stack(out), state


def torch_params(make_optimizer, p0, grads):
    """θ after every step of a torch-style optimizer fed the same gradients."""
    param = torch.nn.Parameter(torch.tensor(p0, dtype=torch.float64))
    opt = make_optimizer([param])
    out = []
    for g in grads:
        param.grad = torch.tensor(g)
        opt.step()
        out.append(param.detach().numpy().copy())
    return np.stack(out)


def close(a, b, rtol=RTOL):
    np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-13)


# -- LAMB ----------------------------------------------------------------------------------------


@NEEDS_PO
@pytest.mark.parametrize("seed", range(3))
def test_lamb_without_bias_correction_is_pytorch_optimizers_lamb_with_l2_in_the_update(seed):
    # pytorch-optimizer's Lamb follows arXiv v3 (no bias correction of m̂, v̂); adam_debias=True
    # drops its extra lr/(1−β₁ᵗ), weight_decouple=False puts λθ in the update as the paper
    # does. Its ‖u‖ + ε differs from the paper's ‖u‖ by ε: tiny here.
    p0, grads = problem(seed)
    hp = {"lr": 0.05, "b1": 0.9, "b2": 0.99, "eps": 1e-12, "wd": 0.1 * seed}
    v3 = Optimizer("lamb-v3", dict(hp), ("m", "v"), functools.partial(_lamb_step, bias_correction=False))
    theirs = torch_params(
        lambda ps: po.Lamb(ps, lr=hp["lr"], betas=(hp["b1"], hp["b2"]), eps=hp["eps"], weight_decay=hp["wd"], weight_decouple=False, adam_debias=True),
        p0,
        grads,
    )
    close(ours(v3, hp, p0, grads)[0], theirs, rtol=1e-8)


@pytest.mark.parametrize("seed", range(3))
def test_lamb_steps_along_torchs_adam_direction_by_lr_times_the_weight_norm(seed):
    # the paper's LAMB (bias-corrected): with λ = 0 the update u is torch.optim.Adam's step
    # direction m̂/(√v̂ + ε), which depends on the gradients only; LAMB moves θ by η·‖θ‖ along it
    p0, grads = problem(seed, shape=(6,))
    hp = {"lr": 0.05, "b1": 0.8, "b2": 0.99, "eps": 1e-8, "wd": 0.0}
    adam_param = torch.nn.Parameter(torch.zeros(6, dtype=torch.float64))
    adam = torch.optim.Adam([adam_param], lr=1.0, betas=(hp["b1"], hp["b2"]), eps=hp["eps"])
    p, expected = p0.copy(), []
    for g in grads:
        before = adam_param.detach().clone()
        adam_param.grad = torch.tensor(g)
        adam.step()
        u = (before - adam_param.detach()).numpy()
        p = p - hp["lr"] * np.linalg.norm(p) / np.linalg.norm(u) * u
        expected.append(p)
    close(ours(get_reference("lamb"), hp, p0, grads)[0], np.stack(expected))


def test_lamb_with_decay_follows_the_papers_algorithm_2():
    p0, grads = problem(7, shape=(3, 3))
    lr, b1, b2, eps, wd = 0.02, 0.9, 0.999, 1e-6, 0.05
    x, m, v, expected = p0.copy(), 0.0, 0.0, []
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        r = (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        x = x - lr * np.linalg.norm(x) / np.linalg.norm(r + wd * x) * (r + wd * x)
        expected.append(x)
    close(ours(get_reference("lamb"), {"lr": lr, "b1": b1, "b2": b2, "eps": eps, "wd": wd}, p0, grads)[0], np.stack(expected))


def test_lamb_moves_a_zero_initialised_layer_at_full_lr_and_survives_a_zero_update():
    lamb = get_reference("lamb")
    g = np.array([0.5, -2.0, 1.0])
    p, _ = lamb.step(np.zeros(3), g, lamb.init(np.zeros(3), np), {"lr": 0.1, "wd": 0.0}, np)
    # ‖θ‖ = 0: the trust ratio is 1, so the first step is plain −η·m̂/(√v̂+ε) ≈ −η·sign(g)
    np.testing.assert_allclose(p, -0.1 * np.sign(g), rtol=1e-5)
    p0 = np.array([1.0, 2.0, -1.0])
    with np.errstate(all="raise"):  # ‖u‖ = 0 (zero gradient, no decay): no 0/0
        p, _ = lamb.step(p0, np.zeros(3), lamb.init(p0, np), {"lr": 0.1, "wd": 0.0}, np)
    np.testing.assert_array_equal(p, p0)


# -- LARS ----------------------------------------------------------------------------------------


@NEEDS_PO
@pytest.mark.parametrize("seed", range(3))
def test_lars_is_pytorch_optimizers_lars_on_a_weight_matrix(seed):
    # pytorch-optimizer scales tensors of two or more dimensions only (biases get plain SGD);
    # the paper scales every layer, as the reference does for θ of any shape
    p0, grads = problem(seed, shape=(4, 3))
    hp = {"lr": 0.5, "mu": 0.9, "wd": 0.01 * seed, "trust": 0.02}
    theirs = torch_params(lambda ps: po.LARS(ps, lr=hp["lr"], momentum=hp["mu"], weight_decay=hp["wd"], trust_coefficient=hp["trust"]), p0, grads)
    close(ours(get_reference("lars"), hp, p0, grads)[0], theirs)


def test_lars_local_lr_is_the_trust_coefficient_times_the_norm_ratio():
    p0, g = np.array([3.0, 4.0]), np.array([0.0, 2.0])  # ‖θ‖ = 5, ‖g‖ = 2
    lars = get_reference("lars")
    p, state = lars.step(p0, g, lars.init(p0, np), {"lr": 1.0, "mu": 0.9, "wd": 0.1, "trust": 0.01}, np)
    local = 0.01 * 5 / (2 + 0.1 * 5)
    np.testing.assert_allclose(state["buf"], local * (g + 0.1 * p0), rtol=1e-15)
    np.testing.assert_allclose(p, p0 - local * (g + 0.1 * p0), rtol=1e-15)


def test_lars_guards_use_a_local_lr_of_one():
    lars = get_reference("lars")
    hp = {"lr": 0.1, "mu": 0.0, "wd": 0.0, "trust": 0.001}
    g = np.array([1.0, -1.0])
    p, _ = lars.step(np.zeros(2), g, lars.init(np.zeros(2), np), hp, np)  # ‖θ‖ = 0
    np.testing.assert_array_equal(p, -0.1 * g)
    p0 = np.array([1.0, 2.0])
    with np.errstate(all="raise"):  # ‖g‖ + λ‖θ‖ = 0
        p, _ = lars.step(p0, np.zeros(2), lars.init(p0, np), hp, np)
    np.testing.assert_array_equal(p, p0)


# -- Lookahead -----------------------------------------------------------------------------------


@NEEDS_PO
@pytest.mark.parametrize("k, alpha", [(5, 0.5), (3, 0.8), (1, 0.3)])
def test_lookahead_is_pytorch_optimizers_lookahead_around_sgd(k, alpha):
    p0, grads = problem(k, shape=(5,))
    hp = {"lr": 0.1, "k": float(k), "alpha": alpha}
    theirs = torch_params(lambda ps: po.Lookahead(torch.optim.SGD(ps, lr=hp["lr"]), k=k, alpha=alpha), p0, grads)
    close(ours(get_reference("lookahead"), hp, p0, grads)[0], theirs)


def test_lookahead_pulls_the_fast_weights_back_every_k_steps():
    p0 = np.array([1.0, -1.0])
    grads = np.ones((4, 2))
    traj, _ = ours(get_reference("lookahead"), {"lr": 0.1, "k": 2.0, "alpha": 0.5}, p0, grads)
    # fast: 0.9, 0.8 → slow = 1 + 0.5·(0.8 − 1) = 0.9 = fast; then 0.8, 0.7 → 0.9 + 0.5·(0.7 − 0.9) = 0.8
    np.testing.assert_allclose(traj[:, 0], [0.9, 0.9, 0.8, 0.8], rtol=1e-14)


# -- Schedule-free AdamW -------------------------------------------------------------------------


def paper_schedule_free(p0, grads, lr, b1, b2, eps, wd, warmup):
    """Algorithm 1 of Defazio et al. 2024 as printed: the x, y, z sequences; returns y and x."""
    x = z = p0.copy()
    v, weights, ys, xs = 0.0, 0.0, [], []
    for t, g in enumerate(grads, start=1):
        y = (1 - b1) * z + b1 * x  # where g was taken
        v = b2 * v + (1 - b2) * g**2
        lr_t = lr * np.sqrt(1 - b2**t) * (min(1.0, t / warmup) if warmup else 1.0)
        z = z - lr_t * g / (np.sqrt(v) + eps) - lr_t * wd * y
        weights += lr_t**2
        c = lr_t**2 / weights
        x = (1 - c) * x + c * z
        ys.append((1 - b1) * z + b1 * x)  # the next y: the point the model holds after the step
        xs.append(x)
    return np.stack(ys), np.stack(xs)


@pytest.mark.parametrize("b2, wd, warmup", [(0.999, 0.0, 0), (0.99, 0.1, 5), (0.9, 0.01, 30)])
def test_schedule_free_adamw_follows_the_papers_x_y_z_sequences(b2, wd, warmup):
    p0, grads = problem(int(b2 * 100), shape=(6,))
    hp = {"lr": 0.05, "b1": 0.9, "b2": b2, "eps": 1e-8, "wd": wd, "warmup": float(warmup)}
    ys, states = [], []
    ref = get_reference("schedule-free-adamw")
    p, state = p0.copy(), ref.init(p0, np)
    for g in grads:
        p, state = ref.step(p, g, state, hp, np)
        ys.append(p)
        states.append(state)
    paper_y, paper_x = paper_schedule_free(p0, grads, 0.05, 0.9, b2, 1e-8, wd, warmup)
    close(np.stack(ys), paper_y)
    close(np.stack([schedule_free_x(y, s, hp) for y, s in zip(ys, states)]), paper_x, rtol=1e-8)


@NEEDS_PO
@pytest.mark.parametrize("wd, warmup", [(0.0, 0), (0.1, 5)])
def test_schedule_free_adamw_is_pytorch_optimizers_when_beta2_is_zero(wd, warmup):
    # pytorch-optimizer's ScheduleFreeAdamW differs from the paper in two places: it corrects
    # v (√(v/(1−β₂ᵗ)) + ε) instead of putting √(1−β₂ᵗ) into γ_t, so its averaging weights
    # c lack that factor. With β₂ = 0 neither correction exists and the two agree.
    p0, grads = problem(11, shape=(3, 2))
    hp = {"lr": 0.05, "b1": 0.9, "b2": 0.0, "eps": 1e-8, "wd": wd, "warmup": float(warmup)}
    param = torch.nn.Parameter(torch.tensor(p0))
    opt = po.ScheduleFreeAdamW([param], lr=hp["lr"], betas=(0.9, 0.0), eps=hp["eps"], weight_decay=wd, warmup_steps=warmup)
    opt.train()
    theirs_y = []
    for g in grads:
        param.grad = torch.tensor(g)
        opt.step()
        theirs_y.append(param.detach().numpy().copy())
    opt.eval()  # the model now holds x
    theirs_x = param.detach().numpy()
    ref = get_reference("schedule-free-adamw")
    p, state = p0.copy(), ref.init(p0, np)
    mine = []
    for g in grads:
        p, state = ref.step(p, g, state, hp, np)
        mine.append(p)
    close(np.stack(mine), np.stack(theirs_y), rtol=1e-8)
    close(schedule_free_x(p, state, hp), theirs_x, rtol=1e-8)


def test_schedule_free_first_step_is_minus_lr_times_the_sign_of_g():
    # c₂ = 1, so x₂ = z₂ and y₂ = z₂ = θ₀ − γ₁·g/√v₁ with γ₁ = γ·√(1−β₂) and √v₁ = √(1−β₂)·|g|
    ref = get_reference("schedule-free-adamw")
    p0, g = np.array([1.0, 1.0]), np.array([2.0, -0.5])
    p, state = ref.step(p0, g, ref.init(p0, np), {"lr": 0.1, "b2": 0.999, "eps": 0.0}, np)
    np.testing.assert_allclose(p, p0 - 0.1 * np.sign(g), rtol=1e-13)
    np.testing.assert_allclose(schedule_free_x(p, state, {"b1": 0.9}), p, rtol=1e-13)


# -- Weight EMA ----------------------------------------------------------------------------------


@pytest.mark.parametrize("decay", [0.9, 0.5, 0.999])
def test_weight_ema_is_averaged_model_with_the_ema_multi_avg_fn(decay):
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

    p0, grads = problem(3, shape=(5,))
    model = torch.nn.Linear(5, 1, bias=False).double()
    with torch.no_grad():
        model.weight.copy_(torch.tensor(p0).reshape(1, 5))
    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    theirs = []
    for g in grads:
        model.weight.grad = torch.tensor(g).reshape(1, 5)
        opt.step()
        ema.update_parameters(model)
        theirs.append(ema.module.weight.detach().numpy().reshape(5).copy())
    mine, _ = ours(get_reference("weight-ema"), {"lr": 0.1, "decay": decay}, p0, grads)
    close(mine, np.stack(theirs))
    # the first update copies the weights after the first step (not θ₀, not (1−decay)·θ)
    np.testing.assert_array_equal(mine[0], p0 - 0.1 * grads[0])


# -- Gradient accumulation -----------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 3, 4])
def test_grad_accumulation_is_autograd_summing_loss_over_k_into_grad(k):
    p0, grads = problem(k, shape=(5,), steps=24)
    w = torch.nn.Parameter(torch.tensor(p0))
    opt = torch.optim.SGD([w], lr=0.1)
    theirs = []
    for i, g in enumerate(grads):
        ((torch.tensor(g) * w).sum() / k).backward()  # a micro-batch loss whose gradient is g
        if (i + 1) % k == 0:
            opt.step()
            opt.zero_grad()
        theirs.append(w.detach().numpy().copy())
    close(ours(get_reference("grad-accumulation"), {"lr": 0.1, "k": float(k)}, p0, grads)[0], np.stack(theirs))


def test_grad_accumulation_steps_with_the_mean_micro_batch_gradient():
    p0, grads = problem(0, shape=(4,), steps=6)
    traj, _ = ours(get_reference("grad-accumulation"), {"lr": 0.5, "k": 3.0}, p0, grads)
    np.testing.assert_array_equal(traj[0], p0)
    np.testing.assert_array_equal(traj[1], p0)
    close(traj[2], p0 - 0.5 * grads[:3].mean(axis=0))
    close(traj[5], traj[2] - 0.5 * grads[3:].mean(axis=0))


# -- Dynamic loss scaling ------------------------------------------------------------------------


def overflowing(seed: int, steps: int = STEPS):
    p0, grads = problem(seed, shape=(5,), steps=steps)
    grads[2, 0], grads[3, 1], grads[8, 4], grads[15, 2] = np.inf, np.nan, -np.inf, np.inf
    return p0, grads


@pytest.mark.parametrize(
    "hp",
    [
        {"lr": 0.1, "s0": 8.0, "growth": 2.0, "backoff": 0.5, "interval": 2.0},
        {"lr": 0.05, "s0": 65536.0, "growth": 4.0, "backoff": 0.25, "interval": 3.0},
        {"lr": 0.1, "s0": 1024.0, "growth": 2.0, "backoff": 0.5, "interval": 1.0},
    ],
)
def test_loss_scaling_is_torch_grad_scaler_driving_sgd(hp):
    p0, grads = overflowing(int(hp["s0"]))
    w = torch.nn.Parameter(torch.tensor(p0))
    opt = torch.optim.SGD([w], lr=hp["lr"])
    scaler = torch.amp.GradScaler("cpu", init_scale=hp["s0"], growth_factor=hp["growth"], backoff_factor=hp["backoff"], growth_interval=int(hp["interval"]))
    theirs, their_scales = [], []
    for g in grads:
        scaler.scale(torch.zeros((), dtype=torch.float64))  # the scale is made lazily, here
        w.grad = torch.tensor(g)  # what backward of the scaled loss left in .grad
        scaler.step(opt)
        scaler.update()
        theirs.append(w.detach().numpy().copy())
        their_scales.append(scaler.get_scale())
    ref = get_reference("loss-scaling")
    p, state, mine, scales = p0.copy(), ref.init(p0, np), [], []
    for g in grads:
        p, state = ref.step(p, g, state, hp, np)
        mine.append(p)
        scales.append(state["scale"])
    close(np.stack(mine), np.stack(theirs))
    assert scales == their_scales


def test_loss_scaling_skips_an_overflowing_step_and_halves_the_scale():
    ref = get_reference("loss-scaling")
    hp = {"lr": 1.0, "s0": 4.0, "growth": 2.0, "backoff": 0.5, "interval": 2.0}
    p0 = np.array([1.0, 1.0])
    p1, s1 = ref.step(p0, np.array([4.0, 8.0]), ref.init(p0, np), hp, np)
    np.testing.assert_array_equal(p1, [0.0, -1.0])  # unscaled: g/4
    p2, s2 = ref.step(p1, np.array([np.inf, 1.0]), s1, hp, np)
    np.testing.assert_array_equal(p2, p1)
    assert (s2["scale"], s2["tracker"]) == (2.0, 0)
    _, s3 = ref.step(p2, np.array([1.0, 1.0]), s2, hp, np)
    _, s4 = ref.step(p2, np.array([1.0, 1.0]), s3, hp, np)
    assert (s3["scale"], s3["tracker"], s4["scale"], s4["tracker"]) == (2.0, 1, 4.0, 0)


def test_found_inf_sees_inf_and_nan_on_numpy_and_torch():
    for xp_array in (np.array, lambda v: torch.tensor(v, dtype=torch.float64)):
        assert not found_inf(xp_array([1.0, -2.0]))
        assert found_inf(xp_array([1.0, np.inf]))
        assert found_inf(xp_array([-np.inf, 0.0]))
        assert found_inf(xp_array([np.nan, 0.0]))


# -- Clip by value -------------------------------------------------------------------------------


def test_clip_by_value_is_clip_grad_value():
    rng = np.random.default_rng(5)
    for _ in range(STEPS):
        g = rng.normal(size=(3, 4)) * 3
        param = torch.zeros(3, 4, dtype=torch.float64, requires_grad=True)
        param.grad = torch.tensor(g)
        torch.nn.utils.clip_grad_value_([param], 1.5)
        np.testing.assert_array_equal(clip_grad_value(g, 1.5, np), param.grad.numpy())
        np.testing.assert_array_equal(get_clip("clip-value")(g, {"clip_value": 1.5}, np), param.grad.numpy())


def test_unknown_reference_names_are_still_a_key_error():
    with pytest.raises(KeyError, match="lamb"):  # the message lists the known ones
        get_reference("no-such-optimizer")
    with pytest.raises(KeyError) as unknown:
        get_clip("no-such-clip")
    assert unknown.value.args == ("no reference clipping 'no-such-clip' (known: clip-norm, clip-value)",)


def test_references_run_on_torch_tensors_as_on_numpy():
    """The cross-check runs the references in torch; they must give numpy's numbers."""
    p0, grads = overflowing(1, steps=20)
    hps = {
        "lamb": {"lr": 0.05, "wd": 0.01},
        "lars": {"lr": 0.5, "mu": 0.9, "wd": 0.01, "trust": 0.02},
        "schedule-free-adamw": {"lr": 0.05, "wd": 0.1, "warmup": 4.0},
        "lookahead": {"lr": 0.1, "k": 3.0, "alpha": 0.5},
        "weight-ema": {"lr": 0.1, "decay": 0.8},
        "grad-accumulation": {"lr": 0.1, "k": 3.0},
        "loss-scaling": {"lr": 0.1, "s0": 8.0, "growth": 2.0, "backoff": 0.5, "interval": 2.0},
    }
    for name, hp in hps.items():
        ref = get_reference(name)
        gs = grads if name == "loss-scaling" else np.nan_to_num(grads, nan=0.5, posinf=2.0, neginf=-2.0)
        expected, _ = ours(ref, hp, p0, gs)
        p = torch.tensor(p0)
        state = ref.init(p, torch)
        got = []
        for g in gs:
            p, state = ref.step(p, torch.tensor(g), state, hp, torch)
            got.append(reported(ref, p, state).numpy().copy())
        close(np.stack(got), expected, rtol=1e-12)


def test_loss_scaling_never_grows_the_float32_scale_to_inf_as_grad_scaler():
    hp = {"lr": 0.1, "s0": 2.0**126, "growth": 4.0, "backoff": 0.5, "interval": 1.0}
    p0, grads = problem(0, shape=(2,), steps=3)
    w = torch.nn.Parameter(torch.tensor(p0))
    opt = torch.optim.SGD([w], lr=hp["lr"])
    scaler = torch.amp.GradScaler("cpu", init_scale=hp["s0"], growth_factor=hp["growth"], growth_interval=1)
    ref = get_reference("loss-scaling")
    p, state = p0.copy(), ref.init(p0, np)
    for g in grads:
        scaler.scale(torch.zeros((), dtype=torch.float64))
        w.grad = torch.tensor(g)
        scaler.step(opt)
        scaler.update()
        p, state = ref.step(p, g, state, hp, np)
        assert state["scale"] == scaler.get_scale() == 2.0**126  # 2¹²⁸ overflows float32
