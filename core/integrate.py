"""Integrate the gradient flow dW/dt = -grad L(W) (the paper's GDD, or the original flow).

The flow is stiff once a mode is learned (at a balanced minimum the top Hessian eigenvalue is
(H+1) s_1^{2H/(H+1)}, ~82 on P1, while plateaus last ~ln(1/eps)/s or ~1/eps), and its Jacobian
is minus the symmetric Hessian.
``method="auto"`` chooses, by size and stiffness:

- "compiled" (:mod:`core.kernel`): an explicit Runge-Kutta method with the right-hand side in C,
  steps capped at the method's stability limit, whenever the flow's stiffness keeps the number
  of stability-bound steps (~ rho t_max / 3, rho the top Hessian eigenvalue) modest: Dormand-
  Prince 5(4) on small networks ("compiled-DP5"; a Python-level solver spends its time there in
  interpreter overhead, not arithmetic), DOP853 on large ones ("compiled-DOP853", products
  through BLAS; fewer evaluations when accuracy, not stability, sets the step);
- "LSODA" with the exact analytic Jacobian (minus the dense Hessian) for small but stiffer ones;
- "RKC", the Runge-Kutta-Chebyshev method (:mod:`core.rkc`), whose stable step grows with the
  square of its stage count, on large ones, with the spectral radius from power iteration on
  exact Hessian-vector products.

scipy.integrate (and RKC, built on it) is imported only when one of its methods runs: it
costs more to import than the compiled kernel takes to solve a small problem.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from core import kernel
from core._weights import as_weights, flatten, unflatten
from core.derivatives import HESSIAN_MAX_PARAMS, Objective, objective
from core.problem import Problem
from core.trajectory import Trajectory, build_trajectory

__all__ = ["DEFAULT_SAMPLES", "METHODS", "integrate", "sample_grid"]

SCIPY_NAMES = ("RK23", "RK45", "DOP853", "Radau", "BDF", "LSODA")  # scipy's solve_ivp methods
COMPILED = {"compiled-DP5": "DP5", "compiled-DOP853": "DOP853"}  # name -> core.kernel method
METHODS = ("compiled", *COMPILED, "RKC", *SCIPY_NAMES)
IMPLICIT = ("Radau", "BDF", "LSODA")
AUTO_IMPLICIT_MAX = 600  # Up to this many parameters "auto" is LSODA + exact Jacobian; above, RKC.
AUTO_COMPILED_MAX = 50_000  # Up to this many parameters "auto" may use the compiled kernel ...
# ... if rho t_max / STABLE_H_RHO, its stability-bound steps, stay below this. Measured on
# P1-sized nets (s_1 = 40 ... 150): the compiled kernel and LSODA both take ~0.1 s near 70,000.
AUTO_COMPILED_STEPS = 60_000
DEFAULT_SAMPLES = 1000  # Half log-spaced (plateaus span decades), half uniform (escapes late on).
LOG_GRID_START = 1e-6  # The log-spaced half of the grid starts at this fraction of t_max.
DIVERGE_NORM = 1e8  # Any weight larger than this in absolute value counts as a blow-up.
GTOL = 1e-9  # Converged when ||grad L|| < GTOL * max(1, s_1^2) ...
# ... and ||grad L|| has fallen to GTOL_DROP of its largest value along the run. A tiny start
# near the origin (a degenerate saddle for H >= 2: gradient O(scale^H)) is below GTOL at t = 0
# but has not settled anywhere; it is on the origin's plateau and escapes later.
GTOL_DROP = 1e-3
POWER_ITERS = 30  # Power-iteration cap for the spectral radius used by RKC.
POWER_RTOL = 1e-2  # Stop power iteration when the estimate moves less than this, relatively.


def sample_grid(t_max: float, n: int = DEFAULT_SAMPLES) -> NDArray[np.float64]:
    """Default sample times in [0, t_max]: 0, n/2 log-spaced times and n/2 uniform times."""
    if n < 2:
        raise ValueError(f"n_samples must be >= 2, got {n}")
    log = np.geomspace(LOG_GRID_START * t_max, t_max, n // 2)
    lin = np.linspace(0.0, t_max, n - n // 2)
    return np.unique(np.concatenate([[0.0], log, lin, [t_max]]))


def default_gtol(problem: Problem) -> float:
    return GTOL * max(1.0, float(problem.singular_values[0]) ** 2)


def settled(gnorm: Any, peak: Any, gtol: float) -> Any:
    """The convergence test (scalars or arrays): ||grad L|| below gtol and at most GTOL_DROP of
    ``peak``, the largest ||grad L|| seen along the run. An exact critical point (gradient 0
    from the start) counts as settled."""
    return (gnorm < gtol) & (gnorm <= GTOL_DROP * peak)


def _spectral_radius_fn(obj: Objective) -> Callable[[float, NDArray[np.float64]], float]:
    """rho(t, theta) ~ max |eig(Hessian)| by warm-started power iteration on exact HVPs."""
    state = {"v": np.random.default_rng(0).standard_normal(obj.n_params)}

    def rho(t: float, theta: NDArray[np.float64]) -> float:
        Ws = unflatten(theta, obj.shapes)
        v, est = state["v"] / np.linalg.norm(state["v"]), 0.0
        for _ in range(POWER_ITERS):
            hv = flatten(obj.hvp(Ws, unflatten(v, obj.shapes)))
            new = float(np.linalg.norm(hv))
            if new == 0.0:
                break
            v = hv / new
            if abs(new - est) <= POWER_RTOL * new:
                est = new
                break
            est = new
        state["v"] = v
        return est

    return rho


def stiffness_estimate(problem: Problem, obj: Objective, theta0: NDArray[np.float64]) -> float:
    """An estimate of the largest Hessian eigenvalue along the run: the larger of its value at
    the start (power iteration) and at a balanced global minimum, where every layer carries
    s_i^(1/(H+1)) and the top eigenvalue is (H+1) s_1^(2H/(H+1)) (times ||S|| for the original
    flow, whose metric is S = X X^T)."""
    H = problem.depth
    at_min = (H + 1) * float(problem.singular_values[0]) ** (2 * H / (H + 1))
    S = obj.S
    if S is not None:
        at_min *= float(np.linalg.norm(S, 2))
    return max(at_min, _spectral_radius_fn(obj)(0.0, theta0))


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
    if n <= AUTO_COMPILED_MAX and kernel.supports(obj):
        stable = kernel.STABLE_H_RHO[COMPILED[compiled]]
        if stiffness_estimate(problem, obj, theta0) * t_max / stable <= AUTO_COMPILED_STEPS:
            return compiled
    return "LSODA" if n <= AUTO_IMPLICIT_MAX else "RKC"


def _make_solver(
    method: str, obj: Objective, theta0: NDArray[np.float64], t_end: float, rtol: float, atol: float
) -> Any:
    """A scipy OdeSolver (or our RKC, built on scipy's OdeSolver) for ``method``."""
    from scipy.integrate._ivp.ivp import METHODS as SCIPY_METHODS

    from core.rkc import RKC

    if method == "RKC":
        rho = _spectral_radius_fn(obj)
        return RKC(obj.rhs, 0.0, theta0, t_end, rtol=rtol, atol=atol, spectral_radius=rho)
    kwargs: dict[str, object] = {"rtol": rtol, "atol": atol}
    if method in IMPLICIT and obj.n_params <= HESSIAN_MAX_PARAMS:
        kwargs["jac"] = lambda t, y: -obj.hessian(unflatten(y, obj.shapes))
    return SCIPY_METHODS[method](obj.rhs, 0.0, theta0, t_end, **kwargs)


def _run_solver(
    solver: Any,
    used: str,
    obj: Objective,
    theta0: NDArray[np.float64],
    t_max: float,
    grid: NDArray[np.float64],
    gtol: float,
    stop_at_convergence: bool,
    max_norm: float,
    progress: Callable[[float], None] | None,
    max_seconds: float | None,
    t0_wall: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64], str, str, int, int]:
    """Step a scipy-style solver over [0, t_max], sampling ``grid`` from its dense output and
    stopping as :func:`integrate` documents: (t, y, status, message, nfev, njev)."""
    ts: list[float] = []
    ys: list[NDArray[np.float64]] = []
    i_next = 0
    if grid[0] == 0.0:
        ts.append(0.0)
        ys.append(theta0)
        i_next = 1
    status, message, extra_nfev = "t_max", "", int(stop_at_convergence)
    t_prev, y_prev = 0.0, theta0
    g_peak = float(np.linalg.norm(obj.rhs(0.0, theta0))) if stop_at_convergence else 0.0
    while solver.status == "running":
        solver.step()
        if solver.status == "failed":
            status, message = (
                "failed",
                f"solver {used} failed at t = {solver.t:.6g}: {solver.status}",
            )
            break
        t_new, y = solver.t, solver.y
        if not np.all(np.isfinite(y)) or np.max(np.abs(y)) > max_norm:
            status = "diverged"
            message = f"weights exceeded {max_norm:.0e} (diverged) at t = {t_new:.6g}"
            break
        j = int(np.searchsorted(grid, t_new, side="right"))
        if j > i_next:
            vals = solver.dense_output()(grid[i_next:j])
            ts.extend(grid[i_next:j].tolist())
            ys.extend(vals.T)
            i_next = j
        if progress is not None:
            progress(min(1.0, t_new / t_max))
        if max_seconds is not None and time.perf_counter() - t0_wall > max_seconds:
            status = "failed"
            message = (
                f"stopped at t = {t_new:.6g} after {max_seconds:g} s of computation (the "
                "time budget); lower t_max or run it from the command line"
            )
            ts.append(float(t_new))
            ys.append(np.array(y))
            break
        if stop_at_convergence and t_new > t_prev:
            # ||y_new - y_old|| / h approximates ||grad L|| for free; confirm with one evaluation.
            speed = float(np.linalg.norm(y - y_prev)) / (t_new - t_prev)
            g_peak = max(g_peak, speed)
            if speed < 10 * gtol:
                extra_nfev += 1
                g = float(np.linalg.norm(obj.rhs(t_new, y)))
                if settled(g, g_peak, gtol):
                    status = "converged"
                    message = f"converged at t = {t_new:.6g} (||grad L|| = {g:.2e} < {gtol:.1e})"
                    if not ts or ts[-1] < t_new:
                        ts.append(float(t_new))
                        ys.append(np.array(y))
                    break
        t_prev, y_prev = t_new, np.array(y)
    if status == "t_max":
        message = f"reached t_max = {t_max:.6g} without converging"
        if stop_at_convergence and ts[-1] < t_max:
            ts.append(float(t_max))
            ys.append(np.array(solver.y))
    if not ts:  # diverged before the first requested sample
        ts, ys = [t_prev], [y_prev]
    return (
        np.array(ts),
        np.array(ys),
        status,
        message,
        int(solver.nfev) + extra_nfev,
        int(solver.njev),
    )


def integrate(
    problem: Problem,
    W0: Sequence[ArrayLike],
    t_max: float,
    flow: str = "reduced",
    rtol: float = 1e-8,
    method: str = "auto",
    t_eval: ArrayLike | None = None,
    *,
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
    W0 : sequence of arrays, W_j of shape (d_j, d_{j-1}), in ``flow``'s coordinates.
    t_max : float > 0
    flow : {"reduced", "original"}
    rtol : float
        Relative tolerance; ``atol`` defaults to ``rtol * rms(W0)`` (small inits need it).
    method : "auto", "compiled" ("compiled-DP5" or "compiled-DOP853"), "RKC" or any scipy
        ``solve_ivp`` method name.
    t_eval : array_like, shape (k,), optional
        Exact sample times in [0, t_max]; then the run is not stopped at convergence.
        By default about ``n_samples`` times (log-spaced and uniform) and the end.
    gtol : float, optional
        Converged (and stopped) when ||grad L|| < gtol, default 1e-9 max(1, s_1^2), and
        ||grad L|| has fallen to 1e-3 of its largest value along the run (``settled``).
    progress : callable(fraction), optional
        Called after every step with t / t_max.
    max_seconds : float, optional
        A wall-clock budget: past it the run stops with status "failed" and a message saying so,
        keeping the samples so far (servers use it so no request outlives its worker).

    Returns
    -------
    Trajectory
        Stops with status "diverged" (keeping the samples so far) if a weight exceeds ``max_norm``.
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
    stop_at_convergence = t_eval is None
    if t_eval is None:
        grid = sample_grid(float(t_max), n_samples)
    else:
        grid = np.asarray(t_eval, dtype=np.float64).ravel()
        if grid.size == 0 or np.any(np.diff(grid) <= 0) or grid[0] < 0 or grid[-1] > t_max:
            raise ValueError("t_eval must be strictly increasing times within [0, t_max]")
    gtol = default_gtol(problem) if gtol is None else gtol
    used = choose_method(method, problem, obj, theta0, float(t_max))
    if used in COMPILED:
        out = kernel.run(
            obj,
            theta0,
            float(t_max),
            grid,
            rtol,
            atol,
            gtol,
            GTOL_DROP,
            stop_at_convergence,
            max_norm,
            progress,
            max_seconds,
            method=COMPILED[used],
        )
        ts, ys, status, message, nfev, njev = out.t, out.y, out.status, out.message, out.nfev, 0
    else:
        solver = _make_solver(used, obj, theta0, float(t_max), rtol, atol)
        ts, ys, status, message, nfev, njev = _run_solver(
            solver,
            used,
            obj,
            theta0,
            float(t_max),
            grid,
            gtol,
            stop_at_convergence,
            max_norm,
            progress,
            max_seconds,
            t0_wall,
        )
    traj = build_trajectory(
        obj,
        ts,
        ys,
        status=status,
        message=message,
        nfev=nfev,
        njev=njev,
        wall_time=0.0,
        flow=flow,
        method=used,
    )
    return replace(traj, wall_time=time.perf_counter() - t0_wall)
