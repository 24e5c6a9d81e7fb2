"""Per-figure print adjustments: legend names that fit a column (and say the same), notes that
only make sense on screen removed, rung labels re-merged for the printed plot height, the
tolerance line of the Hessian in the legend, the slice's colour bar sized to its labels.

Every function takes the styled copy made by :func:`app.export.style.paper_style`; the app's
figure is never changed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import plotly.graph_objects as go

from app.export.layout import Axis, Box, linear_axis, tick_label_width
from app.export.metrics import text_width
from app.export.rungs import Side, rung_labels
from app.figures.common import PLATEAU_FILL
from app.figures.theory import EXITS_NAME

SCENE_TRACES = {"scatter3d", "surface", "mesh3d", "cone"}
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")  # greyscale-safe cycle
LINE_WIDTH = 1.5  # px: data lines (1.1 pt)
MARKER_MAX = 7  # px: markers are capped at this size in print
MARKER_MAX_3D = 4  # px: in a 3-D scene (plotly draws them larger there)
MATH_EM = 1.12  # MathJax's glyphs are wider than the text font's
COLORBAR_PX = 6.0  # px: the colour bar's thickness in print
COLORBAR_STEPS = (1.0, 2.0, 5.0)  # tick spacings of the colour bar, x 10^k
COLORBAR_GAP = 4.0  # px between the axes and the colour bar

# Legend names for print: the same statement in fewer characters (a column is 3.4 in wide).
RENAMES = (
    (re.compile(r"^critical values \(ladder\)$"), "critical values"),
    (re.compile(r"^zero \(within tolerance\): (\d+)$"), r"zero: \1"),
    (re.compile(r"^exactly zero \(drawn at the floor\): (\d+)$"), r"exactly zero: \1 (at floor)"),
    (re.compile(r"^(.*)\(t = k eta\)$"), r"\1(t = kη)"),
    (re.compile(r"^(.*)\(t = k eta / \(1 - beta\)\)$"), r"\1(t = kη/(1 − β))"),
)
ONE_FLOW = re.compile(r"^flow \(\w+\)$")
# Shorter still, used only when the legend fits neither inside the axes nor in one row.
SHORTS = (
    (re.compile(r"^gradient flow \((\w+)\)$"), r"flow (\1)"),
    (re.compile(r"^zero tolerance .*$"), "tolerance"),
    (re.compile(r"^limit of the run"), "limit"),
    (re.compile(r"^constructed critical point of rung"), "critical point"),
    (re.compile(r"^run \(projected\)$"), "run"),
    (re.compile(r"^gradient descent"), "GD"),
    (re.compile(r"^\$\\text\{bound \} "), "$"),
    (re.compile(r"^bound "), ""),
    (re.compile(r" \(conserved\)$"), ""),  # the level set of a conserved quantity says it
)


def strip_controls(fig: go.Figure) -> None:
    """Remove everything interactive (buttons, sliders, animation frames) from ``fig``.
    Assigned, not updated: ``update_layout(updatemenus=[])`` leaves existing menus in place."""
    fig.layout.updatemenus = ()
    fig.layout.sliders = ()
    fig.frames = ()


def style_traces(fig: go.Figure) -> None:
    """Line styles as well as colours (greyscale), thin print lines, small markers."""
    dash_k = 0
    for trace in fig.data:
        marker = getattr(trace, "marker", None)
        cap = MARKER_MAX_3D if trace.type == "scatter3d" else MARKER_MAX
        if marker is not None and isinstance(marker.size, int | float) and marker.size > cap:
            marker.size = cap
        if trace.type == "scatter" and "lines" in (trace.mode or "lines"):
            if trace.line.dash is None:
                trace.line.dash = DASHES[dash_k % len(DASHES)]
                dash_k += 1
            trace.line.width = min(trace.line.width or LINE_WIDTH, LINE_WIDTH)


def plain_math(latex: str) -> str:
    """A LaTeX label as rich text of about the same width (for layout only)."""
    s = latex.strip("$")
    s = re.sub(r"\\text\{([^}]*)\}", r"\1", s)
    for cmd, ch in (("alpha", "α"), ("beta", "β"), ("lambda", "λ"), ("max", "max")):
        s = s.replace("\\" + cmd, ch)
    s = s.replace(r"\|", "‖").replace(r"\,", " ").replace(r"\ ", " ")
    s = re.sub(r"\^\{([^}]*)\}", r"<sup>\1</sup>", s)
    s = re.sub(r"_\{([^}]*)\}", r"<sub>\1</sub>", s)
    s = re.sub(r"\^(.)", r"<sup>\1</sup>", s)
    s = re.sub(r"_(.)", r"<sub>\1</sub>", s)
    return s.replace("\\", "")


def label_width(text: str, px: float, family: str) -> float:
    """Width in px of a label, typeset math included."""
    if text.startswith("$") and text.endswith("$"):
        return MATH_EM * text_width(plain_math(text), px, "serif")
    return text_width(text, px, family)


def coordinate_titles(current: tuple[str, str], math: bool) -> tuple[str, str]:
    """The trajectory's axis titles (P11 (s1 = 3), w1, PC 1) typeset when math is on."""
    if not math:
        return current

    def typeset(t: str) -> str:
        m = re.fullmatch(r"P(\d)(\d) \(s(\d) = ([^)]*)\)", t)
        if m:
            a, b, c, v = m.groups()
            return rf"$P_{{{a}{b}}}\ (s_{c} = {v})$"
        m = re.fullmatch(r"w(\d+)", t)
        return rf"$w_{{{m.group(1)}}}$" if m else t

    return typeset(current[0]), typeset(current[1])


# Axis titles per figure: (LaTeX for MathJax, Unicode fallback). Never raw $...$ without MathJax.
LABELS: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "loss": (("$t$", "t"), ("$L(t)$", "L(t)")),
    "drift": (("$t$", "t"), (r"$\max_j \|C_j(t) - C_j(0)\|_F$", "max_j ‖C_j(t) − C_j(0)‖_F")),
    "hessian": (("eigenvalue index", "eigenvalue index"), (r"$|\lambda|$", "|λ|")),
    "trajectory": ((r"$P_{11}$", "P11"), (r"$P_{22}$", "P22")),
    "slice": ((r"$\alpha$", "α"), (r"$\beta$", "β")),
    "rate": (("$t$", "t"), (r"$\|M(t)\|_F^2$", "‖M(t)‖²_F")),
}


def axis_titles(kind: str, math: bool, current: tuple[str, str] | None = None) -> tuple[str, str]:
    """The print titles of a figure's axes; the trajectory's name its projection's
    coordinates (``current``: the app's own titles)."""
    if kind == "trajectory" and current is not None:
        return coordinate_titles(current, math)
    x, y = LABELS[kind]
    idx = 0 if math else 1
    return x[idx], y[idx]


def legend_names(fig: go.Figure) -> list[str]:
    """The names the legend will show, in order."""
    return [
        str(t.name)
        for t in fig.data
        if t.name and t.showlegend is not False and t.type not in ("contour", "heatmap", "surface")
    ]


def axis_data(fig: go.Figure, letter: str) -> list[np.ndarray]:
    """The values drawn along axis ``letter`` (x or y) of a 2-D figure."""
    out = []
    for t in fig.data:
        v = getattr(t, letter, None)
        if v is not None and t.visible is not False:
            out.append(np.array([np.nan if e is None else e for e in v], dtype=float))
    return out


def _rename(fig: go.Figure, rules: tuple[tuple[re.Pattern[str], str], ...] = RENAMES) -> None:
    for t in fig.data:
        for pattern, new in rules:
            if t.name and pattern.search(t.name):
                t.name = pattern.sub(new, t.name)


def shorten(fig: go.Figure) -> None:
    """Shorter legend names (SHORTS), for a legend that does not fit otherwise; a figure with
    one flow calls it "flow" (which flow is in state.json; two flows keep their names)."""
    _rename(fig, SHORTS)
    flows = [t for t in fig.data if t.name and ONE_FLOW.match(t.name)]
    if len(flows) == 1:
        flows[0].name = "flow"


PLATEAU_PRINT = "rgba(230, 159, 0, 0.22)"  # the screen's 13 % tint vanishes on paper


def _loss(fig: go.Figure, math: bool) -> None:
    # Plateau labels sit above the axes on screen; in print the shading and the rung labels
    # say the same. Rung labels are re-merged for the printed height (``side_labels``).
    keep = [a for a in fig.layout.annotations if (a.name or "").startswith("rung")]
    # The saddles the run visited: the rungs still labelled where a ladder is too dense to label
    # every rung at print size (``rung_labels``).
    visited = [str(a.text) for a in fig.layout.annotations if (a.name or "").startswith("plateau")]
    meta = fig.layout.meta if isinstance(fig.layout.meta, dict) else {}
    fig.layout.meta = {**meta, "visited": visited}
    fig.layout.annotations = keep
    # The estimated plateau exits are a screen aid (estimates, with their rule on hover); a
    # paper's figure shows the run against the ladder.
    fig.data = [t for t in fig.data if not (t.name or "").startswith(EXITS_NAME)]
    for sh in fig.layout.shapes:
        if sh.type == "rect" and sh.fillcolor == PLATEAU_FILL:
            sh.fillcolor = PLATEAU_PRINT


def _hessian(fig: go.Figure, math: bool) -> None:
    note = next((a for a in fig.layout.annotations if a.name == "zero tolerance"), None)
    fig.layout.annotations = []
    # Of a big net only the extremes are drawn (app.figures.hessian): the legend says so, as
    # the on-screen line under the axis does (it is not printed).
    meta = fig.layout.meta if isinstance(fig.layout.meta, dict) else {}
    k = meta.get("extremes_per_end")
    if k:
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="lines",
                line={"width": 0},  # a legend line of text, no symbol
                name=f"extremes only ({k} per end)",
            )
        )
    if note is None:
        return
    m = re.search(r"zero tolerance (\S+) x", note.text or "")
    rel = float(m.group(1)) if m else None
    exp = round(float(np.log10(rel))) if rel else None
    what = f"1e{'−' if exp and exp < 0 else ''}{abs(exp)}·max|λ|" if exp else ""
    fig.add_trace(
        go.Scatter(
            x=[None],
            y=[None],
            mode="lines",
            name=f"zero tolerance {what}".strip(),
            line={"color": "#666", "dash": "dot", "width": 1},
        )
    )


def _trajectory(fig: go.Figure, math: bool) -> None:
    meta = fig.layout.meta if isinstance(fig.layout.meta, dict) else {}
    k = meta.get("trace")
    if k is not None and k < len(fig.data) and meta.get("times"):
        start = int(meta.get("start") or 0)
        t = meta["times"][start]
        fig.data[k].name = "start" if start == 0 else f"t = {t:.3g}"
    fig.layout.annotations = []


HALO = "#ffffff"  # the run on the slice: a black line on a white halo (legible on any colour)


def _slice(fig: go.Figure, math: bool) -> None:
    for k, t in enumerate(fig.data):
        if t.type == "scatter" and t.name == "run (projected)":
            halo = go.Scatter(t)
            halo.update(line={"color": HALO, "width": 3.2}, showlegend=False, name="halo")
            t.line.color, t.line.width = "#000000", 1.2
            fig.add_trace(halo)  # plotly adds at the end; drawn just under the run
            traces = list(fig.data)
            fig.data = [*traces[:k], traces[-1], *traces[k:-1]]
            break
    for t in fig.data:
        if t.type in ("scatter", "scatter3d") and t.name and ": S = " in t.name:
            head, rest = t.name.split(": S = ", 1)
            subset = rest.split(", split")[0]
            head = re.sub(r" \(t = [^)]*\)", "", head)
            t.name = head if subset in head else f"{head}, S = {subset}"
    fig.layout.annotations = []


def _rate(fig: go.Figure, math: bool) -> None:
    for t in fig.data:
        name = t.name or ""
        m = re.search(r"alpha = (\S+)", name)
        if name.startswith("||M(t)||"):
            t.name = r"$\|M(t)\|_F^2$" if math else "‖M(t)‖²"
        elif m:
            a = m.group(1)
            t.name = (
                rf"$\text{{bound }} \|M(0)\|_F^2\, e^{{-2\alpha t}},\ \alpha = {a}$"
                if math
                else f"bound ‖M(0)‖² exp(−2αt), α = {a}"
            )
    fig.layout.annotations = []


PREPARE: dict[str, Callable[[go.Figure, bool], None]] = {
    "loss": _loss,
    "hessian": _hessian,
    "trajectory": _trajectory,
    "slice": _slice,
    "rate": _rate,
}


def prepare(kind: str, fig: go.Figure, math: bool) -> None:
    """Print names and notes for figure ``kind`` (in place, on the styled copy)."""
    _rename(fig)
    PREPARE.get(kind, lambda f, m: setattr(f.layout, "annotations", []))(fig, math)


def _z_axis(tr: Any) -> Axis:
    z = np.asarray(tr.z, dtype=float)
    z = z[np.isfinite(z)]
    # Short labels ("0.5", not "0.25": no 2.5 steps), so the bar takes little width.
    lo, hi = (float(z.min()), float(z.max())) if z.size else (0.0, 1.0)
    return linear_axis(lo, hi, 4, steps=COLORBAR_STEPS)


def _colorbar_width(tr: Any, tick_px: float, px: float, family: str) -> float:
    ticks = tick_label_width(_z_axis(tr), tick_px, family)
    return COLORBAR_GAP + COLORBAR_PX + 3 + 3 + max(ticks, text_width("L", px, family)) + 2


def colorbar_style(
    ticks: Axis, title: str, tick_px: float, px: float, length: float
) -> dict[str, Any]:
    """A colour bar in print: thin, ``length`` (a fraction of the plot) long from the bottom,
    ``ticks`` on it, ``title`` above it."""
    return {
        "thickness": COLORBAR_PX,
        "len": length,
        "lenmode": "fraction",
        "y": 0.0,
        "yanchor": "bottom",
        "xpad": 0,
        "ypad": 0,
        "outlinewidth": 0,
        "ticks": "outside",
        "ticklen": 3,
        "tickmode": "linear",
        "tick0": ticks.tick0,
        "dtick": ticks.dtick,
        "tickfont": {"size": tick_px},
        "title": {"text": title, "side": "top", "font": {"size": px}},
    }


def colorbar(tr: Any, tick_px: float, px: float, family: str, length: float) -> dict[str, Any]:
    """The loss slice's colour bar in print: ticks from its own range, titled L."""
    return colorbar_style(_z_axis(tr), "L", tick_px, px, length)


def side_labels(
    kind: str,
    fig: go.Figure,
    px: float,
    tick_px: float,
    family: str,
    top: float,
    bottom: float,
    yax: Axis,
    H: float,
    pad: float,
) -> Side:
    """What ``kind`` draws right of its axes at print size (rung labels, a colour bar)."""
    if kind == "loss":
        return rung_labels(fig, px, family, top, bottom, yax, H, pad)
    bars = [t for t in fig.data if t.type in ("contour", "heatmap")]
    if bars:
        return Side(_colorbar_width(bars[0], tick_px, px, family))
    return Side()


def finish(
    kind: str, fig: go.Figure, px: float, tick_px: float, family: str, plot: Box, band: float
) -> None:
    """Last touches once the axes are placed: the colour bar beside them, its title included
    as tall as the axes (in units of the paper area, which is ``band`` px taller)."""
    for tr in fig.data:
        if tr.type in ("contour", "heatmap"):
            bar = colorbar(tr, tick_px, px, family, plot.h / (plot.h + band))
            bar.update(x=1.0 + COLORBAR_GAP / plot.w, xanchor="left")
            tr.colorbar = bar
