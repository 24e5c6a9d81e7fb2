import numpy as np
import pytest
from scipy.integrate import quad

from core import (
    Problem,
    end_to_end,
    exponential_rate,
    gradient_descent,
    init_weights,
    integrate,
)

RTOL = 1e-8


def _aligned_balanced(p: Problem, a0: np.ndarray):
    """Whitened aligned balanced start: every layer carries diag(a0) on the first dy units."""
    Ws = []
    for rows, cols in p.shapes:
        W = np.zeros((rows, cols))
        W[np.arange(p.dy), np.arange(p.dy)] = a0
        Ws.append(W)
    return tuple(Ws)


def test_saxe_closed_form_h1():
    """H = 1: mode strengths u_i = a_i^2 follow the logistic u' = 2 u (s - u) (Saxe et al. 2014)."""
    s = np.array([3.0, 2.0, 0.5])
    p = Problem.from_spectrum(s, dx=4, widths=(3,))
    u0 = np.array([1e-3, 2e-3, 1e-2])
    t = np.linspace(0.0, 12.0, 61)
    tr = integrate(p, _aligned_balanced(p, np.sqrt(u0)), 12.0, rtol=RTOL, t_eval=t)
    e = np.exp(2 * np.outer(t, s))
    exact = s * u0 * e / (s + u0 * (e - 1))
    P = tr.weights[1] @ tr.weights[0]
    got = np.diagonal(P, axis1=1, axis2=2)[:, :3]
    err = np.abs(got - exact) / (RTOL * np.maximum(exact, 1e-3))
    assert err.max() < 100  # global error in units of the tolerance


def test_saxe_quadrature_oracle_h2():
    """H = 2: u' = 3 u^{4/3} (s - u); the time to reach u is an integral, evaluated by quad."""
    s, u0 = 2.0, 1e-3
    p = Problem.from_spectrum([s], dx=1, widths=(1, 1))
    targets = np.array([0.01, 0.1, 0.5, 1.0, 1.5, 1.9])
    times = np.array(
        [
            quad(lambda u: 1.0 / (3 * u ** (4 / 3) * (s - u)), u0, v, epsabs=1e-13, epsrel=1e-13)[0]
            for v in targets
        ]
    )
    a0 = np.array([u0 ** (1 / 3)])
    tr = integrate(p, _aligned_balanced(p, a0), times[-1], rtol=RTOL, t_eval=times)
    got = end_to_end(tuple(W[:, :, :] for W in tr.weights))[:, 0, 0]
    assert np.abs(got - targets).max() / RTOL < 1000


@pytest.mark.parametrize("flow", ["reduced", "original"])
def test_invariants_conserved_loss_decreasing(flow):
    p = Problem.random(5, 3, 12, (4, 3), seed=2)
    W0 = init_weights(p, 0.5, seed=4)
    tr = integrate(p, W0, 50.0, flow=flow, rtol=RTOL)
    assert tr.status == "converged", tr.message
    assert tr.invariant_drift.max() < 1e-2 * RTOL * 1e3  # well below 10 x rtol, relative
    assert np.all(np.diff(tr.loss) <= 1e-9 * tr.loss[0])
    assert tr.grad_norm[-1] < 1e-7
    assert tr.loss[-1] == pytest.approx(p.offset, rel=1e-8, abs=1e-10)
    assert tr.t[0] == 0.0 and tr.t[-1] == tr.t_end


def test_default_sampling_dense_on_log_grid():
    p = Problem.from_spectrum([2.0, 1.0], 2, (2,))
    tr = integrate(p, init_weights(p, 1e-3, seed=0), 30.0, gtol=0.0)
    assert tr.status == "t_max" and tr.t[-1] == 30.0 and tr.t[0] == 0.0
    assert 900 <= tr.n_samples <= 1001
    assert np.sum(tr.t < 0.03) > 100  # log-spaced part covers early decades


def test_flows_agree_when_whitened_and_differ_otherwise():
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.standard_normal((10, 4)))
    Y = rng.standard_normal((2, 10))
    white = Problem.from_data(q.T, Y, (3,))
    generic = Problem.from_data(q.T * np.array([[3.0], [1.0], [0.5], [0.2]]), Y, (3,))
    t = np.linspace(0, 3, 31)
    for p, agree in ((white, True), (generic, False)):
        W0 = init_weights(p, 0.3, seed=1)
        orig = integrate(p, W0, 3.0, flow="original", t_eval=t, rtol=1e-10)
        red = integrate(p, p.to_reduced(W0), 3.0, flow="reduced", t_eval=t, rtol=1e-10)
        rel = np.abs(orig.loss - red.loss).max() / np.abs(orig.loss).max()
        assert (rel < 1e-8) if agree else (rel > 1e-2), rel


def test_stiff_small_init_deep_case_bounded_work(p1):
    W0 = init_weights(p1, 1e-3, seed=0)
    implicit = integrate(p1, W0, 200.0, rtol=RTOL, method="LSODA")
    assert implicit.status == "converged"
    assert implicit.nfev < 8000  # DOP853 needs ~30,000 evaluations here
    assert implicit.loss[-1] < 1e-12
    # The compiled explicit kernel pays the stiffness in steps, at most the stability bound
    # rho t_max / 3 (rho ~ 82 at the minimum) of 6 evaluations each, not more.
    explicit = integrate(p1, W0, 200.0, rtol=RTOL)
    assert explicit.method == "compiled-DP5" and explicit.status == "converged"
    assert explicit.nfev < 6 * 1.1 * (3 * 12 ** (4 / 3)) * 200 / 3
    assert explicit.loss[-1] < 1e-12


def test_rkc_handles_large_problem_and_conserves_invariants():
    p = Problem.from_spectrum(np.linspace(10, 4, 8), dx=12, widths=(10, 10))
    W0 = init_weights(p, 1e-2, seed=0)
    tr = integrate(p, W0, 60.0, method="RKC", rtol=1e-8)
    ref = integrate(p, W0, 60.0, method="LSODA", rtol=1e-11, t_eval=tr.t)
    assert tr.method == "RKC" and tr.status == "converged"
    assert np.abs(tr.loss - ref.loss).max() / ref.loss.max() < 1e-4
    assert tr.invariant_drift.max() < 1e-4


def test_gradient_descent_drifts_and_diverges():
    p = Problem.random(4, 2, 10, (3,), seed=0)
    W0 = init_weights(p, 0.3, seed=1)
    lmax = np.linalg.eigvalsh(__import__("core").hessian(p, W0)).max()
    small = gradient_descent(p, W0, lr=1e-4, steps=2000)
    large = gradient_descent(p, W0, lr=0.5 / lmax, steps=2000)
    assert small.method == "gd" and small.t[-1] == pytest.approx(2000 * 1e-4)
    assert small.invariant_drift.max() < 1e-4
    assert large.invariant_drift.max() > 10 * small.invariant_drift.max()
    np.testing.assert_allclose(large.t, large.t.round(12))
    assert large.t[1] == pytest.approx(0.5 / lmax)
    blow = gradient_descent(p, W0, lr=100.0, steps=500)
    assert blow.status == "diverged" and "too large for the curvature" in blow.message
    # Heavy ball against its recursion written out by hand.
    lr, beta = 0.1 / lmax, 0.9
    mom = gradient_descent(p, W0, lr=lr, steps=3, momentum=beta)
    W, v = [np.array(w) for w in W0], [np.zeros_like(w) for w in W0]
    for _ in range(3):
        g = __import__("core").gradient(p, W)
        v = [beta * vi - lr * gi for vi, gi in zip(v, g, strict=True)]
        W = [wi + vi for wi, vi in zip(W, v, strict=True)]
    for a, b in zip(mom.final_weights, W, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13)


def test_gradient_descent_approaches_flow_as_step_shrinks():
    p = Problem.random(3, 2, 8, (2,), seed=5)
    W0 = init_weights(p, 0.5, seed=2)
    flow = integrate(p, W0, 2.0, t_eval=[2.0], rtol=1e-10)
    errs = [
        abs(gradient_descent(p, W0, lr=2.0 / n, steps=n).loss[-1] - flow.loss[-1])
        for n in (200, 400, 800)
    ]
    assert errs[0] / errs[1] == pytest.approx(2.0, rel=0.1)  # first order in the step
    assert errs[1] / errs[2] == pytest.approx(2.0, rel=0.1)


def _pyramidal_start(p: Problem, first: float = 0.02, last: float = 2.0):
    """Layer scales growing towards the output, the first seed whose C_l qualify."""
    scales = np.geomspace(first, last, p.depth + 1)
    for seed in range(50):
        rng = np.random.default_rng(seed)
        W0 = tuple(c * rng.standard_normal(s) for c, s in zip(scales, p.shapes, strict=True))
        if exponential_rate(p, W0).holds:
            return W0
    raise AssertionError("no start satisfying Proposition 2 among 50 seeds")


@pytest.mark.parametrize("widths", [(3,), (4, 3), (5, 4, 3)])
def test_proposition2_bound_holds_along_trajectories(widths):
    p = Problem.random(4, 2, 9, widths, seed=1)
    W0 = _pyramidal_start(p)
    rate = exponential_rate(p, W0)
    assert rate.holds, rate.reason
    tr = integrate(p, W0, 10.0, rtol=1e-10, t_eval=np.linspace(0, 10, 201))
    m_sq = 2 * (tr.loss - p.offset)
    assert np.all(m_sq <= rate.bound(tr.t) * (1 + 1e-6) + 1e-14)
    assert rate.m0_sq == pytest.approx(m_sq[0])


def test_proposition2_reports_what_fails():
    p = Problem.random(4, 2, 9, (3, 4), seed=1)
    r = exponential_rate(p, init_weights(p, 0.1, seed=0))
    assert not r.holds and not r.pyramidal and "pyramidal" in r.reason
    p = Problem.random(4, 2, 9, (4, 3), seed=1)
    W0 = _pyramidal_start(p)
    W0 = (10 * W0[0], W0[1], W0[2])  # a large input layer makes C_1 lose positivity
    r = exponential_rate(p, W0)
    assert not r.holds and 1 in r.failing and "lambda_1" in r.reason
    assert np.isnan(r.bound([0.0, 1.0])).all()


def test_time_budget_stops_runs_cleanly(p1):
    W0 = init_weights(p1, 1e-3, seed=0)
    tr = integrate(p1, W0, 200.0, method="RKC", max_seconds=0.05)
    assert tr.status == "budget" and "time budget" in tr.message and tr.t_end < 200.0
    assert tr.n_samples >= 2 and np.all(np.isfinite(tr.loss))
    gd = gradient_descent(p1, W0, lr=1e-3, steps=2_000_000, max_seconds=0.05)
    assert gd.status == "budget" and "time budget" in gd.message


def test_a_tiny_start_is_on_the_origin_plateau_not_converged():
    # H = 2 at scale 1e-5: ||grad L|| ~ 1e-10 at t = 0, but the run sits on the origin's plateau
    # (a degenerate saddle) and must keep going until it escapes: at t_max it is reported as
    # sitting at the saddle {}, by the flow and by GD.
    p = Problem.from_spectrum([4.0, 2.0, 1.0], dx=4, widths=(4, 4))
    W0 = init_weights(p, 1e-5, seed=0)
    short = integrate(p, W0, t_max=50.0)
    assert short.status == "saddle" and short.saddle == () and short.t[-1] == 50.0
    assert "plateau of the saddle {}" in short.message and "raise t_max" in short.message
    steps = gradient_descent(p, W0, lr=0.05, steps=200)
    assert steps.status == "saddle" and steps.t[-1] == pytest.approx(10.0)
    # An exact critical point that is not the global minimum stays put, and is a saddle.
    zero = tuple(np.zeros_like(w) for w in W0)
    assert integrate(p, zero, t_max=50.0).status == "saddle"
    assert gradient_descent(p, zero, lr=0.05, steps=10).status == "saddle"
