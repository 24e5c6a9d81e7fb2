"""Seeded initialisations of the weights (never the global RNG)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from core._weights import Weights
from core.aligned import aligned_weights
from core.problem import Problem

__all__ = ["INIT_KINDS", "init_weights"]

INIT_KINDS = ("gaussian", "balanced", "orthogonal", "layered", "aligned")
LAYERED_SPAN = 1e-2  # "layered": the input layer's scale is this fraction of the output layer's.


def _orthonormal_columns(rng: np.random.Generator, rows: int, cols: int) -> NDArray[np.float64]:
    """A (rows, cols) matrix with orthonormal columns (cols <= rows), Haar-distributed."""
    q, r = np.linalg.qr(rng.standard_normal((rows, cols)))
    return q * np.sign(np.diag(r))


def init_weights(
    problem: Problem,
    scale: float,
    *,
    seed: int | None = 0,
    kind: str = "gaussian",
    strengths: ArrayLike | None = None,
) -> Weights:
    """Initial weights W_j of shape (d_j, d_{j-1}) from ``numpy.random.default_rng(seed)``.

    kind
        ``"gaussian"``: i.i.d. entries N(0, scale^2).
        ``"balanced"``: ``W_j = scale Q_j D Q_{j-1}^T`` with Q_j (d_j, dy) orthonormal columns and
        one positive diagonal D (entries in [0.5, 1.5]) shared by all layers, so every
        invariant C_j = W_{j+1}^T W_{j+1} - W_j W_j^T is exactly zero.
        ``"orthogonal"``: each W_j is ``scale`` times a random matrix with orthonormal rows or
        columns (whichever is shorter), so all its singular values equal ``scale``.
        ``"layered"``: Gaussian, with entry std growing geometrically from
        ``LAYERED_SPAN * scale`` (W_1) to ``scale`` (W_{H+1}); later layers dominate, so the C_j
        tend to have the positive eigenvalues Proposition 2 asks for.
        ``"aligned"``: the aligned, balanced start of :func:`core.aligned_solution` (reduced
        coordinates; no randomness): mode i on its own path with the entry
        ``strengths[i]^(1/(H+1))`` in every layer, so ``diag(P) = strengths``; without
        ``strengths`` every entry is ``scale`` (each mode strength ``scale^(H+1)``).
    strengths : array_like, shape (dy,), optional
        The aligned start's initial mode strengths (each >= 0); only for ``kind="aligned"``.

    Examples
    --------
    >>> import core
    >>> p = core.Problem.from_spectrum([2.0, 1.0], dx=3, widths=(2, 2))
    >>> W = core.init_weights(p, 0.1, kind="aligned", strengths=[8e-3, 1e-3])
    >>> core.end_to_end(W).round(6).tolist()
    [[0.008, 0.0, 0.0], [0.0, 0.001, 0.0]]
    """
    if not (np.isfinite(scale) and scale >= 0):
        raise ValueError(f"scale must be a finite number >= 0; got {scale!r}")
    if strengths is not None and kind != "aligned":
        raise ValueError(f"strengths are the aligned start's; kind is {kind!r}")
    if kind == "aligned":
        u0 = scale ** (problem.depth + 1) if strengths is None else strengths
        return aligned_weights(problem, u0)
    rng = np.random.default_rng(seed)
    shapes = problem.shapes
    if kind == "gaussian":
        return tuple(scale * rng.standard_normal(s) for s in shapes)
    if kind == "layered":
        stds = (
            np.geomspace(LAYERED_SPAN * scale, scale, len(shapes))
            if scale > 0
            else [0.0] * len(shapes)
        )
        return tuple(c * rng.standard_normal(s) for c, s in zip(stds, shapes, strict=True))
    if kind == "orthogonal":
        out = []
        for a, b in shapes:
            q = _orthonormal_columns(rng, max(a, b), min(a, b))
            out.append(scale * (q if a >= b else q.T))
        return tuple(out)
    if kind == "balanced":
        k = problem.dy
        Q = [_orthonormal_columns(rng, d, k) for d in problem.dims]
        D = np.diag(rng.uniform(0.5, 1.5, size=k))
        return tuple(scale * Q[j + 1] @ D @ Q[j].T for j in range(len(shapes)))
    raise ValueError(f"kind must be one of {INIT_KINDS}; got {kind!r}")
