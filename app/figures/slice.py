"""The loss on a plane through a point, with the run projected onto it."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from app.figures.common import PALETTE, base_layout


def slice_figure(
    alphas: np.ndarray,
    betas: np.ndarray,
    loss: np.ndarray,
    coords: np.ndarray,
    distance: np.ndarray,
    t: np.ndarray,
    axis_labels: tuple[str, str],
    center_label: str,
    kind: str = "contour",
    run_loss: np.ndarray | None = None,
) -> go.Figure:
    """Contour or surface of L(center + a d1 + b d2); the run's projection with its distance to
    the plane on hover; the centre marked with its Hessian split (in the legend)."""
    fig = go.Figure()
    inside = (
        (coords[:, 0] >= alphas[0])
        & (coords[:, 0] <= alphas[-1])
        & (coords[:, 1] >= betas[0])
        & (coords[:, 1] <= betas[-1])
    )
    custom = np.stack([t, distance], axis=1)
    hover = (
        "a = %{x:.3g}, b = %{y:.3g}<br>t = %{customdata[0]:.4g}<br>distance to plane = "
        "%{customdata[1]:.3g}<extra>run</extra>"
    )
    center_value = float(loss[loss.shape[0] // 2, loss.shape[1] // 2])
    if kind == "surface":
        fig.add_trace(
            go.Surface(
                x=alphas,
                y=betas,
                z=loss,
                colorscale="Viridis",
                colorbar={"title": {"text": "L"}},
                name="loss",
                hovertemplate="a = %{x:.3g}<br>b = %{y:.3g}<br>L = %{z:.6g}<extra></extra>",
            )
        )
        fig.add_trace(
            go.Scatter3d(
                x=[0.0],
                y=[0.0],
                z=[center_value],
                mode="markers",
                name=center_label,
                marker={"size": 6, "color": PALETTE["orange"]},
            )
        )
        if run_loss is not None and inside.any():
            fig.add_trace(
                go.Scatter3d(
                    x=coords[inside, 0],
                    y=coords[inside, 1],
                    z=run_loss[inside],
                    mode="lines",
                    name="run (projected, at its own loss)",
                    line={"color": "#ffffff", "width": 5},
                    customdata=custom[inside],
                    hovertemplate="t = %{customdata[0]:.4g}<br>distance to plane = "
                    "%{customdata[1]:.3g}<br>L = %{z:.6g}<extra>run</extra>",
                )
            )
        fig.update_layout(
            scene={"xaxis_title": axis_labels[0], "yaxis_title": axis_labels[1], "zaxis_title": "L"}
        )
    else:
        fig.add_trace(
            go.Contour(
                x=alphas,
                y=betas,
                z=loss,
                colorscale="Viridis",
                ncontours=30,
                # Unsmoothed contour lines: invisible at 101 x 101, ~4 ms less to draw.
                line={"smoothing": 0},
                colorbar={"title": {"text": "L"}},
                name="loss",
                hovertemplate="a = %{x:.3g}<br>b = %{y:.3g}<br>L = %{z:.6g}<extra></extra>",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=coords[inside, 0],
                y=coords[inside, 1],
                # Lines only: a marker at each of ~1000 samples doubled the panel's draw time.
                mode="lines",
                name="run (projected)",
                line={"color": "#ffffff", "width": 2},
                customdata=custom[inside],
                hovertemplate=hover,
            )
        )
        fig.add_trace(
            go.Scatter(
                x=[0.0],
                y=[0.0],
                mode="markers",
                name=center_label,
                marker={
                    "size": 14,
                    "color": PALETTE["orange"],
                    "symbol": "x",
                    "line": {"width": 2, "color": "#000"},
                },
            )
        )
    base_layout(fig, "Loss on a plane through the point", axis_labels[0], axis_labels[1])
    fig.update_layout(legend={"y": -0.22})
    return fig
