"""Loss, exact gradient, exact Hessian and Hessian-vector products, invariants.

Both flows minimise one quadratic form of the end-to-end product ``P = W_{H+1} ... W_1``:

    L(W) = 1/2 ||(P - T) K||_F^2 + offset,       S := K K^T,

* ``flow="reduced"`` (the paper's GDD, eq 3): weights are reduced, T = Sigma_Y, K = I.
* ``flow="original"`` (eq 1): weights are original, T = W_LS, K = U_X S_X, so S = X X^T and
  ``1/2 ||(P - W_LS) K||^2 + offset = 1/2 ||Y - P X||^2`` exactly (normal equations).

With ``G = (P - T) S``, ``A_j = W_{H+1} ... W_{j+1}`` and ``B_j = W_{j-1} ... W_1`` the gradient is
``dL/dW_j = A_j^T G B_j^T`` (eq 6), and the Hessian is the bilinear form

    H(u, v) = <DP[u] S, DP[v]> + <G, D^2 P[u, v]>.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from core._weights import Weights, as_weights, flatten, offsets, unflatten
from core.lazy import scipy_module
from core.problem import Problem

if TYPE_CHECKING:
    from scipy.sparse.linalg import LinearOperator

__all__ = [
    "DENSE_SMALL_PARAMS",
    "FLOWS",
    "HESSIAN_MAX_PARAMS",
    "HessianTooLargeError",
    "Objective",
    "end_to_end",
    "gradient",
    "hessian",
    "hessian_vector_product",
    "invariants",
    "loss",
    "objective",
]

FLOWS = ("reduced", "original")
# A dense Hessian of n parameters takes 8 n^2 bytes: 4,000 parameters is 128 MB, P2's 9,216 would
# be 680 MB. Beyond this, use hessian_vector_product (or Lanczos on it).
HESSIAN_MAX_PARAMS = 4000
# Up to this many parameters a dense eigendecomposition costs ~10 ms, and polishing and the
# Hessian's extreme eigenvectors use it; beyond, Krylov methods on hessian_vector_product
# (MINRES, Lanczos) give the same answers in milliseconds where eigh takes seconds (measured
# at 1,296 parameters: polish 3 s dense, 2 ms MINRES, to the same ||grad|| ~1e-14).
DENSE_SMALL_PARAMS = 200
POWER_ITERS = 30  # Power-iteration cap for the spectral radius (solver stiffness estimates).
POWER_RTOL = 1e-2  # Stop power iteration when the estimate moves less than this, relatively.


class HessianTooLargeError(ValueError):
    """The dense Hessian would exceed HESSIAN_MAX_PARAMS parameters."""


def check_flow(flow: str) -> str:
    if flow not in FLOWS:
        raise ValueError(f"flow must be one of {FLOWS}; got {flow!r}")
    return flow


def end_to_end(Ws: Sequence[NDArray[np.float64]]) -> NDArray[np.float64]:
    """P = W_{H+1} ... W_1, shape (dy, dx)."""
    P = Ws[0]
    for W in Ws[1:]:
        P = W @ P
    return P


def invariants(Ws: Sequence[ArrayLike]) -> tuple[NDArray[np.float64], ...]:
    """C_j = W_{j+1}^T W_{j+1} - W_j W_j^T, shape (d_j, d_j), j = 1..H (Lemma 2.3).

    Conserved by the gradient flow of either loss, in that flow's own coordinates.
    """
    W = [np.asarray(w, dtype=np.float64) for w in Ws]
    return tuple(W[j + 1].T @ W[j + 1] - W[j] @ W[j].T for j in range(len(W) - 1))


def _chain(Ws: Sequence[NDArray[np.float64]], lo: int, hi: int, size: int) -> NDArray[np.float64]:
    """W_hi ... W_lo with 0-based layer indices; identity of ``size`` when hi < lo."""
    if hi < lo:
        return np.eye(size)
    P = Ws[lo]
    for k in range(lo + 1, hi + 1):
        P = Ws[k] @ P
    return P


@dataclass(frozen=True, eq=False)
class Objective:
    """The loss 1/2 ||(P - T) K||^2 + offset of one flow, with its derivatives.

    ``K`` is None for the reduced flow (K = I, the fast path).
    """

    shapes: tuple[tuple[int, int], ...]
    target: NDArray[np.float64]  # T, shape (dy, dx)
    K: NDArray[np.float64] | None  # shape (dx, dx) or None for the identity
    offset: float

    @property
    def S(self) -> NDArray[np.float64] | None:
        return None if self.K is None else self.K @ self.K.T

    @property
    def n_params(self) -> int:
        return sum(a * b for a, b in self.shapes)

    def _metric(self, E: NDArray[np.float64]) -> NDArray[np.float64]:
        """E S (S = K K^T), shape (dy, dx)."""
        return E if self.K is None else (E @ self.K) @ self.K.T

    def excess_of_product(self, P: NDArray[np.float64]) -> Any:
        """The excess loss ``1/2 ||(P - T) K||_F^2 = L - L*`` of end-to-end products P, shape
        (..., dy, dx) -> float or (...,). The one loss formula: ``loss = excess + offset``,
        computed from the residual itself, so it keeps full precision near the minimum."""
        E = P - self.target
        if self.K is not None:
            E = E @ self.K
        return 0.5 * np.sum(E * E, axis=(-2, -1))

    def excess(self, Ws: Sequence[NDArray[np.float64]]) -> Any:
        """L - L* at weights Ws (stacks of runs too); L* = offset is the global minimum."""
        return self.excess_of_product(end_to_end(Ws))

    def loss(self, Ws: Sequence[NDArray[np.float64]]) -> float:
        """The full loss of eq 1, ``excess + offset``."""
        return float(self.excess(Ws)) + self.offset

    def grad_excess(self, Ws: Sequence[NDArray[np.float64]]) -> tuple[Weights, Any]:
        """dL/dW_j for every layer and the excess loss, in one sweep (stacks of runs too: W_j of
        shape (..., d_j, d_{j-1}); the excess then has shape (...,)).

        Two sweeps from the output side: suffix products ``A_j = W_{H+1} ... W_{j+1}`` and
        ``M_j = G B_j^T`` (``M_1 = G``, ``M_{j+1} = M_j W_j^T``) give ``dL/dW_j = A_j^T M_j``.
        Every product has dy rows, about 3 dy n_params multiply-adds in all; sweeping from the
        input side (products with dx columns) costs about 3 dx n_params, and dx >= dy. With
        ``E = P - T`` and ``G = E S``, the excess is ``1/2 <E, G>`` at no extra cost.
        """
        L = len(Ws)
        suffix: list[NDArray[np.float64]] = list(Ws)  # suffix[j] = W_{L-1} ... W_j (0-based)
        for j in range(L - 2, -1, -1):
            suffix[j] = suffix[j + 1] @ Ws[j]
        E = suffix[0] - self.target
        M = self._metric(E)
        excess = 0.5 * np.sum(E * M, axis=(-2, -1))
        out: list[NDArray[np.float64]] = []
        for j in range(L - 1):
            out.append(suffix[j + 1].swapaxes(-1, -2) @ M)
            M = M @ Ws[j].swapaxes(-1, -2)
        out.append(M)
        return tuple(out), excess

    def grad(self, Ws: Sequence[NDArray[np.float64]]) -> Weights:
        """dL/dW_j for every layer (see :meth:`grad_excess`)."""
        return self.grad_excess(Ws)[0]

    def rhs(self, t: float, theta: NDArray[np.float64]) -> NDArray[np.float64]:
        """Right-hand side of the flow d theta/dt = -grad L(theta), flat, shape (n_params,)."""
        return -flatten(self.grad(unflatten(theta, self.shapes)))

    def spectral_radius(
        self, theta: NDArray[np.float64], v0: NDArray[np.float64] | None = None
    ) -> tuple[float, NDArray[np.float64]]:
        """max |eig(Hessian)| at theta by power iteration on exact Hessian-vector products,
        to POWER_RTOL (at most POWER_ITERS products), and the last iterate (to warm-start the
        next call). ``v0`` defaults to a fixed random vector, so results are reproducible."""
        Ws = unflatten(theta, self.shapes)
        v = np.random.default_rng(0).standard_normal(self.n_params) if v0 is None else v0
        v, est = v / np.linalg.norm(v), 0.0
        for _ in range(POWER_ITERS):
            hv = flatten(self.hvp(Ws, unflatten(v, self.shapes)))
            new = float(np.linalg.norm(hv))
            if new == 0.0:
                break
            v = hv / new
            converged = abs(new - est) <= POWER_RTOL * new
            est = new
            if converged:
                break
        return est, v

    def hvp(self, Ws: Sequence[NDArray[np.float64]], V: Sequence[NDArray[np.float64]]) -> Weights:
        """Hessian-vector product, forward-mode differentiation of :meth:`grad` (O(H) products)."""
        f, df = [Ws[0]], [V[0]]
        for W, v in zip(Ws[1:], V[1:], strict=True):
            df.append(v @ f[-1] + W @ df[-1])
            f.append(W @ f[-1])
        D = self._metric(f[-1] - self.target)
        dD = self._metric(df[-1])
        out: list[NDArray[np.float64]] = [D] * len(Ws)
        for j in range(len(Ws) - 1, 0, -1):
            out[j] = dD @ f[j - 1].T + D @ df[j - 1].T
            D, dD = Ws[j].T @ D, V[j].T @ D + Ws[j].T @ dD
        out[0] = dD
        return tuple(out)

    def hessian_operator(self, Ws: Sequence[NDArray[np.float64]]) -> LinearOperator:
        """The Hessian at Ws as a scipy ``LinearOperator`` on flat vectors (n_params,), applied
        by :meth:`hvp`: for Krylov methods (MINRES, Lanczos) at any size."""
        # Imported here: scipy.sparse.linalg costs ~0.2 s to import; small problems never need it.
        scipy_module("sparse.linalg")
        from scipy.sparse.linalg import LinearOperator

        n = self.n_params
        W = tuple(Ws)
        return LinearOperator(
            (n, n),
            matvec=lambda v: flatten(self.hvp(W, unflatten(np.ravel(v), self.shapes))),
            dtype=np.float64,
        )

    def hessian(self, Ws: Sequence[NDArray[np.float64]]) -> NDArray[np.float64]:
        """Dense exact Hessian, shape (n_params, n_params), blocks in layer order."""
        n = self.n_params
        if n > HESSIAN_MAX_PARAMS:
            raise HessianTooLargeError(
                f"a dense Hessian of {n} parameters needs {8 * n * n / 1e6:.0f} MB; the limit is "
                f"{HESSIAN_MAX_PARAMS} parameters. Use hessian_vector_product, or hessian_split "
                "(Lanczos on Hessian-vector products)"
            )
        L = len(Ws)
        dims = [self.shapes[0][1]] + [a for a, _ in self.shapes]
        A = [_chain(Ws, j + 1, L - 1, dims[j + 1]) for j in range(L)]  # (dy, d_j)
        B = [_chain(Ws, 0, j - 1, dims[0]) for j in range(L)]  # (d_{j-1}, dx)
        S = self.S
        BS = [b if S is None else b @ S for b in B]
        G = self._metric(end_to_end(Ws) - self.target)
        idx = offsets(self.shapes)
        Hm = np.zeros((n, n))
        for j in range(L):
            for k in range(j, L):
                blk = np.kron(A[j].T @ A[k], BS[j] @ B[k].T)
                if k > j:
                    M = _chain(Ws, j + 1, k - 1, dims[j + 1])  # (d_{k-1}, d_j)
                    N = B[j] @ G.T @ A[k]  # (d_{j-1}, d_k)
                    blk += np.einsum("sr,pq->spqr", M.T, N).reshape(blk.shape)
                Hm[idx[j] : idx[j + 1], idx[k] : idx[k + 1]] = blk
                if k > j:
                    Hm[idx[k] : idx[k + 1], idx[j] : idx[j + 1]] = blk.T
        # Diagonal blocks B_j S B_j^T are symmetric only up to round-off: make it exact.
        return 0.5 * (Hm + Hm.T)


def objective(problem: Problem, flow: str = "reduced") -> Objective:
    """The objective of ``flow`` ("reduced": the paper's GDD; "original": eq 1 on raw data)."""
    if check_flow(flow) == "reduced":
        return Objective(problem.shapes, np.asarray(problem.sigma), None, problem.offset)
    K = np.asarray(problem.u_x) * np.asarray(problem.s_x)
    return Objective(problem.shapes, np.asarray(problem.w_ls), K, problem.offset)


def loss(problem: Problem, Ws: Sequence[ArrayLike], *, flow: str = "reduced") -> float:
    """The FULL loss of eq 1 (reduced loss + offset), with Ws in ``flow``'s coordinates."""
    return objective(problem, flow).loss(as_weights(Ws, problem.shapes))


def gradient(problem: Problem, Ws: Sequence[ArrayLike], *, flow: str = "reduced") -> Weights:
    """dL/dW_j = A_j^T (P - T) S B_j^T for j = 1..H+1; same shapes as Ws."""
    return objective(problem, flow).grad(as_weights(Ws, problem.shapes))


def hessian(
    problem: Problem, Ws: Sequence[ArrayLike], *, flow: str = "reduced"
) -> NDArray[np.float64]:
    """Exact dense Hessian in the flat order of ``flatten``; refuses above HESSIAN_MAX_PARAMS."""
    return objective(problem, flow).hessian(as_weights(Ws, problem.shapes))


def hessian_vector_product(
    problem: Problem, Ws: Sequence[ArrayLike], V: Sequence[ArrayLike], *, flow: str = "reduced"
) -> Weights:
    """H(W) V for a direction V of the same shapes as Ws; exact, any size."""
    obj = objective(problem, flow)
    return obj.hvp(as_weights(Ws, problem.shapes), as_weights(V, problem.shapes))
