"""Plateaus of L(t): where a trajectory lingers near a rung of the ladder (a saddle it visits).

A sample is on the plateau of a rung when its loss lies within ``PLATEAU_FRACTION`` of that
rung's distance to the nearest other rung. Runs of at least ``MIN_SAMPLES`` such samples on the
same rung form a plateau; its subset is read from the weights at its (log-time) middle, the point
to polish and classify. From small initialisations the sequence is the greedy one of NOTES.md:
{} -> {1} -> {1,2} -> ...
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core._weights import Weights
from core.derivatives import end_to_end
from core.ladder import Ladder, Rung, label, ladder
from core.problem import Problem
from core.trajectory import Trajectory

__all__ = ["Plateau", "plateaus", "reduced_products"]

PLATEAU_FRACTION = 0.02  # On a plateau: |L - rung| <= this x (distance to the nearest other rung).
MIN_SAMPLES = 3  # Fewer consecutive samples near a rung are a crossing, not a plateau.


@dataclass(frozen=True)
class Plateau:
    """One plateau: the rung, the subset read at its middle, entry/exit times and sample indices."""

    rung: Rung
    subset: tuple[int, ...]
    t_enter: float
    t_exit: float
    i_enter: int
    i_exit: int
    i_mid: int
    weights_mid: Weights

    @property
    def label(self) -> str:
        return label(self.subset)

    @property
    def duration(self) -> float:
        return self.t_exit - self.t_enter


def reduced_products(problem: Problem, trajectory: Trajectory) -> np.ndarray:
    """The reduced end-to-end product at every sample, shape (n, dy, dx)."""
    Ws = list(trajectory.weights)
    if trajectory.flow == "original":
        right = (np.asarray(problem.u_x) * np.asarray(problem.s_x)) @ np.asarray(problem.v_y)
        Ws[0] = Ws[0] @ right
        Ws[-1] = np.asarray(problem.u_y).T @ Ws[-1]
    return end_to_end(Ws)


def segments(lad: Ladder, t: np.ndarray, loss: np.ndarray) -> list[tuple[int, int, int, int]]:
    """(rung index, first, last, middle sample) of every plateau of L sampled at times t."""
    values = lad.values
    idx = np.argmin(np.abs(loss[:, None] - values[None, :]), axis=1)
    spacing = np.array([lad.spacing(r) for r in lad.rungs])
    near = np.abs(loss - values[idx]) <= PLATEAU_FRACTION * spacing[idx]
    out = []
    i, n = 0, loss.size
    while i < n:
        if not near[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and near[j + 1] and idx[j + 1] == idx[i]:
            j += 1
        if j - i + 1 >= MIN_SAMPLES:
            lo = max(t[i], t[min(i + 1, j)] * 1e-3) if t[i] == 0 else t[i]
            t_mid = np.sqrt(lo * t[j]) if lo > 0 else 0.5 * (t[i] + t[j])
            mid = i + int(np.argmin(np.abs(t[i : j + 1] - t_mid)))
            out.append((int(idx[i]), i, j, mid))
        i = j + 1
    return out


def subset_from_modes(problem: Problem, diag: np.ndarray) -> tuple[int, ...]:
    """Learned modes: P_ii > s_i / 2."""
    s = problem.singular_values
    return tuple(k for k in range(problem.dy) if diag[k] > 0.5 * s[k])


def plateaus(problem: Problem, trajectory: Trajectory) -> tuple[Plateau, ...]:
    """Segment ``trajectory`` into plateaus near rungs, in time order."""
    lad = ladder(problem)
    P = reduced_products(problem, trajectory)
    t = trajectory.t
    out = []
    for k, i, j, mid in segments(lad, t, trajectory.loss):
        subset = subset_from_modes(problem, np.diagonal(P[mid])[: problem.dy])
        out.append(
            Plateau(
                lad.rungs[k],
                subset,
                float(t[i]),
                float(t[j]),
                i,
                j,
                mid,
                trajectory.weights_at(mid),
            )
        )
    return tuple(out)
