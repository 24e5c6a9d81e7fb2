"""Basin lab sweeps as background jobs: validation, a cap on concurrent jobs, identical requests
sharing one computation, and chunks computed here or as Celery tasks.

Two deployments, one code path:

- embedded (no LINFLOW_REDIS_URL): the job runs in a local process (Dash's DiskcacheManager),
  integrates its chunks itself, and coordinates with other jobs through a diskcache store;
- scaled out (LINFLOW_REDIS_URL set): the job runs on a ``linflow worker`` (Dash's CeleryManager,
  queue ``celery``), sends every chunk as a ``linflow.sweep_chunk`` task to the chunk queue,
  collects results chunk by chunk as they finish, and coordinates through Redis, so identical
  requests share one job and the cap holds across every web and worker process.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import threading
import time
from collections.abc import Callable, Generator, Iterator
from typing import Any

from dash import no_update

from app.basin_store import JobSlots, job_store, jobs_dir
from app.compute import build_problem
from app.state import decode, encode
from core.sweep import plan, run_chunk

__all__ = ["jobs_dir", "max_jobs", "parse_sweep", "run_sweep"]

MAX_RUNS = 5000  # runs per scale from the app (the command line has no cap)
MAX_SCALES = 6
SWEEP_KINDS = ("gaussian", "balanced", "orthogonal", "layered")
JOB_TTL = 3600  # shared entries expire after an hour even if their job was killed
FOLLOW_POLL = 0.5  # seconds between looks at the job an identical request follows
CHUNK_POLL = 0.2  # seconds between looks at outstanding Celery chunks

ChunkStream = Generator[tuple[int, list[dict]], None, None]  # (chunk index, its run summaries)


def max_jobs() -> int:
    """Concurrent sweeps per instance (LINFLOW_MAX_JOBS, default 2)."""
    return max(1, int(os.environ.get("LINFLOW_MAX_JOBS", "2")))


def parse_sweep(
    search: str | None, runs: Any, scales: Any, seed: Any
) -> tuple[dict[str, Any] | None, str]:
    """The sweep request, or a message naming the field and its allowed range."""
    state, _ = decode(search)
    try:
        n = int(float(runs))
        if not 1 <= n <= MAX_RUNS or float(runs) != n:
            raise ValueError
    except (TypeError, ValueError):
        return None, f"runs per scale must be an integer in [1, {MAX_RUNS}]"
    try:
        sc = [float(x) for x in str(scales).replace(";", ",").split(",") if x.strip()]
        if not 1 <= len(sc) <= MAX_SCALES or any(not 1e-6 <= v <= 10 for v in sc):
            raise ValueError
    except ValueError:
        return None, f"init scales: 1 to {MAX_SCALES} comma-separated numbers in [1e-6, 10]"
    try:
        sd = int(float(seed))
        if not 0 <= sd < 2**32 or float(seed) != sd:
            raise ValueError
    except (TypeError, ValueError):
        return None, "sweep seed must be an integer in [0, 4294967295]"
    kind = state.init_kind if state.init_kind in SWEEP_KINDS else "gaussian"
    return {
        "query": encode(state),
        "n_runs": n,
        "scales": sc,
        "seed": sd,
        "t_max": state.t_max,
        "flow": state.flow,
        "kind": kind,
    }, ""


def _request_key(request: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()


def _progress_row(payload: dict[str, Any], elapsed: float) -> list[Any]:
    done, total = len(payload["runs"]), payload["n_runs"] * len(payload["scales"])
    if done:
        left = f"about {elapsed / done * (total - done):.0f} s left"
    else:
        left = "waiting for the first chunk"
    return [
        str(round(100 * done / total)),
        f"{done} / {total} runs, {elapsed:.1f} s elapsed, {left}",
        payload,
    ]


def _follow(shared: Any, key: str, set_progress: Callable[[list[Any]], None]) -> list[Any]:
    """An identical sweep is running: show its progress and share its result."""
    t0 = time.perf_counter()
    while True:
        result = shared.get(f"result:{key}")
        if result is not None:
            return [result, ""]
        partial = shared.get(f"partial:{key}")
        if partial is not None:
            set_progress(_progress_row(partial, time.perf_counter() - t0))
        if shared.get(f"running:{key}") is None and shared.get(f"result:{key}") is None:
            return [
                no_update,
                "The identical sweep this request was sharing stopped before "
                "finishing; press Start to run it again.",
            ]
        time.sleep(FOLLOW_POLL)


def local_chunks(query: str, jobs: list[tuple]) -> ChunkStream:
    """Chunks integrated in this process, in order: (chunk index, run summaries as dicts)."""
    for k, job in enumerate(jobs):
        yield k, [r.to_dict() for r in run_chunk(job)]


def celery_chunks(query: str, jobs: list[tuple]) -> ChunkStream:
    """Chunks as Celery tasks on the chunk queue, yielded as they finish (any order). Chunks
    still outstanding when the job stops (cancel, error) are revoked."""
    from app.celery_app import revoke, submit_chunks

    pending = dict(enumerate(submit_chunks(query, jobs)))
    try:
        while pending:
            ready = [k for k, res in pending.items() if res.ready()]
            for k in ready:
                # Waiting on a task from a task is safe here: jobs and chunks are served by
                # separate pools (`linflow worker`), so a job never holds the slot its chunk needs.
                yield k, pending.pop(k).get(disable_sync_subtasks=False)
            if not ready:
                time.sleep(CHUNK_POLL)
    finally:
        if pending:
            revoke([res.id for res in pending.values()])


@contextlib.contextmanager
def _exit_on_sigterm() -> Iterator[None]:
    """Cancel terminates a Celery job with SIGTERM; turn it into SystemExit so cleanup runs
    (outstanding chunks revoked, the job slot freed)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(f"job terminated by signal {signum}")

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _in_order(by_chunk: dict[int, list[dict]]) -> list[dict]:
    """The runs of the finished chunks, in chunk (hence run) order."""
    return [r for k in sorted(by_chunk) for r in by_chunk[k]]


def _chunk_source() -> Callable[[str, list[tuple]], ChunkStream]:
    return celery_chunks if os.environ.get("LINFLOW_REDIS_URL") else local_chunks


def run_sweep(
    set_progress: Callable[[list[Any]], None],
    n_clicks: int | None,
    search: str | None,
    runs: Any,
    scales: Any,
    seed: Any,
) -> list[Any]:
    """The background job: chunk by chunk, reporting progress and partial results (runs of the
    finished chunks, in chunk order). Identical requests share one computation: later ones follow
    the first and take no job slot."""
    request, error = parse_sweep(search, runs, scales, seed)
    if request is None:
        return [no_update, error]
    key = _request_key(request)
    with contextlib.closing(job_store()) as shared:
        done = shared.get(f"result:{key}")
        if done is not None:
            return [done, ""]
        if not shared.add(f"running:{key}", time.time(), expire=JOB_TTL):
            return _follow(shared, key, set_progress)
        slots = JobSlots(shared, max_jobs(), JOB_TTL)
        try:
            if not slots.acquire():
                return [
                    no_update,
                    f"{max_jobs()} sweeps are already running on this "
                    "instance; try again when one finishes",
                ]
            state, _ = decode(request["query"])
            jobs = plan(
                build_problem(state),
                request["n_runs"],
                request["scales"],
                request["seed"],
                request["t_max"],
                request["flow"],
                request["kind"],
            )
            by_chunk: dict[int, list[dict]] = {}
            t0 = time.perf_counter()
            chunks = _chunk_source()(request["query"], jobs)
            with _exit_on_sigterm(), contextlib.closing(chunks):
                for k, part in chunks:
                    by_chunk[k] = part
                    payload = {**request, "runs": _in_order(by_chunk), "complete": False}
                    shared.set(f"partial:{key}", payload, expire=JOB_TTL)
                    set_progress(_progress_row(payload, time.perf_counter() - t0))
            final = {
                **request,
                "runs": _in_order(by_chunk),
                "complete": True,
                "seconds": time.perf_counter() - t0,
            }
            shared.set(f"result:{key}", final, expire=JOB_TTL)
            return [final, ""]
        finally:
            slots.release()
            shared.delete(f"running:{key}")
