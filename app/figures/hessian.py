"""The Hessian spectrum at a point: sorted eigenvalues coloured by sign, on a symlog-like scale."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

import core
from app.figures.common import NEG_COLOR, POS_COLOR, ZERO_COLOR, base_layout

ABS_FLOOR = 1e-18  # |lambda| exactly zero is drawn here on the log axis.


def _fmt(v: int | None) -> str:
    return "?" if v is None else str(v)


def hessian_figure(
    split: core.HessianSplit, predicted: core.PredictedSplit, title: str = ""
) -> go.Figure:
    """|lambda| of every eigenvalue on a log axis (tiny and large ones both visible), sorted
    ascending by lambda, coloured and shaped by sign; the zero threshold as a line."""
    ev = split.eigenvalues
    idx = np.arange(1, ev.size + 1)
    tol = split.rel_tol * split.scale
    groups = (
        (ev < -tol, "negative", NEG_COLOR, "triangle-down"),
        (np.abs(ev) <= tol, "zero (within tolerance)", ZERO_COLOR, "circle-open"),
        (ev > tol, "positive", POS_COLOR, "triangle-up"),
    )
    fig = go.Figure()
    for mask, name, color, symbol in groups:
        if not mask.any():
            continue
        fig.add_trace(
            go.Scatter(
                x=idx[mask],
                y=np.maximum(np.abs(ev[mask]), ABS_FLOOR),
                mode="markers",
                name=f"{name}: {int(mask.sum())}",
                marker={"color": color, "symbol": symbol, "size": 7},
                customdata=ev[mask],
                hovertemplate="#%{x}<br>lambda = %{customdata:.4e}<extra></extra>",
            )
        )
    if tol > 0:
        fig.add_hline(
            y=tol,
            line={"color": "#666", "dash": "dot", "width": 1},
            annotation_text=f"zero tolerance {split.rel_tol:.0e} x max|lambda|",
            annotation_position="top left",
            annotation_font_size=10,
        )
    measured = f"measured (n-, n0, n+) = ({split.n_neg}, {_fmt(split.n_zero)}, {_fmt(split.n_pos)})"
    theory = "theory (" + ", ".join(_fmt(v) for v in predicted.counts) + ")"
    base_layout(
        fig,
        title or "Hessian spectrum",
        "eigenvalue index (sorted by lambda)",
        "|lambda| (log scale)",
    )
    fig.update_yaxes(type="log", exponentformat="power")
    fig.add_annotation(
        x=0,
        y=-0.3,
        xref="paper",
        yref="paper",
        showarrow=False,
        xanchor="left",
        text=f"{measured} · {theory}",
        font={"size": 11, "color": "#444"},
    )
    fig.update_layout(margin={"b": 80})
    return fig
