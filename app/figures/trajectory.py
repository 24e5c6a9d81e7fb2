"""The animated trajectory: paths, landmarks, and a marker moved by plotly frames in the browser."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from app.figures.common import PALETTE, RUN_COLORS, base_layout, message_figure
from app.figures.projections import Projection

N_FRAMES = 120  # Animation frames, at log-spaced times (plateaus and escapes both visible).
SPEEDS = (("slow", 160), ("normal", 60), ("fast", 15))  # frame durations in ms
MARKER_NAME = "now"


def frame_indices(t: np.ndarray, n: int = N_FRAMES) -> np.ndarray:
    """Sample indices nearest to n log-spaced times in (0, t_end], always with 0 and the end."""
    pos = t[t > 0]
    if pos.size == 0:
        return np.array([0])
    want = np.geomspace(pos[0], t[-1], n)
    idx = np.searchsorted(t, want).clip(0, t.size - 1)
    return np.unique(np.concatenate([[0], idx, [t.size - 1]]))


def _xyz(points: np.ndarray) -> dict:
    out = {"x": points[:, 0], "y": points[:, 1]}
    if points.shape[1] > 2:
        out["z"] = points[:, 2]
    return out


def trajectory_figure(proj: Projection) -> go.Figure:
    """Paths of every run, the landmarks, and an animated marker on the first run."""
    fig = go.Figure()
    if proj.message or not proj.curves:
        return message_figure(proj.message or "nothing to draw")
    three_d = proj.curves[0].points.shape[1] == 3
    Scatter = go.Scatter3d if three_d else go.Scatter
    for label, line in proj.level_sets:
        fig.add_trace(
            go.Scatter(
                x=line[:, 0],
                y=line[:, 1],
                mode="lines",
                name=label,
                line={"color": "#9a9a9a", "width": 1, "dash": "dot"},
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
                name="critical points (corners)",
                marker={
                    "symbol": "x" if three_d else "x-thin-open",
                    "size": 9,
                    "color": PALETTE["black"],
                    "line": {"width": 2, "color": PALETTE["black"]},
                },
                hovertext=[lab for lab, _ in proj.corners],
                hoverinfo="text",
            )
        )
    for k, c in enumerate(proj.curves):
        hover = "t = %{customdata[0]:.4g}"
        custom = [c.t]
        if c.note is not None:
            hover += f"<br>{c.note_name} = " + "%{customdata[1]:.3g}"
            custom.append(c.note)
        fig.add_trace(
            Scatter(
                **_xyz(c.points),
                mode="lines",
                name=c.label,
                line={
                    "color": RUN_COLORS[k % len(RUN_COLORS)],
                    "width": 3,
                    "dash": "solid" if k == 0 else "dash",
                },
                customdata=np.stack(custom, axis=1),
                hovertemplate=hover + "<extra>" + c.label + "</extra>",
            )
        )
    main = proj.curves[0]
    idx = frame_indices(main.t)
    marker = {"size": 13, "color": PALETTE["orange"], "line": {"width": 2, "color": "#000"}}
    fig.add_trace(
        Scatter(
            **_xyz(main.points[idx[:1]]),
            mode="markers",
            name=MARKER_NAME,
            marker=marker,
            hovertemplate="t = 0<extra>now</extra>",
        )
    )
    marker_trace = len(fig.data) - 1
    names = [repr(float(main.t[i])) for i in idx]
    fig.frames = [
        go.Frame(
            name=name,
            traces=[marker_trace],
            data=[
                Scatter(
                    **_xyz(main.points[[i]]),
                    mode="markers",
                    marker=marker,
                    hovertemplate=f"t = {main.t[i]:.4g}<extra>now</extra>",
                )
            ],
        )
        for name, i in zip(names, idx, strict=True)
    ]
    redraw = three_d  # 3-D scenes must redraw to move a point
    # Show one frame at once (pause, slider): no frame time, no transition.
    jump = {
        "frame": {"duration": 0, "redraw": redraw},
        "mode": "immediate",
        "transition": {"duration": 0},
    }
    play = [
        {
            "frame": {"duration": SPEEDS[1][1], "redraw": redraw},
            "fromcurrent": True,
            "transition": {"duration": 0},
            "mode": "immediate",
        }
    ]
    buttons = [
        {"label": "▶ play", "method": "animate", "args": [None, *play]},
        {"label": "❚❚ pause", "method": "animate", "args": [[None], jump]},
    ]
    buttons += [
        {
            "label": label,
            "method": "animate",
            "args": [None, {**play[0], "frame": {"duration": ms, "redraw": redraw}}],
        }
        for label, ms in SPEEDS
    ]
    steps = [
        {
            "label": f"{main.t[i]:.3g}",
            "method": "animate",
            "args": [[name], jump],
        }
        for name, i in zip(names, idx, strict=True)
    ]
    base_layout(fig, proj.title, proj.axis_titles[0], proj.axis_titles[1])
    fig.update_layout(
        updatemenus=[
            {
                "type": "buttons",
                "direction": "left",
                "x": 0.0,
                "y": -0.16,
                "xanchor": "left",
                "yanchor": "top",
                "showactive": False,
                "buttons": buttons,
                "pad": {"t": 0, "r": 6},
            }
        ],
        sliders=[
            {
                "active": 0,
                "steps": steps,
                "x": 0.0,
                "len": 1.0,
                "y": -0.3,
                "yanchor": "top",
                "currentvalue": {"prefix": "t = ", "font": {"size": 13}},
                "pad": {"t": 10},
                "transition": {"duration": 0},
            }
        ],
        margin={"b": 150},
        legend={"y": 1.0, "x": 1.02, "xanchor": "left", "yanchor": "top", "orientation": "v"},
    )
    if three_d:
        fig.update_layout(
            scene={
                "xaxis_title": proj.axis_titles[0],
                "yaxis_title": proj.axis_titles[1],
                "zaxis_title": proj.axis_titles[2],
            }
        )
    return fig
