"""A change in two requests when its run's end is not computed yet.

The end of a run (:class:`app.computation.RunEnd`: the limit polished and its Hessian split, the
curvature along the run) is most of a new run's time at 2,000-6,000 parameters (0.3-0.7 s of
0.7-1.0 s), and its panels (``END_PANELS``) are below the fold. So the change's request
(:func:`app.explorer.callbacks.render`) draws the panels of the run at once, shows the end's
panels as being computed, and writes the state to ``END_PENDING``; that starts
:func:`render_end`, a second request, which computes the end (cached like the run) and sends its
panels to ``END_DATA``. A change whose end is cached is still one request.

Two requests can cross: an older end may arrive after a newer change was drawn. ``END_WANTED``
holds the state whose end the page should show (every drawing of the end's panels sets it), and
the page takes an end only for that state (``APPLY_END``, in the browser).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from typing import Any

from dash import Dash, Input, Output, State, html, no_update

from app.explorer import ids
from app.explorer.cache import get_figures, get_point, get_result
from app.explorer.panels import END_PANELS, GRAPHS, PANEL_FIGURES, draw, failure_message
from app.explorer.summary import hessian_table
from app.figures.common import for_projector, message_figure
from app.state import decode

COMPUTING = "Computing the end of the run…"  # in the figures: it must fit a half-width panel
COMPUTING_TEXT = (
    "Computing the end of the run: its limit polished onto the critical set, the Hessian there "
    "and the curvature along the run…"
)
# The end's graphs, in APPLY_END's order of outputs (its texts and END_SHOWN follow).
END_GRAPHS = tuple(PANEL_FIGURES[p] for p in sorted(END_PANELS))


def _hessian_texts(panels: Collection[str], text: Any) -> dict[str, Any]:
    return {"hessian_table": text, "point_notice": ""} if "point" in panels else {}


def _message(text: str, present: bool) -> dict[str, Any]:
    fig = message_figure(text)
    return (for_projector(fig) if present else fig).to_plotly_json()


def computing(panels: Iterable[str], present: bool = False) -> dict[str, Any]:
    """The end's ``panels`` while the second request computes them (never the previous run's),
    keyed as the change's outputs; ``present``: in presentation mode's type."""
    panels = set(panels)
    fig = _message(COMPUTING, present)
    return {
        **{PANEL_FIGURES[p]: fig for p in panels},
        **_hessian_texts(panels, html.P(COMPUTING_TEXT, className="small")),
    }


def render_end(pending: Any) -> Any:
    """The second request of a change: ``pending`` = {"query": the state, "panels": those of
    END_PANELS to draw} -> {"query", "figures", and the Hessian's texts}. Validated again (a
    callback can be called over HTTP by anyone); failures become the panels' messages."""
    if not isinstance(pending, dict) or not isinstance(pending.get("query"), str):
        return no_update
    asked = pending.get("panels")
    names = {p for p in asked if isinstance(p, str)} if isinstance(asked, list) else set()
    panels = END_PANELS & names
    query = pending["query"]
    state, _ = decode(query)
    payload: dict[str, Any] = {"query": query, "figures": {}}
    try:
        r = get_result(state)
        point = get_point(state, r) if "point" in panels else None
        kinds = [PANEL_FIGURES[p] for p in PANEL_FIGURES if p in panels]
        payload["figures"] = get_figures(
            state, kinds, lambda missing: draw(state, missing, r, point)
        )
        if point is not None:
            payload["hessian_table"], payload["point_notice"] = hessian_table(point), point.notice
    except Exception as exc:  # reported in the panels; the server stays up
        message = failure_message(exc, query)
        fig = _message(message, state.present)
        payload["figures"] = {PANEL_FIGURES[p]: fig for p in panels}
        payload.update(_hessian_texts(panels, html.P(message, className="field-error")))
    return payload


# The page takes the second request's panels only for the state whose end it wants, and then
# says whose end it shows (END_SHOWN: the next change draws the end again if it is not its own).
APPLY_END = """
function (data, wanted) {
    var nu = window.dash_clientside.no_update, graphs = %s;
    if (!data || !wanted || data.query !== wanted) {
        return graphs.map(function () { return nu; }).concat([nu, nu, nu]);
    }
    var f = data.figures || {};
    return graphs.map(function (k) { return f[k] || nu; }).concat([
        data.hessian_table === undefined ? nu : data.hessian_table,
        data.point_notice === undefined ? nu : data.point_notice,
        data.query]);
}
"""


def register(app: Dash) -> None:
    app.callback(
        Output(ids.END_DATA, "data"),
        Input(ids.END_PENDING, "data"),
        prevent_initial_call=True,
    )(render_end)
    app.clientside_callback(
        APPLY_END % json.dumps(END_GRAPHS),
        [Output(ids.figure_data(GRAPHS[k]), "data", allow_duplicate=True) for k in END_GRAPHS]
        + [
            Output(ids.HESSIAN_TABLE, "children", allow_duplicate=True),
            Output(ids.POINT_NOTICE, "children", allow_duplicate=True),
            Output(ids.END_SHOWN, "data", allow_duplicate=True),
        ],
        Input(ids.END_DATA, "data"),
        State(ids.END_WANTED, "data"),
        prevent_initial_call=True,
    )
