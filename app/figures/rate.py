"""Proposition 2: ||M(t)||^2 against the bound ||M(0)||^2 exp(-2 alpha t)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from app.figures.common import FLOW_COLOR, PALETTE, base_layout
from core import measured_rate


def rate_figure(t: np.ndarray, m_sq: np.ndarray, bound: np.ndarray, alpha: float) -> go.Figure:
    """||M(t)||^2 (computed from the residual, ``core.residual_sq``) against the bound
    ||M(0)||^2 exp(-2 alpha t); the measured rate in the title."""
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=t,
            y=np.maximum(m_sq, 1e-30),
            mode="lines",
            name="||M(t)||^2 (reduced flow)",
            line={"color": FLOW_COLOR, "width": 2.5},
            hovertemplate="t = %{x:.4g}<br>||M||^2 = %{y:.4e}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=t,
            y=bound,
            mode="lines",
            name=f"bound, alpha = {alpha:.4g}",
            line={"color": PALETTE["vermillion"], "dash": "dash", "width": 2},
            hovertemplate="t = %{x:.4g}<br>bound = %{y:.4e}<extra></extra>",
        )
    )
    rate = measured_rate(t, m_sq)
    base_layout(
        fig,
        f"Proposition 2: measured rate {rate:.4g} vs alpha = {alpha:.4g}",
        "time t",
        "||Sigma_Y - W_{H+1}...W_1||_F^2",
    )
    fig.update_yaxes(type="log", exponentformat="power")
    return fig
