"""Basin lab jobs on the server: validation, the concurrency cap, partial results, results drawn
from the server's copy, and jobs that survive the death of the process computing them."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import threading
import time

import pytest

from app.basin import callbacks as bc
from app.basin import escape, jobs
from app.basin.store import DiskStore, JobSlots, RedisStore, job_store
from app.state import AppState, encode

SMALL = AppState(t_max=20.0)


@pytest.fixture(autouse=True)
def _jobs_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("LINFLOW_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("LINFLOW_MAX_JOBS", "2")
    monkeypatch.delenv("LINFLOW_REDIS_URL", raising=False)


def _sweep(query: str, runs: str, scales: str, progress=None) -> list:
    return jobs.run_sweep(
        progress.append if progress is not None else (lambda _: None), 1, query, runs, scales, "0"
    )


def test_sweep_requests_are_validated_with_ranges():
    q = encode(AppState())
    assert jobs.parse_sweep(q, "0", "0.1", "0")[1] == (
        "runs per scale must be an integer in [1, 5000]; got 0"
    )
    assert "[1e-06, 10]" in jobs.parse_sweep(q, "10", "0.1, 50", "0")[1]
    assert "1 to 6" in jobs.parse_sweep(q, "10", "1,2,3,4,5,6,7", "0")[1]
    assert "seed" in jobs.parse_sweep(q, "10", "0.1", "-3")[1]
    for bad in ("1e999", "inf", "nan", 1e999, float("inf")):
        assert "must be an integer" in jobs.parse_sweep(q, bad, "0.1", "0")[1]
        assert "must be an integer" in jobs.parse_sweep(q, "10", "0.1", bad)[1]
    request, error = jobs.parse_sweep(q, "10", "0.1, 1", "7")
    assert error == "" and request.spec.scales == (0.1, 1.0) and request.spec.seed == 7
    assert request.spec.t_max == AppState().t_max
    assert jobs.SweepRequest.from_json(request.to_json()) == request


def test_twenty_rapid_starts_are_capped():
    store = DiskStore()
    held = [JobSlots(store, jobs.max_jobs(), 60) for _ in range(20)]
    granted = [slot.acquire() for slot in held]
    assert granted.count(True) == 2  # LINFLOW_MAX_JOBS
    # A further start is refused with a message instead of a new process.
    out = _sweep(encode(AppState()), "5", "0.1")
    assert "already running" in out[1]
    for slot, ok in zip(held, granted, strict=True):
        if ok:
            slot.release()
    store.close()
    progress: list = []
    out = _sweep(encode(SMALL), "5", "0.1, 0.5", progress)
    assert out[1] == "" and out[0]["complete"] and out[0]["runs"] == 10
    assert progress and all(not p[2]["complete"] for p in progress)  # partials never complete
    assert progress[-1][0] == "100"
    assert set(out[0]) == {"key", "runs", "complete"}  # the browser holds a reference only


def test_charts_are_drawn_from_the_servers_result_not_the_clients():
    """Issue 16: the chart callback drew whatever run list a client posted (1 MB: 61 s)."""
    progress: list = []
    final, _ = _sweep(encode(SMALL), "4", "0.1", progress)
    figs = bc.render(progress[0][2], None)
    assert figs[0].data and figs[3] is not None
    figs = bc.render(None, final)
    assert len(figs[0].data[0].x) == 1 and figs[5].startswith("Complete: 4 runs")
    forged = {**final, "runs": [{"index": i, "scale": 1.0} for i in range(50_000)]}
    t0 = time.perf_counter()
    assert bc.render(None, forged)[5].startswith("Complete: 4 runs")  # the server's 4 runs
    assert time.perf_counter() - t0 < 2.0
    for bad in ({"key": "0" * 64, "complete": True}, {"key": "../x"}, {"runs": []}, [], "x"):
        out = bc.render(None, bad) if isinstance(bad, dict) else bc.render(bad, None)
        assert out[:5] == [bc.no_update] * 5
    assert bc.render(None, {"key": "0" * 64, "complete": True})[5] == bc.GONE


def test_partial_results_of_a_stopped_job_are_shown():
    request, _ = jobs.parse_sweep(encode(SMALL), "4", "0.1", "0")
    runs = [r for _, part in jobs.local_chunks(request) for r in part][:2]
    with contextlib.closing(job_store()) as shared:
        shared.set(f"partial:{request.key}", jobs._payload(request, {0: runs}), expire=60)
    out = bc.render(jobs.reference(request.key, 2, False), None)
    assert out[5].startswith("Partial results: 2 of 4 runs")


def test_identical_requests_share_one_job(monkeypatch):
    calls = []
    real = jobs.run_chunk

    def counting(problem, chunk):
        calls.append(chunk.lo)
        return real(problem, chunk)

    monkeypatch.setattr(jobs, "run_chunk", counting)
    monkeypatch.setattr(jobs, "FOLLOW_POLL", 0.05)
    query = encode(AppState(t_max=30.0))
    outs: dict[str, list] = {}

    def start(name: str) -> None:
        outs[name] = _sweep(query, "300", "0.001, 0.01")

    first = threading.Thread(target=start, args=("first",))
    first.start()
    waited = 0
    while not calls and waited < 200:  # the first job is computing
        time.sleep(0.05)
        waited += 1
    second = threading.Thread(target=start, args=("second",))
    second.start()
    first.join(120)
    second.join(120)
    assert outs["first"][0]["complete"] and outs["second"][0] == outs["first"][0]
    assert len(calls) == len(set(calls))  # every chunk computed once
    third = _sweep(query, "300", "0.001, 0.01")
    assert third[0] == outs["first"][0] and len(calls) == len(set(calls))


# A job process killed as Cancel kills it without Redis (SIGKILL), after its first chunk.
DIES = """
import os, signal, sys
from app.basin import jobs
real = jobs.run_chunk
def dying(problem, chunk):
    if chunk.index == 1:
        print("dying", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    return real(problem, chunk)
jobs.run_chunk = dying
jobs.run_sweep(lambda _: None, 1, sys.argv[1], "300", "0.001", "0")
"""


def test_a_killed_job_frees_its_slot_and_its_sweep_is_resumed(tmp_path, monkeypatch):
    """Issue 16: Cancel without Redis (SIGKILL) left the slot and the shared job taken for an
    hour; identical requests followed the dead job forever."""
    monkeypatch.setenv("LINFLOW_MAX_JOBS", "1")
    query = encode(SMALL)
    proc = subprocess.run(
        [sys.executable, "-c", DIES, query], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == -signal.SIGKILL and "dying" in proc.stdout
    calls: list[int] = []
    real = jobs.run_chunk
    monkeypatch.setattr(jobs, "run_chunk", lambda p, c: calls.append(c.index) or real(p, c))
    t0 = time.perf_counter()
    out = _sweep(query, "300", "0.001")  # the only slot is free at once
    assert out[1] == "" and out[0]["complete"] and out[0]["runs"] == 300
    assert time.perf_counter() - t0 < 30
    assert calls == [1]  # chunk 0 came from the dead job's partial result: resumed
    request, _ = jobs.parse_sweep(query, "300", "0.001", "0")
    whole = [r for _, part in jobs.local_chunks(request) for r in part]
    with contextlib.closing(job_store()) as shared:
        assert shared.get(f"result:{request.key}")["runs"] == whole


def test_escape_experiment_job():
    from app.presets import PRESETS

    query = encode(PRESETS["stable-manifold"].state)
    progress: list = []
    out, message = escape.run_escape(progress.append, 1, query, "1, 3", "0, 1e-3", "3")
    text = str(out)
    assert message == "" and "Saddle S = {1,3}" in text and "0 / 3" in text and "3 / 3" in text
    # Kick 0: 0 of 3 escaped, all 3 still on the saddle's plateau at t_max.
    assert text.count("3 / 3") == 2
    assert [p[0] for p in progress] == ["0", "50", "100"]
    _, bad = escape.run_escape(None, 1, query, "1, 2, 3", "0", "3")
    assert "not all of them" in bad
    _, bad = escape.run_escape(None, 1, query, "1", "5", "3")
    assert "perturbation must be a number in [0, 1]" in bad


def test_escape_experiment_work_is_bounded():
    query = encode(AppState())
    _, too_many_sizes = escape.run_escape(
        None, 1, query, "1", "0,1e-6,1e-5,1e-4,1e-3,1e-2,0.1", "9"
    )
    assert "perturbations needs 1 to 6" in too_many_sizes
    _, too_much_work = escape.run_escape(None, 1, query, "1", "0, 1e-3, 1e-2, 0.1", "200")
    assert "at most 600 runs in all" in too_much_work
    for bad in ("1e999", "inf", "nan", ""):
        assert "runs must be an integer" in escape.run_escape(None, 1, query, "1", "0", bad)[1]


@pytest.mark.parametrize("backend", ["disk", "redis"])
def test_job_stores_cap_slots_share_entries_and_expire_dead_jobs(backend, request):
    store = DiskStore() if backend == "disk" else RedisStore(request.getfixturevalue("redis_url"))
    try:
        slots = [JobSlots(store, 2, ttl=1.0) for _ in range(5)]
        assert [s.acquire() for s in slots] == [True, True, False, False, False]
        slots[0].release()
        assert slots[2].acquire() and not slots[3].acquire()
        time.sleep(1.2)  # the holders stopped renewing without releasing: their slots expire
        assert slots[3].acquire() and slots[4].acquire()
        payload = {"runs": [{"index": 0, "final_loss": 0.1}], "complete": True}
        a, b = slots[3].job, slots[4].job
        assert store.claim("running:k", a, 60) and not store.claim("running:k", b, 60)
        assert store.claim("running:k", a, 60) and store.renew("running:k", a, 60)
        assert not store.renew("running:k", b, 60)
        store.release("running:k", a)
        assert store.claim("running:k", b, 60)
        store.set("result:k", payload, expire=60)
        assert store.get("result:k") == payload
        store.delete("result:k")
        assert store.get("result:k") is None
    finally:
        store.close()
