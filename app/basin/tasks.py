"""The Celery app of a scaled-out instance (no dash, no flask): basin sweep chunks as tasks on
any number of ``linflow worker`` processes, and the queue Dash's background jobs run on.

Configured from LINFLOW_REDIS_URL (broker and result backend). Tasks and results are JSON (no
pickle). ``task_acks_late`` with ``task_reject_on_worker_lost``: a chunk whose worker dies is
redelivered and redone. Dash's background jobs use the default queue; chunks are routed to their
own queue (``linflow worker`` runs one pool for each). The Celery app is created lazily from the
environment.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

from celery import Celery

VISIBILITY_ENV = "LINFLOW_CELERY_VISIBILITY"  # seconds before an unacked chunk is redelivered
DEFAULT_VISIBILITY = 300  # longer than any chunk takes; a dead worker's chunk waits this long
JOB_QUEUE = "celery"  # Dash's background jobs (Celery's default queue): they wait on chunks
CHUNK_QUEUE = "linflow-chunks"  # sweep chunks; a separate pool serves them, so no job can hold
# every slot while its own chunks wait for one (the deadlock of tasks waiting on tasks)


def redis_url() -> str:
    from app.redis_url import redis_url as checked

    url = checked()
    if not url:
        raise RuntimeError("LINFLOW_REDIS_URL is not set: Celery needs a Redis server")
    return url


@lru_cache(maxsize=4)
def make_celery(url: str, visibility: int) -> Celery:
    app = Celery("linflow", broker=url, backend=url, include=["app.basin.tasks"])
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        # kombu looks for expired unacknowledged chunks on a timer; by default only every
        # 10th tick of 10 s (100 s). Scan every third of the visibility timeout instead.
        broker_transport_options={
            "visibility_timeout": visibility,
            "unacked_restore_interval": max(1, min(10, visibility // 3)),
            "unacked_restore_throttle": 1,
        },
        result_expires=24 * 3600,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a worker waits for Redis however long it is away
        # Redis operations that hang on a dead connection fail after this and are retried.
        redis_socket_timeout=15,
        redis_socket_connect_timeout=5,
        redis_retry_on_timeout=True,
        worker_hijack_root_logger=False,
        task_default_queue=JOB_QUEUE,
        task_routes={"linflow.sweep_chunk": {"queue": CHUNK_QUEUE}},
    )
    app.task(name="linflow.sweep_chunk")(sweep_chunk)
    return app


def celery_app() -> Celery:
    return make_celery(redis_url(), int(os.environ.get(VISIBILITY_ENV, DEFAULT_VISIBILITY)))


def sweep_chunk(query: str, chunk: dict) -> list[dict]:
    """One chunk of a sweep (a ``ChunkSpec`` as JSON); the problem travels as its (small) URL
    query, not as arrays."""
    from app.computation import build_problem
    from app.state import decode
    from core.basins import ChunkSpec, run_chunk

    state, _ = decode(query)
    return [r.to_dict() for r in run_chunk(build_problem(state), ChunkSpec.from_json(chunk))]


def submit_chunks(query: str, chunks: list[Any]) -> list[Any]:
    """Send every chunk (``ChunkSpec``) as a task; returns the AsyncResults in chunk order."""
    task = celery_app().tasks["linflow.sweep_chunk"]
    return [task.apply_async(args=(query, c.to_json())) for c in chunks]


def redis_client() -> Any:
    """The Redis client of the result backend (the job uses it to notice Redis losing data)."""
    return celery_app().backend.client


def revoke(task_ids: list[str]) -> None:
    """Discard chunks not yet started (a cancelled or failed job); running ones finish."""
    if task_ids:
        celery_app().control.revoke(task_ids)


# `celery -A app.basin.tasks worker` finds this attribute; `linflow worker` uses it too.
app = celery_app() if os.environ.get("LINFLOW_REDIS_URL") else None
