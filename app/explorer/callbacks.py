"""The explorer's callbacks: thin functions from the state to cached results to pure views.

Two callbacks carry the page. :func:`sync_state` keeps the URL, the controls and the state store
in step (dict in, dict out); the store holds the canonical query string. :func:`render` decodes
it once, fetches the run once, and re-draws only the panels whose inputs changed since the last
drawing (``PANEL_FIELDS``). Everything a browser sends is validated again here (callbacks can be
called over HTTP by anyone), and failures become messages, never tracebacks. Each callback is a
module-level function that unit tests call directly; :func:`register` wires them to an app.
"""

from __future__ import annotations

import logging
from typing import Any

from dash import Dash, Input, Output, State, ctx, dcc, no_update

from app.computation import VIEW_FIELDS, run_state
from app.explorer import ids
from app.explorer.cache import get_point, get_result, get_slice
from app.explorer.data_export import view_csv, view_json
from app.explorer.summary import hessian_table, preset_text, run_status, summary_children
from app.figures.common import message_figure
from app.presets import PRESETS, state_from_query, still_preset, story_step
from app.state import AppState, decode, encode, from_mapping
from app.views import figures, rate_text, view_name

log = logging.getLogger(__name__)
PRESENT_ON = "on"  # the presentation-mode checkbox's value when ticked

# Which view fields each panel depends on (besides the run itself, which every panel shows).
PANEL_FIELDS: dict[str, tuple[str, ...]] = {
    "loss": ("loss_axis", "present"),
    "drift": ("present",),
    "summary": (),
    "trajectory": ("projection", "modes", "step", "present"),
    "point": ("point", "present"),
    "slice": ("point", "slice_dirs", "slice_extent", "slice_kind", "present"),
    "rate": ("present",),
    "preset": ("preset", "step"),
}


def control_value(name: str, v: Any) -> Any:
    """What the control of field ``name`` shows for value ``v``."""
    if name == "present":
        return [PRESENT_ON] if v else []
    if isinstance(v, tuple):
        return ", ".join(f"{x:g}" if isinstance(x, float) else str(x) for x in v)
    if isinstance(v, float):
        return f"{v:g}" if float(f"{v:g}") == v else repr(v)
    return v if isinstance(v, str) else str(v)


def control_values(state: AppState) -> dict[str, Any]:
    return {name: control_value(name, getattr(state, name)) for name in ids.FIELDS}


def _from_control(name: str, raw: Any) -> Any:
    if name == "present":
        return bool(raw) and PRESENT_ON in raw
    return raw


def from_url(search: str | None) -> tuple[AppState, str]:
    """URL -> (state, notice). ``?preset=NAME`` alone is a preset's short link."""
    state, notices = state_from_query(search)
    notice = (
        "Some link parameters were not usable and fell back to defaults: " + "; ".join(notices)
        if notices
        else ""
    )
    return state, notice


def from_user(
    values: dict[str, Any], current: AppState | None = None
) -> tuple[AppState | None, dict[str, str]]:
    """Control values -> (state or None, a message per bad field). A control with no value (a
    dropdown whose options are still on their way clears itself) keeps the current state's
    value. A preset edited away from its state is no longer that preset."""
    raw = {k: _from_control(k, v) for k, v in values.items() if v is not None}
    state, errors = from_mapping(raw, base=current)
    if state is None:
        return None, errors
    if state.preset and not still_preset(state):
        state = state.replace(preset="", step=0)
    return state, {}


STALE_TEXT = "The views show the last valid settings: fix the field marked in red to update them."


def _outputs(
    state: AppState | None, url: Any, notice: Any, errors: dict[str, str], controls: Any
) -> dict[str, Any]:
    return {
        "controls": controls,
        "url": url,
        "store": encode(state) if state is not None else no_update,
        "notice": notice,
        "errors": {name: errors.get(name, "") for name in ids.FIELDS},
        "stale": STALE_TEXT if errors else "",
        "page": no_update if state is None else ("page present" if state.present else "page"),
    }


def sync_state(search: str | None, controls: dict[str, Any], query: str | None) -> dict[str, Any]:
    """One circular callback keeps the URL, the controls and the state store in step."""
    return sync(search, controls, query, ctx.triggered_id)


def sync(
    search: str | None, controls: dict[str, Any], query: str | None, trigger: str | None
) -> dict[str, Any]:
    """:func:`sync_state` for a given trigger (None: the first call; the URL; a control)."""
    unchanged = {name: no_update for name in ids.FIELDS}
    if trigger == ids.CONTROL["preset"] and controls.get("preset") in PRESETS:
        state = PRESETS[controls["preset"]].state.replace(
            present=_from_control("present", controls.get("present"))
        )
        return _outputs(state, encode(state), "", {}, control_values(state))
    if trigger in (None, ids.URL):
        state, notice = from_url(search)
        query = encode(state)
        return _outputs(
            state, query if query != search else no_update, notice, {}, control_values(state)
        )
    edited, errors = from_user(controls, decode(query)[0] if query else None)
    if edited is None:
        return _outputs(None, no_update, no_update, errors, unchanged)
    out_controls: dict[str, Any] = dict(unchanged)
    if edited.preset != controls.get("preset"):
        out_controls["preset"] = edited.preset
    return _outputs(edited, encode(edited), "", {}, out_controls)


def changed_panels(query: str, drawn: str | None) -> set[str]:
    """The panels to re-draw when the state goes from ``drawn`` to ``query``."""
    if not drawn:
        return set(PANEL_FIELDS)
    old, new = decode(drawn)[0], decode(query)[0]
    if run_state(old) != run_state(new):
        return set(PANEL_FIELDS)
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
}
PANEL_FIGURES = {
    "loss": "loss",
    "drift": "drift",
    "trajectory": "trajectory",
    "point": "hessian",
    "slice": "slice",
    "rate": "rate",
}
UNTITLED = ("loss", "drift")  # their panel's heading says it all (exports keep the titles)
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
    return out


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
        point = get_point(state, r) if {"hessian", "slice"} & set(kinds) else None
        sl = get_slice(state, r) if "slice" in kinds else None
        for kind, fig in figures(state, kinds, r, point, sl).items():
            if kind in UNTITLED:
                fig.update_layout(title=None)
            # The SVG download is named after the view (assets/player.js reads meta.filename:
            # a new config prop would make dcc.Graph re-plot without the animation's frames).
            fig.update_layout(
                meta={**(fig.layout.meta or {}), "filename": f"{view_name(state)}-{kind}"}
            )
            out[kind] = fig
        if "summary" in todo:
            out["summary"], out["status"] = summary_children(r), run_status(state, r)
            # The value with its options: a dropdown drops a value its options lack.
            out["point_options"], out["point_value"] = r.point_options, str(state.point)
        if "rate" in todo:
            out["rate_text"] = rate_text(state, r)
        if point is not None:
            out["hessian_table"], out["point_notice"] = hessian_table(point), point.notice
    except Exception as exc:  # a failed computation is reported, and the server stays up
        log.exception("computation failed for %s", query)
        return _failed(f"The computation failed: {exc}")
    if "preset" in todo:
        out["preset_text"] = preset_text(state)
        n = len(PRESETS[state.preset].stages) if state.preset in PRESETS else 0
        out["story_prev"], out["story_next"] = state.step == 0, state.step >= n
    out["error"], out["drawn"] = "", query
    return out


def basin_link(search: str | None) -> str:
    """The basin lab for the problem on screen."""
    return "/basin" + (search or "")


def download(csv_clicks: int | None, json_clicks: int | None, query: str | None) -> Any:
    if not query:
        return no_update
    state, _ = decode(query)
    result = get_result(state)
    if ctx.triggered_id == ids.DOWNLOAD_JSON:
        return dcc.send_string(
            view_json(state, result, get_point(state, result)), "linflow-view.json"
        )
    return dcc.send_string(view_csv(state, result), "linflow-view.csv")


# Read the address bar at the moment of the click: the URL on screen, after every change.
COPY_CURRENT_URL = "function (n) { return window.location.href; }"


def register(app: Dash) -> None:
    from app.explorer import exporting, uploading

    app.callback(
        output={
            "controls": {f: Output(ids.CONTROL[f], "value") for f in ids.FIELDS},
            "url": Output(ids.URL, "search"),
            "store": Output(ids.STATE_STORE, "data"),
            "notice": Output(ids.NOTICE, "children"),
            "errors": {f: Output(ids.ERROR[f], "children") for f in ids.FIELDS},
            "stale": Output(ids.STALE, "children"),
            "page": Output(ids.PAGE, "className"),
        },
        inputs={
            "search": Input(ids.URL, "search"),
            "controls": {f: Input(ids.CONTROL[f], "value") for f in ids.FIELDS},
            "query": State(ids.STATE_STORE, "data"),
        },
    )(sync_state)
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
            **{k: Output(v, "figure") for k, v in GRAPHS.items()},
            **{k: Output(v, "children") for k, v in children.items()},
            "point_options": Output(ids.CONTROL["point"], "options"),
            "point_value": Output(ids.CONTROL["point"], "value", allow_duplicate=True),
            "story_prev": Output(ids.STORY_PREV, "disabled"),
            "story_next": Output(ids.STORY_NEXT, "disabled"),
            "drawn": Output(ids.DRAWN_STORE, "data"),
        },
        inputs={"query": Input(ids.STATE_STORE, "data"), "drawn": State(ids.DRAWN_STORE, "data")},
        # The store starts empty and is filled by sync_state: render runs from then on.
        prevent_initial_call=True,
    )(render)
    app.clientside_callback(
        COPY_CURRENT_URL,
        Output(ids.COPY_LINK, "content"),
        Input(ids.COPY_LINK, "n_clicks"),
        prevent_initial_call=True,
    )
    app.callback(
        Output(ids.DOWNLOAD, "data"),
        Input(ids.DOWNLOAD_CSV, "n_clicks"),
        Input(ids.DOWNLOAD_JSON, "n_clicks"),
        State(ids.STATE_STORE, "data"),
        prevent_initial_call=True,
    )(download)
    app.callback(Output(ids.BASIN_LINK, "href"), Input(ids.URL, "search"))(basin_link)
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
    import json

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
