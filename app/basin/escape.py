"""The escape experiment as a background job: starts on a saddle's stable manifold, kicked off
it by each perturbation size, integrated size by size with progress, under the same cap on
concurrent jobs as the sweeps (at its limit, 600 runs, it takes more than a minute: too long for
a request)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

from dash import html, no_update

import core
from app import limits
from app.basin.jobs import max_jobs, retrying
from app.basin.store import JobSlots, heartbeat, job_store
from app.computation import build_problem
from app.fields import FieldError, integer, listed, number
from app.presets import state_from_query
from app.uploads import UploadError

log = logging.getLogger(__name__)

parse_escape_runs = integer("runs", 1, limits.MAX_ESCAPE_RUNS)
parse_kicks = listed("perturbations", number("perturbation", 0.0, 1.0), 1, limits.MAX_ESCAPE_SIZES)


def parse_escape(
    search: str | None, subset: Any, sizes: Any, runs: Any
) -> tuple[tuple[core.Problem, tuple[int, ...], tuple[float, ...], int, float] | None, str]:
    """(problem, saddle S (0-based), sizes, runs, t_max), or a message naming the field."""
    state, _ = state_from_query(search)
    try:
        problem = build_problem(state)
    except (UploadError, core.ProblemError, ValueError) as exc:
        return None, f"The problem of this link cannot be built: {exc}"
    dy = problem.dy
    try:
        modes = listed("saddle S", integer("mode", 1, dy), 1, dy - 1)(subset)
        eps, n = parse_kicks(sizes), parse_escape_runs(runs)
    except FieldError as err:
        if err.field == "saddle S":
            return None, f"saddle S: 1-based modes in [1, {dy}], not all of them"
        return None, str(err)
    if n * len(eps) > limits.MAX_ESCAPE_WORK:
        return None, (
            f"{n} runs x {len(eps)} perturbations: at most {limits.MAX_ESCAPE_WORK} runs in all"
        )
    S = tuple(sorted({i - 1 for i in modes}))
    return (problem, S, eps, n, min(state.t_max, limits.ESCAPE_T_MAX)), ""


def escape_table(S: tuple[int, ...], t_max: float, n: int, rows: list[tuple]) -> html.Div:
    head = html.Tr(
        [
            html.Th("perturbation"),
            html.Th("escaped"),
            html.Th("still on the saddle's plateau at t_max"),
            html.Th("median time in the saddle's band"),
        ]
    )
    body = [
        html.Tr(
            [html.Td(f"{e:g}"), html.Td(f"{k} / {n}"), html.Td(f"{s} / {n}"), html.Td(f"{t:.3g}")]
        )
        for e, k, s, t in rows
    ]
    return html.Div(
        [
            html.P(f"Saddle S = {core.label(S)}, t_max = {t_max:g}"),
            html.Table([html.Tbody([head, *body])], className="runs-table"),
        ]
    )


def run_escape(
    set_progress: Callable[[list[Any]], None],
    n_clicks: int | None,
    search: str | None,
    subset: Any,
    sizes: Any,
    runs: Any,
) -> list[Any]:
    """The background job: [the table, or no_update; a message]. Each size is one batch with
    the seeds ``core.escape_sweep`` gives it, so results equal a single call's."""
    if not n_clicks:
        return [no_update, ""]
    parsed, error = parse_escape(search, subset, sizes, runs)
    if parsed is None:
        return [no_update, error]
    problem, S, eps, n, t_max = parsed
    try:
        with contextlib.closing(job_store()) as shared:
            slots = JobSlots(shared, max_jobs())
            if not retrying(slots.acquire):
                return [no_update, f"{max_jobs()} jobs are already running; try again soon"]
            try:
                with heartbeat(slots.renew):
                    rows = []
                    for j, e in enumerate(eps):
                        set_progress([str(round(100 * j / len(eps))), f"size {e:g}: running"])
                        res = core.escape_sweep(problem, S, [e], n, seed=j, t_max=t_max)
                        rows.append(
                            (e, res.n_escaped[0], res.n_stuck[0], res.median_time_near_saddle[0])
                        )
                    set_progress(["100", f"{len(eps)} sizes x {n} runs done"])
            finally:
                with contextlib.suppress(Exception):
                    slots.release()
    except Exception as exc:
        log.exception("escape experiment failed")
        return [no_update, f"The experiment failed ({type(exc).__name__}: {exc})."]
    return [escape_table(S, t_max, n, rows), ""]
