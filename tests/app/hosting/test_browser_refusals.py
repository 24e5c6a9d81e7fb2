"""A computation the server refuses is said on the page (assets/server_answers.js): over the
per-client rate limit the explorer showed nothing and kept the old view without a word."""

from __future__ import annotations

import pytest

from app.explorer import ids
from app.hosting.access import EXTENSION
from app.hosting.local import serving
from app.hosting.server import create_app
from tests.app.conftest import wait_drawn

pytestmark = pytest.mark.browser
TIMEOUT = 30_000  # ms
BANNER = "#server-answer"


def test_a_rate_limited_change_says_so_and_the_next_answer_clears_it(page, tmp_path, monkeypatch):
    monkeypatch.setenv("LINFLOW_RATE_PER_MINUTE", "4")
    app = create_app(cache_dir=str(tmp_path))
    with serving(app) as url:
        page.goto(url + "/")
        wait_drawn(page, ids.LOSS_GRAPH)
        assert page.locator(BANNER).count() == 0
        box = page.locator(f"#{ids.CONTROL['init_seed']}")
        for seed in range(1, 8):  # past the four computations a minute
            box.fill(str(seed))
            box.press("Enter")
            page.wait_for_timeout(150)
        page.wait_for_selector(f"{BANNER}:not([hidden])", timeout=TIMEOUT)
        text = page.inner_text(BANNER)
        assert "HTTP 429" in text and "at most 4 a minute" in text and "try again in" in text
        # The limit is the only thing wrong: the page still shows the last view it drew.
        assert page.evaluate(
            f"() => document.querySelector('#{ids.LOSS_GRAPH} .js-plotly-plot').data.length"
        )
        # The limit lifted (as a new minute would), the next change is computed and the banner goes.
        app.server.extensions[EXTENSION].per_minute = 0
        box.fill("11")
        box.press("Enter")
        page.wait_for_selector(BANNER, state="hidden", timeout=TIMEOUT)
        page.wait_for_function("() => window.location.search.includes('init_seed=11')")
