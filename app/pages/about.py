"""About the mathematics (/about): the model, the flow, invariants, ladder, Hessian theory."""

from __future__ import annotations

import dash
from dash import dcc, html

from app import ids
from app.about_text import ABOUT


def layout(**_query: object) -> html.Div:
    return html.Div(
        className="page",
        children=[
            html.Header(
                className="header",
                children=[
                    html.H1(["linflow", html.Span(" about the mathematics", className="tagline")]),
                    html.Nav(
                        className="nav",
                        children=[
                            dcc.Link("Explorer", href="/", className="nav-link"),
                            dcc.Link("About the mathematics", href="/about", className="nav-link"),
                        ],
                    ),
                ],
            ),
            html.Article(dcc.Markdown(ABOUT, mathjax=True), id=ids.ABOUT, className="about"),
        ],
    )


dash.register_page(
    __name__,
    path="/about",
    title="linflow: the mathematics",
    name="About the mathematics",
    layout=layout,
)
