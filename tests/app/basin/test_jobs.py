"""Basin lab jobs on the server: validation, the concurrency cap, partial results."""

from __future__ import annotations

import pytest

from app.basin import callbacks as bc
from app.basin import jobs
from app.basin.store import DiskStore, JobSlots
from app.state import AppState, encode


@pytest.fixture(autouse=True)
def _jobs_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("LINFLOW_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("LINFLOW_MAX_JOBS", "2")


def test_sweep_requests_are_validated_with_ranges():
    q = encode(AppState())
    assert jobs.parse_sweep(q, "0", "0.1", "0")[1] == (
        "runs per scale must be an integer in [1, 5000]; got 0"
    )
    assert "[1e-06, 10]" in jobs.parse_sweep(q, "10", "0.1, 50", "0")[1]
    assert "1 to 6" in jobs.parse_sweep(q, "10", "1,2,3,4,5,6,7", "0")[1]
    assert "seed" in jobs.parse_sweep(q, "10", "0.1", "-3")[1]
    for bad in ("1e999", "inf", "nan"):
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
    out = jobs.run_sweep(lambda _: None, 1, encode(AppState()), "5", "0.1", "0")
    assert "already running" in out[1]
    for slot, ok in zip(held, granted, strict=True):
        if ok:
            slot.release()
    store.close()
    progress: list = []
    out = jobs.run_sweep(progress.append, 1, encode(AppState(t_max=20.0)), "5", "0.1, 0.5", "0")
    assert out[1] == "" and out[0]["complete"] and len(out[0]["runs"]) == 10
    assert progress and all(not p[2]["complete"] for p in progress)  # partials never complete
    assert progress[-1][0] == "100"


def test_render_partial_and_final_results():
    progress: list = []
    final, _ = jobs.run_sweep(progress.append, 1, encode(AppState(t_max=20.0)), "4", "0.1", "0")
    figs = bc.render(progress[0][2], None)
    assert figs[0].data and figs[3] is not None
    figs = bc.render(None, final)
    assert len(figs[0].data[0].x) == 1 and figs[5].startswith("Complete: 4 runs")
    lost = {**progress[0][2], "runs": progress[0][2]["runs"][:2]}  # a job that died early
    assert bc.render(lost, None)[5].startswith("Partial results: 2 of 4 runs")


def test_identical_requests_share_one_job(monkeypatch):
    import threading

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
        outs[name] = jobs.run_sweep(lambda _: None, 1, query, "300", "0.001, 0.01", "0")

    first = threading.Thread(target=start, args=("first",))
    first.start()
    time_waited = 0
    while not calls and time_waited < 200:  # the first job is computing
        threading.Event().wait(0.05)
        time_waited += 1
    second = threading.Thread(target=start, args=("second",))
    second.start()
    first.join(120)
    second.join(120)
    assert outs["first"][0]["complete"] and outs["second"][0] == outs["first"][0]
    assert len(calls) == len(set(calls))  # every chunk computed once
    third = jobs.run_sweep(lambda _: None, 1, query, "300", "0.001, 0.01", "0")
    assert third[0] == outs["first"][0] and len(calls) == len(set(calls))


def test_escape_experiment_callback():
    from app.presets import PRESETS

    query = encode(PRESETS["stable-manifold"].state)
    out = bc.run_escape(1, query, "1, 3", "0, 1e-3", "3")
    text = str(out)
    assert "Saddle S = {1,3}" in text and "0 / 3" in text and "3 / 3" in text
    # Kick 0: 0 of 3 escaped, all 3 still on the saddle's plateau at t_max.
    assert text.count("3 / 3") == 2
    bad = bc.run_escape(1, query, "1, 2, 3", "0", "3")
    assert "not all of them" in str(bad)
    bad = bc.run_escape(1, query, "1", "5", "3")
    assert "perturbation must be a number in [0, 1]" in str(bad)


def test_escape_experiment_work_is_bounded():
    query = encode(AppState())
    too_many_sizes = bc.run_escape(1, query, "1", "0,1e-6,1e-5,1e-4,1e-3,1e-2,0.1", "10")
    assert "perturbations needs 1 to 6" in str(too_many_sizes)
    too_much_work = bc.run_escape(1, query, "1", "0, 1e-3, 1e-2, 0.1", "200")
    assert "at most 600 runs in all" in str(too_much_work)


@pytest.mark.parametrize("backend", ["disk", "redis"])
def test_job_stores_cap_slots_share_entries_and_expire_dead_jobs(backend, request):
    import time

    from app.basin.store import RedisStore

    store = DiskStore() if backend == "disk" else RedisStore(request.getfixturevalue("redis_url"))
    try:
        slots = [JobSlots(store, 2, ttl=1.0) for _ in range(5)]
        assert [s.acquire() for s in slots] == [True, True, False, False, False]
        slots[0].release()
        assert slots[2].acquire() and not slots[3].acquire()
        time.sleep(1.2)  # the holders "died" without releasing: their slots expire
        assert slots[3].acquire() and slots[4].acquire()
        payload = {"runs": [{"index": 0, "final_loss": 0.1}], "complete": True}
        assert store.add("running:k", 1.0, expire=60) and not store.add("running:k", 2.0, 60)
        store.set("result:k", payload, expire=60)
        assert store.get("result:k") == payload and store.get("running:k") == 1.0
        store.delete("running:k")
        assert store.get("running:k") is None
    finally:
        store.close()
