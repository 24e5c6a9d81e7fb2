"""Many runs of one flow at once: a batched Dormand-Prince 5(4) with per-run step control.

All runs advance together through stacked (batched) matrix products, but each run keeps its own
step size, its own error estimate and its own stopping: a stiff run does not set the step of the
others, and runs at the global minimum leave the batch. Runs stop by the rule of
:mod:`core.stopping` and their plateaus are read from band visits at every accepted step
(:mod:`core.visits`), exactly as :func:`core.integrate` does; with ``grid`` they are also
sampled there (dense output).

The Butcher tableau is scipy's RK45 (Dormand & Prince 1980), read from scipy at import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.integrate._ivp.rk import RK45

from core._weights import split_stacked
from core.critical_values import Bands, Ladder
from core.derivatives import Objective, end_to_end
from core.kernel import RTOL_FACTOR
from core.problem import Problem
from core.stopping import StopRule, end_status
from core.visits import is_plateau, stall

__all__ = ["BatchRuns", "BatchVisit", "integrate_batch"]

Arr = NDArray[Any]  # arrays of runs: (R,), (R, n_params), (R, G)

A, B, C, E, P = RK45.A, RK45.B, RK45.C, RK45.E, RK45.P
ORDER_EXP = -1.0 / (RK45.error_estimator_order + 1)  # step factor exponent: err^(-1/5)
SAFETY = 0.9  # Step-size safety factor.
MIN_FACTOR, MAX_FACTOR = 0.2, 10.0  # Bounds on the step-size change ratio.
MAX_STEPS = 2_000_000  # Steps per run before it is stopped (status "budget").
# Dormand-Prince's stability interval on the negative real axis ends near h rho = 3.3. Steps are
# capped at STABLE_H_RHO / rho, with rho from Hairer's free estimate ||k7 - k6|| / ||y7 - y6||
# (stages 6 and 7 both sit at c = 1): a run near a minimum (rho ~ 82 on P1) then decays smoothly
# instead of oscillating at the stability limit, where its gradient would never become small.
STABLE_H_RHO = 3.0


@dataclass(frozen=True)
class BatchVisit:
    """A stay of one run in a rung's band: the rung index, the subset read at the closest
    approach (0-based), entry and exit times, and whether it stalled there (a plateau)."""

    rung: int
    subset: tuple[int, ...]
    t_enter: float
    t_exit: float
    plateau: bool


@dataclass(frozen=True)
class BatchRuns:
    """Per-run outcomes of a batch of R runs.

    ``final`` (R, n_params) are the last weights (flat); ``t_end``, ``excess``, ``grad_norm``
    (R,) at that point; ``status`` (R,) in ``core.stopping.STATUSES`` with ``saddle`` naming
    the saddle's subset where status is "saddle"; ``visits`` per run; ``n_steps`` (R,).
    With a grid: ``loss`` (R, G) sampled there (NaN after a run stopped), else (R, 0).
    """

    final: NDArray[np.float64]
    t_end: NDArray[np.float64]
    excess: NDArray[np.float64]
    grad_norm: NDArray[np.float64]
    status: tuple[str, ...]
    saddle: tuple[tuple[int, ...] | None, ...]
    visits: tuple[tuple[BatchVisit, ...], ...]
    n_steps: NDArray[np.int64]
    loss: NDArray[np.float64]


def batched_rhs(
    obj: Objective, Y: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """-grad L and L - L* for every row of Y (R, n_params), by batched sweeps."""
    grads, excess = obj.grad_excess(split_stacked(Y, obj.shapes))
    R = Y.shape[0]
    return -np.concatenate([g.reshape(R, -1) for g in grads], axis=1), np.asarray(excess)


def learned_subsets(
    problem: Problem, obj: Objective, Y: NDArray[np.float64], flow: str
) -> list[tuple[int, ...]]:
    """The learned modes (``Problem.learned``) at every row of Y."""
    P = problem.reduced_product(end_to_end(split_stacked(Y, obj.shapes)), flow)
    diag = np.diagonal(P, axis1=-2, axis2=-1)[:, : problem.dy]
    return [problem.learned(d) for d in diag]


class _Visits:
    """Band visits of every run of the batch (core.visits.VisitTracker's rule, vectorised:
    the state of an open visit is kept per run, a change of band is handled run by run)."""

    def __init__(self, bands: Bands | None, Y0: Arr, excess: Arr, g: Arr) -> None:
        R = Y0.shape[0]
        self.bands = bands
        self.band = np.full(R, -1)
        self.before, self.enter, self.exit = np.zeros(R), np.zeros(R), np.zeros(R)
        self.gmin, self.t_last = np.full(R, np.inf), np.zeros(R)
        self.ymin = np.zeros_like(Y0)
        self.closed: list[list[tuple[int, float, float, bool, Arr]]] = [[] for _ in range(R)]
        self.step(np.arange(R), np.zeros(R), Y0, excess, g)

    def step(
        self,
        rows: Arr,
        t: Arr,
        Y: Arr,
        excess: Arr,
        g: Arr,
    ) -> None:
        if self.bands is None:
            return
        b = self.bands.indices(excess)
        cur = self.band[rows]
        same = (cur >= 0) & (b == cur)
        keep = rows[same]
        self.exit[keep] = t[same]
        better = same & (g < self.gmin[rows])
        rb = rows[better]
        self.gmin[rb] = g[better]
        self.ymin[rb] = Y[better]
        for k in np.flatnonzero(~same & ((cur >= 0) | (b >= 0))):
            r = int(rows[k])
            if cur[k] >= 0:
                self.close(r, float(t[k]))
            if b[k] >= 0:
                self.band[r], self.before[r] = b[k], self.t_last[r]
                self.enter[r] = self.exit[r] = t[k]
                self.gmin[r], self.ymin[r] = g[k], Y[k]
        self.t_last[rows] = t

    def close(self, r: int, t_after: float) -> None:
        """Close run r's open visit, marking whether it stalled (a plateau)."""
        b = int(self.band[r])
        if b < 0 or self.bands is None:
            return
        self.band[r] = -1
        score = stall(t_after - self.before[r], self.gmin[r], float(self.bands.half_width[b]))
        self.closed[r].append(
            (
                b,
                float(self.enter[r]),
                float(self.exit[r]),
                is_plateau(b, score),
                self.ymin[r].copy(),
            )
        )


def integrate_batch(
    problem: Problem,
    obj: Objective,
    Y0: NDArray[np.float64],
    t_max: float,
    *,
    rtol: float,
    atol: NDArray[np.float64],
    rule: StopRule,
    bands: Bands | None,
    lad: Ladder | None,
    flow: str = "reduced",
    max_norm: float = 1e8,
    grid: NDArray[np.float64] | None = None,
) -> BatchRuns:
    """Integrate R runs from Y0 (R, n_params) on [0, t_max].

    ``atol`` (R,) is per run (scaled to each run's initial size). A run stops at the global
    minimum (``rule``), at t_max, when a weight exceeds ``max_norm`` ("diverged"), or after
    MAX_STEPS steps ("budget").
    """
    R, n = Y0.shape
    G = 0 if grid is None else grid.size
    # The same method as the compiled kernel's DP5, at the same internal tolerances.
    rtol, atol = RTOL_FACTOR["DP5"] * rtol, RTOL_FACTOR["DP5"] * atol
    loss = np.full((R, G), np.nan)
    t = np.zeros(R)
    Y = Y0.copy()
    F, ex = batched_rhs(obj, Y)
    gnorm = np.linalg.norm(F, axis=1)
    visits = _Visits(bands, Y, ex, gnorm)
    status = np.array(["running"] * R, dtype=object)
    n_steps = np.zeros(R, dtype=np.int64)
    g_next = np.zeros(R, dtype=np.int64)
    if grid is not None and grid[0] == 0.0:
        loss[:, 0], g_next[:] = ex + obj.offset, 1
    # Initial steps (Hairer, Norsett & Wanner's heuristic, first stage only).
    scale = atol[:, None] + rtol * np.abs(Y)
    d0 = np.sqrt(np.mean((Y / scale) ** 2, axis=1))
    d1 = np.sqrt(np.mean((F / scale) ** 2, axis=1))
    h = np.where((d0 < 1e-5) | (d1 < 1e-5), 1e-6, 0.01 * d0 / np.maximum(d1, 1e-300))
    h = np.minimum(h, t_max)
    status[rule.converged(gnorm, ex)] = "converged"
    K = np.empty((7, R, n))
    active = np.flatnonzero(status == "running")
    while active.size:
        m = active.size
        y, f, ha = Y[active], F[active], np.minimum(h[active], t_max - t[active])
        K[0, :m] = f
        for s in range(1, 6):
            y_stage = y + ha[:, None] * np.tensordot(A[s, :s], K[:s, :m], axes=(0, 0))
            K[s, :m] = batched_rhs(obj, y_stage)[0]
        y_new = y + ha[:, None] * np.tensordot(B, K[:6, :m], axes=(0, 0))
        f_new, ex_new = batched_rhs(obj, y_new)
        K[6, :m] = f_new
        err = ha[:, None] * np.tensordot(E, K[:, :m], axes=(0, 0))
        sc = atol[active, None] + rtol * np.maximum(np.abs(y), np.abs(y_new))
        err_norm = np.sqrt(np.mean((err / sc) ** 2, axis=1))
        ok = np.isfinite(err_norm) & (err_norm <= 1.0)
        factor = np.where(
            err_norm == 0, MAX_FACTOR, SAFETY * np.maximum(err_norm, 1e-300) ** ORDER_EXP
        )
        factor = np.clip(np.nan_to_num(factor, nan=MIN_FACTOR), MIN_FACTOR, MAX_FACTOR)
        h[active] = ha * np.where(ok, factor, np.minimum(factor, 1.0))
        # Stiffness: y_stage is stage 6's argument (c = 1), y_new stage 7's.
        dk = np.linalg.norm(f_new - K[5, :m], axis=1)
        dyn = np.linalg.norm(y_new - y_stage, axis=1)
        rho = np.where(dyn > 0, dk / np.maximum(dyn, 1e-300), 0.0)
        cap = np.where(rho > 0, STABLE_H_RHO / np.maximum(rho, 1e-300), np.inf)
        h[active] = np.minimum(h[active], np.where(ok, cap, np.inf))
        n_steps[active] += 1
        acc = active[ok]
        if acc.size:
            k_ok = np.flatnonzero(ok)
            t_old, t_new = t[acc], t[acc] + ha[k_ok]
            if grid is not None:
                _sample(obj, grid, g_next, acc, k_ok, t_old, ha[k_ok], y[k_ok], K, loss)
            t[acc], Y[acc], F[acc] = t_new, y_new[k_ok], f_new[k_ok]
            gn, en = np.linalg.norm(f_new[k_ok], axis=1), ex_new[k_ok]
            gnorm[acc], ex[acc] = gn, en
            blown = ~np.all(np.isfinite(y_new[k_ok]), axis=1) | (
                np.max(np.abs(y_new[k_ok]), axis=1) > max_norm
            )
            visits.step(acc[~blown], t_new[~blown], y_new[k_ok][~blown], en[~blown], gn[~blown])
            status[acc[t_new >= t_max * (1 - 1e-12)]] = "t_max"
            status[acc[rule.converged(gn, en)]] = "converged"
            status[acc[blown]] = "diverged"
        status[active[(n_steps[active] >= MAX_STEPS) & (status[active] == "running")]] = "budget"
        active = active[status[active] == "running"]
    return _outcomes(
        problem, obj, flow, rule, bands, lad, visits, Y, t, ex, gnorm, status, n_steps, loss
    )


def _outcomes(
    problem: Problem,
    obj: Objective,
    flow: str,
    rule: StopRule,
    bands: Bands | None,
    lad: Ladder | None,
    visits: _Visits,
    Y: Arr,
    t: Arr,
    ex: Arr,
    gnorm: Arr,
    raw: Arr,
    n_steps: Arr,
    loss: Arr,
) -> BatchRuns:
    """Close every open visit, read the plateaus' subsets, and say how each run ended."""
    R = Y.shape[0]
    statuses, saddles, plats = [], [], []
    for r in range(R):
        visits.close(r, float(t[r]))
        status, subset = str(raw[r]), None
        if status in ("t_max", "converged"):
            status, subset = end_status(rule, bands, lad, float(gnorm[r]), float(ex[r]))
        statuses.append(status)
        saddles.append(subset)
        rec = visits.closed[r]
        subsets = learned_subsets(problem, obj, np.array([v[4] for v in rec]), flow) if rec else []
        plats.append(
            tuple(
                BatchVisit(bands.rung[b], sub, t0, t1, plateau)  # type: ignore[union-attr]
                for (b, t0, t1, plateau, _), sub in zip(rec, subsets, strict=True)
            )
        )
    return BatchRuns(Y, t, ex, gnorm, tuple(statuses), tuple(saddles), tuple(plats), n_steps, loss)


def _sample(
    obj: Objective,
    grid: Arr,
    g_next: Arr,
    acc: Arr,
    k_ok: Arr,
    t_old: Arr,
    h: Arr,
    y_old: Arr,
    K: Arr,
    loss: Arr,
) -> None:
    """Record the loss at every grid time in (t_old, t_old + h] of each accepted run, by dense
    output."""
    t_new = t_old + h
    while True:
        g = g_next[acc]
        pending = (g < grid.size) & (grid[np.minimum(g, grid.size - 1)] <= t_new * (1 + 1e-14))
        if not pending.any():
            return
        rows, kk, gg = acc[pending], k_ok[pending], g[pending]
        x = np.clip((grid[gg] - t_old[pending]) / h[pending], 0.0, 1.0)
        Q = np.tensordot(P.T, K[:, kk], axes=(1, 0))  # (4, m, n)
        powers = np.stack([x, x**2, x**3, x**4])  # (4, m)
        y = y_old[pending] + h[pending, None] * np.einsum("km,kmn->mn", powers, Q)
        loss[rows, gg] = obj.excess(split_stacked(y, obj.shapes)) + obj.offset
        g_next[rows] = gg + 1
