"""Discrete gradient descent and heavy-ball momentum (the practical algorithms of Remark 2).

    v_{k+1} = beta v_k - eta grad L(W_k),    W_{k+1} = W_k + v_{k+1}     (beta = 0: plain GD)

Each iterate is drawn at the time of the flow it approximates. Plain GD is the explicit Euler
method for dW/dt = -grad L, so iterate k sits at ``t = k eta``. Heavy ball with a small step
moves like the flow run ``1 / (1 - beta)`` times faster (its velocity settles at
``-eta grad L / (1 - beta)``), so iterate k sits at ``t = k eta / (1 - beta)``; on that axis it
approaches the flow to first order as eta -> 0. The invariants C_j are conserved by the flow,
not by these iterations: their drift is what the discretisation breaks.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from core._weights import as_weights, flatten, unflatten
from core.derivatives import objective
from core.integration import DEFAULT_SAMPLES, DIVERGE_NORM, bands_for, finish
from core.problem import Problem
from core.solve import RawRun
from core.stopping import StopRule
from core.trajectory import Trajectory
from core.visits import VisitTracker

__all__ = ["gradient_descent", "time_per_step"]

MAX_STEPS = 10_000_000  # A hard cap on the iteration count (the app sets a much lower one).
BUDGET_CHECK = 256  # Iterations between looks at the wall clock.


def time_per_step(lr: float, momentum: float = 0.0) -> float:
    """The flow time one iteration stands for: eta for GD, eta / (1 - beta) for heavy ball."""
    return lr / (1.0 - momentum)


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
    *,
    lr: float,
    steps: int,
    flow: str = "reduced",
    momentum: float = 0.0,
    n_samples: int = DEFAULT_SAMPLES,
    gtol: float | None = None,
    max_norm: float = DIVERGE_NORM,
    max_seconds: float | None = None,
) -> Trajectory:
    """Run ``steps`` iterations of GD (``momentum = 0``) or heavy-ball momentum at step ``lr``.

    Returns a Trajectory with ``t = k * time_per_step(lr, momentum)`` and the statuses of
    ``core.integrate``: "converged" when the stopping rule of :mod:`core.stopping` holds (the
    global minimum), "saddle" or "t_max" after the last step, "diverged" (keeping the samples
    so far) when a weight exceeds ``max_norm`` or is not finite, "budget" past ``max_seconds``.
    ``nfev`` counts gradient evaluations.
    """
    t_wall = time.perf_counter()
    if not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"lr (step size eta) must be a positive number; got {lr!r}")
    if int(steps) != steps or not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be an integer in [1, {MAX_STEPS}]; got {steps!r}")
    if not 0.0 <= momentum < 1.0:
        raise ValueError(f"momentum must be in [0, 1); got {momentum!r}")
    steps, dt = int(steps), time_per_step(lr, momentum)
    obj = objective(problem, flow)
    theta = flatten(as_weights(W0, problem.shapes))
    bands, lad = bands_for(problem)
    rule = StopRule.for_problem(problem, gtol=gtol)
    record = set(_sample_steps(steps, n_samples).tolist())
    tracker = VisitTracker(bands)
    ks, ys = [0], [theta.copy()]
    velocity = np.zeros_like(theta)
    status, detail, k = "t_max", "", 0
    for k in range(steps + 1):
        grads, excess = obj.grad_excess(unflatten(theta, obj.shapes))
        g = flatten(grads)
        gnorm = float(np.linalg.norm(g))
        tracker.step(k * dt, theta, float(excess), gnorm)
        if k in record and ks[-1] != k:
            ks.append(k)
            ys.append(theta.copy())
        if rule.converged(gnorm, excess) or k == steps:
            status = "converged" if rule.converged(gnorm, excess) else "t_max"
            break
        if max_seconds is not None and k % BUDGET_CHECK == 0 and k:
            if time.perf_counter() - t_wall > max_seconds:
                status = "budget"
                detail = f"{max_seconds:g} s of computation at step {k} (the time budget)"
                break
        velocity = momentum * velocity - lr * g
        new = theta + velocity
        if not np.all(np.isfinite(new)) or np.max(np.abs(new)) > max_norm:
            status = "diverged"
            detail = f"step {k + 1}: step size eta = {lr:g} is too large for the curvature here"
            break
        theta = new
    if ks[-1] != k:
        ks.append(k)
        ys.append(theta.copy())
    visits = tracker.finish(k * dt)
    raw = RawRun(
        dt * np.array(ks, dtype=np.float64), np.array(ys), status, detail, k + 1, 0, visits
    )
    method = "momentum" if momentum else "gd"
    return finish(obj, raw, rule, bands, lad, flow=flow, method=method, t0_wall=t_wall)
