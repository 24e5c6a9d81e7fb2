"""Basin lab callbacks: the sweep as a background job (see app.basin_jobs: progress, cancel, a cap
on concurrent jobs), the escape experiment, and thin rendering callbacks. Inputs are validated
on the server."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State, dcc, html, no_update

from app import basin_ids as bid
from app.basin_figures import fraction_figure, rung_counts_figure, sankey_figure, times_figure
from app.basin_jobs import run_sweep
from app.compute import build_problem
from app.state import AppState, decode, encode
from core.escape import escape_sweep
from core.ladder import label, ladder
from core.sweep import RunSummary, scale_stats

MAX_ESCAPE_RUNS = 200
MAX_ESCAPE_SIZES = 6
MAX_ESCAPE_WORK = 600  # runs x sizes in one (interactive) escape experiment
ESCAPE_T_MAX = 500.0  # escapes are read within this horizon, whatever the explorer's t_max


def render(partial: dict[str, Any] | None, final: dict[str, Any] | None) -> list[Any]:
    """Charts and the table of non-global runs from the latest (partial or final) result."""
    data = final if final and final.get("complete") else partial
    if not data or not data.get("runs"):
        return [no_update] * 6
    state, _ = decode(data["query"])
    problem = build_problem(state)
    runs = [RunSummary.from_dict(d) for d in data["runs"]]
    stats = [
        scale_stats(problem, sc, [r for r in runs if r.scale == sc])
        for sc in data["scales"]
        if any(r.scale == sc for r in runs)
    ]
    lad = ladder(problem)
    total = data["n_runs"] * len(data["scales"])
    if data.get("complete"):
        note = f"Complete: {len(runs)} runs in {data.get('seconds', float('nan')):.1f} s."
    else:
        note = (
            f"Partial results: {len(runs)} of {total} runs. If the sweep was cancelled or "
            "its worker died, these are all there is; press Start to run it again."
        )
    return [
        fraction_figure(stats),
        rung_counts_figure(stats, runs, lad),
        times_figure(stats),
        sankey_figure(runs, lad),
        non_global_table(runs, state),
        note,
    ]


COLUMNS = ("run", "scale", "seed", "status", "final rung", "final L", "t end", "plateau path", "")


def non_global_table(runs: list[RunSummary], state: AppState) -> Any:
    """Runs that did not reach the global minimum, each with a link that replays it."""
    # Runs that converged to a saddle are the headline: list them before runs still moving.
    rows = sorted((r for r in runs if not r.reached_global), key=lambda r: r.status != "converged")
    if not rows:
        return html.P("Every run so far reached the global minimum.")
    body = [html.Tr([html.Th(h) for h in COLUMNS])]
    for r in rows[:200]:
        replay = state.replace(init_scale=r.scale, init_seed=r.seed, preset="", point="limit")
        body.append(
            html.Tr(
                [
                    html.Td(str(r.index)),
                    html.Td(f"{r.scale:g}"),
                    html.Td(str(r.seed)),
                    html.Td(r.status, className="stuck" if r.status == "converged" else ""),
                    html.Td(r.rung),
                    html.Td(f"{r.final_loss:.6g}", className="final-loss"),
                    html.Td(f"{r.t_end:.4g}"),
                    html.Td(r.path_label),
                    html.Td(
                        dcc.Link(
                            "open in explorer",
                            href="/" + encode(replay).lstrip("/"),
                            className="open-run",
                        )
                    ),
                ]
            )
        )
    return html.Table([html.Tbody(body)], className="runs-table")


def problem_text(search: str | None) -> list[Any]:
    state, _ = decode(search)
    p = build_problem(state)
    text = (
        f"Problem: s = ({', '.join(f'{v:.4g}' for v in p.singular_values)}), dims {p.dims}, "
        f"{state.init_kind} initialisation, {state.flow} flow, t_max = {state.t_max:g}."
    )
    return [text, "/" + encode(state).lstrip("/")]


def run_escape(n_clicks: int | None, search: str | None, subset: Any, sizes: Any, runs: Any) -> Any:
    if not n_clicks:
        return no_update
    state, _ = decode(search)
    problem = build_problem(state)
    try:
        S = tuple(int(x) - 1 for x in str(subset).split(",") if x.strip())
        if any(not 0 <= i < problem.dy for i in S) or len(S) == problem.dy:
            raise ValueError
    except ValueError:
        return html.P(
            f"saddle S: 1-based modes in [1, {problem.dy}], not all of them",
            className="field-error",
        )
    try:
        eps = [float(x) for x in str(sizes).split(",") if x.strip()]
        n = int(float(runs))
        if (
            not 1 <= len(eps) <= MAX_ESCAPE_SIZES
            or any(not 0 <= e <= 1 for e in eps)
            or not 1 <= n <= MAX_ESCAPE_RUNS
            or n * len(eps) > MAX_ESCAPE_WORK
        ):
            raise ValueError
    except ValueError:
        return html.P(
            f"1 to {MAX_ESCAPE_SIZES} perturbations in [0, 1]; runs an integer in "
            f"[1, {MAX_ESCAPE_RUNS}], at most {MAX_ESCAPE_WORK} runs in all",
            className="field-error",
        )
    res = escape_sweep(problem, S, eps, n, seed=0, t_max=min(state.t_max, ESCAPE_T_MAX))
    head = html.Tr(
        [html.Th("perturbation"), html.Th("escaped"), html.Th("median time near the saddle")]
    )
    rows = [
        html.Tr([html.Td(f"{e:g}"), html.Td(f"{k} / {n}"), html.Td(f"{t:.3g}")])
        for e, k, t in zip(
            res.perturbations, res.n_escaped, res.median_time_near_saddle, strict=True
        )
    ]
    return html.Div(
        [
            html.P(f"Saddle S = {label(S)}"),
            html.Table([html.Tbody([head, *rows])], className="runs-table"),
        ]
    )


def register(app: Dash) -> None:
    app.callback(
        [Output(bid.PROBLEM, "children"), Output(bid.EXPLORER_LINK, "href")],
        Input(bid.URL, "search"),
    )(problem_text)
    app.callback(
        [Output(bid.RESULT, "data"), Output(bid.ERROR, "children")],
        Input(bid.START, "n_clicks"),
        [
            State(bid.URL, "search"),
            State(bid.RUNS, "value"),
            State(bid.SCALES, "value"),
            State(bid.SEED, "value"),
        ],
        background=True,
        progress=[
            Output(bid.PROGRESS, "value"),
            Output(bid.PROGRESS_TEXT, "children"),
            Output(bid.PARTIAL, "data"),
        ],
        running=[
            (Output(bid.START, "disabled"), True, False),
            (Output(bid.CANCEL, "disabled"), False, True),
        ],
        cancel=[Input(bid.CANCEL, "n_clicks")],
        prevent_initial_call=True,
    )(run_sweep)
    app.callback(
        [
            Output(bid.FRACTION, "figure"),
            Output(bid.RUNGS, "figure"),
            Output(bid.TIMES, "figure"),
            Output(bid.SANKEY, "figure"),
            Output(bid.TABLE, "children"),
            Output(bid.RESULT_NOTE, "children"),
        ],
        [Input(bid.PARTIAL, "data"), Input(bid.RESULT, "data")],
        prevent_initial_call=True,
    )(render)
    app.callback(
        Output(bid.ESC_RESULT, "children"),
        Input(bid.ESC_START, "n_clicks"),
        [
            State(bid.URL, "search"),
            State(bid.ESC_SUBSET, "value"),
            State(bid.ESC_SIZES, "value"),
            State(bid.ESC_RUNS, "value"),
        ],
        prevent_initial_call=True,
    )(run_escape)
