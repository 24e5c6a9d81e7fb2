"""linflow.core: gradient-descent dynamics of deep linear networks (numpy and scipy only).

Front doors: :class:`Problem` (data, assumptions, reduction); :func:`loss`, :func:`gradient`,
:func:`hessian`; :func:`integrate`, :func:`gradient_descent`, :func:`exponential_rate`;
:func:`ladder`, :func:`critical_point`, :func:`classify`, :func:`polish`, :func:`hessian_split`,
:func:`predicted_split`, :func:`plateaus`; pictures in :mod:`core.geometry`.
"""

from core.critical import (
    FAMILIES,
    Classification,
    Polished,
    classify,
    critical_point,
    polish,
)
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
from core.integrate import METHODS, integrate, sample_grid
from core.ladder import Ladder, Rung, ladder, q_count
from core.plateaus import Plateau, plateaus
from core.problem import Problem, ProblemError
from core.rate import RateBound, exponential_rate
from core.spectrum import HessianSplit, PredictedSplit, hessian_split, predicted_split
from core.trajectory import Trajectory

__all__ = [
    "FAMILIES",
    "FLOWS",
    "HESSIAN_MAX_PARAMS",
    "INIT_KINDS",
    "METHODS",
    "Classification",
    "HessianSplit",
    "HessianTooLargeError",
    "Ladder",
    "ModeCoordinates",
    "PCAProjection",
    "Plateau",
    "Polished",
    "PredictedSplit",
    "Problem",
    "ProblemError",
    "RateBound",
    "Rung",
    "Slice",
    "Trajectory",
    "classify",
    "critical_point",
    "direction_to",
    "end_to_end",
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
    "ladder",
    "loss",
    "mode_coordinates",
    "pca_projection",
    "plateaus",
    "polish",
    "predicted_split",
    "project_onto_plane",
    "q_count",
    "random_direction",
    "sample_grid",
    "slice_2d",
    "stable_manifold_init",
]
