"""Critical points: construct them (Lemma 3.2, eqs 20/24), classify a point, polish onto them.

In reduced coordinates (Sigma_Y = [diag(s) 0]) a critical point of type S carries s_i on a path
of hidden units for each i in S. Families:

* ``minimal``: only the S path is nonzero; layer entries s_i^{1/(H+1)} on it.
* ``input``: plus free rows of W_1 on unused hidden units k >= r, in the columns of S and the
  dx - dy trailing columns (M vanishes there and W_2 does not read unit k); the paper's W_{1,2}.
* ``output``: plus free entries of W_{H+1} on unused units k >= r of layer H, in the rows of S
  (where M vanishes); the paper's W_{H+1,2} Z = 0 structure.

Any of them moves along the symmetry orbit ``W_j -> G_j W_j G_{j-1}^{-1}`` (G_0 = G_{H+1} = I).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from core._weights import Weights, as_weights, flatten, unflatten
from core.critical_values import Rung, label, ladder
from core.derivatives import DENSE_SMALL_PARAMS, Objective, end_to_end, objective
from core.lazy import scipy_module
from core.problem import Problem

__all__ = [
    "FAMILIES",
    "Classification",
    "Polished",
    "classify",
    "critical_point",
    "nearest_critical_point",
    "polish",
]

FAMILIES = ("minimal", "input", "output")
# Numerical rank of products at (near-)critical points (rank R, rank Z): singular values below
# this fraction of the largest (or of 1) count as zero. Looser than the data's full-rank test
# (core.problem.FULL_RANK_RTOL): polished points carry errors ~ the polishing tolerance.
NUMERICAL_RANK_RTOL = 1e-6
COND_RANGE = (0.5, 2.0)  # Singular values of the random symmetry G_j (well conditioned).
POLISH_MAX_ITERS = 40  # Newton iterations at most.
POLISH_GTOL = 1e-13  # Stop polishing when ||grad|| falls below this (times max(1, s_1^2)).
MINRES_MAX_ITERS = 200  # per Newton step on large nets (a few Hessian-vector products each)
PINV_RCOND = 1e-10  # Hessian eigenvalues below this (relative) are the critical manifold's kernel.


def _subset(problem: Problem, subset: Iterable[int]) -> tuple[int, ...]:
    S = tuple(sorted(set(int(i) for i in subset)))
    if any(not 0 <= i < problem.dy for i in S):
        raise ValueError(f"subset indices must be 0-based in [0, {problem.dy}); got {S}")
    return S


def _random_g(rng: np.random.Generator, d: int) -> NDArray[np.float64]:
    q1, _ = np.linalg.qr(rng.standard_normal((d, d)))
    q2, _ = np.linalg.qr(rng.standard_normal((d, d)))
    return np.asarray((q1 * rng.uniform(*COND_RANGE, size=d)) @ q2, dtype=np.float64)


def critical_point(
    problem: Problem, subset: Iterable[int], *, family: str = "minimal", seed: int | None = None
) -> Weights:
    """Reduced weights of a critical point of type ``subset`` (0-based indices into s).

    With ``seed`` the free blocks get random values and the point is moved along the symmetry
    orbit by random well-conditioned G_j; without it the free blocks take fixed values (ones)
    and no symmetry is applied. Loss equals the rung ``offset + 1/2 sum_{i not in S} s_i^2``.
    """
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}; got {family!r}")
    S = _subset(problem, subset)
    r, dims, L = len(S), problem.dims, problem.depth + 1
    Ws: list[NDArray[np.float64]] = [np.zeros(shape) for shape in problem.shapes]
    for k, i in enumerate(S):
        a = problem.singular_values[i] ** (1.0 / L)
        Ws[0][k, i] = a
        for j in range(1, L - 1):
            Ws[j][k, k] = a
        Ws[-1][i, k] = a
    rng = np.random.default_rng(seed)
    free = (lambda shape: rng.standard_normal(shape)) if seed is not None else np.ones
    if family == "input" and dims[1] > r:
        cols = list(S) + list(range(problem.dy, problem.dx))
        Ws[0][r:, cols] = free((dims[1] - r, len(cols)))
    if family == "output" and dims[-2] > r and r > 0:
        Ws[-1][np.ix_(list(S), range(r, dims[-2]))] = free((r, dims[-2] - r))
    if seed is not None:
        G: list[NDArray[np.float64] | None] = [None, *(_random_g(rng, d) for d in dims[1:-1]), None]
        for j in range(L):
            g_out, g_in = G[j + 1], G[j]
            W = Ws[j] if g_out is None else g_out @ Ws[j]
            Ws[j] = W if g_in is None else np.asarray(np.linalg.solve(g_in.T, W.T).T)
    return tuple(Ws)


@dataclass(frozen=True)
class Classification:
    """What a (near-)critical point is.

    ``subset`` is read from the weights: i is learned when the reduced product's mode strength
    P_ii exceeds s_i / 2. ``rung`` is the rung nearest in value to the loss.
    """

    subset: tuple[int, ...]
    mode_strengths: tuple[float, ...]
    loss: float
    rung: Rung
    distance_to_rung: float
    grad_norm: float
    rank_R: int
    rank_Z: int
    is_global_min: bool
    distance_to_w_ls: float

    @property
    def label(self) -> str:
        return label(self.subset)

    def __repr__(self) -> str:
        kind = "global minimum" if self.is_global_min else "not the global minimum"
        return (
            f"Classification(S={self.label}, L={self.loss:.6g}, rung {self.rung.label} "
            f"(distance {self.distance_to_rung:.2g}), ||grad||={self.grad_norm:.2g}, {kind})"
        )


def _rank(A: NDArray[np.float64]) -> int:
    s = np.linalg.svd(A, compute_uv=False)
    return int(np.sum(s > NUMERICAL_RANK_RTOL * max(s.max(initial=0.0), 1.0)))


def classify(problem: Problem, Ws: Sequence[ArrayLike], *, flow: str = "reduced") -> Classification:
    """Classify weights Ws (in ``flow``'s coordinates) against the ladder."""
    W = as_weights(Ws, problem.shapes)
    red = W if flow == "reduced" else problem.to_reduced(W)
    orig = problem.to_original(W) if flow == "reduced" else W
    obj = objective(problem, flow)
    value = obj.loss(W)
    P = end_to_end(red)
    strengths = tuple(float(P[i, i]) for i in range(problem.dy))
    S = problem.learned(strengths)
    lad = ladder(problem)
    rung = lad.nearest(value)
    R = end_to_end(red[1:])
    Z = end_to_end(red[1:-1]) if problem.depth > 1 else np.eye(problem.widths[0])
    gnorm = float(np.linalg.norm(flatten(obj.grad(W))))
    bottom = lad.rungs[-1]
    is_min = len(S) == problem.dy and abs(value - bottom.value) <= 1e-6 * max(
        lad.spacing(bottom), 1e-300
    )
    return Classification(
        subset=S,
        mode_strengths=strengths,
        loss=value,
        rung=rung,
        distance_to_rung=abs(value - rung.value),
        grad_norm=gnorm,
        rank_R=_rank(R),
        rank_Z=_rank(Z),
        is_global_min=bool(is_min),
        distance_to_w_ls=float(np.linalg.norm(end_to_end(orig) - problem.w_ls)),
    )


@dataclass(frozen=True)
class Polished:
    """A point moved onto the critical set: weights, gradient norms before and after."""

    weights: Weights
    grad_norm_before: float
    grad_norm_after: float
    iterations: int
    converged: bool

    def __repr__(self) -> str:
        return (
            f"Polished(||grad|| {self.grad_norm_before:.2g} -> {self.grad_norm_after:.2g} in "
            f"{self.iterations} Newton steps, converged={self.converged})"
        )


def polish(
    problem: Problem,
    Ws: Sequence[ArrayLike],
    *,
    flow: str = "reduced",
    gtol: float | None = None,
    max_seconds: float | None = None,
) -> Polished:
    """Newton steps on the gradient with the Hessian's pseudo-inverse (minimum-norm steps).

    The critical set is a manifold whose tangent space is the Hessian's kernel, so minimum-norm
    Newton steps move straight onto it and converge quadratically where the split is clear.
    A step is kept only if it lowers ||grad L|| (halving it up to 30 times otherwise). Beyond
    DENSE_SMALL_PARAMS parameters, MINRES on Hessian-vector products instead of a dense
    pseudo-inverse. ``max_seconds``: a wall-clock budget; past it no further step starts (the
    point so far is returned, ``converged`` False unless it already is).
    """
    t_wall = time.perf_counter()
    obj = objective(problem, flow)
    theta = flatten(as_weights(Ws, problem.shapes))
    gtol = POLISH_GTOL * max(1.0, float(problem.singular_values[0]) ** 2) if gtol is None else gtol

    def grad(th: NDArray[np.float64]) -> NDArray[np.float64]:
        return flatten(obj.grad(unflatten(th, obj.shapes)))

    g = grad(theta)
    g0 = gn = float(np.linalg.norm(g))
    it = 0
    for it in range(1, POLISH_MAX_ITERS + 1):
        if gn < gtol:
            it -= 1
            break
        if max_seconds is not None and time.perf_counter() - t_wall > max_seconds:
            it -= 1
            break
        step = _newton_step(obj, theta, g)
        for _ in range(30):
            cand = theta + step
            gc = grad(cand)
            gcn = float(np.linalg.norm(gc))
            if np.isfinite(gcn) and gcn < gn:
                theta, g, gn = cand, gc, gcn
                break
            step = 0.5 * step
        else:
            break
    return Polished(unflatten(theta, obj.shapes), g0, gn, it, gn < gtol)


def _newton_step(
    obj: Objective, theta: NDArray[np.float64], g: NDArray[np.float64]
) -> NDArray[np.float64]:
    Ws = unflatten(theta, obj.shapes)
    if obj.n_params <= DENSE_SMALL_PARAMS:
        ev, V = np.linalg.eigh(obj.hessian(Ws))
        keep = np.abs(ev) > PINV_RCOND * max(np.abs(ev).max(), 1e-300)
        return np.asarray(-(V[:, keep] @ ((V[:, keep].T @ g) / ev[keep])), dtype=np.float64)
    scipy_module("sparse.linalg")
    from scipy.sparse.linalg import minres

    # From x0 = 0 MINRES stays in the Krylov space of g, which near the critical set lies in
    # the Hessian's range: the minimum-norm step, as the pseudo-inverse above gives.
    step, _ = minres(obj.hessian_operator(Ws), -g, maxiter=MINRES_MAX_ITERS)
    return np.asarray(step)


def nearest_critical_point(
    problem: Problem,
    Ws: Sequence[ArrayLike],
    subset: Iterable[int],
    *,
    flow: str = "reduced",
    max_seconds: float | None = None,
) -> Polished:
    """The critical point of type ``subset`` a run visited near ``Ws`` (a plateau's closest
    approach), polished.

    On a plateau of a small-init run the learned modes sit on a rank-r path (``r = |S|``) while the
    unused units keep weights of the initial size eps, which are not part of the critical point
    the run is near: at H >= 2 they make the Hessian of the raw point look nothing like the
    saddle's. So each layer (in reduced coordinates) is cut to its best rank-r approximation,
    which removes the O(eps) rest, then Newton-polished onto the critical set (within
    ``max_seconds``, as :func:`polish`).
    """
    S = _subset(problem, subset)
    W = as_weights(Ws, problem.shapes)
    red = W if flow == "reduced" else problem.to_reduced(W)
    r = len(S)
    cut = []
    for M in red:
        if r == 0:
            cut.append(np.zeros_like(M))
            continue
        U, sv, Vt = np.linalg.svd(M, full_matrices=False)
        cut.append((U[:, :r] * sv[:r]) @ Vt[:r])
    start = tuple(cut) if flow == "reduced" else problem.to_original(tuple(cut))
    return polish(problem, start, flow=flow, max_seconds=max_seconds)
