"""Integrate the gradient flow dW/dt = -grad L(W) (the paper's GDD, or the original flow).

The flow is stiff once a mode is learned (at a balanced minimum the top Hessian eigenvalue is
(H+1) s_1^{2H/(H+1)}, ~82 on P1, while plateaus last ~ln(1/eps)/s or ~1/eps), and its Jacobian
is minus the symmetric Hessian. ``method="auto"`` chooses, by size and stiffness, among methods
that meet the requested tolerance (measured: L(t) and the weights within 20 x rtol on runs
without saddle escapes; ``benchmarks/RESULTS.md``):

- "compiled" (:mod:`core.kernel`): an explicit Runge-Kutta method with the right-hand side in C,
  steps capped at its stability limit, whenever the stiffness keeps the number of stability-bound
  steps (~ rho t_max / 3, rho the top Hessian eigenvalue) modest: Dormand-Prince 5(4) on small
  networks ("compiled-DP5"), DOP853 on large ones ("compiled-DOP853", products through BLAS);
- "LSODA" with the exact analytic Jacobian (minus the dense Hessian) for stiffer ones up to
  HESSIAN_MAX_PARAMS parameters (and LSODA_MAX_LAYERS layers); beyond that the compiled kernel
  again (slow when stiff, but right), or scipy's RK45 for nets deeper than the kernel holds.

"RKC" (:mod:`core.rkc`) is kept for explicit use only: its global error grows like rtol^(2/3)
(measured up to 7,000 x rtol at 1e-10), so ``auto`` never promises accuracy with it.

Escapes from saddles amplify any error: a run that leaves a plateau does so at a time set by
tiny components of the weights, so the timing of a late escape is sensitive to every earlier
error (P1 at rtol 1e-8 is off by 5e-5 in L during its last escape). ``benchmarks/RESULTS.md``
reports the rtol each benchmark needed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
from numpy.typing import ArrayLike, NDArray

from core import kernel
from core._weights import as_weights, flatten
from core.critical_values import LADDER_MAX_DY, Bands, Ladder, ladder
from core.derivatives import HESSIAN_MAX_PARAMS, Objective, objective
from core.problem import Problem
from core.scipy_path import SCIPY_NAMES, make_solver, run_solver
from core.solve import RawRun, SolveSpec
from core.stopping import StopRule, end_status, status_message
from core.trajectory import Trajectory, build_trajectory

__all__ = ["DEFAULT_SAMPLES", "METHODS", "integrate", "sample_grid"]

COMPILED = {"compiled-DP5": "DP5", "compiled-DOP853": "DOP853"}  # name -> core.kernel method
METHODS = ("compiled", *COMPILED, "RKC", *SCIPY_NAMES)
AUTO_COMPILED_MAX = 50_000  # Up to this many parameters "auto" may use the compiled kernel ...
# ... if rho t_max / STABLE_H_RHO, its stability-bound steps, stay below this. Measured on
# P1-sized nets (s_1 = 40 ... 150): the compiled kernel and LSODA both take ~0.1 s near 70,000.
AUTO_COMPILED_STEPS = 60_000
# LSODA's Jacobian is the dense Hessian, assembled from L^2 layer blocks: beyond this depth it
# costs seconds per evaluation (a 1,025-layer chain: 239 s for t = 0.01).
LSODA_MAX_LAYERS = 64
DEFAULT_SAMPLES = 1000  # Half log-spaced (plateaus span decades), half uniform (escapes late on).
LOG_GRID_START = 1e-6  # The log-spaced half of the grid starts at this fraction of t_max.
DIVERGE_NORM = 1e8  # Any weight larger than this in absolute value counts as a blow-up.


def sample_grid(t_max: float, n: int = DEFAULT_SAMPLES) -> NDArray[np.float64]:
    """Default sample times in [0, t_max]: 0, n/2 log-spaced times and n/2 uniform times."""
    if n < 2:
        raise ValueError(f"n_samples must be >= 2, got {n}")
    log = np.geomspace(LOG_GRID_START * t_max, t_max, n // 2)
    lin = np.linspace(0.0, t_max, n - n // 2)
    return np.unique(np.concatenate([[0.0], log, lin, [t_max]]))


def bands_for(problem: Problem) -> tuple[Bands | None, Ladder | None]:
    """The ladder and its plateau bands, or (None, None) when there are too many rungs."""
    if problem.dy > LADDER_MAX_DY:
        return None, None
    lad = ladder(problem)
    return lad.bands(), lad


def stiffness_estimate(problem: Problem, obj: Objective, theta0: NDArray[np.float64]) -> float:
    """An estimate of the largest Hessian eigenvalue along the run: the larger of its value at
    the start (power iteration) and at a balanced global minimum, where every layer carries
    s_i^(1/(H+1)) and the top eigenvalue is (H+1) s_1^(2H/(H+1)) (times ``||S||`` for the original
    flow, whose metric is S = X X^T)."""
    H = problem.depth
    at_min = (H + 1) * float(problem.singular_values[0]) ** (2 * H / (H + 1))
    S = obj.S
    if S is not None:
        at_min *= float(np.linalg.norm(S, 2))
    return float(max(at_min, obj.spectral_radius(theta0)[0]))


def choose_method(
    method: str, problem: Problem, obj: Objective, theta0: NDArray[np.float64], t_max: float
) -> str:
    """Resolve "auto" and "compiled" (see the module docstring); check any other name."""
    if method not in ("auto", *METHODS):
        raise ValueError(f"method must be 'auto' or one of {sorted(METHODS)}; got {method!r}")
    small = obj.n_params <= kernel.BLAS_MIN_PARAMS
    compiled = "compiled-DP5" if small else "compiled-DOP853"
    if method == "compiled":
        method = compiled
    if method in COMPILED and not kernel.supports(obj):
        raise ValueError(
            f"method {method!r} needs the compiled kernel (built on install; at most "
            f"{kernel.MAX_LAYERS} layers)"
        )
    if method != "auto":
        return method
    n = obj.n_params
    in_kernel = kernel.supports(obj)
    if in_kernel and n <= AUTO_COMPILED_MAX:
        stable = kernel.STABLE_H_RHO[COMPILED[compiled]]
        if stiffness_estimate(problem, obj, theta0) * t_max / stable <= AUTO_COMPILED_STEPS:
            return compiled
    if n <= HESSIAN_MAX_PARAMS and len(obj.shapes) <= LSODA_MAX_LAYERS:
        return "LSODA"
    return compiled if in_kernel else "RK45"


def integrate(
    problem: Problem,
    W0: Sequence[ArrayLike],
    t_max: float,
    *,
    flow: str = "reduced",
    rtol: float = 1e-8,
    method: str = "auto",
    t_eval: ArrayLike | None = None,
    stop: bool | None = None,
    atol: float | None = None,
    gtol: float | None = None,
    n_samples: int = DEFAULT_SAMPLES,
    max_norm: float = DIVERGE_NORM,
    progress: Callable[[float], None] | None = None,
    max_seconds: float | None = None,
) -> Trajectory:
    """Solve dW/dt = -grad L(W) from W0 on [0, t_max] and sample the solution.

    Parameters
    ----------
    problem : Problem
    W0 : sequence of arrays
        W_j of shape (d_j, d_{j-1}), in ``flow``'s coordinates.
    t_max : float > 0
    flow : {"reduced", "original"}
    rtol : float
        Relative tolerance; ``atol`` defaults to ``rtol * rms(W0)`` (small inits need it).
    method : str
        "auto", "compiled" ("compiled-DP5" or "compiled-DOP853"), "RKC" or any scipy
        ``solve_ivp`` method name.
    t_eval : array_like, shape (k,), optional
        Exact sample times in [0, t_max]. By default about ``n_samples`` times (log-spaced
        and uniform) and the end.
    stop : bool, optional
        Stop at the global minimum when the stopping rule holds (see ``gtol``); the default is
        to stop unless ``t_eval`` is given (then every requested sample is computed). A run
        that stopped rests there: later samples are not produced.
    gtol : float, optional
        The gradient tolerance of the stopping rule (:class:`core.stopping.StopRule`): the run
        stops only at the global minimum, when ||grad L|| < gtol (default 1e-9 max(1, s_1^2))
        and L - L* < 1e-6 x 1/2 s_dy^2.
    progress : callable(fraction), optional
        Called as the run advances with t / t_max.
    max_seconds : float, optional
        A wall-clock budget: past it the run stops with status "budget" and a message saying
        so, keeping the samples so far (servers use it so no request outlives its worker).

    Returns
    -------
    Trajectory
        With status "converged" (the global minimum), "saddle" (t_max reached on a saddle's
        plateau, named in ``saddle``), "t_max" (still moving), "diverged" (a weight exceeded
        ``max_norm``; the samples before it kept), "budget" or "failed", and ``visits``, the
        stays in rung bands (:func:`core.plateaus`, from :mod:`core.visits`).

    Examples
    --------
    From a small start a deep run climbs down the ladder one mode at a time; stopped early, it
    is on a saddle's plateau, which is not convergence:

    >>> import core
    >>> p = core.Problem.from_spectrum([3.0, 2.0, 1.0], dx=4, widths=(3, 3))
    >>> W0 = core.init_weights(p, 1e-3, seed=0)
    >>> run = core.integrate(p, W0, 1e4)
    >>> run.status, [pl.label for pl in core.plateaus(p, run)]
    ('converged', ['{}', '{1}', '{1,2}'])
    >>> early = core.integrate(p, W0, 100.0)
    >>> early.status, core.label(early.saddle)
    ('saddle', '{}')
    """
    t0_wall = time.perf_counter()
    if not (np.isfinite(t_max) and t_max > 0):
        raise ValueError(f"t_max must be a positive finite number; got {t_max!r}")
    if not 0 < rtol < 0.1:
        raise ValueError(f"rtol must be in (0, 0.1); got {rtol!r}")
    obj = objective(problem, flow)
    theta0 = flatten(as_weights(W0, problem.shapes))
    if not np.all(np.isfinite(theta0)):
        raise ValueError("W0 has non-finite entries")
    if atol is None:
        atol = rtol * max(float(np.sqrt(np.mean(theta0**2))), 1e-12)
    if t_eval is None:
        grid = sample_grid(float(t_max), n_samples)
    else:
        grid = np.asarray(t_eval, dtype=np.float64).ravel()
    bands, lad = bands_for(problem)
    rule = StopRule.for_problem(problem, gtol=gtol)
    solve = SolveSpec(
        float(t_max),
        grid,
        rtol,
        atol,
        rule,
        t_eval is None if stop is None else bool(stop),
        bands,
        max_norm,
        max_seconds,
        progress,
    )
    used = choose_method(method, problem, obj, theta0, float(t_max))
    if used in COMPILED:
        raw = kernel.run(obj, theta0, solve, method=COMPILED[used])
    else:
        raw = run_solver(make_solver(used, obj, theta0, solve), used, obj, theta0, solve)
    return finish(obj, raw, solve.rule, bands, lad, flow=flow, method=used, t0_wall=t0_wall)


def finish(
    obj: Objective,
    raw: RawRun,
    rule: StopRule,
    bands: Bands | None,
    lad: Ladder | None,
    *,
    flow: str,
    method: str,
    t0_wall: float,
) -> Trajectory:
    """The Trajectory of a raw run, with its end said truly (``core.stopping``)."""
    traj = build_trajectory(
        obj,
        raw.t,
        raw.y,
        status="t_max",
        message="",
        nfev=raw.nfev,
        njev=raw.njev,
        wall_time=0.0,
        flow=flow,
        method=method,
        visits=raw.visits,
    )
    g, excess, t_end = float(traj.grad_norm[-1]), float(traj.excess[-1]), traj.t_end
    status, subset = raw.status, None
    if status in ("t_max", "converged"):
        status, subset = end_status(rule, bands, lad, g, excess)
    message = status_message(
        status, t_end, excess=excess, grad_norm=g, subset=subset, detail=raw.detail
    )
    return replace(
        traj,
        status=status,
        message=message,
        saddle=subset,
        wall_time=time.perf_counter() - t0_wall,
    )
