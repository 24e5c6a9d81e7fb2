"""Krylov paths against dense linear algebra at the points where they are hardest: critical
points, whose Hessians have large clusters at zero."""

import numpy as np
import pytest

import core
from core import critical, geometry, krylov
from core._weights import flatten
from core.derivatives import objective

P = core.Problem.from_spectrum([8, 6, 4, 3, 2, 1], dx=12, widths=(16, 16))  # 544 parameters
SUBSETS = [(), (0,), (0, 2), (0, 1, 2), (0, 1, 2, 3, 4, 5)]


@pytest.mark.parametrize("subset", SUBSETS)
def test_extremes_match_the_dense_spectrum_at_critical_points(subset):
    # ARPACK's own "smallest" mode returned 0.83 at the global minimum here (true value ~1e-14).
    W = core.critical_point(P, subset, seed=1)
    obj = objective(P)
    ev = np.linalg.eigvalsh(obj.hessian(W))
    scale = np.abs(ev).max()
    lo, V_lo, hi, V_hi = krylov.extremes(obj.hessian_operator(W), 5)
    assert lo[0] == pytest.approx(ev[0], abs=1e-9 * scale)
    assert hi[-1] == pytest.approx(ev[-1], rel=1e-9)
    H = obj.hessian(W)
    for vals, V in ((lo, V_lo), (hi, V_hi)):
        # Every pair returned is an eigenpair of H (one copy of a repeated value at most).
        np.testing.assert_allclose(np.linalg.norm(V, axis=0), 1.0, rtol=1e-10)
        assert np.abs(H @ V - V * vals).max() < 1e-6 * max(scale, 1.0)
        assert all(np.abs(ev - v).min() < 1e-8 * max(scale, 1.0) for v in vals)


def test_extremes_checks_k():
    op = objective(P).hessian_operator(core.critical_point(P, (0,), seed=1))
    with pytest.raises(ValueError, match="k must be in"):
        krylov.extremes(op, 0)


@pytest.mark.parametrize("subset", SUBSETS[1:])
def test_hessian_directions_by_lanczos_agree_with_eigh(monkeypatch, subset):
    W = core.critical_point(P, subset, seed=2)
    lanczos = geometry.hessian_directions(P, W)  # 544 > DENSE_SMALL_PARAMS: Lanczos
    monkeypatch.setattr(geometry, "DENSE_SMALL_PARAMS", 10**6)
    dense = geometry.hessian_directions(P, W)
    scale = abs(dense[3])
    assert lanczos[2] == pytest.approx(dense[2], abs=1e-9 * scale)
    assert lanczos[3] == pytest.approx(dense[3], rel=1e-9)
    # The top eigenvalue is simple here, so its eigenvector is the same up to sign.
    assert abs(flatten(lanczos[1]) @ flatten(dense[1])) == pytest.approx(1.0, abs=1e-8)


def test_polish_by_minres_reaches_the_saddles_a_run_visits():
    # The explorer's use: each plateau of a small-init run, cut to its rank and polished.
    assert P.n_params > critical.DENSE_SMALL_PARAMS  # the MINRES path
    tr = core.integrate(P, core.init_weights(P, 1e-3, seed=1), 400.0)
    plateaus = core.plateaus(P, tr)
    assert [pl.subset for pl in plateaus][:4] == [(), (0,), (0, 1), (0, 1, 2)]
    rungs = {r.subset: r.value for r in core.ladder(P).rungs}
    for pl in plateaus[1:]:
        pol = core.nearest_critical_point(P, pl.weights, pl.subset)
        assert pol.converged and pol.iterations <= 5
        assert core.classify(P, pol.weights).subset == pl.subset
        assert core.loss(P, pol.weights) == pytest.approx(rungs[pl.subset], rel=1e-10)


def test_a_hessian_that_fits_goes_dense_when_arpack_does_not_converge(monkeypatch):
    """Near the saddle {1} (as at the end of a run) its zero cluster is split into tiny values
    that one ARPACK restart cannot resolve: the split is then the dense one (every eigenvalue,
    exact counts, said as "dense"), not a retry."""
    from scipy.sparse.linalg import ArpackNoConvergence

    from core import spectrum

    rng = np.random.default_rng(0)
    W = [w + 1e-3 * rng.standard_normal(w.shape) for w in core.critical_point(P, (0,), seed=1)]
    obj = objective(P)
    with pytest.raises(ArpackNoConvergence):
        krylov.extremes(obj.hessian_operator(W), spectrum.LANCZOS_K, restarts=1, retry=False)
    monkeypatch.setattr(spectrum, "DENSE_FALLBACK_RESTARTS", 1)
    sp = core.hessian_split(P, W, method="lanczos")
    dense = core.hessian_split(P, W, method="dense")
    assert sp.method == "dense" and sp.counts == dense.counts and None not in sp.counts
    np.testing.assert_allclose(sp.eigenvalues, dense.eigenvalues)
