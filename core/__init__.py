"""linflow.core: gradient-descent dynamics of deep linear networks (numpy and scipy only).

Front doors: :class:`Problem` (data, assumptions, reduction), :func:`loss`, :func:`gradient`,
:func:`hessian`, :func:`integrate`, :func:`gradient_descent`, :func:`exponential_rate`.
"""

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
from core.init import INIT_KINDS, init_weights
from core.integrate import METHODS, integrate, sample_grid
from core.problem import Problem, ProblemError
from core.rate import RateBound, exponential_rate
from core.trajectory import Trajectory

__all__ = [
    "FLOWS",
    "HESSIAN_MAX_PARAMS",
    "INIT_KINDS",
    "METHODS",
    "HessianTooLargeError",
    "Problem",
    "ProblemError",
    "RateBound",
    "Trajectory",
    "end_to_end",
    "exponential_rate",
    "gradient",
    "gradient_descent",
    "hessian",
    "hessian_vector_product",
    "init_weights",
    "integrate",
    "invariants",
    "loss",
    "sample_grid",
]
