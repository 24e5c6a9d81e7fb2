"""Escapes from saddles: runs started on a saddle's stable manifold (which converge to it) and
kicked off it by chosen sizes; the numerical face of "the basin of a saddle has measure zero".

A run has escaped when it ends on a lower rung than the saddle's; it is stuck when it is still
on the saddle's plateau at t_max. Runs are never stopped early anywhere but at the global
minimum (:mod:`core.stopping`), so a run lingering on the saddle is not taken for one that
stays there: both run to t_max, and the count is read at the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core._weights import flatten
from core.basins import run_seeds
from core.critical_values import label, ladder
from core.derivatives import objective
from core.geometry import stable_manifold_init
from core.integration import bands_for
from core.lazy import scipy_module
from core.problem import Problem
from core.stopping import StopRule

__all__ = ["EscapeResult", "escape_sweep"]


@dataclass(frozen=True)
class EscapeResult:
    """Per perturbation size: how many runs left the saddle S, how many are still on its
    plateau at t_max, and the median time the runs spent on that plateau."""

    subset: tuple[int, ...]
    perturbations: tuple[float, ...]
    n_runs: int
    n_escaped: tuple[int, ...]
    n_stuck: tuple[int, ...]
    median_time_near_saddle: tuple[float, ...]
    t_max: float

    def __repr__(self) -> str:
        rows = ", ".join(
            f"{p:g}: {e}/{self.n_runs}"
            for p, e in zip(self.perturbations, self.n_escaped, strict=True)
        )
        return f"EscapeResult(saddle {label(self.subset)}, escaped per kick {rows})"


def escape_sweep(
    problem: Problem,
    subset: Sequence[int],
    perturbations: Sequence[float],
    n_runs: int,
    *,
    seed: int = 0,
    scale: float = 0.5,
    t_max: float = 200.0,
    rtol: float = 1e-7,
) -> EscapeResult:
    """Starts on the stable manifold of the saddle of type ``subset`` (0-based; reduced flow),
    kicked off it by each perturbation size."""
    S = tuple(sorted(int(i) for i in subset))
    lad = ladder(problem)
    saddle = lad.for_subset(S)
    k_saddle = lad.rungs.index(saddle)
    obj = objective(problem, "reduced")
    bands, _ = bands_for(problem)
    scipy_module("integrate")  # not needed at ``import core``
    from core.batch import integrate_batch

    rule = StopRule.for_problem(problem)
    escaped, stuck, times = [], [], []
    for j, eps in enumerate(perturbations):
        Y0 = np.stack(
            [
                flatten(stable_manifold_init(problem, S, scale, seed=sd, perturbation=float(eps)))
                for sd in run_seeds(seed + j, n_runs)
            ]
        )
        atol = rtol * np.maximum(np.sqrt(np.mean(Y0**2, axis=1)), 1e-12)
        res = integrate_batch(
            problem, obj, Y0, t_max, rtol=rtol, atol=atol, rule=rule, bands=bands, lad=lad
        )
        final = res.excess + problem.offset
        below = final < saddle.value - 0.5 * lad.spacing(saddle)
        escaped.append(int(np.sum(below)))
        stuck.append(
            sum(
                1
                for s, sub in zip(res.status, res.saddle, strict=True)
                if s == "saddle" and sub == S
            )
        )
        # Time in the saddle's band, plateau or not: a hard kick passes it quickly.
        stay = [sum(v.t_exit - v.t_enter for v in vs if v.rung == k_saddle) for vs in res.visits]
        times.append(float(np.median(stay)))
    return EscapeResult(
        S,
        tuple(float(p) for p in perturbations),
        n_runs,
        tuple(escaped),
        tuple(stuck),
        tuple(times),
        float(t_max),
    )
