"""Basin statistics that cannot mislead: per run how it ended, per scale the fraction of the
FINISHED runs that reached the global minimum with its Wilson interval, and the unfinished runs
counted beside it (never folded into failures).

A run is finished when its fate is known: ``converged`` (it reached the global minimum) or
``diverged``. Runs that reached t_max still moving or sitting on a saddle's plateau (``t_max``,
``saddle``), or were stopped by a budget, may still reach the minimum: they are unfinished.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from core.critical_values import label
from core.stopping import STATUSES

if TYPE_CHECKING:
    from core.basins import SweepSpec

__all__ = [
    "FINISHED",
    "RunSummary",
    "ScaleStats",
    "SweepResult",
    "scale_stats",
    "summarise",
    "wilson_interval",
]

Z95 = 1.959963984540054  # two-sided 95% normal quantile
FINISHED = ("converged", "diverged")  # statuses whose fate is known; the rest are unfinished


def wilson_interval(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion k / n ((0, 1) when n = 0).

    Examples
    --------
    All of 40 finished runs global still leaves room below 1; no finished run says nothing:

    >>> [round(x, 3) for x in wilson_interval(40, 40)]
    [0.912, 1.0]
    >>> wilson_interval(0, 0)
    (0.0, 1.0)
    """
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class RunSummary:
    """One run: its start (scale, seed) and where it went. ``subset`` (learned at the end) and
    ``path`` (the plateaus' subsets) are 0-based here and 1-based in :meth:`to_dict`."""

    index: int
    scale: float
    seed: int
    status: str
    subset: tuple[int, ...]
    rung: str
    final_loss: float
    t_end: float
    path: tuple[tuple[int, ...], ...]

    @property
    def reached_global(self) -> bool:
        return self.status == "converged"

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def convergence_time(self) -> float:
        return self.t_end if self.status == "converged" else float("nan")

    @property
    def path_label(self) -> str:
        return " -> ".join(label(s) for s in self.path) or "(no plateau)"

    def to_dict(self) -> dict[str, Any]:
        """Plain data with 1-based subsets (as users read them)."""
        return {
            "index": self.index,
            "scale": self.scale,
            "seed": self.seed,
            "status": self.status,
            "subset": [i + 1 for i in self.subset],
            "rung": self.rung,
            "final_loss": self.final_loss,
            "t_end": self.t_end,
            "reached_global": self.reached_global,
            "path": [[i + 1 for i in p] for p in self.path],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunSummary:
        if d.get("status") not in STATUSES:
            raise ValueError(f"unknown run status {d.get('status')!r}")
        return cls(
            int(d["index"]),
            float(d["scale"]),
            int(d["seed"]),
            str(d["status"]),
            tuple(int(i) - 1 for i in d["subset"]),
            str(d["rung"]),
            float(d["final_loss"]),
            float(d["t_end"]),
            tuple(tuple(int(i) - 1 for i in p) for p in d["path"]),
        )


@dataclass(frozen=True)
class ScaleStats:
    """Aggregates of the runs at one scale. ``fraction_global`` and ``interval`` (Wilson, 95%)
    are over the ``n_finished`` runs; the ``n_unfinished`` others have no known fate
    (``status_counts`` says why: "t_max" or "saddle", time ran out; "budget", the step cap;
    "failed", the solver failed), ``saddle_counts`` per saddle label."""

    scale: float
    n_runs: int
    n_finished: int
    n_global: int
    fraction_global: float
    interval: tuple[float, float]
    status_counts: dict[str, int]
    saddle_counts: dict[str, int]
    rung_counts: dict[str, int]
    times: NDArray[np.float64]
    path_counts: dict[str, int]

    @property
    def n_unfinished(self) -> int:
        return self.n_runs - self.n_finished

    def __repr__(self) -> str:
        lo, hi = self.interval
        return (
            f"ScaleStats(scale={self.scale:g}: {self.n_global}/{self.n_finished} finished runs "
            f"global (95% CI {lo:.3f}-{hi:.3f}), {self.n_unfinished} unfinished)"
        )


def scale_stats(scale: float, runs: Sequence[RunSummary]) -> ScaleStats:
    """Aggregates of the runs at one scale."""
    finished = [r for r in runs if r.finished]
    k = sum(r.reached_global for r in finished)
    n = len(finished)
    saddles = Counter(label(r.subset) for r in runs if r.status == "saddle")
    return ScaleStats(
        scale=scale,
        n_runs=len(runs),
        n_finished=n,
        n_global=k,
        fraction_global=k / n if n else float("nan"),
        interval=wilson_interval(k, n),
        status_counts=dict(Counter(r.status for r in runs)),
        saddle_counts=dict(saddles),
        rung_counts=dict(Counter(r.rung for r in runs)),
        times=np.array([r.t_end for r in runs if r.status == "converged"]),
        path_counts=dict(Counter(r.path_label for r in runs)),
    )


@dataclass(frozen=True)
class SweepResult:
    """All runs (``runs``, in order: scale by scale, run by run) and per-scale aggregates."""

    spec: SweepSpec
    runs: tuple[RunSummary, ...]
    stats: tuple[ScaleStats, ...]

    @property
    def non_global(self) -> tuple[RunSummary, ...]:
        return tuple(r for r in self.runs if not r.reached_global)

    @property
    def n_unfinished(self) -> int:
        return sum(s.n_unfinished for s in self.stats)

    def __repr__(self) -> str:
        parts = "; ".join(
            f"{s.scale:g}: {s.n_global}/{s.n_finished}"
            + (f" (+{s.n_unfinished} unfinished)" if s.n_unfinished else "")
            for s in self.stats
        )
        return (
            f"SweepResult({len(self.runs)} runs, t_max={self.spec.t_max:g}; global/finished "
            f"per scale {parts})"
        )

    def to_frame(self) -> Any:
        """One row per run (subsets as 1-based labels). Needs pandas."""
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError("SweepResult.to_frame needs pandas: pip install pandas") from None
        rows = [{**r.to_dict(), "subset": label(r.subset), "path": r.path_label} for r in self.runs]
        return pd.DataFrame(rows)


def summarise(spec: SweepSpec, runs: Sequence[RunSummary]) -> SweepResult:
    """Aggregate per-run summaries (in run order) into a SweepResult."""
    n = spec.n_runs
    stats = tuple(scale_stats(sc, runs[j * n : (j + 1) * n]) for j, sc in enumerate(spec.scales))
    return SweepResult(spec, tuple(runs), stats)
