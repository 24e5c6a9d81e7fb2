"""Explorer part 2 in headless Chromium: presets, playback, the shared cursor, slices, About."""

from __future__ import annotations

import pytest

from app.explorer import ids
from app.presets import PRESETS
from app.state import AppState, encode
from tests.app.conftest import wait_drawn

pytestmark = pytest.mark.browser
TIMEOUT = 30_000  # ms

PLOT = "document.querySelector('#{} .js-plotly-plot')"


def _marker(page):
    return page.evaluate(
        f"() => {{ const g = {PLOT.format(ids.TRAJECTORY_GRAPH)};"
        " const m = g._fullData.find(t => t.name === 'now'); return [m.x[0], m.y[0]]; }"
    )


def _cursor(page, graph_id: str):
    return page.evaluate(
        f"() => {{ const g = {PLOT.format(graph_id)};"
        " const s = (g.layout.shapes || []).find(s => s.name === 'time-cursor');"
        " return s && s.visible ? s.x0 : null; }"
    )


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_loads_without_console_errors(page, server_url, name):
    page.goto(f"{server_url}/?preset={name}")
    for gid in (ids.LOSS_GRAPH, ids.TRAJECTORY_GRAPH, ids.HESSIAN_GRAPH, ids.SLICE_GRAPH):
        wait_drawn(page, gid)
    page.wait_for_selector(f"#{ids.PRESET_TEXT}:has-text('{PRESETS[name].title}')", timeout=TIMEOUT)
    assert f"preset={name}" in page.url
    assert page.console_errors == []


def test_play_moves_marker_and_cursor(page, server_url):
    page.goto(server_url + "/")
    wait_drawn(page, ids.TRAJECTORY_GRAPH, 3)
    wait_drawn(page, ids.LOSS_GRAPH)
    start = _marker(page)
    assert _cursor(page, ids.LOSS_GRAPH) is None
    page.locator(f"#{ids.TRAJECTORY_GRAPH} .updatemenu-button").filter(has_text="fast").click()
    page.wait_for_function(
        f"() => {{ const s = ({PLOT.format(ids.LOSS_GRAPH)}.layout.shapes || [])"
        ".find(s => s.name === 'time-cursor'); return s && s.visible && s.x0 > 1; }",
        timeout=TIMEOUT,
    )
    page.wait_for_timeout(300)
    assert _marker(page) != start
    assert _cursor(page, ids.DRIFT_GRAPH) is not None
    assert page.console_errors == []


def test_slider_moves_marker_and_cursor(page, server_url):
    page.goto(server_url + "/")
    wait_drawn(page, ids.TRAJECTORY_GRAPH, 3)
    wait_drawn(page, ids.LOSS_GRAPH)
    page.locator(f"#{ids.TRAJECTORY_GRAPH}").scroll_into_view_if_needed()
    rail = page.locator(f"#{ids.TRAJECTORY_GRAPH} .slider-rail-touch-rect")
    box = rail.bounding_box()
    x, y = box["x"] + 0.8 * box["width"], box["y"] + box["height"] / 2
    page.mouse.move(x - 40, y)
    page.mouse.down()
    page.mouse.move(x, y, steps=5)
    page.mouse.up()
    page.wait_for_function(
        f"() => {{ const s = ({PLOT.format(ids.LOSS_GRAPH)}.layout.shapes || [])"
        ".find(s => s.name === 'time-cursor'); return s && s.visible; }",
        timeout=TIMEOUT,
    )
    t_cursor = _cursor(page, ids.LOSS_GRAPH)
    assert t_cursor > 0 and _marker(page)[0] > 0


def test_switching_projection_redraws(page, server_url):
    page.goto(server_url + "/")
    wait_drawn(page, ids.TRAJECTORY_GRAPH, 3)
    page.locator(f"#{ids.CONTROL['projection']} label").filter(has_text="PCA").click()
    page.wait_for_function(
        f"() => {PLOT.format(ids.TRAJECTORY_GRAPH)}.layout.title.text.startsWith('PCA')",
        timeout=TIMEOUT,
    )
    assert "projection=pca" in page.url


def test_slice_panel_at_a_saddle(page, server_url):
    state = PRESETS["stable-manifold"].state
    page.goto(server_url + "/" + encode(state))
    wait_drawn(page, ids.SLICE_GRAPH, 2)
    names = page.evaluate(f"() => {PLOT.format(ids.SLICE_GRAPH)}.data.map(t => t.name)")
    center = next(n for n in names if "split" in n)
    n_neg = int(center.split("= (")[1].split(",")[0])
    assert n_neg >= 1
    kind = page.evaluate(f"() => {PLOT.format(ids.SLICE_GRAPH)}.data[0].type")
    assert kind == "contour"


def test_about_page_renders_math(page, server_url):
    page.goto(server_url + "/about")
    page.wait_for_selector(f"#{ids.ABOUT} mjx-container", timeout=TIMEOUT)
    text = page.inner_text(f"#{ids.ABOUT}")
    assert "Where the printed paper needed correcting" in text
    assert page.locator(f"#{ids.ABOUT} mjx-container").count() > 10
    assert page.console_errors == []


def test_three_mode_view_is_3d(page, server_url):
    page.goto(server_url + "/" + encode(AppState(modes=(1, 2, 3))))
    wait_drawn(page, ids.TRAJECTORY_GRAPH, 3)
    assert page.evaluate(f"() => {PLOT.format(ids.TRAJECTORY_GRAPH)}.data[0].type") == "scatter3d"


def test_no_sideways_scrolling_at_projector_size(page, server_url):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(server_url + "/")
    for gid in (ids.LOSS_GRAPH, ids.TRAJECTORY_GRAPH, ids.SLICE_GRAPH, ids.DRIFT_GRAPH):
        wait_drawn(page, gid)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 1280
    size = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
    assert size >= 15  # readable from the back of a lecture room


def test_export_dialog_downloads_a_zip(page, server_url, tmp_path):
    import zipfile

    page.goto(server_url + "/")
    wait_drawn(page, ids.LOSS_GRAPH)
    page.locator(f"#{ids.EXPORT_BUTTON}").scroll_into_view_if_needed()
    with page.expect_download(timeout=120_000) as info:
        page.click(f"#{ids.EXPORT_BUTTON}")
    path = tmp_path / "figures.zip"
    info.value.save_as(path)
    names = set(zipfile.ZipFile(path).namelist())
    assert names == {
        "state.json",
        "loss.pdf",
        "loss.csv",
        "loss.json",
        "hessian.pdf",
        "hessian.csv",
        "hessian.json",
    }
    page.wait_for_selector(f"#{ids.EXPORT_STATUS}:has-text('Exported 7 files')", timeout=TIMEOUT)


def test_pages_satisfy_the_content_security_policy(page, server_url):
    page.add_init_script(
        "window.__cspViolations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    for path in ("/" + encode(AppState(modes=(1, 2, 3), slice_kind="surface")), "/about", "/basin"):
        page.goto(server_url + path)
        page.wait_for_timeout(2500)
        assert page.evaluate("() => window.__cspViolations") == [], path
    assert page.console_errors == []
