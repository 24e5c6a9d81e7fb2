"""A new run in the browser comes in two requests (app.explorer.staging): the page shows the
run's panels, says the end is being computed, then shows the end of THIS run, and an end that
arrives for a state the page no longer shows is dropped."""

from __future__ import annotations

import re

import pytest

from app.explorer import ids, staging
from tests.app.conftest import wait_drawn

pytestmark = pytest.mark.browser
TIMEOUT = 60_000  # ms
# 1,984 parameters: the end (a dense spectrum at the limit, Lanczos along the run) is most of a
# new run's time, so the page visibly has the run before its end.
BIG = "/?source=spectrum&spectrum=8,6,4,3,2,1&dx=24&depth=2&widths=32"
TABLE = f"() => document.getElementById('{ids.HESSIAN_TABLE}').innerText"
STATUS = f"() => document.getElementById('{ids.STATUS}').innerText"
# Every text the Hessian table shows from now on.
RECORD_TABLE = (
    f"() => {{ window.__tables = []; const el = document.getElementById('{ids.HESSIAN_TABLE}');"
    " new MutationObserver(() => window.__tables.push(el.innerText))"
    ".observe(el, {subtree: true, childList: true, characterData: true}); }"
)
SEND_END = f"(d) => window.dash_clientside.set_props('{ids.END_DATA}', {{data: d}})"


def _end_of(state: str):
    """Whether a response is a second request's answer for a state with ``state`` in its URL."""

    def check(response) -> bool:
        body = response.request.post_data or ""
        return f'"{ids.END_DATA}.data"' in body and state in body

    return check


def _seed(page, value: str) -> None:
    box = page.locator(f"#{ids.CONTROL['init_seed']}")
    box.fill(value)
    box.press("Enter")


def _limit_time(page) -> tuple[float, float]:
    """(t at which the status says the run ended, t of the limit the Hessian table shows)."""
    status = re.search(r"at t = ([0-9.e+-]+)", page.evaluate(STATUS))
    table = re.search(r"limit of the run \(t = ([0-9.e+-]+)\)", page.evaluate(TABLE))
    assert status and table, (page.evaluate(STATUS), page.evaluate(TABLE))
    return float(status.group(1)), float(table.group(1))


def _settled(page, seed: str) -> None:
    page.wait_for_function(
        f"() => new URLSearchParams(location.search).get('init_seed') === '{seed}'"
        f" && ({TABLE})().includes('type S')",
        timeout=TIMEOUT,
    )


def test_a_new_run_shows_its_end_after_its_run(page, server_url):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(server_url + BIG)
    _settled(page, "0")
    page.evaluate(RECORD_TABLE)
    _seed(page, "21")
    _settled(page, "21")
    shown = page.evaluate("() => window.__tables")
    # It said the end was being computed (never the previous run's end), then this run's end.
    assert any(staging.COMPUTING_TEXT in t for t in shown), shown
    ended, limit = _limit_time(page)
    assert limit == pytest.approx(ended, rel=1e-3)
    wait_drawn(page, ids.HESSIAN_GRAPH)
    title = page.evaluate(
        f"() => document.querySelector('#{ids.HESSIAN_GRAPH} .js-plotly-plot')"
        "._fullLayout.title.text"
    )
    assert f"limit of the run (t = {limit:.4g})" in title
    assert page.console_errors == []


def test_an_end_that_crossed_a_newer_change_is_not_shown(page, server_url):
    """A new run, and back to the run drawn before (cached: one request) while the new run's
    end is being computed: that end arrives after the page went back, and is not shown."""
    page.goto(server_url + BIG)
    _settled(page, "0")
    before = _limit_time(page)
    _seed(page, "22")
    page.wait_for_function(f"() => ({TABLE})().includes('Computing')", timeout=TIMEOUT)
    with page.expect_response(_end_of("init_seed=22"), timeout=TIMEOUT):
        _seed(page, "0")
        _settled(page, "0")
    page.wait_for_timeout(500)  # for the page to have handled that answer
    assert _limit_time(page) == before
    # An end for another state than the one shown is dropped; one for it is taken.
    drop = {"query": "?init_seed=99", "figures": {}, "hessian_table": "stale", "point_notice": ""}
    page.evaluate(SEND_END, drop)
    page.wait_for_timeout(500)
    assert "type S" in page.evaluate(TABLE)
    take = {**drop, "query": page.evaluate("() => window.location.search"), "hessian_table": "x"}
    page.evaluate(SEND_END, take)
    page.wait_for_function(f"() => ({TABLE})() === 'x'", timeout=TIMEOUT)
    assert page.console_errors == []


def test_an_end_whose_request_failed_is_drawn_by_the_next_change(page, server_url):
    """The second request of a new run fails (a dropped connection; a 429 alike): its panels say
    the end is being computed, and the next change, a view change, draws them with this run's
    end instead of leaving them so."""
    page.goto(server_url + BIG)
    _settled(page, "0")

    def drop_ends(route):
        if f'"{ids.END_DATA}.data"' in (route.request.post_data or ""):
            route.abort()
        else:
            route.continue_()

    page.route("**/_dash-update-component*", drop_ends)
    _seed(page, "23")
    page.wait_for_function(f"() => ({TABLE})().includes('Computing')", timeout=TIMEOUT)
    page.wait_for_timeout(1500)
    assert "Computing" in page.evaluate(TABLE)  # its answer never came
    page.unroute("**/_dash-update-component*")
    page.locator(f"#{ids.CONTROL['loss_axis']} label").filter(has_text="linear").click()
    page.wait_for_function(f"() => ({TABLE})().includes('type S')", timeout=TIMEOUT)
    ended, limit = _limit_time(page)
    assert limit == pytest.approx(ended, rel=1e-3)
    assert "loss_axis=linear" in page.evaluate("() => window.location.search")
