"""Extreme eigenpairs of a symmetric operator by Lanczos (ARPACK), as the Hessian needs them.

The Hessians of deep linear networks have huge clusters at zero (the critical sets are
manifolds). ARPACK's convergence test is relative to each Ritz value, so asked for the smallest
("SA") eigenvalues, which sit at ~1e-14, it can stop at a wrong one: measured at the global
minimum of a 544-parameter net it returned 0.83 where the smallest is -1.8e-14. So the bottom end
is found as the top end of ``sigma I - H`` (``sigma`` the largest eigenvalue), where every
eigenvalue sought is ~sigma and a relative tolerance means what it says. The start vector is
fixed, so results repeat.

A single start vector sees one copy of each repeated eigenvalue: the most extreme value at each
end is the extreme eigenvalue, but the k values returned are not the k extremes counted with
multiplicity (at a critical point the k "smallest" are a few zeros and then the next distinct
value). So they bound the spectrum and say whether a negative eigenvalue exists; they do not count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from scipy.sparse.linalg import LinearOperator

__all__ = ["extremes"]

TOL = 1e-10  # ARPACK's relative tolerance (relative to ~max |lambda| at both ends, see above)


def extremes(
    op: LinearOperator, k: int, *, tol: float = TOL
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """``k`` eigenpairs at each end of the spectrum of the symmetric ``op`` (n x n), the first of
    ``lo`` the smallest eigenvalue and the last of ``hi`` the largest (see above on repeated
    values): ``(lo, V_lo, hi, V_hi)`` ascending, shapes (k,) and (n, k), unit eigenvectors. A
    zero operator (the Hessian at W = 0 for H >= 2) gives zeros and an orthonormal basis."""
    from scipy.sparse.linalg import LinearOperator, eigsh

    n = op.shape[0]
    if not 1 <= k < n:
        raise ValueError(f"k must be in [1, {n - 1}] for an operator of size {n}; got {k}")
    v0 = np.random.default_rng(0).standard_normal(n)
    if not np.any(op.matvec(v0)):  # H = 0: every vector is an eigenvector (ARPACK would fail)
        Q = np.linalg.qr(np.random.default_rng(1).standard_normal((n, 2 * k)))[0]
        return np.zeros(k), Q[:, :k], np.zeros(k), Q[:, k:]
    ncv = min(n, max(2 * k + 1, 40))  # room for clustered extremes (ARPACK's 2k + 1 can stall)
    hi, V_hi = eigsh(op, k=k, which="LA", v0=v0, ncv=ncv, tol=tol)
    sigma = float(hi.max())
    flipped = LinearOperator((n, n), matvec=lambda v: sigma * v - op.matvec(v), dtype=np.float64)
    top, V_lo = eigsh(flipped, k=k, which="LA", v0=v0, ncv=ncv, tol=tol)
    lo = sigma - top
    a, b = np.argsort(lo), np.argsort(hi)
    return (
        np.asarray(lo[a], dtype=np.float64),
        np.asarray(V_lo[:, a], dtype=np.float64),
        np.asarray(hi[b], dtype=np.float64),
        np.asarray(V_hi[:, b], dtype=np.float64),
    )
