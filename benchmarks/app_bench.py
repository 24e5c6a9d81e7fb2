"""Explorer server-side timings and the slice grid.

Cold: the default view's full server work (run, ladder, plateaus, polish, Hessian, figures) with an
empty cache. Warm: a control change whose run is already cached (validation, cache read, the
panels that change). Measured through the callback functions inside the Flask app context, as a
request runs. Browser latency (from a change to the last paint) is in ``browser_bench``.
"""

from __future__ import annotations

import tempfile
import time
from typing import Any

import numpy as np
import plotly.io as pio

import core
from app.explorer.cache import get_slice
from app.explorer.callbacks import render
from app.explorer.sync import from_user
from app.hosting.server import create_app
from app.state import AppState, encode
from app.views import trajectory_view


def run() -> dict[str, Any]:
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(cache_dir=folder)
        with app.server.app_context():
            query = encode(AppState())
            t0 = time.perf_counter()
            render(query, None)
            out["default_cold_seconds"] = time.perf_counter() - t0
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
    return out
