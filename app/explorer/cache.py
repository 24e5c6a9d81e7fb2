"""The explorer's results, cached: one computation per state, shared by every panel and worker.

Callbacks never compute on their own: they call :func:`get_run` (the runs; :func:`get_result`
adds their end, :func:`ready_result` only if it is computed already; :func:`get_point`,
:func:`get_slice`), which look the state up in the app's result cache (``app.hosting.results``;
the key holds the package version and the canonical URL of what the result depends on) and
compute (``app.computation``) only on a miss. A miss is computed once: the first request takes
the key's lease and computes, the others (other threads, workers, machines) wait for its value
within their own budget. All the work one request triggers draws on one budget
(:func:`request_budget`). Without an app context (tests, the exporter) they just compute.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import current_app, g, has_app_context

import core
from app.budget import Budget, BudgetExceeded, request_seconds
from app.computation import (
    PointAnalysis,
    Run,
    RunEnd,
    RunResult,
    analyse_end,
    analyse_point,
    compute_run,
    run_fingerprint,
    run_state,
)
from app.slicing import SliceResult, compute_slice
from app.state import AppState, encode

T = TypeVar("T")
VERSION = core.__version__
CACHE_EXTENSION = "linflow_cache"  # key of the result store in app.extensions
WAIT_POLL = 0.05  # seconds between looks at a value another request is computing
WAIT_SLACK = 5.0  # waiting may outlast the waiter's budget by this: the computing one is bounded
LEASE_SLACK = 10.0  # a lease outlives its holder's budget by this before others take over


def _cache() -> Any:
    return current_app.extensions.get(CACHE_EXTENSION) if has_app_context() else None


def request_budget() -> Budget | None:
    """The budget of the current request (app context), started on first use; None outside."""
    if not has_app_context():
        return None
    if "linflow_budget" not in g:
        g.linflow_budget = Budget(request_seconds())
    budget: Budget = g.linflow_budget
    return budget


def _get(cache: Any, key: str, kind: type) -> Any:
    try:
        hit = cache.get(key)
    except Exception:  # a cache that is down must not take the views with it
        return None
    return hit if isinstance(hit, kind) else None


def _store(cache: Any, key: str, value: Any) -> None:
    try:
        cache.set(key, value)
    except Exception:
        pass


def _cached(key: str, make: Callable[[], T], kind: type) -> T:
    """The cached value of ``key``, else ``make()`` computed once across every process sharing
    the cache: whoever takes the key's lease computes; the others wait for its value."""
    cache = _cache()
    if cache is None:
        return make()
    hit = _get(cache, key, kind)
    if hit is not None:
        return hit
    budget = request_budget()
    seconds = budget.seconds if budget is not None else request_seconds()
    deadline = time.monotonic() + (budget.remaining if budget else seconds) + WAIT_SLACK
    while True:
        with cache.lease(key, seconds + LEASE_SLACK) as held:
            if held is not False:  # ours, or no lease to be had (the store is down)
                hit = _get(cache, key, kind) if held else None  # done while this one waited
                if hit is not None:
                    return hit
                value = make()
                _store(cache, key, value)
                return value
        while True:  # another request computes it: wait for its value
            if time.monotonic() > deadline:
                raise BudgetExceeded(
                    "This view is still being computed for another visitor; it will be ready "
                    "in a few seconds: reload the page."
                )
            time.sleep(WAIT_POLL)
            hit = _get(cache, key, kind)
            if hit is not None:
                return hit
            with cache.lease(key, 1.0) as free:
                if free is not False:
                    break  # it ended without a value (an error, or too big to keep): retry


def _key(kind: str, state: AppState, *extra: object) -> str:
    tail = "-".join(str(e) for e in extra)
    return f"linflow-{VERSION}-{kind}-{tail}-{encode(run_state(state))}"


def get_run(state: AppState) -> Run:
    """The cached runs of ``state`` (keyed by version and run fields): what the run's panels
    draw."""
    return _cached(_key("runs", state), lambda: compute_run(state, request_budget()), Run)


def get_result(state: AppState, run: Run | None = None) -> RunResult:
    """The cached runs of ``state`` with their end (:class:`app.computation.RunEnd`, cached on
    its own key: the runs are not stored twice). Pass ``run`` when the caller has it."""
    run = get_run(state) if run is None else run
    key = _key("end", state)
    end = _cached(key, lambda: analyse_end(run, request_budget()), RunEnd)
    if end.run != run_fingerprint(run):
        # The run was evicted and computed again, and ended elsewhere (stopped by its budget):
        # the cached end is another run's.
        end = analyse_end(run, request_budget())
        cache = _cache()
        if cache is not None:
            _store(cache, key, end)
    return RunResult.of(run, end)


def ready_result(state: AppState, run: Run) -> RunResult | None:
    """:func:`get_result` if the end of ``state``'s run is in the cache already, else None (it
    computes nothing then). Without a cache, or with one that is down, nothing is staged: the
    result is computed here."""
    cache = _cache()
    if cache is None:
        return get_result(state, run)
    try:
        end = cache.get(_key("end", state))
    except Exception:  # down: a second request would compute the run again
        return get_result(state, run)
    if not isinstance(end, RunEnd) or end.run != run_fingerprint(run):
        return None
    return RunResult.of(run, end)


def get_point(state: AppState, result: RunResult | None = None) -> PointAnalysis:
    """The analysis of the point ``state.point`` names (the limit comes with the run's end). Pass
    ``result`` when the caller already has it, so the run is not fetched again."""
    result = get_result(state) if result is None else result
    if state.point.kind == "limit":
        return result.limit
    return _cached(
        _key("point", state, state.point),
        lambda: analyse_point(state, result, request_budget()),
        PointAnalysis,
    )


def get_slice(state: AppState, result: RunResult | None = None) -> SliceResult:
    """The slice through the selected point (cached); ``result`` as for :func:`get_point`."""
    result = get_result(state) if result is None else result
    point = get_point(state, result)
    key = _key("slice", state, state.point, state.slice_dirs, repr(state.slice_extent))
    return _cached(key, lambda: compute_slice(state, result, point, request_budget()), SliceResult)


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
