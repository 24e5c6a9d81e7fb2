"""Explorer server-side timings (issue: explorer part 1) and the slice grid (core engine II).

Cold: the default view's full server work (run, ladder, plateaus, polish, Hessian, figures) with an
empty cache. Warm: a control change whose state is already cached (validation, cache read, figure
building). Measured through the callback functions inside the Flask app context, as a request runs.
"""

from __future__ import annotations

import tempfile
import time
from typing import Any

import numpy as np
import plotly.io as pio

import core
from app import callbacks
from app.compute import get_slice
from app.server import create_app
from app.state import AppState


def _views(store: dict[str, Any]) -> None:
    callbacks.update_views(store)
    callbacks.update_hessian(store)


def run() -> dict[str, Any]:
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(cache_dir=folder)
        with app.server.app_context():
            store = AppState().to_dict()
            t0 = time.perf_counter()
            _views(store)
            out["default_cold_seconds"] = time.perf_counter() - t0
            other = AppState(loss_axis="linear").to_dict()  # a control change, run cached
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                callbacks.from_user(callbacks.control_values(AppState(loss_axis="linear")))
                _views(other)
                times.append(time.perf_counter() - t0)
            out["warm_change_seconds"] = float(np.median(times))
            # Part 2: the animation payload (bytes of the trajectory figure with its frames) and
            # a cold 101 x 101 slice through the default view's limit point.
            out["animation_bytes"] = len(pio.to_json(callbacks.update_trajectory(store)))
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
