"""Pure builders of the problem summary and the Hessian table (data in, components out)."""

from __future__ import annotations

import numpy as np
from dash import dcc, html

from app.compute import PointAnalysis, RunResult

EQUATIONS = r"""
$$L(W) = \tfrac12\|Y - W_{H+1}\cdots W_1 X\|_F^2
       = \tfrac12\|\Sigma_Y - \bar W_{H+1}\cdots \bar W_1\|_F^2 + \tfrac12\|Y V_X^2\|_F^2$$

$$\dot W_j = -\nabla_{W_j} L = A_j^\top (\Sigma_Y - P) B_j^\top,\qquad
  C_j = W_{j+1}^\top W_{j+1} - W_j W_j^\top \ \text{conserved}$$

$$\text{critical values: } L_S = \tfrac12 \sum_{i \notin S} s_i^2 + \tfrac12\|Y V_X^2\|_F^2,
  \quad S \subseteq \{1,\dots,d_y\}$$
"""


def _yes(flag: bool | None) -> str:
    return "holds" if flag else ("not checked" if flag is None else "FAILS")


def summary_children(result: RunResult) -> list:
    p = result.problem
    s = ", ".join(f"{v:.6g}" for v in p.singular_values)
    w_ls = np.array2string(np.asarray(p.w_ls), precision=3, suppress_small=True, max_line_width=70)
    rows = [
        ("singular values s of the reduced target", s),
        ("dims (dx, d_1..d_H, dy), m", f"{p.dims}, m = {p.m}"),
        ("parameters", str(p.n_params)),
        ("Assumptions 1-3", "hold (checked when the problem was built)"),
        ("Assumption 4 (distinct critical values)", _yes(p.assumption4)),
        ("offset 1/2 ||Y V_X^2||^2 = L(W_LS)", f"{p.offset:.6g}"),
        (
            "inputs whitened (X X^T = I)",
            "yes: both flows coincide"
            if p.is_whitened
            else "no: the reduced and original flows differ",
        ),
    ]
    table = html.Table(
        className="summary-table",
        children=[html.Tbody([html.Tr([html.Th(k), html.Td(v)]) for k, v in rows])],
    )
    return [
        html.Div(
            className="summary-grid",
            children=[
                table,
                html.Div(
                    [
                        html.Div("W_LS = Y X^T (X X^T)^-1", className="small-title"),
                        html.Pre(w_ls, className="matrix"),
                    ]
                ),
            ],
        ),
        dcc.Markdown(EQUATIONS, mathjax=True, className="equations"),
    ]


def _fmt(v: int | None) -> str:
    return "no closed form" if v is None else str(v)


def hessian_table(point: PointAnalysis) -> html.Div:
    sp, pr, cl = point.split, point.predicted, point.classification
    rows = [
        html.Tr([html.Th(""), html.Th("n-"), html.Th("n0"), html.Th("n+")]),
        html.Tr(
            [
                html.Td("measured"),
                *[html.Td(_fmt(v), className="count-measured") for v in sp.counts],
            ]
        ),
        html.Tr([html.Td("theory (verified)"), *[html.Td(_fmt(v)) for v in pr.counts]]),
    ]
    if pr.printed is not None and pr.printed.counts != pr.counts:
        rows.append(
            html.Tr([html.Td("paper as printed"), *[html.Td(_fmt(v)) for v in pr.printed.counts]])
        )
    gap = f"{sp.gap[0]:.1e} (largest counted zero) vs {sp.gap[1]:.1e} (smallest nonzero)"
    return html.Div(
        className="hessian-info",
        children=[
            html.P(
                f"{point.title}: type S = {cl.label}, L = {cl.loss:.6g}, "
                f"{'global minimum' if cl.is_global_min else 'saddle'}; "
                f"||grad|| {point.polished.grad_norm_before:.1e} -> "
                f"{point.polished.grad_norm_after:.1e} after polishing; "
                f"rank R = {cl.rank_R}, rank Z = {cl.rank_Z}."
            ),
            html.Table(className="split-table", children=[html.Tbody(rows)]),
            html.P(
                f"Source: {pr.source}. Spectral gap (relative to max |lambda|): {gap}; "
                f"tolerance {sp.rel_tol:g}.",
                className="small",
            ),
        ],
    )
