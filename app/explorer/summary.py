"""Pure builders of the explorer's text panels (data in, components out): the problem summary,
the run's status line, the Hessian table, the preset's text."""

from __future__ import annotations

from typing import Any

import numpy as np
from dash import html

from app.computation import PointAnalysis, Run
from app.figures.hessian import inertia_note, lanczos_note
from app.presets import PRESETS
from app.state import AppState
from app.views import discrete_label


def _m(*parts: Any) -> html.Span:
    return html.Span(list(parts), className="math")


def _sub(base: str, sub: str, sup: str = "") -> list[Any]:
    """base with a subscript, and a superscript stacked above it (CSS .ss) when given."""
    if not sup:
        return [base, html.Sub(sub)]
    return [base, html.Span([html.Span(sup), html.Span(sub)], className="ss")]


def equations() -> html.Div:
    """The model, the flow and the ladder in HTML. Not MathJax: it is 2 MB of script to load
    and compile on the first screen, and it typeset these lines again with every new run."""
    return html.Div(
        className="equations",
        children=[
            html.P(
                _m(
                    "L(W) = \u00bd \u2016Y \u2212 ",
                    *_sub("W", "H+1"),
                    " \u22ef ",
                    *_sub("W", "1"),
                    " X\u2016",
                    *_sub("", "F", "2"),
                    " = \u00bd \u2016\u03a3",
                    html.Sub("Y"),
                    " \u2212 ",
                    *_sub("W\u0304", "H+1"),
                    " \u22ef ",
                    *_sub("W\u0304", "1"),
                    "\u2016",
                    *_sub("", "F", "2"),
                    " + \u00bd \u2016Y ",
                    *_sub("V", "X", "2"),
                    "\u2016",
                    *_sub("", "F", "2"),
                )
            ),
            html.P(
                _m(
                    *_sub("\u1e86", "j"),
                    " = \u2212\u2207",
                    html.Sub(["W", html.Sub("j")]),
                    " L = ",
                    *_sub("A", "j", "\u22a4"),
                    "(\u03a3",
                    html.Sub("Y"),
                    " \u2212 P) ",
                    *_sub("B", "j", "\u22a4"),
                    ",\u2003",
                    *_sub("C", "j"),
                    " = ",
                    *_sub("W", "j+1", "\u22a4"),
                    " ",
                    *_sub("W", "j+1"),
                    " \u2212 ",
                    *_sub("W", "j"),
                    " ",
                    *_sub("W", "j", "\u22a4"),
                    " conserved",
                )
            ),
            html.P(
                _m(
                    "critical values: ",
                    *_sub("L", "S"),
                    " = \u00bd \u2211",
                    html.Sub("i \u2209 S"),
                    " ",
                    *_sub("s", "i", "2"),
                    " + \u00bd \u2016Y ",
                    *_sub("V", "X", "2"),
                    "\u2016",
                    *_sub("", "F", "2"),
                    ",\u2003S \u2286 {1, \u2026, ",
                    *_sub("d", "y"),
                    "}",
                )
            ),
        ],
    )


def _yes(flag: bool | None) -> str:
    return "holds" if flag else ("not checked" if flag is None else "FAILS")


def summary_children(result: Run) -> list:
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
    th = result.theory
    ds = th.dataset if th is not None else None
    if th is not None and ds is not None:
        modes = "; ".join(
            f"{k}: {name} ({cos:.2f})" for k, (name, cos) in enumerate(th.modes, start=1)
        )
        rows[:0] = [
            ("data set", f"{ds.name}: {ds.reference}"),
            ("items (one-hot inputs)", ", ".join(ds.item_names)),
            ("properties (outputs)", ", ".join(ds.property_names)),
            ("what each mode separates (|cos| with the item loadings)", modes),
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
    ]


def run_status(state: AppState, r: Run) -> str:
    """The run's end in one line: how it ended (core's statuses; the Hessian panel says onto
    which critical point its end polishes), the discrete and comparison runs, and theory."""
    tr = r.trajectory
    text = f"Flow: {tr.message} ({tr.method}, {tr.nfev} evaluations, {tr.n_samples} samples)."
    if r.discrete is not None:
        text += f" {discrete_label(state).capitalize()}: {r.discrete.message}."
    for name, other in r.others:
        text += f" {name}: {other.status}."
    return text + theory_status(r)


def theory_status(r: Run) -> str:
    """What the theory beside the run says, with the agreement measured where it is exact."""
    th = r.theory
    if th is None:
        return ""
    out = ""
    if th.aligned is not None:
        gap = float(np.max(np.abs(th.aligned.loss - r.trajectory.loss)))
        out += f" Theory ({th.aligned.method}): max |L_run - L_theory| = {gap:.1e}."
    if th.exits is not None:
        ts = ", ".join(f"{v:.3g}" for v in th.exits.times)
        out += f" Estimated plateau exits ≈k (estimates, not measurements): t ≈ {ts}."
    return out


def _fmt(v: int | None) -> str:
    return "no closed form" if v is None else str(v)


def hessian_table(point: PointAnalysis) -> html.Div:
    """Measured inertia beside the verified theory (and the printed paper where it differs).
    Counts are only stated as facts when the zero tolerance sits in a clear spectral gap."""
    sp, pr, cl = point.split, point.predicted, point.classification
    measured_cells = [
        html.Td("not computed" if v is None else str(v), className="count-measured")
        for v in sp.counts
    ]
    measured_cells[0] = html.Td(sp.neg_text, className="count-measured")
    how = {"dense": "measured", "inertia": "measured (LDL^T)", "lanczos": "measured (Lanczos)"}
    rows = [
        html.Tr([html.Th(""), html.Th("n-"), html.Th("n0"), html.Th("n+")]),
        html.Tr([html.Td(how.get(sp.method, "measured")), *measured_cells]),
        html.Tr(
            [
                html.Td("theory (NOTES.md)"),
                html.Td(pr.neg_text or _fmt(None)),
                *[html.Td(_fmt(v)) for v in pr.counts[1:]],
            ]
        ),
    ]
    if pr.printed is not None and pr.printed.counts != pr.counts:
        rows.append(
            html.Tr([html.Td("paper as printed"), *[html.Td(_fmt(v)) for v in pr.printed.counts]])
        )
    gap = f"{sp.gap[0]:.1e} (largest counted zero) vs {sp.gap[1]:.1e} (smallest nonzero)"
    if sp.scale == 0.0:
        verdict: Any = html.P(
            "The Hessian is exactly zero: every eigenvalue is 0.", className="small"
        )
    elif sp.method == "lanczos":
        k = sp.eigenvalues.size // 2
        verdict = html.P(
            f"{lanczos_note(k)} Smallest {sp.eigenvalues[0]:.3e}, largest "
            f"{sp.eigenvalues[-1]:.3e}.",
            className="small lanczos-note",
        )
    elif sp.method == "inertia":
        k = sp.eigenvalues.size // 2
        found = (
            "No eigenvalue lies within a decade of the zero tolerance on either side: the counts "
            "hold for any tolerance in that range."
            if sp.clean
            else f"An eigenvalue lies within a decade of the zero tolerance ({sp.rel_tol:g}): "
            "the counts depend on the tolerance."
        )
        verdict = html.P(
            f"{inertia_note(k)} {found}",
            className="small inertia-note" if sp.clean else "field-error gap-warning",
        )
    elif sp.clean:
        verdict = html.P(
            f"Spectral gap (relative to max |lambda|): {gap}; tolerance {sp.rel_tol:g}.",
            className="small",
        )
    else:
        verdict = html.P(
            f"No clean spectral gap: the counts depend on the tolerance ({sp.rel_tol:g}); {gap}.",
            className="field-error gap-warning",
        )
    if sp.method == "lanczos":
        # Lanczos sees whether a negative eigenvalue exists, not how many there are.
        has_neg = sp.n_neg > 0
        agree = (pr.n_neg_min == 0 or has_neg) if pr.n_neg is None else (pr.n_neg > 0) == has_neg
        what = "a negative eigenvalue" if has_neg else "no negative eigenvalue"
        check = f"measured {what}: " + ("agrees with theory" if agree else "theory differs")
    elif not sp.clean:
        check = "without a clean gap the measured counts cannot be held against it"
    else:
        agree = sp.n_neg >= pr.n_neg_min and all(
            m == t for m, t in zip(sp.counts, pr.counts, strict=True) if t is not None
        )
        check = "measured and theory agree" if agree else "measured and theory differ"
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
            html.P(f"The point: {point.how}.", className="small"),
            html.Table(className="split-table", children=[html.Tbody(rows)]),
            html.P(f"Source: {pr.source}. {check.capitalize()}.", className="small"),
            verdict,
        ],
    )


START_HERE = (
    "Start here: pick a preset from the menu above (each tells a story: press next), or set "
    "a problem and a start on the left. Then press play under the trajectory."
)


def preset_text(state: AppState) -> Any:
    """The story box: the preset's title and text, or the stage the story is at."""
    preset = PRESETS.get(state.preset)
    if preset is None:
        return START_HERE
    n = len(preset.stages)
    if state.step == 0 or not n:
        counter = f" ({n} steps: press next)" if n else ""
        return [
            html.Strong(preset.title + ". "),
            preset.text,
            html.Span(counter, className="muted"),
        ]
    stage = preset.stages[min(state.step, n) - 1]
    return [
        html.Strong(f"{preset.title}, step {min(state.step, n)} of {n}. "),
        stage.text,
    ]
