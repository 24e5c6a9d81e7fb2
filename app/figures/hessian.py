"""The Hessian spectrum at a point: sorted eigenvalues coloured by sign, |lambda| on a log axis."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

import core
from app import limits
from app.figures.common import NEG_COLOR, POS_COLOR, ZERO_COLOR, base_layout

FLOOR_DECADES = 3  # Exact zeros are drawn this many decades below the smallest nonzero |lambda|.


def _fmt(v: int | None) -> str:
    return "?" if v is None else str(v)


def counts_text(split: core.HessianSplit) -> str:
    """(n-, n0, n+) as measured, "?" where not computed."""
    return f"({split.neg_text}, {_fmt(split.n_zero)}, {_fmt(split.n_pos)})"


def lanczos_note(k: int) -> str:
    """What a Lanczos split shows, said where it is shown (the figure and the panel's text)."""
    return (
        f"Lanczos: too many parameters for a dense Hessian (counts up to "
        f"{limits.INERTIA_SPLIT_PARAMS:,}), so only the {k} extreme eigenvalues at each end are "
        "computed: n- is a lower bound (exact when it is 0: Lanczos finds the smallest "
        "eigenvalue), n0 and n+ are not computed."
    )


def inertia_note(k: int) -> str:
    """What an inertia split shows (the figure and the panel's text)."""
    return (
        "Counts by LDL^T inertia (Sylvester's law on H - sigma I), exact; every eigenvalue "
        f"is computed up to {limits.DENSE_SPLIT_PARAMS:,} parameters, beyond which this is "
        f"faster. Drawn: the {k} extreme eigenvalues at each end (Lanczos)."
    )


def _placed(ev: np.ndarray, k: int, tol: float, counts: tuple, n: int) -> np.ndarray:
    """Sorted indices of the extremes of an inertia split: the counts say where each sign's
    eigenvalues sit (negatives 1..n-, zeros next, positives last), so the bottom end's values
    take the lowest indices of their sign and the top end's the highest. Lanczos returns one
    copy of a repeated value: after the zeros at the bottom come the smallest positives, whose
    place is after all n0 zeros, not at k."""
    n_neg, n_zero, _ = counts
    first = {-1: 1, 0: n_neg + 1, 1: n_neg + n_zero + 1}
    last = {-1: n_neg, 0: n_neg + n_zero, 1: n}
    sign = np.where(ev < -tol, -1, np.where(ev > tol, 1, 0))
    out = np.zeros(ev.size, dtype=np.int64)
    low, high = dict(first), dict(last)
    for j in range(k):  # the bottom end, ascending
        g = int(sign[j])
        out[j], low[g] = min(low[g], last[g]), low[g] + 1
    for j in range(ev.size - 1, k - 1, -1):  # the top end, descending
        g = int(sign[j])
        out[j], high[g] = max(high[g], first[g]), high[g] - 1
    return out


def hessian_figure(
    split: core.HessianSplit,
    predicted: core.PredictedSplit,
    title: str = "",
    n_params: int | None = None,
) -> go.Figure:
    """|lambda| of every eigenvalue on a log axis (tiny and large ones both visible), sorted
    ascending by lambda, coloured and shaped by sign; the zero tolerance as a labelled line on
    its own height; exact zeros (log 0) on a floor below the rest, and said so. A Lanczos or
    inertia split (``split.method``) has the k extremes at each end: they are drawn at their
    indices 1..k and n-k+1..n of the ``n_params`` eigenvalues, and the figure says so."""
    ev = split.eigenvalues
    idx = np.arange(1, ev.size + 1)
    lanczos = split.method == "lanczos"
    extremes = split.method in ("lanczos", "inertia")  # the k at each end, not every one
    tol = split.rel_tol * split.scale
    if extremes and n_params:
        k = ev.size // 2
        idx = np.concatenate([np.arange(1, k + 1), np.arange(n_params - k + 1, n_params + 1)])
        if split.method == "inertia":
            idx = _placed(ev, k, tol, split.counts, n_params)
    mag = np.abs(ev)
    nonzero = mag[mag > 0]
    floor = (nonzero.min() if nonzero.size else 1.0) * 10.0**-FLOOR_DECADES
    exact = mag == 0
    groups = (
        (ev < -tol, "negative", NEG_COLOR, "triangle-down"),
        ((mag <= tol) & ~exact, "zero (within tolerance)", ZERO_COLOR, "circle-open"),
        (exact, "exactly zero (drawn at the floor)", ZERO_COLOR, "circle"),
        (ev > tol, "positive", POS_COLOR, "triangle-up"),
    )
    group_counts = {
        "negative": split.n_neg,
        "zero (within tolerance)": split.n_zero,
        "positive": split.n_pos,
    }
    fig = go.Figure()
    for mask, name, color, symbol in groups:
        if not mask.any():
            continue
        # Of extremes the count drawn is not the count: inertia's are exact (but for how many
        # zeros are exactly zero), Lanczos's unknown (the note says what is known).
        if split.method == "inertia":
            count = group_counts.get(name)
        else:
            count = None if extremes else int(mask.sum())
        fig.add_trace(
            go.Scatter(
                x=idx[mask],
                y=np.where(exact[mask], floor, mag[mask]),
                mode="markers",
                name=name if count is None else f"{name}: {count}",
                marker={"color": color, "symbol": symbol, "size": 7},
                customdata=ev[mask],
                hovertemplate="#%{x}<br>lambda = %{customdata:.4e}<extra></extra>",
            )
        )
    top = float(np.log10(max(split.scale, floor * 10))) + 0.3
    bottom = float(np.log10(floor)) - 0.5
    if tol > 0:
        fig.add_shape(
            type="line",
            xref="paper",
            x0=0,
            x1=1,
            y0=tol,
            y1=tol,
            line={"color": "#666", "dash": "dot", "width": 1},
            name="zero tolerance",
        )
        # On a log axis an annotation's y is log10 of the value (at y = tol it would sit at 10^tol).
        fig.add_annotation(
            x=0.0,
            xref="paper",
            xanchor="left",
            y=float(np.log10(tol)),
            yref="y",
            yanchor="bottom",
            text=f"zero tolerance {split.rel_tol:.0e} x max|lambda|",
            showarrow=False,
            font={"size": 10, "color": "#444"},
            name="zero tolerance",
        )
        bottom = min(bottom, float(np.log10(tol)) - 0.5)
    measured = f"measured (n-, n0, n+) = {counts_text(split)}"
    theory_prefix = ""
    if lanczos:
        neg = split.neg_text if split.n_neg else "= 0"  # ">= k", or exactly none
        measured = f"Lanczos, {ev.size // 2} per end: n- {neg}; n0, n+ not computed"
    elif split.method == "inertia":
        measured = f"{measured} by LDL^T inertia"
        theory_prefix = f"{ev.size // 2} extremes per end drawn · "
    counts = [predicted.neg_text or _fmt(None), *(_fmt(v) for v in predicted.counts[1:])]
    theory = theory_prefix + "theory (" + ", ".join(counts) + ")"
    base_layout(
        fig,
        title or "Hessian spectrum",
        "eigenvalue index (sorted by lambda)",
        "|lambda| (log scale)",
    )
    fig.update_yaxes(type="log", exponentformat="power", range=[bottom, top])
    if ev.size <= 6 and not extremes:  # integer indices: plotly would tick 1, 1.2, 1.4 ...
        fig.update_xaxes(tick0=1, dtick=1)
    # Three or more sign groups wrap to a row each in a half-width panel: room for them under the
    # title (pinned to the top), which they would otherwise cover.
    rows = sum(1 for t in fig.data if t.name)
    fig.update_layout(
        showlegend=True,  # also for one group (every eigenvalue exactly zero, at the floor)
        legend={"orientation": "h", "x": 0.0, "y": 1.0, "yanchor": "bottom", "xanchor": "left"},
        title={"y": 0.99, "yref": "container", "yanchor": "top"},
        margin={"t": 80 if rows <= 2 else 50 + 22 * rows, "b": 105 if extremes else 90},
    )
    if extremes:  # what the printed figure, which drops the line below, says in its legend
        fig.update_layout(meta={"extremes_per_end": ev.size // 2})
    fig.add_annotation(
        x=0,
        y=0.0,
        yshift=-62,  # in pixels under the axis title, whatever the plot's height
        xref="paper",
        yref="paper",
        yanchor="top",
        showarrow=False,
        xanchor="left",
        # Of extremes the line is long: on two lines, or a half-width panel cuts it.
        text=f"{measured}<br>{theory}" if extremes else f"{measured} · {theory}",
        align="left",
        font={"size": 11, "color": "#444"},
        name="counts",
    )
    return fig
