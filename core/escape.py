"""Escapes from saddles: runs started on a saddle's stable manifold (which converge to it) and
kicked off it by chosen sizes; the numerical face of "the basin of a saddle has measure zero"."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core._weights import flatten
from core.batch import integrate_batch
from core.derivatives import objective
from core.geometry import stable_manifold_init
from core.integrate import default_gtol, sample_grid
from core.ladder import ladder
from core.plateaus import segments
from core.problem import Problem
from core.sweep import SAMPLES, run_seeds

__all__ = ["EscapeResult", "escape_sweep"]


@dataclass(frozen=True)
class EscapeResult:
    """Per perturbation size: how many runs left the saddle S, and how long they stayed near it."""

    subset: tuple[int, ...]
    perturbations: tuple[float, ...]
    n_runs: int
    n_escaped: tuple[int, ...]
    median_time_near_saddle: tuple[float, ...]


def escape_sweep(
    problem: Problem,
    subset: Sequence[int],
    perturbations: Sequence[float],
    n_runs: int,
    seed: int,
    *,
    scale: float = 0.5,
    t_max: float = 200.0,
    rtol: float = 1e-7,
) -> EscapeResult:
    """Starts on the stable manifold of the saddle of type ``subset`` (reduced flow), kicked off
    it by each perturbation size; a run escapes when it ends on a lower rung than the saddle's."""
    S = tuple(sorted(int(i) for i in subset))
    lad = ladder(problem)
    saddle = lad.for_subset(S)
    obj = objective(problem, "reduced")
    grid = sample_grid(t_max, SAMPLES)
    gtol = default_gtol(problem)
    escaped, times = [], []
    for j, eps in enumerate(perturbations):
        seeds = run_seeds(seed + j, n_runs)
        Y0 = np.stack(
            [
                flatten(stable_manifold_init(problem, S, scale, sd, perturbation=float(eps)))
                for sd in seeds
            ]
        )
        atol = rtol * np.maximum(np.sqrt(np.mean(Y0**2, axis=1)), 1e-12)
        res = integrate_batch(obj, Y0, t_max, grid, rtol, atol, gtol)
        n_esc, stay = 0, []
        for r in range(n_runs):
            valid = ~np.isnan(res.loss[r])
            t, L = grid[valid], res.loss[r, valid]
            left = L.size and L[-1] < saddle.value - 0.5 * lad.spacing(saddle)
            n_esc += bool(left)
            near = [t[j1] for k, _, j1, _ in segments(lad, t, L) if lad.rungs[k].subset == S]
            stay.append(near[0] if near else 0.0)
        escaped.append(n_esc)
        times.append(float(np.median(stay)))
    return EscapeResult(
        S, tuple(float(p) for p in perturbations), n_runs, tuple(escaped), tuple(times)
    )
