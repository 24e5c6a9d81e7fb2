"""Plotly's property paths parsed once (app.figures.plotly_paths): the same parse, fresh lists,
and the same figures as plotly's own parser draws."""

from __future__ import annotations

import plotly.basedatatypes as bd
import pytest

from app.computation import analyse_point, compute
from app.figures import plotly_paths
from app.slicing import compute_slice
from app.state import AppState
from app.views import FIGURES, figures

PATHS = [
    "",
    "xaxis",
    "xaxis.title.text",
    "xaxis_title_text",
    "marker_line_color",
    "error_x.thickness",
    "error_x_thickness",
    "data[0].x",
    "annotations[12].font.size",
    "a__b",
    "_leading",
    "trailing_",
    "legend.title_font_size",
]


def test_the_kept_parse_is_plotlys():
    parse = bd._str_to_dict_path_full
    assert getattr(parse, plotly_paths._INSTALLED) and plotly_paths.install()
    for path in PATHS:
        keys, starts = parse(path)
        want_keys, want_starts = parse.original(path)
        assert keys == tuple(want_keys) and starts == list(want_starts), path


def test_a_caller_cannot_alter_a_kept_parse():
    parse = bd._str_to_dict_path_full
    _, starts = parse("xaxis.title.text")
    starts.append(99)
    assert parse("xaxis.title.text")[1] == list(parse.original("xaxis.title.text")[1])


@pytest.mark.parametrize("state", [AppState(), AppState(depth=1, widths=(3,), loss_axis="linear")])
def test_figures_are_those_of_plotlys_own_parser(state, monkeypatch):
    r = compute(state)
    point = analyse_point(state, r)
    sl = compute_slice(state, r, point)
    fast = figures(state, list(FIGURES), r, point, sl)
    monkeypatch.setattr(bd, "_str_to_dict_path_full", bd._str_to_dict_path_full.original)
    plain = figures(state, list(FIGURES), r, point, sl)
    for kind in FIGURES:
        assert fast[kind].to_json() == plain[kind].to_json(), kind
