"""linflow's plotly.js bundle (assets/plotly-linflow.min.js, built from app/plotly_bundle/): the
plotly.js version the Python plotly package ships, every trace type the app's figures use, and
served to the pages instead of the full bundle."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from app.paths import ASSETS, PLOTLY_BUNDLE

ROOT = Path(__file__).resolve().parents[2]
TRACES = json.loads((ROOT / "app" / "plotly_bundle" / "traces.json").read_text())
BUNDLE = ASSETS / PLOTLY_BUNDLE


def test_bundle_is_the_plotly_js_version_plotly_ships():
    from plotly.offline import get_plotlyjs_version

    banner = BUNDLE.read_text(encoding="utf-8")[:300]
    m = re.match(r"/\* plotly\.js v([\d.]+) \(traces: ([^)]*)\)", banner)
    assert m, banner[:120]
    assert m[1] == get_plotlyjs_version(), "rebuild it: make plotly-bundle"
    assert m[2].split(", ") == TRACES


def test_every_trace_type_the_app_draws_is_in_the_bundle():
    used = set()
    for path in (ROOT / "app").rglob("*.py"):
        used |= {name.lower() for name in re.findall(r"\bgo\.([A-Z]\w*)\(", path.read_text())}
    used -= {"figure"}
    assert used and used <= set(TRACES), sorted(used - set(TRACES))


def test_pages_load_the_bundle_not_the_full_plotly(tmp_path):
    from app.hosting.server import create_app

    client = create_app(cache_dir=str(tmp_path)).server.test_client()
    page = client.get("/").get_data(as_text=True)
    assert PLOTLY_BUNDLE in page and "plotly.min.js" not in page
    src = re.search(r'src="([^"]*' + re.escape(PLOTLY_BUNDLE) + r'[^"]*)"', page)
    assert src
    with client.get(src[1]) as served:
        assert served.status_code == 200 and served.get_data() == BUNDLE.read_bytes()


@pytest.mark.browser
def test_the_bundle_registers_exactly_its_traces(page, server_url):
    page.goto(server_url + "/")
    page.wait_for_function("() => window.Plotly && window.Plotly.PlotSchema", timeout=30_000)
    traces = page.evaluate("() => Object.keys(window.Plotly.PlotSchema.get().traces)")
    assert sorted(traces) == sorted(TRACES)
