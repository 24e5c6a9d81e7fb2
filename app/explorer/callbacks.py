"""The explorer's callbacks: thin functions from the state to cached results to pure views.

One callback carries the page, in a single request per change: :func:`update` runs
:func:`app.explorer.sync.sync` (URL, controls and state store in step; the store holds the
canonical query string), then :func:`render`, which decodes the state once, fetches the run
once, and re-draws only the panels whose inputs changed since the last drawing
(``PANEL_FIELDS``); the panels of a run's end not computed yet come from a second request
(:mod:`app.explorer.staging`). Everything a browser sends is validated again here (callbacks can be
called over HTTP by anyone), and failures become messages, never tracebacks. Each callback is a
module-level function that unit tests call directly; :func:`register` wires them to an app.
"""

from __future__ import annotations

import json
from typing import Any

from dash import Dash, Input, Output, State, ctx, dcc, no_update

from app.budget import BudgetExceeded
from app.computation import Run, RunResult
from app.explorer import ids, staging
from app.explorer.cache import get_figures, get_point, get_result, get_run, ready_result
from app.explorer.data_export import view_csv, view_json
from app.explorer.panels import (
    END_PANELS,
    GRAPHS,
    PANEL_FIGURES,
    changed_panels,
    draw,
    failure_message,
)
from app.explorer.summary import hessian_table, preset_text, run_status, summary_children
from app.explorer.sync import sync
from app.figures.common import message_figure
from app.presets import PRESETS, story_step
from app.state import decode, encode
from app.uploads import UploadError
from app.views import rate_text

TEXTS = (
    "summary",
    "status",
    "point_options",
    "hessian_table",
    "point_notice",
    "rate_text",
    "preset_text",
    "story_prev",
    "story_next",
    "error",
    "drawn",
    "end_pending",  # the state whose end the second request computes (app.explorer.staging)
    "end_wanted",  # the state whose end the page is to show
    "end_shown",  # the state whose end the page shows ("": none, its end is on its way)
)
RENDER_KEYS = (*GRAPHS, *TEXTS, "point_value")


def _failed(message: str) -> dict[str, Any]:
    out: dict[str, Any] = {k: no_update for k in RENDER_KEYS}
    out.update({k: message_figure(message) for k in GRAPHS})
    out.update(summary=[], status="", hessian_table=[], point_notice="", rate_text="")
    out["error"] = message
    # Nothing drawn is the last good view any more: the next success redraws every panel (else
    # a panel unchanged since that view, the problem's table, say, would stay blank).
    out["drawn"] = ""
    out["end_wanted"] = ""  # and an end still on its way is not shown over this message
    return out


def update(
    search: str | None,
    controls: dict[str, Any],
    query: str | None,
    drawn: str | None,
    shown: dict[str, Any],
) -> dict[str, Any]:
    """A link, a preset or an edited control -> the state in step everywhere, and every panel
    that changed redrawn: one request (syncing and drawing as two chained callbacks cost a
    second round trip, ~25 ms of each change)."""
    return updated(search, controls, query, drawn, ctx.triggered_id, shown)


def updated(
    search: str | None,
    controls: dict[str, Any],
    query: str | None,
    drawn: str | None,
    trigger: str | None,
    shown: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """:func:`update` for a given trigger (as :func:`app.explorer.sync.sync`)."""
    out = sync(search, controls, query, trigger, shown)
    new = out["store"] if isinstance(out["store"], str) else None
    # The basin lab for the problem on screen (set here: a callback of its own in the browser
    # cost each change ~8 renderer dispatches).
    out["basin"] = "/basin" + new if new is not None else no_update
    views = render(new, drawn, (shown or {}).get("end"))
    point = views.pop("point_value")
    if point is not no_update and controls.get("point") != point:
        out["controls"] = {**out["controls"], "point": point}
    return {**out, **views}


def render(query: str | None, drawn: str | None, end_shown: str | None = None) -> dict[str, Any]:
    """The store -> every panel that changed (the others keep what they show). The panels of
    the run's end come with them if the end is computed already, else from a second request
    (:mod:`app.explorer.staging`); ``end_shown`` is the state whose end the page shows (None:
    that of ``drawn``), and the end's panels are drawn again whenever it is not ``drawn``'s (an
    end that never came: the second request failed, or a later change superseded it)."""
    out: dict[str, Any] = {k: no_update for k in RENDER_KEYS}
    if not query:
        return out
    state, _ = decode(query)
    todo = changed_panels(query, drawn)
    if end_shown is not None and end_shown != drawn:
        todo |= END_PANELS
    try:
        r: Run = get_run(state)
        if todo & END_PANELS:
            ready = ready_result(state, r)
            if ready is None:
                # Every end panel, not only those whose fields changed: none shows this run's
                # end until the second request's answer is taken.
                late = sorted(END_PANELS)
                out.update(staging.computing(late, state.present))
                out["end_pending"] = {"query": query, "panels": late}
                todo -= END_PANELS
                shows = ""
            else:
                r = ready
                shows = query
            out["end_wanted"] = query
        else:
            shows = query  # the end on screen is this state's too (its fields did not change)
        if shows != end_shown:
            out["end_shown"] = shows
        kinds = [PANEL_FIGURES[p] for p in PANEL_FIGURES if p in todo]
        point = None
        if "point" in todo:
            assert isinstance(r, RunResult)
            point = get_point(state, r)
        out.update(get_figures(state, kinds, lambda missing: draw(state, missing, r, point)))
        if "problem" in todo:
            out["summary"] = summary_children(r)
        if "summary" in todo:
            out["status"] = run_status(state, r)
            # The value with its options: a dropdown drops a value its options lack.
            out["point_options"], out["point_value"] = r.point_options, str(state.point)
        if "rate" in todo:
            out["rate_text"] = rate_text(state, r)
        if point is not None:
            out["hessian_table"], out["point_notice"] = hessian_table(point), point.notice
    except Exception as exc:  # over budget, an expired upload, a failure: said, server up
        return _failed(failure_message(exc, query))
    if "preset" in todo:
        out["preset_text"] = preset_text(state)
        n = len(PRESETS[state.preset].stages) if state.preset in PRESETS else 0
        out["story_prev"], out["story_next"] = state.step == 0, state.step >= n
    out["error"], out["drawn"] = "", query
    return out


def download(csv_clicks: int | None, json_clicks: int | None, query: str | None) -> tuple[Any, Any]:
    """The numbers behind the view (the download, and a message when there are none)."""
    if not query:
        return no_update, no_update
    state, _ = decode(query)
    try:
        result = get_result(state)
        if ctx.triggered_id == ids.DOWNLOAD_JSON:
            text = view_json(state, result, get_point(state, result))
            return dcc.send_string(text, "linflow-view.json"), ""
        return dcc.send_string(view_csv(state, result), "linflow-view.csv"), ""
    except (BudgetExceeded, UploadError) as exc:
        return no_update, f"No data to download: {exc}"


# A figure goes from its store to its graph now if the graph is in view, else when it scrolls
# in (assets/lazy_graphs.js): Plotly's drawing of the eight panels, not the server, was most of
# a change's time in the browser, and at 1280 x 720 two of them are on screen.
# One callback for the eight graphs: each callback Dash's renderer runs takes several
# dispatches of its store, and each dispatch re-checks every component of the page (~370);
# eight one-graph callbacks took a cached change 180 dispatches, one takes 131.
DRAW_WHEN_IN_VIEW = (
    "function () { return window.linflowLazy.drawTriggered(%s, %s, Array.from(arguments)); }"
)
# Read the address bar at the moment of the click: the URL on screen, after every change.
COPY_CURRENT_URL = "function (n) { return window.location.href; }"


def register(app: Dash) -> None:
    from app.explorer import exporting, uploading

    children = {
        "summary": ids.SUMMARY,
        "status": ids.STATUS,
        "hessian_table": ids.HESSIAN_TABLE,
        "point_notice": ids.POINT_NOTICE,
        "rate_text": ids.RATE_TEXT,
        "preset_text": ids.PRESET_TEXT,
        "error": ids.VIEW_ERROR,
    }
    app.callback(
        output={
            "controls": {f: Output(ids.CONTROL[f], "value") for f in ids.FIELDS},
            "url": Output(ids.URL, "search"),
            "store": Output(ids.STATE_STORE, "data"),
            "notice": Output(ids.NOTICE, "children"),
            "errors": {f: Output(ids.ERROR[f], "children") for f in ids.FIELDS},
            "stale": Output(ids.STALE, "children"),
            "page": Output(ids.PAGE, "className"),
            **{k: Output(ids.figure_data(v), "data") for k, v in GRAPHS.items()},
            **{k: Output(v, "children") for k, v in children.items()},
            "point_options": Output(ids.CONTROL["point"], "options"),
            "story_prev": Output(ids.STORY_PREV, "disabled"),
            "story_next": Output(ids.STORY_NEXT, "disabled"),
            "drawn": Output(ids.DRAWN_STORE, "data"),
            "end_pending": Output(ids.END_PENDING, "data"),
            "end_wanted": Output(ids.END_WANTED, "data"),
            "end_shown": Output(ids.END_SHOWN, "data"),
            "basin": Output(ids.BASIN_LINK, "href"),
        },
        inputs={
            "search": Input(ids.URL, "search"),
            "controls": {f: Input(ids.CONTROL[f], "value") for f in ids.FIELDS},
            "query": State(ids.STATE_STORE, "data"),
            "drawn": State(ids.DRAWN_STORE, "data"),
            "shown": {
                "stale": State(ids.STALE, "children"),
                "page": State(ids.PAGE, "className"),
                "notice": State(ids.NOTICE, "children"),
                "end": State(ids.END_SHOWN, "data"),
            },
        },
    )(update)
    app.clientside_callback(
        COPY_CURRENT_URL,
        Output(ids.COPY_LINK, "content"),
        Input(ids.COPY_LINK, "n_clicks"),
        prevent_initial_call=True,
    )
    app.callback(
        Output(ids.DOWNLOAD, "data"),
        Output(ids.VIEW_ERROR, "children", allow_duplicate=True),
        Input(ids.DOWNLOAD_CSV, "n_clicks"),
        Input(ids.DOWNLOAD_JSON, "n_clicks"),
        State(ids.STATE_STORE, "data"),
        prevent_initial_call=True,
    )(download)
    graphs = list(GRAPHS.values())
    stores = [ids.figure_data(g) for g in graphs]
    app.clientside_callback(
        DRAW_WHEN_IN_VIEW % (json.dumps(graphs), json.dumps(stores)),
        [Output(g, "figure") for g in graphs],
        [Input(s, "data") for s in stores],
    )
    staging.register(app)
    exporting.register(app)
    uploading.register(app)
    register_view_logic(app)


def story(prev_clicks: int | None, next_clicks: int | None, query: str | None) -> Any:
    """The preset's previous or next stage, through the URL (so a link holds the step)."""
    if not query:
        return no_update
    state, _ = decode(query)
    new = story_step(state, -1 if ctx.triggered_id == ids.STORY_PREV else 1)
    return encode(new) if new != state else no_update


# Show a sidebar field only where it applies (the spectrum's fields for a spectrum, the data
# fields for data, eta and beta for discrete runs, ...): pure view logic, in the browser.
HIDE_MOOT_FIELDS = """
function (source, algorithm, initKind) {
    var value = {source: source, algorithm: algorithm, init_kind: initKind};
    var rules = %s;
    return Object.keys(rules).map(function (field) {
        var rule = rules[field];
        return rule[1].indexOf(value[rule[0]]) >= 0 ? "control" : "control hidden";
    });
}
"""
TOGGLE_SIDEBAR = """
function (n, cls) {
    if (!n) { return window.dash_clientside.no_update; }
    var open = cls.indexOf("sidebar-open") >= 0;
    return open ? cls.replace(" sidebar-open", "") : cls + " sidebar-open";
}
"""


def register_view_logic(app: Dash) -> None:
    from app.explorer.controls import SHOWN_WHEN

    wraps = [ids.WRAP_UPLOAD if f == "upload" else ids.WRAP[f] for f in SHOWN_WHEN]
    app.clientside_callback(
        HIDE_MOOT_FIELDS % json.dumps(SHOWN_WHEN),
        [Output(w, "className") for w in wraps],
        [Input(ids.CONTROL[f], "value") for f in ("source", "algorithm", "init_kind")],
    )
    app.clientside_callback(
        TOGGLE_SIDEBAR,
        Output(ids.PAGE, "className", allow_duplicate=True),
        Input(ids.SIDEBAR_TOGGLE, "n_clicks"),
        State(ids.PAGE, "className"),
        prevent_initial_call=True,
    )
    app.callback(
        Output(ids.URL, "search", allow_duplicate=True),
        Input(ids.STORY_PREV, "n_clicks"),
        Input(ids.STORY_NEXT, "n_clicks"),
        State(ids.STATE_STORE, "data"),
        prevent_initial_call=True,
    )(story)
