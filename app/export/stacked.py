"""Print layout of the figures of stacked panels: the curvature (lambda_max, lambda_min and n-
in three panels on one time axis) and the outputs (a heat map, the targets in a column beside
it, a colour bar). Their own plain-text axis titles are kept. As for single-axes figures
(``app.export.style``), margins are measured from the tick labels (``app.export.metrics``);
the panels share the height that is left in the app's proportions, as close together as
their end labels allow; a panel's explicit tick labels are thinned to what its printed height
holds; the legend goes inside the top panel where it covers no data, else in a row above.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import plotly.graph_objects as go

from app.export import kinds
from app.export.layout import (
    EXPONENT_RATIO,
    LEGEND_PAD,
    PAD,
    POWER_SCALE,
    STANDOFF_EM,
    TICK_LEN,
    TICK_PAD,
    TICK_PAD_Y,
    Box,
    data_range,
    densify,
    free_spot,
    inside_legend,
    legend_rows,
    legend_size,
    linear_axis,
    sized_exponents,
)
from app.export.metrics import text_width

LABEL_EM = 1.15  # a tick label's height, in its font size
MIN_GAP = 4.0  # px between two stacked panels at least
TICK_SPACING_EM = 1.3  # explicit tick labels of a panel at least this far apart (tick sizes)
COLORBAR_GAP = 6.0  # px between the panels and the colour bar
EXTEND = 0.15  # a panel's range may grow by this share of its span to end at a tick
LINEAR_TICKS = 4  # at most this many labels on a linear panel axis (a panel is short)


@dataclass(frozen=True)
class Text:
    """The sizes a stacked figure is laid out with (px) and its font family key."""

    width: float
    height: float
    px: float  # titles, legend, notes
    tick_px: float
    family: str


@dataclass(frozen=True)
class Ticks:
    """A y axis's tick values and labels as the app set them (or as chosen here), its range
    (None: a heat map's rows, left to plotly) and the labels' font size."""

    vals: tuple[float, ...]
    labels: tuple[str, ...]
    lo: float | None
    hi: float | None
    size: float

    def kept(self, height: float) -> list[int]:
        """The labels ``height`` px hold, TICK_SPACING_EM sizes apart: 0 first, then from
        the outermost inwards (all of them on an axis without a range)."""
        if self.lo is None or self.hi is None:
            return list(range(len(self.vals)))
        px = height / (self.hi - self.lo)
        inside = [k for k, v in enumerate(self.vals) if self.lo <= v <= self.hi]
        order = sorted(inside, key=lambda k: (self.vals[k] != 0, -abs(self.vals[k])))
        kept: list[int] = []
        for k in order:
            near = (abs(self.vals[k] - self.vals[j]) * px for j in kept)
            if all(d >= TICK_SPACING_EM * self.size for d in near):
                kept.append(k)
        return sorted(kept, key=lambda k: self.vals[k])

    def overhang(self, height: float, kept: list[int]) -> tuple[float, float]:
        """How far the kept labels reach above and below the panel, px."""
        if self.lo is None or self.hi is None or not kept:
            return 0.0, 0.0
        half = 0.5 * LABEL_EM * self.size
        px = height / (self.hi - self.lo)
        top = (self.hi - max(self.vals[k] for k in kept)) * px
        bottom = (min(self.vals[k] for k in kept) - self.lo) * px
        return max(0.0, half - top), max(0.0, half - bottom)


def _axis_names(fig: go.Figure, letter: str) -> list[str]:
    names = [k for k in fig.layout.to_plotly_json() if k.startswith(f"{letter}axis")]
    return sorted(names, key=lambda k: int(k[5:] or 1))


def _traces(fig: go.Figure, name: str) -> list[Any]:
    """The visible scatter traces on the y axis ``name``."""
    ref = name[0] + name[5:]
    return [
        t
        for t in fig.data
        if t.type == "scatter" and t.visible is not False and t.y is not None
        if (t.yaxis or "y") == ref
    ]


def _floats(v: Any) -> np.ndarray:
    return np.array([np.nan if e is None else e for e in v], dtype=float)


def _ticks(fig: go.Figure, name: str, text: Text) -> Ticks:
    """The ticks of y axis ``name``; an axis without explicit ticks gets linear ones from its
    data, and every axis with data an explicit range (so that label positions are known).
    Labels with exponents are drawn as on the log axes: exponents at the tick size."""
    ax = fig.layout[name]
    data = [_floats(t.y) for t in _traces(fig, name)]
    if not data:
        labels = tuple(str(t) for t in (ax.ticktext or ()))
        return Ticks(tuple(ax.tickvals or ()), labels, None, None, text.tick_px)
    own_range = ax.range is not None and ax.autorange is not True
    if own_range:
        lo, hi = (float(v) for v in ax.range)
    else:
        lo, hi = data_range(data, False, 0.06)
    ax.update(range=[lo, hi], autorange=False)
    if ax.tickvals is None:
        axis = linear_axis(lo, hi, LINEAR_TICKS)
        vals = tuple(axis.tick0 + k * axis.dtick for k in range(len(axis.labels)))
        return Ticks(vals, axis.labels, lo, hi, text.tick_px)
    vals = tuple(float(v) for v in ax.tickvals)
    if not own_range:
        # Reach out to a tick just past the data (within EXTEND of the span): a short panel
        # may otherwise keep no label but 0.
        span = hi - lo
        below = [v for v in vals if lo - EXTEND * span <= v < lo]
        above = [v for v in vals if hi < v <= hi + EXTEND * span]
        lo = min(below, default=lo + 0.02 * span) - 0.02 * span
        hi = max(above, default=hi - 0.02 * span) + 0.02 * span
        ax.update(range=[lo, hi])
    labels = tuple(str(t) for t in ax.ticktext) if ax.ticktext is not None else ()
    labels = labels or tuple(f"{v:g}" for v in vals)
    scripts = any("<sup>" in t for t in labels)
    return Ticks(vals, labels, lo, hi, POWER_SCALE * text.tick_px if scripts else text.tick_px)


def _label_width(labels: list[str], size: float, text: Text) -> float:
    """The widest of ``labels`` at ``size`` px (exponents, if any, as ``_draw_ticks`` sizes
    them: the tick size, under a base POWER_SCALE larger)."""
    return max((text_width(t, size, text.family, EXPONENT_RATIO) for t in labels), default=0.0)


def _draw_ticks(ax: Any, ticks: Ticks, kept: list[int], text: Text) -> None:
    labels = [ticks.labels[k] for k in kept]
    size = ticks.size if any("<sup>" in t for t in labels) else text.tick_px
    labels = [sized_exponents(t, text.tick_px) for t in labels]
    ax.update(
        tickmode="array",
        tickvals=[ticks.vals[k] for k in kept],
        ticktext=labels,
        tickfont={"size": size},
    )


def _title_depth(ax: Any, text: Text) -> float:
    title = str(ax.title.text or "")
    return 1.3 * text.px + STANDOFF_EM * text.px if title else 0.0


def _colorbar(fig: go.Figure, text: Text) -> float:
    """Thin colour bars as tall as the panels (their titles kept, on top); the width they
    take right of the panels, px (0: none). Their x is set once the margins are known."""
    width = 0.0
    for tr in fig.data:
        if tr.type not in ("heatmap", "contour") or tr.showscale is False:
            continue
        title = str(tr.colorbar.title.text or "")
        z = np.asarray(tr.z, dtype=float)
        lo = float(tr.zmin) if tr.zmin is not None else float(np.nanmin(z))
        hi = float(tr.zmax) if tr.zmax is not None else float(np.nanmax(z))
        ticks = linear_axis(lo, hi, 4, steps=(1.0, 2.0, 5.0))
        style = kinds.colorbar_style(ticks, title, text.tick_px, text.px, 1.0)
        tr.colorbar = {**style, "xanchor": "left"}
        bar = kinds.COLORBAR_PX + 3 + 3 + _label_width(list(ticks.labels), text.tick_px, text)
        width = max(width, COLORBAR_GAP + max(bar, text_width(title, text.px, text.family)) + 2)
    return width


def _spread(
    fig: go.Figure, ticks: dict[str, Ticks], plot_h: float, text: Text
) -> dict[str, tuple[float, float, list[int]]]:
    """Place the y axes over ``plot_h`` px, top to bottom in the app's order and proportions,
    each pair as close as their end labels allow; (top px, height px, kept labels) by axis."""
    doms = {n: tuple(fig.layout[n].domain or (0.0, 1.0)) for n in ticks}
    stack = sorted(ticks, key=lambda n: -doms[n][0])
    shares = np.array([doms[n][1] - doms[n][0] for n in stack])
    gaps = [MIN_GAP + LABEL_EM * text.tick_px] * (len(stack) - 1)
    for _ in range(3):  # heights -> labels kept -> gaps -> heights
        heights = shares / shares.sum() * (plot_h - sum(gaps))
        kept = [ticks[n].kept(float(h)) for n, h in zip(stack, heights, strict=True)]
        over = [
            ticks[n].overhang(float(h), k) for n, h, k in zip(stack, heights, kept, strict=True)
        ]
        gaps = [max(MIN_GAP, over[i][1] + over[i + 1][0] + 1) for i in range(len(stack) - 1)]
    out, y = {}, 0.0
    for i, n in enumerate(stack):
        h = float(heights[i])
        if len(stack) > 1:
            fig.layout[n].domain = [max(0.0, (plot_h - y - h) / plot_h), (plot_h - y) / plot_h]
        out[n] = (y, h, kept[i])
        y += h + (gaps[i] if i < len(gaps) else 0.0)
    return out


def _x_units(fig: go.Figure) -> tuple[float, float, bool]:
    xa = fig.layout.xaxis
    lo, hi = (float(v) for v in (xa.range or (0.0, 1.0)))
    return lo, hi, xa.type == "log"


def _data_points(fig: go.Figure, name: str, box: Box, skip: str = "") -> np.ndarray:
    """Figure px of the data drawn on y axis ``name`` (in ``box``), lines densified; the trace
    named ``skip`` left out."""
    x_lo, x_hi, log = _x_units(fig)
    y_lo, y_hi = (float(v) for v in fig.layout[name].range)
    pts = [np.zeros((0, 2))]
    for t in _traces(fig, name):
        if skip and t.name == skip:
            continue
        x = _floats(t.x)
        if log:
            with np.errstate(divide="ignore", invalid="ignore"):
                x = np.where(x > 0, np.log10(np.where(x > 0, x, 1.0)), np.nan)
        px = box.x0 + (x - x_lo) / (x_hi - x_lo) * box.w
        py = box.y1 - (_floats(t.y) - y_lo) / (y_hi - y_lo) * box.h
        pts.append(densify(px, py, "lines" in (t.mode or "lines")))
    return np.concatenate(pts)


def _notes(fig: go.Figure, name: str) -> list[Any]:
    ref = name[0] + name[5:]
    return [a for a in fig.layout.annotations if a.yref == ref and a.xref == "x"]


def _note_box(a: Any, fig: go.Figure, name: str, box: Box, text: Text) -> Box:
    """Where the note ``a`` (left-anchored, above or below its y) is drawn, figure px."""
    x_lo, x_hi, _ = _x_units(fig)
    y_lo, y_hi = (float(v) for v in fig.layout[name].range)
    x = box.x0 + (float(a.x) - x_lo) / (x_hi - x_lo) * box.w
    y = box.y1 - (float(a.y) - y_lo) / (y_hi - y_lo) * box.h
    size = a.font.size or text.tick_px
    h = LABEL_EM * size
    w = text_width(str(a.text), size, text.family)
    return Box(x, y - h, x + w, y) if a.yanchor == "bottom" else Box(x, y, x + w, y + h)


def _covers(b: Box, pts: np.ndarray) -> bool:
    inside = (pts[:, 0] >= b.x0 - 1) & (pts[:, 0] <= b.x1 + 1)
    return bool((inside & (pts[:, 1] >= b.y0 - 1) & (pts[:, 1] <= b.y1 + 1)).any())


def _place_notes(fig: go.Figure, name: str, box: Box, text: Text) -> None:
    """Move each note on a line (left-anchored, at the line's height) along it, above or
    below, to the first place where it covers no other data: in print the panels are short,
    and the app's place at the left edge can lie on the run."""
    x_lo, x_hi, _ = _x_units(fig)
    for a in _notes(fig, name):
        if a.x is None or a.y is None or a.xanchor != "left":
            continue
        pts = _data_points(fig, name, box, skip=str(a.name or ""))
        w = _note_box(a, fig, name, box, text).w / box.w * (x_hi - x_lo)
        start, anchor = float(a.x), a.yanchor
        spots = [start, *np.linspace(x_lo, max(x_lo, x_hi - 1.02 * w), 12)]

        def clear(x: float, y_anchor: str, a: Any = a, pts: np.ndarray = pts) -> bool:
            """On the page (a line near the top of a panel had its note above the figure)
            and over no data."""
            a.update(x=x, yanchor=y_anchor)
            b = _note_box(a, fig, name, box, text)
            on_page = b.y0 >= 0 and b.y1 <= fig.layout.height and b.x1 <= fig.layout.width
            return on_page and not _covers(b, pts)

        other = "top" if anchor == "bottom" else "bottom"
        free = [(x, y) for y in (anchor, other) for x in spots if clear(x, y)]
        x, y_anchor = free[0] if free else (start, anchor)
        a.update(x=x, yanchor=y_anchor)


def _occupied(fig: go.Figure, name: str, box: Box, text: Text) -> np.ndarray:
    """Figure px of everything drawn in the panel of y axis ``name``: data and notes."""
    pts = [_data_points(fig, name, box)]
    for a in _notes(fig, name):
        b = _note_box(a, fig, name, box, text)
        xs, ys = np.meshgrid(np.linspace(b.x0, b.x1, 12), np.linspace(b.y0, b.y1, 4))
        pts.append(np.stack([xs.ravel(), ys.ravel()], axis=1))
    return np.concatenate(pts)


def stacked(fig: go.Figure, text: Text, title: str) -> None:
    """Lay out ``fig`` (stacked panels, or a heat map with a side column) for print."""
    W, H, f, tick = text.width, text.height, text.px, text.tick_px
    axis = {
        "title_font": {"size": f},
        "tickfont": {"size": tick},
        "showgrid": False,
        "ticks": "outside",
        "ticklen": TICK_LEN,
        "automargin": False,
        "title_standoff": STANDOFF_EM * f,
    }
    # Every x axis under the panels, as this layout reserves room for: the screen names the
    # outputs' target column above it, where its name clears the time axis's 2s and 5s.
    fig.update_xaxes(**axis, side="bottom")
    fig.update_yaxes(**axis)
    # Log axes label powers of ten only: plotly draws the 2s and 5s between them at 0.6 of the
    # tick size, below print size.
    fig.for_each_xaxis(lambda ax: ax.update(dtick=1) if ax.type == "log" else None)
    for a in fig.layout.annotations:
        a.font = {**(a.font.to_plotly_json() if a.font else {}), "size": tick}
    ys, xs = _axis_names(fig, "y"), _axis_names(fig, "x")
    ticks = {n: _ticks(fig, n, text) for n in ys}
    bottom = PAD + max(_title_depth(fig.layout[n], text) for n in xs)
    bottom += TICK_LEN + TICK_PAD + LABEL_EM * tick
    title_h = 1.3 * f if title else 0.0
    names = [
        str(t.name)
        for t in fig.data
        if t.name and t.showlegend is not False and t.type == "scatter"
    ]
    show_legend = fig.layout.showlegend is not False and bool(names)
    top = PAD + title_h
    placed = _spread(fig, ticks, H - top - bottom, text)
    first = min(placed, key=lambda n: placed[n][0])  # the top panel
    top += ticks[first].overhang(placed[first][1], placed[first][2])[0] + 1
    placed = _spread(fig, ticks, H - top - bottom, text)
    widest = max(
        _label_width([ticks[n].labels[k] for k in kept], ticks[n].size, text)
        for n, (_, _, kept) in placed.items()
    )
    left = PAD + max(_title_depth(fig.layout[n], text) for n in ys) + widest
    left += TICK_LEN + TICK_PAD_Y
    right = PAD + 0.5 * text_width("1000", tick, text.family)  # the last time label
    bar = _colorbar(fig, text)
    right = PAD + bar if bar else right
    legend: dict[str, Any] = {"visible": False}

    def boxes() -> dict[str, Box]:
        return {n: Box(left, top + y0, W - right, top + y0 + h) for n, (y0, h, _) in placed.items()}

    for n, b in boxes().items():
        _place_notes(fig, n, b, text)
    if show_legend:
        y0, h, _ = placed[first]
        box = Box(left, top + y0, W - right, top + y0 + h)
        size = legend_size(names, f, text.family, horizontal=False)
        spot = free_spot(box, size, _occupied(fig, first, box, text))
        if spot is not None:
            legend = inside_legend(spot, box)
            dom = fig.layout[first].domain or (0.0, 1.0)
            # inside_legend is in the top panel's units; the legend's are the paper's
            legend["y"] = dom[0] + cast(float, legend["y"]) * (dom[1] - dom[0])
        else:
            rows = legend_rows(names, f, text.family, W - left - right)
            row = legend_size(names, f, text.family, horizontal=True)[1] - 2 * LEGEND_PAD
            top = PAD + title_h + rows * row + LEGEND_PAD + 1
            placed = _spread(fig, ticks, H - top - bottom, text)
            for n, b in boxes().items():
                _place_notes(fig, n, b, text)
            legend = {"orientation": "h", "x": 0.0, "xanchor": "left", "y": 1.0}
            legend.update(yanchor="bottom", bgcolor="rgba(0,0,0,0)")
    for n, (_, _, kept) in placed.items():
        if ticks[n].lo is not None:
            _draw_ticks(fig.layout[n], ticks[n], kept, text)
    for tr in fig.data:
        if tr.type in ("heatmap", "contour") and tr.showscale is not False:
            tr.colorbar.x = 1.0 + COLORBAR_GAP / (W - left - right)
    fig.update_layout(
        margin={"l": left, "r": right, "t": top, "b": bottom, "pad": 0},
        legend={"font": {"size": f}, "itemwidth": 30, "tracegroupgap": 0, **legend},
        showlegend=show_legend,
    )
    if title:
        fig.update_layout(
            title={
                "text": title,
                "font": {"size": f},
                "x": PAD / W,
                "xanchor": "left",
                "y": 1 - PAD / H,
                "yanchor": "top",
            }
        )
