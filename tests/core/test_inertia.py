"""Counts by inertia (core.inertia, hessian_split(method="inertia")) against every eigenvalue:
constructed spectra with eigenvalues placed on both sides of the tolerance and its margins,
critical points whose counts NOTES.md gives in closed form, and points that are not critical."""

import numpy as np
import pytest
from scipy.linalg import lapack

import core
from core import inertia, spectrum
from core.derivatives import objective


def _with_spectrum(ev, seed=0):
    n = len(ev)
    Q = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))[0]
    return (Q * np.asarray(ev, dtype=float)) @ Q.T


@pytest.mark.parametrize("seed", range(40))
def test_count_below_is_the_number_of_eigenvalues_below(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 90))
    ev = rng.standard_normal(n)
    ev[: n // 3] = 0.0  # a cluster at zero, as at a critical point
    H = _with_spectrum(ev, seed)
    for sigma in (-1.0, -1e-9, 1e-9, 0.3, 5.0):
        assert inertia.count_below(H, sigma) == int(np.sum(np.linalg.eigvalsh(H) < sigma))


def test_two_by_two_pivots_are_counted():
    # Indefinite matrices make Bunch-Kaufman choose 2 x 2 blocks: the count must read them.
    H = _with_spectrum(np.linspace(-3, 3, 60), seed=3)
    _, ipiv, _ = lapack.dsytrf(H.copy(order="F"), lower=1)
    assert (ipiv < 0).any()
    assert inertia.count_below(H, 0.0) == 30


def test_counts_at_a_clean_tolerance_and_near_one():
    tol, m = 1e-6, 10.0
    clean = [-2.0, -5e-5, 0.0, 0.0, 1e-9, -1e-8, 3e-5, 1.0, 4.0]
    c = inertia.counts(_with_spectrum(clean), tol, m)
    assert (c.n_neg, c.n_zero, c.n_pos, c.clean, c.factorisations) == (2, 4, 3, True, 4)
    # An eigenvalue within a decade above the tolerance, one within a decade below -tol: the
    # counts are still those at the tolerance, and the split says it is not clean on each side.
    near = [-2.0, -3e-6, 0.0, 0.0, 1e-9, 5e-7, 3e-6, 1.0]
    c = inertia.counts(_with_spectrum(near), tol, m)
    assert (c.n_neg, c.n_zero, c.n_pos) == (2, 4, 2)
    assert (c.clean_neg, c.clean_pos, c.clean, c.factorisations) == (False, False, False, 6)
    # One side crowded at a time, inside the tolerance (between tol / M and tol): the count at
    # the tolerance, not at the near margin, is the one reported.
    c = inertia.counts(_with_spectrum([-2.0, -5e-7, 0.0, 1.0]), tol, m)
    assert (c.n_neg, c.n_zero, c.n_pos, c.clean_neg, c.clean_pos) == (1, 2, 1, False, True)
    c = inertia.counts(_with_spectrum([-1.0, 0.0, 5e-7, 2.0]), tol, m)
    assert (c.n_neg, c.n_zero, c.n_pos, c.clean_neg, c.clean_pos) == (1, 2, 1, True, False)
    with pytest.raises(ValueError, match="tol must be > 0"):
        inertia.counts(_with_spectrum(near), 0.0, m)


P1 = core.Problem.from_spectrum([4.0, 3.0, 2.0, 1.0], dx=6, widths=(9,))  # H = 1, 90 params
P2 = core.Problem.from_spectrum([8, 6, 4, 3, 2, 1], dx=12, widths=(16, 16))  # H = 2, 544


@pytest.mark.parametrize("subset", [(), (0,), (1, 3), (0, 1, 2), (0, 1, 2, 3)])
def test_h1_critical_points_have_the_corrected_counts(subset):
    W = core.critical_point(P1, subset, seed=2)
    sp = core.hessian_split(P1, W, method="inertia")
    dense = core.hessian_split(P1, W, method="dense")
    assert sp.method == "inertia" and sp.clean and dense.clean
    assert sp.counts == dense.counts == core.predicted_split(P1, subset).counts
    assert sp.scale == pytest.approx(dense.scale, rel=1e-9)
    assert sp.eigenvalues.size == 2 * spectrum.LANCZOS_K


@pytest.mark.parametrize("subset", [(0,), (0, 2), (0, 1, 2, 3, 4, 5)])
def test_deep_critical_points_and_a_point_on_the_way_match_dense(subset):
    W = core.critical_point(P2, subset, seed=1)
    for point in (W, tuple(w + 1e-3 * np.ones_like(w) for w in W)):
        sp = core.hessian_split(P2, point, method="inertia")
        dense = core.hessian_split(P2, point, method="dense")
        assert sp.counts == dense.counts and sp.clean == dense.clean
    assert (
        core.hessian_split(P2, W, method="inertia").n_neg == core.predicted_split(P2, subset).n_neg
    )


def test_the_zero_hessian_and_the_choice_of_auto(monkeypatch):
    zero = tuple(np.zeros(s) for s in P2.shapes)
    sp = core.hessian_split(P2, zero, method="inertia")
    assert sp.counts == (0, P2.n_params, 0)
    # "auto": dense, then inertia while a dense Hessian fits, then Lanczos alone.
    W = core.critical_point(P2, (0,), seed=1)
    monkeypatch.setattr(spectrum, "LANCZOS_MIN_PARAMS", 100)
    assert core.hessian_split(P2, W).method == "inertia"
    monkeypatch.setattr(spectrum, "HESSIAN_MAX_PARAMS", 500)
    assert core.hessian_split(P2, W).method == "lanczos"
    with pytest.raises(ValueError, match="dense Hessian of 544 parameters"):
        core.hessian_split(P2, W, method="inertia")
    assert objective(P2).n_params == 544
