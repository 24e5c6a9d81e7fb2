"""Proposition 2 (exponential convergence), as corrected in NOTES.md.

For pyramidal widths d_1 >= ... >= d_H >= dy and reduced weights W(0), let lambda_l be the
d_{l+1}-th LARGEST eigenvalue of C_l = W_{l+1}^T W_{l+1} - W_l W_l^T (the paper's
lambda_{d_l - d_{l+1} + 1} in ascending order). If every lambda_l > 0 then, with
alpha = prod_l lambda_l and M = Sigma_Y - W_{H+1} ... W_1,

    ||M(t)||_F^2 <= ||M(0)||_F^2 exp(-2 alpha t).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from core._weights import as_weights
from core.derivatives import end_to_end, invariants
from core.problem import Problem

__all__ = ["RateBound", "exponential_rate", "measured_rate", "residual_sq"]

ROUND_OFF = 1e-28  # ||M||^2 below this is round-off (the loss's own floor is far above it)
FLOOR_FALL = 1.0  # decades: a tail whose trend falls less is a floor, not a decay
FLOOR_MARGIN = 100.0  # samples within this factor of the floor are not used


@dataclass(frozen=True)
class RateBound:
    """Whether Proposition 2 applies, and its bound.

    ``eigenvalues[l-1]`` is the d_{l+1}-th largest eigenvalue of C_l (l = 1..H), or empty when
    the widths are not pyramidal. ``failing`` lists the 1-based l whose eigenvalue is <= 0.
    """

    holds: bool
    pyramidal: bool
    eigenvalues: tuple[float, ...]
    failing: tuple[int, ...]
    alpha: float
    m0_sq: float
    reason: str

    def bound(self, t: ArrayLike) -> NDArray[np.float64]:
        """||M(0)||^2 exp(-2 alpha t), shape of t (NaN everywhere when the hypotheses fail)."""
        tt = np.asarray(t, dtype=np.float64)
        if not self.holds:
            return np.full(tt.shape, np.nan)
        return self.m0_sq * np.exp(-2.0 * self.alpha * tt)


def exponential_rate(problem: Problem, W0: Sequence[ArrayLike]) -> RateBound:
    """Check Proposition 2's hypotheses at reduced weights W0 and return alpha and the bound."""
    Ws = as_weights(W0, problem.shapes)
    m0_sq = float(np.sum((problem.sigma - end_to_end(Ws)) ** 2))
    d = (*problem.widths, problem.dy)
    if any(d[k] < d[k + 1] for k in range(len(d) - 1)):
        return RateBound(
            False,
            False,
            (),
            (),
            0.0,
            m0_sq,
            f"widths {problem.widths} with dy = {problem.dy} are not pyramidal "
            "(Proposition 2 needs d_1 >= ... >= d_H >= dy)",
        )
    lams = []
    for l, C in enumerate(invariants(Ws), start=1):
        ev = np.linalg.eigvalsh(C)[::-1]  # descending
        lams.append(float(ev[d[l] - 1]))  # the d_{l+1}-th largest; d[l] is d_{l+1}
    failing = tuple(l for l, lam in enumerate(lams, start=1) if lam <= 0)
    if failing:
        names = ", ".join(
            f"lambda_{l} = {lams[l - 1]:.3g} (C_{l}, its d_{l + 1}-th largest)" for l in failing
        )
        return RateBound(
            False,
            True,
            tuple(lams),
            failing,
            0.0,
            m0_sq,
            f"Proposition 2 needs these eigenvalues > 0: {names}",
        )
    alpha = float(np.prod(lams))
    return RateBound(
        True, True, tuple(lams), (), alpha, m0_sq, f"hypotheses hold: alpha = {alpha:.4g}"
    )


def residual_sq(problem: Problem, trajectory: Any) -> NDArray[np.float64]:
    """||M(t)||_F^2 = ||Sigma_Y - Pbar(t)||_F^2 at every sample, computed from the residual itself
    (not as 2 (L - offset), which cancels to round-off near convergence on data problems).
    Proposition 2 is about the reduced flow, whose weights are reduced."""
    P = problem.reduced_product(end_to_end(trajectory.weights), trajectory.flow)
    M = np.asarray(problem.sigma) - P
    return np.asarray(np.sum(M * M, axis=(1, 2)), dtype=np.float64)


def measured_rate(t: ArrayLike, m_sq: ArrayLike) -> float:
    """The observed decay rate of ||M||^2 ~ exp(-2 rate t): -1/2 the least-squares slope of
    log ||M||^2 over the second half of the time it decays (where the exponential regime has set
    in). A run that goes on past convergence reaches a floor of round-off and stays on it (the
    trend of the last quarter of its samples falls less than FLOOR_FALL decades, far below the
    start, however noisy): samples within FLOOR_MARGIN of the floor's top, or below ROUND_OFF,
    are not used. NaN with fewer than 3 left."""
    tt, m = np.asarray(t, dtype=np.float64), np.asarray(m_sq, dtype=np.float64)
    usable = m > ROUND_OFF
    if usable.sum() < 3:
        return float("nan")
    n_tail = max(3, int(usable.sum()) // 4)
    t_tail, tail = tt[usable][-n_tail:], m[usable][-n_tail:]
    # Decades the tail's trend falls across it: under one, it is a floor, noisy as it may be.
    fall = -np.polyfit(t_tail, np.log10(tail), 1)[0] * (t_tail[-1] - t_tail[0])
    if fall < FLOOR_FALL and tail.max() * FLOOR_MARGIN**2 < m[usable].max():
        usable &= m > FLOOR_MARGIN * float(tail.max())  # the start stays: it is far above
    keep = (tt >= tt[usable][-1] / 2) & usable
    if keep.sum() < 3:
        return float("nan")
    slope = np.polyfit(tt[keep], np.log(m[keep]), 1)[0]
    return float(-slope / 2)
