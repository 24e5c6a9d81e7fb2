"""With LINFLOW_REDIS_URL the result cache is in Redis: checked against a real redis-server."""

from __future__ import annotations

import redis

from app.explorer.callbacks import render
from app.explorer.staging import render_end
from app.hosting.server import create_app, result_store
from app.state import AppState, encode
from tests.app.conftest import free_port, redis_url_for


def test_env_selects_redis(monkeypatch, tmp_path):
    monkeypatch.setenv("LINFLOW_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("LINFLOW_REDIS_URL", redis_url_for(1))
    assert result_store().kind == "redis"
    monkeypatch.delenv("LINFLOW_REDIS_URL")
    assert result_store(cache_dir=str(tmp_path)).kind == "disk"


def test_results_are_cached_in_redis(redis_url, tmp_path):
    app = create_app(redis_url=redis_url, cache_dir=str(tmp_path))
    client = redis.Redis.from_url(redis_url)
    with app.server.app_context():
        out = render(encode(AppState()), None)
        assert out["error"] == ""
    with app.server.app_context():
        render_end(out["end_pending"])  # the change's second request: the run's end
    keys = [k.decode() for k in client.keys("linflow:cache:*")]
    for kind in ("-runs-", "-end-", "-figure-trajectory-", "-figure-hessian-"):
        assert any(kind in k for k in keys), (kind, keys)


def test_views_survive_an_unreachable_redis(tmp_path):
    app = create_app(redis_url=redis_url_for(free_port()), cache_dir=str(tmp_path))
    with app.server.app_context():
        out = render(encode(AppState(t_max=20.0)), None)
    assert out["error"] == "" and "Flow:" in out["status"]


def test_background_jobs_use_celery_with_redis(redis_url, tmp_path, monkeypatch):
    monkeypatch.setenv("LINFLOW_CACHE_DIR", str(tmp_path))
    from dash import CeleryManager, DiskcacheManager

    from app.hosting.server import background_manager

    assert isinstance(background_manager(redis_url), CeleryManager)
    assert isinstance(background_manager(""), DiskcacheManager)
