"""The Trajectory result and the per-sample quantities computed for it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from core._weights import Weights, split_stacked
from core.critical_values import label
from core.derivatives import Objective
from core.stopping import STATUSES
from core.visits import Visit

__all__ = ["Trajectory", "sample_quantities"]


def _batched_invariants(Ws: Sequence[NDArray[np.float64]]) -> list[NDArray[np.float64]]:
    """C_j for stacked weights (n, d_j, d_{j-1}): list of (n, d_j, d_j)."""
    mT = np.matrix_transpose
    return [mT(Ws[j + 1]) @ Ws[j + 1] - Ws[j] @ mT(Ws[j]) for j in range(len(Ws) - 1)]


SAMPLE_BLOCK = 1 << 19  # Floats of weights per block of samples in sample_quantities (4 MB).


def sample_quantities(
    obj: Objective, thetas: NDArray[np.float64]
) -> tuple[Weights, NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Weights, excess loss L - L*, gradient norm and invariant drift at stacked samples
    (n, n_params), by batched gradient sweeps (``Objective.grad_excess``) over blocks of
    samples, so the gradients and invariants of a large run never exist all at once (the
    weights returned are views of ``thetas``).

    The drift is ``max_j ||C_j(t) - C_j(t_0)||_F / max(1, ||C_j(t_0)||_F)``, t_0 the first sample.
    """
    n = thetas.shape[0]
    Ws = split_stacked(thetas, obj.shapes)
    excess, gnorm, drift = np.empty(n), np.empty(n), np.zeros(n)
    C0 = [C[0] for C in _batched_invariants([W[:1] for W in Ws])]
    refs = [max(1.0, float(np.linalg.norm(C))) for C in C0]
    step = max(1, SAMPLE_BLOCK // max(1, thetas.shape[1]))
    for lo in range(0, n, step):
        block = [W[lo : lo + step] for W in Ws]
        grads, ex = obj.grad_excess(block)
        excess[lo : lo + step] = ex
        gnorm[lo : lo + step] = np.sqrt(sum(np.sum(g * g, axis=(1, 2)) for g in grads))
        for C, c0, ref in zip(_batched_invariants(block), C0, refs, strict=True):
            d = np.linalg.norm(C - c0, axis=(1, 2)) / ref
            drift[lo : lo + step] = np.maximum(drift[lo : lo + step], d)
    return Ws, excess, gnorm, drift


def _readonly(a: NDArray[np.float64]) -> NDArray[np.float64]:
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Trajectory:
    """A sampled solution of the flow (or of discrete gradient descent).

    Attributes
    ----------
    t : ndarray, shape (n,)
        Sample times, increasing, starting at 0. For gradient descent ``t = k eta``, for
        heavy-ball momentum ``t = k eta / (1 - beta)`` (the flow each approximates).
    excess : ndarray, shape (n,)
        L - L* (L* = offset, the global minimum), computed from the residual itself.
    loss : ndarray, shape (n,)
        The full loss of eq 1, ``excess + offset``.
    weights : tuple of ndarray
        Entry j has shape (n, d_j, d_{j-1}), in the flow's own coordinates.
    grad_norm : ndarray, shape (n,)
        ||grad L||_F at each sample.
    invariant_drift : ndarray, shape (n,)
        max_j ||C_j(t) - C_j(0)||_F / max(1, ||C_j(0)||_F).
    status : one of ``core.stopping.STATUSES``
        "converged" (global minimum), "saddle" (at t_max on a saddle's plateau; ``saddle``
        names it), "t_max" (still moving), "diverged", "budget" or "failed".
    message : str
        A sentence on how the run ended (with the time).
    visits : tuple of Visit
        The stays in rung bands recorded at every accepted step (see :mod:`core.visits`).
    saddle : tuple of int, optional
        The saddle's subset (0-based) when ``status == "saddle"``.
    """

    t: NDArray[np.float64]
    excess: NDArray[np.float64]
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
    offset: float = 0.0
    visits: tuple[Visit, ...] = ()
    saddle: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        n = self.t.shape[0]
        if n == 0:
            raise ValueError("a Trajectory needs at least one sample")
        for name in ("excess", "grad_norm", "invariant_drift"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"{name} must have shape ({n},), got {getattr(self, name).shape}")
        if any(W.shape[0] != n for W in self.weights):
            raise ValueError("every weights entry must have one slice per sample")
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")
        if n > 1 and np.any(np.diff(self.t) < 0):
            raise ValueError("sample times must be non-decreasing")
        if self.status == "saddle" and self.saddle is None:
            raise ValueError("a run that ended at a saddle must name it (saddle=subset)")
        for a in (self.t, self.excess, self.grad_norm, self.invariant_drift, *self.weights):
            _readonly(a)

    @property
    def loss(self) -> NDArray[np.float64]:
        """The full loss of eq 1 at each sample, ``excess + offset``."""
        return _readonly(self.excess + self.offset)

    def __repr__(self) -> str:
        d = (self.weights[0].shape[2], *(W.shape[1] for W in self.weights))
        dims = str(d) if len(d) <= 8 else f"({d[0]}, {d[1]}, ..., {d[-1]}; {len(d) - 1} layers)"
        where = f" {label(self.saddle)}" if self.saddle is not None else ""
        return (
            f"Trajectory({self.status}{where}, t_end={self.t_end:.6g}, n_samples="
            f"{self.n_samples}, L_end={self.loss[-1]:.6g}, flow={self.flow!r}, "
            f"method={self.method!r}, nfev={self.nfev}, dims={dims})"
        )

    def to_frame(self) -> Any:
        """The samples as a pandas DataFrame with columns t, loss, excess, grad_norm and
        invariant_drift (one row per sample). Needs pandas (``pip install linflow[frames]``)."""
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError("Trajectory.to_frame needs pandas: pip install pandas") from None
        return pd.DataFrame(
            {
                "t": self.t,
                "loss": self.loss,
                "excess": self.excess,
                "grad_norm": self.grad_norm,
                "invariant_drift": self.invariant_drift,
            }
        )

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
    Ws, excess, gnorm, drift = sample_quantities(obj, thetas)
    return Trajectory(
        t=np.asarray(t, dtype=np.float64),
        excess=excess,
        offset=obj.offset,
        weights=Ws,
        grad_norm=gnorm,
        invariant_drift=drift,
        **fields,
    )
