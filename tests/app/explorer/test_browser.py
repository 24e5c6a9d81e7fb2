"""The explorer in real headless Chromium (Debian's), driven by Playwright."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

import core
from app.explorer import ids
from app.state import AppState, encode
from tests.app.conftest import wait_drawn

pytestmark = pytest.mark.browser
TIMEOUT = 30_000  # ms


def _open(page, url: str) -> None:
    page.goto(url)
    for gid in (ids.LOSS_GRAPH, ids.HESSIAN_GRAPH, ids.DRIFT_GRAPH):
        wait_drawn(page, gid)


def _traces(page, graph_id: str) -> list[dict]:
    return page.evaluate(
        "id => document.querySelector('#' + id + ' .js-plotly-plot').data"
        ".map(t => ({name: t.name, n: (t.x || []).length}))",
        graph_id,
    )


def test_default_page_draws_every_panel_without_console_errors(page, server_url):
    _open(page, server_url + "/")
    names = [t["name"] for t in _traces(page, ids.LOSS_GRAPH)]
    assert names[0] == "critical values (ladder)" and "gradient flow (reduced)" in names
    assert page.locator(f"#{ids.SUMMARY} table").count() == 1
    # The equations are HTML (no MathJax on the explorer: 2 MB of script on the first screen).
    equations = page.inner_text(".equations")
    assert "critical values: L" in equations and "conserved" in equations
    assert page.evaluate("() => typeof window.MathJax") == "undefined"
    # The basin lab link follows the problem on screen.
    assert page.get_attribute(f"#{ids.BASIN_LINK}", "href") == "/basin" + page.evaluate(
        "() => window.location.search"
    )
    assert page.locator(f"#{ids.HESSIAN_TABLE} table").count() == 1
    assert "reached the global minimum" in page.inner_text(f"#{ids.STATUS}")
    assert page.console_errors == []


def test_changing_a_control_updates_figures_and_url(page, server_url):
    _open(page, server_url + "/")
    box = page.locator(f"#{ids.CONTROL['spectrum']}")
    box.fill("5, 3")
    box.press("Enter")
    page.wait_for_function(
        "() => window.location.search.includes('spectrum=5.0%2C3.0') || "
        "window.location.search.includes('spectrum=5.0,3.0')",
        timeout=TIMEOUT,
    )
    # s = (5, 3): four rungs, three of them positive (L* = 0 is named below the log axis).
    page.wait_for_function(
        f"() => document.querySelector('#{ids.LOSS_GRAPH} .js-plotly-plot').data[0].y"
        ".filter(v => v === null).length === 3",
        timeout=TIMEOUT,
    )
    assert page.console_errors == []


def test_out_of_range_control_shows_range_and_keeps_view(page, server_url):
    _open(page, server_url + "/")
    before = page.evaluate("() => window.location.search")
    box = page.locator(f"#{ids.CONTROL['dx']}")
    box.fill("999")
    box.press("Enter")
    page.wait_for_selector(f"#{ids.ERROR['dx']}:has-text('[1, 24]')", timeout=TIMEOUT)
    assert page.evaluate("() => window.location.search") == before


def test_opening_a_url_restores_controls_and_figures(page, server_url):
    state = AppState(
        depth=1,
        widths=(3,),
        init_scale=0.05,
        t_max=50.0,
        algorithm="gd",
        eta=0.05,
        loss_axis="linear",
    )
    _open(page, server_url + "/" + encode(state))
    assert page.input_value(f"#{ids.CONTROL['depth']}") == "1"
    assert page.input_value(f"#{ids.CONTROL['init_scale']}") == "0.05"
    wait_drawn(page, ids.LOSS_GRAPH, 3)
    names = [t["name"] for t in _traces(page, ids.LOSS_GRAPH)]
    assert "gradient descent (t = k eta)" in names
    assert (
        page.evaluate(
            f"() => document.querySelector('#{ids.LOSS_GRAPH} .js-plotly-plot').layout.yaxis.type"
        )
        != "log"
    )


def test_bad_url_shows_a_notice(page, server_url):
    _open(page, server_url + "/?dx=banana&t_max=-4")
    text = page.inner_text(f"#{ids.NOTICE}")
    assert "dx" in text and "t_max" in text and "defaults" in text
    query = parse_qs(urlparse(page.url).query)
    assert query["dx"] == [str(AppState().dx)]


def test_hessian_counts_for_h1_equal_core(page, server_url):
    state = AppState(spectrum=(3.0, 2.0), dx=3, depth=1, widths=(4,), point="rung-2")
    _open(page, server_url + "/" + encode(state))
    page.wait_for_selector(f"#{ids.HESSIAN_TABLE} .count-measured", timeout=TIMEOUT)
    cells = page.locator(f"#{ids.HESSIAN_TABLE} .count-measured").all_inner_texts()
    p = core.Problem.from_spectrum([3.0, 2.0], 3, (4,))
    split = core.hessian_split(p, core.critical_point(p, (1,), seed=0))
    assert tuple(int(c) for c in cells) == split.counts == core.predicted_split(p, (1,)).counts
    assert "paper as printed" in page.inner_text(f"#{ids.HESSIAN_TABLE}")  # d1 > dy: differs


def test_svg_download_from_the_graph_toolbar(page, server_url, tmp_path):
    _open(page, server_url + "/")
    graph = page.locator(f"#{ids.LOSS_GRAPH}")
    graph.hover()
    with page.expect_download(timeout=TIMEOUT) as info:
        graph.locator(".modebar-btn[data-title^='Download plot']").click()
    path = tmp_path / "plot.svg"
    info.value.save_as(path)
    assert info.value.suggested_filename.endswith(".svg")
    assert re.match(r"^\s*<svg", path.read_text())


def test_csv_download_carries_state(page, server_url, tmp_path):
    _open(page, server_url + "/")
    with page.expect_download(timeout=TIMEOUT) as info:
        page.click(f"#{ids.DOWNLOAD_CSV}")
    path = tmp_path / "view.csv"
    info.value.save_as(path)
    text = path.read_text()
    assert text.startswith("# linflow") and "run,t,loss,grad_norm,invariant_drift" in text


def test_uploading_data_switches_the_view(page, server_url, tmp_path):
    import numpy as np

    rng = np.random.default_rng(3)
    np.savetxt(tmp_path / "X.csv", rng.standard_normal((30, 5)), delimiter=",")
    np.savetxt(tmp_path / "Y.csv", rng.standard_normal((30, 2)), delimiter=",")
    (tmp_path / "Xbad.csv").write_text("1,2\n3,oops\n")
    _open(page, server_url + "/")
    assert not page.locator(f"#{ids.WRAP_UPLOAD}").is_visible()  # moot for a spectrum
    page.locator(f"#{ids.CONTROL['source']} label").filter(has_text="your data").click()
    page.wait_for_selector(f"#{ids.ERROR['data_hash']}:has-text('upload X and Y first')")
    assert page.locator(f"#{ids.WRAP_UPLOAD}").is_visible()
    assert "last valid settings" in page.inner_text(f"#{ids.STALE}")
    upload = page.locator(f"#{ids.UPLOAD} input[type=file]")
    upload.set_input_files([tmp_path / "Xbad.csv", tmp_path / "Y.csv"])
    page.wait_for_selector(f"#{ids.UPLOAD_STATUS}:has-text('is not a number')", timeout=TIMEOUT)
    upload.set_input_files([tmp_path / "X.csv", tmp_path / "Y.csv"])
    page.wait_for_function(
        "() => window.location.search.includes('source=upload')", timeout=TIMEOUT
    )
    page.wait_for_selector(f"#{ids.UPLOAD_STATUS}:has-text('Loaded 30 samples')", timeout=TIMEOUT)
    page.wait_for_function(
        f"() => document.querySelector('#{ids.LOSS_GRAPH} .js-plotly-plot').data[0].y"
        ".filter(v => v === null).length === 4",
        timeout=TIMEOUT,
    )  # 2^dy rungs, dy = 2
    assert page.input_value(f"#{ids.CONTROL['dx']}") == "5"
    assert page.console_errors == []
