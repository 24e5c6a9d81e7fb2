"""Basin lab callbacks: the sweep and the escape experiment as background jobs
(``app.basin.jobs``, ``app.basin.escape``: progress, cancel, a cap on concurrent jobs), and thin
rendering callbacks. Inputs are validated on the server with the app's field parsers; the
charts are drawn from the server's copy of a sweep's result, looked up by its key (the browser
holds only that reference)."""

from __future__ import annotations

import contextlib
import re
from typing import Any

from dash import Dash, Input, Output, State, dcc, html, no_update

import core
from app.basin import ids as bid
from app.basin.escape import run_escape
from app.basin.jobs import SweepRequest, run_sweep
from app.basin.store import job_store
from app.computation import build_problem
from app.figures.basin import fraction_figure, rung_counts_figure, sankey_figure, times_figure
from app.presets import state_from_query
from app.state import AppState, encode
from app.uploads import UploadError
from core.basin_stats import RunSummary, scale_stats

SWEEP_KEY = re.compile(r"[0-9a-f]{64}")
GONE = (
    "The results of this sweep are no longer on this server (they are kept for an hour); "
    "press Start to run it again."
)


def unfinished_note(stats: list[core.ScaleStats]) -> str:
    """What is not known yet, said plainly (empty when every run finished)."""
    n = sum(s.n_unfinished for s in stats)
    if not n:
        return ""
    saddles: dict[str, int] = {}
    for s in stats:
        for lab, k in s.saddle_counts.items():
            saddles[lab] = saddles.get(lab, 0) + k
    at = ", ".join(f"{k} on the plateau of {lab}" for lab, k in sorted(saddles.items()))
    return (
        f" {n} runs are unfinished at t_max ({at or 'still moving'}): they may still reach the "
        "global minimum, so they are counted beside the fractions, not as failures. Raise "
        "t_max in the explorer to finish them."
    )


def stored_sweep(ref: Any) -> dict[str, Any] | None:
    """The server's copy of the sweep a browser's reference names (its final result if there
    is one, else its partial result); None for a malformed or unknown reference."""
    key = ref.get("key") if isinstance(ref, dict) else None
    if not isinstance(key, str) or not SWEEP_KEY.fullmatch(key):
        return None
    with contextlib.closing(job_store()) as shared:
        data = shared.get(f"result:{key}") or shared.get(f"partial:{key}")
    return data if isinstance(data, dict) else None


def render(partial: dict[str, Any] | None, final: dict[str, Any] | None) -> list[Any]:
    """Charts and the table of non-global runs from the latest (partial or final) result."""
    ref = final if isinstance(final, dict) and final.get("complete") else partial
    if not isinstance(ref, dict):
        return [no_update] * 6
    data = stored_sweep(ref)
    if data is None:
        return [no_update] * 5 + [GONE]
    if not data.get("runs"):
        return [no_update] * 6
    request = SweepRequest.from_json(data["request"])
    state, problem, spec = request.state, build_problem(request.state), request.spec
    runs = [RunSummary.from_dict(d) for d in data["runs"]]
    stats = [
        scale_stats(sc, [r for r in runs if r.scale == sc])
        for sc in spec.scales
        if any(r.scale == sc for r in runs)
    ]
    lad = core.ladder(problem)
    if data.get("complete"):
        note = f"Complete: {len(runs)} runs in {data.get('seconds', float('nan')):.1f} s."
    else:
        note = (
            f"Partial results: {len(runs)} of {spec.total} runs. If the sweep was cancelled or "
            "its worker died, these are all there is; press Start to run it again."
        )
    return [
        fraction_figure(stats),
        rung_counts_figure(stats, runs, lad),
        times_figure(stats),
        sankey_figure(runs, lad),
        non_global_table(runs, state),
        note + unfinished_note(stats),
    ]


COLUMNS = ("run", "scale", "seed", "status", "final rung", "final L", "t end", "plateau path", "")


def non_global_table(runs: list[RunSummary], state: AppState) -> Any:
    """Runs that did not reach the global minimum, each with a link that replays it."""
    # Runs at a saddle's plateau first: they are the ones to look at.
    rows = sorted((r for r in runs if not r.reached_global), key=lambda r: r.status != "saddle")
    if not rows:
        return html.P("Every run so far reached the global minimum.")
    body = [html.Tr([html.Th(h) for h in COLUMNS])]
    for r in rows[:200]:
        replay = state.replace(init_scale=r.scale, init_seed=r.seed, preset="")
        status = f"saddle {core.label(r.subset)}" if r.status == "saddle" else r.status
        body.append(
            html.Tr(
                [
                    html.Td(str(r.index)),
                    html.Td(f"{r.scale:g}"),
                    html.Td(str(r.seed)),
                    html.Td(status, className="at-saddle" if r.status == "saddle" else ""),
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
    state, _ = state_from_query(search)  # preset links too: /basin?preset=NAME
    try:
        p = build_problem(state)
    except (UploadError, core.ProblemError, ValueError) as exc:
        return [f"This link's problem cannot be built: {exc}", "/" + encode(state).lstrip("/")]
    text = (
        f"Problem: s = ({', '.join(f'{v:.4g}' for v in p.singular_values)}), dims {p.dims}, "
        f"{state.init_kind} initialisation, {state.flow} flow, t_max = {state.t_max:g}."
    )
    return [text, "/" + encode(state).lstrip("/")]


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
        [Output(bid.ESC_RESULT, "children"), Output(bid.ESC_ERROR, "children")],
        Input(bid.ESC_START, "n_clicks"),
        [
            State(bid.URL, "search"),
            State(bid.ESC_SUBSET, "value"),
            State(bid.ESC_SIZES, "value"),
            State(bid.ESC_RUNS, "value"),
        ],
        background=True,
        progress=[Output(bid.ESC_PROGRESS, "value"), Output(bid.ESC_PROGRESS_TEXT, "children")],
        running=[
            (Output(bid.ESC_START, "disabled"), True, False),
            (Output(bid.ESC_CANCEL, "disabled"), False, True),
        ],
        cancel=[Input(bid.ESC_CANCEL, "n_clicks")],
        prevent_initial_call=True,
    )(run_escape)
