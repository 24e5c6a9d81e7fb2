"""What the explorer shows for a state, computed from core: the problem, the run (and the
comparison and discrete runs), its ladder and plateaus (:class:`Run`), and its end and the
analysed point (:class:`RunEnd`, :class:`PointAnalysis`); the slice is :mod:`app.slicing`.

Pure computation: no flask, no dash. The explorer caches these results (``app.explorer.cache``);
the exporter, the workers and the command line call them directly.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

import core
from app import limits
from app.budget import Budget, check_cost, split_method, split_seconds, view_cost
from app.state import AppState, Point
from app.theory import Theory, curvature_along, theory
from core.integration import DEFAULT_SAMPLES

COMPARE_OFFSETS = (1, 2)  # "seeds": extra runs at init_seed + these.
COMPARE_FACTORS = (0.1, 10.0)  # "scales": extra runs at init_scale times these.
# Fields that change only how a run is shown, not the run: results are keyed without them.
VIEW_FIELDS = (
    "point",
    "loss_axis",
    "focus",
    "projection",
    "modes",
    "slice_dirs",
    "slice_extent",
    "slice_kind",
    "present",
    "step",
    "preset",
)


# Fields the problem is built from (build_problem): the summary shows the problem only.
PROBLEM_FIELDS = (
    "source",
    "spectrum",
    "dx",
    "dy",
    "m",
    "depth",
    "widths",
    "data_seed",
    "dataset",
    "data_hash",
)


def run_state(state: AppState) -> AppState:
    """The state with view-only fields at their defaults: what the run depends on."""
    default = AppState()
    return state.replace(**{f: getattr(default, f) for f in VIEW_FIELDS})


def build_problem(state: AppState) -> core.Problem:
    """The problem a state describes (uploaded data is read from the data folder)."""
    widths = state.hidden_widths
    if state.source == "spectrum":
        return core.Problem.from_spectrum(state.spectrum, state.dx, widths)
    if state.source == "upload":
        from app.uploads import load

        X, Y = load(state.data_hash)  # samples are rows in the files
        return core.Problem.from_data(X.T, Y.T, widths)
    if state.source == "dataset":
        return core.datasets.load(state.dataset).problem(widths)
    return core.Problem.random(state.dx, state.dy, state.m, widths, seed=state.data_seed)


def initial_weights(
    state: AppState, problem: core.Problem, seed: int | None = None, scale: float | None = None
) -> tuple:
    """The start in REDUCED coordinates (the flows' shared starting point)."""
    seed = state.init_seed if seed is None else seed
    scale = state.init_scale if scale is None else scale
    if state.init_kind == "manifold":
        subset = tuple(i - 1 for i in state.manifold_subset)
        return core.stable_manifold_init(
            problem, subset, scale, seed=seed, perturbation=state.perturbation
        )
    return core.init_weights(problem, scale, seed=seed, kind=state.init_kind)


@dataclass(frozen=True)
class PointAnalysis:
    """A point of the landscape, moved onto the critical set, classified, with its measured and
    predicted Hessian splits. ``how`` says how the point was obtained; ``notice`` why another
    point than the one asked for is shown (empty when it is the one asked for)."""

    point: Point
    title: str
    how: str
    polished: core.Polished
    classification: core.Classification
    split: core.HessianSplit
    predicted: core.PredictedSplit
    notice: str = ""


@dataclass(frozen=True)
class Run:
    """The runs of one state and what comes with them at once: the panels of the run (L(t),
    the trajectory, the outputs, the drift, the rate) draw from this alone. ``others`` are the
    comparison runs (label, trajectory); ``rate`` is Proposition 2 at the start, in reduced
    coordinates; ``theory`` what theory says beside the run."""

    state: AppState
    problem: core.Problem
    trajectory: core.Trajectory
    discrete: core.Trajectory | None
    ladder: core.Ladder
    plateaus: tuple[core.Plateau, ...]
    seconds: float
    others: tuple[tuple[str, core.Trajectory], ...] = ()
    rate: core.RateBound | None = None
    theory: Theory | None = None

    # Cached results are pickled without the problem (its data can be 400 KB), which the
    # state rebuilds exactly (seeded data, or the stored upload; an expired upload makes the
    # cached value unreadable, so it is computed again and says the data expired).
    def __getstate__(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "problem"}

    def __setstate__(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "problem", build_problem(values["state"]))

    @property
    def point_options(self) -> list[dict[str, str]]:
        """Choices for the Hessian panel: the limit, each visited plateau, each rung."""
        opts = [{"label": "limit of the run (polished)", "value": "limit"}]
        for k, pl in enumerate(self.plateaus, start=1):
            opts.append(
                {
                    "label": f"plateau {k}: saddle {pl.label} (t = {pl.t_enter:.3g}-"
                    f"{pl.t_exit:.3g})",
                    "value": str(Point("plateau", index=k)),
                }
            )
        for r in self.ladder.rungs:
            point = Point("rung", subset=tuple(i + 1 for i in r.subset))
            opts.append(
                {"label": f"rung {r.label}: constructed critical point", "value": str(point)}
            )
        return opts


@dataclass(frozen=True)
class RunEnd:
    """What is computed after the runs: the limit of the run, polished and analysed, and the
    curvature along the run (and its discrete run). The costly part of a big net's view (a
    dense or Lanczos spectrum at the end and at each curvature sample), so the explorer draws
    the run's panels first (:mod:`app.explorer.staging`)."""

    limit: PointAnalysis
    curvature: core.Curvature
    discrete_curvature: core.Curvature | None = None
    run: str = ""  # run_fingerprint of the run it is the end of


def run_fingerprint(run: Run) -> str:
    """A digest of where ``run``'s runs ended: an end cached apart from its run belongs to a run
    computed again only if they match (a run stopped by its budget ends elsewhere each time)."""
    digest = hashlib.sha256()
    for traj in (run.trajectory, run.discrete):
        if traj is not None:
            digest.update(repr((traj.t_end, traj.nfev, traj.status)).encode())
            for w in traj.final_weights:
                digest.update(np.ascontiguousarray(w).tobytes())
    return digest.hexdigest()


@dataclass(frozen=True, kw_only=True)
class RunResult(Run):
    """Everything the panels draw for one state: the :class:`Run` and its :class:`RunEnd`."""

    end: RunEnd

    @classmethod
    def of(cls, run: Run, end: RunEnd) -> RunResult:
        return cls(**{f.name: getattr(run, f.name) for f in fields(Run)}, end=end)

    @property
    def limit(self) -> PointAnalysis:
        return self.end.limit

    @property
    def curvature(self) -> core.Curvature:
        return self.end.curvature

    @property
    def discrete_curvature(self) -> core.Curvature | None:
        return self.end.discrete_curvature


def _analyse(
    problem: core.Problem, point: Point, title: str, how: str, pol: core.Polished, flow: str
) -> PointAnalysis:
    cls = core.classify(problem, pol.weights, flow=flow)
    split = core.hessian_split(
        problem, pol.weights, flow=flow, method=split_method(problem.n_params)
    )
    predicted = core.predicted_split(problem, cls.subset, ranks=(cls.rank_R, cls.rank_Z))
    return PointAnalysis(point, title, how, pol, cls, split, predicted)


def analyse_limit(
    problem: core.Problem, traj: core.Trajectory, max_seconds: float | None = None
) -> PointAnalysis:
    """The end of the run, Newton-polished onto the critical set (for at most
    ``max_seconds``)."""
    pol = core.polish(problem, traj.final_weights, flow=traj.flow, max_seconds=max_seconds)
    return _analyse(
        problem,
        Point(),
        f"limit of the run (t = {traj.t_end:.4g})",
        "the run's last point, polished onto the critical set by Newton steps",
        pol,
        traj.flow,
    )


def _polish_seconds(budget: Budget | None, n_params: int, reserve: float = 0.0) -> float | None:
    """What polishing may take of ``budget``, keeping the spectrum's eigendecomposition (and
    ``reserve``) for after it."""
    if budget is None:
        return None
    return budget.share(1, reserve + split_seconds(n_params))


def analyse_point(
    state: AppState, result: RunResult, budget: Budget | None = None
) -> PointAnalysis:
    """The point ``state.point`` names. A plateau is analysed at the critical point of its
    subset that the run visited (``core.nearest_critical_point``), not at the raw plateau
    point, whose O(eps) weights on unused units are not part of that saddle."""
    point, problem, traj = state.point, result.problem, result.trajectory
    if budget is not None and point.kind != "limit":
        budget.check("The Hessian analysis of this point")
    seconds = _polish_seconds(budget, state.n_params)
    if point.kind == "plateau":
        if point.index > len(result.plateaus):
            n = len(result.plateaus)
            return _with_notice(
                result.limit,
                f"plateau {point.index} does not exist (this run has {n}); showing "
                "the limit of the run",
            )
        pl = result.plateaus[point.index - 1]
        pol = core.nearest_critical_point(
            problem, pl.weights, pl.subset, flow=traj.flow, max_seconds=seconds
        )
        return _analyse(
            problem,
            point,
            f"saddle {pl.label} of plateau {point.index} (t = {pl.t_enter:.3g}-{pl.t_exit:.3g})",
            f"the run's closest approach (t = {pl.t_point:.3g}) cut to the rank-{len(pl.subset)} "
            f"critical point of type {pl.label} it visited, then polished",
            pol,
            traj.flow,
        )
    if point.kind == "rung":
        subset = point.zero_based
        Ws = core.critical_point(problem, subset, seed=0)
        if traj.flow == "original":
            Ws = problem.to_original(Ws)
        pol = core.polish(problem, Ws, flow=traj.flow, max_seconds=seconds)
        return _analyse(
            problem,
            point,
            f"constructed critical point of rung {core.label(subset)}",
            "built from Lemma 3.2 (each learned mode on its own path, moved by a random "
            "symmetry), then polished",
            pol,
            traj.flow,
        )
    return result.limit


def point_time(state: AppState, result: Run) -> float | None:
    """The time of the run that ``state.point`` refers to: a plateau's closest approach, the
    end for the limit, none for a constructed rung."""
    point = state.point
    if point.kind == "plateau" and point.index <= len(result.plateaus):
        return result.plateaus[point.index - 1].t_point
    if point.kind == "limit":
        return result.trajectory.t_end
    return None


def _with_notice(analysis: PointAnalysis, notice: str) -> PointAnalysis:
    from dataclasses import replace

    return replace(analysis, notice=notice)


def run_samples(n_params: int) -> int:
    """Samples kept of one run: the weights of each are kept, so at most limits.RUN_VALUES
    values (samples x parameters), and never fewer than limits.MIN_RUN_SAMPLES."""
    n = limits.RUN_VALUES // max(1, n_params)
    return int(min(DEFAULT_SAMPLES, max(limits.MIN_RUN_SAMPLES, n)))


def _run(
    state: AppState, problem: core.Problem, W0_reduced: tuple, flow: str, seconds: float
) -> core.Trajectory:
    W0 = problem.to_original(W0_reduced) if flow == "original" else W0_reduced
    return core.integrate(
        problem,
        W0,
        state.t_max,
        flow=flow,
        rtol=state.rtol,
        max_seconds=seconds,
        n_samples=run_samples(state.n_params),
    )


def comparison_starts(state: AppState, problem: core.Problem) -> list[tuple[str, tuple, str]]:
    """The extra runs drawn beside the main one (several seeds, scales, or the other flow):
    (label, start in reduced coordinates, flow)."""
    if state.compare == "seeds":
        return [
            (
                f"init seed {state.init_seed + k}",
                initial_weights(state, problem, seed=state.init_seed + k),
                state.flow,
            )
            for k in COMPARE_OFFSETS
        ]
    if state.compare == "scales":
        return [
            (
                f"init scale {state.init_scale * f:g}",
                initial_weights(state, problem, scale=state.init_scale * f),
                state.flow,
            )
            for f in COMPARE_FACTORS
        ]
    if state.compare == "flows":
        other = "original" if state.flow == "reduced" else "reduced"
        return [(f"{other} flow", initial_weights(state, problem), other)]
    return []


def compute(state: AppState, budget: Budget | None = None) -> RunResult:
    """Everything every panel shows for ``state`` (uncached; view fields are ignored): the
    runs (:func:`compute_run`) and what follows them (:func:`analyse_end`), on one budget."""
    run = compute_run(state, budget)
    return RunResult.of(run, analyse_end(run, budget))


def compute_run(state: AppState, budget: Budget | None = None) -> Run:
    """The runs of ``state`` (main, comparison and discrete), its ladder, plateaus, rate and
    theory: what the run's panels draw.

    With a ``budget`` (a request's), the whole view's estimated cost is checked first
    (:class:`app.budget.BudgetExceeded` when over) and the runs share what the predictable work
    leaves (the end's estimated cost is kept even where a later request computes the end,
    ``app.explorer.staging``: the first request may compute it too, when the cache is down).
    Without one (command line, exporter) each run may take limits.INTERACTIVE_SECONDS.
    """
    t0 = time.perf_counter()
    state = run_state(state)
    cost = view_cost(state)
    if budget is not None:
        check_cost(cost, budget)

    def seconds(runs_left: int) -> float:
        if budget is None:
            return limits.INTERACTIVE_SECONDS
        return budget.share(runs_left, cost.fixed)

    problem = build_problem(state)
    W0_reduced = initial_weights(state, problem)
    traj = _run(state, problem, W0_reduced, state.flow, seconds(cost.runs))
    others = []
    starts = comparison_starts(state, problem)
    for k, (label, W0, flow) in enumerate(starts):
        others.append((label, _run(state, problem, W0, flow, seconds(len(starts) - k))))
    discrete = None
    if state.algorithm != "flow":
        W0 = problem.to_original(W0_reduced) if state.flow == "original" else W0_reduced
        discrete = core.gradient_descent(
            problem,
            W0,
            lr=state.eta,
            steps=state.discrete_steps,
            flow=state.flow,
            momentum=state.discrete_momentum,
            n_samples=run_samples(state.n_params),
            max_seconds=limits.INTERACTIVE_SECONDS
            if budget is None
            else budget.share(1, cost.analysis + cost.slice),
        )
    return Run(
        state=state,
        problem=problem,
        trajectory=traj,
        discrete=discrete,
        ladder=core.ladder(problem),
        plateaus=core.plateaus(problem, traj),
        seconds=time.perf_counter() - t0,
        others=tuple(others),
        rate=core.exponential_rate(problem, W0_reduced),
        theory=theory(state, problem, W0_reduced, traj),
    )


def analyse_end(run: Run, budget: Budget | None = None) -> RunEnd:
    """The limit of ``run`` polished and analysed, and the curvature along its runs. With a
    ``budget``, polishing keeps the spectrum's and the slice's estimated cost for after it."""
    polish = _polish_seconds(budget, run.state.n_params, view_cost(run.state).slice)
    discrete = run.discrete
    return RunEnd(
        limit=analyse_limit(run.problem, run.trajectory, polish),
        curvature=curvature_along(run.problem, run.trajectory),
        discrete_curvature=None if discrete is None else curvature_along(run.problem, discrete),
        run=run_fingerprint(run),
    )
