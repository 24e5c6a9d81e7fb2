"""integrate's sampling and memory: what a large run keeps, and stopping with t_eval."""

import tracemalloc

import numpy as np

import core


def test_a_large_run_keeps_its_samples_and_little_else():
    # ~1.1e5 parameters: a dense Hessian would be 98 GB; the run keeps its samples (n_samples x
    # n_params floats) and transients of a few blocks of them.
    p = core.Problem.from_spectrum(np.linspace(10, 4, 64), dx=128, widths=(192, 192, 192))
    assert p.n_params > 100_000
    W0 = core.init_weights(p, 0.01, seed=0)
    tracemalloc.start()
    try:
        tr = core.integrate(p, W0, 0.05, n_samples=40)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    samples = tr.n_samples * p.n_params * 8
    assert tr.method == "compiled-DOP853" and tr.status == "t_max"
    assert peak < samples + 40 * p.n_params * 8, (peak / 1e6, samples / 1e6)


def test_a_run_with_exact_sample_times_can_still_stop_at_the_minimum():
    p = core.Problem.from_spectrum([3.0, 2.0, 1.0], dx=3, widths=(3,))
    W0 = core.init_weights(p, 0.1, seed=1)
    times = np.linspace(0, 100, 201)
    full = core.integrate(p, W0, 100.0, t_eval=times)
    assert full.t.size == times.size  # every requested sample
    stopped = core.integrate(p, W0, 100.0, t_eval=times, stop=True)
    assert stopped.status == "converged" and stopped.t_end < 30
    k = np.searchsorted(times, stopped.t_end)  # samples up to the stop, then the stop itself
    assert np.array_equal(stopped.t[:k], times[:k]) and stopped.t.size == k + 1
    np.testing.assert_allclose(stopped.loss[:k], full.loss[:k], rtol=1e-9, atol=1e-12)
