"""Problem set-up: data, the paper's assumptions, and the SVD reduction (eqs 2-3).

The original loss of a linear network with H hidden layers is

    L(W) = 1/2 ||Y - W_{H+1} ... W_1 X||_F^2,                                 (eq 1)

with X of shape (dx, m) and Y of shape (dy, m). With the SVDs
``X = U_X [S_X 0] V_X^T`` and ``Ybar = Y V_X^1 = U_Y [S_Y 0] V_Y^T`` it becomes

    L(W) = 1/2 ||Sigma_Y - Wbar_{H+1} ... Wbar_1||_F^2 + 1/2 ||Y V_X^2||_F^2,   (eq 3)

with ``Wbar_1 = W_1 U_X S_X V_Y``, ``Wbar_{H+1} = U_Y^T W_{H+1}`` and the other layers unchanged.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from core._weights import Weights, as_weights, layer_shapes

__all__ = ["Problem", "ProblemError"]

Arr = NDArray[np.float64]

# Assumption 2 (full row rank): singular values of the data below this fraction of the largest
# count as zero. Data are exact inputs, so only round-off is forgiven.
FULL_RANK_RTOL = 1e-10
GAP_RTOL = 1e-8  # Relative gap (s_i - s_{i+1}) / s_1 below which singular values are "repeated".
RUNG_RTOL = 1e-9  # Two critical values closer than this (relative to the largest) are "equal".
ASSUMPTION4_MAX_DY = 16  # 2^dy subset sums are enumerated only up to this dy.


class ProblemError(ValueError):
    """Raised when data violate the paper's Assumptions 1-3 or are malformed."""


def _as_matrix(name: str, value: ArrayLike) -> NDArray[np.float64]:
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ProblemError(f"{name} must be a numeric matrix: {exc}") from None
    if arr.ndim != 2 or 0 in arr.shape:
        raise ProblemError(f"{name} must be a non-empty 2-D array; got shape {arr.shape}")
    bad = ~np.isfinite(arr)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ProblemError(
            f"{name} has {int(bad.sum())} non-finite entries (NaN or Inf), first at "
            f"row {i}, column {j}; remove or impute them"
        )
    return arr


def _check_widths(widths: Sequence[int] | int, dy: int) -> tuple[int, ...]:
    if isinstance(widths, int | np.integer):
        raise ProblemError("widths must be a sequence (d_1, ..., d_H), e.g. (4,) for H = 1")
    try:
        ws = tuple(int(w) for w in widths)
    except (TypeError, ValueError):
        raise ProblemError(f"widths must be integers; got {widths!r}") from None
    if any(float(w) != int(w) for w in widths):
        raise ProblemError(f"widths must be integers; got {widths!r}")
    if len(ws) == 0:
        raise ProblemError("the network needs H >= 1 hidden layers; got widths = () (H = 0)")
    small = [(k + 1, w) for k, w in enumerate(ws) if w < dy]
    if small:
        k, w = small[0]
        raise ProblemError(
            f"Assumption 1 needs min(d_1, ..., d_H) >= dy; got d_{k} = {w} < dy = {dy}; "
            f"widen layer {k} to at least {dy}"
        )
    return ws


def _check_spectrum(s: NDArray[np.float64], what: str, distinct: bool = True) -> None:
    if s[0] == 0 or s[-1] <= FULL_RANK_RTOL * s[0]:
        raise ProblemError(
            f"Assumption 2 needs {what} of full row rank; its smallest singular value "
            f"{s[-1]:.3g} is below {FULL_RANK_RTOL:g} x the largest ({s[0]:.3g})"
        )
    gaps = (s[:-1] - s[1:]) / s[0]
    if distinct and gaps.size and gaps.min() <= GAP_RTOL:
        i = int(np.argmin(gaps))
        raise ProblemError(
            "Assumption 3 needs distinct singular values of the reduced target Ybar; "
            f"s_{i + 1} = {s[i]:.12g} and s_{i + 2} = {s[i + 1]:.12g} differ by "
            f"{gaps[i]:.2g} relative to s_1 (tolerance {GAP_RTOL:g}); perturb Y or use "
            "a spectrum with distinct values"
        )


def _frozen(a: ArrayLike) -> NDArray[np.float64]:
    arr = np.array(a, dtype=np.float64)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class Problem:
    """A least-squares problem for a linear network, with its reduction.

    Attributes
    ----------
    X : ndarray, shape (dx, m)
    Y : ndarray, shape (dy, m)
    widths : tuple of int, (d_1, ..., d_H)
    singular_values : ndarray, shape (dy,)
        S_Y, the singular values of Ybar = Y V_X^1, strictly descending.
    sigma : ndarray, shape (dy, dx)
        Sigma_Y = [diag(S_Y) 0], the target of the reduced loss.
    offset : float
        1/2 ||Y V_X^2||_F^2 = L(W_LS), the part of the loss no network can fit.
    w_ls : ndarray, shape (dy, dx)
        The least-squares solution Y X^T (X X^T)^{-1}.
    """

    X: NDArray[np.float64]
    Y: NDArray[np.float64]
    widths: tuple[int, ...]
    singular_values: NDArray[np.float64]
    sigma: NDArray[np.float64]
    offset: float
    w_ls: NDArray[np.float64]
    u_x: NDArray[np.float64] = field(repr=False)
    s_x: NDArray[np.float64] = field(repr=False)
    u_y: NDArray[np.float64] = field(repr=False)
    v_y: NDArray[np.float64] = field(repr=False)

    # ---------------------------------------------------------------- constructors
    @classmethod
    def from_data(cls, X: ArrayLike, Y: ArrayLike, widths: Sequence[int]) -> Problem:
        """Problem from data X (dx, m) and targets Y (dy, m); checks Assumptions 1-3."""
        Xa, Ya = _as_matrix("X", X), _as_matrix("Y", Y)
        (dx, m), (dy, my) = Xa.shape, Ya.shape
        if my != m:
            raise ProblemError(
                f"X and Y need the same number of columns (samples m); got X {Xa.shape} and "
                f"Y {Ya.shape}. Samples are columns: pass X as (dx, m) and Y as (dy, m)"
            )
        if not m >= dx >= dy:
            got = f"m = {m} < dx = {dx}" if m < dx else f"dx = {dx} < dy = {dy}"
            hint = "add samples or drop input features" if m < dx else "drop target rows"
            raise ProblemError(f"Assumption 1 needs m >= dx >= dy; got {got}; {hint}")
        ws = _check_widths(widths, dy)
        u_x, s_x, vh_x = np.linalg.svd(Xa, full_matrices=False)  # V_X^1 = vh_x.T, (m, dx)
        _check_spectrum(s_x, "X", distinct=False)
        if np.linalg.matrix_rank(Ya, tol=FULL_RANK_RTOL * np.linalg.norm(Ya, 2)) < dy:
            raise ProblemError(
                f"Assumption 2 needs Y of full row rank dy = {dy}; its rows are linearly "
                "dependent: drop the redundant targets"
            )
        y_bar = Ya @ vh_x.T
        u_y, s_y, vh_y = np.linalg.svd(y_bar, full_matrices=True)
        _check_spectrum(s_y, "Ybar")
        # Residual of the least-squares fit, Y V_X^2 (V_X^2)^T, without forming V_X^2 (m x m).
        residual = Ya - y_bar @ vh_x
        w_ls = np.asarray(np.linalg.solve(Xa @ Xa.T, Xa @ Ya.T).T, dtype=np.float64)
        return cls._build(
            Xa, Ya, ws, s_y, 0.5 * float(np.sum(residual**2)), w_ls, u_x, s_x, u_y, vh_y.T
        )

    @classmethod
    def random(
        cls, dx: int, dy: int, m: int, widths: Sequence[int], *, seed: int | None = 0
    ) -> Problem:
        """Gaussian X (dx, m) and Y (dy, m), entries N(0, 1), from ``default_rng(seed)``."""
        for name, v in (("dx", dx), ("dy", dy), ("m", m)):
            if int(v) != v or v < 1:
                raise ProblemError(f"{name} must be a positive integer; got {v!r}")
        if not m >= dx >= dy:
            got = f"m = {m} < dx = {dx}" if m < dx else f"dx = {dx} < dy = {dy}"
            raise ProblemError(f"Assumption 1 needs m >= dx >= dy; got {got}")
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((dx, m))
        Y = rng.standard_normal((dy, m))
        return cls.from_data(X, Y, widths)

    @classmethod
    def from_spectrum(cls, s: ArrayLike, dx: int, widths: Sequence[int]) -> Problem:
        """The canonical whitened problem: X = I_dx (m = dx), Y = Sigma_Y = [diag(s) 0].

        ``s`` must be positive and distinct; it is sorted descending.

        Examples
        --------
        >>> import core
        >>> p = core.Problem.from_spectrum([1.0, 3.0, 2.0], dx=4, widths=(3, 3))
        >>> p.singular_values.tolist(), p.dims, p.n_params, p.is_whitened
        ([3.0, 2.0, 1.0], (4, 3, 3, 3), 30, True)
        >>> p.shapes  # W_1, W_2, W_3: W_j is (d_j, d_{j-1})
        ((3, 4), (3, 3), (3, 3))
        """
        try:
            sv = np.array(s, dtype=np.float64).ravel()
        except (TypeError, ValueError):
            raise ProblemError(f"s must be a list of numbers; got {s!r}") from None
        if sv.size == 0 or not np.all(np.isfinite(sv)):
            raise ProblemError(f"s must be a non-empty list of finite numbers; got {s!r}")
        if np.any(sv <= 0):
            raise ProblemError(f"Assumption 2 needs every singular value s_i > 0; got {sv}")
        dy = sv.size
        if int(dx) != dx or dx < dy:
            raise ProblemError(f"Assumption 1 needs dx >= dy; got dx = {dx} < dy = {dy}")
        dx = int(dx)
        ws = _check_widths(widths, dy)
        sv = np.sort(sv)[::-1]
        _check_spectrum(sv, "Ybar")
        sigma = np.zeros((dy, dx))
        sigma[:, :dy] = np.diag(sv)
        eye_x, eye_y = np.eye(dx), np.eye(dy)
        return cls._build(eye_x, sigma, ws, sv, 0.0, sigma.copy(), eye_x, np.ones(dx), eye_y, eye_x)

    @classmethod
    def _build(
        cls,
        X: Arr,
        Y: Arr,
        widths: tuple[int, ...],
        s_y: Arr,
        offset: float,
        w_ls: Arr,
        u_x: Arr,
        s_x: Arr,
        u_y: Arr,
        v_y: Arr,
    ) -> Problem:
        dy, dx = Y.shape[0], X.shape[0]
        sigma = np.zeros((dy, dx))
        sigma[:, :dy] = np.diag(s_y)
        return cls(
            X=_frozen(X),
            Y=_frozen(Y),
            widths=tuple(widths),
            singular_values=_frozen(s_y),
            sigma=_frozen(sigma),
            offset=float(offset),
            w_ls=_frozen(w_ls),
            u_x=_frozen(u_x),
            s_x=_frozen(s_x),
            u_y=_frozen(u_y),
            v_y=_frozen(v_y),
        )

    # ------------------------------------------------------------------ properties
    @property
    def dx(self) -> int:
        return int(self.X.shape[0])

    @property
    def dy(self) -> int:
        return int(self.Y.shape[0])

    @property
    def m(self) -> int:
        return int(self.X.shape[1])

    @property
    def depth(self) -> int:
        """H, the number of hidden layers."""
        return len(self.widths)

    @property
    def dims(self) -> tuple[int, ...]:
        """(d_0, d_1, ..., d_{H+1}) = (dx, widths..., dy)."""
        return (self.dx, *self.widths, self.dy)

    @property
    def shapes(self) -> tuple[tuple[int, int], ...]:
        """Shapes of W_1 ... W_{H+1}: W_j has shape (d_j, d_{j-1})."""
        return layer_shapes(self.dims)

    @property
    def n_params(self) -> int:
        return sum(a * b for a, b in self.shapes)

    @property
    def is_whitened(self) -> bool:
        """True when X X^T = I, so the reduced and original flows coincide."""
        return bool(np.allclose(self.s_x, 1.0, rtol=1e-12, atol=0.0))

    @property
    def assumption4(self) -> bool | None:
        """Assumption 4: the 2^dy critical values 1/2 sum_{i not in S} s_i^2 are distinct.

        ``None`` when dy > ASSUMPTION4_MAX_DY (too many subsets to enumerate).
        """
        if self.dy > ASSUMPTION4_MAX_DY:
            return None
        sq = self.singular_values**2
        sums = np.sort(
            [
                sq[list(c)].sum()
                for r in range(self.dy + 1)
                for c in itertools.combinations(range(self.dy), r)
            ]
        )
        return bool(np.all(np.diff(sums) > RUNG_RTOL * sq.sum()))

    def __repr__(self) -> str:
        s = ", ".join(f"{v:.4g}" for v in self.singular_values)
        white = ", whitened" if self.is_whitened else ""
        return (
            f"Problem(dx={self.dx}, dy={self.dy}, m={self.m}, widths={self.widths}, "
            f"n_params={self.n_params}, s=({s}), offset={self.offset:.4g}{white})"
        )

    # ----------------------------------------------------------- change of variables
    @property
    def _right(self) -> NDArray[np.float64]:
        """U_X S_X V_Y, shape (dx, dx): Wbar_1 = W_1 @ _right."""
        return (self.u_x * self.s_x) @ self.v_y

    def to_reduced(self, Ws: Sequence[ArrayLike]) -> Weights:
        """Original -> reduced (eq 3): Wbar_1 = W_1 U_X S_X V_Y, Wbar_{H+1} = U_Y^T W_{H+1}."""
        W = list(as_weights(Ws, self.shapes))
        W[0] = W[0] @ self._right
        W[-1] = self.u_y.T @ W[-1]
        return tuple(W)

    def reduced_product(self, P: ArrayLike, flow: str = "reduced") -> NDArray[np.float64]:
        """The reduced end-to-end product ``Pbar = U_Y^T P U_X S_X V_Y`` of products P, shape
        (..., dy, dx), in ``flow``'s coordinates (unchanged for the reduced flow). A critical
        point of type S has ``diag(Pbar) = (s_i for i in S, 0 elsewhere)``."""
        Pa = np.asarray(P, dtype=np.float64)
        return Pa if flow == "reduced" else self.u_y.T @ Pa @ self._right

    def to_original(self, Ws: Sequence[ArrayLike]) -> Weights:
        """Reduced weights -> original weights; the exact inverse of :meth:`to_reduced`."""
        W = list(as_weights(Ws, self.shapes))
        W[0] = ((W[0] @ self.v_y.T) / self.s_x) @ self.u_x.T
        W[-1] = self.u_y @ W[-1]
        return tuple(W)

    def learned(self, mode_strengths: ArrayLike) -> tuple[int, ...]:
        """The modes learned at the given diagonal of the reduced product (..., dy): those whose
        strength exceeds half its singular value (0-based indices)."""
        d = np.asarray(mode_strengths, dtype=np.float64)
        return tuple(k for k in range(self.dy) if d[k] > 0.5 * self.singular_values[k])

    def summary(self) -> dict[str, object]:
        """Plain-data description (for display and export)."""
        return {
            "dx": self.dx,
            "dy": self.dy,
            "m": self.m,
            "widths": list(self.widths),
            "depth": self.depth,
            "n_params": self.n_params,
            "singular_values": self.singular_values.tolist(),
            "offset": self.offset,
            "whitened": self.is_whitened,
            "assumption4": self.assumption4,
        }
