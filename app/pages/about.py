"""About the mathematics (/about): the model, the flow, invariants, ladder, Hessian theory."""

from __future__ import annotations

import dash
from dash import dcc, html

from app import ids
from app.about_text import ABOUT
from app.layout import page_header


def layout(**_query: object) -> html.Div:
    return html.Div(
        className="page",
        children=[
            page_header("about the mathematics"),
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
