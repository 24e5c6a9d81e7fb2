"""Basin lab sweeps as background jobs: validation, a cap on concurrent jobs, identical requests
sharing one computation, chunks computed here or as Celery tasks, and jobs that survive their
workers.

Two deployments, one code path:

- embedded (no LINFLOW_REDIS_URL): the job runs in a local process (Dash's DiskcacheManager),
  integrates its chunks itself, and coordinates with other jobs through a diskcache store;
- scaled out (LINFLOW_REDIS_URL set): the job runs on a ``linflow worker`` (Dash's CeleryManager,
  queue ``celery``), sends every chunk as a ``linflow.sweep_chunk`` task to the chunk queue,
  collects results chunk by chunk as they finish, and coordinates through Redis.

Every job holds a job slot (at most LINFLOW_MAX_JOBS at once) and the job computing a sweep
holds its lease (``running:<key>``); both are renewed by a heartbeat and expire when it stops,
so a job killed in any way frees them. The others asking for the same sweep follow its progress;
when its lease lapses one of them takes over and resumes from the chunks already done (stored
after each chunk in ``partial:<key>``). The browser is sent only a reference to the result
(``{"key": ...}``); the charts are drawn from the server's copy (``app.basin.callbacks``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from dash import no_update

from app import limits
from app.basin.store import LEASE_TTL, JobSlots, JobStore, heartbeat, job_store, jobs_dir
from app.computation import build_problem
from app.fields import FieldError, integer, listed, number
from app.presets import state_from_query
from app.state import AppState, decode, encode
from core.basins import SWEEP_KINDS, SweepSpec, run_chunk

__all__ = ["SweepRequest", "jobs_dir", "max_jobs", "parse_sweep", "run_sweep"]

log = logging.getLogger(__name__)
T = TypeVar("T")
JOB_TTL = 3600  # results and partial results are kept an hour
FOLLOW_POLL = 0.5  # seconds between looks at the job an identical request follows
CHUNK_POLL = 0.2  # seconds between looks at outstanding Celery chunks
BLIP_SECONDS = 60.0  # how long a job retries a store that stopped answering (a Redis restart)
CHUNK_ATTEMPTS = 3  # a chunk whose task fails is sent again, up to this many times in all

ChunkStream = Generator[tuple[int, list[dict]], None, None]  # (chunk index, its run summaries)

parse_runs = integer("runs per scale", 1, limits.MAX_RUNS)
parse_scales = listed(
    "init scales", number("scale", *limits.SWEEP_SCALE_RANGE), 1, limits.MAX_SCALES
)
parse_seed = integer("sweep seed", 0, limits.MAX_SEED)


def max_jobs() -> int:
    """Concurrent jobs per instance (LINFLOW_MAX_JOBS, default 2)."""
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


def transient_errors() -> tuple[type[BaseException], ...]:
    """Errors of a store or broker that stopped answering for a while."""
    import kombu.exceptions
    import redis.exceptions

    return (
        redis.exceptions.ConnectionError,
        redis.exceptions.TimeoutError,
        kombu.exceptions.OperationalError,
        ConnectionError,
        TimeoutError,
    )


def retrying(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``call(*args, **kwargs)``, tried again for up to BLIP_SECONDS while the store does not
    answer."""
    deadline = time.monotonic() + BLIP_SECONDS
    transient = transient_errors()
    while True:
        try:
            return call(*args, **kwargs)
        except transient:
            if time.monotonic() > deadline:
                raise
            time.sleep(1.0)


def reference(key: str, runs: int, complete: bool) -> dict[str, Any]:
    """What the browser holds of a sweep: where its result is on the server."""
    return {"key": key, "runs": runs, "complete": complete}


def _payload(request: SweepRequest, by_chunk: dict[int, list[dict]], **extra: Any) -> dict:
    runs = [r for k in sorted(by_chunk) for r in by_chunk[k]]  # chunk (hence run) order
    return {"request": request.to_json(), "runs": runs, "chunks": sorted(by_chunk), **extra}


def _progress_row(key: str, done: int, total: int, elapsed: float) -> list[Any]:
    if done:
        left = f"about {elapsed / done * (total - done):.0f} s left"
    else:
        left = "waiting for the first chunk"
    return [
        str(round(100 * done / total)),
        f"{done} / {total} runs, {elapsed:.1f} s elapsed, {left}",
        reference(key, done, False),
    ]


def local_chunks(request: SweepRequest, skip: frozenset[int] = frozenset()) -> ChunkStream:
    """Chunks integrated in this process, in order: (chunk index, run summaries as dicts)."""
    problem = build_problem(request.state)
    for chunk in request.spec.chunks():
        if chunk.index not in skip:
            yield chunk.index, [r.to_dict() for r in run_chunk(problem, chunk)]


def celery_chunks(request: SweepRequest, skip: frozenset[int] = frozenset()) -> ChunkStream:
    """Chunks as Celery tasks on the chunk queue, yielded as they finish (any order).

    A chunk whose task failed (its worker lost Redis while storing the result, say) is sent
    again, up to CHUNK_ATTEMPTS times. When Redis loses its data (a restart without
    persistence: a marker this job keeps there is gone) every chunk not collected yet is sent
    again, since its message and result went with it. Chunks still outstanding when the job
    stops (cancel, error) are revoked."""
    from app.basin.tasks import redis_client, revoke, submit_chunks

    specs = {c.index: c for c in request.spec.chunks() if c.index not in skip}
    client = redis_client()
    marker = f"linflow:basin:marker:{uuid.uuid4().hex}"

    def send(indices: list[int]) -> dict[int, Any]:
        retrying(lambda: client.set(marker, 1, ex=JOB_TTL))
        sent = retrying(lambda: submit_chunks(request.query, [specs[k] for k in indices]))
        return dict(zip(indices, sent, strict=True))

    pending = send(sorted(specs))
    attempts = dict.fromkeys(specs, 1)
    try:
        while pending:
            if not retrying(lambda: client.exists(marker)):  # Redis lost its data
                log.warning("Redis lost its data: sending %d chunks again", len(pending))
                pending = send(sorted(pending))
            ready = False
            for k, res in list(pending.items()):
                state = retrying(getattr, res, "state")
                if state == "SUCCESS":
                    # Waiting on a task from a task is safe: jobs and chunks are served by
                    # separate pools (`linflow worker`), so a job never holds its chunk's slot.
                    part = retrying(res.get, disable_sync_subtasks=False)
                    del pending[k]
                    ready = True
                    yield k, part
                elif state in ("FAILURE", "REVOKED"):
                    if attempts[k] >= CHUNK_ATTEMPTS:
                        raise RuntimeError(f"chunk {k} failed {attempts[k]} times ({state})")
                    attempts[k] += 1
                    pending.update(send([k]))
            if not ready:
                time.sleep(CHUNK_POLL)
    finally:
        if pending:
            with contextlib.suppress(Exception):
                revoke([res.id for res in pending.values()])


@contextlib.contextmanager
def _exit_on_sigterm() -> Iterator[None]:
    """Cancel terminates a Celery job with SIGTERM; turn it into SystemExit so cleanup runs
    (outstanding chunks revoked, the job slot and lease freed)."""
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


def _chunk_source() -> Callable[[SweepRequest, frozenset[int]], ChunkStream]:
    from app.redis_url import redis_url

    return celery_chunks if redis_url() else local_chunks


def _resumed(shared: JobStore, request: SweepRequest) -> dict[int, list[dict]]:
    """The chunks a previous job of this sweep finished before it stopped."""
    partial = retrying(lambda: shared.get(f"partial:{request.key}"))
    if not isinstance(partial, dict) or partial.get("request") != request.to_json():
        return {}
    size = request.spec.chunk_size
    by_chunk: dict[int, list[dict]] = {int(k): [] for k in partial.get("chunks", [])}
    for run in partial.get("runs", []):
        by_chunk.setdefault(int(run["index"]) // size, []).append(run)
    return by_chunk


def _lead(
    shared: JobStore, request: SweepRequest, set_progress: Callable[[list[Any]], None]
) -> list[Any]:
    """Compute the sweep (resuming what a stopped job left), chunk by chunk."""
    key, total = request.key, request.spec.total
    by_chunk = _resumed(shared, request)
    t0 = time.perf_counter()
    chunks = _chunk_source()(request, frozenset(by_chunk))
    with _exit_on_sigterm(), contextlib.closing(chunks):
        for k, part in chunks:
            by_chunk[k] = part
            done = sum(len(v) for v in by_chunk.values())
            payload = _payload(request, by_chunk, complete=False)
            retrying(shared.set, f"partial:{key}", payload, expire=JOB_TTL)
            row = _progress_row(key, done, total, time.perf_counter() - t0)
            retrying(shared.set, f"progress:{key}", row, expire=JOB_TTL)
            retrying(set_progress, row)
    final = _payload(request, by_chunk, complete=True, seconds=time.perf_counter() - t0)
    retrying(lambda: shared.set(f"result:{key}", final, expire=JOB_TTL))
    return [reference(key, len(final["runs"]), True), ""]


def _follow(
    shared: JobStore, key: str, me: str, set_progress: Callable[[list[Any]], None]
) -> list[Any] | None:
    """An identical sweep is being computed: show its progress and share its result. None when
    its job stopped without finishing (the caller then takes over)."""
    while True:
        result = retrying(lambda: shared.get(f"result:{key}"))
        if result is not None:
            return [reference(key, len(result["runs"]), True), ""]
        row = retrying(lambda: shared.get(f"progress:{key}"))
        if row is not None:
            retrying(set_progress, row)
        if retrying(lambda: shared.claim(f"running:{key}", me, LEASE_TTL)):
            return None  # its job is gone: this one holds the lease now
        time.sleep(FOLLOW_POLL)


def run_sweep(
    set_progress: Callable[[list[Any]], None],
    n_clicks: int | None,
    search: str | None,
    runs: Any,
    scales: Any,
    seed: Any,
) -> list[Any]:
    """The background job: [a reference to the result, or no_update; a message]. Errors of
    every kind end as a message, never as a failed job."""
    request, error = parse_sweep(search, runs, scales, seed)
    if request is None:
        return [no_update, error]
    try:
        with contextlib.closing(job_store()) as shared:
            return _run(shared, request, set_progress)
    except Exception as exc:
        log.exception("sweep %s failed", request.key)
        return [no_update, f"The sweep failed ({type(exc).__name__}: {exc}); press Start again."]


def _run(
    shared: JobStore, request: SweepRequest, set_progress: Callable[[list[Any]], None]
) -> list[Any]:
    key = request.key
    result = retrying(lambda: shared.get(f"result:{key}"))
    if result is not None:
        return [reference(key, len(result["runs"]), True), ""]
    slots = JobSlots(shared, max_jobs())
    me = slots.job
    if not retrying(slots.acquire):
        return [
            no_update,
            f"{max_jobs()} jobs are already running on this instance; try again later",
        ]
    lease = f"running:{key}"

    def renew() -> None:
        slots.renew()
        shared.renew(lease, me, LEASE_TTL)

    try:
        with heartbeat(renew):
            while True:
                if retrying(lambda: shared.claim(lease, me, LEASE_TTL)):
                    try:
                        return _lead(shared, request, set_progress)
                    finally:
                        with contextlib.suppress(Exception):
                            shared.release(lease, me)
                followed = _follow(shared, key, me, set_progress)
                if followed is not None:
                    return followed
    finally:
        with contextlib.suppress(Exception):
            slots.release()
