"""The network's output for each item over time: a heat map with one row per (item, output),
items in blocks, on the time axis L(t) uses (the time cursor follows it), and the targets in a
narrow column at the right. Shows the stage-like learning of Saxe, McClelland & Ganguli (2019):
properties shared by many items appear first."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

import core
from app.figures.common import base_layout

N_TIMES = 90  # Columns of the heat map: times log-spaced over the window.
MAX_ROWS = 64  # At most this many (sample, output) rows; later samples are left out.
COLORSCALE = "Cividis"  # sequential and colour-blind safe; targets in [0, 1] map to its ends
TARGET_DOMAIN = 0.94  # the heat map takes the width up to here, the targets the rest


def network_outputs(
    problem: core.Problem, trajectory: core.Trajectory, samples: int | None = None
) -> np.ndarray:
    """The network's outputs on the data, P(t) X, shape (n, dy, m), from the trajectory's
    weights in its own flow's coordinates (reduced products mapped back to the data's); only
    the first ``samples`` columns of X if given (n x dy x m floats can be ~100 MB)."""
    P = core.end_to_end(trajectory.weights)
    if trajectory.flow == "reduced":  # P = U_Y Pbar (U_X S_X V_Y)^-1
        inv_right = (np.asarray(problem.v_y).T / np.asarray(problem.s_x)) @ np.asarray(
            problem.u_x
        ).T
        P = np.asarray(problem.u_y) @ P @ inv_right
    return np.asarray(P @ np.asarray(problem.X)[:, :samples])


def outputs_figure(
    problem: core.Problem,
    trajectory: core.Trajectory,
    window: tuple[float, float],
    shades: list[dict[str, Any]],
    item_names: tuple[str, ...] = (),
    output_names: tuple[str, ...] = (),
) -> go.Figure:
    """Heat map of the outputs (rows: items in blocks, each block its outputs in order;
    columns: log-spaced times in ``window``), the targets Y at the right. Without names the
    samples are "sample j" and the outputs "y_i"."""
    dy, m = problem.dy, problem.m
    shown = max(1, min(m, MAX_ROWS // dy))
    items = item_names or tuple(f"sample {j + 1}" for j in range(m))
    outs = output_names or tuple(f"y{i + 1}" for i in range(dy))
    x_lo, t_hi = window
    times = np.geomspace(x_lo, t_hi, N_TIMES)
    Yhat = network_outputs(problem, trajectory, shown)  # (n, dy, shown)
    flat = Yhat.transpose(0, 2, 1).reshape(Yhat.shape[0], -1)  # item-major
    z = np.stack([np.interp(times, trajectory.t, flat[:, r]) for r in range(flat.shape[1])])
    target = np.asarray(problem.Y)[:, :shown].T.reshape(-1, 1)
    rows = [f"{items[j]}: {outs[i]}" for j in range(shown) for i in range(dy)]
    y = np.arange(len(rows))
    binary = bool(np.all((target == 0) | (target == 1)))
    lo, hi = (0.0, 1.0) if binary else (float(min(z.min(), target.min())), float(target.max()))
    colors = {"colorscale": COLORSCALE, "zmin": lo, "zmax": hi}
    custom = np.array([rows] * len(times), dtype=object).T
    fig = go.Figure()
    fig.add_trace(
        go.Heatmap(
            x=times,
            y=y,
            z=z,
            customdata=custom,
            name="network output",
            colorbar={"title": {"text": "output"}, "len": 0.9, "thickness": 12},
            hovertemplate="%{customdata}<br>t = %{x:.4g}<br>output %{z:.3f}<extra></extra>",
            **colors,
        )
    )
    fig.add_trace(
        go.Heatmap(
            x=["target"],
            y=y,
            z=target,
            xaxis="x2",
            customdata=np.array(rows, dtype=object)[:, None],
            name="target Y",
            showscale=False,
            hovertemplate="%{customdata}: target %{z:g}<extra></extra>",
            **colors,
        )
    )
    # Each item's block lists its outputs top to bottom, named by their last word.
    title = "rows per item: " + " · ".join(name.split()[-1] for name in outs)
    if shown < m:
        title += f" (first {shown} of {m} samples)"
    base_layout(fig, title, "time t (log scale)", "")
    block = [(j * dy + (dy - 1) / 2.0) for j in range(shown)]
    lines = [
        dict(
            type="line",
            xref="paper",
            yref="y",
            x0=0,
            x1=1,
            y0=j * dy - 0.5,
            y1=j * dy - 0.5,
            line={"color": "white", "width": 2},
        )
        for j in range(1, shown)
    ]
    fig.update_layout(
        title={"font": {"size": 13}},
        xaxis={
            "type": "log",
            "range": [float(np.log10(x_lo)), float(np.log10(t_hi))],
            "domain": [0.0, TARGET_DOMAIN - 0.01],
        },
        # The target column is named above it (axis tick labels make room for themselves):
        # under it, "target" ran into the time axis's last tick label.
        xaxis2={
            "domain": [TARGET_DOMAIN, 1.0],
            "anchor": "y",
            "side": "top",
            "showgrid": False,
            "tickfont": {"size": 11},
        },
        yaxis={
            "tickvals": block,
            "ticktext": list(items[:shown]),
            "autorange": "reversed",
            "showgrid": False,
            "zeroline": False,
        },
        shapes=[*shades, *lines],
        margin={"t": 40, "b": 44, "r": 10},
        showlegend=False,
    )
    for sh in fig.layout.shapes:
        if sh.type == "rect":  # plateau shades go over the heat map, outlined only
            sh.fillcolor, sh.layer = "rgba(0,0,0,0)", "above"
            sh.line = {"color": "rgba(230, 159, 0, 0.9)", "width": 1.5, "dash": "dot"}
    return fig
