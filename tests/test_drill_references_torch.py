"""The references for the rest of torch.optim (NAdam, RAdam, Adamax, Adadelta, Adafactor, Rprop,
ASGD) agree with torch.optim step for step, in float64 and float32, on vectors and matrices,
with and without weight decay, and keep the state torch keeps."""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from gdgrill.drill.references import get_reference  # noqa: E402

STEPS = 30
CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA (no GPU on this machine)")

# our name -> (torch class, our hyper-parameters as torch's keyword arguments)
TORCH_TWINS = {
    "nadam": (
        torch.optim.NAdam,
        lambda h: dict(lr=h["lr"], betas=(h["b1"], h["b2"]), eps=h["eps"], weight_decay=h["wd"], momentum_decay=h["psi"]),
    ),
    "radam": (torch.optim.RAdam, lambda h: dict(lr=h["lr"], betas=(h["b1"], h["b2"]), eps=h["eps"], weight_decay=h["wd"])),
    "adamax": (torch.optim.Adamax, lambda h: dict(lr=h["lr"], betas=(h["b1"], h["b2"]), eps=h["eps"], weight_decay=h["wd"])),
    "adadelta": (torch.optim.Adadelta, lambda h: dict(lr=h["lr"], rho=h["rho"], eps=h["eps"], weight_decay=h["wd"])),
    "adafactor": (
        torch.optim.Adafactor,
        lambda h: dict(lr=h["lr"], beta2_decay=h["b2_decay"], eps=(h["eps1"], h["eps2"]), d=h["d"], weight_decay=h["wd"]),
    ),
    "rprop": (
        torch.optim.Rprop,
        lambda h: dict(lr=h["lr"], etas=(h["eta_minus"], h["eta_plus"]), step_sizes=(h["step_min"], h["step_max"])),
    ),
    "asgd": (
        torch.optim.ASGD,
        lambda h: dict(lr=h["lr"], lambd=h["lambd"], alpha=h["alpha"], t0=h["t0"], weight_decay=h["wd"]),
    ),
}

# our state's names -> torch's (opt.state[param][...]) after the last step
STATE_TWINS = {
    "nadam": {"m": "exp_avg", "v": "exp_avg_sq", "mu_product": "mu_product"},
    "radam": {"m": "exp_avg", "v": "exp_avg_sq"},
    "adamax": {"m": "exp_avg", "u": "exp_inf"},
    "adadelta": {"v": "square_avg", "dx2": "acc_delta"},
    "adafactor": {"row": "row_var", "col": "col_var", "v": "variance"},
    "rprop": {"prev": "prev", "step_size": "step_size"},
    "asgd": {"ax": "ax", "eta": "eta", "mu": "mu"},
}

SHAPES = {name: [(7,), (3, 4)] for name in TORCH_TWINS}
SHAPES["adafactor"] = [(7,), (3, 4), (5, 1), (2, 3, 4)]  # factored along the last two dimensions
CASES = [(name, shape) for name, shapes in SHAPES.items() for shape in shapes]
DECAYS = {name: ("none", "decay") if "wd" in get_reference(name).defaults else ("none",) for name in TORCH_TWINS}
WITH_DECAY = [(name, shape, wd) for name, shape in CASES for wd in DECAYS[name]]


def log_uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(10 ** rng.uniform(lo, hi))


def random_hp(name: str, rng: np.random.Generator, decay: str) -> dict:
    """Hyper-parameters drawn around torch's defaults (and far from them)."""
    hp = dict(get_reference(name).defaults)
    if "wd" in hp:
        hp["wd"] = log_uniform(rng, -3, -1) if decay == "decay" else 0.0
    if name in ("nadam", "radam", "adamax"):
        hp.update(lr=log_uniform(rng, -3, -1), b1=float(rng.uniform(0.5, 0.95)), eps=log_uniform(rng, -10, -3))
        # RAdam: β₂ = 0.6 gives ρ∞ = 4, never rectified; 0.9 rectifies from step 7; 0.999 from step 6
        hp["b2"] = float(rng.choice([0.6, 0.9, rng.uniform(0.9, 0.9999)]))
    if name == "nadam":
        hp["psi"] = float(rng.choice([4e-3, log_uniform(rng, -3, -0.5)]))
    if name == "adadelta":
        hp.update(lr=log_uniform(rng, -1, 0.3), rho=float(rng.uniform(0.8, 0.99)), eps=log_uniform(rng, -8, -3))
    if name == "adafactor":
        hp.update(lr=log_uniform(rng, -3, -0.5), b2_decay=float(rng.uniform(-1.0, -0.3)))
        hp["eps1"] = None if rng.random() < 0.5 else log_uniform(rng, -30, -3)  # None: torch's dtype epsilon
        hp["eps2"] = float(rng.choice([1e-3, log_uniform(rng, -5, -1)]))
        hp["d"] = float(rng.choice([1.0, rng.uniform(1.0, 3.0)]))
    if name == "rprop":
        hp.update(lr=log_uniform(rng, -3, -1), eta_minus=float(rng.uniform(0.2, 0.9)), eta_plus=float(rng.uniform(1.05, 1.5)))
        # bounds close enough to the steps that the clip acts
        hp["step_min"] = float(rng.choice([1e-6, log_uniform(rng, -4, -3)]))
        hp["step_max"] = float(rng.choice([50.0, hp["lr"] * rng.uniform(1.5, 3.0)]))
    if name == "asgd":
        hp.update(lr=log_uniform(rng, -2, -0.5), lambd=log_uniform(rng, -4, -0.5), alpha=float(rng.uniform(0.5, 1.0)))
        hp["t0"] = float(rng.choice([1e6, rng.integers(0, 15)]))  # 1e6: torch's default, never averages
    return hp


def gradients(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    scale = 10 ** rng.uniform(-3, 1, size=(STEPS, *([1] * len(shape))))
    grads = rng.normal(size=(STEPS, *shape)) * scale
    grads[rng.integers(2, STEPS)] = 0.0  # an all-zero gradient somewhere
    return grads


def run_both(name, seed, shape, decay, dtype, device="cpu"):
    """(ours, torch's) trajectories, (our final state, torch's), and the hyper-parameters."""
    rng = np.random.default_rng([seed, len(shape), zlib.crc32(name.encode()), decay == "decay"])
    hp = random_hp(name, rng, decay)
    p0, grads = rng.normal(size=shape), gradients(rng, shape)

    ref = get_reference(name)
    p = torch.tensor(p0, dtype=dtype, device=device)
    state = ref.init(p, torch)
    ours = []
    for g in grads:
        p, state = ref.step(p, torch.tensor(g, dtype=dtype, device=device), state, hp, torch)
        ours.append(p)

    cls, kwargs = TORCH_TWINS[name]
    param = torch.tensor(p0, dtype=dtype, device=device, requires_grad=True)
    opt = cls([param], **kwargs(hp), foreach=False)
    theirs = []
    for g in grads:
        param.grad = torch.tensor(g, dtype=dtype, device=device)
        opt.step()
        theirs.append(param.detach().clone())
    return torch.stack(ours), torch.stack(theirs), state, opt.state[param], hp


@pytest.fixture
def float64_scalars():
    """torch keeps some scalars (NAdam's ∏μ, ASGD's η and μ) in tensors of the default dtype;
    float64 there makes torch compute what float64 arithmetic gives."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(before)


@pytest.mark.parametrize("name,shape,decay", WITH_DECAY)
@pytest.mark.parametrize("seed", range(3))
def test_reference_matches_torch_optim_in_float64(name, shape, decay, seed, float64_scalars):
    ours, theirs, _, _, hp = run_both(name, seed, shape, decay, torch.float64)
    torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-14, msg=lambda m: f"{name} {hp}: {m}")


@pytest.mark.parametrize("name,shape,decay", WITH_DECAY)
def test_reference_keeps_the_state_torch_keeps(name, shape, decay, float64_scalars):
    _, _, state, theirs, hp = run_both(name, 0, shape, decay, torch.float64)
    assert state["t"] == STEPS == int(theirs["step"])
    compared = 0
    for ours_key, torch_key in STATE_TWINS[name].items():
        if torch_key in theirs:
            mine, value = torch.as_tensor(state[ours_key], dtype=torch.float64), theirs[torch_key].to(torch.float64)
            torch.testing.assert_close(mine, value, rtol=1e-11, atol=1e-14, msg=lambda m: f"{name} {ours_key} {hp}: {m}")
            compared += 1
    assert compared >= 2 or name == "adafactor" and compared == 1 and len(shape) == 1


@pytest.mark.parametrize("name,shape,decay", WITH_DECAY)
@pytest.mark.parametrize("seed", range(2))
def test_reference_matches_torch_optim_in_float32(name, shape, decay, seed):
    ours, theirs, _, _, hp = run_both(name, seed, shape, decay, torch.float32)
    torch.testing.assert_close(ours, theirs, msg=lambda m: f"{name} {hp}: {m}")  # torch's float32 tolerances


@CUDA
@pytest.mark.cuda
@pytest.mark.parametrize("name,shape,decay", WITH_DECAY)
def test_reference_matches_torch_optim_on_cuda(name, shape, decay):
    ours, theirs, _, _, hp = run_both(name, 0, shape, decay, torch.float32, device="cuda")
    torch.testing.assert_close(ours, theirs, msg=lambda m: f"{name} {hp}: {m}")


def test_the_hyper_parameter_draws_reach_both_sides_of_each_switch():
    """The grid above exercises what each optimizer branches on: RAdam's ρ_t > 5 both ways,
    Adafactor's ε₁ default and set, ASGD averaging and not, Rprop's bounds."""
    seen = set()
    for name, shape, decay in WITH_DECAY:
        for seed in range(3):
            rng = np.random.default_rng([seed, len(shape), zlib.crc32(name.encode()), decay == "decay"])
            hp = random_hp(name, rng, decay)
            if name == "radam":
                seen.add(("radam-b2", hp["b2"] == 0.6))
            if name == "adafactor":
                seen.add(("eps1-default", hp["eps1"] is None))
            if name == "asgd":
                seen.add(("asgd-averages", hp["t0"] < STEPS))
            if name == "rprop":
                seen.add(("rprop-tight-max", hp["step_max"] < 1))
    assert seen >= {(k, v) for k in ("radam-b2", "eps1-default", "asgd-averages", "rprop-tight-max") for v in (True, False)}


# -- What each algorithm is known for, from the papers ----------------------------------------------


def steps(name, grads, hp, p0):
    ref = get_reference(name)
    p, state = np.asarray(p0, dtype=np.float64), ref.init(np.asarray(p0, dtype=np.float64), np)
    path = []
    for g in grads:
        p, state = ref.step(p, np.asarray(g, dtype=np.float64), state, hp, np)
        path.append((p, state))
    return path


def test_radam_is_momentum_sgd_until_the_variance_is_tractable():
    """Liu et al. 2020: with ρ_t ≤ 5 (the first steps for β₂ = 0.999) the step is lr·m̂, no
    adaptive denominator; ρ∞ = 2/(1 − β₂) − 1 and ρ_t = ρ∞ − 2tβ₂ᵗ/(1 − β₂ᵗ)."""
    b1, b2, lr = 0.9, 0.999, 0.1
    grads = [np.array([2.0, -0.5])] * 8
    path = steps("radam", grads, {"lr": lr, "b1": b1, "b2": b2}, [0.0, 0.0])
    rho_inf = 2 / (1 - b2) - 1
    previous = np.zeros(2)
    for t, (p, _) in enumerate(path, start=1):
        rho_t = rho_inf - 2 * t * b2**t / (1 - b2**t)
        # a constant gradient: m̂ = g exactly
        if rho_t <= 5:
            np.testing.assert_allclose(p - previous, -lr * np.array([2.0, -0.5]), rtol=1e-12)
        else:
            assert t >= 5
            assert np.all(np.abs(p - previous) < lr * 1.01)  # adaptive: about lr per coordinate
        previous = p
    assert rho_inf - 2 * 4 * b2**4 / (1 - b2**4) <= 5 < rho_inf - 2 * 6 * b2**6 / (1 - b2**6)


def test_adamax_steps_by_at_most_lr_over_the_bias_correction():
    """Kingma & Ba §7.1: |Δθ| ≤ α/(1 − β₁ᵗ), because |m_t| ≤ u_t."""
    rng = np.random.default_rng(3)
    hp = {"lr": 0.01, "b1": 0.9, "b2": 0.999, "eps": 1e-8, "wd": 0.0}
    p0 = rng.normal(size=5)
    path = steps("adamax", rng.normal(size=(20, 5)) * 100, hp, p0)
    previous = p0
    for t, (p, state) in enumerate(path, start=1):
        assert np.all(np.abs(state["m"]) <= state["u"])
        assert np.all(np.abs(p - previous) <= hp["lr"] / (1 - hp["b1"] ** t) * (1 + 1e-12))
        previous = p


def test_adadelta_first_step_has_units_of_sqrt_eps():
    """Zeiler 2012: Δθ₁ = −√ε/√((1−ρ)g² + ε)·g, the 'units' correction: no lr in the paper (torch's lr = 1)."""
    g, eps, rho = np.array([3.0, -0.1]), 1e-6, 0.9
    ((p, _),) = steps("adadelta", [g], {"lr": 1.0, "rho": rho, "eps": eps, "wd": 0.0}, [0.0, 0.0])
    np.testing.assert_allclose(p, -math.sqrt(eps) / np.sqrt((1 - rho) * g * g + eps) * g, rtol=1e-13)


def test_adafactor_keeps_one_number_per_row_and_per_column_of_a_matrix():
    """Shazeer & Stern 2018: O(n + m) memory for an n×m matrix; a vector keeps all of v."""
    ref = get_reference("adafactor")
    state = ref.init(np.zeros((6, 4)), np)
    assert state["row"].shape == (6, 1) and state["col"].shape == (1, 4) and "v" not in state
    assert ref.init(np.zeros(5), np)["v"].shape == (5,)
    # a rank-one g² is recovered exactly by the factored estimate at t = 1 (1 − β̂₂ = 1)
    a, b = np.array([1.0, 2.0, 3.0, 0.5, 1.5, 2.5]), np.array([0.2, 1.0, 3.0, 0.7])
    g = np.outer(a, b)
    hp = {**ref.defaults, "lr": 1.0, "eps2": 1.0, "d": 1e9}  # α = max(1, RMS θ)·min(1, 1) = 1 for θ = 0
    ((p, _),) = steps("adafactor", [g], hp, np.zeros((6, 4)))
    np.testing.assert_allclose(p, -np.sign(g), rtol=1e-12)  # g/√(g²) = sign(g)


def test_adafactor_update_is_clipped_to_rms_d():
    """Update clipping: Û = U/max(1, RMS(U)/d), so the step's RMS is at most d·α."""
    ref = get_reference("adafactor")
    hp = {**ref.defaults, "lr": 1.0, "eps2": 1.0, "d": 0.5}
    g = np.array([1.0, -1.0, 1.0, -1.0])  # U = sign(g): RMS 1 > d
    ((p, _),) = steps("adafactor", [g], hp, np.zeros(4))
    np.testing.assert_allclose(p, -0.5 * np.sign(g), rtol=1e-12)


def test_rprop_grows_steps_while_the_sign_holds_and_skips_a_flip():
    """Riedmiller & Braun 1993, torch's Rprop⁻: the step grows by η₊ while g keeps its sign;
    on a flip it shrinks by η₋, that coordinate does not move, and its gradient is forgotten."""
    hp = {"lr": 0.1, "eta_minus": 0.5, "eta_plus": 1.2, "step_min": 1e-6, "step_max": 50.0}
    grads = [np.array([1.0, 1.0]), np.array([3.0, -1.0]), np.array([0.2, 5.0]), np.array([7.0, 1.0])]
    path = steps("rprop", grads, hp, [0.0, 0.0])
    moves = [path[0][0]] + [b[0] - a[0] for a, b in zip(path, path[1:])]
    np.testing.assert_allclose(moves[0], [-0.1, -0.1])
    np.testing.assert_allclose(moves[1], [-0.12, 0.0])  # the second coordinate flipped: no move
    np.testing.assert_allclose(path[1][1]["step_size"], [0.12, 0.05])
    # after a flip the memory is 0, so the next step neither grows nor shrinks the step size
    np.testing.assert_allclose(moves[2], [-0.144, -0.05])
    np.testing.assert_allclose(moves[3], [-0.1728, -0.06])


def test_rprop_step_sizes_stay_within_their_bounds():
    hp = {"lr": 0.1, "eta_minus": 0.1, "eta_plus": 2.0, "step_min": 0.01, "step_max": 0.3}
    path = steps("rprop", [np.array([1.0, (-1.0) ** k]) for k in range(10)], hp, [0.0, 0.0])
    sizes = np.array([s["step_size"] for _, s in path])
    assert sizes.max() == pytest.approx(0.3) and sizes.min() >= 0.01
    np.testing.assert_allclose(sizes[-1], [0.3, 0.01])


def test_asgd_averages_the_iterates_after_t0():
    """Polyak & Juditsky 1992, as torch: ax is θ itself while t ≤ t0 + 1, then the mean of the
    iterates from step t0 + 2 on; η_t = lr/(1 + λ·lr·(t−1))^α."""
    rng = np.random.default_rng(4)
    hp = {"lr": 0.1, "lambd": 0.05, "alpha": 0.75, "t0": 3.0, "wd": 0.0}
    path = steps("asgd", rng.normal(size=(12, 3)), hp, rng.normal(size=3))
    iterates = np.array([p for p, _ in path])
    for t, (p, state) in enumerate(path, start=1):
        if t <= 4:
            np.testing.assert_array_equal(state["ax"], p)
        else:
            np.testing.assert_allclose(state["ax"], iterates[4:t].mean(axis=0), rtol=1e-12)  # steps 5 … t
        assert state["eta"] == pytest.approx(0.1 / (1 + 0.05 * 0.1 * t) ** 0.75, rel=1e-15)  # η for step t + 1


def test_nadam_momentum_schedule_rises_toward_b1():
    """Dozat 2016 with torch's schedule: μ_t = β₁(1 − ½·0.96^(tψ)) starts near β₁/2 and rises."""
    b1, psi = 0.9, 4e-3
    path = steps("nadam", [np.array([1.0])] * 3, {"b1": b1, "psi": psi}, [0.0])
    mus = [b1 * (1 - 0.5 * 0.96 ** (t * psi)) for t in (1, 2, 3)]
    assert path[2][1]["mu_product"] == pytest.approx(math.prod(mus), rel=1e-15)
    assert 0.45 < mus[0] < mus[1] < mus[2] < b1
