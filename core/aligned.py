"""Closed forms for aligned, balanced starts (Saxe, McClelland & Ganguli 2014), and estimates of
the plateau exits of generic small starts.

In reduced coordinates a start is *aligned and balanced* when mode i runs along one path of
hidden units and every layer carries the same entry ``a_i`` on it:
``W_1[i, i] = W_2[i, i] = ... = W_{H+1}[i, i] = a_i``, everything else zero. The flow keeps that
form (every off-path entry has zero velocity), so each mode strength ``u_i = P_ii = a_i^N``
(N = H + 1 layers) follows its own scalar equation, with this project's ``dW/dt = -grad L`` and
``L = 1/2 ||Sigma_Y - P||^2 + offset``:

    du/dt = N u^(2 - 2/N) (s - u),                 L(t) = offset + 1/2 sum_i (s_i - u_i)^2.

For N = 2 (H = 1) it is the logistic ``u(t) = s e^(2st) / (e^(2st) - 1 + s/u0)``. For deeper
networks ``y = log|s/u - 1|`` obeys ``dy/dt = -N s u^(1 - 2/N)``, a smooth equation that is
integrated to a relative accuracy of 1e-13 (DOP853). This describes the reduced flow on any
data, and the original flow when X X^T = I (then the two coincide).

From a generic small start the modes are not decoupled, but the time at which mode k is learned
(its strength reaches s_k / 2) is estimated by the same equation with an effective u0:

* H = 1: near W = 0 the flow is linear, and mode k grows along ``a + b`` (a = column k of Wbar_1,
  b = row k of Wbar_2) as e^(s_k t); its strength is then ``|a + b|^2 / 4 e^(2 s_k t)``, the
  logistic with ``u0 = |a + b|^2 / 4``. Exits shift by ln(1/eps)/s_k when the start shrinks by
  eps. Measured: exact for the first mode, later modes within ~40% (widths 3-6, scales 1e-6,
  1e-3).
* H >= 2: u0 is the product of the layers' RMS singular values ``||W_j||_F / sqrt(min(d_j,
  d_{j-1}))``; the exit then scales as ``1 / ((H - 1) s_k eps^(H-1))``, which is exact in eps,
  while the constant is not: on 36 Gaussian runs (H = 2, 3; widths dy to 12) the first exit came
  0.7-2.2 times the estimate, later ones up to ~5 times (more when a width equals dy).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from core._weights import Weights, as_weights
from core.derivatives import check_flow
from core.lazy import scipy_module
from core.problem import Problem

__all__ = [
    "AlignedSolution",
    "PlateauExits",
    "aligned_solution",
    "aligned_weights",
    "plateau_exits",
]

ODE_RTOL = 1e-13  # Relative tolerance of the scalar equation for H >= 2 (DOP853).
QUAD_RTOL = 1e-12  # Relative tolerance of the exit-time quadrature.


def _strengths(problem: Problem, u0: ArrayLike) -> NDArray[np.float64]:
    u = np.broadcast_to(np.asarray(u0, dtype=np.float64), (problem.dy,)).copy()
    if not np.all(np.isfinite(u)) or np.any(u < 0):
        raise ValueError(f"mode strengths u0 must be finite and >= 0 (one per mode); got {u0!r}")
    return u


def aligned_weights(problem: Problem, strengths: ArrayLike) -> Weights:
    """The aligned, balanced start (reduced coordinates) with mode strengths ``strengths``
    (a number or one per mode, each >= 0): every layer carries ``u_i^(1/(H+1))`` on the path of
    mode i, so ``diag(P) = strengths``; every invariant C_j is zero."""
    u = _strengths(problem, strengths)
    a = u ** (1.0 / (problem.depth + 1))
    Ws = [np.zeros(shape) for shape in problem.shapes]
    for W in Ws:
        W[np.arange(problem.dy), np.arange(problem.dy)] = a
    return tuple(Ws)


@dataclass(frozen=True, eq=False)
class AlignedSolution:
    """Mode strengths and loss of the flow from an aligned, balanced start.

    ``t`` (n,) the times, ``strengths`` (n, dy) the mode strengths u_i(t) = P_ii(t), ``loss``
    (n,) the full loss ``offset + 1/2 sum_i (s_i - u_i)^2``, ``depth`` H, ``method`` how it was
    computed (the closed form for H = 1, the scalar equation otherwise)."""

    t: NDArray[np.float64]
    strengths: NDArray[np.float64]
    loss: NDArray[np.float64]
    depth: int
    method: str

    def __post_init__(self) -> None:
        n = self.t.shape[0]
        if self.strengths.ndim != 2 or self.strengths.shape[0] != n or self.loss.shape != (n,):
            raise ValueError("strengths must be (n, dy) and loss (n,) for n times")
        if self.depth < 1:
            raise ValueError(f"depth (H) must be >= 1; got {self.depth}")
        for a in (self.t, self.strengths, self.loss):
            a.setflags(write=False)

    def __repr__(self) -> str:
        return (
            f"AlignedSolution(H = {self.depth}, {self.t.size} times, {self.strengths.shape[1]} "
            f"modes, L_end = {self.loss[-1]:.6g}, {self.method})"
        )


def _logistic(s: NDArray[np.float64], u0: NDArray[np.float64], t: NDArray[np.float64]) -> Any:
    """H = 1: u = s / (1 + (s/u0 - 1) e^(-2st)), written so that nothing overflows."""
    with np.errstate(divide="ignore", over="ignore", under="ignore"):
        r0 = np.where(u0 > 0, s / u0 - 1.0, np.inf)
        decay = np.exp(-2.0 * np.outer(t, s))
        out = s / (1.0 + r0 * decay)
    return np.where(u0 > 0, out, 0.0)


def _rate(y: NDArray[np.float64], s: NDArray[np.float64], sign: NDArray[np.float64], N: int) -> Any:
    """dy/dt = -N s u^(1-2/N) with u = s / (1 + sign e^y), in logs (u may be ~1e-300)."""
    with np.errstate(under="ignore"):
        log_u = np.log(s) - np.log1p(sign * np.exp(np.minimum(y, 700.0)))
        big = y > 700.0  # u = s e^-y to double precision
        log_u = np.where(big, np.log(s) - y, log_u)
        return -N * s * np.exp((1.0 - 2.0 / N) * log_u)


def _scalar_ode(
    s: NDArray[np.float64], u0: NDArray[np.float64], t: NDArray[np.float64], N: int
) -> NDArray[np.float64]:
    """H >= 2: integrate y = log|s/u - 1| for every mode with 0 < u0 != s."""
    scipy_module("integrate")
    from scipy.integrate import solve_ivp

    out = np.empty((t.size, s.size))
    moving = (u0 > 0) & (u0 != s)
    out[:, ~moving] = u0[~moving]
    if not moving.any() or t.size == 0:
        return out
    sm, um = s[moving], u0[moving]
    sign = np.where(um < sm, 1.0, -1.0)
    y0 = np.log(np.abs(sm / um - 1.0))
    order = np.argsort(t)
    ts = t[order]
    with np.errstate(under="ignore"):  # scipy's step-size floor underflows at t = 0
        sol = solve_ivp(
            lambda _t, y: _rate(y, sm, sign, N),
            (0.0, float(ts[-1])) if ts[-1] > 0 else (0.0, 1.0),
            y0,
            method="DOP853",
            t_eval=ts,
            rtol=ODE_RTOL,
            atol=ODE_RTOL,
        )
    if not sol.success:  # pragma: no cover - a smooth, bounded right-hand side
        raise RuntimeError(f"the scalar equation failed: {sol.message}")
    y = sol.y.T
    with np.errstate(under="ignore"):
        u = sm / (1.0 + sign * np.exp(np.minimum(y, 700.0)))
        u = np.where(y > 700.0, sm * np.exp(-np.maximum(y, 700.0)), u)  # u = s e^-y there
    out[order[:, None], np.flatnonzero(moving)[None, :]] = u
    return out


def aligned_solution(
    problem: Problem, u0: ArrayLike, t: ArrayLike, *, depth: int | None = None
) -> AlignedSolution:
    """The mode strengths u_i(t) and the loss L(t) of the flow from an aligned, balanced start.

    Parameters
    ----------
    problem : Problem
        Its singular values s_i and offset; the depth defaults to its own.
    u0 : float or array_like, shape (dy,)
        Initial mode strengths (>= 0), e.g. ``aligned_weights``' ``strengths``.
    t : array_like, shape (n,)
        Times >= 0, in any order.
    depth : int, optional
        H, the number of hidden layers (N = H + 1 layers); default ``problem.depth``.

    Returns
    -------
    AlignedSolution
        H = 1 by the closed form ``u(t) = s e^(2st) / (e^(2st) - 1 + s/u0)``; H >= 2 by the
        scalar equation ``du/dt = N u^(2-2/N) (s - u)`` solved to a relative 1e-13.

    Examples
    --------
    >>> import core
    >>> p = core.Problem.from_spectrum([2.0, 1.0], dx=2, widths=(2,))
    >>> sol = core.aligned_solution(p, 1e-3, [0.0, 2.0])
    >>> sol.strengths.round(6).tolist()
    [[0.001, 0.001], [1.197182, 0.051821]]
    """
    H = problem.depth if depth is None else int(depth)
    if H < 1:
        raise ValueError(f"depth (H) must be >= 1; got {depth!r}")
    u = _strengths(problem, u0)
    times = np.asarray(t, dtype=np.float64).ravel()
    if not np.all(np.isfinite(times)) or np.any(times < 0):
        raise ValueError("times t must be finite and >= 0")
    s = np.asarray(problem.singular_values, dtype=np.float64)
    if H == 1:
        strengths, method = _logistic(s, u, times), "closed form (H = 1, logistic)"
    else:
        strengths = _scalar_ode(s, u, times, H + 1)
        method = f"scalar equation du/dt = {H + 1} u^(2-2/{H + 1}) (s - u), DOP853 rtol 1e-13"
    loss = problem.offset + 0.5 * np.sum((s - strengths) ** 2, axis=1)
    return AlignedSolution(times, np.asarray(strengths), np.asarray(loss), H, method)


def time_to_half(s: float, u0: float, depth: int) -> float:
    """When a mode of strength u0 reaches s/2 under ``du/dt = N u^(2-2/N) (s - u)``: 0 if it
    starts at or above s/2, inf if it starts at 0."""
    if u0 >= s / 2:
        return 0.0
    if u0 <= 0:
        return float("inf")
    N = depth + 1
    y0 = float(np.log(s / u0 - 1.0))
    if N == 2:
        return y0 / (2.0 * s)
    scipy_module("integrate")
    from scipy.integrate import quad

    # t = 1/(N s^(2-2/N)) int_0^y0 (1 + e^y)^(1-2/N) dy
    val, _ = quad(
        lambda y: (1.0 + np.exp(y)) ** (1.0 - 2.0 / N), 0.0, y0, epsabs=0.0, epsrel=QUAD_RTOL
    )
    return float(val) / float(N * s ** (2.0 - 2.0 / N))


@dataclass(frozen=True, eq=False)
class PlateauExits:
    """Estimated times at which each mode is learned (reaches half its singular value) from a
    small start: ``times`` (dy,), the effective initial strengths ``u0`` (dy,), and ``rule``
    saying how they were estimated (see the module docstring). Estimates, not measurements."""

    times: NDArray[np.float64]
    u0: NDArray[np.float64]
    depth: int
    rule: str

    def __repr__(self) -> str:
        ts = ", ".join(f"{v:.3g}" for v in self.times)
        return f"PlateauExits(H = {self.depth}, t = ({ts}), estimates)"


def plateau_exits(
    problem: Problem, W0: Sequence[ArrayLike], *, flow: str = "reduced"
) -> PlateauExits:
    """Estimated exit times of the plateaus from the start ``W0`` (in ``flow``'s coordinates):
    the time each mode's strength reaches s_k / 2 (module docstring for the rules)."""
    W = as_weights(W0, problem.shapes)
    if check_flow(flow) == "original":
        W = problem.to_reduced(W)
    s, dy, H = problem.singular_values, problem.dy, problem.depth
    if H == 1:
        a, b = W[0][:, :dy], W[1][:dy, :].T
        u0 = np.sum((a + b) ** 2, axis=0) / 4.0
        rule = "linear phase near W = 0: u0 = |a_k + b_k|^2 / 4, then the logistic"
    else:
        rms = [float(np.linalg.norm(w)) / np.sqrt(min(w.shape)) for w in W]
        u0 = np.full(dy, float(np.prod(rms)))
        rule = (
            "aligned model with u0 = product of the layers' RMS singular values: the "
            f"1/eps^{H - 1} scaling is exact, its constant is not"
        )
    times = np.array([time_to_half(float(s[k]), float(u0[k]), H) for k in range(dy)])
    return PlateauExits(times, np.asarray(u0, dtype=np.float64), H, rule)
