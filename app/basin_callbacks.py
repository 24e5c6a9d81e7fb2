"""Basin lab callbacks: the sweep as a background job (progress, cancel, a cap on concurrent jobs)
and thin rendering callbacks. Inputs are validated here, on the server."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dash import Dash, Input, Output, State, dcc, html, no_update

from app import basin_ids as bid
from app.basin_figures import fraction_figure, rung_counts_figure, sankey_figure, times_figure
from app.compute import build_problem
from app.state import AppState, decode, encode
from core.ladder import label, ladder
from core.sweep import RunSummary, escape_sweep, plan, run_chunk, scale_stats

log = logging.getLogger(__name__)

MAX_RUNS = 5000  # runs per scale from the app (the command line has no cap)
MAX_SCALES = 6
MAX_ESCAPE_RUNS = 200
MAX_ESCAPE_SIZES = 6
MAX_ESCAPE_WORK = 600  # runs x sizes in one (interactive) escape experiment
ESCAPE_T_MAX = 500.0  # escapes are read within this horizon, whatever the explorer's t_max
JOB_TTL = 3600  # a job slot expires after an hour even if its process was killed
SWEEP_KINDS = ("gaussian", "balanced", "orthogonal", "layered")


def max_jobs() -> int:
    """Concurrent sweeps per instance (LINFLOW_MAX_JOBS, default 2)."""
    return max(1, int(os.environ.get("LINFLOW_MAX_JOBS", "2")))


def jobs_dir() -> Path:
    base = Path(os.environ.get("LINFLOW_CACHE_DIR", ".linflow-cache")).resolve()
    path = base / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def parse_sweep(
    search: str | None, runs: Any, scales: Any, seed: Any
) -> tuple[dict[str, Any] | None, str]:
    """The sweep request, or a message naming the field and its allowed range."""
    state, _ = decode(search)
    try:
        n = int(float(runs))
        if not 1 <= n <= MAX_RUNS or float(runs) != n:
            raise ValueError
    except (TypeError, ValueError):
        return None, f"runs per scale must be an integer in [1, {MAX_RUNS}]"
    try:
        sc = [float(x) for x in str(scales).replace(";", ",").split(",") if x.strip()]
        if not 1 <= len(sc) <= MAX_SCALES or any(not 1e-6 <= v <= 10 for v in sc):
            raise ValueError
    except ValueError:
        return None, f"init scales: 1 to {MAX_SCALES} comma-separated numbers in [1e-6, 10]"
    try:
        sd = int(float(seed))
        if not 0 <= sd < 2**32 or float(seed) != sd:
            raise ValueError
    except (TypeError, ValueError):
        return None, "sweep seed must be an integer in [0, 4294967295]"
    kind = state.init_kind if state.init_kind in SWEEP_KINDS else "gaussian"
    return {
        "query": encode(state),
        "n_runs": n,
        "scales": sc,
        "seed": sd,
        "t_max": state.t_max,
        "flow": state.flow,
        "kind": kind,
    }, ""


class JobSlots:
    """At most max_jobs() sweeps at once, counted in a store every worker process shares."""

    def __init__(self) -> None:
        import diskcache

        self.cache = diskcache.Cache(str(jobs_dir() / "slots"))
        self.key = f"job:{uuid.uuid4().hex}"

    def acquire(self) -> bool:
        with self.cache.transact():
            busy = sum(1 for k in self.cache.iterkeys() if str(k).startswith("job:"))
            if busy >= max_jobs():
                return False
            self.cache.set(self.key, time.time(), expire=JOB_TTL)
            return True

    def release(self) -> None:
        self.cache.delete(self.key)
        self.cache.close()


FOLLOW_POLL = 0.5  # seconds between looks at the job an identical request follows


def _request_key(request: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()


def _progress_row(payload: dict[str, Any], elapsed: float) -> list[Any]:
    done, total = len(payload["runs"]), payload["n_runs"] * len(payload["scales"])
    left = elapsed / max(done, 1) * (total - done)
    return [
        str(round(100 * done / total)),
        f"{done} / {total} runs, {elapsed:.1f} s elapsed, about {left:.0f} s left",
        payload,
    ]


def _follow(shared: Any, key: str, set_progress: Callable[[list[Any]], None]) -> list[Any]:
    """An identical sweep is running: show its progress and share its result."""
    t0 = time.perf_counter()
    while True:
        result = shared.get(f"result:{key}")
        if result is not None:
            return [result, ""]
        partial = shared.get(f"partial:{key}")
        if partial is not None:
            set_progress(_progress_row(partial, time.perf_counter() - t0))
        if shared.get(f"running:{key}") is None and shared.get(f"result:{key}") is None:
            return [
                no_update,
                "The identical sweep this request was sharing stopped before "
                "finishing; press Start to run it again.",
            ]
        time.sleep(FOLLOW_POLL)


def run_sweep(
    set_progress: Callable[[list[Any]], None],
    n_clicks: int | None,
    search: str | None,
    runs: Any,
    scales: Any,
    seed: Any,
) -> list[Any]:
    """The background job: chunk by chunk, reporting progress and partial results. Identical
    requests share one computation: later ones follow the first (and take no job slot)."""
    import diskcache

    request, error = parse_sweep(search, runs, scales, seed)
    if request is None:
        return [no_update, error]
    key = _request_key(request)
    with diskcache.Cache(str(jobs_dir() / "shared")) as shared:
        done = shared.get(f"result:{key}")
        if done is not None:
            return [done, ""]
        if not shared.add(f"running:{key}", time.time(), expire=JOB_TTL):
            return _follow(shared, key, set_progress)
        slots = JobSlots()
        try:
            if not slots.acquire():
                return [
                    no_update,
                    f"{max_jobs()} sweeps are already running on this "
                    "instance; try again when one finishes",
                ]
            state, _ = decode(request["query"])
            problem = build_problem(state)
            jobs = plan(
                problem,
                request["n_runs"],
                request["scales"],
                request["seed"],
                request["t_max"],
                request["flow"],
                request["kind"],
            )
            finished: list[dict[str, Any]] = []
            t0 = time.perf_counter()
            for job in jobs:
                finished.extend(r.to_dict() for r in run_chunk(job))
                payload = {**request, "runs": finished, "complete": False}
                shared.set(f"partial:{key}", payload, expire=JOB_TTL)
                set_progress(_progress_row(payload, time.perf_counter() - t0))
            final = {
                **request,
                "runs": finished,
                "complete": True,
                "seconds": time.perf_counter() - t0,
            }
            shared.set(f"result:{key}", final, expire=JOB_TTL)
            return [final, ""]
        finally:
            slots.release()
            shared.delete(f"running:{key}")


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
