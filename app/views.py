"""The explorer's views: (state, results) -> ``go.Figure``, shared by the app's callbacks and the
exporter. Pure: callers hand in the results (cached in the app, computed in the exporter);
:func:`figures` computes whatever a caller did not pass."""

from __future__ import annotations

import re
from collections.abc import Iterable

import plotly.graph_objects as go

import core
from app.computation import (
    PointAnalysis,
    Run,
    RunResult,
    analyse_end,
    analyse_point,
    compute_run,
    point_time,
)
from app.figures.common import PROJECTOR_FONT, for_projector, message_figure
from app.figures.curvature import curvature_figure
from app.figures.hessian import counts_text, hessian_figure
from app.figures.invariants import drift_figure
from app.figures.loss import loss_figure, plateau_shades, time_window
from app.figures.outputs import outputs_figure
from app.figures.projections import project
from app.figures.rate import rate_figure
from app.figures.slice import slice_figure
from app.figures.trajectory import trajectory_figure
from app.slicing import SliceResult, compute_slice
from app.state import AppState
from core.curvature import stability_limit

DISCRETE_LABELS = {"gd": "gradient descent", "momentum": "heavy-ball momentum"}
# The figures a view can be exported as (the rate figure is also the explorer's).
FIGURES = ("loss", "trajectory", "hessian", "drift", "slice", "rate", "curvature", "outputs")
# The figures drawn from the run's end (app.computation.RunEnd), the rest from the run alone.
END_FIGURES = frozenset({"hessian", "slice", "curvature"})


def view_name(state: AppState) -> str:
    """A file name that says which view this is: the preset, or the problem and the start."""
    if state.preset:
        return f"linflow-{state.preset}"
    if state.source == "spectrum":
        source = "s" + "-".join(f"{v:g}" for v in state.spectrum)
    else:
        source = state.source
    start = f"{state.init_kind}{state.init_scale:g}-seed{state.init_seed}"
    return re.sub(r"[^A-Za-z0-9._-]+", "_", f"linflow-{source}-H{state.depth}-{start}")


def discrete_label(state: AppState) -> str:
    return DISCRETE_LABELS.get(state.algorithm, "")


def loss_view(state: AppState, r: Run) -> go.Figure:
    th = r.theory
    return loss_figure(
        r.trajectory,
        r.ladder,
        r.plateaus,
        r.discrete,
        state.loss_axis,
        discrete_label(state),
        others=r.others,
        label_px=PROJECTOR_FONT - 2 if state.present else 10.0,
        aligned=th.aligned if th else None,
        exits=th.exits if th else None,
        mode_names=tuple(name for name, _ in th.modes) if th else (),
    )


def _window(r: Run) -> tuple[float, float]:
    """L(t)'s time axis, which the other time-axis figures share."""
    _, t_hi, x_lo = time_window(r.trajectory, [o for _, o in r.others], r.discrete)
    return x_lo, t_hi


def flattest_sharpness(r: Run) -> float | None:
    """lambda_max at a balanced global minimum, (H+1) s_1^(2H/(H+1)) (NOTES.md), the flattest
    global minimum; None for the original flow on data that are not whitened (its metric
    X X^T changes the value)."""
    p = r.problem
    if r.trajectory.flow == "original" and not p.is_whitened:
        return None
    H = p.depth
    return float((H + 1) * p.singular_values[0] ** (2 * H / (H + 1)))


def curvature_view(state: AppState, r: RunResult) -> go.Figure:
    limit = None
    if r.discrete is not None:
        beta = state.discrete_momentum
        name = "2/η" if beta == 0 else "2(1+β)/η"
        limit = (name, stability_limit(state.eta, beta))
    shades = plateau_shades(r.plateaus, time_window(r.trajectory)[0])
    return curvature_figure(
        r.curvature,
        _window(r),
        shades,
        r.discrete_curvature,
        discrete_label(state),
        limit=limit,
        flattest=flattest_sharpness(r),
    )


def outputs_view(state: AppState, r: Run) -> go.Figure:
    ds = r.theory.dataset if r.theory is not None else None
    shades = plateau_shades(r.plateaus, time_window(r.trajectory)[0])
    names = (ds.item_names, ds.property_names) if ds is not None else ((), ())
    return outputs_figure(r.problem, r.trajectory, _window(r), shades, *names)


def drift_view(state: AppState, r: Run) -> go.Figure:
    return drift_figure(r.trajectory, r.discrete, discrete_label(state))


def hessian_view(state: AppState, r: RunResult, point: PointAnalysis) -> go.Figure:
    title = f"Hessian spectrum: {point.title}"
    return hessian_figure(point.split, point.predicted, title, n_params=r.problem.n_params)


def trajectory_view(state: AppState, r: Run) -> go.Figure:
    """The trajectory, its marker at the story's point when a story is on (else at the start)."""
    at = point_time(state, r) if state.step else None
    return trajectory_figure(project(r, state), at=at)


def slice_view(state: AppState, r: RunResult, sl: SliceResult) -> go.Figure:
    sp = sl.point.split
    center = (
        f"{sl.point.title}: S = {sl.point.classification.label}, split (n-, n0, n+) = "
        f"{counts_text(sp)}"
    )
    traj = r.trajectory
    return slice_figure(
        sl.plane.alphas,
        sl.plane.betas,
        sl.plane.loss,
        sl.coords,
        sl.distance,
        traj.t,
        sl.labels,
        center,
        state.slice_kind,
        run_loss=traj.loss,
    )


def rate_text(state: AppState, r: Run) -> str:
    """Proposition 2's verdict for this start, as a sentence (empty when there is none)."""
    rate = r.rate
    if rate is None:
        return ""
    if state.flow != "reduced":
        return (
            "Proposition 2 is a statement about the reduced flow (GDD); switch the flow to "
            "'reduced' to compare."
        )
    if not rate.holds:
        return f"Hypotheses do not hold: {rate.reason}."
    tr = r.trajectory
    lams = ", ".join(f"{v:.4g}" for v in rate.eigenvalues)
    measured = core.measured_rate(tr.t, core.residual_sq(r.problem, tr))
    return (
        f"Hypotheses hold: eigenvalues used ({lams}), alpha = {rate.alpha:.4g}; measured "
        f"rate {measured:.4g}."
    )


def rate_applies(state: AppState, r: Run) -> bool:
    return r.rate is not None and r.rate.holds and state.flow == "reduced"


def rate_view(state: AppState, r: Run) -> go.Figure:
    if not rate_applies(state, r):
        why = "reduced flow only" if state.flow != "reduced" else "Proposition 2 does not apply"
        return message_figure(why + " (see the text above)")
    tr, rate = r.trajectory, r.rate
    assert rate is not None
    return rate_figure(tr.t, core.residual_sq(r.problem, tr), rate.bound(tr.t), rate.alpha)


def figures(
    state: AppState,
    kinds: Iterable[str],
    result: Run | None = None,
    point: PointAnalysis | None = None,
    sl: SliceResult | None = None,
) -> dict[str, go.Figure]:
    """The named figures of ``state``, drawn from one computation of its results (those not
    passed in are computed here, uncached: a :class:`Run` is completed by its end only if a
    figure of the end is asked for)."""
    kinds = list(kinds)
    unknown = [k for k in kinds if k not in FIGURES]
    if unknown:
        raise ValueError(f"unknown figures {unknown}; choose from {', '.join(FIGURES)}")
    r = compute_run(state) if result is None else result
    if END_FIGURES & set(kinds) and not isinstance(r, RunResult):
        r = RunResult.of(r, analyse_end(r))
    needs_point = any(k in ("hessian", "slice") for k in kinds)
    if needs_point and point is None:
        assert isinstance(r, RunResult)
        point = analyse_point(state, r)
    if "slice" in kinds and sl is None:
        assert point is not None and isinstance(r, RunResult)
        sl = compute_slice(state, r, point)
    out: dict[str, go.Figure] = {}
    for kind in kinds:
        out[kind] = _view(kind, state, r, point, sl)
        if state.present:
            for_projector(out[kind])
    return out


def _view(
    kind: str,
    state: AppState,
    r: Run,
    point: PointAnalysis | None,
    sl: SliceResult | None,
) -> go.Figure:
    if kind in END_FIGURES:
        assert isinstance(r, RunResult)
        if kind == "curvature":
            return curvature_view(state, r)
        if kind == "hessian":
            assert point is not None
            return hessian_view(state, r, point)
        assert sl is not None
        return slice_view(state, r, sl)
    simple = {
        "loss": loss_view,
        "trajectory": trajectory_view,
        "drift": drift_view,
        "rate": rate_view,
        "outputs": outputs_view,
    }
    return simple[kind](state, r)
