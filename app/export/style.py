"""The paper style: physical sizes, 8-10 pt fonts, a palette that survives greyscale (line styles
as well as colours), no titles unless asked, axis labels as math (or Unicode without MathJax)."""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go

PX_PER_INCH = 96  # kaleido lays out in CSS pixels; a PDF page is px * 0.75 points.
FORMATS = ("pdf", "svg", "png")
FONTS = {
    "serif": "Times New Roman, DejaVu Serif, serif",
    "sans": "Helvetica, Arial, DejaVu Sans, sans-serif",
}
LEGEND_CHARS = 44  # Longer legend entries are cut: a column is 3.4 inches wide.
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")  # greyscale-safe cycle


@dataclass(frozen=True)
class Size:
    name: str
    width_in: float
    height_in: float
    font_pt: float

    @property
    def width_px(self) -> int:
        return round(self.width_in * PX_PER_INCH)

    @property
    def height_px(self) -> int:
        return round(self.height_in * PX_PER_INCH)


SIZES = {
    "single": Size("single", 3.4, 2.5, 8.0),  # one journal column
    "double": Size("double", 7.0, 3.2, 9.0),  # full page width
    "slide": Size("slide", 10.0, 5.625, 10.0),  # 16:9
}

# Axis titles per figure: (LaTeX for MathJax, Unicode fallback). Never raw $...$ without MathJax.
LABELS: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "loss": (("$t$", "t"), ("$L(t)$", "L(t)")),
    "drift": (("$t$", "t"), (r"$\max_j \|C_j(t) - C_j(0)\|_F$", "max_j ‖C_j(t) − C_j(0)‖_F")),
    "hessian": (("eigenvalue index", "eigenvalue index"), (r"$|\lambda|$", "|λ|")),
    "trajectory": ((r"$P_{11}$", "P₁₁"), (r"$P_{22}$", "P₂₂")),
    "slice": ((r"$\alpha$", "α"), (r"$\beta$", "β")),
    "rate": (("$t$", "t"), (r"$\|M(t)\|_F^2$", "‖M(t)‖²_F")),
}
# Figures of stacked panels (or with a side column) keep their own plain-text axis titles.
OWN_AXIS_TITLES = ("curvature", "outputs")


def axis_titles(kind: str, math: bool, current: tuple[str, str] | None = None) -> tuple[str, str]:
    x, y = LABELS[kind]
    idx = 0 if math else 1
    if kind == "trajectory" and current is not None:
        return current  # mode indices vary; the app's own titles are plain text
    return x[idx], y[idx]


def paper_style(
    fig: go.Figure,
    kind: str,
    size: Size,
    font: str = "serif",
    math: bool = True,
    title: bool = False,
) -> go.Figure:
    """A copy of ``fig`` styled for print (the app's builders stay the single source)."""
    out = go.Figure(fig)
    font_px = size.font_pt / 0.75
    out.update_layout(
        width=size.width_px,
        height=size.height_px,
        template="simple_white",
        font={"family": FONTS[font], "size": font_px, "color": "#000"},
        title=None if not title else {"text": fig.layout.title.text, "font": {"size": font_px}},
        # Room on the right for rung labels; the legend sits above the plot, as in most papers.
        margin={"l": 8 * font_px // 1.6 + 30, "r": 44, "t": 48 if not title else 64, "b": 36},
        legend={
            "font": {"size": font_px * 0.9},
            "orientation": "h",
            "y": 1.02,
            "x": 0,
            "yanchor": "bottom",
            "xanchor": "left",
        },
        updatemenus=[],
        sliders=[],
    )
    out.frames = []
    if kind in OWN_AXIS_TITLES:
        out.update_xaxes(title_font={"size": font_px})
        out.update_yaxes(title_font={"size": font_px})
    elif "scene" not in out.layout or not out.layout.scene.xaxis.title.text:
        xt, yt = axis_titles(kind, math)
        out.update_xaxes(title_text=xt, title_font={"size": font_px})
        out.update_yaxes(title_text=yt, title_font={"size": font_px})
    dash_k = 0
    for trace in out.data:
        if trace.name and len(trace.name) > LEGEND_CHARS:
            trace.name = trace.name[: LEGEND_CHARS - 1] + "…"
        marker = getattr(trace, "marker", None)
        if marker is not None and isinstance(marker.size, int | float) and marker.size > 8:
            marker.size = 8
        line = getattr(trace, "line", None)
        if line is not None and trace.type in ("scatter",) and "lines" in (trace.mode or "lines"):
            if trace.line.dash is None:
                trace.line.dash = DASHES[dash_k % len(DASHES)]
                dash_k += 1
            trace.line.width = min(trace.line.width or 1.5, 1.5)
    # Notes above (plateau labels) or below (status lines) the plot area collide with legends and
    # axis titles at print size; the numbers they state are in the figure's data files.
    out.layout.annotations = [
        a for a in out.layout.annotations if a.yref != "paper" or 0 <= (a.y or 0) < 1
    ]
    return out
