"""Every input a visitor can reach, sent with awkward values (``fuzz.py``): answered < 500."""

from __future__ import annotations

import pytest

from app.hosting.server import create_app
from tests.app.hosting.fuzz import requests, server_errors


@pytest.fixture
def client(tmp_path, monkeypatch):
    monkeypatch.setenv("LINFLOW_REQUEST_SECONDS", "3")  # keep the awkward views short
    monkeypatch.setenv("LINFLOW_RATE_PER_MINUTE", "0")  # hundreds of requests from one client
    app = create_app(cache_dir=str(tmp_path))
    return app.server.test_client()


def test_every_reachable_input_is_answered_below_500(client):
    """Issue 16: 1e999 or inf in the basin runs, seed, escape runs and export dpi, an expired
    upload link, malformed NPZ files and an unknown callback id were 500s."""
    deps = client.get("/_dash-dependencies").get_json()
    assert len(list(requests(deps))) > 100  # the fuzz reaches every callback's inputs

    def post(body: dict) -> int:
        return client.post("/_dash-update-component", json=body).status_code

    assert server_errors(post, deps) == []
