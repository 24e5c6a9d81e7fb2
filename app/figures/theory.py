"""Theory drawn beside a run on the time-axis figures: the closed form of an aligned start, the
estimated plateau exits of a generic small start, and the name of what each learned mode
separates (for a named data set). Pure: data in, traces and annotations out."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

import core
from app.figures.common import PALETTE

THEORY_COLOR = PALETTE["black"]
EXIT_COLOR = PALETTE["purple"]
MODE_NOTE_COLOR = "#00664a"  # a dark green that reads on the plateau shading
THEORY_NAME = "theory: aligned closed form"
EXITS_NAME = "estimated plateau exits (theory)"
# Mode names sit left of a drop and under the level it falls to.
UNDER_LEFT = {"xanchor": "right", "xshift": -6, "yanchor": "top", "yshift": -3}


def aligned_loss_trace(sol: core.AlignedSolution) -> go.Scatter:
    """L(t) of the closed form, drawn over the run (they should coincide)."""
    keep = sol.t > 0
    return go.Scatter(
        x=sol.t[keep],
        y=sol.loss[keep],
        mode="lines",
        name=THEORY_NAME,
        line={"color": THEORY_COLOR, "width": 2, "dash": "dot"},
        hovertemplate="theory, t = %{x:.4g}<br>L = %{y:.6g}<extra>" + sol.method + "</extra>",
    )


def exit_marks(
    exits: core.PlateauExits,
    x_range: tuple[float, float],
    label_px: float,
    labelled: bool = True,
) -> tuple[go.Scatter, list[dict[str, Any]]]:
    """The estimated exits as dashed vertical lines (one trace; hover names the mode) and,
    if ``labelled``, labels "≈k" just inside the top of the plot; only those inside the time
    window. (Unlabelled where the plateaus carry the modes' names: they would overprint.)"""
    xs: list[float | None] = []
    ys: list[float | None] = []
    modes: list[str] = []
    notes = []
    for k, t in enumerate(exits.times):
        if not (np.isfinite(t) and x_range[0] <= t <= x_range[1]):
            continue
        xs += [float(t), float(t), None]
        ys += [0.0, 1.0, None]
        modes += [f"mode {k + 1}"] * 2 + [""]
        if not labelled:
            continue
        notes.append(
            dict(
                x=float(np.log10(t)),
                y=0.9,
                yref="paper",
                yanchor="top",
                xanchor="left",
                xshift=2,
                bgcolor="rgba(255, 255, 255, 0.85)",  # legible over the rungs it crosses
                text=f"≈{k + 1}",
                showarrow=False,
                font={"size": label_px, "color": EXIT_COLOR},
                name=f"estimated exit of mode {k + 1}",
            )
        )
    trace = go.Scatter(
        x=xs,
        y=ys,
        yaxis="y2",
        mode="lines",
        name=f"{EXITS_NAME}: ≈k learns mode k" if labelled else f"{EXITS_NAME}, mode by mode",
        line={"color": EXIT_COLOR, "width": 1.5, "dash": "dash"},
        customdata=modes,
        hovertemplate="estimated exit of %{customdata}, t ≈ %{x:.3g}<extra>"
        + exits.rule
        + "</extra>",
    )
    return trace, notes


def mode_notes(
    plateaus: tuple[core.Plateau, ...],
    names: tuple[str, ...],
    trajectory: core.Trajectory,
    x_range: tuple[float, float],
    log: bool,
    label_px: float,
    y_span: float = 0.0,
    plot_px: float = 300.0,
) -> list[dict[str, Any]]:
    """What each plateau has just learned ("+ animals vs plants"), written under the plateau's
    level left of the drop into it, and the modes learned after the last plateau at the run's
    end. With ``y_span`` (the y axis's range in layout units, drawn ``plot_px`` high, about as
    wide as 1.5 ``plot_px``) a note that would overprint the one before is moved under it."""
    t, L = trajectory.t, trajectory.loss
    notes: list[dict[str, Any]] = []
    before: set[int] = set()

    def note(x: float, text: str, y: float | None = None, **place: Any) -> None:
        y = float(np.interp(x, t, L)) if y is None else y
        if not (x_range[0] <= x <= x_range[1]) or (log and y <= 0):
            return
        notes.append(
            dict(
                x=float(np.log10(x)),
                y=float(np.log10(y)) if log else y,
                text=text,
                showarrow=False,
                font={"size": label_px, "color": MODE_NOTE_COLOR},
                name=f"learned {text}",
                **(place or {"yshift": 4 + label_px / 2, "yanchor": "bottom"}),
            )
        )

    for pl in plateaus:
        new = [k for k in pl.subset if k not in before]
        before |= set(pl.subset)
        if new and all(k < len(names) for k in new):
            # Written where the mode was learned: left of the drop into the plateau, under
            # its level (the run was higher there, so the place is free).
            middle = float(np.sqrt(max(pl.t_enter, x_range[0]) * max(pl.t_exit, x_range[0])))
            level = float(np.interp(middle, t, L))
            at = max(pl.t_enter, x_range[0])
            note(at, "+ " + ", ".join(names[k] for k in new), level, **UNDER_LEFT)
    rest = [k for k in range(len(names)) if k not in before]
    if plateaus and rest and trajectory.status == "converged":
        # The last modes are learned on the final drop to the minimum (no plateau of their
        # own): written left of the drop, under the last plateau's level.
        level = float(np.interp(plateaus[-1].t_exit, t, L))
        after = np.flatnonzero((t >= plateaus[-1].t_exit) & (L <= level / 2))
        x = float(t[after[0]]) if after.size else float(trajectory.t_end)
        y = level / 4 if log else level / 2
        note(x, "+ " + ", ".join(names[k] for k in rest), y, **UNDER_LEFT)
    if y_span > 0:
        _stack(
            notes, (np.log10(x_range[1]) - np.log10(x_range[0])) or 1.0, y_span, plot_px, label_px
        )
    return notes


def _stack(
    notes: list[dict[str, Any]], x_span: float, y_span: float, plot_px: float, label_px: float
) -> None:
    """Move each note (right-anchored, hanging from its y) down until it clears the notes before
    it, in px at the assumed plot size; each gets a light background, since the dense rungs of a
    big ladder run through them (the semantic preset's names overprinted each other and them)."""
    px_x, px_y = 1.5 * plot_px / x_span, plot_px / y_span
    line = 1.3 * label_px
    boxes: list[tuple[float, float, float, float]] = []  # px: left, right, top, bottom (down +)
    for n in notes:
        right = n["x"] * px_x + n.get("xshift", 0.0)
        left = right - 0.55 * label_px * len(n["text"])
        top = -n["y"] * px_y - n.get("yshift", 0.0)
        for bl, br, bt, bb in sorted(boxes, key=lambda b: b[2]):
            if left < br and bl < right and top < bb and bt < top + line:
                top = bb
        n["yshift"] = -(top + n["y"] * px_y)
        n["bgcolor"] = "rgba(255,255,255,0.8)"
        boxes.append((left, right, top, top + line))
