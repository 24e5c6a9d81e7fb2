"""The figure lint over every figure x size x font, on the PDFs ``linflow export`` writes.

One warm exporter renders every PDF once (module fixture); each test reads its own. The states:
the Proposition 2 preset (all eight figures), the scalar-chain preset (all eight: a two-weight
trajectory with five legend entries, a curvature panel whose symmetric-log ticks must be
thinned), the default state (a staircase: plateaus, many rungs, zero Hessian eigenvalues) and
the stable-manifold preset (a 3-D trajectory).
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pymupdf
import pytest

from app.computation import analyse_point, compute
from app.export import FIGURES, FONTS, SIZES, ExportOptions, build_bundle
from app.export.exporter import close_exporter, export_image
from app.export.rungs import compact
from app.export.style import OWN_AXIS_TITLES, paper_style
from app.figures.common import FLOW_COLOR
from app.presets import PRESETS
from app.slicing import compute_slice
from app.state import AppState
from app.views import figures
from tests.app.export import pdf_lint

STATES = {
    "prop2": PRESETS["prop2"].state,
    "scalar-chain": PRESETS["scalar-chain"].state,
    "default": AppState(),
    "manifold": PRESETS["stable-manifold"].state,
    # 32 rungs (dy = 5): their labels overflowed the bottom of the figure.
    "semantic": PRESETS["semantic-development"].state,
}
KINDS = {
    "prop2": FIGURES,
    "scalar-chain": FIGURES,
    "default": ("loss", "trajectory", "hessian", "drift", "slice"),
    "manifold": ("loss", "trajectory"),
    "semantic": ("loss", "outputs", "curvature"),
}
CASES = [
    (name, kind, size, font)
    for name, kinds in KINDS.items()
    for kind in kinds
    for size in SIZES
    for font in FONTS
]
MIN_PLOT = 0.55  # the axes' share of a single-column figure (a journal's hand-made figure: ~60%)


@pytest.fixture(scope="module")
def rendered():
    """PDF bytes by (state, kind, size, font), each bundle exported on first use."""
    results = {}
    for name, state in STATES.items():
        r = compute(state)
        point = analyse_point(state, r)
        results[name] = (r, point, compute_slice(state, r, point))

    @functools.cache
    def bundle(name: str, size: str, font: str) -> dict[str, bytes]:
        r, point, sl = results[name]
        opts = ExportOptions(figures=KINDS[name], size=size, font=font)
        return build_bundle(STATES[name], opts, result=r, point=point, sl=sl).files

    yield lambda name, kind, size, font: bundle(name, size, font)[f"{kind}.pdf"]
    close_exporter()


@pytest.mark.parametrize(("name", "kind", "size", "font"), CASES)
def test_figure_lint(rendered, name, kind, size, font):
    page = pdf_lint.read(rendered(name, kind, size, font))
    s = SIZES[size]
    assert page.width == pytest.approx(s.width_in * 72, abs=1.0)
    assert page.height == pytest.approx(s.height_in * 72, abs=1.0)
    assert page.spans, "no text drawn"
    want = {"serif": "Serif", "sans": "Sans"}[font]
    fonts = {sp.font for sp in page.spans}
    assert any(want in f for f in fonts), fonts
    # Stacked panels (curvature, outputs per item): their panels together, not one of them.
    stacked = kind in OWN_AXIS_TITLES
    problems = pdf_lint.problems(
        page,
        min_pt=s.min_pt,
        max_pt=s.max_pt,
        min_plot=None if stacked else MIN_PLOT,
        min_panels=MIN_PLOT if stacked else None,
    )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("kind", ["loss", "hessian", "drift", "rate", "slice"])
def test_unicode_labels_pass_the_lint_too(kind):
    """Without MathJax the axis titles are Unicode text: sized and placed like the rest."""
    state = STATES["prop2"]
    fig = figures(state, [kind])[kind]
    page = pdf_lint.read(export_image(paper_style(fig, kind, SIZES["single"], math=False), "pdf"))
    assert not page.formulas
    assert not pdf_lint.problems(page, min_pt=8.0, max_pt=10.0, min_plot=MIN_PLOT)


def test_rung_labels_sit_at_their_rungs(rendered):
    """Each rung label's line is within half a line of its rung's height on the log axis (the
    height is read from the PDF's axes and the rung's value)."""
    pdf = rendered("default", "loss", "single", "serif")
    page = pdf_lint.read(pdf)
    r = compute(STATES["default"])
    fig = paper_style(figures(STATES["default"], ["loss"], r)["loss"], "loss", SIZES["single"])
    lo, hi = fig.layout.yaxis.range
    plot = page.plot
    assert plot is not None
    values = {compact(rung.label): rung.value for rung in r.ladder.rungs}
    checked = 0
    for span in page.spans:
        names = re.findall(r"\{[\d,…]*\}", span.text)
        if not names or span.box.x0 < plot.x1:
            continue
        centre = (span.box.y0 + span.box.y1) / 2
        for n in names:
            if values[n] <= 0:
                continue
            frac = (np.log10(values[n]) - lo) / (hi - lo)
            y = plot.y1 - frac * (plot.y1 - plot.y0)
            # A shared line sits between its rungs; a moved label has a leader line to its rung.
            assert abs(centre - y) < 1.5 * span.size, (n, centre, y)
            checked += 1
    assert checked >= 6


@pytest.mark.parametrize(
    ("label", "printed"),
    [
        ("{}", "{}"),
        ("{1,2,3}", "{1,2,3}"),
        ("{1,2,3,4}", "{1,…,4}"),
        ("{1,2,3,4,6}", "{1,…,4,6}"),
        ("{2,3,5,6,7,8,9}", "{2,3,5,…,9}"),
        ("{}, {3}", "{}, {3}"),
        ("{1,2,3,4,5}<br>L = 0 ↓", "{1,…,5}<br>L = 0 ↓"),
    ],
)
def test_long_index_runs_are_printed_short(label, printed):
    """Print writes runs of four or more indices as papers do: the label column costs the plot
    its width (the semantic data set's "{1,2,3,4,5}" left its axes 53% of a single column)."""
    assert compact(label) == printed


def test_dense_ladder_labels_visited_saddles_compactly(rendered):
    """The semantic data set's loss figure at single column: its visited saddles are labelled,
    {1,...,4} and the global minimum {1,...,5} written short, and the page passes the lint."""
    page = pdf_lint.read(rendered("semantic", "loss", "single", "sans"))
    texts = " ".join(s.text for s in page.spans)
    assert "{1,…,4}" in texts and "{1,…,5}" in texts and "{1,2,3,4}" not in texts
    assert not pdf_lint.problems(page, min_pt=8.0, max_pt=10.0, min_plot=MIN_PLOT)


def test_controls_never_reach_a_static_export():
    """A figure with plotly frames, buttons and a slider (as the HTML export builds) comes out
    of the paper style without them, and its PDF has no control label."""
    import plotly.graph_objects as go

    fig = go.Figure(go.Scatter(x=[1, 2], y=[1, 2], name="run"), frames=[go.Frame(name="0")])
    fig.update_layout(
        updatemenus=[{"type": "buttons", "buttons": [{"label": "▶ play", "method": "animate"}]}],
        sliders=[{"steps": [{"label": "t = 1", "method": "animate"}], "currentvalue": {}}],
    )
    out = paper_style(fig, "drift", SIZES["single"])
    assert not out.layout.updatemenus and not out.layout.sliders and not out.frames
    page = pdf_lint.read(export_image(out, "pdf"))
    assert not [s.text for s in page.spans if pdf_lint.CONTROL_WORDS.search(s.text)]


def test_the_lint_catches_what_it_should():
    """The lint itself: small text, text off the page and overlapping text are reported."""
    doc = pymupdf.open()
    page = doc.new_page(width=200, height=100)
    page.insert_text((10, 20), "tiny", fontsize=6)
    page.insert_text((170, 50), "off the page", fontsize=9)
    page.insert_text((10, 60), "one", fontsize=9)
    page.insert_text((12, 61), "two", fontsize=9)
    found = pdf_lint.problems(pdf_lint.read(doc.tobytes()), min_pt=8, max_pt=10, min_plot=0.5)
    text = "\n".join(found)
    assert "'tiny' is 6.00 pt" in text
    assert "'off the p' leaves the page" in text  # PyMuPDF reads what is on the page
    assert "'one' overlaps 'two'" in text
    assert "no plotting area" in text


@pytest.mark.parametrize("kind", ["loss", "hessian", "slice"])
def test_titles_asked_for_stay_clear_of_legends_and_data(kind):
    """``--title``: the title is drawn (at most 10 pt) and the page still passes the lint (the
    plotting-area target is for the default, untitled figure: a title takes a row)."""
    state = STATES["prop2"]
    fig = figures(state, [kind])[kind]
    styled = paper_style(fig, kind, SIZES["single"], title=True)
    page = pdf_lint.read(export_image(styled, "pdf"))
    words = str(fig.layout.title.text).split()[:2]
    assert words and all(any(w in s.text for s in page.spans) for w in words)
    assert not pdf_lint.problems(page, min_pt=8.0, max_pt=10.0, min_plot=0.45)


def test_gallery_page_and_png_from_pdf(tmp_path):
    """``make figures``: PNGs are rendered from the exported PDFs and shown by the docs page."""
    from app.cli import gallery

    pdf = export_image(
        paper_style(figures(STATES["prop2"], ["drift"])["drift"], "drift", SIZES["single"]), "pdf"
    )
    out = tmp_path / "drift-single.png"
    gallery.pdf_to_png(pdf, out)
    png = out.read_bytes()
    assert png.startswith(b"\x89PNG")
    w = int.from_bytes(png[16:20], "big")
    assert w == pytest.approx(SIZES["single"].width_in * gallery.DPI, abs=2)
    page = gallery._page([("prop2", "Proposition 2", ["loss", "rate"], ("slice: none",))])
    assert ".. figure:: prop2/loss-single.png" in page
    assert ":download:`double column <prop2/rate-double.png>`" in page
    assert "- skipped slice: none" in page


@pytest.mark.parametrize(("kind", "size"), [("loss", "single"), ("hessian", "slide")])
def test_log_axis_exponents_are_print_size(rendered, kind, size):
    """The exponents of 10^k tick labels are read as exponents (raised, smaller) and are at
    least the smallest print size (8 pt; 12.8 pt on a slide): plotly's own <sup> is 70 % of
    the base, 7 pt, which the lint reports."""
    page = pdf_lint.read(rendered("prop2", kind, size, "serif"))
    exponents = [s for s in page.spans if s.script]
    assert len(exponents) >= 2, [s.text for s in page.spans]
    s = SIZES[size]
    assert all(e.size >= s.min_pt - pdf_lint.SIZE_SLACK for e in exponents), exponents
    bases = [sp for sp in page.spans if sp.text.strip() == "10"]
    assert bases and all(b.size <= s.max_pt + pdf_lint.SIZE_SLACK for b in bases)


def _stroke_points(page: pymupdf.Page, rgb: tuple[float, float, float]) -> list[pymupdf.Point]:
    """Points every ~1 pt along the lines (and the marker outlines) drawn in colour ``rgb``."""
    pts = []
    for d in page.get_drawings():
        color = d.get("color")
        if color is None or max(abs(a - b) for a, b in zip(color, rgb, strict=True)) > 0.01:
            continue
        for item in d["items"]:
            if item[0] == "l":
                a, b = item[1], item[2]
                n = max(2, int(abs(b - a) + 1))
                pts += [a + (b - a) * (k / n) for k in range(n + 1)]
            elif item[0] == "re":
                pts += [item[1].tl, item[1].br]
            elif item[0] == "c":
                pts += [item[1], item[4]]
    return pts


@pytest.mark.parametrize("font", ["serif", "sans"])
def test_curvature_note_stays_off_the_run(rendered, font):
    """The label of the flattest minimum's line is moved along its line to where the run is
    not: on the app's place (the left edge) the printed panel put the run through the text."""
    pdf = rendered("prop2", "curvature", "single", font)
    page = pdf_lint.read(pdf)
    notes = [s for s in page.spans if s.text.startswith("flattest minimum")]
    assert len(notes) == 1, [s.text for s in page.spans]
    box = notes[0].box.inset(0.15)
    rgb = tuple(int(FLOW_COLOR[k : k + 2], 16) / 255 for k in (1, 3, 5))
    run = _stroke_points(pymupdf.open(stream=pdf, filetype="pdf")[0], rgb)
    assert len(run) > 50
    inside = [p for p in run if box.x0 <= p.x <= box.x1 and box.y0 <= p.y <= box.y1]
    assert not inside, (box, inside[:5])
