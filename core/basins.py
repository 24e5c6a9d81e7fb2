"""Basin sweeps: many initialisations of one problem at once.

The conjecture (OVF) says almost every initialisation converges to a global minimum (proven for
H = 1). :func:`sweep` runs ``n_runs`` initialisations at each scale with the batched integrator
and summarises each run: how it ended (``core.stopping``), the subset and rung it ended on, and
the plateaus it visited; :mod:`core.basin_stats` aggregates them over finished runs only.

Every run's seed is the SeedSequence child ``(seed, spawn_key=(i,))``, so any run can be
replayed alone (:func:`replay`), and results do not depend on chunking or workers. A sweep is
described by a :class:`SweepSpec` and cut into :class:`ChunkSpec` s, both JSON round-trippable
(Celery tasks and ``linflow sweep`` manifests carry them).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from core import kernel
from core._weights import Weights, flatten
from core.basin_stats import (
    FINISHED,
    RunSummary,
    ScaleStats,
    SweepResult,
    summarise,
    wilson_interval,
)
from core.derivatives import check_flow, end_to_end, objective
from core.init import INIT_KINDS, init_weights
from core.integration import (
    AUTO_COMPILED_STEPS,
    DIVERGE_NORM,
    bands_for,
    finish,
    integrate,
    stiffness_estimate,
)
from core.lazy import scipy_module
from core.problem import Problem
from core.solve import SolveSpec
from core.stopping import StopRule
from core.trajectory import Trajectory
from core.visits import plateaus

__all__ = [
    "FINISHED",
    "ChunkSpec",
    "RunSummary",
    "ScaleStats",
    "SweepResult",
    "SweepSpec",
    "replay",
    "run_chunk",
    "run_seed",
    "run_seeds",
    "summarise",
    "sweep",
    "wilson_interval",
]

CHUNK = 256  # Runs integrated together; bounds memory (per-run summaries only are kept).
SWEEP_KINDS = tuple(k for k in INIT_KINDS if k != "aligned")  # random starts only


def run_seed(seed: int, i: int) -> int:
    """The seed of run i of a sweep with seed ``seed``: child i of ``SeedSequence(seed)``."""
    return int(np.random.SeedSequence(seed, spawn_key=(i,)).generate_state(1, np.uint32)[0])


def run_seeds(seed: int, n: int) -> list[int]:
    """The first n run seeds (the same as spawning n children of SeedSequence(seed))."""
    return [run_seed(seed, i) for i in range(n)]


@dataclass(frozen=True)
class SweepSpec:
    """A sweep: ``n_runs`` initialisations of ``kind`` at each of ``scales``, integrated to
    ``t_max`` (run i at scale index j has seed ``run_seed(seed, j * n_runs + i)``)."""

    n_runs: int
    scales: tuple[float, ...]
    seed: int = 0
    t_max: float = 100.0
    flow: str = "reduced"
    kind: str = "gaussian"
    rtol: float = 1e-7
    gtol: float | None = None
    chunk_size: int = CHUNK

    def __post_init__(self) -> None:
        object.__setattr__(self, "scales", tuple(float(s) for s in self.scales))
        check_flow(self.flow)
        if int(self.n_runs) != self.n_runs or self.n_runs < 1:
            raise ValueError(f"n_runs must be an integer >= 1; got {self.n_runs!r}")
        if not self.scales or not all(math.isfinite(s) and s >= 0 for s in self.scales):
            raise ValueError(f"scales must be finite numbers >= 0, at least one; got {self.scales}")
        if not (math.isfinite(self.t_max) and self.t_max > 0):
            raise ValueError(f"t_max must be a positive number; got {self.t_max!r}")
        if self.kind not in SWEEP_KINDS:
            raise ValueError(f"kind must be one of {SWEEP_KINDS}; got {self.kind!r}")
        if not 0 < self.rtol < 0.1:
            raise ValueError(f"rtol must be in (0, 0.1); got {self.rtol!r}")
        if int(self.chunk_size) != self.chunk_size or self.chunk_size < 1:
            raise ValueError(f"chunk_size must be an integer >= 1; got {self.chunk_size!r}")
        if int(self.seed) != self.seed or self.seed < 0:
            raise ValueError(f"seed must be an integer >= 0; got {self.seed!r}")

    @property
    def total(self) -> int:
        return self.n_runs * len(self.scales)

    def scale_of(self, i: int) -> float:
        return self.scales[i // self.n_runs]

    def chunks(self) -> tuple[ChunkSpec, ...]:
        return tuple(
            ChunkSpec(self, k, lo, min(lo + self.chunk_size, self.total))
            for k, lo in enumerate(range(0, self.total, self.chunk_size))
        )

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "scales": list(self.scales)}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> SweepSpec:
        return cls(**{**d, "scales": tuple(d["scales"])})


@dataclass(frozen=True)
class ChunkSpec:
    """Runs ``lo`` to ``hi - 1`` of a sweep, chunk number ``index``."""

    sweep: SweepSpec
    index: int
    lo: int
    hi: int

    def __post_init__(self) -> None:
        if not 0 <= self.lo < self.hi <= self.sweep.total:
            raise ValueError(
                f"chunk runs [{self.lo}, {self.hi}) outside the sweep's {self.sweep.total}"
            )

    def to_json(self) -> dict[str, Any]:
        return {"sweep": self.sweep.to_json(), "index": self.index, "lo": self.lo, "hi": self.hi}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ChunkSpec:
        return cls(SweepSpec.from_json(d["sweep"]), int(d["index"]), int(d["lo"]), int(d["hi"]))


def _start(problem: Problem, scale: float, seed: int, kind: str, flow: str) -> Weights:
    """A run's start, in ``flow``'s coordinates (the same start as the explorer's)."""
    W0 = init_weights(problem, scale, seed=seed, kind=kind)
    return problem.to_original(W0) if flow == "original" else W0


def run_chunk(problem: Problem, chunk: ChunkSpec) -> list[RunSummary]:
    """Integrate one chunk of a sweep: all runs at once by the batched explicit solver while its
    stability-bound step count is modest (the test ``core.integrate`` uses to pick the compiled
    kernel), else run by run with :func:`core.integrate` (an implicit method for stiff runs:
    small-init deep runs over long horizons, ~1e7 explicit steps each)."""
    # Imported here: the batch reads its tableau from scipy.integrate (~0.3 s to import), which
    # nothing else at ``import core`` needs.
    scipy_module("integrate")
    from core.batch import STABLE_H_RHO, integrate_batch, learned_subsets

    spec = chunk.sweep
    idx = range(chunk.lo, chunk.hi)
    scales = [spec.scale_of(i) for i in idx]
    seeds = [run_seed(spec.seed, i) for i in idx]
    starts = [
        _start(problem, sc, sd, spec.kind, spec.flow) for sc, sd in zip(scales, seeds, strict=True)
    ]
    obj = objective(problem, spec.flow)
    bands, lad = bands_for(problem)
    rule = StopRule.for_problem(problem, gtol=spec.gtol)
    Y0 = np.stack([flatten(W) for W in starts])
    rho = max(stiffness_estimate(problem, obj, y) for y in Y0[:: max(1, len(Y0) // 4)])
    if rho * spec.t_max / STABLE_H_RHO > AUTO_COMPILED_STEPS:
        return [
            _one(problem, i, sc, sd, W0, spec, lad)
            for i, sc, sd, W0 in zip(idx, scales, seeds, starts, strict=True)
        ]
    atol = spec.rtol * np.maximum(np.sqrt(np.mean(Y0**2, axis=1)), 1e-12)
    if kernel.supports(obj) and obj.n_params <= kernel.BLAS_MIN_PARAMS:
        # The compiled kernel, run by run (the spec and buffers made once): each run is then
        # exactly what core.integrate would compute for it.
        solve = SolveSpec(
            spec.t_max,
            np.array([spec.t_max]),
            spec.rtol,
            spec.rtol,
            rule,
            True,
            bands,
            DIVERGE_NORM,
        )
        runner = kernel.Runner(obj, solve)
        out = []
        for r, i in enumerate(idx):
            raw = runner(Y0[r], atol=float(atol[r]))
            tr = finish(
                obj, raw, rule, bands, lad, flow=spec.flow, method="compiled-DP5", t0_wall=0.0
            )
            out.append(_summary(problem, i, scales[r], seeds[r], tr, lad, spec.flow))
        return out
    res = integrate_batch(
        problem,
        obj,
        Y0,
        spec.t_max,
        rtol=spec.rtol,
        atol=atol,
        rule=rule,
        bands=bands,
        lad=lad,
        flow=spec.flow,
    )
    finals = learned_subsets(problem, obj, res.final, spec.flow)
    out = []
    for r, i in enumerate(idx):
        final_loss = float(res.excess[r]) + problem.offset
        rung = lad.nearest(final_loss).label if lad is not None else ""
        out.append(
            RunSummary(
                i,
                scales[r],
                seeds[r],
                res.status[r],
                finals[r],
                rung,
                final_loss,
                float(res.t_end[r]),
                tuple(v.subset for v in res.visits[r] if v.plateau),
            )
        )
    return out


def _one(
    problem: Problem, i: int, scale: float, seed: int, W0: Weights, spec: SweepSpec, lad: Any
) -> RunSummary:
    """One run of a sweep by :func:`core.integrate`, summarised as the batch would."""
    tr = integrate(problem, W0, spec.t_max, flow=spec.flow, rtol=spec.rtol, gtol=spec.gtol)
    return _summary(problem, i, scale, seed, tr, lad, spec.flow)


def _summary(
    problem: Problem, i: int, scale: float, seed: int, tr: Trajectory, lad: Any, flow: str
) -> RunSummary:
    P = problem.reduced_product(end_to_end(tr.final_weights), flow)
    final_loss = float(tr.loss[-1])
    rung = lad.nearest(final_loss).label if lad is not None else ""
    path = tuple(pl.subset for pl in plateaus(problem, tr, ladder=lad))
    subset = problem.learned(np.diagonal(P)[: problem.dy])
    return RunSummary(i, scale, seed, tr.status, subset, rung, final_loss, tr.t_end, path)


def _chunk_job(job: tuple[Problem, ChunkSpec]) -> list[RunSummary]:
    return run_chunk(*job)


def sweep(
    problem: Problem,
    n_runs: int,
    scales: Sequence[float],
    *,
    seed: int = 0,
    t_max: float = 100.0,
    flow: str = "reduced",
    kind: str = "gaussian",
    rtol: float = 1e-7,
    gtol: float | None = None,
    chunk_size: int = CHUNK,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> SweepResult:
    """``n_runs`` initialisations of ``kind`` at each scale in ``scales`` (in that order).

    Runs stop as :func:`core.integrate` stops them (only at the global minimum), with
    atol = rtol * rms(W0). ``progress(done, total)`` is called as chunks finish;
    ``workers > 1`` integrates chunks in that many processes; results do not change.
    """
    spec = SweepSpec(n_runs, tuple(scales), seed, t_max, flow, kind, rtol, gtol, chunk_size)
    jobs = [(problem, c) for c in spec.chunks()]
    runs: list[RunSummary] = []
    with ProcessPoolExecutor(workers) if workers > 1 else contextlib.nullcontext() as pool:
        for part in pool.map(_chunk_job, jobs) if pool else map(_chunk_job, jobs):
            runs.extend(part)
            if progress:
                progress(len(runs), spec.total)
    return summarise(spec, runs)


def replay(
    problem: Problem, run: RunSummary, spec: SweepSpec, *, rtol: float | None = None
) -> Trajectory:
    """The full trajectory of one run of a sweep, from its own seed (the explorer's view)."""
    W0 = _start(problem, run.scale, run.seed, spec.kind, spec.flow)
    return integrate(
        problem,
        W0,
        spec.t_max,
        flow=spec.flow,
        rtol=spec.rtol if rtol is None else rtol,
        gtol=spec.gtol,
    )
