"""Dash's background-job managers, made to end every job: a job that finished is shown, a job
that is running is waited for (through a Redis blip too), and a job that is gone without a result
(its process killed, its worker lost with Redis's memory) is reported as failed, instead of the
browser polling forever or giving up in silence.

Both background callbacks of the app (the sweep and the escape experiment) have the outputs
[result, message], so a lost job is answered with [no_update, LOST].
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from dash import CeleryManager, DiskcacheManager, no_update

from app.basin.store import LEASE_TTL, REDIS_PREFIX

LOST = (
    "This job stopped without a result (its worker or the job queue went away); "
    "press Start to run it again."
)
SUBMITTED_TTL = 6 * 3600  # how long a submitted job is known to the web side
SUSPECT_GRACE = 3 * 5.0  # seconds a job may look gone before it is reported lost (3 beats)


def lost_output() -> list[Any]:
    return [no_update, LOST]


def alive_key(job: str) -> str:
    """Where a running Celery job's heartbeat is (``app.basin.store.heartbeat``)."""
    return f"{REDIS_PREFIX}alive:{job}"


class LinflowDiskcacheManager(DiskcacheManager):
    """Local job processes: a process that ended without a result (killed, crashed) is a
    failed job; one cancelled from the page is not reported."""

    def terminate_job(self, job: Any) -> None:
        if job is not None:
            self.handle.set(f"linflow-ended-{job}", 1, expire=3600)
        super().terminate_job(job)

    def get_result(self, key: str, job: Any) -> Any:
        result = super().get_result(key, job)
        if result is not self.UNDEFINED or job is None or self.job_running(job):
            return result
        result = super().get_result(key, job)  # it may have written its result as it ended
        if result is self.UNDEFINED and self.handle.get(f"linflow-ended-{job}") is None:
            return lost_output()
        return result


class LinflowCeleryManager(CeleryManager):
    """Celery jobs: polls survive Redis not answering (the job is then still running, as far
    as the page knows); a job Redis no longer knows of (no submission record, no heartbeat:
    Redis restarted without its data, and the job's worker died with it) is reported lost."""

    def __init__(self, celery_app: Any, url: str, **kwargs: Any) -> None:
        import redis

        super().__init__(celery_app, **kwargs)
        self.redis = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)

    @staticmethod
    def _transient() -> tuple[type[BaseException], ...]:
        from app.basin.jobs import transient_errors

        return transient_errors()

    def call_job_fn(self, key: str, job_fn: Any, args: Any, context: Any) -> Any:
        job = super().call_job_fn(key, job_fn, args, context)
        with contextlib.suppress(*self._transient()):
            self.redis.set(f"{REDIS_PREFIX}submitted:{job}", time.time(), ex=SUBMITTED_TTL)
        return job

    def _lost(self, job: str) -> bool:
        """Whether Redis has lost every trace of ``job`` for longer than a few heartbeats."""
        if self.redis.exists(f"{REDIS_PREFIX}submitted:{job}", alive_key(job)):
            return False
        suspect = f"{REDIS_PREFIX}suspect:{job}"
        self.redis.set(suspect, time.time(), nx=True, ex=int(10 * LEASE_TTL))
        since = float(self.redis.get(suspect) or time.time())
        return time.time() - since > SUSPECT_GRACE

    def job_running(self, job: Any) -> bool:
        try:
            running = bool(super().job_running(job))
            return running and not (self.get_task(job).status == "PENDING" and self._lost(job))
        except self._transient():
            return True  # Redis is not answering: keep waiting for the job

    def get_result(self, key: str, job: Any) -> Any:
        try:
            result = super().get_result(key, job)
            if result is not self.UNDEFINED or job is None or self.job_running(job):
                return result
            result = super().get_result(key, job)  # it may have written its result as it ended
            if result is self.UNDEFINED and not self.redis.exists(f"{REDIS_PREFIX}cancelled:{job}"):
                return lost_output()
            return result
        except self._transient():
            return self.UNDEFINED

    def get_progress(self, key: str) -> Any:
        try:
            return super().get_progress(key)
        except self._transient():
            return None

    def get_updated_props(self, key: str) -> Any:
        try:
            return super().get_updated_props(key)
        except self._transient():
            return {}

    def terminate_job(self, job: Any) -> None:
        with contextlib.suppress(*self._transient()):
            if job is not None:
                self.redis.set(f"{REDIS_PREFIX}cancelled:{job}", 1, ex=3600)
            super().terminate_job(job)
