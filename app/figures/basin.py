"""Pure figure builders of the basin lab (plain data in, go.Figure out)."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from app.figures.common import PALETTE, base_layout, message_figure
from core.basins import RunSummary, ScaleStats
from core.critical_values import Ladder, label

SADDLE_COLOR = PALETTE["vermillion"]  # on a saddle's plateau at t_max: the runs to look at
GLOBAL_COLOR = PALETTE["blue"]
RUNNING_COLOR = "#bbbbbb"  # reached t_max still moving
FAILED_COLOR = PALETTE["black"]  # diverged, out of budget, or the solver failed


def fraction_figure(stats: Sequence[ScaleStats]) -> go.Figure:
    """Fraction of the finished runs reaching the global minimum per init scale, with Wilson 95%
    intervals; the unfinished runs (t_max reached first) are counted above each bar, not in it."""
    x = [f"{s.scale:g}" for s in stats]
    y = [s.fraction_global if s.n_finished else 0.0 for s in stats]
    lo = [y[k] - s.interval[0] if s.n_finished else 0.0 for k, s in enumerate(stats)]
    hi = [s.interval[1] - y[k] if s.n_finished else 0.0 for k, s in enumerate(stats)]
    text = [
        (f"{s.n_global}/{s.n_finished}" if s.n_finished else "no finished run")
        + (f"<br>+{s.n_unfinished} unfinished" if s.n_unfinished else "")
        for s in stats
    ]
    fig = go.Figure(
        go.Bar(
            x=x,
            y=y,
            marker_color=GLOBAL_COLOR,
            name="fraction of finished runs at the global minimum",
            error_y={"type": "data", "array": hi, "arrayminus": lo, "visible": True},
            text=text,
            textposition="outside",
            customdata=np.array(
                [[s.n_global, s.n_finished, s.n_unfinished, *s.interval] for s in stats]
            ),
            hovertemplate="scale %{x}<br>%{customdata[0]:.0f} of %{customdata[1]:.0f} finished "
            "runs<br>95% CI %{customdata[3]:.3f}-%{customdata[4]:.3f}<br>%{customdata[2]:.0f} "
            "unfinished (not counted)<extra></extra>",
        )
    )
    base_layout(
        fig,
        "Fraction of finished runs reaching the global minimum (95% Wilson intervals)",
        "init scale",
        "fraction",
    )
    fig.update_yaxes(range=[0, 1.25])
    return fig


def outcome(r: RunSummary) -> str:
    """A run's end in words, for the chart's legend."""
    if r.reached_global:
        return "global minimum"
    if r.status == "saddle":
        return f"on the plateau of saddle {label(r.subset)} at t_max (unfinished)"
    if r.status == "t_max":
        return "still moving at t_max (unfinished)"
    return {"diverged": "diverged", "budget": "stopped by the budget (unfinished)"}.get(
        r.status, "the solver failed"
    )


def _outcome_color(kind: str) -> str:
    if kind == "global minimum":
        return GLOBAL_COLOR
    if kind.startswith("on the plateau"):
        return SADDLE_COLOR
    return RUNNING_COLOR if "unfinished" in kind else FAILED_COLOR


def rung_counts_figure(
    stats: Sequence[ScaleStats], runs: Sequence[RunSummary], ladder: Ladder
) -> go.Figure:
    """How the runs ended, per scale: the global minimum, a saddle's plateau, still moving."""
    fig = go.Figure()
    bottom = ladder.rungs[-1].label
    scales = [f"{s.scale:g}" for s in stats]
    counts: Counter[tuple[str, str]] = Counter((f"{r.scale:g}", outcome(r)) for r in runs)
    kinds = sorted(
        {k for _, k in counts}, key=lambda k: (k != "global minimum", "unfinished" in k, k)
    )
    for kind in kinds:
        fig.add_trace(
            go.Bar(
                x=scales,
                y=[counts[(s, kind)] for s in scales],
                name=kind,
                marker_color=_outcome_color(kind),
                hovertemplate="scale %{x}<br>%{y} runs<extra>" + kind + "</extra>",
            )
        )
    base_layout(fig, f"How the runs ended (global minimum = rung {bottom})", "init scale", "runs")
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
