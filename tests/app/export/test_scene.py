"""3-D scenes in print (the stable-manifold preset's trajectory).

Chromium draws a plotly 3-D scene with WebGL, and its PDF holds the scene as one raster image:
the cube, the data and the scene's own text (tick labels, axis titles) are pixels, not text,
so the lint cannot read their sizes from the PDF. What can be checked is checked: the image
is the only image and fills most of the figure, it is sharp enough to print (its pixels per
inch), no PDF text lies over it, the text around it (the legend) passes the lint, and the
scene's fonts are set to print sizes in the figure that was drawn.
"""

from __future__ import annotations

import pymupdf
import pytest

from app.export import SIZES
from app.export.exporter import close_exporter, export_image
from app.export.style import PT_PER_PX, paper_style
from app.presets import PRESETS
from app.views import figures
from tests.app.export import pdf_lint

MIN_SCENE = 0.55  # the scene's share of the figure (as the axes' of a 2-D figure)
MIN_DPI = 150  # pixels per inch of the scene's image on the page


@pytest.fixture(scope="module")
def scene_figure():
    state = PRESETS["stable-manifold"].state
    yield figures(state, ["trajectory"])["trajectory"]
    close_exporter()


@pytest.mark.parametrize("size", ["single", "slide"])
def test_scene_is_one_sharp_image_with_print_text_around_it(scene_figure, size):
    s = SIZES[size]
    styled = paper_style(scene_figure, "trajectory", s, "sans")
    pdf = export_image(styled, "pdf")
    page = pdf_lint.read(pdf)
    doc = pymupdf.open(stream=pdf, filetype="pdf")
    images = doc[0].get_image_info()
    assert len(images) == 1, images
    box = pdf_lint.Rect(*images[0]["bbox"])
    assert box.area / (page.width * page.height) >= MIN_SCENE
    dpi = images[0]["width"] / ((box.x1 - box.x0) / 72)
    assert dpi >= MIN_DPI, dpi
    # The scene's text is in the image: no PDF text is drawn over it (the legend is above).
    assert page.spans and not [sp.text for sp in page.spans if sp.box.inset(0.15).overlap(box)]
    problems = pdf_lint.problems(page, min_pt=s.min_pt, max_pt=s.max_pt, min_plot=MIN_SCENE)
    assert not problems, "\n".join(problems)
    scene = styled.layout.scene
    for axis in (scene.xaxis, scene.yaxis, scene.zaxis):
        for px in (axis.tickfont.size, axis.title.font.size):
            assert s.min_pt - 0.01 <= px * PT_PER_PX <= s.max_pt + 0.01, (axis, px)
