import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import (
    HESSIAN_MAX_PARAMS,
    HessianTooLargeError,
    Problem,
    gradient,
    hessian,
    hessian_vector_product,
    init_weights,
    invariants,
    loss,
)
from core._weights import flatten, unflatten

shapes_strategy = st.fixed_dictionaries(
    {
        "dy": st.integers(1, 3),
        "extra_x": st.integers(0, 2),
        "extra_m": st.integers(0, 4),
        "depth": st.integers(1, 4),
        "widen": st.lists(st.integers(0, 2), min_size=4, max_size=4),
        "seed": st.integers(0, 10_000),
        "flow": st.sampled_from(["reduced", "original"]),
    }
)


def _case(c):
    dx = c["dy"] + c["extra_x"]
    widths = tuple(c["dy"] + c["widen"][k] for k in range(c["depth"]))
    p = Problem.random(dx, c["dy"], dx + c["extra_m"], widths, seed=c["seed"])
    Ws = init_weights(p, 0.7, seed=c["seed"] + 1)
    return p, Ws, c["flow"]


def _f(p, flow):
    return lambda th: loss(p, unflatten(th, p.shapes), flow=flow)


@settings(max_examples=40, deadline=None)
@given(shapes_strategy)
def test_gradient_matches_central_differences(c):
    p, Ws, flow = _case(c)
    th, f, h = flatten(Ws), _f(p, flow), 1e-6
    g = flatten(gradient(p, Ws, flow=flow))
    fd = np.array([(f(th + h * e) - f(th - h * e)) / (2 * h) for e in np.eye(th.size)])
    scale = max(1.0, np.abs(g).max())
    assert np.abs(g - fd).max() < 1e-6 * scale


@settings(max_examples=40, deadline=None)
@given(shapes_strategy)
def test_hessian_matches_differences_of_gradient_and_hvp(c):
    p, Ws, flow = _case(c)
    th, h = flatten(Ws), 1e-6
    Hm = hessian(p, Ws, flow=flow)
    np.testing.assert_array_equal(Hm, Hm.T)  # symmetric by construction
    grad = lambda x: flatten(gradient(p, unflatten(x, p.shapes), flow=flow))  # noqa: E731
    fd = np.array([(grad(th + h * e) - grad(th - h * e)) / (2 * h) for e in np.eye(th.size)])
    scale = max(1.0, np.abs(Hm).max())
    assert np.abs(Hm - fd).max() < 1e-5 * scale
    v = np.random.default_rng(c["seed"]).standard_normal(th.size)
    hv = flatten(hessian_vector_product(p, Ws, unflatten(v, p.shapes), flow=flow))
    np.testing.assert_allclose(hv, Hm @ v, rtol=1e-10, atol=1e-10 * scale)


def test_hessian_refuses_beyond_limit_but_hvp_serves():
    big = Problem.from_spectrum(np.linspace(10, 4, 32), dx=64, widths=(48, 48, 48))
    assert big.n_params > HESSIAN_MAX_PARAMS
    Ws = init_weights(big, 1e-2, seed=0)
    with pytest.raises(HessianTooLargeError, match="MB"):
        hessian(big, Ws)
    hv = hessian_vector_product(big, Ws, Ws)
    assert [a.shape for a in hv] == [a.shape for a in Ws]


def test_hessian_at_zero_vanishes_for_deep_and_not_for_shallow():
    deep = Problem.from_spectrum([3.0, 2.0], 3, (2, 2))
    assert np.abs(hessian(deep, tuple(np.zeros(s) for s in deep.shapes))).max() == 0.0
    shallow = Problem.from_spectrum([3.0, 2.0], 3, (2,))
    H0 = hessian(shallow, tuple(np.zeros(s) for s in shallow.shapes))
    ev = np.linalg.eigvalsh(H0)
    assert ev.min() == pytest.approx(-3.0) and ev.max() == pytest.approx(3.0)


def test_invariants_shapes_and_balanced_zero():
    p = Problem.random(5, 2, 8, (3, 4), seed=0)
    C = invariants(init_weights(p, 0.5, seed=1, kind="balanced"))
    assert [c.shape for c in C] == [(3, 3), (4, 4)]
    assert max(np.abs(c).max() for c in C) < 1e-14
    C = invariants(init_weights(p, 0.5, seed=1))
    assert max(np.abs(c).max() for c in C) > 1e-2


def test_init_kinds_are_seeded_and_shaped():
    p = Problem.random(5, 2, 8, (4, 3), seed=0)
    for kind in ("gaussian", "balanced", "orthogonal", "layered"):
        a, b = init_weights(p, 0.5, seed=3, kind=kind), init_weights(p, 0.5, seed=3, kind=kind)
        assert [w.shape for w in a] == list(p.shapes)
        assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    orth = init_weights(p, 0.5, seed=1, kind="orthogonal")
    for W in orth:
        np.testing.assert_allclose(np.linalg.svd(W, compute_uv=False), 0.5)
    lay = init_weights(p, 1.0, seed=1, kind="layered")
    assert np.std(lay[0]) < 0.1 < np.std(lay[-1])
    with pytest.raises(ValueError, match="kind must be one of"):
        init_weights(p, 0.5, kind="uniform")
