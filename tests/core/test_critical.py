import itertools

import numpy as np
import pytest

import core
from core import (
    FAMILIES,
    Problem,
    classify,
    critical_point,
    gradient,
    hessian_split,
    init_weights,
    integrate,
    ladder,
    loss,
    polish,
    predicted_split,
    q_count,
    stable_manifold_init,
)
from core._weights import flatten


def _subsets(dy):
    return [S for r in range(dy + 1) for S in itertools.combinations(range(dy), r)]


def test_ladder_values_order_and_flags():
    p = Problem.from_spectrum([3.0, 2.0, 1.0], dx=4, widths=(3,))
    lad = ladder(p)
    assert len(lad) == 8 and lad.distinct
    assert [r.subset for r in lad.rungs][:2] == [(), (2,)]
    assert lad.rungs[0].value == pytest.approx(0.5 * 14) and lad.rungs[-1].value == 0.0
    for r in lad.rungs:
        assert r.value == pytest.approx(
            0.5 * sum(s**2 for i, s in enumerate([3, 2, 1]) if i not in r.subset)
        )
        assert r.rank == len(r.subset)
    assert np.all(np.diff(lad.values) <= 0)
    pyth = ladder(Problem.from_spectrum([5.0, 4.0, 3.0], dx=3, widths=(3,)))
    assert not pyth.distinct  # 4^2 + 3^2 = 5^2
    i, j = pyth.close_pairs[0]
    assert {pyth.rungs[i].subset, pyth.rungs[j].subset} == {(0,), (1, 2)}


def test_ladder_includes_offset_for_data_problems():
    p = Problem.random(4, 2, 10, (2,), seed=0)
    assert ladder(p).rungs[-1].value == pytest.approx(p.offset)


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
@pytest.mark.parametrize("family", FAMILIES)
def test_constructed_critical_points_are_critical(depth, family):
    p = Problem.random(5, 3, 9, tuple([4] * depth), seed=depth)
    lad = ladder(p)
    for S in _subsets(p.dy):
        for seed in (None, 7):
            Ws = critical_point(p, S, family=family, seed=seed)
            g = np.linalg.norm(flatten(gradient(p, Ws)))
            assert g < 1e-11 * max(1.0, p.singular_values[0] ** 2), (S, seed, g)
            assert loss(p, Ws) == pytest.approx(lad.for_subset(S).value, rel=1e-12, abs=1e-12)
            c = classify(p, Ws)
            assert c.subset == S and c.rung.subset == S


@pytest.mark.parametrize("case", range(24))
def test_inertia_equals_corrected_proposition5(case):
    rng = np.random.default_rng(case)
    dy = int(rng.integers(1, 4))
    dx = dy + int(rng.integers(0, 3))
    d1 = dy + (case % 3)  # d1 = dy and d1 > dy both covered
    p = Problem.random(dx, dy, dx + 3, (d1,), seed=100 + case)
    for S in _subsets(dy):
        for family in FAMILIES:
            Ws = critical_point(p, S, family=family, seed=case)
            measured = hessian_split(p, Ws)
            pred = predicted_split(p, S)
            assert measured.counts == pred.counts, (dx, dy, d1, S, family)
            assert measured.gap[0] < 1e-10 < measured.gap[1]
            if d1 > dy and len(S) < dy:
                assert pred.printed is not None and pred.printed.counts != pred.counts
            if d1 == dy:
                assert pred.printed is not None and pred.printed.counts == pred.counts


def test_inertia_same_in_original_coordinates():
    p = Problem.random(4, 2, 9, (3,), seed=4)
    for S in _subsets(2):
        red = critical_point(p, S, seed=1)
        a = hessian_split(p, red, flow="reduced").counts
        b = hessian_split(p, p.to_original(red), flow="original").counts
        assert a == b == predicted_split(p, S).counts


def test_deep_minimal_points_and_zero_hessian():
    p = Problem.from_spectrum([4.0, 3.0, 2.0], dx=3, widths=(3, 3))
    zero = hessian_split(p, critical_point(p, ()))
    assert zero.counts == (0, p.n_params, 0) == predicted_split(p, ()).counts
    for S in _subsets(3):
        measured = hessian_split(p, critical_point(p, S))
        assert measured.n_neg == q_count(p, S) == predicted_split(p, S).n_neg
    # Top-r subsets are saddles with no negative eigenvalue.
    assert hessian_split(p, critical_point(p, (0,))).n_neg == 0


def test_prop4iii_rank_condition_forces_negative_curvature():
    p = Problem.from_spectrum([4.0, 3.0], dx=2, widths=(3, 3))
    Ws = list(critical_point(p, (0,)))
    Ws[1] = Ws[1].copy()
    Ws[1][2, 2] = 1.0  # Z = W_2 gains rank on an unused unit, R does not see it
    c = classify(p, Ws)
    assert c.grad_norm < 1e-12 and c.rank_Z > c.rank_R
    assert hessian_split(p, Ws).n_neg >= 1


@pytest.mark.parametrize("depth", [1, 2])
def test_stable_manifold_runs_end_at_intended_saddle(depth):
    p = Problem.from_spectrum([3.0, 2.0, 1.0], dx=3, widths=tuple([3] * depth))
    for S in [(0,), (0, 2), (1, 2)]:
        W0 = stable_manifold_init(p, S, 0.5, seed=1)
        tr = integrate(p, W0, 400.0)
        c = classify(p, polish(p, tr.final_weights).weights)
        assert c.subset == S and c.rung.subset == S and not c.is_global_min
    kicked = integrate(p, stable_manifold_init(p, (0,), 0.5, seed=1, perturbation=1e-3), 400.0)
    assert classify(p, kicked.final_weights).is_global_min


def test_polish_reduces_gradient_by_orders_of_magnitude():
    p = Problem.from_spectrum([3.0, 2.0], dx=3, widths=(3,))
    Ws = critical_point(p, (1,), family="input", seed=3)
    rng = np.random.default_rng(0)
    near = tuple(W + 1e-4 * rng.standard_normal(W.shape) for W in Ws)
    pol = polish(p, near)
    assert pol.grad_norm_before > 1e-5 and pol.grad_norm_after < 1e-12 and pol.converged
    assert classify(p, pol.weights).subset == (1,)
    # End of a finite-time run at a global minimum.
    tr = integrate(p, init_weights(p, 0.5, seed=0), 3.0)
    pol = polish(p, tr.final_weights)
    assert pol.grad_norm_after < 1e-6 * pol.grad_norm_before
    assert classify(p, pol.weights).is_global_min


def test_polish_stops_at_its_time_budget():
    """Issue 16: polishing a 1,350-parameter point took 13-17 s of a request."""
    import time

    p = Problem.random(24, 6, 200, (15,) * 5, seed=0)
    far = init_weights(p, 0.3, seed=1)  # nowhere near the critical set: many Newton steps
    t0 = time.perf_counter()
    pol = polish(p, far, max_seconds=0.05)
    took = time.perf_counter() - t0
    # MINRES steps of 1,350 parameters take ~10 ms: it stopped after a few of its 40.
    unbounded = polish(p, far)
    assert took < 0.5 and 1 <= pol.iterations < unbounded.iterations and not pol.converged
    assert polish(p, far, max_seconds=0.0).iterations == 0


def test_classify_reports_distance_to_least_squares():
    p = Problem.random(4, 2, 9, (2,), seed=1)
    Ws = critical_point(p, (0, 1), seed=2)
    c = classify(p, Ws)
    assert c.is_global_min and c.distance_to_w_ls < 1e-10 and c.label == "{1,2}"
    c0 = classify(p, critical_point(p, ()))
    assert c0.distance_to_w_ls == pytest.approx(np.linalg.norm(p.w_ls))
    with pytest.raises(ValueError, match="subset indices"):
        critical_point(p, (5,))


def test_lanczos_split_agrees_with_dense_extremes(monkeypatch):
    import core.spectrum as spectrum

    p = Problem.from_spectrum([5.0, 4.0, 3.0, 2.0], dx=6, widths=(8,))
    Ws = critical_point(p, (1, 3), seed=2)
    dense = hessian_split(p, Ws)
    monkeypatch.setattr(spectrum, "LANCZOS_K", 6)
    lz = hessian_split(p, Ws, method="lanczos")
    assert lz.method == "lanczos" and lz.n_zero is None and lz.n_pos is None
    assert lz.n_neg == 6 < dense.n_neg  # all 6 computed are negative: a lower bound
    assert lz.neg_text == ">= 6" and dense.neg_text == str(dense.n_neg)
    minimum = hessian_split(p, critical_point(p, (0, 1, 2, 3), seed=2), method="lanczos")
    assert minimum.n_neg == 0 and minimum.neg_text == "0"  # the smallest is found: exact
    # Every Lanczos eigenvalue is an eigenvalue; the extremes are found.
    gaps = np.abs(lz.eigenvalues[:, None] - dense.eigenvalues[None, :]).min(axis=1)
    assert gaps.max() < 1e-8
    assert lz.eigenvalues[0] == pytest.approx(dense.eigenvalues[0])
    assert lz.eigenvalues[-1] == pytest.approx(dense.eigenvalues[-1])
    monkeypatch.setattr(spectrum, "LANCZOS_K", 24)  # more than n_neg: the count is exact
    assert hessian_split(p, Ws, method="lanczos").n_neg == dense.n_neg
    assert dense.n_neg == predicted_split(p, (1, 3)).n_neg


def test_lanczos_extremes_agree_with_the_dense_spectrum():
    p = Problem.from_spectrum([12.0, 10.0, 8.0, 7.0], dx=8, widths=(6, 6))
    tr = integrate(p, init_weights(p, 1e-3, seed=0), 30.0)  # on the {1} plateau: a saddle
    dense = hessian_split(p, tr.final_weights, method="dense")
    lanczos = hessian_split(p, tr.final_weights, method="lanczos")
    assert lanczos.method == "lanczos" and lanczos.n_zero is None
    k = lanczos.eigenvalues.size // 2
    scale = dense.scale
    np.testing.assert_allclose(lanczos.eigenvalues[:k], dense.eigenvalues[:k], atol=1e-8 * scale)
    np.testing.assert_allclose(lanczos.eigenvalues[k:], dense.eigenvalues[-k:], atol=1e-8 * scale)
    assert lanczos.n_neg == min(dense.n_neg, k) > 0  # a lower bound: k eigenvalues per end
    assert lanczos.scale == pytest.approx(scale, rel=1e-10)
    with pytest.raises(ValueError, match="method must be one of"):
        hessian_split(p, tr.final_weights, method="ldl")


def test_a_non_minimal_critical_point_is_not_given_the_minimal_count():
    """H = 2, type {1}: the minimal point has n_neg = q(S) = 0, but adding to W_2 a piece that
    W_3 and W_1 both annihilate keeps it critical with rank Z = 2 > rank R = 1, where Prop 4 iii
    forces a negative eigenvalue (two are measured). Theory then says n_neg >= 1, not 0."""
    p = core.Problem.from_spectrum([3.0, 2.0, 1.0], dx=4, widths=(5, 5))
    W = [w.copy() for w in core.critical_point(p, (0,), seed=1)]
    rng = np.random.default_rng(0)

    def orthogonal(a):
        x = rng.standard_normal(a.size)
        x -= (x @ a) / (a @ a) * a
        return x / np.linalg.norm(x)

    W[1] = W[1] + 0.5 * np.outer(orthogonal(W[2][0]), orthogonal(W[0][:, 0]))
    assert max(np.abs(g).max() for g in core.gradient(p, W)) < 1e-12  # still critical
    cls = core.classify(p, W)
    assert (cls.subset, cls.rank_R, cls.rank_Z) == ((0,), 1, 2)
    measured = core.hessian_split(p, W)
    assert measured.clean and measured.n_neg == 2
    minimal = core.predicted_split(p, cls.subset)
    assert minimal.n_neg == 0  # the minimal point's count, which this point does not have
    pr = core.predicted_split(p, cls.subset, ranks=(cls.rank_R, cls.rank_Z))
    assert pr.n_neg is None and pr.n_neg_min == 1 and pr.neg_text == ">= 1"
    assert "Prop 4 iii" in pr.source and measured.n_neg >= pr.n_neg_min
    same = core.critical_point(p, (0,), seed=1)
    c0 = core.classify(p, same)
    assert core.predicted_split(p, (0,), ranks=(c0.rank_R, c0.rank_Z)).n_neg == 0
