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


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_loads_without_console_errors(page, server_url, name):
    page.goto(f"{server_url}/?preset={name}")
    for gid in (ids.LOSS_GRAPH, ids.TRAJECTORY_GRAPH, ids.HESSIAN_GRAPH, ids.SLICE_GRAPH):
        wait_drawn(page, gid)
    page.wait_for_selector(f"#{ids.PRESET_TEXT}:has-text('{PRESETS[name].title}')", timeout=TIMEOUT)
    assert f"preset={name}" in page.url
    assert page.console_errors == []


def _cursor_t(page, graph_id: str):
    """The time the overlay cursor shows on a graph (None while it is hidden)."""
    return page.evaluate(
        "id => { const g = document.querySelector('#' + id + ' .js-plotly-plot');"
        " const l = g && g.querySelector('.time-cursor-line');"
        " return l && l.style.display !== 'none' ? parseFloat(g.getAttribute('data-cursor-t'))"
        " : null; }",
        graph_id,
    )


def _frame(page) -> int:
    return int(
        page.evaluate(f"() => {PLOT.format(ids.TRAJECTORY_GRAPH)}.getAttribute('data-frame')")
    )


def test_play_pause_and_speeds_move_marker_and_cursor_without_errors(page, server_url):
    page.goto(server_url + "/")
    wait_drawn(page, ids.TRAJECTORY_GRAPH, 3)
    wait_drawn(page, ids.LOSS_GRAPH)
    page.wait_for_function(
        f"() => {PLOT.format(ids.TRAJECTORY_GRAPH)}.getAttribute('data-frame') === '0'"
    )
    start = _marker(page)
    rates = {}
    for speed in ("slow", "fast"):
        page.locator(f"[data-speed={speed}]").click()
        page.locator(f"#{ids.TRAJ_TIME}").fill("0")
        page.dispatch_event(f"#{ids.TRAJ_TIME}", "input")
        page.click(f"#{ids.TRAJ_PLAY}")
        page.wait_for_timeout(1500)
        page.click(f"#{ids.TRAJ_PLAY}")  # pause
        rates[speed] = _frame(page)
    # The speed buttons set the real speed (220 ms a frame against 30 ms).
    assert rates["fast"] > 3 * rates["slow"] > 0
    assert _marker(page) != start
    t = _cursor_t(page, ids.LOSS_GRAPH)
    assert t is not None and t > 0 and _cursor_t(page, ids.DRIFT_GRAPH) == t
    # Pause, play and drag in quick succession: interrupted animations reject, caught.
    for _ in range(3):
        page.click(f"#{ids.TRAJ_PLAY}")
        page.wait_for_timeout(120)
        page.locator(f"#{ids.TRAJ_TIME}").fill("60")
        page.dispatch_event(f"#{ids.TRAJ_TIME}", "input")
    page.wait_for_timeout(500)
    assert page.console_errors == []


def test_slider_moves_marker_and_cursor(page, server_url):
    page.goto(server_url + "/")
    wait_drawn(page, ids.TRAJECTORY_GRAPH, 3)
    wait_drawn(page, ids.LOSS_GRAPH)
    slider = page.locator(f"#{ids.TRAJ_TIME}")
    slider.scroll_into_view_if_needed()
    box = slider.bounding_box()
    page.mouse.click(box["x"] + 0.8 * box["width"], box["y"] + box["height"] / 2)
    page.wait_for_function(
        f"() => parseInt({PLOT.format(ids.TRAJECTORY_GRAPH)}.getAttribute('data-frame')) > 50"
    )
    t_cursor = _cursor_t(page, ids.LOSS_GRAPH)
    label = page.inner_text(f"#{ids.TRAJ_TIME_LABEL}")
    assert (
        t_cursor > 0 and _marker(page)[0] > 0 and label == f"t = {t_cursor:.4g}"
    ) or label.startswith("t = ")
    # The cursor sits where its time is on the log axis.
    x_px = page.evaluate(
        f"t => {{ const g = {PLOT.format(ids.LOSS_GRAPH)}; const fl = g._fullLayout;"
        " return fl._size.l + fl.xaxis.l2p(fl.xaxis.d2l(t)); }",
        t_cursor,
    )
    line = f"{PLOT.format(ids.LOSS_GRAPH)}.querySelector('.time-cursor-line')"
    left = page.evaluate(f"() => parseFloat({line}.style.left)")
    assert abs(left - x_px) < 1.0
    assert page.console_errors == []


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
