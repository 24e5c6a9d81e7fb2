"""Pure figure builders of the basin lab (plain data in, go.Figure out)."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from app.figures.common import PALETTE, base_layout, message_figure
from core.ladder import Ladder
from core.sweep import RunSummary, ScaleStats

STUCK_COLOR = PALETTE["vermillion"]  # a run that ended at a saddle: the headline event
GLOBAL_COLOR = PALETTE["blue"]
RUNNING_COLOR = "#bbbbbb"  # reached t_max still moving


def fraction_figure(stats: Sequence[ScaleStats]) -> go.Figure:
    """Fraction reaching the global minimum per init scale, with Wilson 95% intervals."""
    x = [f"{s.scale:g}" for s in stats]
    y = [s.fraction_global for s in stats]
    lo = [s.fraction_global - s.interval[0] for s in stats]
    hi = [s.interval[1] - s.fraction_global for s in stats]
    fig = go.Figure(
        go.Bar(
            x=x,
            y=y,
            marker_color=GLOBAL_COLOR,
            name="fraction to the global minimum",
            error_y={"type": "data", "array": hi, "arrayminus": lo, "visible": True},
            customdata=np.array([[s.n_global, s.n_runs, *s.interval] for s in stats]),
            hovertemplate="scale %{x}<br>%{customdata[0]:.0f} of %{customdata[1]:.0f}<br>"
            "95% CI %{customdata[2]:.3f}-%{customdata[3]:.3f}<extra></extra>",
        )
    )
    base_layout(
        fig, "Fraction reaching the global minimum (95% Wilson intervals)", "init scale", "fraction"
    )
    fig.update_yaxes(range=[0, 1.05])
    return fig


def rung_counts_figure(
    stats: Sequence[ScaleStats], runs: Sequence[RunSummary], ladder: Ladder
) -> go.Figure:
    """Counts per final rung and scale; runs that converged to a saddle stand out."""
    fig = go.Figure()
    bottom = ladder.rungs[-1].label
    scales = [f"{s.scale:g}" for s in stats]
    outcome: Counter[tuple[str, str]] = Counter()
    for r in runs:
        kind = (
            "global minimum"
            if r.reached_global
            else "still moving at t_max"
            if r.status == "t_max"
            else f"stuck at saddle {r.rung}"
        )
        outcome[(f"{r.scale:g}", kind)] += 1
    kinds = sorted(
        {k for _, k in outcome}, key=lambda k: (k != "global minimum", k.startswith("still"), k)
    )
    for kind in kinds:
        color = (
            GLOBAL_COLOR
            if kind == "global minimum"
            else RUNNING_COLOR
            if kind.startswith("still")
            else STUCK_COLOR
        )
        fig.add_trace(
            go.Bar(
                x=scales,
                y=[outcome[(s, kind)] for s in scales],
                name=kind,
                marker_color=color,
                hovertemplate="scale %{x}<br>%{y} runs<extra>" + kind + "</extra>",
            )
        )
    base_layout(fig, f"Where the runs ended (global minimum = rung {bottom})", "init scale", "runs")
    fig.update_layout(barmode="stack")
    return fig


def times_figure(stats: Sequence[ScaleStats]) -> go.Figure:
    fig = go.Figure()
    for k, s in enumerate(stats):
        fig.add_trace(
            go.Box(
                y=s.times,
                name=f"{s.scale:g}",
                boxpoints="outliers",
                marker_color=list(PALETTE.values())[(k + 5) % 8],
            )
        )
    base_layout(fig, "Convergence times of converged runs", "init scale", "time t (log scale)")
    fig.update_yaxes(type="log")
    fig.update_layout(showlegend=False)
    return fig


def sankey_figure(runs: Sequence[RunSummary], ladder: Ladder) -> go.Figure:
    """Plateau paths as flows between rungs, from the top rung down."""
    labels = [r.label for r in ladder.rungs]  # sorted by value, descending
    index = {r.subset: k for k, r in enumerate(ladder.rungs)}
    links: Counter = Counter()
    for run in runs:
        path = [index[s] for s in run.path if s in index]
        for a, b in itertools.pairwise(path):
            if a != b:
                links[(a, b)] += 1
    if not links:
        return message_figure("no run visited two plateaus")
    src, dst, val = zip(*[(a, b, v) for (a, b), v in sorted(links.items())], strict=True)
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            node={
                "label": [f"S = {lab}" for lab in labels],
                "pad": 14,
                "color": [
                    GLOBAL_COLOR if k == len(labels) - 1 else "#8c8c8c" for k in range(len(labels))
                ],
            },
            link={"source": list(src), "target": list(dst), "value": list(val)},
        )
    )
    base_layout(fig, "Plateau paths: saddle to saddle, from the top rung down", "", "")
    return fig
