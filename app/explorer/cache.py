"""The explorer's results, cached: one computation per state, shared by every panel and worker.

Callbacks never compute on their own: they call :func:`get_result` (and :func:`get_point`,
:func:`get_slice`), which look the state up in the app's cache (flask-caching; the key holds
the package version and the canonical URL of what the result depends on) and compute
(``app.computation``) only on a miss. Without an app context (tests, the exporter) they just
compute.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import current_app, has_app_context

import core
from app.computation import (
    PointAnalysis,
    RunResult,
    SliceResult,
    analyse_point,
    compute,
    compute_slice,
    run_state,
)
from app.state import AppState, encode

T = TypeVar("T")
VERSION = core.__version__
CACHE_EXTENSION = "linflow_cache"  # key of the flask-caching object in app.extensions


def _cache() -> Any:
    return current_app.extensions.get(CACHE_EXTENSION) if has_app_context() else None


def _cached(key: str, make: Callable[[], T], kind: type) -> T:
    cache = _cache()
    if cache is None:
        return make()
    try:
        hit = cache.get(key)
    except Exception:  # a cache that is down must not take the views with it
        hit = None
    if isinstance(hit, kind):
        return hit  # type: ignore[return-value]
    value = make()
    try:
        cache.set(key, value)
    except Exception:
        pass
    return value


def _key(kind: str, state: AppState, *extra: object) -> str:
    tail = "-".join(str(e) for e in extra)
    return f"linflow-{VERSION}-{kind}-{tail}-{encode(run_state(state))}"


def get_result(state: AppState) -> RunResult:
    """The cached run for ``state`` (keyed by version and run fields)."""
    return _cached(_key("run", state), lambda: compute(state), RunResult)


def get_point(state: AppState, result: RunResult | None = None) -> PointAnalysis:
    """The analysis of the point ``state.point`` names (the limit comes with the run). Pass
    ``result`` when the caller already has it, so the run is not fetched again."""
    result = get_result(state) if result is None else result
    if state.point.kind == "limit":
        return result.limit
    return _cached(
        _key("point", state, state.point), lambda: analyse_point(state, result), PointAnalysis
    )


def get_slice(state: AppState, result: RunResult | None = None) -> SliceResult:
    """The slice through the selected point (cached); ``result`` as for :func:`get_point`."""
    result = get_result(state) if result is None else result
    point = get_point(state, result)
    key = _key("slice", state, state.point, state.slice_dirs, repr(state.slice_extent))
    return _cached(key, lambda: compute_slice(state, result, point), SliceResult)


def get_figures(
    state: AppState, kinds: Iterable[str], draw: Callable[[list[str]], dict[str, dict]]
) -> dict[str, dict]:
    """The figures ``kinds`` of ``state`` as plotly JSON dicts, cached per whole state and kind:
    a setting visited before is served without building figures again (~35 ms a view).
    ``draw(missing)`` makes those the cache lacks."""
    kinds = list(kinds)
    view = encode(state)
    keys = {k: f"linflow-{VERSION}-figure-{k}-{view}" for k in kinds}
    cache = _cache()
    hits: list[Any] = [None] * len(kinds)
    if cache is not None and kinds:
        try:
            hits = cache.get_many(*keys.values())
        except Exception:  # as in _cached: a cache that is down only costs the drawing
            pass
    out = {k: h for k, h in zip(kinds, hits, strict=True) if isinstance(h, dict)}
    missing = [k for k in kinds if k not in out]
    if missing:
        made = draw(missing)
        out.update(made)
        if cache is not None:
            try:
                cache.set_many({keys[k]: v for k, v in made.items()})
            except Exception:
                pass
    return out
