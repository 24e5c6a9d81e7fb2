"""Pictures of the dynamics: invariant coordinates, PCA, stable-manifold starts, loss slices."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from core import krylov
from core._weights import Weights, as_weights, flatten, unflatten
from core.derivatives import DENSE_SMALL_PARAMS, objective
from core.problem import Problem
from core.trajectory import Trajectory
from core.visits import reduced_products

__all__ = [
    "ModeCoordinates",
    "PCAProjection",
    "Slice",
    "direction_to",
    "hessian_directions",
    "mode_coordinates",
    "pca_projection",
    "project_onto_plane",
    "random_direction",
    "slice_2d",
    "stable_manifold_init",
]

SLICE_CHUNK = 4096  # Grid points evaluated per batched product (bounds memory on big problems).


def stable_manifold_init(
    problem: Problem,
    subset: Iterable[int],
    scale: float,
    *,
    seed: int | None = 0,
    perturbation: float = 0.0,
) -> Weights:
    """A Gaussian start (reduced coordinates) on the invariant subspace of the saddle of type S.

    For every mode j not in S, row j of W_{H+1} and column j of W_1 are zero; the flow keeps them
    zero, so it converges to the saddle that never learns those modes (NOTES.md). A nonzero
    ``perturbation`` adds a random kick of that Frobenius norm to exactly those entries.
    """
    S = set(int(i) for i in subset)
    if any(not 0 <= i < problem.dy for i in S):
        raise ValueError(f"subset indices must be in [0, {problem.dy}); got {sorted(S)}")
    rng = np.random.default_rng(seed)
    Ws = [scale * rng.standard_normal(shape) for shape in problem.shapes]
    off = [j for j in range(problem.dy) if j not in S]
    Ws[-1][off, :] = 0.0
    Ws[0][:, off] = 0.0
    if perturbation > 0 and off:
        kick_out = rng.standard_normal((len(off), Ws[-1].shape[1]))
        kick_in = rng.standard_normal((Ws[0].shape[0], len(off)))
        norm = np.sqrt(np.sum(kick_out**2) + np.sum(kick_in**2))
        Ws[-1][off, :] = perturbation * kick_out / norm
        Ws[0][:, off] = perturbation * kick_in / norm
    return tuple(Ws)


@dataclass(frozen=True)
class ModeCoordinates:
    """A trajectory in invariant coordinates.

    ``diag`` (n, dy): mode strengths P_ii of the reduced product (a critical point of type S sits
    at the corner ``diag(s_i for i in S)``); ``corners`` maps each subset to its corner (dy,);
    ``offdiag`` (n,): Frobenius norm of the rest of P; ``invariant_norms`` (n, H): ||C_j||_F.
    ``scalar`` (n, H+1) for width-1 networks: the exact weights (w_1, ..., w_{H+1}), with
    ``levels`` (H,) the conserved w_{j+1}^2 - w_j^2 of the first sample.
    """

    t: NDArray[np.float64]
    diag: NDArray[np.float64]
    corners: dict[tuple[int, ...], NDArray[np.float64]]
    offdiag: NDArray[np.float64]
    invariant_norms: NDArray[np.float64]
    scalar: NDArray[np.float64] | None
    levels: NDArray[np.float64] | None

    def __repr__(self) -> str:
        chain = ", scalar chain" if self.scalar is not None else ""
        return f"ModeCoordinates({self.t.size} samples, {self.diag.shape[1]} modes{chain})"


def mode_coordinates(problem: Problem, trajectory: Trajectory) -> ModeCoordinates:
    """The trajectory in invariant coordinates (see :class:`ModeCoordinates`)."""
    P = reduced_products(problem, trajectory.weights, trajectory.flow)
    dy = problem.dy
    diag = np.stack([P[:, i, i] for i in range(dy)], axis=1)
    offdiag = np.sqrt(np.maximum(np.sum(P * P, axis=(1, 2)) - np.sum(diag**2, axis=1), 0.0))
    s = problem.singular_values
    corners = {}
    for r in range(dy + 1):
        for S in itertools.combinations(range(dy), r):
            c = np.zeros(dy)
            c[list(S)] = s[list(S)]
            corners[S] = c
    W = trajectory.weights
    mT = np.matrix_transpose
    inv = np.stack(
        [
            np.linalg.norm(mT(W[j + 1]) @ W[j + 1] - W[j] @ mT(W[j]), axis=(1, 2))
            for j in range(len(W) - 1)
        ],
        axis=1,
    )
    scalar = levels = None
    if all(d == 1 for d in problem.dims[1:]):
        scalar = np.stack([W[0][:, 0, 0]] + [w[:, 0, 0] for w in W[1:]], axis=1)
        levels = scalar[0, 1:] ** 2 - scalar[0, :-1] ** 2
    return ModeCoordinates(trajectory.t, diag, corners, offdiag, inv, scalar, levels)


@dataclass(frozen=True)
class PCAProjection:
    """``coords`` (n, k) of each sample in the top-k principal plane of the flattened trajectory,
    ``distance`` (n,) of each sample to that plane, ``explained`` (k,) variance fractions."""

    coords: NDArray[np.float64]
    components: NDArray[np.float64]
    mean: NDArray[np.float64]
    distance: NDArray[np.float64]
    explained: NDArray[np.float64]

    def __repr__(self) -> str:
        ev = ", ".join(f"{100 * e:.1f}%" for e in self.explained)
        return (
            f"PCAProjection({self.coords.shape[0]} samples, explained {ev}, max distance "
            f"{self.distance.max():.3g})"
        )


def pca_projection(trajectory: Trajectory, k: int = 2) -> PCAProjection:
    X = trajectory.flat()
    mean = X.mean(axis=0)
    Xc = X - mean
    _, sv, Vt = np.linalg.svd(Xc, full_matrices=False)
    k = min(k, Vt.shape[0])
    coords = Xc @ Vt[:k].T
    dist = np.linalg.norm(Xc - coords @ Vt[:k], axis=1)
    total = float(np.sum(sv**2))
    explained = sv[:k] ** 2 / total if total > 0 else np.zeros(k)
    return PCAProjection(coords, Vt[:k], mean, dist, explained)


@dataclass(frozen=True)
class Slice:
    """Loss on the grid ``center + a d1 + b d2``: ``loss[ib, ia]`` at alphas[ia], betas[ib]."""

    alphas: NDArray[np.float64]
    betas: NDArray[np.float64]
    loss: NDArray[np.float64]
    center: NDArray[np.float64]
    d1: NDArray[np.float64]
    d2: NDArray[np.float64]

    def __repr__(self) -> str:
        return (
            f"Slice({self.alphas.size} x {self.betas.size} over [{self.alphas[0]:g}, "
            f"{self.alphas[-1]:g}]^2, L in [{self.loss.min():.4g}, {self.loss.max():.4g}])"
        )


def slice_2d(
    problem: Problem,
    center: Sequence[ArrayLike],
    direction_1: Sequence[ArrayLike],
    direction_2: Sequence[ArrayLike],
    *,
    extent: float = 1.0,
    n: int = 51,
    flow: str = "reduced",
) -> Slice:
    """The full loss on an n x n grid in [-extent, extent]^2.

    On the plane ``W_j(a, b) = C_j + a D_j + b E_j`` the end-to-end product is a polynomial of
    degree L (the number of layers) in (a, b): ``P(a, b) = sum_{p+q<=L} a^p b^q M_pq``. Its
    (L+1)(L+2)/2 coefficients (dy x dx each) are built layer by layer, once; each grid point then
    costs a sum of those small matrices instead of L products of the layers (measured on a
    6,016-parameter net: ~2 s the old way, milliseconds this way). The loss is
    ``Objective.excess_of_product`` of those products, the one loss formula.
    """
    if not 2 <= n <= 401:
        raise ValueError(f"n must be in [2, 401]; got {n}")
    shapes = problem.shapes
    C, D, E = (as_weights(w, shapes) for w in (center, direction_1, direction_2))
    obj = objective(problem, flow)
    # coef[(p, q)] = the a^p b^q coefficient of W_j(a, b) ... W_1(a, b), after each layer j.
    coef: dict[tuple[int, int], NDArray[np.float64]] = {(0, 0): C[0], (1, 0): D[0], (0, 1): E[0]}
    for Cj, Dj, Ej in zip(C[1:], D[1:], E[1:], strict=True):
        nxt: dict[tuple[int, int], NDArray[np.float64]] = {}
        for (p, q), M in coef.items():
            for key, W in (((p, q), Cj), ((p + 1, q), Dj), ((p, q + 1), Ej)):
                nxt[key] = nxt[key] + W @ M if key in nxt else W @ M
        coef = nxt
    keys = sorted(coef)
    M = np.stack([coef[k] for k in keys])  # (n_coef, dy, dx)
    powers = np.array(keys, dtype=float)  # (n_coef, 2)
    a = np.linspace(-extent, extent, n)
    A, B = np.meshgrid(a, a)
    grid = np.stack([A.ravel(), B.ravel()], axis=1)
    out = np.empty(grid.shape[0])
    for lo in range(0, grid.shape[0], SLICE_CHUNK):
        g = grid[lo : lo + SLICE_CHUNK]
        mono = g[:, None, 0] ** powers[None, :, 0] * g[:, None, 1] ** powers[None, :, 1]
        P = np.tensordot(mono, M, axes=(1, 0))  # (chunk, dy, dx)
        out[lo : lo + g.shape[0]] = obj.excess_of_product(P) + obj.offset
    c, d1, d2 = (flatten(w) for w in (C, D, E))
    return Slice(a, a.copy(), out.reshape(n, n), c, d1, d2)


def _unit(v: NDArray[np.float64]) -> NDArray[np.float64]:
    nrm = float(np.linalg.norm(v))
    if nrm == 0:
        raise ValueError("direction has zero length")
    return v / nrm


def hessian_directions(
    problem: Problem, Ws: Sequence[ArrayLike], *, flow: str = "reduced"
) -> tuple[Weights, Weights, float, float]:
    """Unit eigenvectors of the Hessian for its most negative and most positive eigenvalues,
    with those eigenvalues: ``eigh`` of the dense Hessian up to DENSE_SMALL_PARAMS parameters,
    Lanczos (:func:`core.krylov.extremes`) beyond."""
    W = as_weights(Ws, problem.shapes)
    obj = objective(problem, flow)
    n = obj.n_params
    if n <= DENSE_SMALL_PARAMS:
        ev, V = np.linalg.eigh(obj.hessian(W))
        lo, hi, v_lo, v_hi = float(ev[0]), float(ev[-1]), V[:, 0].copy(), V[:, -1].copy()
    else:
        ev_lo, V_lo, ev_hi, V_hi = krylov.extremes(obj.hessian_operator(W), 1)
        lo, hi, v_lo, v_hi = float(ev_lo[0]), float(ev_hi[-1]), V_lo[:, 0], V_hi[:, -1]
    return unflatten(v_lo, problem.shapes), unflatten(v_hi, problem.shapes), lo, hi


def direction_to(problem: Problem, frm: Sequence[ArrayLike], to: Sequence[ArrayLike]) -> Weights:
    """Unit direction from one point to another (a critical point, the end of a run)."""
    a, b = (flatten(as_weights(w, problem.shapes)) for w in (frm, to))
    return unflatten(_unit(b - a), problem.shapes)


def random_direction(problem: Problem, Ws: Sequence[ArrayLike], *, seed: int | None = 0) -> Weights:
    """A random direction, each layer rescaled to that layer's norm in Ws (layer-normalised)."""
    rng = np.random.default_rng(seed)
    out = []
    for W in as_weights(Ws, problem.shapes):
        D = rng.standard_normal(W.shape)
        out.append(D * (max(float(np.linalg.norm(W)), 1e-12) / float(np.linalg.norm(D))))
    return tuple(out)


def project_onto_plane(
    trajectory: Trajectory, plane: Slice
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Coordinates (n, 2) of each sample in the plane's (d1, d2) basis (least squares) and each
    sample's distance (n,) to the plane."""
    X = trajectory.flat() - plane.center
    B = np.stack([plane.d1, plane.d2], axis=1)
    coef, *_ = np.linalg.lstsq(B, X.T, rcond=None)
    dist = np.linalg.norm(X.T - B @ coef, axis=0)
    return np.asarray(coef.T, dtype=np.float64), np.asarray(dist, dtype=np.float64)
