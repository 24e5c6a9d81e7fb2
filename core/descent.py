"""Discrete gradient descent and heavy-ball momentum (the practical algorithms of Remark 2).

    v_{k+1} = beta v_k - eta grad L(W_k),    W_{k+1} = W_k + v_{k+1}     (beta = 0: plain GD)

Sample k is drawn at time t = k * eta, so a run sits on the same time axis as the flow it
discretises. The invariants C_j are conserved by the flow, not by these iterations: their drift
is what the discretisation breaks.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from core._weights import as_weights, flatten, unflatten
from core.derivatives import objective
from core.integrate import DEFAULT_SAMPLES, DIVERGE_NORM, default_gtol, settled
from core.problem import Problem
from core.trajectory import Trajectory, build_trajectory

__all__ = ["gradient_descent"]

MAX_STEPS = 10_000_000  # A hard cap on the iteration count (the app sets a much lower one).


def _sample_steps(steps: int, n: int) -> NDArray[np.int64]:
    """About n step indices in [0, steps]: half log-spaced, half uniform, with 0 and steps."""
    if steps + 1 <= n:
        return np.arange(steps + 1)
    log = np.geomspace(1, steps, n // 2)
    lin = np.linspace(0, steps, n - n // 2)
    return np.unique(np.round(np.concatenate([[0], log, lin, [steps]])).astype(np.int64))


def gradient_descent(
    problem: Problem,
    W0: Sequence[ArrayLike],
    lr: float,
    steps: int,
    flow: str = "reduced",
    momentum: float = 0.0,
    *,
    n_samples: int = DEFAULT_SAMPLES,
    gtol: float | None = None,
    max_norm: float = DIVERGE_NORM,
    max_seconds: float | None = None,
) -> Trajectory:
    """Run ``steps`` iterations of GD (``momentum = 0``) or heavy-ball momentum at step ``lr``.

    Returns a Trajectory with ``t = k * lr``; status "converged" when ||grad L|| < gtol and
    has fallen to 1e-3 of its peak (``core.integrate.settled``), "diverged" (keeping the samples
    so far) when a weight exceeds ``max_norm`` or is not finite, else "t_max". ``nfev``
    counts gradient evaluations.
    """
    t_wall = time.perf_counter()
    if not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"lr (step size eta) must be a positive number; got {lr!r}")
    if int(steps) != steps or not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be an integer in [1, {MAX_STEPS}]; got {steps!r}")
    if not 0.0 <= momentum < 1.0:
        raise ValueError(f"momentum must be in [0, 1); got {momentum!r}")
    steps = int(steps)
    obj = objective(problem, flow)
    theta = flatten(as_weights(W0, problem.shapes))
    gtol = default_gtol(problem) if gtol is None else gtol
    record = set(_sample_steps(steps, n_samples).tolist())
    ks, ys = [0], [theta.copy()]
    velocity = np.zeros_like(theta)
    g_peak = 0.0
    status, message, k = "t_max", f"ran {steps} steps (t = {steps * lr:.6g})", 0
    for k in range(1, steps + 1):
        g = flatten(obj.grad(unflatten(theta, obj.shapes)))
        gnorm = float(np.linalg.norm(g))
        g_peak = max(g_peak, gnorm)
        if settled(gnorm, g_peak, gtol):
            k -= 1
            status = "converged"
            message = f"converged at step {k} (t = {k * lr:.6g}, ||grad L|| = {gnorm:.2e})"
            break
        velocity = momentum * velocity - lr * g
        theta = theta + velocity
        if not np.all(np.isfinite(theta)) or np.max(np.abs(theta)) > max_norm:
            status = "diverged"
            message = (
                f"diverged at step {k} (t = {k * lr:.6g}): step size eta = {lr:g} is "
                "too large for the curvature here"
            )
            k -= 1
            break
        if max_seconds is not None and k % 256 == 0 and time.perf_counter() - t_wall > max_seconds:
            status = "failed"
            message = (
                f"stopped at step {k} (t = {k * lr:.6g}) after {max_seconds:g} s of "
                "computation (the time budget)"
            )
            ks.append(k)
            ys.append(theta.copy())
            break
        if k in record:
            ks.append(k)
            ys.append(theta.copy())
    if ks[-1] != k and status != "diverged":
        ks.append(k)
        ys.append(theta.copy())
    return build_trajectory(
        obj,
        lr * np.array(ks, dtype=np.float64),
        np.array(ys),
        status=status,
        message=message,
        nfev=k + (status == "converged"),
        njev=0,
        wall_time=time.perf_counter() - t_wall,
        flow=flow,
        method="momentum" if momentum else "gd",
    )
