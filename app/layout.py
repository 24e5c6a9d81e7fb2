"""The page: controls on the left, the problem and the views on the right."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from app import ids
from app.state import ALGORITHMS, FLOWS, INIT_KINDS, MAX_DX, MAX_M, AppState

GRAPH_CONFIG: Any = {
    "displaylogo": False,
    # Uploading to a cloud service is not something a teaching or group instance should offer.
    "modeBarButtonsToRemove": ["sendChartToCloud", "sendDataToCloud", "lasso2d", "select2d"],
    "toImageButtonOptions": {"format": "svg", "filename": "linflow", "scale": 1},
}

LOSS_HELP = (
    "Plateaus (shaded) sit on rungs 1/2 sum_(i not in S) s_i^2; hover for t, L and the "
    "nearest rung."
)
HESSIAN_HELP = (
    "The point is polished onto the critical set first; the split is compared with "
    "the corrected theory (NOTES.md)."
)
DRIFT_HELP = "Conserved by the flow (drift at round-off level); discrete steps break them."

# Field -> (label, help text shown under the control and as its tooltip).
HELP: dict[str, tuple[str, str]] = {
    "source": ("Data", "A prescribed spectrum (whitened, X = I) or random Gaussian X, Y."),
    "spectrum": (
        "Singular values s",
        "Distinct positive values s_1 > ... > s_dy, comma-separated.",
    ),
    "dx": ("dx (inputs)", f"Input dimension, dy <= dx <= {MAX_DX}."),
    "dy": ("dy (outputs)", "Output dimension (random data); with a spectrum dy = its length."),
    "m": ("m (samples)", f"Number of samples for random data, dx <= m <= {MAX_M}."),
    "data_seed": ("Data seed", "Seed of the random X and Y."),
    "depth": ("H (hidden layers)", "Number of hidden layers, 1 to 5."),
    "widths": ("Hidden widths", "One width for all layers, or H comma-separated widths (>= dy)."),
    "init_kind": ("Initialisation", "Gaussian entries, balanced (all C_j = 0), or orthogonal."),
    "init_scale": ("Init scale", "Entry std (Gaussian) or singular value scale; small = plateaus."),
    "init_seed": ("Init seed", "Seed of the initial weights."),
    "flow": (
        "Flow",
        "Reduced: the paper's GDD on eq 3. Original: gradient flow of eq 1 on raw "
        "data. They agree only when X X^T = I.",
    ),
    "algorithm": (
        "Algorithm",
        "The continuous flow, optionally with discrete GD or heavy-ball "
        "momentum at step eta drawn on the same time axis (t = k eta).",
    ),
    "eta": ("Step size eta", "Step of the discrete runs; t_max / eta <= 200,000 steps."),
    "momentum": ("Momentum beta", "Heavy-ball coefficient, 0 <= beta <= 0.99."),
    "t_max": ("t_max", "Integration horizon, 0.01 to 1e5 (plateaus can last ~1/scale)."),
    "rtol": ("Tolerance (rtol)", "Relative tolerance of the ODE solver, 1e-12 to 1e-3."),
}


def _text(name: str, value: Any) -> html.Div:
    label, help_text = HELP[name]
    return html.Div(
        className="control",
        title=help_text,
        children=[
            html.Label(label, htmlFor=ids.CONTROL[name]),
            dcc.Input(
                id=ids.CONTROL[name],
                type="text",
                value=str(value),
                debounce=True,
                className="control-input",
            ),
            html.Div(help_text, className="help"),
            html.Div(id=ids.ERROR[name], className="field-error", role="alert"),
        ],
    )


def _radio(name: str, options: list[dict[str, str]], value: str) -> html.Div:
    label, help_text = HELP[name]
    return html.Div(
        className="control",
        title=help_text,
        children=[
            html.Label(label),
            dcc.RadioItems(
                id=ids.CONTROL[name], options=options, value=value, inline=True, className="radio"
            ),
            html.Div(help_text, className="help"),
            html.Div(id=ids.ERROR[name], className="field-error", role="alert"),
        ],
    )


def _controls(s: AppState) -> html.Div:
    opt = lambda values, labels=None: [  # noqa: E731
        {"label": (labels or {}).get(v, v), "value": v} for v in values
    ]
    return html.Div(
        className="sidebar",
        children=[
            html.H3("Problem"),
            _radio(
                "source",
                opt(("spectrum", "random"), {"spectrum": "spectrum", "random": "random data"}),
                s.source,
            ),
            _text("spectrum", ", ".join(f"{v:g}" for v in s.spectrum)),
            _text("dx", s.dx),
            _text("dy", s.dy),
            _text("m", s.m),
            _text("data_seed", s.data_seed),
            html.H3("Network"),
            _text("depth", s.depth),
            _text("widths", ", ".join(map(str, s.widths))),
            html.H3("Initialisation"),
            _radio("init_kind", opt(INIT_KINDS), s.init_kind),
            _text("init_scale", f"{s.init_scale:g}"),
            _text("init_seed", s.init_seed),
            html.H3("Dynamics"),
            _radio("flow", opt(FLOWS), s.flow),
            _radio(
                "algorithm",
                opt(ALGORITHMS, {"flow": "flow", "gd": "+ GD", "momentum": "+ momentum"}),
                s.algorithm,
            ),
            _text("eta", f"{s.eta:g}"),
            _text("momentum", f"{s.momentum:g}"),
            _text("t_max", f"{s.t_max:g}"),
            _text("rtol", f"{s.rtol:g}"),
        ],
    )


def _panel(title: str, *children: Any, help_text: str = "") -> html.Section:
    return html.Section(
        className="panel",
        children=[
            html.H2(title),
            html.P(help_text, className="panel-help") if help_text else None,
            *children,
        ],
    )


def _graph(graph_id: str) -> dcc.Loading:
    return dcc.Loading(
        dcc.Graph(id=graph_id, config=GRAPH_CONFIG, className="graph"),
        type="default",
        delay_show=200,
    )


def make_layout() -> html.Div:
    s = AppState()
    return html.Div(
        className="page",
        children=[
            dcc.Location(id=ids.URL, refresh=False),
            dcc.Store(id=ids.STATE_STORE),
            dcc.Download(id=ids.DOWNLOAD),
            html.Header(
                className="header",
                children=[
                    html.H1(
                        [
                            "linflow",
                            html.Span(
                                " gradient descent in deep linear networks", className="tagline"
                            ),
                        ]
                    ),
                    html.Div(
                        className="actions",
                        children=[
                            html.Span("Copy link", className="action-label"),
                            dcc.Clipboard(
                                id=ids.COPY_LINK,
                                title="Copy a link to this exact view",
                                className="copy-link",
                            ),
                            html.Button("Data (CSV)", id=ids.DOWNLOAD_CSV, className="button"),
                            html.Button("Data (JSON)", id=ids.DOWNLOAD_JSON, className="button"),
                        ],
                    ),
                ],
            ),
            html.Div(id=ids.NOTICE, className="notice", role="status"),
            html.Div(
                className="body",
                children=[
                    _controls(s),
                    html.Main(
                        className="main",
                        children=[
                            html.Div(id=ids.VIEW_ERROR, className="view-error", role="alert"),
                            _panel(
                                "The problem", dcc.Loading(html.Div(id=ids.SUMMARY), delay_show=200)
                            ),
                            _panel(
                                "L(t) against the ladder",
                                dcc.RadioItems(
                                    id=ids.CONTROL["loss_axis"],
                                    value=s.loss_axis,
                                    options=[
                                        {"label": "log loss axis", "value": "log"},
                                        {"label": "linear", "value": "linear"},
                                    ],
                                    inline=True,
                                    className="radio",
                                ),
                                html.Div(id=ids.ERROR["loss_axis"], className="field-error"),
                                _graph(ids.LOSS_GRAPH),
                                html.Div(id=ids.STATUS, className="status"),
                                help_text=LOSS_HELP,
                            ),
                            _panel(
                                "Hessian at a point",
                                dcc.Dropdown(
                                    id=ids.CONTROL["point"],
                                    value=s.point,
                                    clearable=False,
                                    options=[{"label": "limit of the run", "value": "limit"}],
                                ),
                                html.Div(id=ids.ERROR["point"], className="field-error"),
                                _graph(ids.HESSIAN_GRAPH),
                                dcc.Loading(html.Div(id=ids.HESSIAN_TABLE), delay_show=200),
                                help_text=HESSIAN_HELP,
                            ),
                            _panel(
                                "Invariants",
                                _graph(ids.DRIFT_GRAPH),
                                help_text=DRIFT_HELP,
                            ),
                        ],
                    ),
                ],
            ),
        ],
    )
