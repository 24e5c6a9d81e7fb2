"""One function per figure: (state, run) -> go.Figure, shared by the app's callbacks and the
exporter. Callers fetch the run once (:func:`figures`, or ``get_result``) and pass it in.

They read the cached computation and hand it to the pure figure builders; errors propagate (the
callbacks turn them into messages, the exporter into an ExportError).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import plotly.graph_objects as go

from app.compute import RunResult, get_point, get_result, get_slice
from app.figures import drift_figure, hessian_figure, loss_figure
from app.figures.common import message_figure
from app.figures.rate import measured_rate, rate_figure
from app.figures.slice import slice_figure
from app.figures.trajectory import trajectory_figure
from app.projections import project
from app.state import AppState

DISCRETE_LABELS = {"gd": "gradient descent", "momentum": "heavy-ball momentum"}


def loss_view(state: AppState, r: RunResult) -> go.Figure:
    return loss_figure(
        r.trajectory,
        r.ladder,
        r.plateaus,
        r.discrete,
        state.loss_axis,
        DISCRETE_LABELS.get(state.algorithm, ""),
    )


def drift_view(state: AppState, r: RunResult) -> go.Figure:
    return drift_figure(r.trajectory, r.discrete, DISCRETE_LABELS.get(state.algorithm, ""))


def hessian_view(state: AppState, r: RunResult) -> go.Figure:
    point = get_point(state, r)
    return hessian_figure(point.split, point.predicted, f"Hessian spectrum: {point.title}")


def trajectory_view(state: AppState, r: RunResult) -> go.Figure:
    return trajectory_figure(project(r, state))


def slice_view(state: AppState, r: RunResult) -> go.Figure:
    sl = get_slice(state, r)
    sp = sl.point.split
    center = (
        f"{sl.point.title}: S = {sl.point.classification.label}, split (n-, n0, n+) = "
        f"({sp.n_neg}, {sp.n_zero}, {sp.n_pos})"
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


def rate_view(state: AppState, r: RunResult) -> tuple[str, go.Figure]:
    """Proposition 2's verdict (a sentence) and its figure."""
    rate = r.rate
    if rate is None:
        return "", message_figure("")
    if state.flow != "reduced":
        return (
            "Proposition 2 is a statement about the reduced flow (GDD); switch the flow to "
            "'reduced' to compare.",
            message_figure("reduced flow only"),
        )
    if not rate.holds:
        return (
            f"Hypotheses do not hold: {rate.reason}.",
            message_figure("Proposition 2 does not apply to this start"),
        )
    tr = r.trajectory
    m_sq = 2.0 * (tr.loss - r.problem.offset)
    lams = ", ".join(f"{v:.4g}" for v in rate.eigenvalues)
    text = (
        f"Hypotheses hold: eigenvalues used ({lams}), alpha = {rate.alpha:.4g}; measured "
        f"rate {measured_rate(tr.t, m_sq):.4g}."
    )
    return text, rate_figure(tr.t, m_sq, rate.bound(tr.t), rate.alpha)


VIEWS: dict[str, Callable[[AppState, RunResult], go.Figure]] = {
    "loss": loss_view,
    "trajectory": trajectory_view,
    "hessian": hessian_view,
    "drift": drift_view,
    "slice": slice_view,
    "rate": lambda state, r: rate_view(state, r)[1],
}


def figures(state: AppState, kinds: Iterable[str]) -> dict[str, go.Figure]:
    """The named figures of ``state``, all drawn from one fetch of its run."""
    r = get_result(state)
    return {kind: VIEWS[kind](state, r) for kind in kinds}
