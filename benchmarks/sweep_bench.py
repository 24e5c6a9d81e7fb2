"""Basin lab benchmarks (P3): per-run cost of core.sweep against loops of scipy solve_ivp,
accuracy of every run's L(t), and peak memory of a 10,000-run sweep.

P3: from_spectrum s = (12, 10, 8, 7), dx = 8, widths (6, 6), Gaussian inits at scale 0.1,
t_max 100. Accuracy: L(t) at 20 log-spaced times in [1, 100] and 400 uniform times against a
tight DOP853 solve (rtol 1e-13, atol 1e-16), relative, floored at 1e-6 L(0) once converged.
"""

from __future__ import annotations

import resource
import time
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp

import core
from core._weights import flatten
from core.basins import run_seeds, sweep
from core.batch import integrate_batch
from core.derivatives import objective
from core.integration import bands_for
from core.stopping import StopRule

T_MAX = 100.0
SCALE = 0.1
N_RUNS = 1000
N_LOOP = 20  # runs timed for the solve_ivp baselines (their per-run cost is steady)
SWEEP_REPEATS = 3  # the 1,000-run sweep is timed this many times
N_ACCURACY = 40  # runs checked against the tight reference


def _problem() -> core.Problem:
    return core.Problem.from_spectrum([12, 10, 8, 7], 8, (6, 6))


def _times() -> np.ndarray:
    return np.unique(np.concatenate([np.geomspace(1, T_MAX, 20), np.linspace(0, T_MAX, 400)]))


def accuracy(p: core.Problem, rtol: float) -> float:
    """Worst relative error of L(t) over N_ACCURACY runs of the sweep's own path (the compiled
    kernel run by run, as ``core.sweep`` runs this problem; ``core.integrate`` makes the same
    call with the 420 check times as its grid)."""
    obj = objective(p)
    grid = _times()
    worst = 0.0
    for seed in run_seeds(0, N_ACCURACY):
        W0 = core.init_weights(p, SCALE, seed=seed)
        tr = core.integrate(p, W0, T_MAX, rtol=rtol, t_eval=grid)
        assert tr.method == "compiled-DP5", tr.method
        y0 = flatten(W0)
        ref = solve_ivp(obj.rhs, (0, T_MAX), y0, "DOP853", t_eval=grid, rtol=1e-13, atol=1e-16)
        ref_loss = np.array([obj.loss(core._weights.unflatten(y, p.shapes)) for y in ref.y.T])
        got = np.full(grid.size, float(tr.loss[-1]))  # after convergence the run rests
        got[: min(tr.t.size, grid.size)] = tr.loss[: grid.size]
        err = np.abs(got - ref_loss) / np.maximum(ref_loss, 1e-6 * ref_loss[0])
        worst = max(worst, float(err.max()))
    return worst


def numpy_batch_ms_per_run(p: core.Problem, n_runs: int) -> float:
    """The previous engine of the basin lab, the batched numpy Dormand-Prince (still the path
    without a C compiler), on the same runs."""
    obj = objective(p)
    Y0 = np.stack([flatten(core.init_weights(p, SCALE, seed=s)) for s in run_seeds(0, n_runs)])
    atol = 1e-7 * np.sqrt(np.mean(Y0**2, axis=1))
    bands, lad = bands_for(p)
    t0 = time.perf_counter()
    integrate_batch(
        p, obj, Y0, T_MAX, rtol=1e-7, atol=atol, rule=StopRule.for_problem(p), bands=bands, lad=lad
    )
    return 1e3 * (time.perf_counter() - t0) / n_runs


def run() -> dict[str, Any]:
    p = _problem()
    obj = objective(p)
    out: dict[str, Any] = {}
    sweep(p, 50, [SCALE], seed=2, t_max=T_MAX)  # kernel loaded, scipy.integrate imported
    per_run = []
    for _ in range(SWEEP_REPEATS):
        t0 = time.perf_counter()
        res = sweep(p, N_RUNS, [SCALE], seed=0, t_max=T_MAX)
        per_run.append(1e3 * (time.perf_counter() - t0) / N_RUNS)
    # The best of the repeats is the cost (as timeit reports); the others show the machine's
    # noise beside it.
    out["sweep_ms_per_run"] = min(per_run)
    out["sweep_ms_per_run_repeats"] = per_run
    out["fraction_global"] = res.stats[0].fraction_global
    out["numpy_batch_ms_per_run"] = numpy_batch_ms_per_run(p, N_RUNS)
    seeds = run_seeds(0, N_LOOP)
    starts = [flatten(core.init_weights(p, SCALE, seed=s)) for s in seeds]
    for method in ("DOP853", "LSODA"):
        t0 = time.perf_counter()
        for y0 in starts:
            solve_ivp(obj.rhs, (0, T_MAX), y0, method, rtol=1e-6, atol=1e-7)
        out[f"{method.lower()}_loop_ms_per_run"] = 1e3 * (time.perf_counter() - t0) / N_LOOP
    out["accuracy_rtol_1e-6"] = accuracy(p, 1e-6)
    out["accuracy_rtol_1e-7"] = accuracy(p, 1e-7)
    t0 = time.perf_counter()
    big = sweep(p, 10_000, [SCALE], seed=1, t_max=T_MAX)
    out["sweep_10k_seconds"] = time.perf_counter() - t0
    # Peak resident memory of this whole benchmark process (ru_maxrss is in kB on Linux): an
    # upper bound on what the 10,000-run sweep needed.
    out["sweep_10k_peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    out["sweep_10k_fraction_global"] = big.stats[0].fraction_global
    out.update(celery_throughput())
    return out


def celery_throughput(n_runs: int = 10_000) -> dict[str, Any]:
    """Throughput of n_runs through 2 local Celery workers against this process, same chunks.

    P3's sweep. Its own rate: from sending the chunks to the last result (the workers warmed
    by a small sweep first) against ``run_chunk`` over the same chunks here, one after the other.
    The whole ``linflow sweep`` command of the default state with and without ``--celery``
    (process start included) is timed beside. Starts its own redis-server on a free loopback
    port and two ``linflow worker`` processes, and stops them by PID. Skipped (empty) when
    redis-server is not installed.
    """
    import os
    import shutil
    import signal
    import socket
    import subprocess
    import sys
    import tempfile

    exe = shutil.which("redis-server")
    if exe is None:
        return {}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    redis = subprocess.Popen(
        [exe, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    # A private loopback Redis of this process: no password, said explicitly (app.redis_url).
    env = {
        "LINFLOW_REDIS_URL": f"redis://127.0.0.1:{port}/0",
        "LINFLOW_REDIS_NO_PASSWORD": "1",
    }
    saved = dict(os.environ)
    os.environ.update(env)
    cli = [sys.executable, "-m", "app.cli"]
    workers = [
        subprocess.Popen(
            [*cli, "worker", "--role", "chunks"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(2)
    ]
    out: dict[str, Any] = {}
    try:
        out.update(_celery_against_local(n_runs, n_workers=len(workers)))
        # The default state's sweep: the command as a user types it.
        args = ["sweep", "--runs", str(n_runs), "--scales", str(SCALE), "--t-max", str(T_MAX)]
        with tempfile.TemporaryDirectory() as tmp:
            for key, extra in (
                ("command_celery_runs_per_s", ["--celery"]),
                ("command_local_runs_per_s", []),
            ):
                t0 = time.perf_counter()
                subprocess.run(
                    [*cli, *args, "--chunk", "250", *extra, "--out", f"{tmp}/{key}"],
                    check=True,
                    capture_output=True,
                )
                out[key] = n_runs / (time.perf_counter() - t0)
    finally:
        for w in workers:
            os.killpg(w.pid, signal.SIGTERM)
            w.wait(timeout=60)
        redis.terminate()
        redis.wait(timeout=10)
        os.environ.clear()
        os.environ.update(saved)
    return out


def _celery_against_local(n_runs: int, *, n_workers: int) -> dict[str, Any]:
    """Runs per second of P3's sweep: through the workers, then in this process."""
    from app.basin.tasks import celery_app, submit_chunks
    from app.computation import build_problem
    from app.state import AppState, encode
    from core.basins import RunSummary, SweepSpec, run_chunk

    state = AppState(spectrum=(12.0, 10.0, 8.0, 7.0), dx=8, depth=2, widths=(6,))  # P3
    query, problem = encode(state), build_problem(state)
    assert problem.shapes == _problem().shapes
    deadline = time.monotonic() + 60
    while len(celery_app().control.ping(timeout=1.0)) < n_workers:
        if time.monotonic() > deadline:
            raise RuntimeError("the Celery workers did not answer within 60 s")
    # Each worker's pool process imports the engine on its first chunk: not part of the rate.
    warm = SweepSpec(n_runs=4 * n_workers, scales=(SCALE,), t_max=T_MAX, chunk_size=1)
    for r in submit_chunks(query, list(warm.chunks())):
        r.get(timeout=120)
    chunks = SweepSpec(n_runs=n_runs, scales=(SCALE,), seed=1, t_max=T_MAX, chunk_size=250).chunks()
    t0 = time.perf_counter()
    done = [r.get(timeout=600) for r in submit_chunks(query, list(chunks))]
    celery_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    local = [run_chunk(problem, c) for c in chunks]
    local_s = time.perf_counter() - t0
    # The same work on both sides: every run's summary, through JSON and here, is the same.
    assert [[RunSummary.from_dict(d) for d in part] for part in done] == local
    assert sum(map(len, local)) == n_runs
    return {
        "celery_workers": n_workers,
        "celery_2_workers_runs_per_s": n_runs / celery_s,
        "in_process_runs_per_s": n_runs / local_s,
    }
