"""The app factory: a Dash app with its result cache and background jobs, configured from the
environment.

Environment (all optional; the embedded defaults need no service):
    LINFLOW_REDIS_URL      Redis for the cache and the jobs (checked by ``app.redis_url``)
    LINFLOW_CACHE_DIR      the local cache folder (default ./.linflow-cache, created mode 0700)
    LINFLOW_CACHE_TIMEOUT  seconds a cached result lives (default 86400)
    LINFLOW_CACHE_BYTES    bytes the result cache may hold (default limits.CACHE_BYTES)
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import dash
from dash import Dash, html

from app import limits
from app.explorer.cache import CACHE_EXTENSION, VERSION
from app.hosting import access, health, security
from app.hosting.dash_app import LinflowDash
from app.hosting.managers import LinflowCeleryManager, LinflowDiskcacheManager
from app.hosting.results import DiskResults, RedisResults
from app.hosting.secret import derived_key, instance_secret
from app.paths import ASSETS, private_dir
from app.redis_url import redis_url as checked_redis_url

PAGES = Path(__file__).resolve().parents[1] / "pages"


def result_store(redis_url: str | None = None, cache_dir: str | None = None) -> Any:
    """The result cache: Redis when a URL is configured, else files in the cache folder;
    values signed with the instance secret, bounded in bytes."""
    url = checked_redis_url(redis_url)
    timeout = float(os.environ.get("LINFLOW_CACHE_TIMEOUT", "86400"))
    max_bytes = int(float(os.environ.get("LINFLOW_CACHE_BYTES", limits.CACHE_BYTES)))
    key = derived_key(instance_secret(), "result-cache")
    if url:
        return RedisResults(
            url, key, timeout=timeout, max_bytes=max_bytes, max_entry_bytes=limits.CACHE_ENTRY_BYTES
        )
    folder = private_dir("results", base=cache_dir)
    return DiskResults(
        folder, key, timeout=timeout, max_bytes=max_bytes, max_entry_bytes=limits.CACHE_ENTRY_BYTES
    )


def background_manager(redis_url: str | None = None) -> Any:
    """Background jobs (basin sweeps, escape experiments): Celery workers when a Redis URL is
    configured, else one local process per job (``app.hosting.managers``: a job gone without a
    result is reported). Identical requests for the same version reuse a finished job's result
    for an hour."""
    from app.basin.store import jobs_dir

    url = checked_redis_url(redis_url)
    if url:
        from app.basin.tasks import DEFAULT_VISIBILITY, VISIBILITY_ENV, make_celery

        celery = make_celery(url, int(os.environ.get(VISIBILITY_ENV, DEFAULT_VISIBILITY)))
        return LinflowCeleryManager(celery, url, cache_by=[lambda: VERSION], expire=3600)
    import diskcache

    store = diskcache.Cache(str(jobs_dir() / "dash"))
    return LinflowDiskcacheManager(store, cache_by=[lambda: VERSION], expire=3600)


def create_app(redis_url: str | None = None, cache_dir: str | None = None) -> Dash:
    from app.basin import callbacks as basin_callbacks
    from app.blas import limit_blas_threads
    from app.explorer import callbacks

    limit_blas_threads()
    if cache_dir is not None:
        # Background jobs run in their own processes and find their store through this.
        os.environ["LINFLOW_CACHE_DIR"] = str(cache_dir)
    jobs = background_manager(redis_url)
    app = LinflowDash(
        __name__,
        background_callback_manager=jobs,
        title="linflow",
        assets_folder=str(ASSETS),
        use_pages=True,
        pages_folder=str(PAGES),
        # Page layouts are not in the initial layout, so ids are checked per page, not at start.
        suppress_callback_exceptions=True,
        update_title="",
    )
    app.layout = html.Div([dash.page_container])
    app.server.extensions[CACHE_EXTENSION] = result_store(redis_url, cache_dir)
    access.configure(app.server, checked_redis_url(redis_url))  # login first: 401 before 400
    security.configure(app)
    health.configure(app.server)
    callbacks.register(app)
    basin_callbacks.register(app)
    # Dash finishes setting itself up in before-request hooks on its first request, without a
    # lock: concurrent first requests of a threaded worker raced there ("dictionary changed size
    # during iteration": a /health or /_dash-dependencies answered 500 in a fault test). The
    # hooks run here, in this thread; not as a request, after which Flask would refuse the
    # error handler Dash's debug mode adds (`linflow serve --debug`).
    with app.server.test_request_context("/health"):
        for hook in app.server.before_request_funcs.get(None, []):
            hook()
    return app


def warm(app: Dash) -> threading.Thread:
    """Compute and draw the default view into the cache in the background, so the first
    visitor of a freshly started server does not wait for it (~0.2 s of server time)."""
    from app.explorer.callbacks import render
    from app.explorer.staging import render_end
    from app.state import AppState, encode

    def run() -> None:
        with app.server.app_context():
            pending = render(encode(AppState()), None)["end_pending"]
        with app.server.app_context():  # its end, on a budget of its own as in the browser
            render_end(pending)

    thread = threading.Thread(target=run, name="linflow-warm", daemon=True)
    thread.start()
    return thread
