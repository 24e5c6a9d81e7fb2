import json

import numpy as np
import pytest

import core
from core.basins import ChunkSpec, RunSummary, SweepSpec, replay, run_seeds, wilson_interval


@pytest.fixture(scope="module")
def p3():
    return core.Problem.from_spectrum([12.0, 10.0, 8.0, 7.0], dx=8, widths=(6, 6))


def test_wilson_interval_closed_form():
    lo, hi = wilson_interval(50, 100)
    assert lo == pytest.approx(0.4038, abs=1e-4) and hi == pytest.approx(0.5962, abs=1e-4)
    lo, hi = wilson_interval(20, 20)
    assert hi == 1.0 and lo == pytest.approx(0.8389, abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)


@pytest.mark.parametrize(("widths", "scales"), [((3,), (1e-3, 0.1, 1.0)), ((3, 3), (0.05, 0.5))])
def test_generic_problems_reach_the_global_minimum(widths, scales):
    p = core.Problem.random(4, 3, 12, widths, seed=4)
    res = core.sweep(p, 12, scales, seed=1, t_max=400.0)
    for st in res.stats:
        assert st.n_finished == st.n_runs == 12 and st.n_unfinished == 0
        assert st.fraction_global == 1.0, st
        assert st.interval[0] > 0.7 and st.interval[1] == 1.0
    assert [s.scale for s in res.stats] == list(scales)


def test_batched_equals_one_by_one(p3):
    res = core.sweep(p3, 8, [0.1, 1e-2], seed=3, t_max=100.0, rtol=1e-8)
    for run in res.runs:
        tr = replay(p3, run, res.spec, rtol=1e-8)
        c = core.classify(p3, tr.final_weights)
        assert run.subset == c.subset and run.status == tr.status
        assert run.t_end == pytest.approx(tr.t_end, rel=0.05)
        assert run.path == tuple(pl.subset for pl in core.plateaus(p3, tr))
        assert run.final_loss == pytest.approx(tr.loss[-1], abs=1e-9)


def test_chunking_and_workers_do_not_change_results(p3):
    a = core.sweep(p3, 10, [0.1], seed=5, t_max=50.0, chunk_size=3)
    b = core.sweep(p3, 10, [0.1], seed=5, t_max=50.0, chunk_size=64)
    c = core.sweep(p3, 10, [0.1], seed=5, t_max=50.0, chunk_size=4, workers=2)
    for x, y, z in zip(a.runs, b.runs, c.runs, strict=True):
        assert x.seed == y.seed == z.seed and x.subset == y.subset == z.subset
        assert x.path == y.path == z.path and x.status == y.status == z.status
        assert x.t_end == pytest.approx(y.t_end, rel=1e-9) == z.t_end
    # The seeds are SeedSequence(5)'s children, however they are computed.
    spawned = [
        int(ch.generate_state(1, dtype=np.uint32)[0]) for ch in np.random.SeedSequence(5).spawn(10)
    ]
    assert [r.seed for r in a.runs] == run_seeds(5, 10) == spawned


def test_replayed_run_reproduces_its_row(p3):
    res = core.sweep(p3, 4, [0.3], seed=11, t_max=60.0)
    run = res.runs[2]
    again = core.sweep(p3, 4, [0.3], seed=11, t_max=60.0).runs[2]
    assert again == run
    tr = replay(p3, run, res.spec, rtol=1e-6)
    assert core.classify(p3, tr.final_weights).subset == run.subset


def test_specs_round_trip_through_json():
    spec = SweepSpec(7, (0.1, 1.0), seed=3, t_max=20.0, kind="balanced", chunk_size=4)
    again = SweepSpec.from_json(json.loads(json.dumps(spec.to_json())))
    assert again == spec
    chunks = spec.chunks()
    assert [(c.lo, c.hi) for c in chunks] == [(0, 4), (4, 8), (8, 12), (12, 14)]
    assert all(ChunkSpec.from_json(json.loads(json.dumps(c.to_json()))) == c for c in chunks)
    with pytest.raises(ValueError, match="n_runs"):
        SweepSpec(0, (0.1,))
    with pytest.raises(ValueError, match="kind"):
        SweepSpec(1, (0.1,), kind="manifold")
    with pytest.raises(ValueError, match="outside"):
        ChunkSpec(spec, 0, 10, 20)


def test_run_summaries_are_one_based_for_users():
    run = RunSummary(0, 0.1, 7, "saddle", (0, 2), "{1,3}", 0.5, 10.0, ((), (0,), (0, 2)))
    d = run.to_dict()
    assert d["subset"] == [1, 3] and d["path"] == [[], [1], [1, 3]]
    assert RunSummary.from_dict(json.loads(json.dumps(d))) == run
    with pytest.raises(ValueError, match="status"):
        RunSummary.from_dict({**d, "status": "stuck"})


def test_stable_manifold_runs_end_at_the_saddle_and_kicks_escape():
    p = core.Problem.from_spectrum([3.0, 2.0, 1.0], dx=3, widths=(3,))
    esc = core.escape_sweep(p, (0, 2), [0.0, 1e-6, 1e-2], n_runs=6, seed=2, t_max=120.0)
    assert esc.n_escaped == (0, 6, 6) and esc.n_stuck == (6, 0, 0)
    # Smaller kicks linger longer near the saddle (about ln(1/kick) / rate).
    assert esc.median_time_near_saddle[1] > esc.median_time_near_saddle[2] > 0


def test_escape_counts_equal_runs_integrated_without_any_early_stop():
    # One by one, each run integrated over the whole horizon with the stop switched off
    # (t_eval): the escape count read at the end must be the same.
    p = core.Problem.from_spectrum([3.0, 2.0, 1.0], dx=3, widths=(3, 3))
    S, eps, n = (0, 2), 1e-6, 5
    esc = core.escape_sweep(p, S, [eps], n_runs=n, seed=4, t_max=150.0)
    saddle = core.ladder(p).for_subset(S)
    spacing = core.ladder(p).spacing(saddle)
    left = 0
    for sd in run_seeds(4, n):
        W0 = core.stable_manifold_init(p, S, 0.5, seed=sd, perturbation=eps)
        tr = core.integrate(p, W0, 150.0, t_eval=np.linspace(0, 150.0, 301), rtol=1e-7)
        left += bool(tr.loss[-1] < saddle.value - 0.5 * spacing)
    assert esc.n_escaped == (left,)


def test_sweep_validates_arguments(p3):
    with pytest.raises(ValueError, match="n_runs"):
        core.sweep(p3, 0, [0.1], seed=0, t_max=1.0)
    with pytest.raises(ValueError, match="flow"):
        core.sweep(p3, 1, [0.1], seed=0, t_max=1.0, flow="sideways")
    assert np.isnan(core.sweep(p3, 1, [0.1], seed=0, t_max=0.5).runs[0].convergence_time)


def test_short_runs_are_counted_unfinished_never_failed():
    # H = 2 from 1e-5: every run is still on the origin's plateau at t_max = 60. None of them
    # is a counterexample to the conjecture: all are unfinished, and no fraction is claimed.
    p = core.Problem.from_spectrum([4.0, 2.0, 1.0], dx=4, widths=(4, 4))
    res = core.sweep(p, 8, [1e-5], seed=0, t_max=60.0)
    assert all(r.status == "saddle" and r.subset == () and r.t_end == 60.0 for r in res.runs)
    st = res.stats[0]
    assert st.n_finished == 0 and st.n_unfinished == 8 and np.isnan(st.fraction_global)
    assert st.saddle_counts == {"{}": 8} and st.interval == (0.0, 1.0)
    one = core.integrate(p, core.init_weights(p, 1e-5, seed=res.runs[0].seed), t_max=60.0)
    assert one.status == "saddle"


@pytest.mark.slow
def test_deep_small_init_sweeps_reach_the_global_minimum_given_time():
    # The reproducer: at scales 1e-4 and 1e-5 the old stop took saddles for minima and
    # reported fractions 0.5 and 0.0; with a long enough t_max every run reaches the minimum.
    p = core.Problem.from_spectrum([2.5, 1.3, 0.6], dx=5, widths=(3, 3))
    res = core.sweep(p, 8, [1e-4, 1e-5], seed=0, t_max=4e6)
    for st in res.stats:
        assert st.n_finished == 8 and st.fraction_global == 1.0, st
    assert all(r.path[-1] == (0, 1) and r.subset == (0, 1, 2) for r in res.runs)


def test_without_the_kernel_the_numpy_batch_gives_the_same_sweep(p3, monkeypatch):
    from core import kernel

    compiled = core.sweep(p3, 12, [0.1, 1e-2], seed=5, t_max=100.0)
    monkeypatch.setattr(kernel, "supports", lambda obj: False)
    batched = core.sweep(p3, 12, [0.1, 1e-2], seed=5, t_max=100.0)
    for a, b in zip(compiled.runs, batched.runs, strict=True):
        assert (a.status, a.subset, a.path) == (b.status, b.subset, b.path)
        assert a.t_end == pytest.approx(b.t_end, rel=0.05)
        assert a.final_loss == pytest.approx(b.final_loss, abs=1e-9)


def test_a_sweep_run_costs_what_its_kernel_run_costs(p3):
    # Work bound: P3's runs (scale 0.1, converging by t ~ 3) take ~1,400 evaluations each at
    # the default rtol; a regression in step control or stopping shows here first.
    nfev = [
        core.integrate(p3, core.init_weights(p3, 0.1, seed=s), 100.0, rtol=1e-7).nfev
        for s in run_seeds(0, 10)
    ]
    assert np.mean(nfev) < 2000, nfev
