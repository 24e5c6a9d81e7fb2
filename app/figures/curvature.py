"""Curvature along the run, in three panels on the time axis L(t) uses (with its plateaus and
the time cursor): lambda_max(t) on a linear axis with the discrete run's stability limit 2/eta
and the flattest minimum's sharpness, lambda_min(t) on a symmetric-log axis (its values span
decades around 0), and the number of negative eigenvalues n-(t) as steps."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

import core
from app.figures.common import DISCRETE_COLOR, FLOW_COLOR, PALETTE, base_layout, message_figure

LINEAR_DECADES = 3  # The symlog axis is linear within 10^-3 of the largest |lambda_min|.
MAX_TICKS_PER_SIDE = 3  # symlog decades labelled on each side of 0 (every other one beyond)
LIMIT_COLOR = PALETTE["black"]
FLATTEST_COLOR = "#8c8c8c"
# Vertical domains of the three panels (paper fractions): lambda_max, lambda_min, n-.
DOMAINS = {"yaxis": (0.5, 1.0), "yaxis2": (0.25, 0.44), "yaxis3": (0.0, 0.19)}


def symlog(y: np.ndarray, c: float) -> np.ndarray:
    """sign(y) log10(1 + |y| / c): linear near 0 (|y| << c), logarithmic beyond."""
    return np.sign(y) * np.log10(1.0 + np.abs(y) / c)


def symlog_ticks(c: float, top: float) -> tuple[list[float], list[str]]:
    """Ticks of the symlog axis: 0 and +-10^j from 10c up to ``top``, at most
    MAX_TICKS_PER_SIDE decades a side (every other decade, or sparser, when there are more)."""
    js = list(range(int(np.floor(np.log10(c))) + 1, int(np.ceil(np.log10(top))) + 1))
    step = int(np.ceil(len(js) / MAX_TICKS_PER_SIDE)) if js else 1
    vals, text = [0.0], ["0"]
    for j in js[::-1][::step]:
        label = f"10<sup>{j}</sup>" if abs(j) > 1 else f"{10.0**j:g}"
        for sign in (1.0, -1.0):
            vals.append(float(symlog(np.array([sign * 10.0**j]), c)[0]))
            text.append(label if sign > 0 else "−" + label)
    return vals, text


def _series(
    fig: go.Figure, curv: core.Curvature, c: float, name: str, color: str, x_lo: float
) -> None:
    keep = curv.t >= x_lo * 0.5
    t = curv.t[keep]
    common = {"legendgroup": name, "mode": "lines+markers", "marker": {"size": 4}}
    fig.add_trace(
        go.Scatter(
            x=t,
            y=curv.lambda_max[keep],
            name=name,
            line={"color": color, "width": 2.5},
            hovertemplate=f"t = %{{x:.4g}}<br>λ_max = %{{y:.6g}}<extra>{name}</extra>",
            **common,
        )
    )
    fig.add_trace(
        go.Scatter(
            x=t,
            y=symlog(curv.lambda_min[keep], c),
            customdata=curv.lambda_min[keep],
            yaxis="y2",
            name=f"λ_min ({name})",
            showlegend=False,
            line={"color": color, "width": 2},
            hovertemplate=f"t = %{{x:.4g}}<br>λ_min = %{{customdata:.6g}}<extra>{name}</extra>",
            **common,
        )
    )
    counts = curv.n_negative[keep]
    notes = [
        ("" if ex else "≥ ")
        + f"{n} ("
        + ("clean gap" if cl else "no clean gap: depends on the tolerance")
        + ")"
        for n, ex, cl in zip(counts, curv.exact[keep], curv.clean[keep], strict=True)
    ]
    fig.add_trace(
        go.Scatter(
            x=t,
            y=counts,
            customdata=np.array(notes, dtype=object),
            yaxis="y3",
            name=f"n− ({name})",
            showlegend=False,
            legendgroup=name,
            mode="lines+markers",
            line={"color": color, "width": 2, "shape": "hv"},
            marker={
                "size": 6,
                "color": [color if cl else "white" for cl in curv.clean[keep]],
                # A count that reached the k extremes Lanczos computed is a lower bound.
                "symbol": ["circle" if ex else "triangle-up" for ex in curv.exact[keep]],
                "line": {"color": color, "width": 1.5},
            },
            hovertemplate="t = %{x:.4g}<br>n− = %{customdata}<extra>" + name + "</extra>",
        )
    )


def curvature_figure(
    curvature: core.Curvature,
    window: tuple[float, float],
    shades: list[dict[str, Any]],
    discrete: core.Curvature | None = None,
    discrete_label: str = "gradient descent",
    limit: tuple[str, float] | None = None,
    flattest: float | None = None,
) -> go.Figure:
    """lambda_max, lambda_min (symlog) and n- of the flow (and of the discrete run) in three
    panels; ``window`` (x_lo, t_hi) is L(t)'s time axis and ``shades`` its plateaus.
    ``limit``: (label, value) of the discrete run's stability limit, e.g. ("2/η", 8.0);
    ``flattest``: the top eigenvalue at a balanced minimum, the flattest global minimum.
    Hollow n- markers are counts without a clean spectral gap (they depend on the tolerance).
    """
    if curvature.n_samples == 0:
        return message_figure("no samples to analyse")
    x_lo, t_hi = window
    runs = [(curvature, "flow", FLOW_COLOR)]
    if discrete is not None:
        runs.append((discrete, discrete_label, DISCRETE_COLOR))
    low = max(float(np.max(np.abs(r.lambda_min))) for r, _, _ in runs)
    c = max(low, 1e-300) * 10.0**-LINEAR_DECADES
    fig = go.Figure()
    for curv, name, color in runs:
        _series(fig, curv, c, name, color, x_lo)
    lines: list[tuple[str, float, str]] = []
    if flattest is not None:
        lines.append((f"flattest minimum {flattest:.4g}", flattest, FLATTEST_COLOR))
    if limit is not None:
        lines.append((f"stability limit {limit[0]} = {limit[1]:.4g}", limit[1], LIMIT_COLOR))
    higher = max((v for _, v, _ in lines), default=None)
    notes = []
    for label, value, color in lines:
        fig.add_trace(
            go.Scatter(
                x=[x_lo, t_hi],
                y=[value, value],
                mode="lines",
                name=label,
                showlegend=False,
                line={
                    "color": color,
                    "width": 1.5,
                    "dash": "dash" if color != LIMIT_COLOR else "dashdot",
                },
                hovertemplate=label + "<extra></extra>",
            )
        )
        # Labelled on the line at the left, where the run's curvature is still low: the
        # upper line's label above it, the lower one's below (they can be close).
        notes.append(
            dict(
                x=float(np.log10(x_lo)),
                y=value,
                xref="x",
                yref="y",
                xanchor="left",
                yanchor="bottom" if value == higher else "top",
                text=label,
                showarrow=False,
                font={"color": color},
                name=label,
            )
        )
    # Short enough for a half-width panel (a longer one was cut at both ends).
    how = (
        "time t (log scale) · Hessian by dense eigh"
        if curvature.method == "dense"
        else f"t (log) · Lanczos, k = {curvature.k}, ▲ n− at least"
    )
    # The method goes with the time axis's title: it survives presentation mode and titles off.
    base_layout(
        fig,
        "Curvature along the run",
        f"{how}, {curvature.n_samples} samples",
        "λ_max",
    )
    tickvals, ticktext = symlog_ticks(c, low)
    counts = max(int(np.max(r.n_negative)) for r, _, _ in runs)
    top = max([float(np.max(r.lambda_max)) for r, _, _ in runs] + [v for _, v, _ in lines if v])
    fig.update_layout(
        # The time axis sits under the n- panel; the three panels share it.
        xaxis={
            "type": "log",
            "range": [float(np.log10(x_lo)), float(np.log10(t_hi))],
            "anchor": "y3",
        },
        yaxis={
            "domain": list(DOMAINS["yaxis"]),
            "range": [min(0.0, -0.05 * top), 1.08 * top],
            "title": {"text": "λ_max"},
        },
        yaxis2={
            "domain": list(DOMAINS["yaxis2"]),
            "anchor": "x",
            "tickvals": tickvals,
            "ticktext": ticktext,
            "zeroline": True,
            "zerolinecolor": "#9aa0a6",
            "title": {"text": "λ_min"},
        },
        yaxis3={
            "domain": list(DOMAINS["yaxis3"]),
            "anchor": "x",
            "range": [-0.5, counts * 1.15 + 1],
            "title": {"text": "n−"},
            # Two ticks: the panel is short (a projector's font would overprint more).
            "tickvals": [0, counts] if counts else [0],
        },
        shapes=shades,
        annotations=notes,
        # One row of runs above the plot (the reference lines are labelled on the plot).
        legend={
            "orientation": "h",
            "x": 0.0,
            "y": 1.0,
            "yanchor": "bottom",
            "xanchor": "left",
            "font": {"size": 11},
        },
        margin={"t": 40, "b": 44},
    )
    return fig
