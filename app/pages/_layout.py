"""What every page shares: the header with navigation, panels, graphs and their toolbar."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

GRAPH_CONFIG: Any = {
    "displaylogo": False,
    # Uploading to a cloud service is not something a teaching or group instance should offer.
    "modeBarButtonsToRemove": ["sendChartToCloud", "sendDataToCloud", "lasso2d", "select2d"],
    "toImageButtonOptions": {"format": "svg", "filename": "linflow", "scale": 1},
}


def panel(title: str, *children: Any, help_text: str = "", name: str = "") -> html.Section:
    """A titled panel; ``name`` adds the class ``panel-<name>`` (for layout rules)."""
    return html.Section(
        className=f"panel panel-{name}" if name else "panel",
        children=[
            html.H2(title),
            html.P(help_text, className="panel-help") if help_text else None,
            *children,
        ],
    )


def graph(graph_id: str, tall: bool = False, data_id: str | None = None) -> dcc.Loading:
    """A graph with its toolbar and loading spinner; ``data_id``: the store its figure arrives
    in (drawn from there when in view), inside the spinner so that it spins while the store
    is being computed."""
    figure = dcc.Graph(
        id=graph_id, config=GRAPH_CONFIG, className="graph tall" if tall else "graph"
    )
    store = [dcc.Store(id=data_id)] if data_id else []
    return dcc.Loading([figure, *store], type="default", delay_show=200)


NAV = (("Explorer", "/"), ("Basin lab", "/basin"), ("About the mathematics", "/about"))


def page_header(
    tagline: str, actions: list[Any] | None = None, link_ids: dict[str, str] | None = None
) -> html.Header:
    """The header every page shares: title, navigation (optionally with ids), actions."""
    link_ids = link_ids or {}
    links = []
    for text, href in NAV:
        if href in link_ids:
            links.append(dcc.Link(text, href=href, className="nav-link", id=link_ids[href]))
        else:
            links.append(dcc.Link(text, href=href, className="nav-link"))
    children: list[Any] = [
        html.H1(["linflow", html.Span(f" {tagline}", className="tagline")]),
        html.Nav(links, className="nav"),
    ]
    if actions:
        children.append(html.Div(actions, className="actions"))
    return html.Header(children, className="header")
