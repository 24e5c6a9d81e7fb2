"""The interactive HTML export: one self-contained page per view that works offline in Chromium
(no request leaves the file), with every figure drawn, the trajectory animating and the shared
time cursor following it on the loss figure."""

from __future__ import annotations

import re

import pytest

from app.export import ExportOptions, build_bundle
from app.export.html import GRAPH_IDS, html_page
from app.presets import PRESETS
from app.state import AppState
from app.views import FIGURES

FULL = PRESETS["prop2"].state


@pytest.fixture(scope="module")
def prop2_page(tmp_path_factory):
    bundle = build_bundle(FULL, ExportOptions(fmt="html"))
    path = tmp_path_factory.mktemp("html") / f"{bundle.name}.html"
    path.write_bytes(bundle.files[f"{bundle.name}.html"])
    return bundle, path


def test_one_self_contained_file_per_view(prop2_page):
    bundle, path = prop2_page
    pages = [n for n in bundle.files if n.endswith(".html")]
    assert pages == ["linflow-prop2.html"]
    text = path.read_text(encoding="utf-8")
    # No external resource: no tag loads from a server (plotly.js' own code names some URLs),
    # and plotly.js is inlined (its version banner).
    markup = re.sub(r"<script>.*?</script>", "<script></script>", text, flags=re.DOTALL)
    assert not re.search(r"""(src|href)\s*=""", markup)
    assert markup.count("<script>") == 3
    assert re.search(r"plotly\.js v\d+\.\d+\.\d+", text)
    for kind in FIGURES:
        assert f'id="{GRAPH_IDS[kind]}"' in text
    assert "state.json" in bundle.files and "loss.csv" in bundle.files
    assert not [n for n in bundle.files if n.endswith((".pdf", ".svg", ".png"))]


def test_a_skipped_figure_is_named_on_the_page():
    bundle = build_bundle(AppState(), ExportOptions(figures=("loss", "rate"), fmt="html"))
    text = bundle.files[f"{bundle.name}.html"].decode()
    assert 'id="rate-graph"' not in text and 'id="loss-graph"' in text
    assert "Hypotheses do not hold" in text


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown figures"):
        html_page({"pie": None}, "x")  # type: ignore[dict-item]


@pytest.mark.browser
def test_page_works_offline_and_animates(page, prop2_page):
    _, path = prop2_page
    outside: list[str] = []

    def route(r):
        if r.request.url.startswith(("file:", "data:", "blob:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(path.as_uri())
    page.wait_for_function(
        "ids => ids.every(id => { const g = document.querySelector('#' + id + ' .js-plotly-plot');"
        " return g && g.data && g.data.length > 0 && g._fullLayout; })",
        arg=[GRAPH_IDS[k] for k in FIGURES],
        timeout=30_000,
    )
    traj = "#trajectory-graph .js-plotly-plot"
    page.wait_for_function(f"document.querySelector('{traj}').getAttribute('data-frame') !== null")
    start = int(page.get_attribute(traj, "data-frame"))
    marker = "g => JSON.stringify(g.data[g.layout.meta.trace].x)"
    x0 = page.eval_on_selector(traj, marker)
    page.click("[data-speed=fast]")
    page.click("#traj-play")
    page.wait_for_function(
        f"Number(document.querySelector('{traj}').getAttribute('data-frame')) >= {start + 10}",
        timeout=15_000,
    )
    assert page.eval_on_selector(traj, marker) != x0  # the marker moved
    page.click("#traj-play")  # pause
    frame = int(page.get_attribute(traj, "data-frame"))
    times = page.eval_on_selector(traj, "g => g.layout.meta.times")
    loss = "#loss-graph .js-plotly-plot"
    assert float(page.get_attribute(loss, "data-cursor-t")) == pytest.approx(times[frame])
    assert page.is_visible(f"{loss} .time-cursor-line")
    assert page.text_content("#traj-time-label").startswith("t = ")
    assert not outside, outside
    assert not page.console_errors, page.console_errors


def test_the_explorers_export_dialog_offers_the_page(tmp_path):
    """The explorer's "Export for a paper" with HTML chosen: a zip holding the page."""
    import base64
    import io
    import zipfile

    from app.explorer.exporting import export_zip
    from app.state import encode

    download, status = export_zip(
        1, ["loss", "trajectory"], "html", "single", "serif", "300", [], encode(FULL)
    )
    assert status.startswith("Exported "), status
    data = base64.b64decode(download["content"])
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert "linflow-prop2.html" in names and "state.json" in names


def test_missing_assets_are_a_clear_error(monkeypatch, tmp_path, capsys):
    """An installation without the explorer's assets: one line naming the file, no traceback."""
    from app.cli import main
    from app.export import html

    monkeypatch.setattr(html, "ASSETS", tmp_path / "none")
    html._asset.cache_clear()
    try:
        code = main(["export", "--figures", "loss", "--format", "html", "--out", str(tmp_path)])
    finally:
        html._asset.cache_clear()
    err = capsys.readouterr().err
    assert code == 2 and "needs " in err and "style.css" in err and "Traceback" not in err
