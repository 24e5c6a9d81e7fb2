"""The paper style: physical sizes, every text 8-10 pt (slides scaled up), the plotting area as
large as the text allows, legends inside the axes where no data is (else in one row above),
no controls, a palette that survives greyscale (line styles as well as colours), no titles
unless asked, axis labels as math (or Unicode without MathJax).

The app's figure builders stay the single source of what is drawn; :func:`paper_style` only
lays a copy out for print. Ranges and ticks are chosen here (``app.export.layout``) so that the
margins fit the tick labels exactly; per-figure adjustments (legend names, rung labels, the
colour bar) are in ``app.export.kinds``. The figure lint (tests/app/export/test_lint.py)
measures the PDFs this produces.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import plotly.graph_objects as go

from app.export import kinds, scene, stacked
from app.export.layout import (
    LEGEND_INSET,
    LEGEND_PAD,
    PAD,
    STANDOFF_EM,
    TICK_LEN,
    TICK_PAD,
    TICK_PAD_Y,
    Axis,
    Box,
    data_range,
    densify,
    free_spot,
    inside_legend,
    legend_rows,
    legend_size,
    linear_axis,
    log_axis,
    tick_label_height,
    tick_label_width,
)

PX_PER_INCH = 96  # kaleido lays out in CSS pixels; a PDF page is px * 0.75 points.
PT_PER_PX = 0.75
STATIC_FORMATS = ("pdf", "svg", "png")
FORMATS = (*STATIC_FORMATS, "html")  # html: the interactive figure, self-contained
FONTS = {
    "serif": "Times New Roman, Liberation Serif, DejaVu Serif, serif",
    "sans": "Helvetica, Arial, Liberation Sans, DejaVu Sans, sans-serif",
}


@dataclass(frozen=True)
class Size:
    """A figure size and the text sizes allowed at it (``min_pt``-``max_pt``; ``font_pt`` for
    titles, legends and labels, ``min_pt`` for ticks so that plotly's 1.25 x power labels stay
    within ``max_pt``)."""

    name: str
    width_in: float
    height_in: float
    font_pt: float
    min_pt: float = 8.0
    max_pt: float = 10.0

    @property
    def width_px(self) -> int:
        return round(self.width_in * PX_PER_INCH)

    @property
    def height_px(self) -> int:
        return round(self.height_in * PX_PER_INCH)


SLIDE_SCALE = 1.6  # slide text is the print range scaled up: 12.8-16 pt, read from a room
SIZES = {
    "single": Size("single", 3.4, 2.55, 8.0),  # one journal column, 4:3
    "double": Size("double", 7.0, 3.2, 9.0),  # full page width
    "slide": Size("slide", 10.0, 5.625, 14.0, 8.0 * SLIDE_SCALE, 10.0 * SLIDE_SCALE),  # 16:9
}
# Figures of stacked panels (or with a side column) keep their own plain-text axis titles.
OWN_AXIS_TITLES = ("curvature", "outputs")


@dataclass(frozen=True)
class Print:
    """What one export is laid out for: the size, the font family, whether math is typeset."""

    size: Size
    family: str
    math: bool

    @property
    def font_px(self) -> float:
        return self.size.font_pt / PT_PER_PX

    @property
    def tick_px(self) -> float:
        return self.size.min_pt / PT_PER_PX

    @property
    def max_px(self) -> float:
        return self.size.max_pt / PT_PER_PX


def paper_style(
    fig: go.Figure,
    kind: str,
    size: Size,
    font: str = "serif",
    math: bool = True,
    title: bool = False,
) -> go.Figure:
    """A copy of ``fig`` laid out for print at ``size`` (the app's builders stay the source)."""
    p = Print(size, font, math)
    out = go.Figure(fig)
    current = (str(fig.layout.xaxis.title.text or ""), str(fig.layout.yaxis.title.text or ""))
    title_text = str(fig.layout.title.text or "") if title else ""
    kinds.strip_controls(out)
    out.update_layout(
        width=size.width_px,
        height=size.height_px,
        template="simple_white",
        font={"family": FONTS[font], "size": p.font_px, "color": "#000"},
        title=None,
        showlegend=True,
    )
    kinds.style_traces(out)
    if kind in OWN_AXIS_TITLES:
        text = stacked.Text(size.width_px, size.height_px, p.font_px, p.tick_px, font)
        stacked.stacked(out, text, title_text)
        return out
    kinds.prepare(kind, out, math)
    if out.layout.scene.xaxis.title.text or any(t.type in kinds.SCENE_TRACES for t in out.data):
        _scene(out, p, title_text)
        return out
    _plane(out, kind, p, kinds.axis_titles(kind, math, current), title_text)
    return out


def _axis(fig: go.Figure, letter: str, length: float, p: Print) -> Axis:
    """The axis ``letter`` of ``fig`` as it will be drawn: its range as set, else the data's."""
    ax = fig.layout[f"{letter}axis"]
    log = ax.type == "log"
    if ax.range is not None and ax.autorange is not True:
        lo, hi = (float(v) for v in ax.range)
    else:
        scatter = [t for t in fig.data if t.type == "scatter"]
        lines_only = all("markers" not in (t.mode or "lines") for t in scatter)
        fills = any(t.type in ("contour", "heatmap") for t in fig.data)  # fills the axes
        pad = 0.0 if fills or (letter == "x" and lines_only) else 0.05
        lo, hi = data_range(kinds.axis_data(fig, letter), log, pad)
    # An axis of integers (the Hessian's eigenvalue index) says so with dtick 1: no 1.2, 1.4.
    least = 1.0 if not log and ax.dtick == 1 else 0.0
    if letter == "x":
        probe = log_axis(lo, hi) if log else linear_axis(lo, hi, min_step=least)
        room = max(tick_label_width(probe, p.tick_px, p.family), 1.0)
        limit = max(2, min(6, int(length // (room + 1.5 * p.tick_px))))
    else:
        limit = max(2, min(6, int(length // (2.6 * p.tick_px * (1.25 if log else 1.0)))))
    return log_axis(lo, hi, limit) if log else linear_axis(lo, hi, limit, min_step=least)


def _occupied(fig: go.Figure, x: Axis, y: Axis, plot: Box) -> np.ndarray:
    """Figure px of everything drawn in the axes (samples, lines densified, horizontal shapes)."""
    pts = []
    for tr in fig.data:
        if tr.type in ("contour", "heatmap"):  # fills the axes
            gx, gy = np.meshgrid(
                np.linspace(plot.x0, plot.x1, 40), np.linspace(plot.y0, plot.y1, 40)
            )
            return np.stack([gx.ravel(), gy.ravel()], axis=1)
        if tr.type != "scatter" or tr.x is None or tr.visible is False:
            continue
        xs = np.array([np.nan if v is None else v for v in tr.x], dtype=float)
        ys = np.array([np.nan if v is None else v for v in tr.y], dtype=float)
        px = x.to_px(xs, plot.x0, plot.w, flip=False)
        py = y.to_px(ys, plot.y0, plot.h, flip=True)
        pts.append(densify(px, py, "lines" in (tr.mode or "lines")))
    for sh in fig.layout.shapes:
        if sh.type == "line" and sh.xref == "paper" and sh.y0 == sh.y1:
            py = y.to_px(np.array([sh.y0]), plot.y0, plot.h, flip=True)[0]
            xs = np.linspace(plot.x0, plot.x1, 64)
            pts.append(np.stack([xs, np.full_like(xs, py)], axis=1))
    return np.concatenate(pts) if pts else np.zeros((0, 2))


def _title_depth(title: str, p: Print) -> float:
    """How much room an axis title takes across its reading direction, px."""
    script = "_" in title or "^" in title or "<su" in title
    if title.startswith("$"):  # MathJax sets it tight: no line spacing around the formula
        return p.font_px * (1.6 if script else 1.15)
    return p.font_px * (1.75 if script else 1.3)


@dataclass(frozen=True)
class Frame:
    """Where the axes go for a given room above them: the plot box, both axes, side labels."""

    plot: Box
    x: Axis
    y: Axis
    side: kinds.Side
    band: float = 0.0  # px between the axes and the top of the paper area (a legend row)


def _frame(
    fig: go.Figure,
    kind: str,
    p: Print,
    titles: tuple[str, str],
    title_h: float,
    legend_h: float = 0.0,
) -> Frame:
    """The axes' box below a title and a legend row of these heights (px). The top y tick
    label reaches half its height above the axes, beside the legend row, not under it."""
    W, H, f = p.size.width_px, p.size.height_px, p.font_px
    bottom = PAD + _title_depth(titles[0], p) + STANDOFF_EM * f + TICK_LEN + TICK_PAD
    bottom += tick_label_height(_axis(fig, "x", W * 0.7, p), p.tick_px)
    yprobe = _axis(fig, "y", H - title_h - legend_h - bottom - 6, p)
    top = PAD + title_h + max(legend_h, 0.5 * tick_label_height(yprobe, p.tick_px) + 1)
    yax = _axis(fig, "y", H - top - bottom, p)
    left = PAD + _title_depth(titles[1], p) + STANDOFF_EM * f
    left += tick_label_width(yax, p.tick_px, p.family) + TICK_LEN + TICK_PAD_Y
    side = kinds.side_labels(kind, fig, f, p.tick_px, p.family, top, H - bottom, yax, H, PAD)
    xprobe = _axis(fig, "x", W - left - side.width - PAD, p)
    right = PAD + max(side.width, 0.5 * tick_label_width(xprobe, p.tick_px, p.family))
    plot = Box(left, top, W - right, H - bottom)
    return Frame(plot, _axis(fig, "x", plot.w, p), yax, side)


HEADROOM_MAX = 0.3  # the y range may grow by at most this share of the axes to fit a legend
HEADROOM_ROWS = 2  # rows of legend along the top of the axes


def _headroom(
    fig: go.Figure, kind: str, p: Print, titles: tuple[str, str], title_h: float, fr: Frame
) -> tuple[Frame, dict[str, Any]] | None:
    """A legend in one or two rows along the top of the axes, the y range raised (by at most
    HEADROOM_MAX of the axes) so that no data is under it; None if that does not work."""
    names = kinds.legend_names(fig)
    # Left-anchored LEGEND_INSET in, the legend may run to the axes' right edge (plotly wraps
    # it there: the rest of the plot's width from its x).
    rows = legend_rows(names, p.font_px, p.family, fr.plot.w - LEGEND_INSET)
    if rows > HEADROOM_ROWS:
        return None
    one = legend_size(names, p.font_px, p.family, horizontal=True)[1] - 2 * LEGEND_PAD
    row = rows * one + 2 * LEGEND_PAD
    ax, saved = fig.layout.yaxis, (fig.layout.yaxis.range, fig.layout.yaxis.autorange)
    occ = _occupied(fig, fr.x, fr.y, fr.plot)
    need = fr.plot.y0 + LEGEND_INSET + row + 2
    top = float(occ[:, 1].min()) if occ.size else np.inf
    if top < need:
        q = (need - fr.plot.y0) / fr.plot.h
        if q > HEADROOM_MAX:
            return None
        lo, hi = fr.y.lo, fr.y.hi
        dmax = hi - (top - fr.plot.y0) / fr.plot.h * (hi - lo)
        ax.range, ax.autorange = [lo, (dmax - q * lo) / (1 - q)], False
        fr = _frame(fig, kind, p, titles, title_h)
        occ = _occupied(fig, fr.x, fr.y, fr.plot)
        if occ.size and occ[:, 1].min() < fr.plot.y0 + LEGEND_INSET + row + 1:
            ax.range, ax.autorange = saved
            return None
    return fr, {
        "orientation": "h",
        "x": LEGEND_INSET / fr.plot.w,
        "xanchor": "left",
        "y": 1 - LEGEND_INSET / fr.plot.h,
        "yanchor": "top",
        "bgcolor": "rgba(255,255,255,0.85)",
    }


def _above(
    fig: go.Figure, kind: str, p: Print, titles: tuple[str, str], title_h: float, wide: bool
) -> tuple[Frame, dict[str, Any]] | None:
    """A legend in a band above the axes: one row (``wide``: as many as it takes). The axes'
    domain ends below the band, so the legend is inside the paper area (a legend above it
    would push the margins by more than it needs); its bottom padding may reach into the
    axes."""
    names = kinds.legend_names(fig)
    fr = _frame(fig, kind, p, titles, title_h)
    rows = legend_rows(names, p.font_px, p.family, fr.plot.w)
    if rows > 1 and not wide:
        return None
    box = legend_size(names, p.font_px, p.family, horizontal=True)[1]
    # A row is taller than its text (plotly: at least 19 px): the empty part of the last row
    # may reach into the axes too.
    row = box - 2 * LEGEND_PAD
    slack = max(0.0, (row - 1.3 * p.font_px) / 2)
    band = rows * row + LEGEND_PAD + 1 - slack
    fr = _frame(fig, kind, p, titles, title_h, band)
    return replace(fr, band=band), {
        "orientation": "h",
        "x": 0.0,
        "xanchor": "left",
        "y": 1.0,
        "yanchor": "top",
        "bgcolor": "rgba(0,0,0,0)",
    }


def _legend(
    fig: go.Figure, kind: str, p: Print, titles: tuple[str, str], title_h: float
) -> tuple[Frame, dict[str, Any]]:
    """The frame and legend settings, the first that works of: inside the axes where it covers
    no data; one or two rows along the top of the axes, with headroom; one row above the
    axes; the same with shorter names; above the axes, wider or in more rows."""
    for shorter in (False, True):
        if shorter:
            kinds.shorten(fig)
        names = kinds.legend_names(fig)
        fr = _frame(fig, kind, p, titles, title_h)
        if not names:
            return fr, {"visible": False}
        box = legend_size(names, p.font_px, p.family, horizontal=False)
        spot = free_spot(fr.plot, box, _occupied(fig, fr.x, fr.y, fr.plot))
        if spot is not None:
            return fr, inside_legend(spot, fr.plot)
        done = _headroom(fig, kind, p, titles, title_h, fr) or _above(
            fig, kind, p, titles, title_h, wide=shorter
        )
        if done is not None:
            return done
    raise AssertionError("not reached: the last attempt always places the legend")


def _plane(fig: go.Figure, kind: str, p: Print, titles: tuple[str, str], title: str) -> None:
    """Lay out a 2-D figure: ranges, ticks, margins, legend, and the kind's side labels."""
    W, H, f = p.size.width_px, p.size.height_px, p.font_px
    title_h = 1.3 * min(f * 1.1, p.max_px) if title else 0.0
    fr, legend = _legend(fig, kind, p, titles, title_h)
    plot, xax, yax = fr.plot, fr.x, fr.y
    top = plot.y0 - fr.band
    fig.update_layout(
        margin={"l": plot.x0, "r": W - plot.x1, "t": top, "b": H - plot.y1, "pad": 0},
        legend={"font": {"size": f}, "itemwidth": 30, "tracegroupgap": 0, **legend},
    )
    # Assigned, not updated: update_layout merges a list into the existing one item by item.
    fig.layout.annotations = fr.side.annotations
    fig.layout.shapes = [*fig.layout.shapes, *fr.side.shapes]
    _title(fig, title, p)
    for letter, ax, text in (("x", xax, titles[0]), ("y", yax, titles[1])):
        fig.update_layout(
            {
                f"{letter}axis": {
                    **ax.layout(p.tick_px),
                    "title": {"text": text, "font": {"size": f}, "standoff": STANDOFF_EM * f},
                    "ticks": "outside",
                    "ticklen": TICK_LEN,
                    "automargin": False,
                    "showgrid": False,
                    "zeroline": False,
                    **({"domain": [0.0, plot.h / (plot.h + fr.band)]} if letter == "y" else {}),
                }
            }
        )
    kinds.finish(kind, fig, p.font_px, p.tick_px, p.family, plot, fr.band)


def _scene(fig: go.Figure, p: Print, title: str) -> None:
    """A 3-D figure: the scene fills the figure under a one-row legend (and the title)."""
    title_h = 1.3 * min(p.font_px * 1.1, p.max_px) if title else 0.0
    scene.lay_out(fig, p.size.width_px, p.size.height_px, p.font_px, p.tick_px, p.family, title_h)
    _title(fig, title, p)


def _title(fig: go.Figure, title: str, p: Print) -> None:
    """The title, if asked for: top left, at most ``max_pt``, in the room left for it."""
    if title:
        W, H = p.size.width_px, p.size.height_px
        fig.update_layout(
            title={
                "text": title,
                "font": {"size": min(p.font_px * 1.1, p.max_px)},
                "x": PAD / W,
                "xanchor": "left",
                "y": 1 - PAD / H,
                "yanchor": "top",
                "xref": "container",
                "yref": "container",
            }
        )
