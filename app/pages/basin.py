"""The basin lab (/basin): many initialisations of the explorer's problem at once."""

from __future__ import annotations

import dash
from dash import dcc, html

from app import limits
from app.basin import ids as bid
from app.pages._layout import GRAPH_CONFIG, page_header

HELP = (
    "The conjecture: almost every initialisation converges to a global minimum (proven for "
    "H = 1, open for deeper networks). The problem is the explorer's (the link carries it); "
    "here you choose how many initialisations, at which scales."
)


ESCAPE_HELP = (
    "Starts on the stable manifold of the saddle of type S, kicked off it by each "
    "perturbation size: the numerical face of 'the basin of a saddle has measure zero'."
)


def _field(label: str, cid: str, value: str, help_text: str) -> html.Div:
    return html.Div(
        className="inline-control",
        title=help_text,
        children=[
            html.Label(label, htmlFor=cid),
            dcc.Input(id=cid, type="text", value=value, debounce=True, className="control-input"),
        ],
    )


def _graph(gid: str) -> dcc.Graph:
    return dcc.Graph(id=gid, config=GRAPH_CONFIG, className="graph")


def layout(**_query: object) -> html.Div:
    return html.Div(
        className="page",
        children=[
            dcc.Location(id=bid.URL, refresh=False),
            dcc.Store(id=bid.RESULT),
            dcc.Store(id=bid.PARTIAL),
            page_header("basin lab", link_ids={"/": bid.EXPLORER_LINK}),
            html.Main(
                className="main basin",
                children=[
                    html.P(HELP, className="panel-help"),
                    html.Div(id=bid.PROBLEM, className="status"),
                    html.Section(
                        className="panel",
                        children=[
                            html.H2("Sweep"),
                            html.Div(
                                className="control-row",
                                children=[
                                    _field(
                                        "runs per scale",
                                        bid.RUNS,
                                        "100",
                                        f"1 to {limits.MAX_RUNS:,} runs per scale",
                                    ),
                                    _field(
                                        "init scales",
                                        bid.SCALES,
                                        "0.01, 0.1, 1",
                                        "comma-separated, each in [{:g}, {:g}]; at most {}".format(
                                            *limits.SWEEP_SCALE_RANGE, limits.MAX_SCALES
                                        ),
                                    ),
                                    _field(
                                        "sweep seed",
                                        bid.SEED,
                                        "0",
                                        "runs' seeds are spawned from it",
                                    ),
                                    html.Button("Start", id=bid.START, className="button"),
                                    html.Button("Cancel", id=bid.CANCEL, className="button"),
                                ],
                            ),
                            html.Div(id=bid.ERROR, className="field-error", role="alert"),
                            html.Progress(
                                id=bid.PROGRESS, value="0", max="100", className="progress"
                            ),
                            html.Div(id=bid.PROGRESS_TEXT, className="status"),
                        ],
                    ),
                    html.Section(
                        className="panel",
                        children=[
                            html.H2("Results"),
                            html.Div(id=bid.RESULT_NOTE, className="status"),
                            _graph(bid.FRACTION),
                            _graph(bid.RUNGS),
                            _graph(bid.TIMES),
                            _graph(bid.SANKEY),
                            html.H3("Runs that did not reach the global minimum"),
                            html.Div(id=bid.TABLE),
                        ],
                    ),
                    html.Section(
                        className="panel",
                        children=[
                            html.H2("Escaping a saddle"),
                            html.P(
                                ESCAPE_HELP,
                                className="panel-help",
                            ),
                            html.Div(
                                className="control-row",
                                children=[
                                    _field("saddle S (1-based)", bid.ESC_SUBSET, "1", "e.g. 1, 3"),
                                    _field(
                                        "perturbations",
                                        bid.ESC_SIZES,
                                        "0, 1e-6, 1e-3",
                                        "comma-separated sizes in [0, 1]",
                                    ),
                                    _field(
                                        "runs",
                                        bid.ESC_RUNS,
                                        "10",
                                        f"1 to {limits.MAX_ESCAPE_RUNS} per size",
                                    ),
                                    html.Button(
                                        "Run escape experiment",
                                        id=bid.ESC_START,
                                        className="button",
                                    ),
                                    html.Button(
                                        "Cancel",
                                        id=bid.ESC_CANCEL,
                                        className="button",
                                        disabled=True,
                                    ),
                                ],
                            ),
                            html.Div(id=bid.ESC_ERROR, className="field-error", role="alert"),
                            html.Progress(
                                id=bid.ESC_PROGRESS, value="0", max="100", className="progress"
                            ),
                            html.Div(id=bid.ESC_PROGRESS_TEXT, className="status"),
                            html.Div(id=bid.ESC_RESULT),
                        ],
                    ),
                ],
            ),
        ],
    )


dash.register_page(
    __name__, path="/basin", title="linflow: basin lab", name="Basin lab", layout=layout
)
