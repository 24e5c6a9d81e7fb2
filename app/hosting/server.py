"""The app factory: a Dash app with its cache, configured from the environment.

Environment (all optional; the embedded defaults need no service):
    LINFLOW_REDIS_URL   use RedisCache on that server instead of the local FileSystemCache
    LINFLOW_CACHE_DIR   the local cache folder (default ./.linflow-cache, created mode 0700)
    LINFLOW_CACHE_TIMEOUT  seconds a cached result lives (default 86400)
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import dash
from dash import Dash, html
from flask_caching import Cache

from app.explorer.cache import CACHE_EXTENSION, VERSION
from app.hosting import security
from app.paths import ASSETS, private_dir

PAGES = Path(__file__).resolve().parents[1] / "pages"
CACHE_THRESHOLD = 2000  # Entries the file cache keeps before pruning.


def cache_config(redis_url: str | None = None, cache_dir: str | None = None) -> dict[str, object]:
    redis_url = redis_url if redis_url is not None else os.environ.get("LINFLOW_REDIS_URL")
    timeout = int(os.environ.get("LINFLOW_CACHE_TIMEOUT", "86400"))
    if redis_url:
        return {
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": redis_url,
            "CACHE_DEFAULT_TIMEOUT": timeout,
            "CACHE_KEY_PREFIX": "linflow:",
        }
    folder = private_dir(base=cache_dir)
    return {
        "CACHE_TYPE": "FileSystemCache",
        "CACHE_DIR": str(folder),
        "CACHE_DEFAULT_TIMEOUT": timeout,
        "CACHE_THRESHOLD": CACHE_THRESHOLD,
    }


def background_manager(redis_url: str | None = None) -> Any:
    """Background jobs (basin sweeps): Celery workers when a Redis URL is configured, else one
    local process per job (DiskcacheManager). Identical requests for the same version reuse a
    finished job's result for an hour."""
    from app.basin.store import jobs_dir

    url = redis_url if redis_url is not None else os.environ.get("LINFLOW_REDIS_URL")
    if url:
        from dash import CeleryManager

        from app.basin.tasks import DEFAULT_VISIBILITY, VISIBILITY_ENV, make_celery

        celery = make_celery(url, int(os.environ.get(VISIBILITY_ENV, DEFAULT_VISIBILITY)))
        return CeleryManager(celery, cache_by=[lambda: VERSION], expire=3600)
    import diskcache
    from dash import DiskcacheManager

    store = diskcache.Cache(str(jobs_dir() / "dash"))
    return DiskcacheManager(store, cache_by=[lambda: VERSION], expire=3600)


def create_app(redis_url: str | None = None, cache_dir: str | None = None) -> Dash:
    from app.basin import callbacks as basin_callbacks
    from app.explorer import callbacks

    if cache_dir is not None:
        # Background jobs run in their own processes and find their store through this.
        os.environ["LINFLOW_CACHE_DIR"] = str(cache_dir)
    jobs = background_manager(redis_url)
    app = Dash(
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
    cache = Cache(config=cache_config(redis_url, cache_dir))
    cache.init_app(app.server)
    app.server.extensions[CACHE_EXTENSION] = cache
    security.configure(app.server)
    callbacks.register(app)
    basin_callbacks.register(app)
    return app


def warm(app: Dash) -> threading.Thread:
    """Compute and draw the default view into the cache in the background, so the first
    visitor of a freshly started server does not wait for it (~0.2 s of server time)."""
    from app.explorer.callbacks import render
    from app.state import AppState, encode

    def run() -> None:
        with app.server.app_context():
            render(encode(AppState()), None)

    thread = threading.Thread(target=run, name="linflow-warm", daemon=True)
    thread.start()
    return thread
