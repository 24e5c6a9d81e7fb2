"""Curvature along a run: the extreme Hessian eigenvalues at a trajectory's samples.

The top eigenvalue ``lambda_max`` (the *sharpness*) decides what discrete steps can do. Gradient
descent at step eta is stable near a minimum only if ``lambda_max < 2 / eta`` (the explicit Euler
limit of the quadratic model; heavy ball with momentum beta: ``2 (1 + beta) / eta``), so GD that
converges ends where ``lambda_max <= 2 / eta``. For deep linear networks (NOTES.md): at a
balanced global minimum (every C_j = 0) ``lambda_max = (H + 1) s_1^(2H/(H+1))``, the flattest of
all global minima (for H = 1, ``w1^2 + w2^2 >= 2 w1 w2`` mode by mode; Mulayoff & Michaeli,
ICML 2020, for any depth). A step above ``2 / ((H + 1) s_1^(2H/(H+1)))`` therefore has no
minimum it can settle in.

Small networks get every eigenvalue from the dense exact Hessian (``numpy.linalg.eigvalsh``);
larger ones the ``k`` extreme eigenvalues at each end by Lanczos (scipy's ``eigsh``) on exact
Hessian-vector products. The number of negative eigenvalues counts those below
``-rel_tol max|lambda|``; it is exact for the dense method and for Lanczos while fewer than
``k`` are negative (then a lower bound), and it is *clean* only when no eigenvalue lies within
a decade of the tolerance (:attr:`core.HessianSplit.clean`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from core.derivatives import check_flow, objective
from core.problem import Problem
from core.spectrum import check_dense, split_by
from core.trajectory import Trajectory

__all__ = ["CURVATURE_METHODS", "DENSE_MAX_PARAMS", "Curvature", "curvature_along"]

CURVATURE_METHODS = ("auto", "dense", "lanczos")
# Up to this many parameters "auto" diagonalises the dense Hessian at every sample (measured:
# 3 ms a sample at 368 parameters against 7 ms by Lanczos, 20 ms against 10 ms at 744).
DENSE_MAX_PARAMS = 400
LANCZOS_EXTREMES = 6  # Default k: eigenvalues computed at each end by Lanczos.
DISCRETE_METHODS = ("gd", "momentum")  # Trajectory.method of gradient_descent's runs


def stability_limit(lr: float, momentum: float = 0.0) -> float:
    """The largest curvature a step can be stable on: ``2 / eta`` for GD, ``2 (1 + beta) / eta``
    for heavy-ball momentum (the quadratic model's limit)."""
    if not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"lr (step size eta) must be a positive number; got {lr!r}")
    return 2.0 * (1.0 + momentum) / lr


def sample_indices(t: NDArray[np.float64], loss: NDArray[np.float64], n: int) -> NDArray[np.int64]:
    """About ``n`` sample indices (at most n) spread over a run as it is drawn: half evenly in
    log t (the time axis is logarithmic), half evenly in the cumulative loss drop (transitions
    get points, plateaus few), and always the first and the last sample."""
    size = t.shape[0]
    if n < 2:
        raise ValueError(f"samples must be >= 2; got {n}")
    if size <= n:
        return np.arange(size)
    picks = [np.array([0, size - 1])]
    positive = np.flatnonzero(t > 0)
    n_log = (n - 2) // 2
    if positive.size:
        grid = np.geomspace(t[positive[0]], t[-1], n_log)
        picks.append(np.clip(np.searchsorted(t, grid), 0, size - 1))
    drop = np.concatenate([[0.0], np.cumsum(np.abs(np.diff(loss)))])
    if drop[-1] > 0 and np.isfinite(drop[-1]):
        picks.append(np.searchsorted(drop, np.linspace(0.0, drop[-1], n - 2 - n_log)))
    out = np.unique(np.concatenate(picks))
    return np.asarray(out[:n] if out.size > n else out, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class Curvature:
    """The extreme Hessian eigenvalues along a run, at samples ``index`` of its trajectory.

    Attributes
    ----------
    t : ndarray, shape (n,)
        The sample times.
    index : ndarray of int, shape (n,)
        Which samples of the trajectory these are.
    lambda_max, lambda_min : ndarray, shape (n,)
        The largest and the smallest Hessian eigenvalue.
    n_negative : ndarray of int, shape (n,)
        Eigenvalues below ``-rel_tol max|lambda|``; a lower bound where ``exact`` is False.
    exact : ndarray of bool, shape (n,)
        Whether ``n_negative`` is the count (dense), not only a lower bound (Lanczos: all k
        computed at the bottom were negative).
    clean : ndarray of bool, shape (n,)
        Whether no known eigenvalue lies within a decade of the zero tolerance, so the count
        does not depend on it (:attr:`core.HessianSplit.clean`).
    rel_tol : float
        The zero tolerance, relative to ``max |lambda|`` at each sample.
    method : {"dense", "lanczos"}
        Dense ``eigvalsh`` of the exact Hessian, or Lanczos (``eigsh``) extremes on
        Hessian-vector products.
    k : int
        Eigenvalues computed at each end (Lanczos); the dense method knows all ``n_params``.
    flow : {"reduced", "original"}
        The loss whose Hessian this is.
    """

    t: NDArray[np.float64]
    index: NDArray[np.int64]
    lambda_max: NDArray[np.float64]
    lambda_min: NDArray[np.float64]
    n_negative: NDArray[np.int64]
    exact: NDArray[np.bool_]
    clean: NDArray[np.bool_]
    rel_tol: float
    method: str
    k: int
    flow: str

    def __post_init__(self) -> None:
        n = self.t.shape[0]
        for name in ("index", "lambda_max", "lambda_min", "n_negative", "exact", "clean"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"{name} must have shape ({n},), got {getattr(self, name).shape}")
        if self.method not in ("dense", "lanczos"):
            raise ValueError(f"method must be 'dense' or 'lanczos'; got {self.method!r}")
        if not 0 < self.rel_tol < 1:
            raise ValueError(f"rel_tol must be in (0, 1); got {self.rel_tol!r}")
        if np.any(self.lambda_min > self.lambda_max):
            raise ValueError("lambda_min exceeds lambda_max at some sample")
        check_flow(self.flow)
        for name in ("t", "index", "lambda_max", "lambda_min", "n_negative", "exact", "clean"):
            getattr(self, name).setflags(write=False)

    @property
    def n_samples(self) -> int:
        return int(self.t.shape[0])

    def __repr__(self) -> str:
        how = "dense eigh" if self.method == "dense" else f"Lanczos, k = {self.k}"
        end = ""
        if self.n_samples:
            end = (
                f", at t = {self.t[-1]:.4g}: lambda_max = {self.lambda_max[-1]:.6g}, "
                f"lambda_min = {self.lambda_min[-1]:.3g}, n- = {int(self.n_negative[-1])}"
            )
        return f"Curvature({self.n_samples} samples, {how}, {self.flow} flow{end})"


def curvature_along(
    problem: Problem,
    trajectory: Trajectory,
    *,
    k: int = LANCZOS_EXTREMES,
    flow: str | None = None,
    samples: int | None = None,
    rel_tol: float = 1e-8,
    method: str = "auto",
) -> Curvature:
    """The extreme Hessian eigenvalues and the negative count at samples of a run.

    Parameters
    ----------
    problem : Problem
    trajectory : Trajectory
        A run of :func:`core.integrate` or :func:`core.gradient_descent`; its weights are in
        ``trajectory.flow``'s coordinates.
    k : int
        Eigenvalues computed at each end of the spectrum by Lanczos (``eigsh``'s k); it bounds
        the negative count Lanczos can certify.
    flow : {"reduced", "original"}, optional
        The loss whose Hessian to take; default the trajectory's own. Another flow's Hessian is
        taken at the same network, its weights mapped by :meth:`Problem.to_reduced` or
        :meth:`Problem.to_original`.
    samples : int, optional
        At most this many samples (:func:`sample_indices`: spread in log t and in loss drop,
        with the first and last); default every sample. For a discrete run half as many
        picks, each with the iterate after it (both sides of a period-2 oscillation).
    rel_tol : float
        Eigenvalues with ``|lambda| <= rel_tol max|lambda|`` count as zero.
    method : {"auto", "dense", "lanczos"}
        "auto": dense up to DENSE_MAX_PARAMS parameters, Lanczos beyond.

    Returns
    -------
    Curvature

    Examples
    --------
    A balanced start converges to a balanced minimum, where the top eigenvalue is
    ``(H + 1) s_1^(2H/(H+1))``: ``3 * 4^(4/3) = 19.05`` for H = 2, s_1 = 4.

    >>> import core
    >>> p = core.Problem.from_spectrum([4.0, 2.0], dx=2, widths=(2, 2))
    >>> run = core.integrate(p, core.init_weights(p, 0.3, kind="balanced"), 100.0, rtol=1e-10)
    >>> curv = core.curvature_along(p, run, samples=20)
    >>> curv.method, round(float(curv.lambda_max[-1]), 4), round(3 * 4 ** (4 / 3), 4)
    ('dense', 19.0488, 19.0488)
    """
    if method not in CURVATURE_METHODS:
        raise ValueError(f"method must be one of {CURVATURE_METHODS}; got {method!r}")
    if int(k) != k or k < 1:
        raise ValueError(f"k must be a positive integer; got {k!r}")
    if not 0 < rel_tol < 1:
        raise ValueError(f"rel_tol must be in (0, 1); got {rel_tol!r}")
    own = trajectory.flow
    flow = check_flow(own if flow is None else flow)
    obj = objective(problem, flow)
    n = obj.n_params
    if method == "auto":
        method = "dense" if n <= DENSE_MAX_PARAMS else "lanczos"
    elif method == "dense":
        check_dense(n)
    size = trajectory.n_samples
    if samples is None:
        index = np.arange(size)
    elif trajectory.method in DISCRETE_METHODS:
        # Each pick with the iterate after it: a period-2 oscillation (GD at the edge of
        # stability) shows both of its sides, whatever the parity of the picks.
        picks = sample_indices(trajectory.t, trajectory.loss, max(2, int(samples) // 2))
        index = np.unique(np.concatenate([picks, np.minimum(picks + 1, size - 1)]))
    else:
        index = sample_indices(trajectory.t, trajectory.loss, int(samples))
    rows = []
    for i in index:
        W = trajectory.weights_at(int(i))
        if flow != own:
            W = problem.to_original(W) if flow == "original" else problem.to_reduced(W)
        sp = split_by(obj, W, method, rel_tol=rel_tol, k=int(k))
        ev = sp.eigenvalues
        known_low = ev.size if method == "dense" or ev.size == n else min(int(k), ev.size)
        rows.append((ev[-1], ev[0], sp.n_neg, sp.n_neg < known_low or ev.size == n, sp.clean))
    cols = list(zip(*rows, strict=True)) if rows else [()] * 5
    return Curvature(
        t=np.array(trajectory.t[index], dtype=np.float64),
        index=np.asarray(index, dtype=np.int64),
        lambda_max=np.array(cols[0], dtype=np.float64),
        lambda_min=np.array(cols[1], dtype=np.float64),
        n_negative=np.array(cols[2], dtype=np.int64),
        exact=np.array(cols[3], dtype=bool),
        clean=np.array(cols[4], dtype=bool),
        rel_tol=float(rel_tol),
        method=method,
        k=int(k) if method == "lanczos" else n,
        flow=flow,
    )
