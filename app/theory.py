"""What theory says beside a run (issue 18): the curvature along it and along its discrete run,
the closed form of an aligned start, the estimated plateau exits of a small generic start, and
for a named data set what each of its modes separates. Computed with the run
(:func:`app.computation.compute`), drawn by ``app.figures.curvature``, ``theory`` and
``outputs``."""

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
    """The known results drawn beside a run: the curvature along it (and along the discrete
    run), the closed form of an aligned start (``aligned``, None otherwise or when it does not
    apply), the estimated plateau exits of a generic small start (``exits``), and for a named
    data set the data set and what each mode separates (``modes``: name, |cos|)."""

    curvature: core.Curvature
    discrete_curvature: core.Curvature | None = None
    aligned: core.AlignedSolution | None = None
    exits: core.PlateauExits | None = None
    dataset: core.datasets.Dataset | None = None
    modes: tuple[tuple[str, float], ...] = ()


def theory(
    state: AppState,
    problem: core.Problem,
    W0_reduced: tuple,
    traj: core.Trajectory,
    discrete: core.Trajectory | None,
) -> Theory:
    """What theory says beside this run (see :class:`Theory`)."""
    n = (
        CURVATURE_SAMPLES
        if problem.n_params <= core.curvature.DENSE_MAX_PARAMS
        else (CURVATURE_SAMPLES_LARGE)
    )
    curvature = core.curvature_along(problem, traj, samples=n)
    discrete_curvature = (
        core.curvature_along(problem, discrete, samples=n) if discrete is not None else None
    )
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
    return Theory(curvature, discrete_curvature, aligned, exits, dataset, modes or ())
