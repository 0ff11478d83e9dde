"""Figures and formulas the audited cards state, recomputed (and, where torch is the source of
the claim, checked against torch itself). Each test first asserts that the card still says it."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from gdgrill.content import load_problems
from gdgrill.decks import load_library

LIBRARY = load_library()


def text(key: str) -> str:
    card = LIBRARY.card(key)
    return re.sub(r"\s+", " ", " ".join([card.question, card.answer, *card.key_points]))


def problem_text(problem_id: str) -> str:
    (problem,) = [p for p in load_problems() if p.id == problem_id]
    return re.sub(r"\s+", " ", " ".join([problem.prompt, problem.answer, *problem.hints, *problem.rubric.values()]))


def says(body: str, *phrases: str) -> None:
    for phrase in phrases:
        assert phrase in body, phrase


# ---- momentum and stability ----------------------------------------------------------

def test_momentum_velocity_reaches_95_percent_of_its_steady_state_after_29_steps():
    mu, v, steps = 0.9, 0.0, 0
    while v < 0.95 / (1 - mu):
        v, steps = mu * v + 1.0, steps + 1
    assert steps == 29
    says(text("optimizers/momentum-steady-state-step"), "95 % after 29 steps")


@pytest.mark.parametrize("key", ["diagnostics/curve-lr-too-high", "foundations/lr-too-large"])
def test_heavy_ball_on_a_quadratic_diverges_just_above_eta_lambda_2_1_plus_mu(key):
    def final(eta_lambda: float, mu: float = 0.9) -> float:
        x, v = 1.0, 0.0  # torch's form: v ← μv + g, x ← x − ηv, on f = ½λx²
        for _ in range(3000):
            v = mu * v + x
            x -= eta_lambda * v
        return abs(x)

    assert final(0.99 * 3.8) < 1.0 < final(1.01 * 3.8)
    assert final(0.99 * 2.0, mu=0.0) < 1.0 < final(1.01 * 2.0, mu=0.0)
    says(text(key), "2(1 + μ)", "3.8")


# ---- weight decay ----------------------------------------------------------------------

def test_torch_sgd_decay_shrinks_by_eta_lambda_over_1_minus_mu_so_adamw_needs_lambda_0_1_at_lr_1e_3():
    torch = pytest.importorskip("torch")

    def shrink_per_step(make) -> float:
        p = torch.nn.Parameter(torch.ones(4, dtype=torch.float64))
        opt = make([p])
        for _ in range(300):  # zero loss gradient: only the decay acts
            before = p.detach().clone()
            p.grad = torch.zeros_like(p)
            opt.step()
        return float(1 - p.detach()[0] / before[0])

    sgd = shrink_per_step(lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=1e-4))
    adamw = shrink_per_step(lambda ps: torch.optim.AdamW(ps, lr=1e-3, weight_decay=0.1))
    assert sgd == pytest.approx(0.1 * 1e-4 / (1 - 0.9), rel=0.02)
    assert adamw == pytest.approx(1e-3 * 0.1, rel=1e-6)
    assert sgd == pytest.approx(adamw, rel=0.02)  # λ = 0.1 at lr 1e-3 matches, 0.01 would not
    says(problem_text("adam-vs-sgd-resnet-gap"), "ηλ/(1 − μ)", "λ ≈ 0.1")


def test_adamw_equilibrium_update_ratios_and_timescale_on_the_cards():
    eta, lam, b1 = 3e-4, 0.1, 0.9
    plain, with_momentum = math.sqrt(2 * eta * lam), math.sqrt(2 * eta * lam * (1 - b1) / (1 + b1))
    assert (f"{plain:.1e}", f"{with_momentum:.1e}") == ("7.7e-03", "1.8e-03")
    says(text("schedules/update-to-weight-ratio"), "≈ 7.7e-3 and ≈ 1.8e-3", "√(2ηλ·(1 − β1)/(1 + β1))")
    says(text("optimizers/weight-decay-normalised-layers"), "≈ 1.8e-3")
    tau = 1 / (eta * lam)
    assert round(tau, -3) == 33_000 and round(100 * tau / 250_000) == 13
    says(text("optimizers/adamw-decay-timescale"), "≈ 33,000 steps", "about 13 % of training")


# ---- Adam and β2 -----------------------------------------------------------------------

def test_beta2_token_half_life_examples():
    half_life = math.log(0.5) / math.log(0.95)
    assert round(half_life, 1) == 13.5 and round(half_life * 512, -2) == 6_900
    assert round(0.95 ** (1 / 8), 4) == 0.9936 and round(0.95 ** (1 / 512), 4) == 0.9999
    says(text("optimizers/beta2-batch-size"), "13.5 steps ≈ 6,900 sequences", "0.95^(1/8) ≈ 0.9936",
         "0.95^(1/512) ≈ 0.9999", "β2' = β2^k")


def test_bf16_drops_an_update_once_the_weight_is_about_250_to_500_times_larger():
    torch = pytest.importorskip("torch")
    delta = torch.tensor(1e-4, dtype=torch.bfloat16)

    def kept(w: float) -> bool:
        weight = torch.tensor(w, dtype=torch.bfloat16)
        return bool(weight + delta != weight)

    d = float(delta)
    assert all(kept(k * d) for k in np.linspace(10, 240, 60))
    assert not any(kept(k * d) for k in np.linspace(520, 4000, 60))
    says(text("diagnostics/bf16-stall-during-decay"), "|w| ≳ 250–500·η·r", "|w| ≳ 0.025–0.05")


def test_batchnorm_needs_more_than_one_value_per_channel_not_more_than_one_example():
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError):
        torch.nn.BatchNorm1d(4).train()(torch.randn(1, 4))
    assert torch.nn.BatchNorm2d(4).train()(torch.randn(1, 4, 8, 8)).shape == (1, 4, 8, 8)
    says(text("foundations/sgd-means-minibatch"), "BatchNorm1d", "B×H×W", "runs at B = 1")


def test_torch_muon_default_scale_is_not_the_adamw_matched_one():
    torch = pytest.importorskip("torch")  # the torch extra pins 2.13, which has torch.optim.Muon

    def update_rms(adjust_lr_fn) -> float:
        torch.manual_seed(0)
        w = torch.nn.Parameter(torch.zeros(256, 256))
        opt = torch.optim.Muon([w], lr=1.0, weight_decay=0.0, adjust_lr_fn=adjust_lr_fn)
        w.grad = torch.randn(256, 256)
        opt.step()
        return float(w.detach().pow(2).mean().sqrt())

    default, matched = update_rms(None), update_rms("match_rms_adamw")
    assert 0.5 / 16 < default < 1.5 / 16  # an orthogonal 256×256 update: RMS ≈ 1/√256
    assert matched / default == pytest.approx(0.2 * 16, rel=1e-3)
    assert 0.1 < matched < 0.3
    says(text("optimizers/muon"), "adjust_lr_fn='original'", "'match_rms_adamw'", "√max(1, A/B)")


# ---- schedules -------------------------------------------------------------------------

def test_polynomial_decay_midpoints_and_torch_polynomial_lr():
    torch = pytest.importorskip("torch")
    assert round(0.5 ** 0.9, 2) == 0.54 and 0.5 ** 2 == 0.25
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = torch.optim.lr_scheduler.PolynomialLR(opt, total_iters=100, power=0.9)
    for _ in range(50):
        opt.step()
        sched.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.5 ** 0.9, rel=1e-9)
    says(text("schedules/polynomial-decay"), "0.54 of the range at p = 0.9", "0.25 at p = 2", "η_0·(1 − t/T)^p")


def test_deepseek_compute_optimal_worked_numbers():
    def fits(c):
        return 0.3118 * c ** -0.125, 0.2920 * c ** 0.3271

    (lr21, b21), (lr23, b23) = fits(1e21), fits(1e23)
    assert (f"{lr21:.1e}", round(b21 / 1e6, 1)) == ("7.4e-04", 2.2)
    assert (f"{lr23:.1e}", round(b23 / 1e6, 1)) == ("4.2e-04", 9.7)
    assert (round(100 ** 0.3271, 1), round(100 ** 0.125, 1)) == (4.5, 1.8)
    says(text("schedules/compute-optimal-lr-batch"), "η ≈ 7.4e-4, B ≈ 2.2M tokens", "η ≈ 4.2e-4, B ≈ 9.7M tokens",
         "100^0.327 ≈ 4.5×", "100^0.125 ≈ 1.8×")


def test_epoch_arithmetic_on_the_card():
    n, b = 50_000, 128
    assert (math.ceil(n / b), n // b) == (391, 390)
    assert round(90 * math.ceil(n / b), -3) == 35_000
    says(text("foundations/epoch-batch-iteration"), "391 steps per epoch (390 with drop_last)", "≈ 35,000 steps")


# ---- theory ----------------------------------------------------------------------------

def test_x2_plus_3_sin2_x_is_pl_but_not_convex():
    x = np.linspace(-20, 20, 400_001)
    f, grad, curvature = x**2 + 3 * np.sin(x) ** 2, 2 * x + 3 * np.sin(2 * x), 2 + 6 * np.cos(2 * x)
    assert curvature.min() < 0  # not convex
    assert np.all(0.5 * grad**2 >= f / 32 - 1e-12)  # PL with μ = 1/32
    says(text("foundations/interpolation-and-pl"), "3 sin² x", "½‖∇f(θ)‖² ≥ μ·(f(θ) − f*)")


def test_one_gd_step_matches_the_flow_on_l_plus_eta_over_4_grad_norm_squared_to_third_order():
    rng = np.random.default_rng(0)
    q = np.linalg.qr(rng.normal(size=(4, 4)))[0]
    lams = np.array([0.5, 1.0, 2.0, 3.0])
    theta = rng.normal(size=4)

    def flow(rate, eta):  # exact flow θ' = −rate(H)θ over time η, in H's eigenbasis
        return q @ (np.exp(-eta * rate) * (q.T @ theta))

    errors = []
    for eta in (0.02, 0.01):
        gd = q @ ((1 - eta * lams) * (q.T @ theta))
        plain = np.linalg.norm(gd - flow(lams, eta))
        modified = np.linalg.norm(gd - flow(lams + eta / 2 * lams**2, eta))  # ∇(L + (η/4)‖∇L‖²) = (H + (η/2)H²)θ
        errors.append((plain, modified))
    (p1, m1), (p2, m2) = errors
    assert p1 / p2 == pytest.approx(4, rel=0.05)  # plain gradient flow: O(η²) per step
    assert m1 / m2 == pytest.approx(8, rel=0.05)  # modified flow: O(η³) per step
    says(text("foundations/implicit-regularisation-large-steps"), "L̃ = L + (η/4)‖∇L‖²")


def test_about_37_percent_of_examples_are_unseen_in_n_draws_with_replacement():
    n = 10_000
    assert round(100 * (1 - 1 / n) ** n) == 37
    says(text("foundations/sampling-without-replacement"), "1/e ≈ 37 %")


def test_accumulating_micro_batch_losses_divided_by_k_gives_the_big_batch_gradient():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    x, y = torch.randn(64, 5, dtype=torch.float64), torch.randn(64, dtype=torch.float64)
    w = torch.nn.Parameter(torch.randn(5, dtype=torch.float64))
    torch.nn.functional.mse_loss(x @ w, y).backward()
    full = w.grad.clone()
    w.grad = None
    for xs, ys in zip(x.split(8), y.split(8)):
        (torch.nn.functional.mse_loss(xs @ w, ys) / 8).backward()
    assert torch.allclose(w.grad, full)
    says(text("foundations/gradient-accumulation-basics"), "Divide each micro-batch loss by k", "BatchNorm")
