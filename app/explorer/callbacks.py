"""The explorer's callbacks: thin functions from the state to cached results to pure views.

One callback carries the page, in a single request per change: :func:`update` runs
:func:`app.explorer.sync.sync` (URL, controls and state store in step; the store holds the
canonical query string), then :func:`render`, which decodes the state once, fetches the run
once, and re-draws only the panels whose inputs changed since the last drawing
(``PANEL_FIELDS``). Everything a browser sends is validated again here (callbacks can be
called over HTTP by anyone), and failures become messages, never tracebacks. Each callback is a
module-level function that unit tests call directly; :func:`register` wires them to an app.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from dash import Dash, Input, Output, State, ctx, dcc, no_update

from app.budget import BudgetExceeded
from app.computation import PROBLEM_FIELDS, VIEW_FIELDS, PointAnalysis, RunResult, run_state
from app.explorer import ids
from app.explorer.cache import get_figures, get_point, get_result, get_slice
from app.explorer.data_export import view_csv, view_json
from app.explorer.summary import hessian_table, preset_text, run_status, summary_children
from app.explorer.sync import sync
from app.figures.common import message_figure
from app.presets import PRESETS, story_step
from app.state import AppState, decode, encode
from app.uploads import UploadError
from app.views import figures, rate_text, view_name

log = logging.getLogger(__name__)

# Which view fields each panel depends on (besides the run itself, which every panel shows).
PANEL_FIELDS: dict[str, tuple[str, ...]] = {
    "loss": ("loss_axis", "present"),
    "drift": ("present",),
    "summary": (),  # the run's status line and its points
    "problem": (),  # the problem's table: redrawn only when the problem changes
    "trajectory": ("projection", "modes", "step", "present"),
    "point": ("point", "present"),
    "slice": ("point", "slice_dirs", "slice_extent", "slice_kind", "present"),
    "rate": ("present",),
    "curvature": ("present",),
    "outputs": ("present",),
    "preset": ("preset", "step"),
}


def changed_panels(query: str, drawn: str | None) -> set[str]:
    """The panels to re-draw when the state goes from ``drawn`` to ``query``."""
    if not drawn:
        return set(PANEL_FIELDS)
    old, new = decode(drawn)[0], decode(query)[0]
    if run_state(old) != run_state(new):
        # A new run of the same problem keeps the problem's table: re-sending its ~30
        # components cost the browser's renderer a dispatch to every component for each.
        same = all(getattr(old, f) == getattr(new, f) for f in PROBLEM_FIELDS)
        return set(PANEL_FIELDS) - ({"problem"} if same else set())
    moved = {f for f in VIEW_FIELDS if getattr(old, f) != getattr(new, f)}
    return {panel for panel, deps in PANEL_FIELDS.items() if moved & set(deps)}


# Panel -> (its figure kinds and graphs); the text outputs are filled beside them.
GRAPHS = {
    "loss": ids.LOSS_GRAPH,
    "drift": ids.DRIFT_GRAPH,
    "trajectory": ids.TRAJECTORY_GRAPH,
    "hessian": ids.HESSIAN_GRAPH,
    "slice": ids.SLICE_GRAPH,
    "rate": ids.RATE_GRAPH,
    "curvature": ids.CURVATURE_GRAPH,
    "outputs": ids.OUTPUTS_GRAPH,
}
PANEL_FIGURES = {
    "loss": "loss",
    "drift": "drift",
    "trajectory": "trajectory",
    "point": "hessian",
    "slice": "slice",
    "rate": "rate",
    "curvature": "curvature",
    "outputs": "outputs",
}
UNTITLED = (
    "loss",
    "drift",
    "curvature",
)  # their panel's heading says it all (exports keep the titles)
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
    return out


def draw(
    state: AppState, kinds: list[str], r: RunResult, point: PointAnalysis | None
) -> dict[str, dict]:
    """The explorer's figures ``kinds`` as plotly JSON: the loss and drift untitled (their
    panels' headings say it), each named for its SVG download by the view."""
    if point is None and {"hessian", "slice"} & set(kinds):
        point = get_point(state, r)
    sl = get_slice(state, r) if "slice" in kinds else None
    out = {}
    for kind, fig in figures(state, kinds, r, point, sl).items():
        if kind in UNTITLED:
            fig.update_layout(title=None)
        # assets/player.js reads meta.filename when the camera button is pressed (a new config
        # prop would make dcc.Graph re-plot).
        fig.update_layout(
            meta={**(fig.layout.meta or {}), "filename": f"{view_name(state)}-{kind}"}
        )
        out[kind] = fig.to_plotly_json()
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
    views = render(new, drawn)
    point = views.pop("point_value")
    if point is not no_update and controls.get("point") != point:
        out["controls"] = {**out["controls"], "point": point}
    return {**out, **views}


def render(query: str | None, drawn: str | None) -> dict[str, Any]:
    """The store -> every panel that changed (the others keep what they show)."""
    out: dict[str, Any] = {k: no_update for k in RENDER_KEYS}
    if not query:
        return out
    state, _ = decode(query)
    todo = changed_panels(query, drawn)
    kinds = [PANEL_FIGURES[p] for p in PANEL_FIGURES if p in todo]
    try:
        r = get_result(state)
        point = get_point(state, r) if "point" in todo else None
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
    except (BudgetExceeded, UploadError) as exc:  # over budget, or the upload has expired
        return _failed(str(exc))
    except Exception as exc:  # a failed computation is reported, and the server stays up
        log.exception("computation failed for %s", query)
        return _failed(f"The computation failed: {exc}")
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
