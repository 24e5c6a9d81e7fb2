"""Hessian inertia: measured (:func:`hessian_split`) and predicted (:func:`predicted_split`).

Theory (NOTES.md). For H = 1 at a critical point of type S, with ``r = |S|`` and ``q = q(S)``::

    n_zero = r d1 + (d1 - r) r + (d1 - r)(dx - dy)     (the critical manifold's dimension)
    n_neg  = q + (d1 - r)(dy - r)
    n_pos  = r (dx + dy - r) - q + (d1 - r)(dy - r)

The printed Proposition 5 has ``d(r) = r d1 + (dy - r) r + (dy - r)(dx - dy)`` and counts
``(dy - r)^2`` negative forms; both agree with the above only when d1 = dy. For H >= 2 at the
minimal critical point of type S (only the S path nonzero) n_neg = q(S); at W = 0 (S = {}) the
Hessian is exactly zero. No closed form is known otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from core import inertia, krylov
from core._weights import as_weights
from core.critical_values import q_count
from core.derivatives import HESSIAN_MAX_PARAMS, Objective, objective
from core.lazy import scipy_module
from core.problem import Problem

__all__ = [
    "LANCZOS_MIN_PARAMS",
    "SPLIT_METHODS",
    "HessianSplit",
    "PredictedSplit",
    "hessian_split",
    "predicted_split",
]

# "auto": every eigenvalue up to this many parameters; beyond, the Lanczos extremes with the
# counts by inertia (LDL^T) while a dense Hessian fits (HESSIAN_MAX_PARAMS), Lanczos alone after.
LANCZOS_MIN_PARAMS = 3000
LANCZOS_K = 20  # Eigenvalues computed at each end of the spectrum by Lanczos.
# ARPACK's restarts per end before a Hessian that fits is diagonalised densely instead: runs
# that converge took at most ~40 (measured along runs of 736-6,048 parameters).
DENSE_FALLBACK_RESTARTS = 60
# A split is clean when no eigenvalue lies within this factor of the zero tolerance on either
# side (a decade): then any tolerance in that range gives the same counts. Otherwise the counts
# depend on the tolerance, and the app says so instead of printing them as facts.
CLEAN_MARGIN = 10.0


@dataclass(frozen=True)
class HessianSplit:
    """Measured inertia: eigenvalues with ``|lambda| <= rel_tol max|lambda|`` count as zero.

    ``gap = (zero_max, nonzero_min)``, both relative to ``max |lambda|``: the largest
    ``|lambda|`` counted zero and the smallest counted nonzero. A clear split has
    zero_max << nonzero_min.
    With ``method == "lanczos"`` only the LANCZOS_K extreme eigenvalues at each end are known;
    ``n_zero`` and ``n_pos`` are then None and ``n_neg`` is a lower bound. With
    ``method == "inertia"`` the eigenvalues are those extremes and the counts are exact, by
    LDL^T factorisations (:mod:`core.inertia`); the gap is then known only as bounds: ``(rel_tol
    / CLEAN_MARGIN, rel_tol * CLEAN_MARGIN)`` when no eigenvalue lies between (clean), NaN
    where one does.
    """

    n_neg: int
    n_zero: int | None
    n_pos: int | None
    eigenvalues: NDArray[np.float64]
    rel_tol: float
    scale: float
    gap: tuple[float, float]
    method: str

    @property
    def counts(self) -> tuple[int, int | None, int | None]:
        return (self.n_neg, self.n_zero, self.n_pos)

    @property
    def clean(self) -> bool:
        """Whether the zero tolerance sits in a clear spectral gap (see CLEAN_MARGIN)."""
        zero_max, nonzero_min = self.gap
        return (
            zero_max <= self.rel_tol / CLEAN_MARGIN and nonzero_min >= self.rel_tol * CLEAN_MARGIN
        )

    @property
    def neg_text(self) -> str:
        """n_neg as measured: a number, or ">= k" where Lanczos found k negative extremes (a
        repeated value comes back once). None found is exact: Lanczos finds the smallest."""
        return f">= {self.n_neg}" if self.method == "lanczos" and self.n_neg else str(self.n_neg)

    def __repr__(self) -> str:
        gap = "clean gap" if self.clean else "no clean gap: counts depend on the tolerance"
        return (
            f"HessianSplit(n-={self.n_neg}, n0={self.n_zero}, n+={self.n_pos}, {self.method}, "
            f"max|lambda|={self.scale:.4g}, {gap})"
        )


@dataclass(frozen=True)
class PredictedSplit:
    """Theory's inertia at a critical point of type S (None where theory gives no number;
    ``n_neg_min``: a lower bound on n_neg it gives then)."""

    n_neg: int | None
    n_zero: int | None
    n_pos: int | None
    source: str
    printed: PredictedSplit | None = None
    n_neg_min: int = 0

    @property
    def neg_text(self) -> str | None:
        """n_neg as theory states it: the number, ">= k" for a bound, None if neither."""
        if self.n_neg is not None:
            return str(self.n_neg)
        return f">= {self.n_neg_min}" if self.n_neg_min else None

    @property
    def counts(self) -> tuple[int | None, int | None, int | None]:
        return (self.n_neg, self.n_zero, self.n_pos)


SPLIT_METHODS = ("auto", "dense", "inertia", "lanczos")


def hessian_split(
    problem: Problem,
    Ws: Sequence[ArrayLike],
    *,
    flow: str = "reduced",
    rel_tol: float = 1e-8,
    method: str = "auto",
) -> HessianSplit:
    """Eigenvalues of the exact Hessian at Ws, sorted ascending, and their sign counts.

    ``method``: "dense" (every eigenvalue, ``eigvalsh`` of the dense Hessian: ~4 n^3 / 3 work,
    8 n^2 bytes), "inertia" (the LANCZOS_K extremes at each end, and the exact counts by four
    to six LDL^T factorisations of the dense Hessian, :mod:`core.inertia`: ~n^3 / 3 each, half
    of eigvalsh's time at 3,744 parameters and less beyond), "lanczos" (the extremes only, by
    ARPACK on Hessian-vector products; counts then unknown but for a lower bound on n-), or
    "auto" (dense up to LANCZOS_MIN_PARAMS parameters, inertia up to HESSIAN_MAX_PARAMS,
    lanczos beyond).
    """
    if method not in SPLIT_METHODS:
        raise ValueError(f"method must be one of {SPLIT_METHODS}; got {method!r}")
    W = as_weights(Ws, problem.shapes)
    obj = objective(problem, flow)
    if method == "auto":
        n = obj.n_params
        fits = n <= HESSIAN_MAX_PARAMS
        method = "dense" if n <= LANCZOS_MIN_PARAMS else ("inertia" if fits else "lanczos")
    return split_by(obj, W, method, rel_tol=rel_tol, k=LANCZOS_K)


def check_dense(n: int) -> None:
    """Refuse a dense Hessian that would not fit (more than HESSIAN_MAX_PARAMS parameters)."""
    if n > HESSIAN_MAX_PARAMS:
        raise ValueError(
            f"a dense Hessian of {n} parameters takes {8 * n * n / 1e9:.1f} GB; use "
            f"method='lanczos' (dense up to {HESSIAN_MAX_PARAMS})"
        )


def split_by(
    obj: Objective, W: Sequence[NDArray[np.float64]], method: str, *, rel_tol: float, k: int
) -> HessianSplit:
    """The split at W by ``method``: "dense" (every eigenvalue), "inertia" (``k`` at each end
    and the counts by LDL^T) or "lanczos" (``k`` at each end). The one mechanism behind
    :func:`hessian_split` and :func:`core.curvature_along`."""
    if method == "dense":
        return split_of(dense_eigenvalues(obj, W), rel_tol, obj.n_params, "dense")
    if method == "inertia":
        check_dense(obj.n_params)
    ev = lanczos_extremes(obj, W, k)
    if ev.size == obj.n_params:
        # Every eigenvalue came back (the dense fallback): the split says so and counts them all.
        return split_of(ev, rel_tol, obj.n_params, "dense")
    if method == "inertia":
        return inertia_split(obj.hessian(W), ev, rel_tol)
    return split_of(ev, rel_tol, obj.n_params, "lanczos")


def inertia_split(
    H: NDArray[np.float64], extremes: NDArray[np.float64], rel_tol: float
) -> HessianSplit:
    """The split of the dense ``H`` (n x n) counted by inertia (:func:`core.inertia.counts`),
    with ``extremes`` (its extreme eigenvalues, ascending) for the scale max |lambda| and the
    picture."""
    n = H.shape[0]
    scale = float(np.abs(extremes).max()) if extremes.size else 0.0
    if scale == 0.0:
        return split_of(extremes, rel_tol, n, "inertia")
    c = inertia.counts(H, rel_tol * scale, CLEAN_MARGIN)
    # Bounds, not values: inertia tells whether a decade each side of the tolerance is empty.
    gap = (rel_tol / CLEAN_MARGIN, rel_tol * CLEAN_MARGIN) if c.clean else (np.nan, np.nan)
    return HessianSplit(c.n_neg, c.n_zero, c.n_pos, extremes, rel_tol, scale, gap, "inertia")


def dense_eigenvalues(obj: Objective, W: Sequence[NDArray[np.float64]]) -> NDArray[np.float64]:
    """Every eigenvalue of the exact dense Hessian, ascending, shape (n_params,)."""
    check_dense(obj.n_params)
    return np.asarray(np.linalg.eigvalsh(obj.hessian(W)), dtype=np.float64)


def lanczos_extremes(
    obj: Objective, W: Sequence[NDArray[np.float64]], k: int, *, tol: float = krylov.TOL
) -> NDArray[np.float64]:
    """The ``k`` smallest and ``k`` largest eigenvalues of the Hessian, ascending: 2k values
    (every eigenvalue when n_params <= 2k + 1), by Lanczos on exact Hessian-vector products
    (:func:`core.krylov.extremes`, which says why the bottom end is found as the top of a shifted
    operator); the Hessian is never formed. If ARPACK does not converge, the dense spectrum is
    used where it fits."""
    scipy_module("sparse.linalg")
    from scipy.sparse.linalg import ArpackNoConvergence

    n = obj.n_params
    if n <= 2 * k + 1:  # ARPACK needs k < n; so few parameters are cheap to do densely
        return dense_eigenvalues(obj, W)
    # Where a dense Hessian fits, ARPACK gets DENSE_FALLBACK_RESTARTS and then the dense
    # spectrum is taken (exact, and cheaper than more restarts: at the end of a 3,008-parameter
    # run stuck at a saddle, with 89 negative eigenvalues clustered near zero, ARPACK's 300
    # restarts and its retry took 28,000 products and 4 s; the dense spectrum 1.6 s).
    fits = n <= HESSIAN_MAX_PARAMS
    try:
        lo, _, hi, _ = krylov.extremes(
            obj.hessian_operator(W),
            k,
            tol=tol,
            restarts=DENSE_FALLBACK_RESTARTS if fits else krylov.MAX_RESTARTS,
            retry=not fits,
        )
    except ArpackNoConvergence:
        if not fits:
            raise
        return dense_eigenvalues(obj, W)
    return np.asarray(np.concatenate([lo, hi]), dtype=np.float64)


def split_of(ev: NDArray[np.float64], rel_tol: float, n: int, method: str) -> HessianSplit:
    """The split of known eigenvalues ``ev`` (ascending) of an n-parameter Hessian: all of them
    (``method="dense"``) or the extremes (``"lanczos"``: ``n_zero`` and ``n_pos`` unknown)."""
    scale = float(np.abs(ev).max()) if ev.size else 0.0
    if scale == 0.0:  # the zero Hessian: every count is known, whatever the method
        return HessianSplit(0, n, 0, ev, rel_tol, 0.0, (0.0, float("inf")), method)
    tol = rel_tol * scale
    zero = np.abs(ev) <= tol
    a = np.abs(ev) / scale
    gap = (
        float(a[zero].max()) if zero.any() else 0.0,
        float(a[~zero].min()) if (~zero).any() else float("inf"),
    )
    n_neg = int(np.sum(ev < -tol))
    if method == "dense":
        return HessianSplit(
            n_neg, int(zero.sum()), int(np.sum(ev > tol)), ev, rel_tol, scale, gap, method
        )
    return HessianSplit(n_neg, None, None, ev, rel_tol, scale, gap, method)


def predicted_split(
    problem: Problem, subset: Iterable[int], *, ranks: tuple[int, int] | None = None
) -> PredictedSplit:
    """What theory says about the Hessian at a critical point of type ``subset``; ``ranks``
    (rank R, rank Z of the point, :func:`core.classify`) tell a minimal point from others for
    H >= 2: with rank Z > rank R it is not minimal, and Prop 4 iii gives n_neg >= 1 only.

    Examples
    --------
    For H = 1 with d1 > dy the printed Proposition 5 miscounts; the corrected counts are what
    the Hessian shows:

    >>> import core
    >>> p = core.Problem.from_spectrum([2.0, 1.0], dx=3, widths=(4,))
    >>> pred = core.predicted_split(p, (0,))  # the saddle {1}
    >>> pred.counts, pred.printed.counts
    ((3, 10, 7), (1, 6, 13))
    >>> core.hessian_split(p, core.critical_point(p, (0,), seed=0)).counts
    (3, 10, 7)
    """
    S = tuple(sorted(set(int(i) for i in subset)))
    if any(not 0 <= i < problem.dy for i in S):
        raise ValueError(f"subset indices must be in [0, {problem.dy}); got {S}")
    dx, dy, r, q = problem.dx, problem.dy, len(S), q_count(problem, S)
    n = problem.n_params
    if problem.depth == 1:
        d1 = problem.widths[0]
        n_zero = r * d1 + (d1 - r) * r + (d1 - r) * (dx - dy)
        n_neg = q + (d1 - r) * (dy - r)
        n_pos = r * (dx + dy - r) - q + (d1 - r) * (dy - r)
        p_zero = r * d1 + (dy - r) * r + (dy - r) * (dx - dy)
        p_neg = q + (dy - r) ** 2
        printed = PredictedSplit(
            p_neg,
            p_zero,
            n - p_zero - p_neg,
            "Proposition 5 as printed (d(r) and (dy - r)^2 negative forms)",
        )
        return PredictedSplit(
            n_neg,
            n_zero,
            n_pos,
            "Proposition 5 corrected (NOTES.md), H = 1, any critical point",
            printed,
        )
    if r == dy:
        return PredictedSplit(
            0,
            None,
            None,
            "H >= 2: a global minimum has no negative eigenvalue; no closed form for the rest",
        )
    if ranks is not None and ranks[1] > ranks[0]:
        return PredictedSplit(
            None,
            None,
            None,
            f"H >= 2, rank Z = {ranks[1]} > rank R = {ranks[0]}: not the minimal critical point "
            "of its type (whose n_neg = q(S)); Prop 4 iii forces n_neg >= 1; no closed form",
            n_neg_min=1,
        )
    if r == 0:  # the minimal point of type {} is W = 0
        return PredictedSplit(0, n, 0, "H >= 2: the Hessian at W = 0 is exactly zero (Prop 4 ii)")
    return PredictedSplit(
        q,
        None,
        None,
        "H >= 2, minimal critical point (rank Z = rank R: only the S path nonzero): "
        "n_neg = q(S) (NOTES.md); no closed form for the rest",
    )
