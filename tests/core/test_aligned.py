"""Closed forms for aligned, balanced starts (Saxe et al. 2014), against integrate and against
quadrature; the aligned start itself; plateau-exit estimates against measured exits."""

import numpy as np
import pytest
from scipy.integrate import quad

import core
from core.aligned import _scalar_ode, aligned_weights, time_to_half


def _whitened_rotated(seed=0):
    """Whitened data (X X^T = I) with nontrivial U_X, V_Y: the two flows differ in coordinates
    but coincide as flows."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((7, 4)))
    Y = np.diag([3.0, 2.0, 1.0]) @ np.linalg.qr(rng.standard_normal((4, 4)))[0][:3] @ q.T
    return q.T, Y


@pytest.mark.parametrize("H", [1, 2, 3])
@pytest.mark.parametrize("flow", ["reduced", "original"])
@pytest.mark.parametrize("data", ["spectrum", "rotated"])
def test_integrate_from_the_aligned_start_matches_the_closed_form(H, flow, data):
    if data == "spectrum":
        p = core.Problem.from_spectrum([3.0, 2.0, 1.0], dx=4, widths=(4,) * H)
    else:
        p = core.Problem.from_data(*_whitened_rotated(H), widths=(5,) * H)
    assert p.is_whitened
    u0 = np.array([1e-2, 3e-3, 5.0])  # the last starts above its s: it comes down
    W0 = core.init_weights(p, 0.0, kind="aligned", strengths=u0)
    t = np.linspace(0.0, 15.0 * H**2, 301)
    start = p.to_original(W0) if flow == "original" else W0
    run = core.integrate(p, start, float(t[-1]), flow=flow, t_eval=t, rtol=1e-12)
    theory = core.aligned_solution(p, u0, t)
    strengths = core.mode_coordinates(p, run).diag
    assert np.abs(strengths - theory.strengths).max() < 1e-7
    assert np.abs(run.loss - theory.loss).max() < 1e-7
    assert theory.strengths[-1] == pytest.approx(p.singular_values, abs=1e-6)  # all learned


def test_the_scalar_equation_is_solved_to_1e12():
    p = core.Problem.from_spectrum([3.0, 1.0, 0.2], dx=3, widths=(3,))
    u0 = np.array([1e-6, 0.4, 2.0])
    t = np.concatenate([[0.0], np.geomspace(1e-3, 200.0, 60)])
    # N = 2 through the general equation against the logistic.
    ode = _scalar_ode(p.singular_values, u0, t, 2)
    closed = core.aligned_solution(p, u0, t).strengths
    assert np.abs(ode - closed).max() < 1e-12 * p.singular_values.max()
    # N = 3, 4 against quadrature of t(u) = int_u0^u dv / (N v^(2-2/N) (s - v)), written in
    # y = log(s/v - 1): t = 1/(N s^(2-2/N)) int_y(u)^y(u0) (1 + e^y)^(1-2/N) dy.
    s, u0 = 2.0, 0.05
    for N in (3, 4):
        times = np.array([0.2, 0.8, 1.1, 1.6])
        u = _scalar_ode(np.array([s]), np.array([u0]), times, N)[:, 0]
        assert u[0] < 0.1 and u[-1] > 1.7 and u[-1] < 0.999 * s  # across the transition
        power = 1 - 2 / N
        for tk, uk in zip(times, u, strict=True):
            y = lambda v: np.log(s / v - 1.0)  # noqa: E731
            area, _ = quad(lambda z, a=power: (1 + np.exp(z)) ** a, y(uk), y(u0), epsrel=1e-14)
            back = area / (N * s ** (2 - 2 / N))
            rate = N * uk ** (2 - 2 / N) * (s - uk)  # du/dt: a time error dt moves u by rate dt
            assert abs(back - tk) * rate < 1e-12 * s


def test_modes_at_zero_or_at_their_value_stay_put():
    p = core.Problem.from_spectrum([2.0, 1.0], dx=2, widths=(2, 2))
    sol = core.aligned_solution(p, [0.0, 1.0], [0.0, 10.0, 1e4])
    assert sol.strengths.tolist() == [[0.0, 1.0]] * 3
    assert sol.loss.tolist() == [2.0] * 3  # 1/2 s_1^2: mode 1 never starts
    assert "scalar equation" in sol.method and sol.depth == 2


def test_the_aligned_start():
    p = core.Problem.from_spectrum([3.0, 2.0], dx=3, widths=(4, 3))
    W = core.init_weights(p, 0.2, kind="aligned")
    np.testing.assert_allclose(np.diagonal(core.end_to_end(W)), 0.2**3)
    assert all(np.abs(C).max() < 1e-15 for C in core.invariants(W))
    W = aligned_weights(p, [1e-3, 8.0])
    np.testing.assert_allclose(np.diagonal(core.end_to_end(W)), [1e-3, 8.0])
    assert "aligned" in core.INIT_KINDS
    from core.basins import SWEEP_KINDS

    assert "aligned" not in SWEEP_KINDS  # not a random start: nothing to sweep
    with pytest.raises(ValueError, match="strengths are the aligned"):
        core.init_weights(p, 0.1, kind="gaussian", strengths=[1.0, 1.0])
    with pytest.raises(ValueError, match=">= 0"):
        core.aligned_solution(p, [-1.0, 1.0], [0.0])
    with pytest.raises(ValueError, match="depth"):
        core.aligned_solution(p, 1e-3, [0.0], depth=0)


def _exits(p, run):
    diag = core.mode_coordinates(p, run).diag
    out = []
    for k, s in enumerate(p.singular_values):
        i = int(np.flatnonzero(diag[:, k] > s / 2)[0])
        out.append(np.interp(s / 2, diag[i - 1 : i + 1, k], run.t[i - 1 : i + 1]))
    return np.array(out)


def test_h1_exit_estimates_come_from_the_linear_phase():
    p = core.Problem.from_spectrum([4.0, 2.0, 1.0], dx=4, widths=(6,))
    for eps in (1e-3, 1e-6):
        for seed in (0, 1):
            W0 = core.init_weights(p, eps, seed=seed)
            est = core.plateau_exits(p, W0)
            measured = _exits(p, core.integrate(p, W0, 40.0, rtol=1e-10))
            assert est.times[0] == pytest.approx(measured[0], rel=0.01)  # exact, asymptotically
            assert np.all(np.abs(est.times / measured - 1) < 0.15)


def test_deep_exit_estimates_scale_as_one_over_eps_to_the_h_minus_1():
    p = core.Problem.from_spectrum([4.0, 2.0, 1.0], dx=4, widths=(6, 6))
    W0 = core.init_weights(p, 1.0, seed=1)
    small = [tuple(1e-2 * w for w in W0), tuple(1e-3 * w for w in W0)]
    est = [core.plateau_exits(p, W).times for W in small]
    np.testing.assert_allclose(est[1] / est[0], 10.0, rtol=0.03)  # up to O(1) in t
    measured = [_exits(p, core.integrate(p, W, 5e3, rtol=1e-9)) for W in small]
    np.testing.assert_allclose(measured[1] / measured[0], 10.0, rtol=0.03)
    ratio = measured[0] / est[0]
    assert 0.5 < ratio[0] < 2.5 and np.all(ratio < 5)  # the constant is an estimate
    assert time_to_half(2.0, 0.0, 2) == np.inf and time_to_half(2.0, 1.5, 3) == 0.0
