"""Panels are drawn when in view (assets/lazy_graphs.js), at a projector's 1280 x 800: after a
change, what is on screen is drawn at once, a panel below the fold is owed its latest figure and
shows exactly that when scrolled in (hidden until then), and printing draws every owed panel
first. Each test draws every panel first and then changes the view at the top, as a user does,
so it does not depend on how the first load's layout settles in this shared browser."""

from __future__ import annotations

import pytest

from app.explorer import ids
from app.state import decode
from app.views import figures
from tests.app.conftest import wait_drawn

pytestmark = pytest.mark.browser
TIMEOUT = 30_000  # ms
SCREEN = {"width": 1280, "height": 800}
NAMES = "id => (document.querySelector('#' + id + ' .js-plotly-plot').data || []).map(t => t.name)"
PLOT = "document.querySelector('#{} .js-plotly-plot')"
OWED = (
    "id => { const el = document.getElementById(id); return el && el.getAttribute('data-owed'); }"
)
BELOW = (ids.HESSIAN_GRAPH, ids.SLICE_GRAPH, ids.DRIFT_GRAPH)  # below the fold at 1280 x 800


def _expected_names(page, kind: str) -> list[str]:
    """The trace names of the server's figure for the view on screen (read from the URL)."""
    state, _ = decode(page.evaluate("() => window.location.search"))
    return [t.name for t in figures(state, [kind])[kind].data]


def _changed_at_the_top(page, server_url) -> list[list[str]]:
    """Open the explorer, draw every panel, go to the top and change the spectrum to (5, 3):
    the names each panel in BELOW showed before the change."""
    page.set_viewport_size(SCREEN)
    page.goto(server_url + "/")
    before = []
    for gid in BELOW:
        wait_drawn(page, gid)  # scrolls it in
        before.append(page.evaluate(NAMES, gid))
    page.evaluate("() => window.scrollTo(0, 0)")
    box = page.locator(f"#{ids.CONTROL['spectrum']}")
    box.fill("5, 3")
    box.press("Enter")
    for gid in BELOW:
        page.wait_for_function(f"() => ({OWED})('{gid}') === '1'", timeout=TIMEOUT)
    # The new run is on L(t) at once (s = (5, 3): three positive rungs).
    page.wait_for_function(
        f"() => ((document.querySelector('#{ids.LOSS_GRAPH} .js-plotly-plot').data[0] || {{}})"
        ".y || []).filter(v => v === null).length === 3",
        timeout=TIMEOUT,
    )
    assert page.evaluate(OWED, ids.LOSS_GRAPH) is None
    assert page.evaluate(OWED, ids.TRAJECTORY_GRAPH) is None
    return before


def test_a_change_off_screen_is_drawn_as_it_scrolls_in(page, server_url):
    before = _changed_at_the_top(page, server_url)
    # Below the fold the new figure is owed, and the old drawing is hidden rather than shown as
    # if it were the new view ...
    assert [page.evaluate(NAMES, gid) for gid in BELOW] == before
    for gid in BELOW:
        assert page.evaluate(f"() => getComputedStyle({PLOT.format(gid)}).visibility") == "hidden"
    # ... and drawn, exactly, when it scrolls in.
    page.locator(f"#{ids.HESSIAN_GRAPH}").scroll_into_view_if_needed()
    page.wait_for_function(f"() => ({OWED})('{ids.HESSIAN_GRAPH}') === null", timeout=TIMEOUT)
    after = page.evaluate(NAMES, ids.HESSIAN_GRAPH)
    assert after == _expected_names(page, "hessian") and after != before[0]
    assert (
        page.evaluate(f"() => getComputedStyle({PLOT.format(ids.HESSIAN_GRAPH)}).visibility")
        == "visible"
    )
    assert page.evaluate(OWED, ids.DRIFT_GRAPH) == "1"  # still below
    assert page.console_errors == []


def test_printing_draws_every_owed_panel(page, server_url, tmp_path):
    """A real print (Chromium's print to PDF fires beforeprint): the printed Hessian is the new
    view's, read from the PDF's text, and nothing is owed afterwards."""
    import pymupdf

    before = _changed_at_the_top(page, server_url)[0]
    expected = _expected_names(page, "hessian")
    assert expected != before
    pdf = tmp_path / "page.pdf"
    page.pdf(path=str(pdf))
    with pymupdf.open(pdf) as doc:
        text = "".join(p.get_text() for p in doc)
    assert all(name in text for name in expected), (expected, text[:500])
    assert not any(name in text for name in set(before) - set(expected)), before
    assert page.evaluate("() => document.querySelectorAll('[data-owed]').length") == 0
    assert page.console_errors == []


def test_a_panel_brought_into_view_without_a_scroll_is_drawn_at_once(browser_context, server_url):
    """Choosing the panel beside L(t) moves it to the top without a scroll or resize: the
    observer on owed graphs draws it (the periodic check is off in this page, so nothing else
    could), with the server's figure for the new view."""
    page = browser_context.new_page()
    page.add_init_script("window.LINFLOW_LAZY_CHECK_MS = 0;")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.set_viewport_size(SCREEN)
        page.goto(server_url + "/")
        gid = ids.CURVATURE_GRAPH
        wait_drawn(page, gid)
        page.evaluate("() => window.scrollTo(0, 0)")
        box = page.locator(f"#{ids.CONTROL['spectrum']}")
        box.fill("5, 3")
        box.press("Enter")
        page.wait_for_function(f"() => ({OWED})('{gid}') === '1'", timeout=TIMEOUT)
        y = page.evaluate("() => window.scrollY")
        page.click(f"#{ids.CONTROL['focus']} input[value='curvature']")
        page.wait_for_function(f"() => ({OWED})('{gid}') === null", timeout=TIMEOUT)
        assert page.evaluate("() => window.scrollY") == y  # no scroll did it
        top = page.evaluate(f"() => document.getElementById('{gid}').getBoundingClientRect().top")
        assert 0 <= top < SCREEN["height"]
        assert page.evaluate(NAMES, gid) == _expected_names(page, "curvature")
        assert errors == []
    finally:
        page.close()


def test_a_view_change_leaves_the_other_panels_as_drawn(page, server_url):
    """The eight graphs share one clientside callback: a change of the loss axis re-draws L(t)
    alone; the panels below the fold keep their drawing (none is owed a figure, none hidden)."""
    page.set_viewport_size(SCREEN)
    page.goto(server_url + "/")
    for gid in BELOW:
        wait_drawn(page, gid)
    before = [page.evaluate(NAMES, gid) for gid in BELOW]
    page.evaluate("() => window.scrollTo(0, 0)")
    page.locator(f"#{ids.CONTROL['loss_axis']} label").filter(has_text="linear").click()
    page.wait_for_function(
        f"() => {PLOT.format(ids.LOSS_GRAPH)}._fullLayout.yaxis.type === 'linear'",
        timeout=TIMEOUT,
    )
    page.wait_for_timeout(600)  # past the lazy check's period: anything owed would show
    assert [page.evaluate(OWED, gid) for gid in (*BELOW, ids.TRAJECTORY_GRAPH)] == [None] * 4
    assert [page.evaluate(NAMES, gid) for gid in BELOW] == before
    assert page.console_errors == []


def test_a_graph_peeking_into_the_window_is_drawn_once_it_shows_more(page, server_url):
    """12 px of a graph in the window show only the blank band above its plot: it is owed its
    figure until 40 px are in (lazy_graphs.js MIN_PX), then drawn at once."""
    page.set_viewport_size(SCREEN)
    page.goto(server_url + "/")
    wait_drawn(page, ids.OUTPUTS_GRAPH, 2)
    top = f"document.getElementById('{ids.OUTPUTS_GRAPH}').getBoundingClientRect().top"
    page.evaluate(f"() => window.scrollBy(0, {top} - window.innerHeight + 12)")
    assert abs(page.evaluate(f"() => window.innerHeight - {top}") - 12) < 2
    box = page.locator(f"#{ids.CONTROL['spectrum']}")
    box.fill("5, 3")
    box.press("Enter")
    page.wait_for_function(f"() => ({OWED})('{ids.OUTPUTS_GRAPH}') === '1'", timeout=TIMEOUT)
    page.wait_for_timeout(600)  # scroll checks and the periodic check have run: still owed
    assert page.evaluate(OWED, ids.OUTPUTS_GRAPH) == "1"
    page.evaluate("() => window.scrollBy(0, 60)")
    page.wait_for_function(f"() => ({OWED})('{ids.OUTPUTS_GRAPH}') === null", timeout=TIMEOUT)
    assert page.evaluate(f"() => {PLOT.format(ids.OUTPUTS_GRAPH)}.data.length") == 2
    assert page.console_errors == []
