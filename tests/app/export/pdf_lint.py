"""A figure lint: what a journal's production desk checks, measured on the PDF itself (PyMuPDF).

- every text 8-10 pt (slides scaled up), exponents (superscripts) included: a 7 pt exponent is
  as hard to read as any 7 pt text;
- every text, and every typeset formula, inside the page;
- no text over text (text spans, and MathJax formulas, which are drawn as glyph outlines);
- the plotting area (the axes' white background, or a 3-D scene's image) a given fraction of
  the page; for figures of stacked panels, the panels' areas together (each panel's share is
  reported);
- no labels of interactive controls (play, pause, speeds, sliders).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pymupdf

CONTROL_WORDS = re.compile(r"\b(play|pause|stop|slow|normal|fast|speed)\b|[▶❚⏸]", re.IGNORECASE)
SIZE_SLACK = 0.06  # pt: PDF sizes are rounded
EDGE_SLACK = 0.5  # pt a bounding box may touch past the page edge
GLYPH_GAP = 2.0  # pt: glyph outlines closer than this belong to one formula


@dataclass(frozen=True)
class Rect:
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def area(self) -> float:
        return max(0.0, self.x1 - self.x0) * max(0.0, self.y1 - self.y0)

    def inset(self, fy: float) -> Rect:
        """The box with ``fy`` of its height taken off top and bottom (glyphs, not the em box)."""
        d = fy * (self.y1 - self.y0)
        return Rect(self.x0, self.y0 + d, self.x1, self.y1 - d)

    def overlap(self, o: Rect) -> float:
        w = min(self.x1, o.x1) - max(self.x0, o.x0)
        h = min(self.y1, o.y1) - max(self.y0, o.y0)
        return w * h if w > 0 and h > 0 else 0.0

    def near(self, o: Rect, gap: float) -> bool:
        return not (
            o.x0 > self.x1 + gap
            or o.x1 < self.x0 - gap
            or o.y0 > self.y1 + gap
            or o.y1 < self.y0 - gap
        )

    def union(self, o: Rect) -> Rect:
        return Rect(min(self.x0, o.x0), min(self.y0, o.y0), max(self.x1, o.x1), max(self.y1, o.y1))


@dataclass(frozen=True)
class Span:
    text: str
    size: float
    box: Rect
    font: str
    line: int  # spans of one PyMuPDF line share this
    script: bool  # a raised, smaller span (an exponent)


@dataclass(frozen=True)
class Page:
    width: float
    height: float
    spans: tuple[Span, ...]
    formulas: tuple[Rect, ...]
    plot: Rect | None
    panels: tuple[Rect, ...] = ()  # every axes' background (or scene image), largest first


def _formulas(drawings: list[dict]) -> list[Rect]:
    """MathJax glyphs are black filled outlines: cluster them into formulas."""
    boxes = [
        Rect(*d["rect"])
        for d in drawings
        if d.get("type") == "f"
        and d.get("fill") == (0.0, 0.0, 0.0)
        and (d.get("fill_opacity") or 0) > 0
        and d["rect"].width < 40
        and d["rect"].height < 40
    ]
    clusters: list[Rect] = []
    for b in boxes:
        hit = [c for c in clusters if c.near(b, GLYPH_GAP)]
        for c in hit:
            clusters.remove(c)
            b = b.union(c)
        clusters.append(b)
    changed = True
    while changed:  # a glyph that joined two clusters late
        changed = False
        for i, a in enumerate(clusters):
            for b in clusters[i + 1 :]:
                if a.near(b, GLYPH_GAP):
                    clusters.remove(b)
                    clusters[i] = a.union(b)
                    changed = True
                    break
            if changed:
                break
    return clusters


def _panels(page: pymupdf.Page, drawings: list[dict]) -> list[Rect]:
    """Every axes' background: the opaque white rectangles short of the page (plotly draws
    one per subplot; a legend's or an annotation's box would be one too, so print figures
    draw those transparent), largest first; without any, the images (a 3-D scene)."""
    W, H = page.rect.width, page.rect.height
    rects = [
        Rect(*d["rect"])
        for d in drawings
        if d.get("type") == "f"
        and d.get("fill") == (1.0, 1.0, 1.0)
        and (d.get("fill_opacity") or 0) >= 0.999
        and len(d["items"]) == 1
        and d["items"][0][0] == "re"
    ]
    rects = [r for r in rects if r.area < 0.97 * W * H]
    if not rects:
        rects = [Rect(*i["bbox"]) for i in page.get_image_info()]
    return sorted(rects, key=lambda r: -r.area)


def _plot(page: pymupdf.Page, drawings: list[dict]) -> Rect | None:
    """The axes: the largest opaque white rectangle short of the page (plotly's plot
    background), or the largest image (a 3-D scene; a heat map's image lies on its axes)."""
    rects = _panels(page, drawings)
    images = [Rect(*i["bbox"]) for i in page.get_image_info()]
    return max([*rects[:1], *images], key=lambda r: r.area, default=None)


def read(pdf: bytes) -> Page:
    doc = pymupdf.open(stream=pdf, filetype="pdf")
    page = doc[0]
    spans: list[Span] = []
    line_id = 0
    for block in page.get_text("dict")["blocks"]:
        for line in block.get("lines", []):
            line_id += 1
            parts = [s for s in line["spans"] if s["text"].strip()]
            if not parts:
                continue
            big = max(s["size"] for s in parts)
            base = max(s["origin"][1] for s in parts if s["size"] == big)
            for s in parts:
                raised = s["size"] < big - 0.2 and s["origin"][1] < base - 0.15 * big
                spans.append(
                    Span(s["text"], s["size"], Rect(*s["bbox"]), s["font"], line_id, raised)
                )
    drawings = page.get_drawings()
    return Page(
        page.rect.width,
        page.rect.height,
        tuple(spans),
        tuple(_formulas(drawings)),
        _plot(page, drawings),
        tuple(_panels(page, drawings)),
    )


def problems(
    page: Page,
    *,
    min_pt: float,
    max_pt: float,
    min_plot: float | None,
    min_panels: float | None = None,
) -> list[str]:
    """Everything wrong with the page, as sentences (empty: the figure passes). ``min_plot``:
    the share of the page the (largest) plotting area must have; ``min_panels``: the share
    all panels together must have (figures of stacked panels)."""
    out = []
    for s in page.spans:
        if not min_pt - SIZE_SLACK <= s.size <= max_pt + SIZE_SLACK:
            what = "exponent " if s.script else ""
            out.append(f"{what}{s.text!r} is {s.size:.2f} pt (allowed {min_pt:.1f}-{max_pt:.1f})")
    W, H = page.width, page.height
    boxes = [(f"{s.text!r}", s.box) for s in page.spans] + [
        (f"formula at ({f.x0:.0f}, {f.y0:.0f})", f) for f in page.formulas
    ]
    for name, b in boxes:
        if (
            b.x0 < -EDGE_SLACK
            or b.y0 < -EDGE_SLACK
            or b.x1 > W + EDGE_SLACK
            or b.y1 > H + EDGE_SLACK
        ):
            out.append(f"{name} leaves the page ({b.x0:.1f}, {b.y0:.1f}, {b.x1:.1f}, {b.y1:.1f})")
    items = [(f"{s.text!r}", s.box.inset(0.15), s.line) for s in page.spans] + [
        (name, b, -k - 1) for k, (name, b) in enumerate(boxes[len(page.spans) :])
    ]
    for i, (na, a, la) in enumerate(items):
        for nb, b, lb in items[i + 1 :]:
            if la == lb:
                continue  # a base and its exponent
            if a.overlap(b) > 0.5:
                out.append(f"{na} overlaps {nb}")
    for s in page.spans:
        if CONTROL_WORDS.search(s.text):
            out.append(f"control label {s.text!r} in a static figure")
    if min_plot is not None:
        if page.plot is None:
            out.append("no plotting area found")
        else:
            frac = page.plot.area / (W * H)
            if frac < min_plot:
                out.append(
                    f"the plotting area is {100 * frac:.0f}% of the figure "
                    f"(< {100 * min_plot:.0f}%)"
                )
    if min_panels is not None:
        shares = [p.area / (W * H) for p in page.panels]
        if sum(shares) < min_panels:
            each = " + ".join(f"{100 * s:.0f}%" for s in shares) or "none"
            out.append(
                f"the panels are {100 * sum(shares):.0f}% of the figure ({each}; "
                f"< {100 * min_panels:.0f}%)"
            )
    return out
