"""Standalone interactive HTML: one self-contained file per view, for a course page or a paper's
supplementary material.

The page holds the explorer's own figures (hover, zoom, the modebar), plotly.js inlined (no
CDN, no server), and the explorer's player (``assets/player.js``) and style sheet inlined too:
the trajectory figure carries its frames in ``layout.meta`` (times, marker positions, the marker
trace), so the same script that plays it in the explorer plays it here, with the same buttons,
slider and shared time cursor on the time-axis figures. Nothing is fetched when it is opened.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from functools import cache

import plotly.graph_objects as go

from app.explorer import ids
from app.export.exporter import ExportError
from app.paths import ASSETS, PLOTLY_BUNDLE

GRAPH_IDS = {
    "loss": ids.LOSS_GRAPH,
    "trajectory": ids.TRAJECTORY_GRAPH,
    "hessian": ids.HESSIAN_GRAPH,
    "drift": ids.DRIFT_GRAPH,
    "slice": ids.SLICE_GRAPH,
    "rate": ids.RATE_GRAPH,
    "curvature": ids.CURVATURE_GRAPH,
    "outputs": ids.OUTPUTS_GRAPH,
}
TITLES = {
    "loss": "L(t) against the ladder",
    "trajectory": "Trajectory",
    "hessian": "Hessian at a point",
    "drift": "Invariants",
    "slice": "Landscape slice through the point",
    "rate": "Proposition 2: the rate",
    "curvature": "Curvature along the run",
    "outputs": "Network output per item",
}
CONFIG = {"responsive": True, "displaylogo": False}
SPEEDS = ("slow", "normal", "fast")  # the player's (assets/player.js)


class HtmlExportError(ExportError):
    """The page cannot be built (the explorer's assets are missing from this installation)."""


@cache
def _asset(name: str) -> str:
    path = ASSETS / name
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise HtmlExportError(
            f"the interactive export needs {path} (the explorer's assets): {exc.strerror}"
        ) from None


def _plotly_js() -> str:
    return _asset(PLOTLY_BUNDLE)


def _script(text: str) -> str:
    """``text`` safe inside a <script> element (no early ``</script>``)."""
    return text.replace("</", "<\\/")


def _player() -> str:
    speeds = "".join(
        f'<button class="button small{" active" if s == "normal" else ""}" data-speed="{s}">'
        f"{s}</button>"
        for s in SPEEDS
    )
    return (
        '<div class="player">'
        f'<button id="{ids.TRAJ_PLAY}" class="button primary">\u25b6 play</button>'
        f'<span class="speeds">{speeds}</span>'
        f'<input id="{ids.TRAJ_TIME}" type="range" min="0" max="1" step="1" value="0" '
        'class="time-slider" aria-label="time">'
        f'<span id="{ids.TRAJ_TIME_LABEL}" class="time-label">t = 0</span></div>'
    )


def _panel(kind: str, fig: go.Figure) -> str:
    tall = " tall" if kind == "trajectory" else ""
    player = _player() if kind == "trajectory" and fig.layout.meta else ""
    return (
        f'<section class="panel"><h2>{html.escape(TITLES[kind])}</h2>'
        f'<div id="{GRAPH_IDS[kind]}"><div class="graph{tall}" data-kind="{kind}"></div></div>'
        f"{player}</section>"
    )


def html_page(
    figures: Mapping[str, go.Figure], title: str, notes: tuple[str, ...] = (), link: str = ""
) -> bytes:
    """The page: ``figures`` by kind (in order), a heading, notes (figures skipped and why) and
    the explorer link of the view. UTF-8, self-contained."""
    unknown = [k for k in figures if k not in GRAPH_IDS]
    if unknown:
        raise ValueError(f"unknown figures {unknown}; choose from {', '.join(GRAPH_IDS)}")
    specs = {k: json.loads(fig.to_json()) for k, fig in figures.items()}
    draw = (
        f"var FIGURES = {json.dumps(specs, separators=(',', ':'))};\n"
        f"var CONFIG = {json.dumps(CONFIG)};\n"
        "Object.keys(FIGURES).forEach(function (kind) {\n"
        "  var div = document.querySelector('[data-kind=\"' + kind + '\"]');\n"
        "  Plotly.newPlot(div, FIGURES[kind].data, FIGURES[kind].layout, CONFIG);\n"
        "});\n"
    )
    items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    link_html = (
        '<p class="panel-help">Open in linflow: <code style="word-break: break-all">'
        f"{html.escape(link)}</code></p>"
        if link
        else ""
    )
    cards = [_panel(k, fig) for k, fig in figures.items()]
    # Two figures a row, as in the explorer (one under the other on a narrow screen).
    panels = "".join(
        f'<div class="pair">{"".join(cards[i : i + 2])}</div>' for i in range(0, len(cards), 2)
    )
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        f"<style>{_asset('style.css')}</style></head>\n"
        f'<body><div class="main"><h1>{html.escape(title)}</h1>{link_html}'
        f"{f'<ul class=panel-help>{items}</ul>' if items else ''}{panels}</div>\n"
        f"<script>{_script(_plotly_js())}</script>\n"
        f"<script>{_script(draw)}</script>\n"
        f"<script>{_script(_asset('player.js'))}</script>\n"
        "</body></html>\n"
    )
    return page.encode("utf-8")
