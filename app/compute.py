"""One cached computation per state: the run, its ladder, plateaus and the analysed point.

Panels never compute on their own: they read :func:`get_result`, which looks the state up in the
app's cache (flask-caching; the key holds the package version and the canonical URL of the
state) and computes only on a miss.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import TypeVar

import numpy as np
from flask import current_app, has_app_context

import core
from app.state import AppState, encode

T = TypeVar("T")

try:
    VERSION = version("linflow")
except PackageNotFoundError:  # running from a source tree without installing
    VERSION = "0+unknown"

CACHE_EXTENSION = "linflow_cache"  # key of the flask-caching object in app.extensions
GD_SAMPLES = 1000  # Samples kept of a discrete run.


@dataclass(frozen=True)
class PointAnalysis:
    """A point of the landscape, polished, classified, with its measured and predicted splits."""

    key: str
    title: str
    polished: core.Polished
    classification: core.Classification
    split: core.HessianSplit
    predicted: core.PredictedSplit


@dataclass(frozen=True)
class RunResult:
    state: AppState
    problem: core.Problem
    trajectory: core.Trajectory
    discrete: core.Trajectory | None
    ladder: core.Ladder
    plateaus: tuple[core.Plateau, ...]
    limit: PointAnalysis
    seconds: float

    @property
    def point_options(self) -> list[dict[str, str]]:
        """Choices for the Hessian panel: the limit, each visited plateau, each rung."""
        opts = [{"label": "limit of the run (polished)", "value": "limit"}]
        for k, pl in enumerate(self.plateaus):
            opts.append(
                {
                    "label": f"plateau {k + 1}: saddle {pl.label} (t = {pl.t_enter:.3g}"
                    f"-{pl.t_exit:.3g})",
                    "value": f"plateau-{k}",
                }
            )
        for r in self.ladder.rungs:
            opts.append(
                {
                    "label": f"rung {r.label}: constructed critical point",
                    "value": "rung-" + ",".join(str(i + 1) for i in r.subset),
                }
            )
        return opts


def build_problem(state: AppState) -> core.Problem:
    widths = state.hidden_widths
    if state.source == "spectrum":
        return core.Problem.from_spectrum(state.spectrum, state.dx, widths)
    return core.Problem.random(state.dx, state.dy, state.m, widths, seed=state.data_seed)


def _analyse(
    problem: core.Problem, key: str, title: str, weights: core.Trajectory | tuple, flow: str
) -> PointAnalysis:
    pol = core.polish(problem, weights, flow)  # type: ignore[arg-type]
    cls = core.classify(problem, pol.weights, flow)
    split = core.hessian_split(problem, pol.weights, flow)
    return PointAnalysis(key, title, pol, cls, split, core.predicted_split(problem, cls.subset))


def analyse_point(
    state: AppState,
    problem: core.Problem,
    traj: core.Trajectory,
    plateaus: tuple[core.Plateau, ...],
) -> PointAnalysis:
    """The point named by ``state.point``; unknown names fall back to the limit."""
    key = state.point
    if key.startswith("plateau-"):
        try:
            pl = plateaus[int(key.split("-", 1)[1])]
            return _analyse(
                problem,
                key,
                f"saddle {pl.label} visited at t = {pl.t_enter:.3g}-{pl.t_exit:.3g}",
                pl.weights_mid,
                traj.flow,
            )
        except (ValueError, IndexError):
            key = "limit"
    if key.startswith("rung-"):
        try:
            text = key.split("-", 1)[1]
            subset = tuple(int(i) - 1 for i in text.split(",") if i)
            Ws = core.critical_point(problem, subset, seed=0)
            if traj.flow == "original":
                Ws = problem.to_original(Ws)
            return _analyse(
                problem,
                key,
                f"constructed critical point of rung "
                f"{core.ladder(problem).for_subset(subset).label}",
                Ws,
                traj.flow,
            )
        except (ValueError, KeyError):
            key = "limit"
    return _analyse(
        problem,
        "limit",
        f"limit of the run (t = {traj.t_end:.4g}, polished)",
        traj.final_weights,
        traj.flow,
    )


def compute(state: AppState) -> RunResult:
    """Everything every panel shows for ``state`` (uncached)."""
    t0 = time.perf_counter()
    problem = build_problem(state)
    W0 = core.init_weights(problem, state.init_scale, state.init_seed, state.init_kind)
    if state.flow == "original":
        W0 = problem.to_original(W0)  # the same start, in the original coordinates
    traj = core.integrate(problem, W0, state.t_max, flow=state.flow, rtol=state.rtol)
    discrete = None
    if state.algorithm != "flow":
        discrete = core.gradient_descent(
            problem,
            W0,
            lr=state.eta,
            steps=max(1, round(state.t_max / state.eta)),
            flow=state.flow,
            momentum=state.momentum if state.algorithm == "momentum" else 0.0,
            n_samples=GD_SAMPLES,
        )
    plats = core.plateaus(problem, traj)
    limit = analyse_point(state.replace(point="limit"), problem, traj, plats)
    return RunResult(
        state, problem, traj, discrete, core.ladder(problem), plats, limit, time.perf_counter() - t0
    )


def run_state(state: AppState) -> AppState:
    """The state with view-only fields at their defaults: what the run depends on."""
    return state.replace(point="limit", loss_axis="log")


def _cached(key: str, make: Callable[[], T], kind: type) -> T:
    cache = current_app.extensions.get(CACHE_EXTENSION) if has_app_context() else None
    if cache is None:
        return make()
    try:
        hit = cache.get(key)
    except Exception:  # a cache that is down must not take the views with it
        hit = None
    if isinstance(hit, kind):
        return hit  # type: ignore[return-value]
    value = make()
    try:
        cache.set(key, value)
    except Exception:
        pass
    return value


def get_result(state: AppState) -> RunResult:
    """The cached run for ``state`` (keyed by version and run fields). Works without an app."""
    rs = run_state(state)
    return _cached(f"linflow-{VERSION}-run-{encode(rs)}", lambda: compute(rs), RunResult)


def get_point(state: AppState) -> PointAnalysis:
    """The analysis of the point ``state.point`` selects (the limit comes with the run)."""
    result = get_result(state)
    if state.point == "limit":
        return result.limit
    key = f"linflow-{VERSION}-point-{state.point}-{encode(run_state(state))}"
    return _cached(
        key,
        lambda: analyse_point(state, result.problem, result.trajectory, result.plateaus),
        PointAnalysis,
    )


def finite(a: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(a), a, np.nan)
