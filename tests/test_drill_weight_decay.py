"""Weight decay in every reference optimizer that has it, against torch.optim built by hand.

One plain test per optimizer: our reference at its defaults with ``wd = 0.1`` follows the
torch optimizer constructed with torch's own defaults and ``weight_decay=0.1`` step for step
(float64, 1e-12). The random draws elsewhere cover other values; these say by name which
optimizer's decay is right, and that our defaults are torch's. (Lion has no torch twin: its
decay is checked against the published algorithm in test_drill_references.py.)
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from gdgrill.drill.references import get_reference  # noqa: E402

WD = 0.1
STEPS = 40


@pytest.fixture(autouse=True)
def float64_scalars():
    """torch keeps some scalars (NAdam's ∏μ, ASGD's η and μ) in tensors of the default dtype."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(before)


def assert_decay_matches(name: str, make_torch_optimizer, shape=(3, 4), lr: float | None = None) -> None:
    """Our ``name`` with wd = 0.1 (and ``lr`` if given) against ``make_torch_optimizer([param])``.
    The gradients are small next to the parameters, so the decay moves them visibly: a
    reference that dropped the decay or flipped its sign is far outside the tolerance."""
    rng = np.random.default_rng(17)
    p0 = rng.normal(size=shape) * 3
    grads = rng.normal(size=(STEPS, *shape)) * 0.05
    hp = {"wd": WD, **({"lr": lr} if lr is not None else {})}
    ref = get_reference(name)
    p = torch.tensor(p0)
    state = ref.init(p, torch)
    param = torch.tensor(p0, requires_grad=True)
    opt = make_torch_optimizer([param])
    p_no_decay, state_no_decay = torch.tensor(p0), ref.init(torch.tensor(p0), torch)
    for g in grads:
        p, state = ref.step(p, torch.tensor(g), state, hp, torch)
        p_no_decay, state_no_decay = ref.step(p_no_decay, torch.tensor(g), state_no_decay, {**hp, "wd": 0.0}, torch)
        param.grad = torch.tensor(g)
        opt.step()
        torch.testing.assert_close(p, param.detach(), rtol=1e-12, atol=1e-14, msg=lambda m: f"{name}: {m}")
    # and the decay made a difference torch agrees with, not one within the tolerance
    assert float((p - p_no_decay).abs().max()) > 1e-6


def test_sgd_weight_decay_matches_torch_sgd():
    assert_decay_matches("sgd", lambda ps: torch.optim.SGD(ps, weight_decay=WD))


def test_momentum_weight_decay_matches_torch_sgd_with_momentum():
    assert_decay_matches("momentum", lambda ps: torch.optim.SGD(ps, momentum=0.9, weight_decay=WD))


def test_nesterov_weight_decay_matches_torch_sgd_with_nesterov():
    assert_decay_matches("nesterov", lambda ps: torch.optim.SGD(ps, momentum=0.9, nesterov=True, weight_decay=WD))


def test_rmsprop_weight_decay_matches_torch_rmsprop():
    assert_decay_matches("rmsprop", lambda ps: torch.optim.RMSprop(ps, weight_decay=WD))


def test_adagrad_weight_decay_matches_torch_adagrad():
    assert_decay_matches("adagrad", lambda ps: torch.optim.Adagrad(ps, weight_decay=WD))


def test_adam_weight_decay_matches_torch_adam():
    assert_decay_matches("adam", lambda ps: torch.optim.Adam(ps, weight_decay=WD))


def test_adamw_weight_decay_matches_torch_adamw():
    assert_decay_matches("adamw", lambda ps: torch.optim.AdamW(ps, weight_decay=WD))


def test_amsgrad_weight_decay_matches_torch_adam_with_amsgrad():
    assert_decay_matches("amsgrad", lambda ps: torch.optim.Adam(ps, amsgrad=True, weight_decay=WD))


def test_nadam_weight_decay_matches_torch_nadam():
    assert_decay_matches("nadam", lambda ps: torch.optim.NAdam(ps, weight_decay=WD, foreach=False))


def test_radam_weight_decay_matches_torch_radam():
    assert_decay_matches("radam", lambda ps: torch.optim.RAdam(ps, weight_decay=WD, foreach=False))


def test_adamax_weight_decay_matches_torch_adamax():
    assert_decay_matches("adamax", lambda ps: torch.optim.Adamax(ps, weight_decay=WD, foreach=False))


def test_adadelta_weight_decay_matches_torch_adadelta():
    assert_decay_matches("adadelta", lambda ps: torch.optim.Adadelta(ps, weight_decay=WD, foreach=False))


@pytest.mark.parametrize("shape", [(7,), (3, 4)], ids=["vector", "matrix"])
def test_adafactor_weight_decay_matches_torch_adafactor(shape):
    assert_decay_matches("adafactor", lambda ps: torch.optim.Adafactor(ps, weight_decay=WD, foreach=False), shape)


def test_asgd_weight_decay_matches_torch_asgd():
    assert_decay_matches("asgd", lambda ps: torch.optim.ASGD(ps, weight_decay=WD, foreach=False))


def test_every_reference_with_weight_decay_has_a_test_here():
    from gdgrill.drill.references import REFERENCES

    with_decay = {name for name, ref in REFERENCES.items() if "wd" in ref.defaults}
    tested = {name.split("_")[1] for name in globals() if "_weight_decay_matches_torch_" in name}
    # Lion has no torch twin; Muon's decay is checked against torch.optim.Muon in test_drill_reference_muon.py
    assert with_decay - tested == {"lion", "muon"}
