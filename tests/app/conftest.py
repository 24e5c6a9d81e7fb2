"""Fixtures for browser tests: the app served in-process on 127.0.0.1, one headless Chromium."""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

from app.hosting.local import chromium, serving
from app.hosting.server import create_app


@pytest.fixture(scope="session")
def server_url(tmp_path_factory) -> Iterator[str]:
    # One client drives every browser test: no rate limit (tests/app/hosting/test_access.py).
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LINFLOW_RATE_PER_MINUTE", "0")
        app = create_app(cache_dir=str(tmp_path_factory.mktemp("cache")))
    with serving(app) as url:
        yield url


TEST_VIEWPORT = {"width": 1280, "height": 4800}


@pytest.fixture(scope="session")
def browser_context():
    pytest.importorskip("playwright.sync_api")
    try:
        # Tall enough that every explorer panel is in view, so tests read each panel's latest
        # drawing; drawing only what is in view is tested at 1280 x 800 (test_browser_lazy.py).
        with chromium(accept_downloads=True, viewport=TEST_VIEWPORT) as ctx:
            yield ctx
    except RuntimeError as exc:  # chromium missing: a failure, not a skip
        pytest.fail(str(exc))


@pytest.fixture
def page(browser_context):
    pg = browser_context.new_page()
    errors: list[str] = []
    pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.console_errors = errors
    yield pg
    pg.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


REDIS_PASSWORD = "test-" + secrets.token_hex(8)


def start_redis(port: int) -> subprocess.Popen:
    """redis-server on 127.0.0.1:``port`` with REDIS_PASSWORD, answering when this returns."""
    import redis

    exe = shutil.which("redis-server")
    if exe is None:
        pytest.fail("redis-server is missing: run `make system-deps`")
    argv = [exe, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen([*argv, "--requirepass", REDIS_PASSWORD], stdout=subprocess.DEVNULL)
    client = redis.Redis(host="127.0.0.1", port=port, password=REDIS_PASSWORD)
    for _ in range(200):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    client.close()
    return proc


def redis_url_for(port: int) -> str:
    return f"redis://:{REDIS_PASSWORD}@127.0.0.1:{port}/0"


@pytest.fixture
def redis_url():
    """A real redis-server (with a password) on a free loopback port, stopped by its PID."""
    port = free_port()
    proc = start_redis(port)
    yield redis_url_for(port)
    proc.terminate()
    proc.wait(timeout=10)


def wait_drawn(page, graph_id: str, min_traces: int = 1, timeout: int = 30_000) -> None:
    """Wait until the Dash graph ``graph_id`` has drawn at least ``min_traces`` traces, scrolling
    it into view while waiting (a graph is drawn when in view: assets/lazy_graphs.js)."""
    page.wait_for_function(
        "([id, n]) => { const el = document.getElementById(id);"
        " if (el) { el.scrollIntoView({block: 'nearest'}); }"
        " const g = document.querySelector('#' + id + ' .js-plotly-plot');"
        " return g && g.data && g.data.length >= n; }",
        arg=[graph_id, min_traces],
        timeout=timeout,
    )
