"""With LINFLOW_REDIS_URL the cache is RedisCache: checked against a real redis-server."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest
import redis

from app import callbacks
from app.server import cache_config, create_app
from app.state import AppState


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_url():
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.fail("redis-server is missing: run `make system-deps`")
    port = _free_port()
    proc = subprocess.Popen(
        [exe, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(host="127.0.0.1", port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


def test_env_selects_redis(monkeypatch):
    monkeypatch.setenv("LINFLOW_REDIS_URL", "redis://127.0.0.1:1/0")
    assert cache_config()["CACHE_TYPE"] == "RedisCache"
    monkeypatch.delenv("LINFLOW_REDIS_URL")
    assert cache_config(cache_dir="/tmp/linflow-test-cache")["CACHE_TYPE"] == "FileSystemCache"


def test_results_are_cached_in_redis(redis_url):
    app = create_app(redis_url=redis_url)
    client = redis.Redis.from_url(redis_url)
    with app.server.app_context():
        out = callbacks.update_views(AppState().to_dict())
        assert out[5] == ""
    keys = [k.decode() for k in client.keys("linflow:*")]
    assert any("-run-" in k for k in keys), keys


def test_views_survive_an_unreachable_redis():
    app = create_app(redis_url=f"redis://127.0.0.1:{_free_port()}/0")
    with app.server.app_context():
        out = callbacks.update_views(AppState(t_max=20.0).to_dict())
    assert out[5] == "" and "Flow:" in out[3]
