"""Edges of the reference optimizers that the random draws of test_drill_references*.py do not
reach: a set ε₁ for Adafactor, Rprop's first step size clipped, the state before the first step,
the names an unknown reference lists."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from gdgrill.drill.references import REFERENCES, get_reference  # noqa: E402


def against_torch(name, hp, make_torch_optimizer, p0, grads, rtol=1e-12):
    """Our ``name`` with ``hp`` and the torch optimizer on the same gradients, in float64."""
    ref = get_reference(name)
    p = torch.tensor(p0, dtype=torch.float64)
    state = ref.init(p, torch)
    param = torch.tensor(p0, dtype=torch.float64, requires_grad=True)
    opt = make_torch_optimizer([param])
    for k, g in enumerate(grads):
        p, state = ref.step(p, torch.tensor(g, dtype=torch.float64), state, hp, torch)
        param.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        torch.testing.assert_close(p, param.detach(), rtol=rtol, atol=1e-15, msg=lambda m: f"{name} step {k + 1}: {m}")
    return p, state


@pytest.mark.parametrize("shape", [(6,), (3, 4)], ids=["vector", "matrix"])
def test_adafactor_uses_a_given_eps1_for_small_gradients_as_torch_does(shape):
    """ε₁ floors the second-moment estimate: with gradients far below ε₁ the update is g/ε₁,
    not sign(g) — torch.optim.Adafactor(eps=(1e-2, 1e-3)) and ours, step for step."""
    rng = np.random.default_rng(5)
    p0, grads = rng.normal(size=shape), rng.normal(size=(12, *shape)) * 1e-4
    hp = {"eps1": 1e-2}
    p, _ = against_torch("adafactor", hp, lambda ps: torch.optim.Adafactor(ps, eps=(1e-2, 1e-3), foreach=False), p0, grads)
    # and it mattered: with the dtype's ε₁ the same steps go elsewhere
    q, _ = against_torch("adafactor", {}, lambda ps: torch.optim.Adafactor(ps, foreach=False), p0, grads)
    assert float((p - q).abs().max()) > 1e-4


def test_rprop_clips_its_first_step_size_as_torch_does():
    """With lr above step_max the first step is already clipped to step_max, and a sign flip
    at the second step shrinks that clipped size (not lr) by η₋."""
    p0 = np.array([1.0, -2.0, 0.5])
    grads = [np.array([1.0, -1.0, 2.0]), np.array([-1.0, -3.0, 2.0]), np.array([2.0, 1.0, -1.0]), np.array([2.0, 1.0, -1.0])]
    hp = {"lr": 0.5, "step_max": 0.2}
    _, state = against_torch("rprop", hp, lambda ps: torch.optim.Rprop(ps, lr=0.5, step_sizes=(1e-6, 0.2), foreach=False), p0, grads)
    np.testing.assert_allclose(state["step_size"].numpy(), [0.2 * 0.5 * 1.2, 0.2 * 0.5, 0.2 * 0.5])


@pytest.mark.parametrize("name", list(REFERENCES))
def test_the_state_before_the_first_step_has_what_each_step_keeps(name):
    """init(params) gives the state step() takes and returns: the same names, the buffers
    shaped like θ and zero (Rprop's step sizes too, until its first step sets them to lr)."""
    ref = get_reference(name)
    p = np.array([[1.5, -0.5, 0.25], [0.75, -2.0, 1.0]])
    state = ref.init(p, np)
    _, after = ref.step(p, np.full_like(p, 0.1), state, {}, np)
    assert set(state) == set(after) and state["t"] == 0
    for key, value in state.items():
        if isinstance(value, np.ndarray) and value.shape == p.shape:
            np.testing.assert_array_equal(value, np.zeros_like(p), err_msg=key)


def test_an_unknown_reference_lists_every_known_name():
    with pytest.raises(KeyError) as caught:
        get_reference("sophia")
    message = caught.value.args[0]
    assert message.startswith("no reference optimizer 'sophia' (known: sgd, momentum, nesterov, rmsprop, adagrad, adam, ")
    assert all(f" {name}," in message or f" {name})" in message for name in REFERENCES)


def test_radam_at_rho_t_exactly_5_still_takes_the_unrectified_step_as_torch_does():
    """RAdam rectifies only while ρ_t > 5 (torch's test too). With this β₂, ρ_6 is 5.0 in
    floating point exactly: step 6 is the bias-corrected momentum step, step 7 rectified."""
    b2 = 0.8397685748659791
    rho_inf = 2 / (1 - b2) - 1
    assert rho_inf - 2 * 6 * b2**6 / (1 - b2**6) == 5.0
    rng = np.random.default_rng(9)
    p0, grads = rng.normal(size=4), rng.normal(size=(8, 4))
    against_torch("radam", {"b2": b2, "lr": 0.1}, lambda ps: torch.optim.RAdam(ps, lr=0.1, betas=(0.9, b2), foreach=False), p0, grads)
