import numpy as np
import pytest

from core import (
    Problem,
    classify,
    critical_point,
    direction_to,
    hessian_directions,
    hessian_split,
    init_weights,
    integrate,
    loss,
    mode_coordinates,
    pca_projection,
    plateaus,
    polish,
    project_onto_plane,
    random_direction,
    slice_2d,
)
from core._weights import unflatten
from core.derivatives import objective
from core.trajectory import build_trajectory


@pytest.mark.parametrize(("widths", "scale", "t_max"), [((4,), 1e-8, 60.0), ((4, 4), 1e-2, 600.0)])
def test_small_init_visits_greedy_plateaus(widths, scale, t_max):
    p = Problem.from_spectrum([4.0, 2.0, 1.0], dx=4, widths=widths)
    tr = integrate(p, init_weights(p, scale, seed=0), t_max)
    seq = [pl.subset for pl in plateaus(p, tr)]
    assert seq == [(), (0,), (0, 1)]  # the saddles; the stay at the minimum is the run's end
    for pl in plateaus(p, tr):
        assert pl.rung.subset == pl.subset and pl.t_enter <= pl.t_point <= pl.t_exit
        # The saddle visited: polishing the closest approach lands on that critical set.
        c = classify(p, polish(p, pl.weights).weights)
        assert c.subset == pl.subset


def test_plateau_transitions_shift_with_log_init_for_h1():
    p = Problem.from_spectrum([4.0, 2.0], dx=2, widths=(2,))
    exits = []
    for eps in (1e-3, 1e-5):
        tr = integrate(p, init_weights(p, eps, seed=3), 100.0)
        exits.append(plateaus(p, tr)[0].t_exit)
    # Each transition shifts by about ln(1/eps)/s_1 per factor of eps (NOTES.md).
    shift = (exits[1] - exits[0]) / np.log(100.0)
    assert shift == pytest.approx(1.0 / 4.0, rel=0.25)


def test_mode_coordinates_corners_and_scalar_hyperbolas():
    p = Problem.from_spectrum([3.0, 2.0, 1.0], dx=3, widths=(3,))
    tr = integrate(p, init_weights(p, 0.1, seed=0), 30.0)
    mc = mode_coordinates(p, tr)
    assert len(mc.corners) == 8 and mc.diag.shape == (tr.n_samples, 3)
    np.testing.assert_allclose(mc.diag[-1], [3.0, 2.0, 1.0], rtol=1e-6)
    assert mc.offdiag[-1] < 1e-6 and mc.scalar is None
    chain = Problem.from_spectrum([2.0], dx=1, widths=(1,))
    tr = integrate(chain, (np.array([[0.3]]), np.array([[-0.1]])), 20.0)
    mc = mode_coordinates(chain, tr)
    w1, w2 = mc.scalar[:, 0], mc.scalar[:, 1]
    np.testing.assert_allclose(w2**2 - w1**2, mc.levels[0], atol=1e-7)  # on one hyperbola
    assert w1[-1] * w2[-1] == pytest.approx(2.0, rel=1e-6)


def test_pca_distance_zero_for_planar_trajectory_and_positive_otherwise():
    p = Problem.from_spectrum([2.0, 1.0], dx=2, widths=(2,))
    obj = objective(p)
    rng = np.random.default_rng(0)
    base, u, v = (rng.standard_normal(p.n_params) for _ in range(3))
    a = np.linspace(0, 1, 50)
    planar = base + np.outer(np.cos(3 * a), u) + np.outer(a**2, v)
    tr = build_trajectory(obj, a, planar, status="t_max", message="", nfev=0, njev=0, wall_time=0.0)
    pca = pca_projection(tr, k=2)
    assert pca.distance.max() < 1e-12 and pca.explained.sum() == pytest.approx(1.0)
    real = integrate(p, init_weights(p, 0.3, seed=1), 10.0)
    assert pca_projection(real, k=2).distance.max() > 1e-6


def test_slice_center_matches_loss_and_saddle_escape_is_a_valley():
    p = Problem.from_spectrum([12.0, 10.0, 8.0, 7.0], dx=8, widths=(6, 6))
    saddle = critical_point(p, (0, 2), seed=1)  # q({1,3}) = 1: one escape direction
    neg, pos, lneg, lpos = hessian_directions(p, saddle)
    assert lneg < 0 < lpos and hessian_split(p, saddle).n_neg == 1
    sl = slice_2d(p, saddle, neg, pos, extent=0.05, n=101)
    c = sl.loss.shape[0] // 2
    assert sl.loss[c, c] == pytest.approx(loss(p, saddle), rel=1e-12)
    assert sl.loss[c, c + 10] < sl.loss[c, c] and sl.loss[c, c - 10] < sl.loss[c, c]  # valley
    assert sl.loss[c + 10, c] > sl.loss[c, c]  # rises along the positive direction
    # A direct evaluation of one off-centre grid point.
    W = tuple(
        s + sl.alphas[3] * a + sl.betas[7] * b for s, a, b in zip(saddle, neg, pos, strict=True)
    )
    assert sl.loss[7, 3] == pytest.approx(loss(p, W), rel=1e-12)


def test_plane_projection_and_directions():
    p = Problem.from_spectrum([2.0, 1.0], dx=2, widths=(2,))
    tr = integrate(p, init_weights(p, 0.2, seed=0), 20.0)
    end = tr.final_weights
    d1 = direction_to(p, tr.weights_at(0), end)
    d2 = random_direction(p, end, seed=1)
    for a, b in zip(d2, end, strict=True):
        assert np.linalg.norm(a) == pytest.approx(np.linalg.norm(b))
    sl = slice_2d(p, tr.weights_at(0), d1, d2, extent=1.0, n=5)
    coords, dist = project_onto_plane(tr, sl)
    assert dist[0] == pytest.approx(0.0, abs=1e-12) and dist[-1] < 1e-9  # end lies on the plane
    assert coords.shape == (tr.n_samples, 2)


@pytest.mark.parametrize("depth", [1, 2, 5])
@pytest.mark.parametrize("flow", ["reduced", "original"])
def test_slice_equals_the_loss_at_each_grid_point(depth, flow):
    # The slice sums the product's polynomial coefficients; the loss multiplies the layers.
    import core

    p = core.Problem.random(dx=5, dy=3, m=12, widths=(4,) * depth, seed=depth)
    c = core.init_weights(p, 0.6, seed=0)
    d1, d2 = (core.random_direction(p, c, seed=s) for s in (1, 2))
    sl = core.slice_2d(p, c, d1, d2, extent=0.8, n=9, flow=flow)
    for ib in range(0, 9, 2):
        for ia in range(0, 9, 2):
            th = sl.center + sl.alphas[ia] * sl.d1 + sl.betas[ib] * sl.d2
            want = core.loss(p, unflatten(th, p.shapes), flow=flow)
            assert sl.loss[ib, ia] == pytest.approx(want, rel=1e-12)
