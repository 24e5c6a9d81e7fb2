"""Basin statistics: many initialisations at once, and escapes from saddles.

The conjecture (OVF) says almost every initialisation converges to a global minimum (proven for
H = 1). :func:`sweep` runs ``n_runs`` initialisations at each scale with the batched integrator
and summarises each run (final subset and rung, convergence time, the plateaus it visited).
:func:`core.escape.escape_sweep` starts on a saddle's stable manifold and counts escapes.

Every run's seed is spawned from ``numpy.random.SeedSequence(seed)``, so any run can be replayed
alone (:func:`replay`), and results do not depend on chunking or the number of workers.
"""

from __future__ import annotations

import contextlib
import math
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from core._weights import Weights, flatten
from core.batch import batched_loss_modes, integrate_batch
from core.derivatives import check_flow, objective
from core.init import init_weights
from core.integrate import DEFAULT_SAMPLES, default_gtol, integrate, sample_grid
from core.ladder import label, ladder
from core.plateaus import segments, subset_from_modes
from core.problem import Problem
from core.trajectory import Trajectory

__all__ = [
    "RunSummary",
    "ScaleStats",
    "SweepResult",
    "plan",
    "replay",
    "run_chunk",
    "run_seeds",
    "summarise",
    "sweep",
    "wilson_interval",
]

CHUNK = 256  # Runs integrated together; bounds memory (samples are kept per chunk only).
SAMPLES = DEFAULT_SAMPLES  # The grid integrate samples on, so plateaus are read the same way.
Z95 = 1.959963984540054  # two-sided 95% normal quantile


def wilson_interval(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion k / n."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def run_seeds(seed: int, n: int) -> list[int]:
    """n independent run seeds spawned from SeedSequence(seed)."""
    return [
        int(c.generate_state(1, dtype=np.uint32)[0]) for c in np.random.SeedSequence(seed).spawn(n)
    ]


@dataclass(frozen=True)
class RunSummary:
    """One run: its start (scale, seed) and where it went."""

    index: int
    scale: float
    seed: int
    status: str
    subset: tuple[int, ...]
    rung: str
    final_loss: float
    t_end: float
    reached_global: bool
    path: tuple[tuple[int, ...], ...]

    @property
    def convergence_time(self) -> float:
        return self.t_end if self.status == "converged" else float("nan")

    @property
    def path_label(self) -> str:
        return " -> ".join(label(s) for s in self.path) or "(no plateau)"

    def to_dict(self) -> dict:
        return {
            "index": self.index,
            "scale": self.scale,
            "seed": self.seed,
            "status": self.status,
            "subset": list(self.subset),
            "rung": self.rung,
            "final_loss": self.final_loss,
            "t_end": self.t_end,
            "reached_global": self.reached_global,
            "path": [list(p) for p in self.path],
        }

    @classmethod
    def from_dict(cls, d: dict) -> RunSummary:
        return cls(
            int(d["index"]),
            float(d["scale"]),
            int(d["seed"]),
            str(d["status"]),
            tuple(d["subset"]),
            str(d["rung"]),
            float(d["final_loss"]),
            float(d["t_end"]),
            bool(d["reached_global"]),
            tuple(tuple(p) for p in d["path"]),
        )


@dataclass(frozen=True)
class ScaleStats:
    scale: float
    n_runs: int
    n_global: int
    fraction_global: float
    interval: tuple[float, float]
    rung_counts: dict[str, int]
    status_counts: dict[str, int]
    times: NDArray[np.float64]
    path_counts: dict[str, int]


@dataclass(frozen=True)
class SweepResult:
    """All runs (``runs``, in order: scale by scale, run by run) and per-scale aggregates."""

    scales: tuple[float, ...]
    n_runs: int
    seed: int
    t_max: float
    flow: str
    kind: str
    runs: tuple[RunSummary, ...]
    stats: tuple[ScaleStats, ...] = field(default=())

    @property
    def non_global(self) -> tuple[RunSummary, ...]:
        return tuple(r for r in self.runs if not r.reached_global)


def _summaries(
    problem: Problem,
    indices: Sequence[int],
    scales: Sequence[float],
    seeds: Sequence[int],
    Y0: NDArray,
    t_max: float,
    flow: str,
    rtol: float,
    gtol: float,
) -> list[RunSummary]:
    obj = objective(problem, flow)
    grid = sample_grid(t_max, SAMPLES)
    atol = rtol * np.maximum(np.sqrt(np.mean(Y0**2, axis=1)), 1e-12)
    right = u_y = None
    if flow == "original":
        right = (np.asarray(problem.u_x) * np.asarray(problem.s_x)) @ np.asarray(problem.v_y)
        u_y = np.asarray(problem.u_y)
    res = integrate_batch(obj, Y0, t_max, grid, rtol, atol, gtol, right, u_y)
    lad = ladder(problem)
    bottom = lad.rungs[-1]
    tol = 1e-3 * lad.spacing(bottom) if math.isfinite(lad.spacing(bottom)) else 1e-9
    out = []
    for r in range(Y0.shape[0]):
        valid = ~np.isnan(res.loss[r])
        t, L, M = grid[valid], res.loss[r, valid], res.modes[r, valid]
        # The final state (not just the last grid sample) decides where the run went.
        fl, fm = batched_loss_modes(obj, res.final[r : r + 1], right, u_y)
        final_loss, subset = float(fl[0]), subset_from_modes(problem, fm[0])
        path = tuple(subset_from_modes(problem, M[mid]) for _, _, _, mid in segments(lad, t, L))
        reached = len(subset) == problem.dy and abs(final_loss - bottom.value) <= tol
        out.append(
            RunSummary(
                int(indices[r]),
                float(scales[r]),
                int(seeds[r]),
                str(res.status[r]),
                subset,
                lad.nearest(final_loss).label,
                final_loss,
                float(res.t_end[r]),
                bool(reached),
                path,
            )
        )
    return out


def _start(problem: Problem, scale: float, seed: int, kind: str, flow: str) -> Weights:
    """A run's start, in ``flow``'s coordinates (the same start as the explorer's)."""
    W0 = init_weights(problem, scale, seed, kind)
    return problem.to_original(W0) if flow == "original" else W0


def scale_stats(problem: Problem, scale: float, runs: Sequence[RunSummary]) -> ScaleStats:
    """Aggregates of the runs at one scale."""
    n = len(runs)
    k = sum(r.reached_global for r in runs)
    times = np.array([r.convergence_time for r in runs if r.status == "converged"])
    return ScaleStats(
        scale,
        n,
        k,
        k / n if n else float("nan"),
        wilson_interval(k, n),
        dict(Counter(r.rung for r in runs)),
        dict(Counter(r.status for r in runs)),
        times,
        dict(Counter(r.path_label for r in runs)),
    )


def plan(
    problem: Problem,
    n_runs: int,
    scales: Sequence[float],
    seed: int,
    t_max: float,
    flow: str = "reduced",
    kind: str = "gaussian",
    *,
    rtol: float = 1e-7,
    gtol: float | None = None,
    chunk_size: int = CHUNK,
) -> list[tuple]:
    """The sweep's chunks, each a self-contained (picklable) job for :func:`run_chunk`.

    Run i at scale index j has seed ``run_seeds(seed, len(scales) * n_runs)[j * n_runs + i]``.
    """
    check_flow(flow)
    if n_runs < 1 or not scales:
        raise ValueError("need n_runs >= 1 and at least one scale")
    if not (math.isfinite(t_max) and t_max > 0):
        raise ValueError(f"t_max must be a positive number; got {t_max!r}")
    gtol = default_gtol(problem) if gtol is None else gtol
    total = n_runs * len(scales)
    seeds = run_seeds(seed, total)
    scale_of = [float(sc) for sc in scales for _ in range(n_runs)]
    return [
        (
            problem,
            list(range(lo, min(lo + chunk_size, total))),
            scale_of[lo : lo + chunk_size],
            seeds[lo : lo + chunk_size],
            kind,
            t_max,
            flow,
            rtol,
            gtol,
        )
        for lo in range(0, total, chunk_size)
    ]


def run_chunk(job: tuple) -> list[RunSummary]:
    """Integrate one chunk of a sweep (see :func:`plan`)."""
    problem, idx, scales, seeds, kind, t_max, flow, rtol, gtol = job
    Y0 = np.stack(
        [flatten(_start(problem, sc, sd, kind, flow)) for sc, sd in zip(scales, seeds, strict=True)]
    )
    return _summaries(problem, idx, scales, seeds, Y0, t_max, flow, rtol, gtol)


def summarise(
    problem: Problem,
    n_runs: int,
    scales: Sequence[float],
    seed: int,
    t_max: float,
    flow: str,
    kind: str,
    runs: Sequence[RunSummary],
) -> SweepResult:
    """Aggregate per-run summaries (in run order) into a SweepResult."""
    stats = tuple(
        scale_stats(problem, float(sc), runs[j * n_runs : (j + 1) * n_runs])
        for j, sc in enumerate(scales)
    )
    return SweepResult(
        tuple(float(s) for s in scales), n_runs, seed, t_max, flow, kind, tuple(runs), stats
    )


def sweep(
    problem: Problem,
    n_runs: int,
    scales: Sequence[float],
    seed: int,
    t_max: float,
    flow: str = "reduced",
    kind: str = "gaussian",
    *,
    rtol: float = 1e-7,
    gtol: float | None = None,
    chunk_size: int = CHUNK,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> SweepResult:
    """``n_runs`` initialisations of ``kind`` at each scale in ``scales`` (in that order).

    ``progress(done, total)`` is called as chunks finish. Runs stop as :func:`core.integrate`
    stops them (``core.integrate.settled``: ||grad L|| < gtol, default 1e-9 max(1, s_1^2), and
    fallen to 1e-3 of its peak), with atol = rtol * rms(W0).
    ``workers > 1`` integrates chunks in that many processes; results do not change.
    """
    jobs = plan(
        problem,
        n_runs,
        scales,
        seed,
        t_max,
        flow,
        kind,
        rtol=rtol,
        gtol=gtol,
        chunk_size=chunk_size,
    )
    total = n_runs * len(scales)
    runs: list[RunSummary] = []
    with ProcessPoolExecutor(workers) if workers > 1 else contextlib.nullcontext() as pool:
        for part in pool.map(run_chunk, jobs) if pool else map(run_chunk, jobs):
            runs.extend(part)
            if progress:
                progress(len(runs), total)
    return summarise(problem, n_runs, scales, seed, t_max, flow, kind, runs)


def replay(
    problem: Problem,
    run: RunSummary,
    t_max: float,
    flow: str = "reduced",
    kind: str = "gaussian",
    rtol: float = 1e-8,
) -> Trajectory:
    """The full trajectory of one run of a sweep, from its own seed."""
    W0 = _start(problem, run.scale, run.seed, kind, flow)
    return integrate(problem, W0, t_max, flow=flow, rtol=rtol)
