"""The explorer's controls: the sidebar of labelled fields (each with its help text and error
line) and the inline controls of the panels. Every field's label and help live in HELP."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

import core
from app import limits as L
from app.explorer import ids
from app.state import ALGORITHMS, DATASETS, INIT_KINDS, SOURCES, AppState

# Field -> (label, help text shown under the control and as its tooltip).
HELP: dict[str, tuple[str, str]] = {
    "source": (
        "Data",
        "A prescribed spectrum (whitened, X = I), random Gaussian X, Y, your own data, or a "
        "data set from the literature.",
    ),
    "dataset": (
        "Data set",
        "semantic: 8 items (one-hot) and 5 of their properties, the hierarchy of Saxe, "
        "McClelland & Ganguli (PNAS 2019); its modes are living things, animals vs plants, ...",
    ),
    "spectrum": (
        "Singular values s",
        "Distinct positive values s_1 > ... > s_dy, comma-separated.",
    ),
    "data_hash": ("Uploaded data", "SHA-256 of the uploaded X and Y (set by uploading)."),
    "dx": ("dx (inputs)", f"Input dimension, dy <= dx <= {L.MAX_DX}."),
    "dy": ("dy (outputs)", "Output dimension (random data); with a spectrum dy = its length."),
    "m": ("m (samples)", f"Number of samples for random data, dx <= m <= {L.MAX_M}."),
    "data_seed": ("Data seed", "Seed of the random X and Y."),
    "depth": ("H (hidden layers)", f"Number of hidden layers, 1 to {L.MAX_DEPTH}."),
    "widths": ("Hidden widths", "One width for all layers, or H comma-separated widths (>= dy)."),
    "init_kind": (
        "Initialisation",
        "Gaussian entries; balanced (all C_j = 0); orthogonal; "
        "layered (scales grow to the output); aligned (each mode on its own path, every layer "
        "entry = scale: the closed form is drawn beside the run); manifold (on a saddle's "
        "stable manifold).",
    ),
    "manifold_subset": (
        "Saddle S (manifold init)",
        "1-based modes the manifold start learns, e.g. 1, 3; the others stay switched off.",
    ),
    "perturbation": (
        "Kick off the manifold",
        "Size of a random kick off the stable manifold "
        "(0 = stay on it and converge to the saddle).",
    ),
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
        "momentum at step eta drawn on the flow's time axis (GD: t = k eta; momentum: "
        "t = k eta / (1 - beta), the flow it approximates).",
    ),
    "eta": ("Step size eta", f"Step of the discrete runs; at most {L.MAX_GD_STEPS:,} steps."),
    "momentum": ("Momentum beta", "Heavy-ball coefficient, 0 <= beta <= 0.99."),
    "t_max": (
        "t_max",
        f"Integration horizon, 0.01 to {L.MAX_T:g} (plateaus can last ~1/scale). Runs stop "
        "early only at the global minimum.",
    ),
    "rtol": ("Tolerance (rtol)", "Relative tolerance of the ODE solver, 1e-12 to 1e-3."),
}


def text_control(name: str, label: str, value: str, help_text: str, inline: bool) -> html.Div:
    """A labelled text input with its error line (and, in the sidebar, its help text)."""
    children: list[Any] = [
        html.Label(label, htmlFor=ids.CONTROL[name]),
        dcc.Input(
            id=ids.CONTROL[name],
            type="text",
            value=value,
            debounce=True,
            className="control-input short" if inline else "control-input",
        ),
    ]
    if not inline:
        children.append(html.Div(help_text, className="help"))
    children.append(html.Div(id=ids.ERROR[name], className="field-error", role="alert"))
    if inline:
        return html.Div(children, className="inline-control", title=help_text)
    return html.Div(children, className="control", title=help_text, id=ids.WRAP[name])


def text_field(name: str, value: Any) -> html.Div:
    label, help_text = HELP[name]
    return text_control(name, label, str(value), help_text, inline=False)


def radio_field(name: str, options: list[dict[str, str]], value: str) -> html.Div:
    label, help_text = HELP[name]
    return html.Div(
        className="control",
        title=help_text,
        id=ids.WRAP[name],
        children=[
            html.Label(label),
            dcc.RadioItems(
                id=ids.CONTROL[name], options=options, value=value, inline=True, className="radio"
            ),
            html.Div(help_text, className="help"),
            html.Div(id=ids.ERROR[name], className="field-error", role="alert"),
        ],
    )


UPLOAD_HELP = (
    "Drop X.csv and Y.csv (one sample per row; an optional header row), or one .npz "
    f"with arrays X (m x dx) and Y (m x dy). At most {L.MAX_UPLOAD_BYTES / 1e6:.1f} MB, "
    f"{L.MAX_M:,} samples, {L.MAX_DX} input and {L.MAX_DY} output columns. Stored on this "
    "server by content for 30 days; links carry its hash."
)


def upload_field() -> html.Div:
    return html.Div(
        className="control",
        id=ids.WRAP_UPLOAD,
        title=UPLOAD_HELP,
        children=[
            dcc.Upload(
                id=ids.UPLOAD,
                multiple=True,
                className="upload",
                children=html.Div(["Upload your data: drop or ", html.A("choose files")]),
            ),
            html.Div(UPLOAD_HELP, className="help"),
            html.Div(id=ids.UPLOAD_STATUS, className="field-error", role="alert"),
        ],
    )


def sidebar(s: AppState) -> html.Div:
    opt = lambda values, labels=None: [  # noqa: E731
        {"label": (labels or {}).get(v, v), "value": v} for v in values
    ]
    return html.Div(
        className="sidebar",
        children=[
            html.H3("Problem"),
            radio_field(
                "source",
                opt(
                    SOURCES,
                    {
                        "spectrum": "spectrum",
                        "random": "random data",
                        "upload": "your data",
                        "dataset": "data set",
                    },
                ),
                s.source,
            ),
            radio_field("dataset", opt(DATASETS), s.dataset),
            upload_field(),
            text_field("data_hash", s.data_hash),
            text_field("spectrum", ", ".join(f"{v:g}" for v in s.spectrum)),
            text_field("dx", s.dx),
            text_field("dy", s.dy),
            text_field("m", s.m),
            text_field("data_seed", s.data_seed),
            html.H3("Network"),
            text_field("depth", s.depth),
            text_field("widths", ", ".join(map(str, s.widths))),
            html.H3("Initialisation"),
            radio_field("init_kind", opt(INIT_KINDS), s.init_kind),
            text_field("init_scale", f"{s.init_scale:g}"),
            text_field("init_seed", s.init_seed),
            text_field("manifold_subset", ", ".join(map(str, s.manifold_subset))),
            text_field("perturbation", f"{s.perturbation:g}"),
            html.H3("Dynamics"),
            radio_field("flow", opt(core.FLOWS), s.flow),
            radio_field(
                "algorithm",
                opt(ALGORITHMS, {"flow": "flow", "gd": "+ GD", "momentum": "+ momentum"}),
                s.algorithm,
            ),
            text_field("eta", f"{s.eta:g}"),
            text_field("momentum", f"{s.momentum:g}"),
            text_field("t_max", f"{s.t_max:g}"),
            text_field("rtol", f"{s.rtol:g}"),
            # The story's step: set by the preset's previous/next buttons, carried in the URL.
            dcc.Input(id=ids.CONTROL["step"], type="hidden", value=str(s.step)),
            html.Div(id=ids.ERROR["step"], className="field-error"),
        ],
    )


# Sidebar fields that do not apply to a state (hidden until they do): field -> (controlling
# field, the values for which it shows). Read in the browser by a clientside callback.
SHOWN_WHEN: dict[str, tuple[str, tuple[str, ...]]] = {
    "spectrum": ("source", ("spectrum",)),
    "dataset": ("source", ("dataset",)),
    "dx": ("source", ("spectrum", "random", "upload")),
    "dy": ("source", ("random", "upload")),
    "m": ("source", ("random", "upload")),
    "data_seed": ("source", ("random",)),
    "data_hash": ("source", ("upload",)),
    "upload": ("source", ("upload",)),
    "manifold_subset": ("init_kind", ("manifold",)),
    "perturbation": ("init_kind", ("manifold",)),
    "eta": ("algorithm", ("gd", "momentum")),
    "momentum": ("algorithm", ("momentum",)),
}


def choices(values: tuple[str, ...], labels: dict[str, str]) -> list[dict[str, str]]:
    return [{"label": labels.get(v, v), "value": v} for v in values]


def inline_radio(
    name: str, values: tuple[str, ...], value: str, labels: dict[str, str] | None = None
) -> html.Div:
    return html.Div(
        className="inline-control",
        children=[
            dcc.RadioItems(
                id=ids.CONTROL[name],
                options=choices(values, labels or {}),
                value=value,
                inline=True,
                className="radio",
            ),
            html.Div(id=ids.ERROR[name], className="field-error"),
        ],
    )


def inline_text(name: str, label: str, value: str, help_text: str) -> html.Div:
    return text_control(name, label, value, help_text, inline=True)
