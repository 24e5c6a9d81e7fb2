"""Where a run ends, said truly: every statement about a run's end against a case whose answer
is known (the stopping rule of core.stopping, plateaus from the solution, momentum's time axis,
the Hessian at a plateau's critical point, the kernel's boundary, accuracy as asked)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import core
from core import kernel
from core._weights import flatten, unflatten
from core.derivatives import objective
from core.stopping import StopRule

DEEP = [((2.5, 1.3, 0.6), (3, 3)), ((4.0, 2.0, 1.0), (4, 4)), ((4.0, 2.0, 1.0), (4, 4, 4))]


@pytest.mark.parametrize(("spectrum", "widths"), DEEP)
@pytest.mark.parametrize("scale", [1e-3, 1e-4, 1e-6])
@pytest.mark.parametrize("seed", [0, 1])
def test_deep_small_init_runs_are_never_converged_above_the_minimum(spectrum, widths, scale, seed):
    p = core.Problem.from_spectrum(spectrum, dx=4, widths=widths)
    W0 = core.init_weights(p, scale, seed=seed)
    rule = StopRule.for_problem(p)
    plateau_time = scale ** -(p.depth - 1)  # ~1/eps^(H-1): the first plateau's length
    for t_max in (0.3 * plateau_time, 3.0 * plateau_time):  # mid-staircase: must not stop
        tr = core.integrate(p, W0, t_max)
        assert tr.status != "converged" or tr.excess[-1] < rule.ltol, tr
        if tr.status == "saddle":
            assert core.ladder(p).for_subset(tr.saddle).reduced_value == pytest.approx(
                tr.excess[-1], rel=0.05
            )
    done = core.integrate(p, W0, 1e3 * plateau_time)
    assert done.status == "converged", done.message
    assert done.excess[-1] <= 1e-8 * done.loss[0]
    seq = [pl.subset for pl in core.plateaus(p, done)]
    assert seq == [tuple(range(k)) for k in range(p.dy)]  # the greedy staircase of saddles


def test_the_issue_reproducer_is_told_truly():
    p = core.Problem.from_spectrum([2.5, 1.3, 0.6], dx=5, widths=(3, 3))
    W0 = core.init_weights(p, 1e-5, seed=0)
    tr = core.integrate(p, W0, 2e6)
    assert tr.status == "converged" and tr.loss[-1] < 1e-12
    short = core.integrate(p, W0, 5e4)  # on the {1} plateau at t ~ 4e4 .. 8e4
    assert short.status == "saddle" and short.saddle == (0,)
    assert "{1}" in short.message and "may still escape" in short.message
    # Gradient descent, the same rule: on the {1} plateau it is a saddle, not "converged".
    # From 1e-4 the {1} plateau spans t ~ 4e3 .. 8e3: 100,000 steps of 0.05 end on it.
    W1 = core.init_weights(p, 1e-4, seed=0)
    gd = core.gradient_descent(p, W1, lr=0.05, steps=100_000)
    assert gd.status == "saddle" and gd.saddle == (0,), gd.message


def test_gradient_descent_at_small_steps_reaches_the_minimum():
    p = core.Problem.from_spectrum([4.0, 2.0, 1.0], dx=4, widths=(4, 4))
    W0 = core.init_weights(p, 1e-2, seed=0)
    gd = core.gradient_descent(p, W0, lr=0.05, steps=200_000)
    assert gd.status == "converged" and gd.excess[-1] < StopRule.for_problem(p).ltol
    assert [pl.subset for pl in core.plateaus(p, gd)] == [(), (0,), (0, 1)]


@pytest.mark.parametrize("subset", [(0,), (0, 2), (1, 2)])
@pytest.mark.parametrize("depth", [1, 2])
def test_stable_manifold_starts_end_at_their_saddle(subset, depth):
    p = core.Problem.from_spectrum([3.0, 2.0, 1.0], dx=3, widths=(3,) * depth)
    W0 = core.stable_manifold_init(p, subset, 0.5, seed=3)
    tr = core.integrate(p, W0, 200.0)
    assert tr.status == "saddle" and tr.saddle == subset, tr.message
    assert tr.excess[-1] == pytest.approx(core.ladder(p).for_subset(subset).reduced_value)


def test_momentum_approaches_the_flow_on_its_own_time_axis():
    p = core.Problem.random(3, 2, 8, (2,), seed=5)
    W0 = core.init_weights(p, 0.5, seed=2)
    T, beta = 2.0, 0.9
    flow = core.integrate(p, W0, T, t_eval=[T], rtol=1e-11)
    errs = []
    for n in (2000, 4000, 8000):
        lr = T * (1 - beta) / n  # n steps of eta / (1 - beta) reach t = T
        mom = core.gradient_descent(p, W0, lr=lr, steps=n, momentum=beta)
        assert mom.t[-1] == pytest.approx(T) and mom.method == "momentum"
        errs.append(abs(mom.loss[-1] - flow.loss[-1]))
    assert errs[0] / errs[1] == pytest.approx(2.0, rel=0.15)  # first order as eta halves
    assert errs[1] / errs[2] == pytest.approx(2.0, rel=0.15)
    assert errs[-1] < 1e-3 * flow.loss[0]


@pytest.mark.parametrize("n_samples", [1000, 30])
@pytest.mark.parametrize(
    ("spectrum", "scale"),
    [((4.0, 2.0, 1.0), 1e-6), ((5.0, 3.0, 2.0, 1.0), 1e-8), ((3.0, 1.2), 1e-5)],
)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_h1_small_init_plateaus_contain_every_greedy_rung(n_samples, spectrum, scale, seed):
    # Short plateaus (H = 1: each lasts ~ln(1/eps)/s_k) over a long horizon: whatever the sample
    # grid, every rung of the greedy staircase is found, from the solver's own steps.
    p = core.Problem.from_spectrum(spectrum, dx=len(spectrum), widths=(len(spectrum),))
    tr = core.integrate(p, core.init_weights(p, scale, seed=seed), 400.0, n_samples=n_samples)
    seq = [pl.subset for pl in core.plateaus(p, tr)]
    assert seq == [tuple(range(k)) for k in range(p.dy)], seq
    for pl in core.plateaus(p, tr):
        assert core.classify(p, core.polish(p, pl.weights).weights).subset == pl.subset


def test_runs_that_only_pass_a_rung_have_no_plateau_there():
    # From scale 0.1 (H = 1) the run goes straight down; it crosses the values of other rungs
    # without stopping: no plateau at all (its stay at the global minimum is the run's end).
    p = core.Problem.from_spectrum([4.0, 2.0, 1.0], dx=4, widths=(4,))
    for seed in range(3):
        tr = core.integrate(p, core.init_weights(p, 0.1, seed=seed), 40.0)
        assert core.plateaus(p, tr) == () and tr.status == "converged"


@pytest.mark.parametrize("widths", [(4, 4), (5, 4), (3, 3, 3)])
def test_plateau_hessians_at_h2_match_the_theory_for_the_visited_point(widths):
    p = core.Problem.from_spectrum([4.0, 2.0, 1.0], dx=4, widths=widths)
    tr = core.integrate(p, core.init_weights(p, 1e-3, seed=0), 1e8)
    plats = core.plateaus(p, tr)
    assert [pl.subset for pl in plats] == [(), (0,), (0, 1)]
    for pl in plats:
        pol = core.nearest_critical_point(p, pl.weights, pl.subset)
        assert pol.converged and core.classify(p, pol.weights).subset == pl.subset
        split = core.hessian_split(p, pol.weights)
        theory = core.predicted_split(p, pl.subset)
        assert split.clean, split
        for measured, predicted in zip(split.counts, theory.counts, strict=True):
            assert predicted is None or measured == predicted, (pl.label, split, theory)
        # The raw plateau point keeps O(eps) weights on unused units: its spectrum is not the
        # saddle's (at the origin's plateau the true Hessian is exactly zero).
    zero = core.hessian_split(p, core.nearest_critical_point(p, plats[0].weights, ()).weights)
    assert zero.counts == (0, p.n_params, 0)


def test_a_split_without_a_gap_says_so():
    p = core.Problem.from_spectrum([4.0, 2.0, 1.0], dx=4, widths=(4, 4))
    W = core.init_weights(p, 1e-3, seed=0)  # a point near the origin, not a critical point
    split = core.hessian_split(p, W)
    assert not split.clean and "counts depend on the tolerance" in repr(split)
    at_saddle = core.hessian_split(p, core.critical_point(p, (0,), seed=1))
    assert at_saddle.clean


@settings(max_examples=40, deadline=None)
@given(depth=st.integers(1, 80), width=st.integers(1, 8), seed=st.integers(0, 10_000))
def test_the_kernel_takes_any_shape_without_crashing(depth, width, seed):
    rng = np.random.default_rng(seed)
    widths = tuple(int(w) for w in rng.integers(1, width + 1, size=depth))
    p = core.Problem.from_spectrum([2.0], dx=int(rng.integers(1, 4)), widths=widths)
    obj = objective(p)
    # Orthogonal layers keep every partial product O(1) (random ones of 80 layers reach 1e30).
    theta = flatten(core.init_weights(p, 1.0, seed=seed, kind="orthogonal"))
    np.testing.assert_allclose(
        kernel.compiled_rhs(obj, theta), obj.rhs(0.0, theta), rtol=1e-10, atol=1e-12
    )
    tr = core.integrate(p, unflatten(theta, p.shapes), 0.1, method="compiled", max_seconds=5.0)
    assert tr.status in core.STATUSES and np.all(np.isfinite(tr.loss))


def test_depth_beyond_the_kernel_falls_back_or_refuses():
    p = core.Problem.from_spectrum([1.5], dx=1, widths=(1,) * kernel.MAX_LAYERS)  # MAX + 1 layers
    obj = objective(p)
    assert not kernel.supports(obj)
    W0 = tuple(np.ones(s) for s in p.shapes)  # a product of 1,025 ones stays finite
    with pytest.raises(ValueError, match="at most 1024 layers"):
        kernel.compiled_rhs(obj, flatten(W0))
    with pytest.raises(ValueError, match="compiled kernel"):
        core.integrate(p, W0, 0.01, method="compiled")
    tr = core.integrate(p, W0, 0.01, method="auto")  # falls back to scipy
    assert tr.method == "RK45" and np.all(np.isfinite(tr.loss))
    assert "1025 layers" in repr(tr)


def test_every_kernel_function_has_a_declared_signature():
    lib = kernel._LIB
    for name in kernel._SIGNATURES:
        fn = getattr(lib, name)
        assert fn.argtypes is not None and hasattr(fn, "restype"), name
    assert lib.lf_max_layers() == kernel.MAX_LAYERS


def _aligned(p: core.Problem, a0: np.ndarray) -> tuple:
    Ws = []
    for rows, cols in p.shapes:
        W = np.zeros((rows, cols))
        W[np.arange(p.dy), np.arange(p.dy)] = a0
        Ws.append(W)
    return tuple(Ws)


def _accuracy_cases():
    rand = core.Problem.random(5, 3, 12, (4, 4), seed=2)
    chain = core.Problem.from_spectrum([3.0, 2.0, 1.0], dx=3, widths=(3, 3, 3))
    big = core.Problem.from_spectrum([3.0, 2.0, 1.0, 0.5], dx=6, widths=(20, 20, 20))
    wide = core.Problem.random(12, 6, 40, (24, 24), seed=3)
    return [
        ("random", rand, core.init_weights(rand, 0.3, seed=1), 20.0, "reduced"),
        (
            "random, original flow",
            rand,
            rand.to_original(core.init_weights(rand, 0.3, seed=1)),
            20.0,
            "original",
        ),
        ("aligned chain H = 3", chain, _aligned(chain, np.array([0.5, 0.6, 0.7])), 10.0, "reduced"),
        (
            "aligned chain, 1,000 params",
            big,
            _aligned(big, np.array([0.5, 0.6, 0.7, 0.8])),
            10.0,
            "reduced",
        ),
        ("random, 1,008 params", wide, core.init_weights(wide, 0.3, seed=1), 10.0, "reduced"),
    ]


@pytest.mark.parametrize("method", ["compiled-DP5", "compiled-DOP853", "LSODA", "RK45"])
@pytest.mark.parametrize("rtol", [1e-6, 1e-8, 1e-10])
def test_integrate_meets_the_tolerance_asked_for(method, rtol):
    # Runs without saddle escapes: L(t) and the weights within 100 x rtol of a DOP853 reference
    # at rtol 1e-13, on every method auto can choose.
    from scipy.integrate import solve_ivp

    for name, p, W0, T, flow in _accuracy_cases():
        obj = objective(p, flow)
        t = np.linspace(0.0, T, 51)
        with np.errstate(under="ignore"):  # scipy's step-size floor underflows by design
            ref = solve_ivp(
                obj.rhs, (0, T), flatten(W0), method="DOP853", rtol=1e-13, atol=1e-16, t_eval=t
            ).y.T
        tr = core.integrate(p, W0, T, flow=flow, method=method, rtol=rtol, t_eval=t)
        L_ref = np.array([obj.loss(unflatten(y, obj.shapes)) for y in ref])
        err_L = np.abs(tr.loss - L_ref).max() / (L_ref[0] - p.offset)
        err_W = (np.linalg.norm(tr.flat() - ref, axis=1) / np.linalg.norm(ref, axis=1)).max()
        assert err_L < 100 * rtol and err_W < 100 * rtol, (name, err_L / rtol, err_W / rtol)
