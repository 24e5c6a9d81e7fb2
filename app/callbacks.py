"""Thin callbacks: validated state -> cached core call -> pure figure builder.

Each callback is a module-level function that unit tests call directly; :func:`register` wires
them to an app. Everything a browser sends is validated again here (callbacks can be called over
HTTP by anyone), and failures become messages, never tracebacks.
"""

from __future__ import annotations

import logging
from typing import Any

import plotly.graph_objects as go
from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from app import ids
from app.compute import get_point, get_result
from app.data_export import view_csv, view_json
from app.presets import PRESETS
from app.state import AppState, decode, encode, from_controls, from_mapping
from app.summary import hessian_table, summary_children
from app.views import (
    DISCRETE_LABELS,
    drift_view,
    hessian_view,
    loss_view,
    message_figure,
    rate_view,
    slice_view,
    trajectory_view,
)

log = logging.getLogger(__name__)
# The app stops starting new figures after this many seconds; with the 30 s per-figure timeout a
# request stays inside gunicorn's 60 s worker timeout. `linflow export` has no deadline.
EXPORT_DEADLINE = 25.0


def control_values(state: AppState) -> list[Any]:
    """The text each control shows for ``state``, in ``ids.FIELDS`` order."""
    out = []
    for name in ids.FIELDS:
        v = getattr(state, name)
        if isinstance(v, tuple):
            out.append(", ".join(f"{x:g}" if isinstance(x, float) else str(x) for x in v))
        elif isinstance(v, float):
            out.append(f"{v:g}" if float(f"{v:g}") == v else repr(v))
        else:
            out.append(v if isinstance(v, str) else str(v))
    return out


def _preset_only(search: str | None) -> str | None:
    """The preset name when the query is just ``?preset=NAME`` (a preset's short link)."""
    query = (search or "").lstrip("?")
    if query.startswith("preset=") and "&" not in query and query[7:] in PRESETS:
        return query[7:]
    return None


def from_url(search: str | None) -> tuple[list[Any], str, dict[str, Any], str]:
    """URL -> (control values, canonical query, store data, notice text)."""
    name = _preset_only(search)
    if name is not None:
        state = PRESETS[name].state
        return control_values(state), encode(state), state.to_dict(), ""
    state, notices = decode(search)
    notice = (
        ("Some link parameters were not usable and fell back to defaults: " + "; ".join(notices))
        if notices
        else ""
    )
    return control_values(state), encode(state), state.to_dict(), notice


def from_user(values: list[Any]) -> tuple[dict[str, Any] | None, str | None, list[str]]:
    """Control values -> (store data or None, query or None, one error text per field)."""
    state, errors = from_controls(dict(zip(ids.FIELDS, values, strict=True)))
    messages = [errors.get(name, "") for name in ids.FIELDS]
    if state is None:
        return None, None, messages
    preset = PRESETS.get(state.preset)
    if state.preset and (preset is None or preset.state != state):
        state = state.replace(preset="")  # edited away from the preset: no longer that preset
    return state.to_dict(), encode(state), messages


def sync_state(search: str | None, *values: Any) -> list[Any]:
    """One circular callback keeps the URL, the controls and the state store in step."""
    n = len(ids.FIELDS)
    if ctx.triggered_id == ids.CONTROL["preset"]:
        name = values[ids.FIELDS.index("preset")]
        if name in PRESETS:
            state = PRESETS[name].state
            return [*control_values(state), encode(state), state.to_dict(), "", *[""] * n]
        return [*[no_update] * (n + 3), *[""] * n]
    if ctx.triggered_id in (None, ids.URL):
        controls, query, store, notice = from_url(search)
        url_out: Any = query if query != search else no_update
        return [*controls, url_out, store, notice, *[""] * n]
    store_data, new_query, messages = from_user(list(values))
    if store_data is None:
        return [*[no_update] * n, no_update, no_update, no_update, *messages]
    controls_out: list[Any] = [no_update] * n
    if store_data["preset"] != values[ids.FIELDS.index("preset")]:
        controls_out[ids.FIELDS.index("preset")] = store_data["preset"]
    return [*controls_out, new_query, store_data, "", *messages]


def _state(store: dict[str, Any] | None) -> AppState | None:
    if not store:
        return None
    state, _ = from_mapping(store)
    return state


def update_views(store: dict[str, Any] | None) -> list[Any]:
    """Store -> L(t) figure, drift figure, summary, status line, point options, error banner."""
    state = _state(store)
    if state is None:
        msg = "The settings are not valid; fix the fields marked in red."
        return [message_figure(msg)] * 2 + [[], "", no_update, msg]
    try:
        r = get_result(state)
    except Exception as exc:  # a failed computation is reported, and the server stays up
        log.exception("computation failed for %s", encode(state))
        msg = f"The computation failed: {exc}"
        return [message_figure(msg)] * 2 + [[], "", no_update, msg]
    label = DISCRETE_LABELS.get(state.algorithm, "")
    loss, drift = loss_view(state, r), drift_view(state, r)
    tr = r.trajectory
    status = (
        f"Flow: {tr.message} ({tr.method}, {tr.nfev} evaluations, {tr.n_samples} samples). "
        f"Limit: S = {r.limit.classification.label}"
        f"{' (global minimum)' if r.limit.classification.is_global_min else ' (saddle)'}."
    )
    if r.discrete is not None:
        status += f" {label.capitalize()}: {r.discrete.message}."
    return [loss, drift, summary_children(r), status, r.point_options, ""]


def update_hessian(store: dict[str, Any] | None) -> list[Any]:
    state = _state(store)
    if state is None:
        return [message_figure("no valid settings"), []]
    try:
        r = get_result(state)
        return [hessian_view(state, r), hessian_table(get_point(state, r))]
    except Exception as exc:
        log.exception("Hessian analysis failed for %s", encode(state))
        return [message_figure(f"The Hessian analysis failed: {exc}"), []]


def preset_text(store: dict[str, Any] | None) -> Any:
    state = _state(store)
    preset = PRESETS.get(state.preset) if state is not None else None
    if preset is None:
        return ""
    return [html.Strong(preset.title + ". "), preset.text]


def _guarded(view: Any, what: str, store: dict[str, Any] | None) -> Any:
    state = _state(store)
    if state is None:
        return message_figure("no valid settings")
    try:
        return view(state, get_result(state))
    except Exception as exc:
        log.exception("%s failed for %s", what, encode(state))
        return message_figure(f"The {what} failed: {exc}")


def update_trajectory(store: dict[str, Any] | None) -> go.Figure:
    return _guarded(trajectory_view, "trajectory view", store)


def update_slice(store: dict[str, Any] | None) -> go.Figure:
    return _guarded(slice_view, "slice", store)


def update_rate(store: dict[str, Any] | None) -> list[Any]:
    state = _state(store)
    if state is None:
        return ["", message_figure("no valid settings")]
    try:
        return list(rate_view(state, get_result(state)))
    except Exception as exc:
        log.exception("rate view failed for %s", encode(state))
        return [f"The Proposition 2 view failed: {exc}", message_figure("")]


def export_zip(
    n_clicks: int | None,
    figures: list[str] | None,
    fmt: str,
    size: str,
    font: str,
    dpi: str,
    title: list[str] | None,
    store: dict[str, Any] | None,
) -> list[Any]:
    """The "Export for a paper" button: a zip of figures, data and state.json (checked here)."""
    from app.export import ExportError, build_bundle
    from app.export.bundle import zip_bundle

    state = _state(store)
    if state is None:
        return [no_update, "The settings are not valid; nothing to export."]
    try:
        dpi_value = int(float(dpi))
    except (TypeError, ValueError):
        return [no_update, "dpi must be an integer in [50, 1200]"]
    if not figures:
        return [no_update, "Choose at least one figure."]
    try:
        files = build_bundle(
            state, figures, fmt, size, font, dpi_value, bool(title), deadline=EXPORT_DEADLINE
        )
    except (ValueError, ExportError) as exc:
        return [no_update, f"Export failed: {exc}"]
    except Exception as exc:
        log.exception("export failed for %s", encode(state))
        return [no_update, f"Export failed: {exc}"]
    names = ", ".join(sorted(files))
    return [
        dcc.send_bytes(zip_bundle(files), "linflow-figures.zip"),
        f"Exported {len(files)} files: {names}",
    ]


def upload_data(
    contents: list[str] | None, names: list[str] | None, search: str | None
) -> list[Any]:
    """Check and store an upload; on success switch the view to it (through the URL)."""
    from app.uploads import UploadError, parse_upload, store
    from core import Problem, ProblemError

    if not contents or not names:
        return [no_update, ""]
    state, _ = decode(search)
    try:
        X, Y = parse_upload(list(zip(names, contents, strict=True)))
        m, dx = X.shape
        dy = Y.shape[1]
        widths = tuple(max(w, dy) for w in state.widths)
        Problem.from_data(X.T, Y.T, widths * (state.depth if len(widths) == 1 else 1))
    except (UploadError, ProblemError) as exc:
        return [no_update, f"Upload refused: {exc}"]
    digest = store(X, Y)
    new, errors = from_mapping(
        {
            **state.to_dict(),
            "source": "upload",
            "data_hash": digest,
            "dx": dx,
            "dy": dy,
            "m": m,
            "widths": list(widths),
            "preset": "",
            "point": "limit",
        }
    )
    if new is None:
        return [no_update, "Upload refused: " + "; ".join(errors.values())]
    return [encode(new), f"Loaded {m} samples, dx = {dx}, dy = {dy} (data {digest[:12]}...)."]


def basin_link(search: str | None) -> str:
    """The basin lab for the problem on screen."""
    return "/basin" + (search or "")


def copy_link(n_clicks: int | None, href: str | None) -> str:
    return href or ""


def download(csv_clicks: int | None, json_clicks: int | None, store: dict[str, Any] | None) -> Any:
    state = _state(store)
    if state is None:
        return no_update
    result = get_result(state)
    if ctx.triggered_id == ids.DOWNLOAD_JSON:
        return dcc.send_string(view_json(result, get_point(state, result)), "linflow-view.json")
    return dcc.send_string(view_csv(result), "linflow-view.csv")


def register(app: Dash) -> None:
    fields = ids.FIELDS
    app.callback(
        [Output(ids.CONTROL[f], "value") for f in fields]
        + [
            Output(ids.URL, "search"),
            Output(ids.STATE_STORE, "data"),
            Output(ids.NOTICE, "children"),
        ]
        + [Output(ids.ERROR[f], "children") for f in fields],
        [Input(ids.URL, "search")] + [Input(ids.CONTROL[f], "value") for f in fields],
    )(sync_state)
    app.callback(
        [
            Output(ids.LOSS_GRAPH, "figure"),
            Output(ids.DRIFT_GRAPH, "figure"),
            Output(ids.SUMMARY, "children"),
            Output(ids.STATUS, "children"),
            Output(ids.CONTROL["point"], "options"),
            Output(ids.VIEW_ERROR, "children"),
        ],
        Input(ids.STATE_STORE, "data"),
    )(update_views)
    app.callback(
        [Output(ids.HESSIAN_GRAPH, "figure"), Output(ids.HESSIAN_TABLE, "children")],
        Input(ids.STATE_STORE, "data"),
    )(update_hessian)
    app.callback(
        Output(ids.COPY_LINK, "content"),
        Input(ids.COPY_LINK, "n_clicks"),
        State(ids.URL, "href"),
        prevent_initial_call=True,
    )(copy_link)
    app.callback(
        Output(ids.DOWNLOAD, "data"),
        Input(ids.DOWNLOAD_CSV, "n_clicks"),
        Input(ids.DOWNLOAD_JSON, "n_clicks"),
        State(ids.STATE_STORE, "data"),
        prevent_initial_call=True,
    )(download)
    app.callback(Output(ids.PRESET_TEXT, "children"), Input(ids.STATE_STORE, "data"))(preset_text)
    app.callback(Output(ids.TRAJECTORY_GRAPH, "figure"), Input(ids.STATE_STORE, "data"))(
        update_trajectory
    )
    app.callback(Output(ids.SLICE_GRAPH, "figure"), Input(ids.STATE_STORE, "data"))(update_slice)
    app.callback(
        [Output(ids.RATE_TEXT, "children"), Output(ids.RATE_GRAPH, "figure")],
        Input(ids.STATE_STORE, "data"),
    )(update_rate)
    app.callback(
        [Output(ids.EXPORT_DOWNLOAD, "data"), Output(ids.EXPORT_STATUS, "children")],
        Input(ids.EXPORT_BUTTON, "n_clicks"),
        [
            State(ids.EXPORT_FIGURES, "value"),
            State(ids.EXPORT_FORMAT, "value"),
            State(ids.EXPORT_SIZE, "value"),
            State(ids.EXPORT_FONT, "value"),
            State(ids.EXPORT_DPI, "value"),
            State(ids.EXPORT_TITLE, "value"),
            State(ids.STATE_STORE, "data"),
        ],
        prevent_initial_call=True,
    )(export_zip)
    app.callback(Output(ids.BASIN_LINK, "href"), Input(ids.URL, "search"))(basin_link)
    app.callback(
        [Output(ids.URL, "search", allow_duplicate=True), Output(ids.UPLOAD_STATUS, "children")],
        Input(ids.UPLOAD, "contents"),
        [State(ids.UPLOAD, "filename"), State(ids.URL, "search")],
        prevent_initial_call=True,
    )(upload_data)
