"""The trajectory: paths, landmarks, and a marker the browser moves along the run.

The figure holds no controls: the explorer's player (``assets/player.js``) plays it with its own
buttons and slider, and static exports stay clean. Frames are spaced where the run changes
(arc length of the path in the frame, and loss drop), not in time: a plateau that lasts 1/eps
passes in a few frames, a transition gets many. ``layout.meta`` carries the frames: their times,
the marker's positions and the index of the marker trace.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from app.figures.common import PALETTE, RUN_COLORS, base_layout, message_figure
from app.figures.projections import Curve, Projection

N_FRAMES = 120  # Animation frames (the player shows one per tick).
MARKER_NAME = "now"
CORNER_NAME = "critical points"
HEIGHT_3D = 560  # px: a 3-D scene needs room to read its axes


def progress(curve: Curve, bounds: np.ndarray | None = None) -> np.ndarray:
    """How far the run has come at each sample, from 0 to 1: the mean of its arc length in the
    frame (each axis scaled by its range) and its cumulative loss change, each normalised."""
    pts = curve.points
    scale = (bounds[:, 1] - bounds[:, 0]) if bounds is not None else np.ptp(pts, axis=0)
    steps = np.diff(pts, axis=0) / np.maximum(scale, 1e-300)
    parts = [np.linalg.norm(np.nan_to_num(steps), axis=1), np.abs(np.diff(curve.loss))]
    total = np.zeros(pts.shape[0])
    used = 0
    for d in parts:
        cum = np.concatenate([[0.0], np.cumsum(d)])
        if cum[-1] > 0 and np.isfinite(cum[-1]):
            total += cum / cum[-1]
            used += 1
    if not used:
        return np.linspace(0.0, 1.0, pts.shape[0])
    return total / used


def frames(
    curve: Curve, bounds: np.ndarray | None = None, n: int = N_FRAMES, at: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Times (k,) and marker positions (k, dims) of about n frames spaced evenly in
    :func:`progress`, interpolated along the path between samples (a fast transition falls
    between a few samples), with the first and last sample, and time ``at`` if given."""
    s = progress(curve, bounds)
    keep = np.concatenate([[True], np.diff(s) > 0])  # drop samples where nothing moved
    sk, tk, pk = s[keep], curve.t[keep], curve.points[keep]
    if sk.size < 2:
        return curve.t[:1], curve.points[:1]
    want = np.linspace(0.0, 1.0, n)
    times = np.interp(want, sk, tk)
    if at is not None:
        times = np.unique(np.concatenate([times, [at]]))
    # Positions at those times, linear in t between the samples that bracket them.
    points = np.stack(
        [np.interp(times, curve.t, curve.points[:, j]) for j in range(pk.shape[1])], 1
    )
    return times, points


def _xyz(points: np.ndarray) -> dict[str, Any]:
    out = {"x": points[:, 0], "y": points[:, 1]}
    if points.shape[1] > 2:
        out["z"] = points[:, 2]
    return out


def trajectory_figure(proj: Projection, at: float | None = None) -> go.Figure:
    """Paths of every run, the landmarks, and a marker on the first run (at time ``at``, else at
    the start) that frames move."""
    if proj.message or not proj.curves:
        return message_figure(proj.message or "nothing to draw")
    fig = go.Figure()
    three_d = proj.curves[0].points.shape[1] == 3
    Scatter = go.Scatter3d if three_d else go.Scatter
    for label, line in proj.level_sets:
        fig.add_trace(
            go.Scatter(
                x=line[:, 0],
                y=line[:, 1],
                mode="lines",
                name=label,
                line={"color": "#8a8a8a", "width": 1.5, "dash": "dot"},
                hoverinfo="name",
                legendgroup=label,
                showlegend=label not in {t.name for t in fig.data},
            )
        )
    if proj.corners:
        pts = np.array([p for _, p in proj.corners])
        fig.add_trace(
            Scatter(
                **_xyz(pts),
                mode="markers",
                name=CORNER_NAME,
                # "x" has no glyph in 3-D scenes (Debian chromium draws an empty box).
                marker={
                    "symbol": "diamond" if three_d else "x-thin-open",
                    "size": 6 if three_d else 10,
                    "color": PALETTE["black"],
                    "line": {"width": 2, "color": PALETTE["black"]},
                },
                hovertext=[lab for lab, _ in proj.corners],
                hoverinfo="text",
            )
        )
    for k, c in enumerate(proj.curves):
        hover = "t = %{customdata[0]:.4g}<br>L = %{customdata[1]:.6g}"
        custom = [c.t, c.loss]
        if c.note is not None:
            hover += f"<br>{c.note_name} = " + "%{customdata[2]:.3g}"
            custom.append(c.note)
        fig.add_trace(
            Scatter(
                **_xyz(c.points),
                mode="lines",
                name=c.label,
                line={
                    "color": RUN_COLORS[k % len(RUN_COLORS)],
                    "width": 4 if three_d else 3,
                    "dash": "solid" if k == 0 else "dash",
                },
                customdata=np.stack(custom, axis=1),
                hovertemplate=hover + "<extra>" + c.label + "</extra>",
            )
        )
    main = proj.curves[0]
    times, where = frames(main, proj.bounds, at=at)
    start = 0 if at is None else int(np.argmin(np.abs(times - at)))
    marker = {
        "size": 8 if three_d else 13,
        "color": PALETTE["orange"],
        "line": {"width": 2, "color": "#000"},
    }
    fig.add_trace(
        Scatter(
            **_xyz(where[start : start + 1]),
            mode="markers",
            name=MARKER_NAME,
            marker=marker,
            hovertemplate=f"t = {times[start]:.4g}<extra>now</extra>",
        )
    )
    # The player moves this one trace with Plotly.restyle from the positions in meta: plotly
    # frames cost ~1 ms each to build and validate on the server (120 of them, every redraw).
    positions = where.tolist()
    title = proj.title
    if proj.clipped:
        title = (title + "; " if title else "") + f"{', '.join(proj.clipped)} leaves the frame"
    base_layout(fig, title, proj.axis_titles[0], proj.axis_titles[1])
    if title:
        fig.update_layout(title={"font": {"size": 12}, "y": 0.99, "yanchor": "top"})
    fig.update_layout(
        meta={
            "times": [float(t) for t in times],
            "positions": positions,
            "trace": len(fig.data) - 1,
            "start": start,
        },
        legend={"orientation": "h", "y": 1.04, "x": 0.0, "yanchor": "bottom", "xanchor": "left"},
        margin={"t": 70, "b": 50},
    )
    if three_d:
        b = proj.bounds
        names3 = zip(("xaxis", "yaxis", "zaxis"), proj.axis_titles, strict=True)
        axes = {
            axis: {"title": {"text": label}, **({"range": list(b[k])} if b is not None else {})}
            for k, (axis, label) in enumerate(names3)
        }
        fig.update_layout(
            scene={**axes, "aspectmode": "cube", "domain": {"x": [0, 1], "y": [0, 1]}},
            height=HEIGHT_3D,
            margin={"l": 0, "r": 0, "t": 90, "b": 0},
        )
    elif proj.bounds is not None:
        fig.update_xaxes(range=list(proj.bounds[0]))
        fig.update_yaxes(range=list(proj.bounds[1]))
    return fig
