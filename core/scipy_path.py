"""The scipy path of ``core.integrate``: a scipy ``OdeSolver`` (or our RKC, built on it) stepped
over [0, t_max], sampled from its dense output, stopped by the rule of :mod:`core.stopping`, with
plateau visits tracked at every accepted step. scipy.integrate is imported only here, when one of
its methods runs: it costs more to import than the compiled kernel takes to solve a small run."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from numpy.typing import NDArray

from core._weights import unflatten
from core.derivatives import HESSIAN_MAX_PARAMS, Objective
from core.lazy import scipy_module
from core.solve import RawRun, SolveSpec
from core.visits import VisitTracker

__all__ = ["IMPLICIT", "SCIPY_NAMES", "make_solver", "run_solver"]

SCIPY_NAMES = ("RK23", "RK45", "DOP853", "Radau", "BDF", "LSODA")  # scipy's solve_ivp methods
IMPLICIT = ("Radau", "BDF", "LSODA")
# RK45 (auto's choice for nets deeper than the compiled kernel holds) runs at this x the requested
# tolerances: at face value its global error reached 160 x rtol (rtol 1e-10, a 1,000-parameter
# aligned chain); the other scipy methods run as asked (LSODA was within 20 x everywhere).
RTOL_FACTOR = {"RK45": 0.1}


def make_solver(method: str, obj: Objective, theta0: NDArray[np.float64], solve: SolveSpec) -> Any:
    """A scipy OdeSolver (or RKC) for ``method``; implicit ones get the exact Jacobian, minus the
    dense Hessian, up to HESSIAN_MAX_PARAMS parameters."""
    scipy_module("integrate")
    from scipy.integrate._ivp.ivp import METHODS as SCIPY_METHODS

    from core.rkc import RKC

    if method == "RKC":
        memory: dict[str, NDArray[np.float64] | None] = {"v": None}

        def rho(t: float, theta: NDArray[np.float64]) -> float:
            est, memory["v"] = obj.spectral_radius(theta, memory["v"])
            return est

        return RKC(
            obj.rhs, 0.0, theta0, solve.t_max, rtol=solve.rtol, atol=solve.atol, spectral_radius=rho
        )
    factor = RTOL_FACTOR.get(method, 1.0)
    kwargs: dict[str, object] = {"rtol": factor * solve.rtol, "atol": factor * solve.atol}
    if method in IMPLICIT and obj.n_params <= HESSIAN_MAX_PARAMS:
        kwargs["jac"] = lambda t, y: -obj.hessian(unflatten(y, obj.shapes))
    return SCIPY_METHODS[method](obj.rhs, 0.0, theta0, solve.t_max, **kwargs)


def _state(obj: Objective, theta: NDArray[np.float64]) -> tuple[float, float]:
    """(||grad L||, L - L*) at flat weights, in one sweep."""
    grads, excess = obj.grad_excess(unflatten(theta, obj.shapes))
    return float(np.sqrt(sum(float(np.sum(g * g)) for g in grads))), float(excess)


def run_solver(
    solver: Any, name: str, obj: Objective, theta0: NDArray[np.float64], solve: SolveSpec
) -> RawRun:
    """Step ``solver`` over [0, t_max] as ``solve`` says (see ``core.integrate``)."""
    t_wall = time.perf_counter()
    grid, t_max = solve.grid, solve.t_max
    ts: list[float] = []
    ys: list[NDArray[np.float64]] = []
    i_next = 0
    if grid[0] == 0.0:
        ts.append(0.0)
        ys.append(theta0)
        i_next = 1
    tracker = VisitTracker(solve.bands)
    g, excess = _state(obj, theta0)
    tracker.step(0.0, theta0, excess, g)
    extra_nfev, status, detail = 1, "t_max", ""
    t_prev, y_prev = 0.0, theta0
    if solve.stop and solve.rule.converged(g, excess):
        status = "converged"
    while status == "t_max" and solver.status == "running":
        with np.errstate(under="ignore"):  # scipy's step-size floor underflows at t = 0
            solver.step()
        if solver.status == "failed":
            status, detail = "failed", f"{name}: {solver.status}"
            break
        t_new, y = solver.t, solver.y
        if not np.all(np.isfinite(y)) or np.max(np.abs(y)) > solve.max_norm:
            status, detail = "diverged", f"a weight exceeded {solve.max_norm:.0e}"
            break
        j = int(np.searchsorted(grid, t_new, side="right"))
        if j > i_next:
            vals = solver.dense_output()(grid[i_next:j])
            ts.extend(grid[i_next:j].tolist())
            ys.extend(vals.T)
            i_next = j
        g, excess = _state(obj, y)
        extra_nfev += 1
        tracker.step(t_new, y, excess, g)
        t_prev, y_prev = t_new, np.array(y)
        if solve.progress is not None:
            solve.progress(min(1.0, t_new / t_max))
        if solve.stop and solve.rule.converged(g, excess):
            status = "converged"
        elif solve.max_seconds is not None and time.perf_counter() - t_wall > solve.max_seconds:
            status = "budget"
            detail = (
                f"{solve.max_seconds:g} s of computation (the time budget); lower t_max or run "
                "it from the command line"
            )
    if status in ("converged", "budget", "failed") and (not ts or ts[-1] < t_prev):
        ts.append(float(t_prev))
        ys.append(np.array(y_prev))
    if not ts:  # diverged before the first requested sample
        ts, ys = [t_prev], [y_prev]
    visits = tracker.finish(t_prev)
    njev = int(getattr(solver, "njev", 0))
    return RawRun(
        np.array(ts), np.array(ys), status, detail, int(solver.nfev) + extra_nfev, njev, visits
    )
