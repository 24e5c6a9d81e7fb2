"""Print layout of a 3-D figure: the scene fills the figure under a one-row legend (and the
title's room), seen from farther out than plotly's camera, with few ticks and print-size text.

Chromium draws the scene with WebGL and prints it into the PDF as one raster image, its text
included (tests/app/export/test_scene.py checks what can be checked of that).
"""

from __future__ import annotations

import plotly.graph_objects as go

from app.export import kinds
from app.export.layout import PAD, legend_size

# The camera of a printed 3-D scene: farther out than plotly's (1.25, 1.25, 1.25), whose cube
# reaches past the bottom of a wide, short figure and clips the axis titles there.
SCENE_CAMERA = {"eye": {"x": 1.7, "y": 1.7, "z": 1.1}, "center": {"x": 0, "y": 0, "z": -0.3}}
SCENE_TICKS = 4  # at most about this many ticks on each axis of a 3-D scene


def lay_out(
    fig: go.Figure, W: float, H: float, px: float, tick_px: float, family: str, title_h: float
) -> None:
    """Lay out the scene of ``fig`` in a W x H px figure (text at ``px``, ticks at
    ``tick_px``), ``title_h`` px kept free at the top for a title."""
    names = kinds.legend_names(fig)
    row_h = legend_size(names, px, family, horizontal=True)[1] if names else 0.0
    top = PAD + title_h + row_h
    # Few ticks: seen at an angle, plotly's default half steps run into each other.
    axis = {"tickfont": {"size": tick_px}, "title": {"font": {"size": px}}, "nticks": SCENE_TICKS}
    fig.update_layout(
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        scene={
            "domain": {"x": [0, 1], "y": [0, 1 - top / H]},
            "camera": SCENE_CAMERA,
            "xaxis": axis,
            "yaxis": axis,
            "zaxis": axis,
        },
        legend={
            "orientation": "h",
            "x": PAD / W,
            "xanchor": "left",
            "y": 1 - (PAD + title_h) / H,
            "yanchor": "top",
            "font": {"size": px},
            "itemwidth": 30,
        },
    )
    for tr in fig.data:
        if tr.type == "surface":
            tr.colorbar = kinds.colorbar(tr, tick_px, px, family, 1 - top / H)
