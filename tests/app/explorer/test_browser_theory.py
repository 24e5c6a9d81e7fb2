"""Theory beside the run in headless Chromium: what the curvature panel, the closed-form overlay,
the estimated exits and the semantic preset's panels draw (read from plotly's _fullData and
_fullLayout), not only that they exist."""

from __future__ import annotations

import pytest

from app.explorer import ids
from app.state import AppState, encode
from tests.app.conftest import wait_drawn

pytestmark = pytest.mark.browser
TIMEOUT = 30_000  # ms
PLOT = "document.querySelector('#{} .js-plotly-plot')"
FLATTEST = 3 * 2 ** (4 / 3)  # (H+1) s_1^(2H/(H+1)), H = 2, s_1 = 2: the edge preset's flow end


def _drawn(page, graph_id: str) -> dict:
    """What plotly drew: each trace's name, type, x and y; the annotations' texts; the shapes."""
    return page.evaluate(
        "id => { const g = document.querySelector('#' + id + ' .js-plotly-plot');"
        " const fl = g._fullLayout;"
        " return { traces: g._fullData.map(t => ({ name: t.name, type: t.type,"
        "   x: t.x ? Array.from(t.x) : [], y: t.y ? Array.from(t.y) : [],"
        "   z: t.z ? t.z.length : 0, visible: t.visible })),"
        "  notes: (fl.annotations || []).map(a => a.text),"
        "  rects: (fl.shapes || []).filter(s => s.type === 'rect').length,"
        "  ticks: fl.yaxis.ticktext ? Array.from(fl.yaxis.ticktext) : [],"
        "  xtitle: fl.xaxis.title.text }; }",
        graph_id,
    )


def _trace(drawn: dict, name: str) -> dict:
    return next(t for t in drawn["traces"] if t["name"] == name)


def _top(page, panel: str) -> float:
    box = f"document.querySelector('.panel-{panel}').getBoundingClientRect()"
    return page.evaluate(f"() => {box}.y")


def test_the_edge_of_stability_preset_shows_sharpness_against_two_over_eta(page, server_url):
    page.goto(server_url + "/?preset=edge-of-stability&step=1")
    wait_drawn(page, ids.CURVATURE_GRAPH, 6)
    wait_drawn(page, ids.LOSS_GRAPH)
    page.wait_for_selector(f"#{ids.PRESET_TEXT}:has-text('step 1 of 3')", timeout=TIMEOUT)
    drawn = _drawn(page, ids.CURVATURE_GRAPH)
    # The curvature panel sits beside L(t) (the preset's focus), not below the trajectory.
    assert abs(_top(page, "curvature") - _top(page, "loss")) < 2
    assert _top(page, "trajectory") > _top(page, "loss") + 100
    # lambda_max of the flow ends at the balanced minimum's sharpness; 2/eta = 8 and the
    # flattest minimum are horizontal lines labelled on the plot.
    flow = _trace(drawn, "flow")
    assert flow["y"][-1] == pytest.approx(FLATTEST, rel=1e-6)
    assert _trace(drawn, "stability limit 2/η = 8")["y"] == [8.0, 8.0]
    assert _trace(drawn, "flattest minimum 7.56")["y"] == pytest.approx([FLATTEST] * 2)
    assert {"stability limit 2/η = 8", "flattest minimum 7.56"} <= set(drawn["notes"])
    gd = _trace(drawn, "gradient descent")
    assert gd["y"][-1] < 8.0 and gd["y"][-1] == pytest.approx(FLATTEST, rel=1e-4)
    assert {"λ_min (flow)", "n− (flow)", "n− (gradient descent)"} <= {
        t["name"] for t in drawn["traces"]
    }
    assert drawn["rects"] >= 1  # the plateaus shaded, as on L(t)
    assert "dense eigh" in drawn["xtitle"]  # the method, stated
    # The time cursor is drawn on the curvature panel at L(t)'s time.
    page.wait_for_function(
        f"() => {PLOT.format(ids.CURVATURE_GRAPH)}.getAttribute('data-cursor-t') !== null",
        timeout=TIMEOUT,
    )
    cursors = page.evaluate(
        "ids => ids.map(id => parseFloat(document.querySelector('#' + id + ' .js-plotly-plot')"
        ".getAttribute('data-cursor-t')))",
        [ids.LOSS_GRAPH, ids.CURVATURE_GRAPH],
    )
    assert cursors[0] == pytest.approx(cursors[1])
    # Next: eta = 0.28, above the crossing: GD hovers on both sides of 2/eta = 7.14.
    page.click(f"#{ids.STORY_NEXT}")
    page.wait_for_selector(f"#{ids.PRESET_TEXT}:has-text('step 2 of 3')", timeout=TIMEOUT)
    page.wait_for_function(
        f"() => {PLOT.format(ids.CURVATURE_GRAPH)}._fullData"
        ".some(t => t.name === 'stability limit 2/η = 7.143')",
        timeout=TIMEOUT,
    )
    gd = _trace(_drawn(page, ids.CURVATURE_GRAPH), "gradient descent")
    late = gd["y"][-8:]
    assert min(late) < 2 / 0.28 < max(late)
    assert page.console_errors == []


def test_an_aligned_start_draws_the_closed_form_over_the_run(page, server_url):
    state = AppState(
        spectrum=(3.0, 2.0, 1.0), dx=3, depth=2, widths=(3,), init_kind="aligned", init_scale=0.1
    )
    page.goto(server_url + "/" + encode(state))
    wait_drawn(page, ids.LOSS_GRAPH, 3)
    wait_drawn(page, ids.TRAJECTORY_GRAPH, 3)
    loss = _drawn(page, ids.LOSS_GRAPH)
    theory = _trace(loss, "theory: aligned closed form")
    run = _trace(loss, "gradient flow (reduced)")
    # The dotted theory curve lies on the run: at the run's samples (a subset of the theory's
    # times, both drawn at t > 0) the two losses agree.
    at = dict(zip(theory["x"], theory["y"], strict=True))
    pairs = [(y, at[x]) for x, y in zip(run["x"], run["y"], strict=True) if x in at]
    assert len(pairs) > 50
    assert max(abs(a - b) for a, b in pairs) < 1e-6
    names = {t["name"] for t in _drawn(page, ids.TRAJECTORY_GRAPH)["traces"]}
    assert "theory (aligned closed form)" in names
    assert "max |L_run - L_theory|" in page.inner_text(f"#{ids.STATUS}")
    assert page.console_errors == []


def test_a_small_generic_start_marks_the_estimated_exits(page, server_url):
    page.goto(server_url + "/")
    wait_drawn(page, ids.LOSS_GRAPH, 3)
    loss = _drawn(page, ids.LOSS_GRAPH)
    marks = next(t for t in loss["traces"] if t["name"].startswith("estimated plateau exits"))
    exits = [x for x in marks["x"] if x is not None]
    assert len(exits) >= 2 and exits == sorted(exits)
    assert {"≈1", "≈2"} <= set(loss["notes"])
    assert "estimates, not measurements" in page.inner_text(f"#{ids.STATUS}")
    assert page.console_errors == []


def test_the_semantic_preset_names_the_modes_and_shows_each_items_outputs(page, server_url):
    page.goto(server_url + "/?preset=semantic-development")
    wait_drawn(page, ids.LOSS_GRAPH, 3)
    wait_drawn(page, ids.OUTPUTS_GRAPH, 2)
    assert abs(_top(page, "outputs") - _top(page, "loss")) < 2  # beside L(t)
    loss = _drawn(page, ids.LOSS_GRAPH)
    for name in ("living things", "animals vs plants", "birds vs fish", "oak vs pine"):
        assert f"+ {name}" in loss["notes"], name
    out = _drawn(page, ids.OUTPUTS_GRAPH)
    heat, target = out["traces"][:2]
    assert heat["type"] == target["type"] == "heatmap"
    assert heat["z"] == target["z"] == 40  # 8 items x 5 properties
    assert out["ticks"][:2] == ["canary", "robin"] and out["ticks"][-1] == "daisy"
    # The problem panel names the data set; the sidebar offers it by name.
    assert "semantic" in page.inner_text(f"#{ids.SUMMARY}")
    assert page.locator(f"#{ids.CONTROL['dataset']}").is_visible()
    # The story's first stage: the saddle W = 0, whose Hessian is exactly zero.
    page.click(f"#{ids.STORY_NEXT}")
    page.wait_for_selector(f"#{ids.PRESET_TEXT}:has-text('step 1 of 6')", timeout=TIMEOUT)
    page.wait_for_function(
        f"() => [...document.querySelectorAll('#{ids.HESSIAN_TABLE} .count-measured')]"
        ".map(e => e.innerText).join() === '0,168,0'",
        timeout=TIMEOUT,
    )
    assert page.console_errors == []


def test_semantic_mode_names_do_not_overprint_in_presentation_mode(page, server_url):
    """At 1280 x 720 with projector type, "+ living things" and "+ animals vs plants" were drawn
    over each other; read the drawn boxes of every "+ ..." note on L(t)."""
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(server_url + "/?preset=semantic-development&present=1&step=6")
    wait_drawn(page, ids.LOSS_GRAPH, 3)
    page.wait_for_load_state("networkidle")
    boxes = page.evaluate(
        f"() => [...document.querySelectorAll('#{ids.LOSS_GRAPH} .annotation')]"
        ".filter(a => a.textContent.startsWith('+ '))"
        ".map(a => { const r = a.querySelector('.annotation-text').getBoundingClientRect();"
        " return [a.textContent, r.left, r.top, r.right, r.bottom]; })"
    )
    assert len(boxes) == 5, boxes
    for i, (ta, *a) in enumerate(boxes):
        for tb, *b in boxes[i + 1 :]:
            apart = a[2] <= b[0] or b[2] <= a[0] or a[3] + 2 <= b[1] or b[3] + 2 <= a[1]
            assert apart, (ta, tb, a, b)
    # The dense rung lines run behind the names, not through them: each has a background.
    backs = page.evaluate(
        f"() => {PLOT.format(ids.LOSS_GRAPH)}._fullLayout.annotations"
        ".filter(a => (a.text || '').startsWith('+ ')).map(a => a.bgcolor)"
    )
    assert len(backs) == 5 and all(b not in (None, "rgba(0,0,0,0)") for b in backs), backs


def test_the_target_column_is_named_clear_of_the_time_labels(page, server_url):
    """The default view's run ends at t ~ 100, so "100" sits at the heat map's right edge: the
    target column's name ran into it when it stood under the column."""
    page.goto(server_url + "/")
    wait_drawn(page, ids.OUTPUTS_GRAPH, 2)
    boxes = page.evaluate(
        "id => { const g = document.querySelector('#' + id + ' .js-plotly-plot');"
        " const box = e => { const r = e.getBoundingClientRect();"
        "   return [r.left, r.top, r.right, r.bottom, e.textContent]; };"
        " return { target: Array.from(g.querySelectorAll('.x2tick text')).map(box),"
        "   times: Array.from(g.querySelectorAll('.xtick text')).map(box) }; }",
        ids.OUTPUTS_GRAPH,
    )
    assert [b[4] for b in boxes["target"]] == ["target"]
    (l0, t0, r0, b0, _), times = boxes["target"][0], boxes["times"]
    assert times and all(r < l0 or l > r0 or b < t0 or t > b0 for l, t, r, b, _ in times)
