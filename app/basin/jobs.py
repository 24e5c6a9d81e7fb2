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
from dataclasses import dataclass
from typing import Any

from dash import no_update

from app import limits
from app.basin.store import JobSlots, job_store, jobs_dir
from app.computation import build_problem
from app.fields import FieldError, integer, listed, number
from app.presets import state_from_query
from app.state import AppState, decode, encode
from core.basins import SWEEP_KINDS, ChunkSpec, SweepSpec, run_chunk

__all__ = ["SweepRequest", "jobs_dir", "max_jobs", "parse_sweep", "run_sweep"]

JOB_TTL = 3600  # shared entries expire after an hour even if their job was killed
FOLLOW_POLL = 0.5  # seconds between looks at the job an identical request follows
CHUNK_POLL = 0.2  # seconds between looks at outstanding Celery chunks

ChunkStream = Generator[tuple[int, list[dict]], None, None]  # (chunk index, its run summaries)

parse_runs = integer("runs per scale", 1, limits.MAX_RUNS)
parse_scales = listed(
    "init scales", number("scale", *limits.SWEEP_SCALE_RANGE), 1, limits.MAX_SCALES
)
parse_seed = integer("sweep seed", 0, limits.MAX_SEED)


def max_jobs() -> int:
    """Concurrent sweeps per instance (LINFLOW_MAX_JOBS, default 2)."""
    return max(1, int(os.environ.get("LINFLOW_MAX_JOBS", "2")))


@dataclass(frozen=True)
class SweepRequest:
    """A sweep asked for from the basin lab: the problem (the explorer's state, as its canonical
    query) and the sweep (runs, scales, seed; t_max, flow and kind from the state)."""

    query: str
    spec: SweepSpec

    @property
    def state(self) -> AppState:
        return decode(self.query)[0]

    @property
    def key(self) -> str:
        """Identical requests share one job (and its result) through this key."""
        return hashlib.sha256(json.dumps(self.to_json(), sort_keys=True).encode()).hexdigest()

    def to_json(self) -> dict[str, Any]:
        return {"query": self.query, "spec": self.spec.to_json()}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> SweepRequest:
        return cls(str(d["query"]), SweepSpec.from_json(d["spec"]))


def parse_sweep(
    search: str | None, runs: Any, scales: Any, seed: Any
) -> tuple[SweepRequest | None, str]:
    """The sweep request, or a message naming the field and its allowed range."""
    state, _ = state_from_query(search)
    try:
        n, sc, sd = parse_runs(runs), parse_scales(scales), parse_seed(seed)
    except FieldError as err:
        return None, str(err)
    kind = state.init_kind if state.init_kind in SWEEP_KINDS else "gaussian"
    spec = SweepSpec(n, sc, seed=sd, t_max=state.t_max, flow=state.flow, kind=kind)
    return SweepRequest(encode(state), spec), ""


def _payload(
    request: SweepRequest, runs: list[dict], complete: bool, **extra: Any
) -> dict[str, Any]:
    """What a job stores and shows: the request, the runs so far (in run order), completeness."""
    return {"request": request.to_json(), "runs": runs, "complete": complete, **extra}


def _progress_row(payload: dict[str, Any], elapsed: float) -> list[Any]:
    spec = SweepSpec.from_json(payload["request"]["spec"])
    done, total = len(payload["runs"]), spec.total
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


def local_chunks(request: SweepRequest) -> ChunkStream:
    """Chunks integrated in this process, in order: (chunk index, run summaries as dicts)."""
    problem = build_problem(request.state)
    for chunk in request.spec.chunks():
        yield chunk.index, [r.to_dict() for r in run_chunk(problem, chunk)]


def celery_chunks(request: SweepRequest) -> ChunkStream:
    """Chunks as Celery tasks on the chunk queue, yielded as they finish (any order). Chunks
    still outstanding when the job stops (cancel, error) are revoked."""
    from app.basin.tasks import revoke, submit_chunks

    chunks: list[ChunkSpec] = list(request.spec.chunks())
    pending = dict(enumerate(submit_chunks(request.query, chunks)))
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


def _chunk_source() -> Callable[[SweepRequest], ChunkStream]:
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
    key = request.key
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
            by_chunk: dict[int, list[dict]] = {}
            t0 = time.perf_counter()
            chunks = _chunk_source()(request)
            with _exit_on_sigterm(), contextlib.closing(chunks):
                for k, part in chunks:
                    by_chunk[k] = part
                    payload = _payload(request, _in_order(by_chunk), False)
                    shared.set(f"partial:{key}", payload, expire=JOB_TTL)
                    set_progress(_progress_row(payload, time.perf_counter() - t0))
            final = _payload(request, _in_order(by_chunk), True, seconds=time.perf_counter() - t0)
            shared.set(f"result:{key}", final, expire=JOB_TTL)
            return [final, ""]
        finally:
            slots.release()
            shared.delete(f"running:{key}")
