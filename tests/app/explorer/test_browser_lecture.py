"""The explorer in a lecture hall, in real Chromium: what is drawn is right (read from plotly's
_fullLayout and _fullData, the clipboard and the URL), and presentation mode fits 1280 x 720."""

from __future__ import annotations

import math

import pytest

import core
from app.computation import build_problem
from app.explorer import ids
from app.presets import PRESETS
from app.state import AppState, encode
from tests.app.conftest import wait_drawn

pytestmark = pytest.mark.browser
TIMEOUT = 30_000  # ms
PLOT = "document.querySelector('#{} .js-plotly-plot')"


def _annotations(page, graph_id: str) -> list[dict]:
    return page.evaluate(
        f"() => {PLOT.format(graph_id)}._fullLayout.annotations"
        ".map(a => ({name: a.name, text: a.text, y: a.y, x: a.x, yref: a.yref}))"
    )


@pytest.mark.parametrize("axis", ["log", "linear"])
def test_rung_and_plateau_labels_sit_on_their_rungs(page, server_url, axis):
    state = AppState(loss_axis=axis)
    page.goto(server_url + "/" + encode(state))
    wait_drawn(page, ids.LOSS_GRAPH, 2)
    page.wait_for_function(
        f"() => {PLOT.format(ids.LOSS_GRAPH)}._fullLayout.yaxis.type === '{axis}'", timeout=TIMEOUT
    )
    lad = core.ladder(build_problem(state))
    y_lo, y_hi = page.evaluate(f"() => {PLOT.format(ids.LOSS_GRAPH)}._fullLayout.yaxis.range")
    labels = [a for a in _annotations(page, ids.LOSS_GRAPH) if (a["name"] or "").startswith("rung")]
    for rung in lad.rungs:
        a = next(a for a in labels if rung.label in a["text"].replace("<br>", ", ").split(", "))
        if rung.value <= 0 and axis == "log":
            assert a["yref"] == "paper" and "below" in a["text"]
            continue
        want = math.log10(rung.value) if axis == "log" else rung.value
        # within a line of text of its rung (labels of nearly equal rungs are merged)
        assert abs(a["y"] - want) <= 0.06 * (y_hi - y_lo), (rung.label, a)
    plateau = [
        a["text"]
        for a in _annotations(page, ids.LOSS_GRAPH)
        if (a["name"] or "").startswith("plateau")
    ]
    assert plateau == ["{}", "{1}", "{1,2}"]  # the saddles; the minimum is the run's end
    assert page.console_errors == []


def test_copied_link_is_the_view_on_screen(page, server_url, browser_context):
    browser_context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server_url)
    page.goto(server_url + "/")
    wait_drawn(page, ids.LOSS_GRAPH)
    for field, value in (("init_seed", "4"), ("t_max", "150"), ("init_scale", "0.02")):
        box = page.locator(f"#{ids.CONTROL[field]}")
        box.fill(value)
        box.press("Enter")
        page.wait_for_function(
            f"v => window.location.search.includes('{field}=' + v)", arg=value, timeout=TIMEOUT
        )
    page.click(f"#{ids.COPY_LINK}")
    page.wait_for_timeout(300)
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == page.url and "init_seed=4" in copied and "t_max=150" in copied


@pytest.mark.parametrize("point", ["rung-1,2", "plateau-1", "plateau-3"])
def test_point_links_open_without_errors_and_stay_live(page, server_url, point):
    page.goto(f"{server_url}/?point={point}")
    wait_drawn(page, ids.HESSIAN_GRAPH)
    page.wait_for_function(
        f"() => document.querySelector('#{ids.CONTROL['point']}').innerText.length > 3",
        timeout=TIMEOUT,
    )
    shown = page.inner_text(f"#{ids.CONTROL['point']}")
    assert (
        ("rung {1,2}" in shown) if point.startswith("rung") else (f"plateau {point[-1]}" in shown)
    )
    assert page.inner_text(f"#{ids.ERROR['point']}") == ""
    # Changing another control still updates the graphs.
    box = page.locator(f"#{ids.CONTROL['init_seed']}")
    box.fill("7")
    box.press("Enter")
    page.wait_for_function("() => window.location.search.includes('init_seed=7')", timeout=TIMEOUT)
    page.wait_for_function(
        "([q, point]) => window.location.search.includes('point=' + point)"
        " && document.querySelector('#' + q + ' .js-plotly-plot').data.length > 1",
        arg=[ids.LOSS_GRAPH, point],
        timeout=10_000,
    )
    assert page.console_errors == []


def test_the_zero_hessian_presets_own_link(page, server_url):
    page.goto(server_url + "/?preset=zero-hessian")
    wait_drawn(page, ids.HESSIAN_GRAPH)
    page.wait_for_selector(f"#{ids.HESSIAN_TABLE} .count-measured", timeout=TIMEOUT)
    cells = page.locator(f"#{ids.HESSIAN_TABLE} .count-measured").all_inner_texts()
    assert cells == ["0", "12", "0"] and page.inner_text(f"#{ids.ERROR['point']}") == ""
    assert "rung {}" in page.inner_text(f"#{ids.CONTROL['point']}")


@pytest.mark.parametrize(("query", "names"), [
    (encode(AppState(compare="seeds")), ["init seed 1", "init seed 2"]),
    ("?preset=flows", ["gradient flow (original)", "reduced flow"]),
])  # fmt: skip
def test_comparison_runs_are_drawn_on_the_loss(page, server_url, query, names):
    page.goto(server_url + "/" + query)
    wait_drawn(page, ids.LOSS_GRAPH, 3)
    drawn = page.evaluate(f"() => {PLOT.format(ids.LOSS_GRAPH)}._fullData.map(t => t.name)")
    assert all(n in drawn for n in names), drawn


def test_three_d_views_use_the_figure(page, server_url):
    page.goto(server_url + "/" + encode(AppState(modes=(1, 2, 3))))
    wait_drawn(page, ids.TRAJECTORY_GRAPH, 3)
    graph = PLOT.format(ids.TRAJECTORY_GRAPH)
    page.wait_for_function(f"() => {graph}._fullLayout.scene._scene", timeout=TIMEOUT)
    box = page.locator(f"#{ids.TRAJECTORY_GRAPH} .js-plotly-plot").bounding_box()
    scene = page.evaluate(f"() => {graph}._fullLayout.scene.domain")
    assert scene["y"] == [0, 1] and box["height"] >= 450
    corners = f"{graph}._fullData.find(t => t.name === 'critical points')"
    symbol = page.evaluate(f"() => {corners}.marker.symbol")
    assert symbol == "diamond"  # "x" has no glyph in Debian chromium's 3-D scenes


def test_presentation_mode_fits_a_projector(page, server_url):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(server_url + "/?preset=saddle-to-saddle-h2&present=1")
    wait_drawn(page, ids.LOSS_GRAPH, 2)
    wait_drawn(page, ids.TRAJECTORY_GRAPH, 3)
    page.wait_for_function(
        f"() => {PLOT.format(ids.LOSS_GRAPH)}._fullLayout.font.size >= 18", timeout=TIMEOUT
    )
    for gid in (ids.LOSS_GRAPH, ids.TRAJECTORY_GRAPH):
        box = page.locator(f"#{gid}").bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= 720, (gid, box)
        assert box["width"] > 500
        sizes = page.evaluate(
            f"() => {{ const fl = {PLOT.format(gid)}._fullLayout;"
            " return [fl.font.size, fl.xaxis.tickfont.size, fl.yaxis.tickfont.size]; }"
        )
        assert min(sizes) >= 18, (gid, sizes)
    rungs = (
        f"{PLOT.format(ids.LOSS_GRAPH)}._fullData.find(t => t.name === 'critical values (ladder)')"
    )
    ladder = page.evaluate(f"() => {rungs}.line")
    assert ladder["width"] >= 2
    assert not page.locator(".sidebar").is_visible()
    assert page.locator(f"#{ids.TRAJ_PLAY}").is_visible()
    assert page.console_errors == []


def test_a_story_steps_through_the_plateaus(page, server_url):
    page.goto(server_url + "/?preset=saddle-to-saddle-h2")
    wait_drawn(page, ids.HESSIAN_GRAPH)
    page.wait_for_selector(f"#{ids.PRESET_TEXT}:has-text('Press next')", timeout=TIMEOUT)
    page.click(f"#{ids.STORY_NEXT}")
    page.wait_for_function("() => window.location.search.includes('step=1')", timeout=TIMEOUT)
    page.wait_for_selector(f"#{ids.PRESET_TEXT}:has-text('step 1 of 4')", timeout=TIMEOUT)
    page.wait_for_function(
        f"() => document.querySelector('#{ids.CONTROL['point']}').innerText.includes('plateau 1')",
        timeout=TIMEOUT,
    )
    page.wait_for_selector(f"#{ids.HESSIAN_TABLE} .count-measured", timeout=TIMEOUT)
    assert page.locator(f"#{ids.HESSIAN_TABLE} .count-measured").all_inner_texts() == [
        "0",
        "44",
        "0",
    ]
    page.click(f"#{ids.STORY_NEXT}")
    page.wait_for_selector(f"#{ids.PRESET_TEXT}:has-text('saddle {{1}}')", timeout=TIMEOUT)
    page.wait_for_function(
        f"() => document.querySelector('#{ids.CONTROL['point']}').innerText.includes('plateau 2')",
        timeout=TIMEOUT,
    )
    # The cursor moves to the plateau's closest approach, inside the plateau's shading.
    page.wait_for_function(
        f"() => {{ const g = {PLOT.format(ids.LOSS_GRAPH)};"
        " const t = parseFloat(g.getAttribute('data-cursor-t')); return t > 15 && t < 51; }",
        timeout=TIMEOUT,
    )
    assert page.console_errors == []


def test_a_refused_field_marks_the_views_stale(page, server_url):
    page.goto(server_url + "/")
    wait_drawn(page, ids.LOSS_GRAPH)
    box = page.locator(f"#{ids.CONTROL['t_max']}")
    box.fill("-3")
    box.press("Enter")
    page.wait_for_selector(f"#{ids.ERROR['t_max']}:has-text('[0.01, 100000]')", timeout=TIMEOUT)
    assert "last valid settings" in page.inner_text(f"#{ids.STALE}")
    box.fill("100")
    box.press("Enter")
    page.wait_for_function(
        f"() => document.querySelector('#{ids.STALE}').innerText === ''", timeout=TIMEOUT
    )


def test_a_diverging_gd_run_leaves_the_frame_without_blowing_it_up(page, server_url):
    state = AppState(depth=1, widths=(4,), init_scale=0.1, t_max=20.0, algorithm="gd", eta=0.45)
    page.goto(server_url + "/" + encode(state))
    wait_drawn(page, ids.TRAJECTORY_GRAPH, 4)
    page.wait_for_selector(f"#{ids.STATUS}:has-text('diverged')", timeout=TIMEOUT)
    xr, yr = page.evaluate(
        f"() => {{ const fl = {PLOT.format(ids.TRAJECTORY_GRAPH)}._fullLayout;"
        " return [fl.xaxis.range, fl.yaxis.range]; }"
    )
    assert xr[1] - xr[0] < 10 and yr[1] - yr[0] < 10  # the flow's frame: s = (4, 2, 1)
    title = page.evaluate(f"() => {PLOT.format(ids.TRAJECTORY_GRAPH)}._fullLayout.title.text")
    assert "leaves the frame" in title


def test_only_fields_that_apply_are_shown(page, server_url):
    page.goto(server_url + "/")
    wait_drawn(page, ids.LOSS_GRAPH)
    for field in ("m", "data_seed", "dy", "eta", "momentum", "manifold_subset"):
        assert not page.locator(f"#{ids.WRAP[field]}").is_visible(), field
    page.locator(f"#{ids.CONTROL['source']} label").filter(has_text="random data").click()
    page.locator(f"#{ids.CONTROL['algorithm']} label").filter(has_text="+ momentum").click()
    for field in ("m", "data_seed", "dy", "eta", "momentum"):
        page.wait_for_selector(f"#{ids.WRAP[field]}", state="visible", timeout=TIMEOUT)
    assert not page.locator(f"#{ids.WRAP['spectrum']}").is_visible()


def test_svg_downloads_are_named_by_the_view(page, server_url):
    page.goto(server_url + "/?preset=escape")
    wait_drawn(page, ids.LOSS_GRAPH)
    graph = page.locator(f"#{ids.LOSS_GRAPH}")
    graph.hover()
    with page.expect_download(timeout=TIMEOUT) as info:
        graph.locator(".modebar-btn[data-title^='Download plot']").click()
    assert info.value.suggested_filename == "linflow-escape-loss.svg"


def test_the_basin_lab_opens_a_presets_problem(page, server_url):
    from app.basin import ids as bid

    page.goto(server_url + "/basin?preset=stable-manifold")
    page.wait_for_selector(f"#{bid.PROBLEM}:has-text('s = (3, 2, 1)')", timeout=TIMEOUT)
    assert "manifold initialisation" in page.inner_text(f"#{bid.PROBLEM}")
    assert PRESETS["stable-manifold"].state.init_kind == "manifold"
