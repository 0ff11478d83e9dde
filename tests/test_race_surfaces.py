"""The race's surfaces: exact gradients (checked against finite differences), sensible starts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdgrill.race.surfaces import SURFACES, make_surface

EXACT = [make_surface(name, noise=0.0) for name in SURFACES] + [make_surface("valley", kappa=k) for k in (1.0, 7.5, 400.0)]


def finite_difference(surface, p: np.ndarray, h: float = 1e-6) -> np.ndarray:
    grad = np.zeros(2)
    for i in range(2):
        e = np.zeros(2)
        e[i] = h
        grad[i] = (surface.loss(p + e) - surface.loss(p - e)) / (2 * h)
    return grad


@pytest.mark.parametrize("surface", EXACT, ids=lambda s: f"{s.name}-{s.params.get('kappa', '')}")
@settings(max_examples=60, deadline=None)
@given(u=st.floats(0.0, 1.0), v=st.floats(0.0, 1.0))
def test_the_gradient_matches_finite_differences_anywhere_on_the_plot(surface, u, v):
    (x0, x1), (y0, y1) = surface.bounds
    p = np.array([x0 + u * (x1 - x0), y0 + v * (y1 - y0)])
    exact = surface.gradient(p)
    numeric = finite_difference(surface, p)
    scale = max(1.0, float(np.abs(exact).max()))
    assert np.allclose(exact, numeric, rtol=1e-5, atol=1e-5 * scale)


@pytest.mark.parametrize("name", SURFACES)
def test_the_start_lies_on_the_plot_and_is_not_already_the_answer(name):
    surface = make_surface(name)
    (x0, x1), (y0, y1) = surface.bounds
    sx, sy = surface.start
    assert x0 < sx < x1 and y0 < sy < y1
    assert np.linalg.norm(surface.gradient(np.array(surface.start))) > 0


@pytest.mark.parametrize("name", [n for n in SURFACES if make_surface(n).minimum is not None])
def test_the_minimum_is_flat_and_lowest(name):
    surface = make_surface(name)
    (x0, x1), (y0, y1) = surface.bounds
    assert np.allclose(surface.gradient(np.array(surface.minimum)), 0.0)
    xs, ys = np.meshgrid(np.linspace(x0, x1, 101), np.linspace(y0, y1, 101))
    assert surface.value(xs, ys).min() >= surface.min_value


def test_the_saddle_has_no_minimum_and_falls_along_y():
    saddle = make_surface("saddle")
    assert saddle.minimum is None and saddle.min_value is None
    assert saddle.loss(np.array([0.0, 10.0])) < saddle.loss(np.array([0.0, 1.0])) < 0


def test_kappa_is_the_condition_number_of_the_valley():
    for kappa in (10.0, 50.0, 1000.0):
        valley = make_surface("valley", kappa=kappa)
        # the valley is quadratic, so its gradient is linear: read the Hessian off two points
        hessian = np.column_stack([valley.gradient(np.eye(2)[i]) for i in range(2)])
        eig = np.linalg.eigvalsh(hessian)
        assert eig.max() / eig.min() == pytest.approx(kappa)


def test_kappa_is_refused_where_it_means_nothing():
    with pytest.raises(ValueError):
        make_surface("rosenbrock", kappa=10.0)


def test_only_the_noisy_surface_is_noisy_by_default():
    assert make_surface("noisy").noise > 0
    assert all(make_surface(n).noise == 0 for n in SURFACES if n != "noisy")
    assert make_surface("saddle", noise=0.2).noise == 0.2
