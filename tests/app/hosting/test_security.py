"""A hosted instance: headers, request caps, /health both ways, gunicorn via ``linflow host``."""

from __future__ import annotations

import urllib.request

import pytest

from app.hosting.health import READY_EXTENSION
from app.hosting.server import create_app
from tests.app.conftest import free_port, redis_url_for, start_redis
from tests.app.hosting.instance import hosted


@pytest.fixture
def client(tmp_path):
    return create_app(cache_dir=str(tmp_path)).server.test_client()


def test_security_headers_on_pages_and_callbacks(client):
    for path in ("/", "/about", "/basin", "/health", "/health/ready"):
        r = client.get(path)
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "same-origin"
        assert r.headers["X-Frame-Options"] == "DENY"
    csp = client.get("/").headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "'sha256-" in csp


def test_request_size_cap(client):
    r = client.post(
        "/_dash-update-component",
        data=b"{" + b" " * 3_000_000 + b"}",
        content_type="application/json",
    )
    assert r.status_code == 413
    assert b"Traceback" not in r.data


def test_health_reports_redis_down_and_recovers_without_restart(tmp_path):
    port = free_port()
    app = create_app(redis_url=redis_url_for(port), cache_dir=str(tmp_path))
    app.server.extensions[READY_EXTENSION].ttl = 0.0  # check on every call here
    c = app.server.test_client()
    r = c.get("/health/ready")
    assert r.status_code == 503 and "Redis unreachable" in r.get_json()["checks"]["cache"]
    assert c.get("/health").status_code == 200  # liveness: this process answers
    proc = start_redis(port)
    try:
        r = c.get("/health/ready")
        assert r.status_code == 200 and r.get_json()["checks"]["cache"] == "ok (redis)"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert c.get("/health/ready").status_code == 503  # and it notices Redis going away again


def test_health_names_missing_workers(tmp_path, redis_url, monkeypatch):
    monkeypatch.setenv("LINFLOW_REDIS_URL", redis_url)
    c = create_app(cache_dir=str(tmp_path)).server.test_client()
    r = c.get("/health/ready")
    assert r.status_code == 503 and "no Celery workers" in r.get_json()["checks"]["workers"]


def test_health_needs_a_jobs_pool_and_a_chunk_pool():
    from app.hosting.health import worker_pools

    jobs, chunks = {"jobs-12@a": {"ok": "pong"}}, {"chunks-11@a": {"ok": "pong"}}
    assert worker_pools([jobs, chunks, {"chunks-40@b": {"ok": "pong"}}]) == (
        "ok (jobs pools: 1, chunk pools: 2)"
    )
    assert "no chunk pool answers" in worker_pools([jobs])
    assert "no jobs pool answers" in worker_pools([chunks])
    assert "no Celery workers" in worker_pools([])


@pytest.mark.slow
def test_linflow_host_serves_with_gunicorn(tmp_path):
    pidfile = tmp_path / "gunicorn.pid"
    with hosted(tmp_path, "--pid", str(pidfile)) as (url, proc):
        with urllib.request.urlopen(url + "/health", timeout=2) as r:
            assert b'"status":"ok"' in r.read().replace(b" ", b"")
        with urllib.request.urlopen(url + "/", timeout=5) as r:
            assert r.status == 200 and "Content-Security-Policy" in r.headers
        assert int(pidfile.read_text()) == proc.pid  # exec'd: the command's PID is gunicorn's
        # No control socket shared by every instance of this user (~/.gunicorn/gunicorn.ctl).
        assert not (tmp_path / "home" / ".gunicorn").exists()


def test_pages_do_not_disclose_versions(client):
    import platform

    import dash
    import plotly

    html = client.get("/").get_data(as_text=True)
    for version in (dash.__version__, plotly.__version__, platform.python_version()):
        assert version not in html and version.replace(".", "_") not in html
    assert "python_version" not in html and "dash_version" not in html
    scripts = [s for s in html.split('src="')[1:] if s.startswith("/_dash-component-suites")]
    assert scripts and client.get(scripts[0].split('"')[0]).status_code == 200  # still served


def test_unknown_or_malformed_callbacks_are_400(client):
    for body in ({"output": "no-such.children"}, {"output": 3}, [], "x"):
        r = client.post("/_dash-update-component", json=body)
        assert r.status_code == 400 and b"Traceback" not in r.data
    r = client.post("/_dash-update-component", data=b"{not json", content_type="application/json")
    assert r.status_code == 400


def test_redis_urls_need_a_password(monkeypatch):
    from app.redis_url import RedisURLError, check_redis_url

    assert check_redis_url("redis://:pw@10.0.0.5:6379/0")
    assert check_redis_url("rediss://user:pw@redis.example:6380/1")
    monkeypatch.delenv("LINFLOW_REDIS_NO_PASSWORD", raising=False)
    for url in ("redis://127.0.0.1:6379/0", "redis://10.0.0.5:6379/0", "unix:///tmp/r.sock"):
        with pytest.raises(RedisURLError, match="no password"):
            check_redis_url(url)
    monkeypatch.setenv("LINFLOW_REDIS_NO_PASSWORD", "1")  # the operator says so: loopback only
    assert check_redis_url("redis://127.0.0.1:6379/0") and check_redis_url("redis://[::1]:1/0")
    with pytest.raises(RedisURLError, match="always needs one"):
        check_redis_url("redis://10.0.0.5:6379/0")
    with pytest.raises(RedisURLError, match="must start with"):
        check_redis_url("http://127.0.0.1:6379")


def test_an_app_refuses_a_password_less_redis(tmp_path, monkeypatch):
    from app.redis_url import RedisURLError

    monkeypatch.delenv("LINFLOW_REDIS_NO_PASSWORD", raising=False)
    with pytest.raises(RedisURLError):
        create_app(redis_url="redis://192.168.1.20:6379/0", cache_dir=str(tmp_path))
