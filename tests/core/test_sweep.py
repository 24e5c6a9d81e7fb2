import numpy as np
import pytest

import core
from core.escape import escape_sweep
from core.sweep import replay, run_seeds, sweep, wilson_interval


@pytest.fixture(scope="module")
def p3():
    return core.Problem.from_spectrum([12.0, 10.0, 8.0, 7.0], dx=8, widths=(6, 6))


def test_wilson_interval_closed_form():
    lo, hi = wilson_interval(50, 100)
    assert lo == pytest.approx(0.4038, abs=1e-4) and hi == pytest.approx(0.5962, abs=1e-4)
    lo, hi = wilson_interval(20, 20)
    assert hi == 1.0 and lo == pytest.approx(0.8389, abs=1e-4)


@pytest.mark.parametrize(("widths", "scales"), [((3,), (1e-3, 0.1, 1.0)), ((3, 3), (0.05, 0.5))])
def test_generic_problems_reach_the_global_minimum(widths, scales):
    p = core.Problem.random(4, 3, 12, widths, seed=4)
    res = sweep(p, 12, scales, seed=1, t_max=400.0)
    for st in res.stats:
        assert st.fraction_global == 1.0, st
        assert st.interval[0] > 0.7 and st.interval[1] == 1.0
    assert [s.scale for s in res.stats] == list(scales)


def test_batched_equals_one_by_one(p3):
    res = sweep(p3, 8, [0.1, 1e-2], seed=3, t_max=100.0, rtol=1e-8)
    for run in res.runs:
        tr = replay(p3, run, 100.0, rtol=1e-8)
        c = core.classify(p3, tr.final_weights)
        assert run.subset == c.subset and run.status == tr.status
        assert run.t_end == pytest.approx(tr.t_end, rel=0.05)
        assert run.path == tuple(pl.subset for pl in core.plateaus(p3, tr))
        assert run.final_loss == pytest.approx(tr.loss[-1], abs=1e-9)


def test_chunking_and_workers_do_not_change_results(p3):
    a = sweep(p3, 10, [0.1], seed=5, t_max=50.0, chunk_size=3)
    b = sweep(p3, 10, [0.1], seed=5, t_max=50.0, chunk_size=64)
    c = sweep(p3, 10, [0.1], seed=5, t_max=50.0, chunk_size=4, workers=2)
    for x, y, z in zip(a.runs, b.runs, c.runs, strict=True):
        assert x.seed == y.seed == z.seed and x.subset == y.subset == z.subset
        assert x.path == y.path == z.path and x.status == y.status == z.status
        assert x.t_end == pytest.approx(y.t_end, rel=1e-9) == z.t_end
    assert [r.seed for r in a.runs] == run_seeds(5, 10)


def test_replayed_run_reproduces_its_row(p3):
    res = sweep(p3, 4, [0.3], seed=11, t_max=60.0)
    run = res.runs[2]
    again = sweep(p3, 4, [0.3], seed=11, t_max=60.0).runs[2]
    assert again == run
    tr = replay(p3, run, 60.0, rtol=1e-6)
    assert core.classify(p3, tr.final_weights).subset == run.subset


def test_stable_manifold_runs_end_at_the_saddle_and_kicks_escape():
    p = core.Problem.from_spectrum([3.0, 2.0, 1.0], dx=3, widths=(3,))
    esc = escape_sweep(p, (0, 2), [0.0, 1e-6, 1e-2], n_runs=6, seed=2, t_max=120.0)
    assert esc.n_escaped == (0, 6, 6)
    # Smaller kicks linger longer near the saddle (about ln(1/kick) / rate).
    assert esc.median_time_near_saddle[1] > esc.median_time_near_saddle[2] > 0


def test_sweep_validates_arguments(p3):
    with pytest.raises(ValueError, match="n_runs"):
        sweep(p3, 0, [0.1], seed=0, t_max=1.0)
    with pytest.raises(ValueError, match="flow"):
        sweep(p3, 1, [0.1], seed=0, t_max=1.0, flow="sideways")
    assert np.isnan(sweep(p3, 1, [0.1], seed=0, t_max=0.5).runs[0].convergence_time)


def test_tiny_starts_are_not_reported_converged_at_the_origin():
    # Below gtol at t = 0 (gradient O(scale^2) for H = 2), yet not settled: the batched solver
    # must integrate them on, exactly as core.integrate does.
    p = core.Problem.from_spectrum([4.0, 2.0, 1.0], dx=4, widths=(4, 4))
    res = sweep(p, 8, [1e-5], seed=0, t_max=60.0)
    assert all(r.status == "t_max" and r.t_end == 60.0 for r in res.runs)
    one = core.integrate(p, core.init_weights(p, 1e-5, seed=res.runs[0].seed), t_max=60.0)
    assert one.status == "t_max"
