"""The invariant drift max_j ||C_j(t) - C_j(0)|| / max(1, ||C_j(0)||) along the runs."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

import core
from app.figures.common import DISCRETE_COLOR, FLOW_COLOR, base_layout

DRIFT_FLOOR = 1e-17  # Exact zeros are drawn at this level on the log axis.


def drift_figure(
    trajectory: core.Trajectory,
    discrete: core.Trajectory | None = None,
    discrete_label: str = "gradient descent",
) -> go.Figure:
    fig = go.Figure()
    for traj, name, color, dash in (
        (trajectory, f"gradient flow ({trajectory.flow})", FLOW_COLOR, "solid"),
        (discrete, discrete_label, DISCRETE_COLOR, "dash"),
    ):
        if traj is None:
            continue
        keep = traj.t > 0
        fig.add_trace(
            go.Scatter(
                x=traj.t[keep],
                y=np.maximum(traj.invariant_drift[keep], DRIFT_FLOOR),
                mode="lines",
                name=name,
                line={"color": color, "width": 2, "dash": dash},
                hovertemplate="t = %{x:.4g}<br>drift = %{y:.3e}<extra></extra>",
            )
        )
    base_layout(
        fig,
        "Invariants: drift of C_j = W_{j+1}^T W_{j+1} - W_j W_j^T",
        "time t (log scale)",
        "max_j ||C_j(t) - C_j(0)|| (relative)",
    )
    fig.update_xaxes(type="log")
    fig.update_yaxes(type="log", exponentformat="power")
    return fig
