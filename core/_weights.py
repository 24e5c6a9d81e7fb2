"""Weight tuples: shapes, validation, flattening.

Weights are a tuple ``(W_1, ..., W_{H+1})`` with ``W_j`` of shape ``(d_j, d_{j-1})``. The flat
parameter vector is the concatenation of the row-major ``W_j.ravel()`` for j = 1..H+1.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

Weights = tuple[NDArray[np.float64], ...]


def layer_shapes(dims: Sequence[int]) -> tuple[tuple[int, int], ...]:
    """Shapes (d_j, d_{j-1}) of W_1..W_{H+1} for dims = (d_0, ..., d_{H+1})."""
    return tuple((int(dims[j + 1]), int(dims[j])) for j in range(len(dims) - 1))


def as_weights(Ws: Sequence[ArrayLike], shapes: Sequence[tuple[int, int]]) -> Weights:
    """Validate a weight tuple against the expected layer shapes; return float64 copies."""
    if len(Ws) != len(shapes):
        raise ValueError(f"expected {len(shapes)} weight matrices (H + 1), got {len(Ws)}")
    out = []
    for j, (W, shape) in enumerate(zip(Ws, shapes, strict=True), start=1):
        arr = np.array(W, dtype=np.float64)
        if arr.shape != tuple(shape):
            raise ValueError(f"W_{j} must have shape {tuple(shape)}, got {arr.shape}")
        out.append(arr)
    return tuple(out)


def flatten(Ws: Sequence[NDArray[np.float64]]) -> NDArray[np.float64]:
    """Concatenate row-major ravels: shape (n_params,)."""
    return np.concatenate([np.asarray(W, dtype=np.float64).ravel() for W in Ws])


def unflatten(theta: NDArray[np.float64], shapes: Sequence[tuple[int, int]]) -> Weights:
    """Inverse of :func:`flatten`; returns views into ``theta`` where possible."""
    out, k = [], 0
    for a, b in shapes:
        out.append(theta[k : k + a * b].reshape(a, b))
        k += a * b
    if k != theta.shape[-1]:
        raise ValueError(f"flat vector has {theta.shape[-1]} entries, shapes need {k}")
    return tuple(out)


def offsets(shapes: Sequence[tuple[int, int]]) -> list[int]:
    """Start index of each layer in the flat vector, plus the total at the end."""
    out = [0]
    for a, b in shapes:
        out.append(out[-1] + a * b)
    return out


def split_stacked(thetas: NDArray[np.float64], shapes: Sequence[tuple[int, int]]) -> Weights:
    """Stacked flat rows (R, n_params) -> weights with a leading run axis, (R, d_j, d_{j-1})."""
    R, k, out = thetas.shape[0], 0, []
    for a, b in shapes:
        out.append(thetas[:, k : k + a * b].reshape(R, a, b))
        k += a * b
    return tuple(out)
