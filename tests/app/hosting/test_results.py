"""The result cache: values signed with the instance secret (a planted pickle never runs), bounded
in bytes, and each value computed once however many requests ask for it at the same time."""

from __future__ import annotations

import hashlib
import os
import pickle
import signal
import subprocess
import sys
import threading
import time

import pytest
import redis
from dash import no_update

from app.explorer import cache as explorer_cache
from app.explorer.callbacks import render
from app.explorer.staging import render_end
from app.hosting.results import REDIS_PREFIX, DiskResults, RedisResults, Signer
from app.hosting.server import create_app
from app.state import AppState, encode

SECRET = b"k" * 32
MB = 1_000_000


class Planted:
    """A value whose unpickling creates a folder: the sign that a planted pickle ran."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def _store(kind: str, request, tmp_path, **options):
    opts = {"timeout": 3600.0, "max_bytes": 100 * MB, "max_entry_bytes": 10 * MB, **options}
    if kind == "disk":
        return DiskResults(tmp_path / "results", SECRET, **opts)
    return RedisResults(request.getfixturevalue("redis_url"), SECRET, **opts)


def _run_key(state: AppState) -> str:
    return explorer_cache._key("run", state)


@pytest.mark.parametrize("kind", ["disk", "redis"])
def test_a_planted_pickle_is_dropped_unread_and_the_view_still_drawn(kind, request, tmp_path):
    url = request.getfixturevalue("redis_url") if kind == "redis" else ""
    app = create_app(redis_url=url, cache_dir=str(tmp_path / "c"))
    state = AppState(t_max=30.0)
    key, marker = _run_key(state), tmp_path / "pwned"
    evil = pickle.dumps(Planted(str(marker)))
    forged = Signer(b"not the instance secret" * 2).seal(key, Planted(str(marker)))
    for blob in (evil, b"!" + evil, forged, b"\x00" * 40 + evil):
        if kind == "disk":
            path = tmp_path / "c" / "results" / hashlib.sha256(key.encode()).hexdigest()
            path.write_bytes(blob)
        else:
            redis.Redis.from_url(url).set(REDIS_PREFIX + key, blob)
        with app.server.app_context():
            out = render(encode(state), None)
        assert out["error"] == "" and "Flow:" in out["status"]
        assert not marker.exists()  # the planted value was never unpickled


@pytest.mark.parametrize("kind", ["disk", "redis"])
def test_the_cache_is_bounded_by_bytes(kind, request, tmp_path):
    store = _store(kind, request, tmp_path, max_bytes=2 * MB, max_entry_bytes=MB)
    blob = os.urandom(200_000)
    for i in range(40):  # 8 MB offered to a 2 MB cache
        assert store.set(f"k{i}", blob)
    if kind == "disk":
        held = sum(size for _, size, _ in store.entries())
    else:
        held = store.stored_bytes()
        assert held == sum(len(store.client.get(k)) for k in store.client.keys(REDIS_PREFIX + "*"))
    assert 1 * MB < held <= 2 * MB
    assert store.get("k39") == blob and store.get("k0") is None  # the oldest went first
    assert not store.set("big", os.urandom(2 * MB))  # larger than an entry may be: not kept
    assert store.get("big") is None


def test_a_request_stores_megabytes_not_tens_of_them(tmp_path):
    """672 parameters and two comparison runs: 0.2 s of work used to write ~20 MB."""
    app = create_app(cache_dir=str(tmp_path))
    state = AppState(
        source="random", dx=20, dy=6, m=200, depth=2, widths=(16,), t_max=20.0, compare="seeds"
    )
    with app.server.app_context():
        out = render(encode(state), None)
    with app.server.app_context():  # the change's second request: the end and its figures
        end = render_end(out["end_pending"])
    assert out["error"] == "" and set(end["figures"]) == {"hessian", "slice", "curvature"}
    written = sum(size for _, size, _ in app.server.extensions["linflow_cache"].entries())
    assert written < 8 * MB


@pytest.mark.parametrize("kind", ["disk", "redis"])
def test_simultaneous_requests_compute_a_state_once(kind, request, tmp_path, monkeypatch):
    url = request.getfixturevalue("redis_url") if kind == "redis" else ""
    app = create_app(redis_url=url, cache_dir=str(tmp_path / "c"))
    calls: list[str] = []

    def slow(name, real):
        def compute(*args, **kwargs):
            calls.append(name)
            time.sleep(0.5)  # long enough for every request to arrive while it runs
            return real(*args, **kwargs)

        return compute

    monkeypatch.setattr(explorer_cache, "compute_run", slow("run", explorer_cache.compute_run))
    monkeypatch.setattr(explorer_cache, "analyse_end", slow("end", explorer_cache.analyse_end))
    query = encode(AppState(t_max=25.0, init_seed=3))
    outs: list[dict] = []

    def view() -> None:  # a change's two requests (app.explorer.staging)
        with app.server.app_context():
            out = render(query, None)
        pending = out["end_pending"]  # None if the end was cached when it looked
        with app.server.app_context():
            end = render_end(pending) if pending is not no_update else {"figures": out}
        outs.append({**out, **end})

    threads = [threading.Thread(target=view) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(outs) == 6 and all(o["error"] == "" and o["figures"]["hessian"] for o in outs)
    assert sorted(calls) == ["end", "run"]


def test_a_dead_holder_frees_the_computation_at_once(tmp_path):
    """A process killed while computing (its lease a kernel lock) holds nobody up."""
    store = DiskResults(tmp_path / "results", SECRET, timeout=60, max_bytes=MB, max_entry_bytes=MB)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from app.hosting.results import "
            "DiskResults\n"
            f"s = DiskResults(Path({str(tmp_path / 'results')!r}), b'k' * 32, timeout=60, "
            "max_bytes=10**6, max_entry_bytes=10**6)\n"
            "with s.lease('the-key', 60) as held:\n"
            "    print(held, flush=True); time.sleep(600)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "True"
        with store.lease("the-key", 60) as held:
            assert held is False  # computing elsewhere
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
        with store.lease("the-key", 60) as held:
            assert held is True
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(10)
        holder.stdout.close()
