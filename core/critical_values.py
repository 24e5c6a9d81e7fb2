"""The ladder of critical values (Lemma 3.2 iv).

For every subset S of the singular values s_1 > ... > s_dy of the reduced target (the values a
critical point has learned) the critical value is

    L_S = offset + 1/2 sum_{i not in S} s_i^2,

2^dy values, pairwise distinct under Assumption 4. Subsets are tuples of 0-based indices.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from core.problem import RUNG_RTOL, Problem

__all__ = [
    "BAND_FRACTION",
    "LADDER_MAX_DY",
    "Bands",
    "Ladder",
    "Rung",
    "label",
    "ladder",
    "q_count",
]

LADDER_MAX_DY = 12  # 2^12 = 4,096 rungs; more cannot be drawn or read.
# A loss is "on" a rung when it lies within this fraction of the rung's distance to the nearest
# other rung: the band in which a run lingers near a saddle (its plateau). Bands never overlap.
BAND_FRACTION = 0.02


def label(subset: Iterable[int]) -> str:
    """The subset as users read it: 1-based, e.g. (0, 2) -> "{1,3}".

    Examples
    --------
    >>> label((0, 2)), label(()), label([2, 0, 1])
    ('{1,3}', '{}', '{1,2,3}')
    """
    return "{" + ",".join(str(i + 1) for i in sorted(subset)) + "}"


def q_count(problem: Problem, subset: Iterable[int]) -> int:
    """q(S) = #{(i, j): i in S, j not in S, s_j > s_i} (pairs 'learned out of order')."""
    S = set(subset)
    s = problem.singular_values
    return sum(1 for i in S for j in range(problem.dy) if j not in S and s[j] > s[i])


@dataclass(frozen=True)
class Rung:
    """One critical value: its subset S, full loss ``value``, reduced loss, and rank ``r = |S|``."""

    subset: tuple[int, ...]
    value: float
    reduced_value: float
    rank: int

    @property
    def label(self) -> str:
        return label(self.subset)


@dataclass(frozen=True)
class Ladder:
    """All 2^dy rungs sorted by value, descending (the top rung is S = {}, the bottom S = all).

    ``close_pairs`` lists index pairs of rungs whose values differ by at most ``tolerance``
    (relative to the top value): where Assumption 4 fails or nearly fails.
    """

    rungs: tuple[Rung, ...]
    tolerance: float
    close_pairs: tuple[tuple[int, int], ...]

    def __post_init__(self) -> None:
        values = [r.value for r in self.rungs]
        if any(a < b for a, b in itertools.pairwise(values)):
            raise ValueError("rungs must be sorted by value, descending")

    def __len__(self) -> int:
        return len(self.rungs)

    @property
    def values(self) -> np.ndarray:
        return np.array([r.value for r in self.rungs])

    @property
    def distinct(self) -> bool:
        return not self.close_pairs

    def for_subset(self, subset: Iterable[int]) -> Rung:
        key = tuple(sorted(int(i) for i in subset))
        for r in self.rungs:
            if r.subset == key:
                return r
        raise KeyError(f"no rung for subset {key}")

    def nearest(self, value: float) -> Rung:
        """The rung whose value is nearest to ``value``."""
        return self.rungs[int(np.argmin(np.abs(self.values - value)))]

    def spacing(self, rung: Rung) -> float:
        """Distance from ``rung`` to the nearest other rung value (inf for a one-rung ladder)."""
        v = self.values
        d = np.abs(v - rung.value)
        d = d[d > 0]
        return float(d.min()) if d.size else float("inf")

    def bands(self) -> Bands:
        """The plateau band of every rung, in excess-loss coordinates (L - L*)."""
        order = np.argsort([r.reduced_value for r in self.rungs], kind="stable")
        excess = np.array([self.rungs[k].reduced_value for k in order])
        # A one-rung ladder (dy = 0 cannot happen; kept finite for safety) has no neighbour.
        half = np.array([BAND_FRACTION * min(self.spacing(self.rungs[k]), 1e300) for k in order])
        return Bands(excess, half, tuple(int(k) for k in order))

    def __repr__(self) -> str:
        top, bottom = self.rungs[0], self.rungs[-1]
        return (
            f"Ladder({len(self)} rungs from {top.label} at {top.value:.6g} to {bottom.label} "
            f"at {bottom.value:.6g}, distinct={self.distinct})"
        )


@dataclass(frozen=True)
class Bands:
    """Plateau bands ``|L - L* - excess[b]| <= half_width[b]``, ascending in excess; band b
    belongs to rung ``rung[b]`` of the ladder. Band 0 is the global minimum's."""

    excess: NDArray[np.float64]
    half_width: NDArray[np.float64]
    rung: tuple[int, ...]

    def __post_init__(self) -> None:
        # Plain floats for the scalar lookup (called once per step by Python-level solvers).
        pairs = list(zip(self.excess, self.half_width, strict=True))
        object.__setattr__(self, "_lo", [float(e - w) for e, w in pairs])
        object.__setattr__(self, "_hi", [float(e + w) for e, w in pairs])

    def index(self, excess: float) -> int:
        """The band holding an excess loss value, or -1 (between bands)."""
        lo: list[float] = self._lo  # type: ignore[attr-defined]
        b = bisect.bisect_right(lo, excess) - 1
        return b if b >= 0 and excess <= self._hi[b] else -1  # type: ignore[attr-defined]

    def indices(self, excess: Any) -> NDArray[np.int64]:
        """:meth:`index` for an array of excess values."""
        e = np.asarray(excess, dtype=np.float64)
        b = np.searchsorted(self.excess, e)
        out = np.full(e.shape, -1, dtype=np.int64)
        for k in (b - 1, b):
            kk = np.clip(k, 0, self.excess.size - 1)
            hit = (
                (k >= 0)
                & (k < self.excess.size)
                & (np.abs(e - self.excess[kk]) <= self.half_width[kk])
            )
            out = np.where(hit & (out < 0), kk, out)
        return out


def ladder(problem: Problem, rtol: float = RUNG_RTOL) -> Ladder:
    """The 2^dy critical values of ``problem``; refuses dy > LADDER_MAX_DY.

    Examples
    --------
    Three modes s = (3, 2, 1) give 8 rungs, from nothing learned (1/2 (9 + 4 + 1) = 7) down to
    everything learned (0, the global minimum of whitened data):

    >>> import core
    >>> p = core.Problem.from_spectrum([3.0, 2.0, 1.0], dx=3, widths=(3,))
    >>> lad = core.ladder(p)
    >>> [(r.label, r.value) for r in lad.rungs]  # doctest: +NORMALIZE_WHITESPACE
    [('{}', 7.0), ('{3}', 6.5), ('{2}', 5.0), ('{2,3}', 4.5), ('{1}', 2.5), ('{1,3}', 2.0),
     ('{1,2}', 0.5), ('{1,2,3}', 0.0)]
    >>> lad.nearest(2.4).label
    '{1}'
    """
    dy = problem.dy
    if dy > LADDER_MAX_DY:
        raise ValueError(f"the ladder has 2^dy rungs; dy = {dy} exceeds {LADDER_MAX_DY}")
    sq = problem.singular_values**2
    total = float(sq.sum())
    rungs = []
    for r in range(dy + 1):
        for S in itertools.combinations(range(dy), r):
            red = 0.5 * (total - float(sq[list(S)].sum()))
            rungs.append(Rung(S, problem.offset + red, red, r))
    rungs.sort(key=lambda g: (-g.value, g.subset))
    tol = rtol * max(problem.offset + 0.5 * total, 1e-300)
    vals = np.array([g.value for g in rungs])
    close = tuple((i, i + 1) for i in range(len(vals) - 1) if vals[i] - vals[i + 1] <= tol)
    return Ladder(tuple(rungs), tol, close)
