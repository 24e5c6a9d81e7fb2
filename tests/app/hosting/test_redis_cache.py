"""With LINFLOW_REDIS_URL the cache is RedisCache: checked against a real redis-server."""

from __future__ import annotations

import redis

from app.explorer.callbacks import render
from app.hosting.server import cache_config, create_app
from app.state import AppState, encode
from tests.app.conftest import free_port


def test_env_selects_redis(monkeypatch):
    monkeypatch.setenv("LINFLOW_REDIS_URL", "redis://127.0.0.1:1/0")
    assert cache_config()["CACHE_TYPE"] == "RedisCache"
    monkeypatch.delenv("LINFLOW_REDIS_URL")
    assert cache_config(cache_dir="/tmp/linflow-test-cache")["CACHE_TYPE"] == "FileSystemCache"


def test_results_are_cached_in_redis(redis_url):
    app = create_app(redis_url=redis_url)
    client = redis.Redis.from_url(redis_url)
    with app.server.app_context():
        out = render(encode(AppState()), None)
        assert out["error"] == ""
    keys = [k.decode() for k in client.keys("linflow:*")]
    assert any("-run-" in k for k in keys), keys
    assert any("-figure-trajectory-" in k for k in keys), keys


def test_views_survive_an_unreachable_redis():
    app = create_app(redis_url=f"redis://127.0.0.1:{free_port()}/0")
    with app.server.app_context():
        out = render(encode(AppState(t_max=20.0)), None)
    assert out["error"] == "" and "Flow:" in out["status"]


def test_background_jobs_use_celery_with_redis(redis_url):
    from dash import CeleryManager, DiskcacheManager

    from app.hosting.server import background_manager

    assert isinstance(background_manager(redis_url), CeleryManager)
    assert isinstance(background_manager(""), DiskcacheManager)
