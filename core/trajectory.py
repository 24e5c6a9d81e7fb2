"""The Trajectory result and the per-sample quantities computed for it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from core._weights import Weights, split_stacked
from core.derivatives import Objective

__all__ = ["STATUSES", "Trajectory", "sample_quantities"]

STATUSES = ("converged", "t_max", "diverged", "failed")


def _batched_invariants(Ws: Sequence[NDArray[np.float64]]) -> list[NDArray[np.float64]]:
    """C_j for stacked weights (n, d_j, d_{j-1}): list of (n, d_j, d_j)."""
    mT = np.matrix_transpose
    return [mT(Ws[j + 1]) @ Ws[j + 1] - Ws[j] @ mT(Ws[j]) for j in range(len(Ws) - 1)]


def sample_quantities(
    obj: Objective, thetas: NDArray[np.float64]
) -> tuple[Weights, NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Weights, loss, gradient norm and invariant drift at stacked samples (n, n_params).

    The drift is ``max_j ||C_j(t) - C_j(t_0)||_F / max(1, ||C_j(t_0)||_F)``, t_0 the first sample.
    Everything is computed with batched matrix products over the samples.
    """
    n = thetas.shape[0]
    Ws = split_stacked(thetas, obj.shapes)
    # Forward sweep, batched: fwd[j] = W_{j+1} ... W_1, shape (n, d_{j+1}, dx).
    fwd = [Ws[0]]
    for W in Ws[1:]:
        fwd.append(W @ fwd[-1])
    E = fwd[-1] - obj.target
    EK = E if obj.K is None else E @ obj.K
    loss = 0.5 * np.sum(EK * EK, axis=(1, 2)) + obj.offset
    D = EK if obj.K is None else EK @ obj.K.T
    sq = np.zeros(n)
    for j in range(len(Ws) - 1, 0, -1):
        g = D @ np.matrix_transpose(fwd[j - 1])
        sq += np.sum(g * g, axis=(1, 2))
        D = np.matrix_transpose(Ws[j]) @ D
    sq += np.sum(D * D, axis=(1, 2))
    drift = np.zeros(n)
    for C in _batched_invariants(Ws):
        ref = np.linalg.norm(C[0])
        drift = np.maximum(drift, np.linalg.norm(C - C[0], axis=(1, 2)) / max(1.0, ref))
    return Ws, loss, np.sqrt(sq), drift


def _readonly(a: NDArray[np.float64]) -> NDArray[np.float64]:
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Trajectory:
    """A sampled solution of the flow (or of discrete gradient descent).

    Attributes
    ----------
    t : ndarray, shape (n,)
        Sample times, increasing, starting at 0. For gradient descent ``t = k * lr``.
    loss : ndarray, shape (n,)
        The full loss of eq 1 (reduced loss + offset) at each sample.
    weights : tuple of ndarray
        Entry j has shape (n, d_j, d_{j-1}), in the flow's own coordinates.
    grad_norm : ndarray, shape (n,)
        ||grad L||_F at each sample.
    invariant_drift : ndarray, shape (n,)
        max_j ||C_j(t) - C_j(0)||_F / max(1, ||C_j(0)||_F).
    status : {"converged", "t_max", "diverged", "failed"}
    message : str
        A sentence on how the run ended (with the time).
    """

    t: NDArray[np.float64]
    loss: NDArray[np.float64]
    weights: Weights
    grad_norm: NDArray[np.float64]
    invariant_drift: NDArray[np.float64]
    status: str
    message: str
    nfev: int
    njev: int
    wall_time: float
    flow: str = "reduced"
    method: str = ""

    def __post_init__(self) -> None:
        n = self.t.shape[0]
        if n == 0:
            raise ValueError("a Trajectory needs at least one sample")
        for name in ("loss", "grad_norm", "invariant_drift"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"{name} must have shape ({n},), got {getattr(self, name).shape}")
        if any(W.shape[0] != n for W in self.weights):
            raise ValueError("every weights entry must have one slice per sample")
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")
        if n > 1 and np.any(np.diff(self.t) < 0):
            raise ValueError("sample times must be non-decreasing")
        for a in (self.t, self.loss, self.grad_norm, self.invariant_drift, *self.weights):
            _readonly(a)

    @property
    def n_samples(self) -> int:
        return int(self.t.shape[0])

    @property
    def t_end(self) -> float:
        return float(self.t[-1])

    def weights_at(self, i: int) -> Weights:
        """The weights of sample i (negative indices allowed), as a tuple of 2-D arrays."""
        return tuple(np.array(W[i]) for W in self.weights)

    @property
    def final_weights(self) -> Weights:
        return self.weights_at(-1)

    @property
    def n_params(self) -> int:
        return sum(int(np.prod(W.shape[1:])) for W in self.weights)

    def flat(self) -> NDArray[np.float64]:
        """All samples flattened, shape (n, n_params), in the order of ``flatten``."""
        return np.concatenate([W.reshape(self.n_samples, -1) for W in self.weights], axis=1)


def build_trajectory(
    obj: Objective, t: NDArray[np.float64], thetas: NDArray[np.float64], **fields: Any
) -> Trajectory:
    """A Trajectory from sample times (n,) and flat samples (n, n_params)."""
    Ws, loss, gnorm, drift = sample_quantities(obj, thetas)
    return Trajectory(
        t=np.asarray(t, dtype=np.float64),
        loss=loss,
        weights=Ws,
        grad_norm=gnorm,
        invariant_drift=drift,
        **fields,
    )
