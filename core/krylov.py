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

from core.lazy import scipy_module

if TYPE_CHECKING:
    from scipy.sparse.linalg import LinearOperator

__all__ = ["extremes"]

MAX_RESTARTS = 300  # ARPACK restarts before ArpackNoConvergence (its default, 10 n, is minutes)
RETRY_TOL = 1e-8  # the second try's tolerance: the Hessian panel's zero tolerance (relative)
TOL = 1e-10  # ARPACK's relative tolerance (relative to ~max |lambda| at both ends, see above)


def extremes(
    op: LinearOperator,
    k: int,
    *,
    tol: float = TOL,
    restarts: int = MAX_RESTARTS,
    retry: bool = True,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """``k`` eigenpairs at each end of the spectrum of the symmetric ``op`` (n x n), the first of
    ``lo`` the smallest eigenvalue and the last of ``hi`` the largest (see above on repeated
    values): ``(lo, V_lo, hi, V_hi)`` ascending, shapes (k,) and (n, k), unit eigenvectors. A
    zero operator (the Hessian at W = 0 for H >= 2) gives zeros and an orthonormal basis.
    ``restarts`` bounds ARPACK's restarts per end; ``retry``: once more with twice the vectors
    and RETRY_TOL if they do not suffice (else ArpackNoConvergence, for a caller with a cheaper
    way, such as the dense spectrum of a small Hessian)."""
    scipy_module("sparse.linalg")
    from scipy.sparse.linalg import LinearOperator

    n = op.shape[0]
    if not 1 <= k < n:
        raise ValueError(f"k must be in [1, {n - 1}] for an operator of size {n}; got {k}")
    v0 = np.random.default_rng(0).standard_normal(n)
    if not np.any(op.matvec(v0)):  # H = 0: every vector is an eigenvector (ARPACK would fail)
        Q = np.linalg.qr(np.random.default_rng(1).standard_normal((n, 2 * k)))[0]
        return np.zeros(k), Q[:, :k], np.zeros(k), Q[:, k:]
    # Room for clustered extremes: with ARPACK's 2k + 1 vectors, or even 2k + 1 = 41 for k = 20,
    # runs at the end of a budget took 10^4 restarts (measured: 56 s for 16 calls at 1,350
    # parameters); 4k + 1 (at least 60) converges in tens.
    ncv = min(n, max(4 * k + 1, 60))
    hi, V_hi = _eigsh(op, k, v0, ncv, tol, restarts, retry)
    sigma = float(hi.max())
    flipped = LinearOperator((n, n), matvec=lambda v: sigma * v - op.matvec(v), dtype=np.float64)
    top, V_lo = _eigsh(flipped, k, v0, ncv, tol, restarts, retry)
    lo = sigma - top
    a, b = np.argsort(lo), np.argsort(hi)
    return (
        np.asarray(lo[a], dtype=np.float64),
        np.asarray(V_lo[:, a], dtype=np.float64),
        np.asarray(hi[b], dtype=np.float64),
        np.asarray(V_hi[:, b], dtype=np.float64),
    )


def _eigsh(
    op: LinearOperator,
    k: int,
    v0: NDArray[np.float64],
    ncv: int,
    tol: float,
    restarts: int,
    retry: bool,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The top ``k`` pairs; once more with twice the vectors and RETRY_TOL if ARPACK does not
    converge (eigenvalues inside a cluster at the end converge slowly; the extreme one is
    accurate to about the residual, RETRY_TOL max|lambda|, either way)."""
    scipy_module("sparse.linalg")
    from scipy.sparse.linalg import ArpackNoConvergence, eigsh

    try:
        vals, vecs = eigsh(op, k=k, which="LA", v0=v0, ncv=ncv, tol=tol, maxiter=restarts)
    except ArpackNoConvergence:
        if not retry:
            raise
        wide = min(op.shape[0], 2 * ncv)
        vals, vecs = eigsh(
            op, k=k, which="LA", v0=v0, ncv=wide, tol=max(tol, RETRY_TOL), maxiter=restarts
        )
    return np.asarray(vals, dtype=np.float64), np.asarray(vecs, dtype=np.float64)
