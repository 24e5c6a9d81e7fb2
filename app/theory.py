"""What theory says beside a run (issue 18): the closed form of an aligned start, the estimated
plateau exits of a small generic start, and for a named data set what each of its modes
separates, computed with the run (:func:`app.computation.compute_run`); and the curvature along
the run and its discrete run, computed after it with the limit
(:func:`app.computation.analyse_end`: the explorer draws L(t) and the trajectory before these
are done). Drawn by ``app.figures.theory``, ``outputs`` and ``curvature``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import core
from app.state import AppState

# Samples of a run at which the curvature panel diagonalises the Hessian (dense up to
# core.curvature.DENSE_MAX_PARAMS parameters: ~10 ms for the default problem), fewer beyond,
# where each sample costs a Lanczos run (~10 ms at 750 parameters, ~30 ms at 1,350 and ~100 ms
# at 6,000 at the end of a run: the panel is drawn with every view, so it must stay cheap).
CURVATURE_SAMPLES = 60
CURVATURE_SAMPLES_LARGE = 10
# Plateau exits are estimated for starts whose every effective mode strength is below this
# fraction of its singular value (larger starts have no plateau to leave).
EXIT_MAX_STRENGTH = 0.05


@dataclass(frozen=True)
class Theory:
    """The known results drawn beside a run: the closed form of an aligned start (``aligned``,
    None otherwise or when it does not apply), the estimated plateau exits of a generic small
    start (``exits``), and for a named data set the data set and what each mode separates
    (``modes``: name, |cos|)."""

    aligned: core.AlignedSolution | None = None
    exits: core.PlateauExits | None = None
    dataset: core.datasets.Dataset | None = None
    modes: tuple[tuple[str, float], ...] = ()


def theory(
    state: AppState,
    problem: core.Problem,
    W0_reduced: tuple,
    traj: core.Trajectory,
) -> Theory:
    """What theory says beside this run (see :class:`Theory`)."""
    aligned = exits = None
    decoupled = state.flow == "reduced" or problem.is_whitened  # where the closed form holds
    if state.init_kind == "aligned" and decoupled:
        u0 = state.init_scale ** (problem.depth + 1)
        aligned = core.aligned_solution(problem, u0, traj.t)
    elif state.init_kind != "aligned":
        est = core.plateau_exits(problem, W0_reduced)
        small = bool(np.all(est.u0 < EXIT_MAX_STRENGTH * problem.singular_values))
        exits = est if small and np.all(np.isfinite(est.times)) else None
    dataset = modes = None
    if state.source == "dataset":
        dataset = core.datasets.load(state.dataset)
        modes = core.datasets.mode_names(problem, dataset)
    return Theory(aligned, exits, dataset, modes or ())


def curvature_along(problem: core.Problem, traj: core.Trajectory) -> core.Curvature:
    """The Hessian's extreme eigenvalues along ``traj`` at the panel's number of samples."""
    dense = problem.n_params <= core.curvature.DENSE_MAX_PARAMS
    n = CURVATURE_SAMPLES if dense else CURVATURE_SAMPLES_LARGE
    return core.curvature_along(problem, traj, samples=n)
