"""Many runs of one flow at once: a batched Dormand-Prince 5(4) with per-run step control.

All runs advance together through stacked (batched) matrix products, but each run keeps its own
step size, its own error estimate and its own stopping: a stiff run does not set the step of the
others, and converged runs leave the batch. Every run is sampled on the same time grid as
:func:`core.integrate` (dense output), so plateaus are read the same way.

The Butcher tableau is scipy's RK45 (Dormand & Prince 1980), read from scipy at import.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.integrate._ivp.rk import RK45

from core._weights import split_stacked
from core.derivatives import Objective
from core.integrate import DIVERGE_NORM, settled

__all__ = ["BatchRuns", "integrate_batch"]

A, B, C, E, P = RK45.A, RK45.B, RK45.C, RK45.E, RK45.P
ORDER_EXP = -1.0 / (RK45.error_estimator_order + 1)  # step factor exponent: err^(-1/5)
SAFETY = 0.9  # Step-size safety factor.
MIN_FACTOR, MAX_FACTOR = 0.2, 10.0  # Bounds on the step-size change ratio.
MAX_STEPS = 2_000_000  # Steps per run before it is stopped as "failed".
# Dormand-Prince's stability interval on the negative real axis ends near h rho = 3.3. Steps are
# capped at STABLE_H_RHO / rho, with rho from Hairer's free estimate ||k7 - k6|| / ||y7 - y6||
# (stages 6 and 7 both sit at c = 1): a run near a minimum (rho ~ 82 on P1) then decays smoothly
# instead of oscillating at the stability limit, where its gradient would never fall below gtol.
STABLE_H_RHO = 3.0


@dataclass(frozen=True)
class BatchRuns:
    """Per-run outcomes of a batch of R runs sampled on G grid times.

    ``loss`` (R, G) and ``modes`` (R, G, dy) are NaN after a run stopped; ``final`` (R, n_params)
    are the last weights (flat); ``t_end`` (R,), ``status`` (R,) strings, ``n_steps`` (R,).
    """

    grid: NDArray[np.float64]
    loss: NDArray[np.float64]
    modes: NDArray[np.float64]
    final: NDArray[np.float64]
    t_end: NDArray[np.float64]
    status: NDArray[np.str_]
    n_steps: NDArray[np.int64]
    grad_norm: NDArray[np.float64]


def batched_rhs(obj: Objective, Y: NDArray[np.float64]) -> NDArray[np.float64]:
    """-grad L for every row of Y (R, n_params), by batched sweeps (``Objective.grad``)."""
    grads = obj.grad(split_stacked(Y, obj.shapes))
    R = Y.shape[0]
    return -np.concatenate([g.reshape(R, -1) for g in grads], axis=1)


def batched_loss_modes(
    obj: Objective, Y: NDArray[np.float64], right: NDArray | None, u_y: NDArray | None
) -> tuple[NDArray, NDArray]:
    """Full loss (R,) and the reduced product's diagonal (R, dy) for every row of Y."""
    Ws = split_stacked(Y, obj.shapes)
    P = Ws[0]
    for W in Ws[1:]:
        P = W @ P
    E_ = P - obj.target
    if obj.K is not None:
        E_ = E_ @ obj.K
    loss = 0.5 * np.sum(E_ * E_, axis=(1, 2)) + obj.offset
    if right is not None and u_y is not None:  # original coordinates -> reduced product
        P = u_y.T @ P @ right
    dy = P.shape[1]
    return loss, P[:, np.arange(dy), np.arange(dy)]


def integrate_batch(
    obj: Objective,
    Y0: NDArray[np.float64],
    t_max: float,
    grid: NDArray[np.float64],
    rtol: float,
    atol: NDArray[np.float64],
    gtol: float,
    right: NDArray | None = None,
    u_y: NDArray | None = None,
    max_norm: float = DIVERGE_NORM,
) -> BatchRuns:
    """Integrate R runs from Y0 (R, n_params) on [0, t_max], sampling each on ``grid`` (G,).

    ``atol`` (R,) is per run (scaled to each run's initial size). A run stops when
    ||grad L|| < gtol and has fallen to GTOL_DROP of its peak ("converged",
    ``core.integrate.settled``), at t_max ("t_max"), or when a weight exceeds max_norm.
    """
    R, n = Y0.shape
    G = grid.size
    dy = obj.target.shape[0]
    loss = np.full((R, G), np.nan)
    modes = np.full((R, G, dy), np.nan)
    t = np.zeros(R)
    Y = Y0.copy()
    F = batched_rhs(obj, Y)
    gnorm = np.linalg.norm(F, axis=1)
    gpeak = gnorm.copy()  # the largest ||grad L|| along each run (see core.integrate.settled)
    status = np.array(["running"] * R, dtype=object)
    n_steps = np.zeros(R, dtype=np.int64)
    g_next = np.zeros(R, dtype=np.int64)
    if grid[0] == 0.0:
        l0, m0 = batched_loss_modes(obj, Y, right, u_y)
        loss[:, 0], modes[:, 0] = l0, m0
        g_next[:] = 1
    # Initial steps (Hairer, Norsett & Wanner's heuristic, first stage only).
    scale = atol[:, None] + rtol * np.abs(Y)
    d0 = np.sqrt(np.mean((Y / scale) ** 2, axis=1))
    d1 = np.sqrt(np.mean((F / scale) ** 2, axis=1))
    h = np.where((d0 < 1e-5) | (d1 < 1e-5), 1e-6, 0.01 * d0 / np.maximum(d1, 1e-300))
    h = np.minimum(h, t_max)
    done = settled(gnorm, gpeak, gtol)
    status[done] = "converged"
    K = np.empty((7, R, n))
    active = np.flatnonzero(~done)
    while active.size:
        y, f, ha = Y[active], F[active], np.minimum(h[active], t_max - t[active])
        K[0, : active.size] = f
        for s in range(1, 6):
            dy_ = np.tensordot(A[s, :s], K[:s, : active.size], axes=(0, 0))
            y_stage = y + ha[:, None] * dy_
            K[s, : active.size] = batched_rhs(obj, y_stage)
        y_new = y + ha[:, None] * np.tensordot(B, K[:6, : active.size], axes=(0, 0))
        f_new = batched_rhs(obj, y_new)
        K[6, : active.size] = f_new
        err = ha[:, None] * np.tensordot(E, K[:, : active.size], axes=(0, 0))
        sc = atol[active, None] + rtol * np.maximum(np.abs(y), np.abs(y_new))
        err_norm = np.sqrt(np.mean((err / sc) ** 2, axis=1))
        ok = np.isfinite(err_norm) & (err_norm <= 1.0)
        factor = np.where(
            err_norm == 0, MAX_FACTOR, SAFETY * np.maximum(err_norm, 1e-300) ** ORDER_EXP
        )
        factor = np.clip(np.nan_to_num(factor, nan=MIN_FACTOR), MIN_FACTOR, MAX_FACTOR)
        h[active] = ha * np.where(ok, factor, np.minimum(factor, 1.0))
        # Stiffness: y_stage is stage 6's argument (c = 1), y_new stage 7's.
        dk = np.linalg.norm(f_new - K[5, : active.size], axis=1)
        dyn = np.linalg.norm(y_new - y_stage, axis=1)
        rho = np.where(dyn > 0, dk / np.maximum(dyn, 1e-300), 0.0)
        cap = np.where(rho > 0, STABLE_H_RHO / np.maximum(rho, 1e-300), np.inf)
        h[active] = np.minimum(h[active], np.where(ok, cap, np.inf))
        n_steps[active] += 1
        acc = active[ok]
        if acc.size:
            k_ok = np.flatnonzero(ok)
            t_old, t_new = t[acc], t[acc] + ha[k_ok]
            _sample(
                obj, grid, g_next, acc, k_ok, t_old, ha[k_ok], y[k_ok], K, loss, modes, right, u_y
            )
            t[acc], Y[acc], F[acc] = t_new, y_new[k_ok], f_new[k_ok]
            gn = np.linalg.norm(f_new[k_ok], axis=1)
            gnorm[acc] = gn
            gpeak[acc] = np.maximum(gpeak[acc], gn)
            blown = ~np.all(np.isfinite(y_new[k_ok]), axis=1) | (
                np.max(np.abs(y_new[k_ok]), axis=1) > max_norm
            )
            status[acc[t_new >= t_max * (1 - 1e-12)]] = "t_max"
            status[acc[settled(gn, gpeak[acc], gtol)]] = "converged"
            status[acc[blown]] = "diverged"
        status[active[n_steps[active] >= MAX_STEPS]] = "failed"
        active = active[status[active] == "running"]
    return BatchRuns(grid, loss, modes, Y, t, status.astype(str), n_steps, gnorm)


def _sample(
    obj: Objective,
    grid: NDArray,
    g_next: NDArray,
    acc: NDArray,
    k_ok: NDArray,
    t_old: NDArray,
    h: NDArray,
    y_old: NDArray,
    K: NDArray,
    loss: NDArray,
    modes: NDArray,
    right: NDArray | None,
    u_y: NDArray | None,
) -> None:
    """Record every grid time in (t_old, t_old + h] of each accepted run, by dense output."""
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
        l_, m_ = batched_loss_modes(obj, y, right, u_y)
        loss[rows, gg], modes[rows, gg] = l_, m_
        g_next[rows] = gg + 1
