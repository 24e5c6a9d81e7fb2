"""Explorer server-side timings and the slice grid.

Cold: the default view's full server work (run, ladder, plateaus, polish, Hessian, figures) with an
empty cache. Warm: a control change whose run is already cached (validation, cache read, the
panels that change). Measured through the callback functions inside the Flask app context, as a
request runs. Browser latency (from a change to the last paint) is in ``browser_bench``.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

import numpy as np
import plotly.io as pio

import core
from app.computation import analyse_point, compute
from app.explorer.cache import get_slice
from app.explorer.callbacks import render
from app.explorer.staging import render_end
from app.explorer.sync import from_user
from app.hosting.server import create_app
from app.slicing import compute_slice
from app.state import AppState, encode
from app.views import FIGURES, figures, trajectory_view

# Views for the BLAS-thread comparison: the size scan's problem (dx = 24, dy = 6) at 736 and
# 6,016 parameters (two hidden layers of 16 and of 64).
BLAS_VIEWS = {
    w: AppState(dx=24, spectrum=(8.0, 6.0, 4.0, 3.0, 2.0, 1.0), widths=(w,), init_seed=300)
    for w in (16, 64)
}


def run() -> dict[str, Any]:
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(cache_dir=folder)
        with app.server.app_context():
            query = encode(AppState())
            t0 = time.perf_counter()
            pending = render(query, None)["end_pending"]
            out["default_cold_seconds"] = time.perf_counter() - t0
        with app.server.app_context():  # the second request: the run's end and its panels
            t0 = time.perf_counter()
            render_end(pending)
            out["default_end_seconds"] = time.perf_counter() - t0
        out["staged"] = staged_requests(app)
        with app.server.app_context():
            other = AppState(loss_axis="linear")  # a control change, run cached
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                state, _ = from_user({"loss_axis": "linear"}, AppState())
                assert state == other
                render(encode(state), query)
                times.append(time.perf_counter() - t0)
            out["warm_change_seconds"] = float(np.median(times))
            # The animation payload (the trajectory figure, the marker path in its meta) and a
            # cold 101 x 101 slice through the default view's limit point.
            from app.explorer.cache import get_result

            fig = trajectory_view(AppState(), get_result(AppState()))
            out["animation_bytes"] = len(pio.to_json(fig))
            t0 = time.perf_counter()
            get_slice(AppState(slice_dirs="random"))
            out["slice_default_cold_seconds"] = time.perf_counter() - t0
    p = core.Problem.from_spectrum([12, 10, 8, 7], 8, (6, 6))
    center = core.critical_point(p, (0, 2), seed=1)
    neg, pos, _, _ = core.hessian_directions(p, center)
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        core.slice_2d(p, center, neg, pos, extent=0.5, n=101)
        times.append(time.perf_counter() - t0)
    out["slice_101_p1_seconds"] = float(np.median(times))
    out["blas_threads"] = blas_threads()
    return out


def staged_requests(app: Any, repeat: int = 3) -> list[dict[str, Any]]:
    """A new run's two requests in the explorer (app.explorer.staging), server time, uncached:
    the first (the runs and their panels: what is on screen) and the second (the end: polish,
    Hessian, curvature along the run, the slice and their panels), median of ``repeat`` seeds,
    one BLAS thread as the app computes."""
    from threadpoolctl import threadpool_limits

    rows = []
    for state in BLAS_VIEWS.values():
        first, second = [], []
        for k in range(repeat):
            query = encode(state.replace(init_seed=500 + k))
            with threadpool_limits(limits=1, user_api="blas"):
                with app.server.app_context():
                    t0 = time.perf_counter()
                    pending = render(query, None)["end_pending"]
                    first.append(time.perf_counter() - t0)
                with app.server.app_context():
                    t0 = time.perf_counter()
                    render_end(pending)
                    second.append(time.perf_counter() - t0)
        rows.append(
            {
                "params": state.n_params,
                "first_s": float(np.median(first)),
                "second_s": float(np.median(second)),
            }
        )
    return rows


def _new_run_seconds(state: AppState) -> float:
    """A new run's whole server work, uncached: run, analysed point, slice, every figure."""
    t0 = time.perf_counter()
    r = compute(state)
    point = analyse_point(state, r)
    figures(state, list(FIGURES), r, point, compute_slice(state, r, point))
    return time.perf_counter() - t0


@contextmanager
def _busy_core() -> Iterator[None]:
    """Another process keeping one core busy (another visitor's request, a lecturer's laptop)."""
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.2)
        yield
    finally:
        proc.kill()
        proc.wait()


def blas_threads(repeat: int = 3) -> list[dict[str, Any]]:
    """A new run's server time with one BLAS thread (app.blas) against two, on a quiet machine
    and with one core busy; the two alternate within one process (threadpoolctl)."""
    from threadpoolctl import threadpool_limits

    rows = []
    for busy in (False, True):
        for width, state in BLAS_VIEWS.items():
            seconds: dict[int, list[float]] = {1: [], 2: []}
            with _busy_core() if busy else nullcontext():
                for k in range(repeat):
                    for threads in (1, 2):
                        with threadpool_limits(limits=threads, user_api="blas"):
                            seconds[threads].append(
                                _new_run_seconds(state.replace(init_seed=400 + k))
                            )
            rows.append(
                {
                    "busy": busy,
                    "params": state.n_params,
                    "width": width,
                    "one_thread_s": float(np.median(seconds[1])),
                    "two_threads_s": float(np.median(seconds[2])),
                }
            )
    return rows
