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
COMPARE_OFFSETS = (1, 2)  # "seeds": extra runs at init_seed + these.
COMPARE_FACTORS = (0.1, 10.0)  # "scales": extra runs at init_scale times these.
INTERACTIVE_SECONDS = 20.0  # A run stops past this (gunicorn's worker timeout is 60 s).
SLICE_N = 101  # Grid points per side of a landscape slice.


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
    """Everything the panels draw for one state. ``others`` are the comparison runs
    (label, trajectory); ``rate`` is Proposition 2 at the start, in reduced coordinates."""

    state: AppState
    problem: core.Problem
    trajectory: core.Trajectory
    discrete: core.Trajectory | None
    ladder: core.Ladder
    plateaus: tuple[core.Plateau, ...]
    limit: PointAnalysis
    seconds: float
    others: tuple[tuple[str, core.Trajectory], ...] = ()
    rate: core.RateBound | None = None

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
    if state.source == "upload":
        from app.uploads import load

        X, Y = load(state.data_hash)  # samples are rows in the files
        return core.Problem.from_data(X.T, Y.T, widths)
    return core.Problem.random(state.dx, state.dy, state.m, widths, seed=state.data_seed)


def _analyse(
    problem: core.Problem, key: str, title: str, weights: tuple, flow: str
) -> PointAnalysis:
    """Polish ``weights`` onto the critical set, classify them, and measure the Hessian."""
    pol = core.polish(problem, weights, flow)
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


def initial_weights(
    state: AppState, problem: core.Problem, seed: int | None = None, scale: float | None = None
) -> tuple:
    """The start in REDUCED coordinates (the flows' shared starting point)."""
    seed = state.init_seed if seed is None else seed
    scale = state.init_scale if scale is None else scale
    if state.init_kind == "manifold":
        subset = tuple(i - 1 for i in state.manifold_subset)
        return core.stable_manifold_init(problem, subset, scale, seed, state.perturbation)
    return core.init_weights(problem, scale, seed, state.init_kind)


def _run(state: AppState, problem: core.Problem, W0_reduced: tuple, flow: str) -> core.Trajectory:
    W0 = problem.to_original(W0_reduced) if flow == "original" else W0_reduced
    return core.integrate(
        problem, W0, state.t_max, flow=flow, rtol=state.rtol, max_seconds=INTERACTIVE_SECONDS
    )


def comparison_runs(
    state: AppState, problem: core.Problem
) -> tuple[tuple[str, core.Trajectory], ...]:
    """The extra runs drawn beside the main one (several seeds, scales, or the other flow)."""
    if state.compare == "seeds":
        return tuple(
            (
                f"init seed {state.init_seed + k}",
                _run(
                    state,
                    problem,
                    initial_weights(state, problem, seed=state.init_seed + k),
                    state.flow,
                ),
            )
            for k in COMPARE_OFFSETS
        )
    if state.compare == "scales":
        return tuple(
            (
                f"init scale {state.init_scale * f:g}",
                _run(
                    state,
                    problem,
                    initial_weights(state, problem, scale=state.init_scale * f),
                    state.flow,
                ),
            )
            for f in COMPARE_FACTORS
        )
    if state.compare == "flows":
        other = "original" if state.flow == "reduced" else "reduced"
        return ((f"{other} flow", _run(state, problem, initial_weights(state, problem), other)),)
    return ()


def compute(state: AppState) -> RunResult:
    """Everything every panel shows for ``state`` (uncached)."""
    t0 = time.perf_counter()
    problem = build_problem(state)
    W0_reduced = initial_weights(state, problem)
    W0 = problem.to_original(W0_reduced) if state.flow == "original" else W0_reduced
    traj = core.integrate(
        problem, W0, state.t_max, flow=state.flow, rtol=state.rtol, max_seconds=INTERACTIVE_SECONDS
    )
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
            max_seconds=INTERACTIVE_SECONDS,
        )
    plats = core.plateaus(problem, traj)
    limit = analyse_point(state.replace(point="limit"), problem, traj, plats)
    others = comparison_runs(state, problem)
    rate = core.exponential_rate(problem, W0_reduced)
    return RunResult(
        state,
        problem,
        traj,
        discrete,
        core.ladder(problem),
        plats,
        limit,
        time.perf_counter() - t0,
        others,
        rate,
    )


VIEW_FIELDS = (
    "point",
    "loss_axis",
    "projection",
    "modes",
    "slice_dirs",
    "slice_extent",
    "slice_kind",
    "preset",
)


def run_state(state: AppState) -> AppState:
    """The state with view-only fields at their defaults: what the run depends on."""
    default = AppState()
    return state.replace(**{f: getattr(default, f) for f in VIEW_FIELDS})


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


def get_point(state: AppState, result: RunResult | None = None) -> PointAnalysis:
    """The analysis of the point ``state.point`` selects (the limit comes with the run).
    Pass ``result`` when the caller already has it, so the run is not fetched again."""
    result = get_result(state) if result is None else result
    if state.point == "limit":
        return result.limit
    key = f"linflow-{VERSION}-point-{state.point}-{encode(run_state(state))}"
    return _cached(
        key,
        lambda: analyse_point(state, result.problem, result.trajectory, result.plateaus),
        PointAnalysis,
    )


@dataclass(frozen=True)
class SliceResult:
    """A loss slice through the selected point, with the run projected onto its plane."""

    point: PointAnalysis
    plane: core.Slice
    coords: np.ndarray  # (n, 2) the run's samples in the plane's coordinates
    distance: np.ndarray  # (n,) each sample's distance to the plane
    labels: tuple[str, str]


def _directions(
    state: AppState, problem: core.Problem, center: tuple, traj: core.Trajectory, flow: str
) -> tuple[tuple, tuple, tuple[str, str]]:
    if state.slice_dirs == "random":
        return (
            core.random_direction(problem, center, seed=1),
            core.random_direction(problem, center, seed=2),
            ("random direction 1 (layer-normalised)", "random direction 2"),
        )
    neg, pos, lneg, lpos = core.hessian_directions(problem, center, flow)
    if state.slice_dirs == "to_minimum":
        target = core.critical_point(problem, tuple(range(problem.dy)), seed=0)
        if flow == "original":
            target = problem.to_original(target)
        if float(sum(np.sum((a - b) ** 2) for a, b in zip(target, center, strict=True))) > 1e-24:
            return (
                core.direction_to(problem, center, target),
                neg,
                (
                    "direction to a global minimum (critical point)",
                    f"most negative eigvec ({lneg:.3g})",
                ),
            )
    if state.slice_dirs == "to_end":
        end = traj.final_weights
        if float(sum(np.sum((a - b) ** 2) for a, b in zip(end, center, strict=True))) > 1e-24:
            return (
                core.direction_to(problem, center, end),
                neg,
                ("direction to the end of the run", f"most negative eigvec ({lneg:.3g})"),
            )
    return (
        neg,
        pos,
        (
            f"most negative eigvec (lambda = {lneg:.3g})",
            f"most positive eigvec (lambda = {lpos:.3g})",
        ),
    )


def compute_slice(state: AppState, result: RunResult, point: PointAnalysis) -> SliceResult:
    problem, traj = result.problem, result.trajectory
    center = point.polished.weights
    d1, d2, labels = _directions(state, problem, center, traj, traj.flow)
    plane = core.slice_2d(problem, center, d1, d2, state.slice_extent, SLICE_N, traj.flow)
    coords, dist = core.project_onto_plane(traj, plane)
    return SliceResult(point, plane, coords, dist, labels)


def get_slice(state: AppState, result: RunResult | None = None) -> SliceResult:
    """The slice through the selected point (cached); ``result`` as for :func:`get_point`."""
    result = get_result(state) if result is None else result
    point = get_point(state, result)
    key = (
        f"linflow-{VERSION}-slice-{state.point}-{state.slice_dirs}-{state.slice_extent!r}-"
        f"{encode(run_state(state))}"
    )
    return _cached(key, lambda: compute_slice(state, result, point), SliceResult)
