"""Print layout arithmetic: axis ranges and ticks chosen here (so their labels, and the margins
they need, are known before drawing), and legends placed inside the axes where no data is.

Geometry is in CSS px of the figure, y downwards (plotly's layout units; a PDF point is 0.75 px).
Plotly's legend geometry (measured on its PDFs): the text starts 40 px right of the legend's
edge, rows are max(19, 1.3 size + 3) px apart, and the box has 5 px of padding all round.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.export.metrics import text_width

PAD = 3.0  # px kept free at the figure's edges
TICK_LEN = 3.0  # px
TICK_PAD = 3.0  # px from a tick to its label's box below an x axis (measured: 3-4)
TICK_PAD_Y = 1.5  # px from a tick to its label's box left of a y axis (measured: 0-1)
STANDOFF_EM = 0.3  # axis title to tick labels, in units of the font size
LEGEND_TEXT_X = 40.0  # px from the legend's left edge to its text (symbol and gaps)
LEGEND_PAD = 5.0  # px of padding around a legend's entries
LEGEND_ITEM_GAP = 5.0  # px after each entry of a horizontal legend
LEGEND_INSET = 4.0  # px between an inside legend and the axes
DENSIFY_PX = 3.0  # lines are tested for covering a legend at points this far apart
# Log axes label 10^n at 1.25 x the tick font (10 pt in print, as plotly's own power labels),
# their exponents at the tick font itself (8 pt): plotly's <sup> alone would draw them at 70 %
# of the base, 7 pt, below print size. The labels are set as tick text (``Axis.layout``).
POWER_SCALE = 1.25
EXPONENT_RATIO = 1 / POWER_SCALE  # an exponent's size over its base's
NICE_STEPS = (1.0, 2.0, 2.5, 5.0)
LOG_TICK_LIMIT = 6  # at most this many decades labelled on a log axis
LIN_TICK_LIMIT = 6


@dataclass(frozen=True)
class Box:
    """A rectangle in figure px (y downwards)."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def w(self) -> float:
        return self.x1 - self.x0

    @property
    def h(self) -> float:
        return self.y1 - self.y0


@dataclass(frozen=True)
class Axis:
    """One 2-D axis as drawn: its type, range (log10 units on a log axis) and ticks."""

    log: bool
    lo: float
    hi: float
    tick0: float
    dtick: float
    labels: tuple[str, ...]

    def to_px(self, values: np.ndarray, start: float, length: float, flip: bool) -> np.ndarray:
        v = np.asarray(values, dtype=float)
        if self.log:
            with np.errstate(divide="ignore", invalid="ignore"):
                v = np.where(v > 0, np.log10(np.where(v > 0, v, 1.0)), np.nan)
        frac = (v - self.lo) / (self.hi - self.lo)
        return start + (1.0 - frac if flip else frac) * length

    def layout(self, tick_px: float) -> dict[str, object]:
        """Plotly axis settings that draw exactly these ticks, labels at ``tick_px`` (a log
        axis: bases at POWER_SCALE x ``tick_px``, exponents at ``tick_px``)."""
        if self.log:
            powers = _log_ticks(self.lo, self.hi, int(self.dtick))
            return {
                "range": [self.lo, self.hi],
                "autorange": False,
                "tickmode": "array",
                "tickvals": [10.0**n for n in powers],
                "ticktext": [power_label(n, tick_px) for n in powers],
                "tickfont": {"size": POWER_SCALE * tick_px},
            }
        out: dict[str, object] = {
            "range": [self.lo, self.hi],
            "autorange": False,
            "tickmode": "linear",
            "tick0": self.tick0,
            "dtick": self.dtick,
            "exponentformat": "none",
            "tickfont": {"size": tick_px},
        }
        return out


def _fmt(v: float, decimals: int) -> str:
    text = f"{v:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text.replace("-", "−")  # plotly's minus sign


def linear_axis(
    lo: float,
    hi: float,
    max_ticks: int = LIN_TICK_LIMIT,
    steps: tuple[float, ...] = NICE_STEPS,
    min_step: float = 0.0,
) -> Axis:
    """Ticks ``steps`` (1, 2, 2.5 or 5) x 10^k apart, the closest spacing that gives at most
    ``max_ticks`` labels in [lo, hi] and is at least ``min_step`` (1 for integer indices)."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        mid = lo if math.isfinite(lo) else 0.0
        lo, hi = mid - 1.0, mid + 1.0
    span = hi - lo
    base = 10.0 ** math.floor(math.log10(max(span / max(max_ticks, 1), min_step)))
    for mult in (*steps, *(10.0 * m for m in steps)):
        step = base * mult
        if step < min_step:
            continue
        first = math.ceil(lo / step - 1e-9) * step
        n = math.floor((hi - first) / step + 1e-9) + 1
        if n <= max_ticks:
            break
    decimals = max(0, -math.floor(math.log10(step) + 1e-12)) + (1 if mult in (2.5, 25.0) else 0)
    ticks = [first + k * step for k in range(n)]
    return Axis(False, lo, hi, first, step, tuple(_fmt(t, decimals) for t in ticks))


def log_label(n: int) -> str:
    """The label of 10^n as plotly's "power" format writes it (for measuring)."""
    if n == 0:
        return "1"
    if n == 1:
        return "10"
    return f"10<sup>{'−' if n < 0 else ''}{abs(n)}</sup>"


def sized_exponents(label: str, exponent_px: float) -> str:
    """``label`` with its exponents drawn at ``exponent_px`` (``<sup>`` scales what is inside
    it to 70 %, so an inner span's absolute size wins)."""
    sized = f"<sup><span style='font-size:{exponent_px:.2f}px'>"
    return label.replace("<sup>", sized).replace("</sup>", "</span></sup>")


def power_label(n: int, exponent_px: float) -> str:
    """The drawn label of 10^n, its exponent at ``exponent_px``."""
    return sized_exponents(log_label(n), exponent_px)


def _log_ticks(lo: float, hi: float, dtick: int) -> list[int]:
    first = math.ceil(lo / dtick - 1e-9) * dtick
    return list(range(first, math.floor(hi + 1e-9) + 1, dtick))


def log_axis(lo: float, hi: float, max_ticks: int = LOG_TICK_LIMIT) -> Axis:
    """Decades ``dtick`` apart (whole numbers: no minor labels), at most ``max_ticks`` of them
    in [lo, hi] (log10 units)."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        mid = lo if math.isfinite(lo) else 0.0
        lo, hi = mid - 1.0, mid + 1.0
    dtick = 1
    while len(ticks := _log_ticks(lo, hi, dtick)) > max_ticks:
        dtick += 1
    return Axis(True, lo, hi, 0.0, float(dtick), tuple(log_label(n) for n in ticks))


def tick_label_width(axis: Axis, size_px: float, family: str) -> float:
    if axis.log:
        size_px, ratio = POWER_SCALE * size_px, EXPONENT_RATIO
        return max((text_width(t, size_px, family, ratio) for t in axis.labels), default=0.0)
    return max((text_width(t, size_px, family) for t in axis.labels), default=0.0)


def tick_label_height(axis: Axis, size_px: float) -> float:
    return size_px * (POWER_SCALE * 1.15 if axis.log else 1.15)


def data_range(values: Sequence[np.ndarray], log: bool, pad: float) -> tuple[float, float]:
    """The extent of the finite (positive, on a log axis) values, padded by ``pad`` of the
    span on each side; in log10 units on a log axis."""
    parts = [np.asarray(v, dtype=float).ravel() for v in values if v is not None]
    flat = np.concatenate(parts) if parts else np.array([])
    flat = flat[np.isfinite(flat)]
    if log:
        flat = np.log10(flat[flat > 0])
    if not flat.size:
        return (-1.0, 1.0) if log else (0.0, 1.0)
    lo, hi = float(flat.min()), float(flat.max())
    if hi - lo < 1e-12 * max(1.0, abs(hi)):
        lo, hi = lo - 0.5, hi + 0.5
    span = hi - lo
    return lo - pad * span, hi + pad * span


def densify(px: np.ndarray, py: np.ndarray, lines: bool) -> np.ndarray:
    """Points (k, 2) covering a trace drawn in px: its samples, and for lines, points every
    DENSIFY_PX along each segment (NaN breaks a line, as None does in plotly)."""
    pts = np.stack([px, py], axis=1)
    if not lines or len(pts) < 2:
        return pts[np.all(np.isfinite(pts), axis=1)]
    a, b = pts[:-1], pts[1:]
    ok = np.all(np.isfinite(a), axis=1) & np.all(np.isfinite(b), axis=1)
    a, b = a[ok], b[ok]
    steps = np.clip(np.ceil(np.linalg.norm(b - a, axis=1) / DENSIFY_PX), 1, 400).astype(int)
    frac = np.concatenate([np.arange(k) / k for k in steps]) if steps.size else np.array([])
    start = np.repeat(a, steps, axis=0)
    delta = np.repeat(b - a, steps, axis=0)
    out = start + frac[:, None] * delta
    finite = pts[np.all(np.isfinite(pts), axis=1)]
    return np.concatenate([out, finite]) if out.size else finite


def legend_size(
    names: Sequence[str], size_px: float, family: str, horizontal: bool
) -> tuple[float, float]:
    """(width, height) in px of a plotly legend with these entries."""
    row = max(19.0, 1.3 * size_px + 3.0)
    widths = [LEGEND_TEXT_X + text_width(n, size_px, family) for n in names]
    if horizontal:
        return sum(w + LEGEND_ITEM_GAP for w in widths) + 1.0, row + 2 * LEGEND_PAD
    return max(widths, default=0.0) + 6.0, row * len(names) + 2 * LEGEND_PAD


def legend_rows(names: Sequence[str], size_px: float, family: str, width: float) -> int:
    """How many rows plotly wraps a horizontal legend into within ``width`` px: entries flow
    left to right, each as wide as its own text, onto a new row when the next does not fit
    (measured on plotly 7's PDFs: the entries of a wrapped row are not in a grid)."""
    items = [LEGEND_TEXT_X + text_width(n, size_px, family) + LEGEND_ITEM_GAP for n in names]
    rows, x = 0, 0.0
    for w in items:
        if rows == 0 or x + w - LEGEND_ITEM_GAP > width:
            rows, x = rows + 1, 0.0
        x += w
    return rows


# Where an inside legend may go, in order of preference: (x, y) of its anchor in paper units.
SPOTS = (
    ("right", "top"),
    ("left", "top"),
    ("left", "bottom"),
    ("right", "bottom"),
    ("center", "top"),
    ("center", "bottom"),
    ("left", "middle"),
    ("right", "middle"),
)


def free_spot(plot: Box, size: tuple[float, float], occupied: np.ndarray) -> tuple[str, str] | None:
    """The first spot in SPOTS where a legend of ``size`` (px) covers none of the ``occupied``
    points (k, 2) in figure px, or None."""
    w, h = size
    if w > plot.w - 2 * LEGEND_INSET or h > plot.h - 2 * LEGEND_INSET:
        return None
    for xa, ya in SPOTS:
        x0 = {
            "left": plot.x0 + LEGEND_INSET,
            "right": plot.x1 - LEGEND_INSET - w,
            "center": plot.x0 + (plot.w - w) / 2,
        }[xa]
        y0 = {
            "top": plot.y0 + LEGEND_INSET,
            "bottom": plot.y1 - LEGEND_INSET - h,
            "middle": plot.y0 + (plot.h - h) / 2,
        }[ya]
        if not occupied.size:
            return xa, ya
        inside = (
            (occupied[:, 0] >= x0 - 1)
            & (occupied[:, 0] <= x0 + w + 1)
            & (occupied[:, 1] >= y0 - 1)
            & (occupied[:, 1] <= y0 + h + 1)
        )
        if not inside.any():
            return xa, ya
    return None


def inside_legend(spot: tuple[str, str], plot: Box) -> dict[str, object]:
    """Plotly legend settings for an inside legend at ``spot`` (LEGEND_INSET px in)."""
    xa, ya = spot
    dx, dy = LEGEND_INSET / plot.w, LEGEND_INSET / plot.h
    return {
        "orientation": "v",
        "x": {"left": dx, "right": 1.0 - dx, "center": 0.5}[xa],
        "y": {"top": 1.0 - dy, "bottom": dy, "middle": 0.5}[ya],
        "xanchor": xa,
        "yanchor": ya,
        "bgcolor": "rgba(255,255,255,0.85)",
        "borderwidth": 0,
    }
