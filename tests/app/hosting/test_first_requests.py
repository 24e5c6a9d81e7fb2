"""Dash sets itself up on its first request without a lock; concurrent first requests of a
threaded worker raced there (a /health answered 500 in the heavy-link fault test). create_app
does that set-up itself, before the server takes a request."""

from __future__ import annotations

import threading

from app.hosting.server import create_app

PATHS = ["/health", "/_dash-dependencies", "/", "/basin"] * 3


def test_dash_is_set_up_before_the_first_request(tmp_path):
    app = create_app(cache_dir=str(tmp_path / "cache"))
    # Dash's own marks of its first-request work (its router for the pages and its set-up)
    assert app._got_first_request == {"pages": True, "setup_server": True}


def test_debug_mode_can_still_be_turned_on(tmp_path):
    """`linflow serve --debug`: Dash's dev tools add an error handler, which Flask allows only
    before the first request (a request made in create_app broke this)."""
    app = create_app(cache_dir=str(tmp_path / "cache"))
    app.enable_dev_tools(debug=True)
    assert app.server.test_client().get("/health").status_code == 200


def test_concurrent_first_requests_all_answer(tmp_path):
    app = create_app(cache_dir=str(tmp_path / "cache"))
    codes: list[tuple[str, int]] = []
    start = threading.Barrier(len(PATHS))

    def ask(path: str) -> None:
        client = app.server.test_client()
        start.wait()
        codes.append((path, client.get(path).status_code))

    threads = [threading.Thread(target=ask, args=(p,)) for p in PATHS]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(codes) == sorted((p, 200) for p in PATHS)
