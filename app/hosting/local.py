"""The app served on loopback from this process, and headless Debian Chromium driven by
Playwright: what the browser tests, the browser benchmark and ``make screenshot`` share.
Servers bind 127.0.0.1 only."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve the Dash ``app`` on a free loopback port in a thread; yields its base URL (no
    trailing slash) and stops the server afterwards."""
    srv = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_port}"
    finally:
        srv.shutdown()
        thread.join(timeout=5)


@contextmanager
def chromium(**options: Any) -> Iterator[Any]:
    """A Playwright browser context of headless Debian Chromium on a fresh profile (1280 x 800
    unless ``viewport`` is given); ``options`` go to ``launch_persistent_context``."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        raise RuntimeError("Debian chromium is missing: run `make system-deps`")
    options.setdefault("viewport", {"width": 1280, "height": 800})
    profile = tempfile.mkdtemp(prefix="linflow-chromium-")
    try:
        with sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, **options
            )
            try:
                yield ctx
            finally:
                ctx.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
