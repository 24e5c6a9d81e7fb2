"""Curvature along a run: the closed form at balanced minima, the edge of stability of GD,
Lanczos against dense."""

import numpy as np
import pytest

import core
from core.curvature import sample_indices, stability_limit


def _orthonormal(rng, rows, cols):
    q, _ = np.linalg.qr(rng.standard_normal((rows, cols)))
    return q


def balanced_minimum(p, seed=0):
    """A global minimum with every C_j = 0, rotated in its hidden layers at random:
    W_j = Q_j D Q_{j-1}^T with D = diag(s^(1/(H+1)))."""
    rng = np.random.default_rng(seed)
    dy, N = p.dy, p.depth + 1
    Q = [np.eye(p.dx)[:, :dy]] + [_orthonormal(rng, d, dy) for d in p.widths] + [np.eye(dy)]
    D = np.diag(p.singular_values ** (1.0 / N))
    return tuple(Q[j + 1] @ D @ Q[j].T for j in range(N))


def sharpness(p):
    H = p.depth
    return (H + 1) * p.singular_values[0] ** (2 * H / (H + 1))


@pytest.mark.parametrize(
    "s, dx, widths",
    [
        ((2.0, 1.0), 2, (2,)),
        ((3.0, 2.0, 1.0), 4, (5,)),
        ((4.0, 2.0), 3, (3, 4)),
        ((3.0, 1.5), 2, (2, 3, 2)),
    ],
)
def test_at_a_balanced_minimum_lambda_max_is_the_closed_form(s, dx, widths):
    p = core.Problem.from_spectrum(s, dx=dx, widths=widths)
    W = balanced_minimum(p)
    assert max(np.abs(C).max() for C in core.invariants(W)) < 1e-12
    run = core.integrate(p, W, 1.0)  # it stays: the gradient is zero
    curv = core.curvature_along(p, run)
    assert curv.method == "dense" and curv.n_samples == run.n_samples
    np.testing.assert_allclose(curv.lambda_max, sharpness(p), rtol=1e-8)
    assert np.all(curv.n_negative == 0) and np.all(curv.exact)


def test_on_whitened_data_both_flows_see_the_same_sharpness():
    rng = np.random.default_rng(3)
    X = _orthonormal(rng, 9, 4).T  # X X^T = I, m = 9 > dx = 4
    p = core.Problem.from_data(X, rng.standard_normal((2, 9)), (3, 3))
    assert p.is_whitened
    W = balanced_minimum(p, seed=1)
    run = core.integrate(p, p.to_original(W), 1.0, flow="original")
    for flow in ("original", "reduced"):
        curv = core.curvature_along(p, run, flow=flow, samples=4)
        np.testing.assert_allclose(curv.lambda_max, sharpness(p), rtol=1e-8)
        assert curv.flow == flow


def test_balanced_minima_are_the_flattest():
    """Every other global minimum is sharper (what the edge-of-stability preset relies on)."""
    for widths in ((3,), (3, 3)):
        p = core.Problem.from_spectrum([3.0, 2.0, 1.0], dx=3, widths=widths)
        for seed in range(5):
            W = core.polish(p, core.critical_point(p, (0, 1, 2), seed=seed)).weights
            assert core.loss(p, W) < 1e-20
            lam = np.linalg.eigvalsh(core.hessian(p, W))[-1]
            assert lam >= sharpness(p) * (1 - 1e-9)


def test_lanczos_agrees_with_dense_on_small_nets():
    p = core.Problem.from_spectrum([4.0, 2.0, 1.0], dx=5, widths=(6, 5))
    run = core.integrate(p, core.init_weights(p, 0.05, seed=2), 300.0)
    dense = core.curvature_along(p, run, samples=25, method="dense")
    lanczos = core.curvature_along(p, run, samples=25, method="lanczos", k=32)
    assert lanczos.method == "lanczos" and lanczos.k == 32 and dense.k == p.n_params == 75
    np.testing.assert_array_equal(dense.index, lanczos.index)
    scale = np.maximum(np.abs(dense.lambda_max), np.abs(dense.lambda_min))
    assert np.all(np.abs(lanczos.lambda_max - dense.lambda_max) <= 1e-8 * scale)
    assert np.all(np.abs(lanczos.lambda_min - dense.lambda_min) <= 1e-8 * scale)
    ok = lanczos.exact & lanczos.clean & dense.clean
    assert ok.sum() >= 12 and dense.n_negative[ok].max() >= 20
    np.testing.assert_array_equal(lanczos.n_negative[ok], dense.n_negative[ok])
    # With few eigenvalues per end the count is a lower bound, and says so.
    few = core.curvature_along(p, run, samples=25, method="lanczos", k=4)
    assert not few.exact[0] and np.all(few.n_negative <= dense.n_negative)
    assert np.all(few.n_negative[~few.exact] == 4)


def test_lanczos_converges_where_most_eigenvalues_are_near_zero():
    """Near W = 0 and at the minimum most of the 640 eigenvalues are ~0: ARPACK's test relative
    to each eigenvalue failed there (no convergence) before the spectrum was shifted."""
    p = core.Problem.from_spectrum([4.0, 3.0, 2.0, 1.0], dx=8, widths=(20, 20))
    run = core.integrate(p, core.init_weights(p, 0.01, seed=0), 60.0)
    assert p.n_params == 640 and run.status == "converged"
    lanczos = core.curvature_along(p, run, samples=12)  # auto: Lanczos beyond 400 parameters
    dense = core.curvature_along(p, run, samples=12, method="dense")
    assert lanczos.method == "lanczos"
    scale = np.maximum(np.abs(dense.lambda_max), np.abs(dense.lambda_min))
    assert np.all(np.abs(lanczos.lambda_max - dense.lambda_max) <= 1e-8 * scale)
    assert np.all(np.abs(lanczos.lambda_min - dense.lambda_min) <= 1e-8 * scale)
    # A small Gaussian start is balanced up to C_j = O(scale^2): its minimum nearly the flattest.
    assert lanczos.lambda_max[-1] == pytest.approx(sharpness(p), rel=1e-5)


def test_gd_that_converges_ends_below_two_over_eta():
    """Stable convergence needs lambda_max <= 2 / eta: from a balanced start GD just below the
    limit of the flow's minimum converges there; from unbalanced starts whose flow ends sharper
    than 2 / eta, GD picks a flatter minimum."""
    p = core.Problem.from_spectrum([2.0, 1.0], dx=2, widths=(2, 2))
    limit = 2.0 / sharpness(p)
    converged = flatter = 0
    starts = [("balanced", 0.1, 0), ("layered", 2.0, 0), ("gaussian", 1.5, 2)]
    starts += [("gaussian", 1.0, 1), ("layered", 2.0, 2)]
    for kind, scale, seed in starts:
        W0 = core.init_weights(p, scale, seed=seed, kind=kind)
        flow_end = core.curvature_along(p, core.integrate(p, W0, 200.0), samples=2)
        sharp = flow_end.lambda_max[-1]
        for eta in (0.5 * limit, 0.97 * limit, 2.0 / (0.9 * sharp)):
            gd = core.gradient_descent(p, W0, lr=eta, steps=int(200 / eta))
            if gd.status != "converged":
                continue
            converged += 1
            lam = core.curvature_along(p, gd, samples=2).lambda_max[-1]
            assert lam <= stability_limit(eta) * (1 + 1e-6), (kind, eta, lam)
            flatter += bool(stability_limit(eta) < sharp and lam < sharp)
    assert converged >= 9 and flatter >= 4


def test_above_the_flattest_minimums_limit_gd_cannot_converge():
    p = core.Problem.from_spectrum([2.0, 1.0], dx=2, widths=(2,))
    W0 = core.init_weights(p, 0.1, seed=0, kind="balanced")
    eta = 1.04 * 2.0 / sharpness(p)
    gd = core.gradient_descent(p, W0, lr=eta, steps=600)
    assert gd.status == "t_max" and gd.excess[-100:].min() > 1e-3
    curv = core.curvature_along(p, gd)
    late = curv.lambda_max[-50:]
    # A period-2 orbit: the sharpness swings across 2/eta, one iterate above, the next below.
    assert late.min() < 2 / eta < late.max()


def test_momentum_limit_and_argument_checks():
    assert stability_limit(0.1) == pytest.approx(20.0)
    assert stability_limit(0.1, 0.5) == pytest.approx(30.0)
    p = core.Problem.from_spectrum([2.0, 1.0], dx=2, widths=(2,))
    run = core.integrate(p, core.init_weights(p, 0.1), 10.0)
    with pytest.raises(ValueError, match="method"):
        core.curvature_along(p, run, method="qr")
    with pytest.raises(ValueError, match="k must"):
        core.curvature_along(p, run, k=0)
    with pytest.raises(ValueError, match="samples"):
        core.curvature_along(p, run, samples=1)


def test_sample_indices_spread_over_log_time_and_loss():
    t = np.concatenate([[0.0], np.geomspace(1e-4, 100.0, 999)])
    loss = 1.0 / (1.0 + np.exp(t - 50.0))  # one transition near t = 50
    idx = sample_indices(t, loss, 40)
    assert idx[0] == 0 and idx[-1] == t.size - 1 and len(idx) <= 40
    assert np.all(np.diff(idx) > 0)
    near = np.sum((t[idx] > 45) & (t[idx] < 55))
    assert near >= 10  # the transition gets points, not only the log grid's two or three
