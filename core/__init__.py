"""linflow's engine: gradient-descent dynamics of deep linear networks (numpy and scipy only).

Front doors:

- set up: :class:`Problem` (data, assumptions, the SVD reduction), :func:`init_weights`;
- derivatives: :func:`loss`, :func:`gradient`, :func:`hessian`, :func:`hessian_vector_product`,
  :func:`invariants`;
- dynamics: :func:`integrate` (the flow), :func:`gradient_descent` (GD and heavy ball), each
  ending as :mod:`core.stopping` says (only the global minimum stops a run early);
- theory beside the run: :func:`curvature_along` (sharpness and negative curvature along a
  run), :func:`aligned_solution` (closed forms for aligned, balanced starts),
  :func:`plateau_exits` (estimated exits from small starts), :mod:`core.datasets` (data sets
  from the literature, e.g. ``core.datasets.semantic()``);
- the landscape: :func:`ladder`, :func:`critical_point`, :func:`classify`, :func:`polish`,
  :func:`nearest_critical_point`, :func:`hessian_split`, :func:`predicted_split`,
  :func:`plateaus`, :func:`exponential_rate`;
- basins: :func:`sweep`, :func:`escape_sweep`;
- pictures: :mod:`core.geometry` (mode coordinates, PCA, slices).

Subsets of modes are tuples of 0-based indices here; :func:`label` writes them 1-based, as
users read them.
"""

from importlib.metadata import PackageNotFoundError, version

from core import datasets
from core.aligned import AlignedSolution, PlateauExits, aligned_solution, plateau_exits
from core.basins import ChunkSpec, RunSummary, ScaleStats, SweepResult, SweepSpec, sweep
from core.critical import (
    FAMILIES,
    Classification,
    Polished,
    classify,
    critical_point,
    nearest_critical_point,
    polish,
)
from core.critical_values import Ladder, Rung, label, ladder, q_count
from core.curvature import Curvature, curvature_along
from core.derivatives import (
    FLOWS,
    HESSIAN_MAX_PARAMS,
    HessianTooLargeError,
    end_to_end,
    gradient,
    hessian,
    hessian_vector_product,
    invariants,
    loss,
)
from core.descent import gradient_descent
from core.escape import EscapeResult, escape_sweep
from core.geometry import (
    ModeCoordinates,
    PCAProjection,
    Slice,
    direction_to,
    hessian_directions,
    mode_coordinates,
    pca_projection,
    project_onto_plane,
    random_direction,
    slice_2d,
    stable_manifold_init,
)
from core.init import INIT_KINDS, init_weights
from core.integration import METHODS, integrate, sample_grid
from core.problem import Problem, ProblemError
from core.rate import RateBound, exponential_rate, measured_rate, residual_sq
from core.spectrum import HessianSplit, PredictedSplit, hessian_split, predicted_split
from core.stopping import STATUSES, StopRule
from core.trajectory import Trajectory
from core.visits import Plateau, Visit, plateaus

try:
    __version__ = version("linflow")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "FAMILIES",
    "FLOWS",
    "HESSIAN_MAX_PARAMS",
    "INIT_KINDS",
    "METHODS",
    "STATUSES",
    "AlignedSolution",
    "ChunkSpec",
    "Classification",
    "Curvature",
    "EscapeResult",
    "HessianSplit",
    "HessianTooLargeError",
    "Ladder",
    "ModeCoordinates",
    "PCAProjection",
    "Plateau",
    "PlateauExits",
    "Polished",
    "PredictedSplit",
    "Problem",
    "ProblemError",
    "RateBound",
    "RunSummary",
    "Rung",
    "ScaleStats",
    "Slice",
    "StopRule",
    "SweepResult",
    "SweepSpec",
    "Trajectory",
    "Visit",
    "__version__",
    "aligned_solution",
    "classify",
    "critical_point",
    "curvature_along",
    "datasets",
    "direction_to",
    "end_to_end",
    "escape_sweep",
    "exponential_rate",
    "gradient",
    "gradient_descent",
    "hessian",
    "hessian_directions",
    "hessian_split",
    "hessian_vector_product",
    "init_weights",
    "integrate",
    "invariants",
    "label",
    "ladder",
    "loss",
    "measured_rate",
    "mode_coordinates",
    "nearest_critical_point",
    "pca_projection",
    "plateau_exits",
    "plateaus",
    "polish",
    "predicted_split",
    "project_onto_plane",
    "q_count",
    "random_direction",
    "residual_sq",
    "sample_grid",
    "slice_2d",
    "stable_manifold_init",
    "sweep",
]
