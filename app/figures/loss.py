"""L(t) against the ladder of critical values, with the plateaus shaded and the comparison runs."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

import core
from app.figures.common import (
    DISCRETE_COLOR,
    FLOW_COLOR,
    PLATEAU_FILL,
    RUN_COLORS,
    RUNG_COLOR,
    base_layout,
)
from app.figures.theory import aligned_loss_trace, exit_marks, mode_notes

MAX_RUNG_LABELS = 16  # Label rungs on the plot up to this many; beyond, hover only.
PLOT_PX = 300  # The plot's height assumed when rung labels are kept apart (they are in px).
# ... and in presentation mode (larger type, graphs ~245 px high at 1280 x 720, measured).
PRESENT_PLOT_PX = 240
MOVE_FRACTION = 5e-3  # The run "starts to move" when L has fallen by this fraction of its drop.
HOVER_FLOW = (
    "t = %{x:.4g}<br>L = %{y:.6g}<br>nearest rung %{customdata}<extra>%{fullData.name}</extra>"
)
LOG_FLOOR_FACTOR = 1e-3  # A log loss axis reaches this far below the smallest positive rung.
X_DECADES_SHOWN = 1e-3  # The time axis opens at this fraction of the run's end time ...
PLATEAU_LABEL_Y = 1.02  # Plateau labels sit just above the plot area (paper coordinates).


def _nearest_rungs(ladder: core.Ladder, loss: np.ndarray) -> list[str]:
    values = ladder.values
    idx = np.argmin(np.abs(loss[:, None] - values[None, :]), axis=1)
    return [ladder.rungs[i].label for i in idx]


def _positive_times(traj: core.Trajectory) -> tuple[np.ndarray, np.ndarray]:
    keep = traj.t > 0
    return traj.t[keep], traj.loss[keep]


def label_groups(
    rungs: list[core.Rung],
    ys: list[float],
    span: float,
    label_px: float,
    plot_px: float = PLOT_PX,
) -> list[tuple[float, str]]:
    """Rung labels that would overprint (closer than a line of text at ``plot_px`` plot
    height) merged into one, top to bottom: (height, "{1}, {1,3}")."""
    gap = span * 1.3 * label_px / plot_px
    order = sorted(range(len(rungs)), key=lambda k: -ys[k])
    groups: list[list[int]] = []
    for k in order:
        if groups and ys[groups[-1][-1]] - ys[k] < gap:
            groups[-1].append(k)
        else:
            groups.append([k])
    out = []
    for g in groups:
        names = [rungs[k].label for k in g]
        lines = [", ".join(names[i : i + 2]) for i in range(0, len(names), 2)]
        out.append((sum(ys[k] for k in g) / len(g), "<br>".join(lines)))
    return out


def start_of_motion(t: np.ndarray, L: np.ndarray) -> float:
    """The first time L has fallen by MOVE_FRACTION of its whole drop (inf if it never falls)."""
    if not L.size or L[0] - L.min() <= 0:
        return float("inf")
    moved = np.flatnonzero(L[0] - L > MOVE_FRACTION * (L[0] - L.min()))
    return float(t[moved[0]])


def axis_y(value: float, log: bool) -> float:
    """Where a value sits in layout coordinates: on a log axis plotly places annotations and
    shapes at log10 of the value, not at the value."""
    return float(np.log10(value)) if log else float(value)


def time_window(
    trajectory: core.Trajectory,
    others: list[core.Trajectory] | tuple[core.Trajectory, ...] = (),
    discrete: core.Trajectory | None = None,
) -> tuple[float, float, float]:
    """The time axis every time-axis figure shares: (t_lo, t_hi, x_lo), the earliest positive
    sample and the latest end of all runs, and where the axis opens: the last three decades,
    where the transitions are, or earlier where the run starts to move sooner (a large start);
    zooming out shows the rest."""
    t, L = _positive_times(trajectory)
    t_lo, t_hi = float(t.min()) if t.size else 1e-3, float(trajectory.t_end) or 1.0
    for tr in [*others, *([discrete] if discrete is not None else [])]:
        tp, _ = _positive_times(tr)
        if tp.size:
            t_lo, t_hi = min(t_lo, float(tp.min())), max(t_hi, float(tr.t_end))
    x_lo = max(t_lo, min(t_hi * X_DECADES_SHOWN, start_of_motion(t, L) / 3))
    return t_lo, t_hi, x_lo


def plateau_shades(plateaus: tuple[core.Plateau, ...], t_lo: float) -> list[dict[str, Any]]:
    """The plateaus as shaded bands over the whole height of a time-axis figure."""
    out = []
    for pl in plateaus:
        x0, x1 = max(pl.t_enter, t_lo), max(pl.t_exit, pl.t_enter)
        out.append(
            dict(
                type="rect",
                xref="x",
                yref="paper",
                x0=x0,
                x1=max(x1, x0 * 1.0001),
                y0=0,
                y1=1,
                fillcolor=PLATEAU_FILL,
                line_width=0,
                layer="below",
            )
        )
    return out


def loss_figure(
    trajectory: core.Trajectory,
    ladder: core.Ladder,
    plateaus: tuple[core.Plateau, ...] = (),
    discrete: core.Trajectory | None = None,
    loss_axis: str = "log",
    discrete_label: str = "gradient descent",
    others: tuple[tuple[str, core.Trajectory], ...] = (),
    label_px: float = 10.0,
    aligned: core.AlignedSolution | None = None,
    exits: core.PlateauExits | None = None,
    mode_names: tuple[str, ...] = (),
) -> go.Figure:
    """L(t) on a log time axis, every rung a labelled horizontal line (subsets 1-based).

    Hover on a curve shows t, L and the nearest rung; hover on a rung its subset and value.
    Plateaus are shaded and labelled with the subset read from the weights. Comparison runs
    (other seeds, scales, the other flow) are drawn dashed beside the main run. Theory
    (``app.figures.theory``): the closed form of an aligned start (``aligned``, dotted over the
    run), the estimated plateau exits of a small start (``exits``, dashed marks "≈k"), and
    what each plateau has just learned (``mode_names``, one per mode).
    """
    log = loss_axis == "log"
    plot_px = PLOT_PX if label_px <= 10 else PRESENT_PLOT_PX
    fig = go.Figure()
    _, L = _positive_times(trajectory)
    t_lo, t_hi, x_lo = time_window(trajectory, [o for _, o in others], discrete)
    runs = [(f"gradient flow ({trajectory.flow})", trajectory), *others]
    shown = [r for r in ladder.rungs if r.value > 0 or not log]
    # All rungs as one trace (None-separated segments): cheap to draw even with 64 rungs.
    xs, ys, texts = [], [], []
    for r in shown:
        xs += [t_lo, t_hi, None]
        ys += [r.value, r.value, None]
        label = f"rung S = {r.label}<br>L = {r.value:.6g} (r = {r.rank})"
        texts += [label, label, None]
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines",
            name="critical values (ladder)",
            line={"color": RUNG_COLOR, "width": 1, "dash": "dot"},
            hovertext=texts,
            hoverinfo="text",
        )
    )
    y_range = _log_range(ladder, L) if log else [0.0, float(ladder.values.max()) * 1.05]
    # Labels and shades are collected and set once: each add_annotation / add_vrect walks
    # plotly's property tree (~2-7 ms apiece, a staircase has dozens).
    notes: list[dict[str, Any]] = []
    longest = 0
    if len(ladder) <= MAX_RUNG_LABELS:
        heights = [axis_y(r.value, log) for r in shown]
        groups = label_groups(shown, heights, y_range[1] - y_range[0], label_px, plot_px)
        for y, text in groups:
            longest = max(longest, *(len(line) for line in text.split("<br>")))
            notes.append(
                dict(
                    x=1.0,
                    xref="paper",
                    y=y,
                    yref="y",
                    text=text,
                    showarrow=False,
                    xanchor="left",
                    font={"size": label_px, "color": "#555"},
                    name=f"rung {text}",
                )
            )
    hidden = [r for r in ladder.rungs if r not in shown]
    if hidden:
        notes.append(
            dict(
                x=1.0,
                xref="paper",
                y=0.0,
                yref="paper",
                yanchor="bottom",
                xanchor="left",
                text=f"{hidden[0].label}<br>L = 0 below",
                showarrow=False,
                font={"size": label_px, "color": "#555"},
                name=f"rung {hidden[0].label}",
            )
        )
        longest = max(longest, 9)
    span = np.log10(t_hi) - np.log10(x_lo)
    previous: tuple[float, int] | None = None  # (x, row) of the last plateau label
    shades = plateau_shades(plateaus, t_lo)
    for pl in plateaus:
        x0, x1 = max(pl.t_enter, t_lo), max(pl.t_exit, pl.t_enter)
        if x1 > x_lo:  # label the visible part of the plateau, at its geometric middle
            left = max(x0, x_lo)
            x = float(np.log10(np.sqrt(left * max(x1, left))))
            # A label that would touch the one before it goes one row up.
            width = span * 0.0012 * label_px * (len(pl.label) + 2)
            row = 1 if previous and previous[1] == 0 and x - previous[0] < width else 0
            previous = (x, row)
            notes.append(
                dict(
                    x=x,
                    y=PLATEAU_LABEL_Y + 0.08 * row,
                    yref="paper",
                    yanchor="bottom",
                    text=pl.label,
                    showarrow=False,
                    font={"size": label_px, "color": "#8a5a00"},
                    name=f"plateau {pl.label}",
                )
            )
    for k, (label, tr) in enumerate(runs):
        tp, Lp = _positive_times(tr)
        fig.add_trace(
            go.Scatter(
                x=tp,
                y=Lp,
                mode="lines",
                name=label,
                line={
                    "color": FLOW_COLOR if k == 0 else RUN_COLORS[k % len(RUN_COLORS)],
                    "width": 2.5 if k == 0 else 2,
                    "dash": "solid" if k == 0 else "dash",
                },
                customdata=np.array(_nearest_rungs(ladder, Lp), dtype=object),
                hovertemplate=HOVER_FLOW,
            )
        )
    if discrete is not None:
        td, Ld = _positive_times(discrete)
        step = "t = k eta" if discrete.method == "gd" else "t = k eta / (1 - beta)"
        fig.add_trace(
            go.Scatter(
                x=td,
                y=Ld,
                mode="lines",
                name=f"{discrete_label} ({step})",
                line={"color": DISCRETE_COLOR, "width": 2, "dash": "dashdot"},
                customdata=np.array(_nearest_rungs(ladder, Ld), dtype=object),
                hovertemplate=step + " = %{x:.4g}<br>L = %{y:.6g}<br>nearest rung %{customdata}"
                "<extra></extra>",
            )
        )
    if aligned is not None:
        fig.add_trace(aligned_loss_trace(aligned))
    window = (x_lo, t_hi)
    if exits is not None:
        marks, exit_notes = exit_marks(exits, window, label_px, labelled=not mode_names)
        fig.add_trace(marks)
        notes += exit_notes
    if mode_names:
        span = y_range[1] - y_range[0]
        notes += mode_notes(plateaus, mode_names, trajectory, window, log, label_px, span, plot_px)
    base_layout(
        fig, "Loss L(t) against the ladder of critical values", "time t (log scale)", "loss L(t)"
    )
    fig.update_xaxes(type="log", range=[float(np.log10(x_lo)), float(np.log10(t_hi))])
    if log:
        fig.update_yaxes(type="log", range=y_range, exponentformat="power")
    fig.update_layout(
        annotations=notes,
        shapes=shades,
        # The exit marks span the plot's height on an axis of their own (0 to 1).
        yaxis2={"overlaying": "y", "range": [0, 1], "visible": False, "fixedrange": True},
        margin={"r": 14 + 0.62 * label_px * longest, "t": 36 + 3 * label_px},
        # The lower left is empty (the loss starts high and falls late): the legend goes there.
        legend={
            "x": 0.01,
            "y": 0.02,
            "xanchor": "left",
            "yanchor": "bottom",
            "orientation": "v",
            "bgcolor": "rgba(255,255,255,0.85)",
        },
    )
    return fig


def _log_range(ladder: core.Ladder, L: np.ndarray) -> list[float]:
    """Log10 y-range from below the smallest positive rung (or the loss reached, if higher) to
    above the top rung, so the staircase fills the plot even after L has converged to ~1e-30."""
    vals = ladder.values
    positive = vals[vals > 0]
    top = max(float(vals.max()), float(L.max()) if L.size else 0.0)  # the run may start above
    top = top if top > 0 else 1.0
    low = float(positive.min()) * LOG_FLOOR_FACTOR if positive.size else top * 1e-6
    reached = L[L > 0]
    if reached.size:
        low = max(low, float(reached.min()) / 2)
    return [float(np.log10(low)), float(np.log10(top)) + 0.2]
