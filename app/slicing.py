"""The landscape slice through an analysed point: its plane (two directions the state names), the
loss on a grid over it, and the run projected onto it. Pure computation, as
:mod:`app.computation`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import core
from app.budget import Budget
from app.computation import PointAnalysis, RunResult
from app.state import AppState

SLICE_N = 101  # Grid points per side of a landscape slice.


@dataclass(frozen=True)
class SliceResult:
    """A loss slice through the selected point, with the run projected onto its plane."""

    point: PointAnalysis
    plane: core.Slice
    coords: np.ndarray  # (n, 2) the run's samples in the plane's coordinates
    distance: np.ndarray  # (n,) each sample's distance to the plane
    labels: tuple[str, str]


def _far(a: tuple, b: tuple) -> bool:
    return float(sum(np.sum((x - y) ** 2) for x, y in zip(a, b, strict=True))) > 1e-24


def _directions(
    state: AppState, problem: core.Problem, center: tuple, traj: core.Trajectory
) -> tuple[tuple, tuple, tuple[str, str]]:
    flow = traj.flow
    if state.slice_dirs == "random":
        return (
            core.random_direction(problem, center, seed=1),
            core.random_direction(problem, center, seed=2),
            ("random direction 1 (layer-normalised)", "random direction 2"),
        )
    neg, pos, lneg, lpos = core.hessian_directions(problem, center, flow=flow)
    if state.slice_dirs == "to_minimum":
        target = core.critical_point(problem, tuple(range(problem.dy)), seed=0)
        if flow == "original":
            target = problem.to_original(target)
        if _far(target, center):
            return (
                core.direction_to(problem, center, target),
                neg,
                (
                    "direction to a global minimum (critical point)",
                    f"most negative eigvec ({lneg:.3g})",
                ),
            )
    if state.slice_dirs == "to_end" and _far(traj.final_weights, center):
        return (
            core.direction_to(problem, center, traj.final_weights),
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


def compute_slice(
    state: AppState, result: RunResult, point: PointAnalysis, budget: Budget | None = None
) -> SliceResult:
    if budget is not None:
        budget.check("The landscape slice")
    problem, traj = result.problem, result.trajectory
    center = point.polished.weights
    d1, d2, labels = _directions(state, problem, center, traj)
    plane = core.slice_2d(
        problem, center, d1, d2, extent=state.slice_extent, n=SLICE_N, flow=traj.flow
    )
    coords, dist = core.project_onto_plane(traj, plane)
    return SliceResult(point, plane, coords, dist, labels)
