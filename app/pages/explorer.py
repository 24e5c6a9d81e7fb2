"""The explorer (/): settings on the left; first the story of the preset (if any), then L(t)
against the ladder beside the trajectory, the curvature along the run and the network's
outputs per item (all on one time axis with one cursor; ``focus`` picks which sits beside
L(t)), then the Hessian and the landscape slice at a point, then the problem, Proposition 2,
the invariants and export.
In presentation mode (``?present=1``) the sidebar folds away and the two main graphs fill a
1280 x 720 screen."""

from __future__ import annotations

from typing import Any

import dash
from dash import dcc, html

from app.explorer import ids
from app.explorer.controls import inline_radio, inline_text, sidebar
from app.explorer.summary import START_HERE, equations
from app.explorer.sync import PRESENT_ON
from app.export.style import SIZES
from app.pages._layout import graph, page_header, panel
from app.presets import PRESETS
from app.state import COMPARISONS, FOCUS, PROJECTIONS, SLICE_DIRECTIONS, SLICE_KINDS, AppState
from app.views import FIGURES

LOSS_HELP = (
    "Every dotted line is a critical value 1/2 sum_(i not in S) s_i^2 (its subset S on the "
    "right). Shaded: the plateaus, where the run lingers near a saddle. Hover for t, L and "
    "the nearest rung."
)
TRAJECTORY_HELP = (
    "Press play or drag the slider: the marker moves along the run, frames spaced where it "
    "changes (a long plateau passes quickly), and the orange line on L(t) follows. Corners "
    "are the critical points diag(s_i, i in S)."
)
HESSIAN_HELP = (
    "A plateau is analysed at the critical point the run visited (its weights cut to the "
    "saddle's rank, then polished); the split is compared with the corrected theory."
)
SLICE_HELP = (
    "L on the plane through the selected point (the Hessian panel's choice). Along the most "
    "negative eigenvector a saddle shows a descent valley."
)
RATE_HELP = (
    "Pyramidal widths d_1 >= ... >= d_H >= dy and enough positive eigenvalues of the C_j at "
    "t = 0 give ||M(t)||^2 <= ||M(0)||^2 exp(-2 alpha t) (corrected statement)."
)
CURVATURE_HELP = (
    "The largest and smallest Hessian eigenvalue along the run (symmetric log axis: linear near "
    "0) and the number of negative ones below (hollow: no clean spectral gap, the count depends "
    "on the tolerance; a triangle: at least that many, as many as Lanczos computed). Gradient "
    "descent at step eta cannot settle where lambda_max > 2/eta."
)
OUTPUTS_HELP = (
    "What the network outputs for each item (rows: the item's outputs in order, targets at the "
    "right) as it learns: broad properties first, item-specific ones last."
)
DRIFT_HELP = "Conserved by the flow (drift at round-off level); discrete steps break them."
EXPORT_HELP = (
    "Vector figures in a paper style (fonts embedded, 8-10 pt, colour-blind-safe colours with "
    "line styles that survive greyscale), the data behind each figure as CSV and JSON, and "
    "state.json: `linflow export --state state.json` regenerates them."
)
FIGURE_NAMES = {
    "loss": "L(t) with the ladder",
    "trajectory": "trajectory",
    "hessian": "Hessian spectrum",
    "drift": "invariant drift",
    "slice": "landscape slice",
    "rate": "Proposition 2",
    "curvature": "curvature along the run",
    "outputs": "outputs per item",
}
assert set(FIGURE_NAMES) == set(FIGURES)


def _graph(graph_id: str, tall: bool = False) -> Any:
    """A graph drawn from its figure store when in view (see app.explorer.callbacks)."""
    return graph(graph_id, tall, data_id=ids.figure_data(graph_id))


def _header() -> html.Header:
    presets = [{"label": "Presets...", "value": ""}] + [
        {"label": p.title, "value": name} for name, p in PRESETS.items()
    ]
    return page_header(
        "gradient descent in deep linear networks",
        [
            html.Button("\u2630 settings", id=ids.SIDEBAR_TOGGLE, className="button ghost"),
            dcc.Dropdown(
                id=ids.CONTROL["preset"],
                options=presets,
                value="",
                clearable=False,
                searchable=False,
                className="preset-menu",
            ),
            html.Div(id=ids.ERROR["preset"], className="field-error"),
            dcc.Checklist(
                id=ids.CONTROL["present"],
                options=[{"label": "presentation mode", "value": PRESENT_ON}],
                value=[],
                className="present-toggle",
            ),
            html.Div(id=ids.ERROR["present"], className="field-error"),
            html.Span("Copy link", className="action-label"),
            dcc.Clipboard(
                id=ids.COPY_LINK, title="Copy a link to this exact view", className="copy-link"
            ),
            html.Button("Data (CSV)", id=ids.DOWNLOAD_CSV, className="button"),
            html.Button("Data (JSON)", id=ids.DOWNLOAD_JSON, className="button"),
        ],
        link_ids={"/basin": ids.BASIN_LINK},
    )


def _story() -> html.Div:
    return html.Div(
        className="story",
        children=[
            html.Div(START_HERE, id=ids.PRESET_TEXT, className="preset-text"),
            html.Div(
                className="story-buttons",
                children=[
                    html.Button("\u25c0 previous", id=ids.STORY_PREV, className="button"),
                    html.Button("next \u25b6", id=ids.STORY_NEXT, className="button primary"),
                ],
            ),
        ],
    )


def _speed_class(label: str) -> str:
    return "button small" + (" active" if label == "normal" else "")


def _data_speed(label: str) -> dict[str, Any]:
    # A data-* attribute the player reads (Dash passes data-* keywords through).
    return {"data-speed": label}


def _player() -> html.Div:
    return html.Div(
        className="player",
        children=[
            html.Button("\u25b6 play", id=ids.TRAJ_PLAY, className="button primary"),
            html.Span(
                className="speeds",
                children=[
                    html.Button(label, className=_speed_class(label), **_data_speed(label))
                    for label in ("slow", "normal", "fast")
                ],
            ),
            dcc.Input(
                id=ids.TRAJ_TIME,
                type="range",
                min=0,
                max=1,
                step=1,
                value=0,
                className="time-slider",
            ),
            html.Span("t = 0", id=ids.TRAJ_TIME_LABEL, className="time-label"),
        ],
    )


def _main_pair(s: AppState) -> html.Div:
    """L(t) and, beside it, the panel ``focus`` names (CSS orders them; the trajectory by
    default), then the other two time-axis panels."""
    loss = panel(
        "L(t) against the ladder",
        html.Div(
            className="control-row",
            children=[
                inline_radio(
                    "loss_axis",
                    ("log", "linear"),
                    s.loss_axis,
                    {"log": "log loss axis", "linear": "linear"},
                ),
                html.Div(
                    [
                        html.Span("beside L(t):", className="action-label"),
                        inline_radio(
                            "focus",
                            FOCUS,
                            s.focus,
                            {"curvature": "curvature", "outputs": "outputs per item"},
                        ),
                    ],
                    className="labelled-radio",
                ),
            ],
        ),
        _graph(ids.LOSS_GRAPH),
        html.Div(id=ids.STATUS, className="status"),
        help_text=LOSS_HELP,
        name="loss",
    )
    curvature = panel(
        "Curvature along the run",
        _graph(ids.CURVATURE_GRAPH),
        help_text=CURVATURE_HELP,
        name="curvature",
    )
    outputs = panel(
        "Network output per item",
        _graph(ids.OUTPUTS_GRAPH),
        help_text=OUTPUTS_HELP,
        name="outputs",
    )
    trajectory = panel(
        "Trajectory",
        html.Div(
            className="control-row",
            children=[
                inline_radio(
                    "projection",
                    PROJECTIONS,
                    s.projection,
                    {"modes": "modes", "scalar": "weights (width 1)", "pca": "PCA"},
                ),
                inline_text(
                    "modes",
                    "modes",
                    ", ".join(map(str, s.modes)),
                    "Two (2-D) or three (3-D) 1-based mode indices; for exact weights, layer "
                    "indices.",
                ),
                inline_radio(
                    "compare",
                    COMPARISONS,
                    s.compare,
                    {"none": "one run", "seeds": "+seeds", "scales": "+scales", "flows": "+flow"},
                ),
            ],
        ),
        _graph(ids.TRAJECTORY_GRAPH, tall=True),
        _player(),
        help_text=TRAJECTORY_HELP,
        name="trajectory",
    )
    return html.Div([loss, trajectory, curvature, outputs], className="pair main-pair")


def _point_pair(s: AppState) -> html.Div:
    hessian = panel(
        "Hessian at a point",
        dcc.Dropdown(
            id=ids.CONTROL["point"],
            value=str(s.point),
            clearable=False,
            options=[{"label": "limit of the run", "value": "limit"}],
        ),
        html.Div(id=ids.ERROR["point"], className="field-error"),
        html.Div(id=ids.POINT_NOTICE, className="notice-inline", role="status"),
        _graph(ids.HESSIAN_GRAPH),
        dcc.Loading(html.Div(id=ids.HESSIAN_TABLE), delay_show=200),
        help_text=HESSIAN_HELP,
    )
    slice_panel = panel(
        "Landscape slice through the point",
        html.Div(
            className="control-row",
            children=[
                inline_radio(
                    "slice_dirs",
                    SLICE_DIRECTIONS,
                    s.slice_dirs,
                    {
                        "hessian": "Hessian eigvecs",
                        "to_end": "to end of run",
                        "to_minimum": "to a global minimum",
                        "random": "random",
                    },
                ),
                inline_text(
                    "slice_extent",
                    "extent",
                    f"{s.slice_extent:g}",
                    "Half-width of the plane in each direction (1e-4 to 10).",
                ),
                inline_radio("slice_kind", SLICE_KINDS, s.slice_kind),
            ],
        ),
        _graph(ids.SLICE_GRAPH),
        help_text=SLICE_HELP,
    )
    return html.Div([hessian, slice_panel], className="pair")


def _export_panel() -> html.Section:
    size_labels = {"single": "single column", "double": "double column", "slide": "slide 16:9"}
    sizes = [
        {"label": f"{size_labels[k]} ({v.width_in:g} in)", "value": k} for k, v in SIZES.items()
    ]
    return panel(
        "Export for a paper",
        html.Div(
            className="control-row",
            children=[
                dcc.Checklist(
                    id=ids.EXPORT_FIGURES,
                    value=["loss", "hessian"],
                    inline=True,
                    options=[{"label": FIGURE_NAMES[k], "value": k} for k in FIGURES],
                ),
            ],
        ),
        html.Div(
            className="control-row",
            children=[
                dcc.RadioItems(
                    id=ids.EXPORT_FORMAT,
                    value="pdf",
                    inline=True,
                    options=[
                        {"label": f.upper(), "value": f} for f in ("pdf", "svg", "png", "html")
                    ],
                ),
                html.Div(
                    [
                        html.Label("PNG dpi", htmlFor=ids.EXPORT_DPI),
                        dcc.Input(
                            id=ids.EXPORT_DPI,
                            type="text",
                            value="300",
                            debounce=True,
                            className="control-input short",
                        ),
                    ],
                    className="inline-control",
                ),
                dcc.RadioItems(id=ids.EXPORT_SIZE, value="single", inline=True, options=sizes),
                dcc.RadioItems(
                    id=ids.EXPORT_FONT,
                    value="serif",
                    inline=True,
                    options=[
                        {"label": "serif", "value": "serif"},
                        {"label": "sans", "value": "sans"},
                    ],
                ),
                dcc.Checklist(
                    id=ids.EXPORT_TITLE,
                    value=[],
                    inline=True,
                    options=[{"label": "keep titles", "value": "title"}],
                ),
                html.Button("Export zip", id=ids.EXPORT_BUTTON, className="button"),
            ],
        ),
        dcc.Loading(html.Div(id=ids.EXPORT_STATUS, className="status"), delay_show=200),
        dcc.Download(id=ids.EXPORT_DOWNLOAD),
        help_text=EXPORT_HELP,
    )


def _views(s: AppState) -> list[Any]:
    return [
        html.Div(id=ids.VIEW_ERROR, className="view-error", role="alert"),
        html.Div(id=ids.STALE, className="stale-banner", role="status"),
        _story(),
        _main_pair(s),
        _point_pair(s),
        panel(
            "The problem",
            dcc.Loading(html.Div(id=ids.SUMMARY), delay_show=200),
            equations(),
        ),
        html.Div(
            [
                panel(
                    "Proposition 2: exponential convergence",
                    html.Div(id=ids.RATE_TEXT, className="rate-text"),
                    _graph(ids.RATE_GRAPH),
                    help_text=RATE_HELP,
                ),
                panel("Invariants", _graph(ids.DRIFT_GRAPH), help_text=DRIFT_HELP),
            ],
            className="pair",
        ),
        _export_panel(),
    ]


def make_layout(**_query: Any) -> html.Div:
    s = AppState()
    return html.Div(
        id=ids.PAGE,
        className="page",
        children=[
            dcc.Location(id=ids.URL, refresh=False),
            dcc.Store(id=ids.STATE_STORE),
            dcc.Store(id=ids.DRAWN_STORE),
            dcc.Store(id=ids.END_PENDING),
            dcc.Store(id=ids.END_DATA),
            dcc.Store(id=ids.END_WANTED),
            dcc.Store(id=ids.END_SHOWN),
            dcc.Download(id=ids.DOWNLOAD),
            _header(),
            html.Div(id=ids.NOTICE, className="notice", role="status"),
            html.Div(
                className="body",
                children=[sidebar(s), html.Main(className="main", children=_views(s))],
            ),
        ],
    )


dash.register_page(__name__, path="/", title="linflow", name="Explorer", layout=make_layout)
