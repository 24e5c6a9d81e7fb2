"""Explorer latency in a real browser (Debian chromium, Playwright): from the change to the last
paint on screen and to the last paint anywhere, median of repeats.

``browser_instrument.js`` is injected before the page's scripts. A measurement starts at the
change (the page's own timestamp of the click, or of the Enter that commits a typed value, so
Playwright's round trips are not counted; navigation start for a page load) and ends at the
last change the page made to itself (plotly drawing, Dash updating; a MutationObserver records
it) once no request and no change followed for 150 ms: the browser has painted what the server
sent. "On screen" is the last of those changes inside the 1280 x 800 window: a change's second
request (app.explorer.staging) draws panels below the fold after it. Payloads are the bytes of
Dash's callback responses. Targets (issue: the explorer in a lecture hall): a cached change
<= 150 ms, a new run of the default size <= 0.6 s, the first page load <= 1.5 s, a widths or
depth change <= 1 s.
"""

from __future__ import annotations

import logging
import statistics
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPEATS = 7
INSTRUMENT = (Path(__file__).parent / "browser_instrument.js").read_text()


def measure(page: Any, act: Callable[[], None]) -> dict[str, float]:
    """Reset the counters, do ``act``, and wait for the page to settle."""
    page.evaluate("() => { const s = window.__lf; s.bytes = 0; s.requests = 0; s.start = 0; }")
    act()
    return _row(page.evaluate("() => window.__lfSettled(null)"))


def load(page: Any, url: str) -> dict[str, float]:
    """Open ``url`` in ``page`` and wait until it has settled (from navigation start)."""
    page.goto(url)
    return _row(page.evaluate("() => window.__lfSettled(0)"))


def type_into(page: Any, control: str, value: str) -> None:
    box = page.locator(f"#{control}")
    box.fill(value)
    box.press("Enter")


def _row(settled: dict[str, Any]) -> dict[str, float]:
    ms = float(settled["ms"])
    return {
        "ms": ms,
        # The last change inside the window (below-the-fold panels may come after it).
        "seen_ms": min(ms, max(0.0, float(settled["seen_ms"]))),
        "kb": settled["bytes"] / 1e3,
        "requests": float(settled["requests"]),
    }


@contextmanager
def explorer(warmed: bool = False) -> Iterator[tuple[Any, str]]:
    """A fresh explorer on loopback and a fresh Chromium profile: (browser context, base URL).
    ``warmed``: the server has drawn the default view at start, as ``linflow serve`` does."""
    from app.hosting.local import chromium, serving
    from app.hosting.server import create_app, warm

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as cache:
        app = create_app(cache_dir=cache)
        if warmed:
            warm(app).join()
        with serving(app) as url, chromium() as ctx:
            ctx.add_init_script(INSTRUMENT)
            yield ctx, url + "/"


def run() -> dict[str, Any]:
    from app.explorer import ids

    rows: dict[str, list[dict[str, float]]] = {
        k: [] for k in ("first_load", "new_run", "cached_change", "loss_axis", "widths", "depth")
    }
    with explorer() as (ctx, base):
        page = ctx.new_page()
        # The first load is cold (new browser profile, server started without warming); later
        # loads are a browser that has the scripts and a server that has the run.
        for _ in range(REPEATS):
            rows["first_load"].append(load(page, base))

        def typed(field: str, value: str) -> dict[str, float]:
            return measure(page, lambda: type_into(page, ids.CONTROL[field], value))

        def axis(label: str) -> dict[str, float]:
            radio = page.locator(f"#{ids.CONTROL['loss_axis']} label").filter(has_text=label)
            return measure(page, radio.click)

        for seed in range(100, 100 + REPEATS):
            rows["new_run"].append(typed("init_seed", str(seed)))
            rows["cached_change"].append(typed("init_seed", "0"))  # the default, drawn before
            rows["loss_axis"] += [axis("linear"), axis("log loss axis")]
        for k in range(REPEATS):
            rows["widths"].append(typed("widths", str(5 + k)))
            typed("widths", "4")
        for k in range(REPEATS):
            rows["depth"].append(typed("depth", "1" if k % 2 == 0 else "3"))
        typed("depth", "2")
    out = {name: summary(r) for name, r in rows.items()}
    out["by_size"] = by_size()
    out["first_load_cold"] = summary(rows["first_load"][:1])
    out["first_load"] = summary(rows["first_load"][1:])
    with explorer(warmed=True) as (ctx, base):
        out["first_load_cold_browser"] = summary([load(ctx.new_page(), base)])
    return out


# Sizes scanned for the app's caps: dx = 24, dy = 6, two hidden layers of these widths (the
# default view otherwise), and three layers of the widest that still met the targets.
SIZE_PROBLEM = {"dx": "24", "spectrum": "8, 6, 4, 3, 2, 1"}
SIZE_WIDTHS = ((8, 2), (16, 2), (24, 2), (32, 2), (48, 2), (64, 2), (32, 3), (48, 3))
SIZE_REPEATS = 3


def by_size() -> list[dict[str, Any]]:
    """A new run (the init seed changed) and a cached change (back to the seed drawn before) of
    the default view at each size of SIZE_WIDTHS, in the browser: what sets the app's caps."""
    from app.explorer import ids

    out = []
    with explorer() as (ctx, base):
        page = ctx.new_page()
        load(page, base)
        for field, value in SIZE_PROBLEM.items():
            type_into(page, ids.CONTROL[field], value)
            page.wait_for_timeout(300)

        def typed(field: str, value: str) -> dict[str, float]:
            return measure(page, lambda: type_into(page, ids.CONTROL[field], value))

        now = {"depth": "2", "widths": "4"}  # the default view's (a change must change something)
        for width, depth in SIZE_WIDTHS:
            for field, value in (("depth", str(depth)), ("widths", str(width))):
                if now[field] != value:
                    typed(field, value)
                    now[field] = value
            n = 24 * width + (depth - 1) * width * width + 6 * width
            new, cached = [], []
            for seed in range(200, 200 + SIZE_REPEATS):
                new.append(typed("init_seed", str(seed)))
                cached.append(typed("init_seed", "0"))
            out.append(
                {
                    "width": width,
                    "depth": depth,
                    "params": n,
                    "new_run": summary(new),
                    "cached_change": summary(cached),
                }
            )
    return out


def summary(rows: list[dict[str, float]]) -> dict[str, float]:
    return {
        "median_ms": statistics.median(r["ms"] for r in rows),
        "max_ms": max(r["ms"] for r in rows),
        "median_seen_ms": statistics.median(r["seen_ms"] for r in rows),
        "max_seen_ms": max(r["seen_ms"] for r in rows),
        "median_kb": statistics.median(r["kb"] for r in rows),
        "requests": statistics.median(r["requests"] for r in rows),
        "n": len(rows),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=1))
