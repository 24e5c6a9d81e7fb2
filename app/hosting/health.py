"""Health of an instance: ``/health`` (liveness: this process answers; costs nothing) and
``/health/ready`` (readiness: Redis and the Celery pools answer). Readiness is checked at most
once per READY_TTL seconds per process, by one thread, the others answering with the last
result: pollers cannot slow the app down by asking often."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, jsonify

from app.explorer.cache import CACHE_EXTENSION
from app.redis_url import redis_url

READY_TTL = 10.0  # seconds a readiness answer is reused
PING_TIMEOUT = 1.0  # seconds the Celery pools have to answer a readiness check
READY_EXTENSION = "linflow_readiness"


def worker_pools(replies: list[dict[str, Any]]) -> str:
    """'ok (...)' when the Celery pools answering a ping can run an app sweep: at least one jobs
    pool and one chunks pool (``linflow worker`` names them jobs-PID@host and chunks-PID@host)."""
    names = [name for reply in replies for name in reply]
    jobs = sum(1 for n in names if n.startswith("jobs-"))
    chunks = sum(1 for n in names if n.startswith("chunks-"))
    if not names:
        return "no Celery workers answer: background jobs will wait"
    if not jobs:
        return f"no jobs pool answers (chunk pools: {chunks}): app sweeps will wait"
    if not chunks:
        return f"no chunk pool answers (jobs pools: {jobs}): sweeps will wait for chunks"
    return f"ok (jobs pools: {jobs}, chunk pools: {chunks})"


def readiness_checks(results: Any) -> dict[str, str]:
    """Named checks: 'ok ...', or a sentence saying what is degraded."""
    checks: dict[str, str] = {}
    try:
        results.ping()
        checks["cache"] = f"ok ({results.kind})"
    except Exception as exc:
        what = "Redis unreachable" if results.kind == "redis" else "cache folder not writable"
        checks["cache"] = f"{what} ({type(exc).__name__}): results are computed without the cache"
    if redis_url():
        try:
            from app.basin.tasks import celery_app

            checks["workers"] = worker_pools(celery_app().control.ping(timeout=PING_TIMEOUT))
        except Exception as exc:
            checks["workers"] = f"cannot reach the job queue ({type(exc).__name__})"
    else:
        checks["workers"] = "ok (local background processes)"
    return checks


class Readiness:
    """The last readiness answer of this process, renewed by one thread when older than ``ttl``."""

    def __init__(self, check: Callable[[], dict[str, str]], ttl: float = READY_TTL) -> None:
        self.check, self.ttl = check, ttl
        self.lock = threading.Lock()
        self.checks: dict[str, str] | None = None
        self.at = 0.0

    def get(self) -> dict[str, str]:
        if self.checks is not None and time.monotonic() - self.at < self.ttl:
            return self.checks
        # One thread checks; while it does, the others answer with the previous result.
        if not self.lock.acquire(blocking=self.checks is None):
            return self.checks  # type: ignore[return-value]
        try:
            if self.checks is None or time.monotonic() - self.at >= self.ttl:
                self.checks, self.at = self.check(), time.monotonic()
            return self.checks
        finally:
            self.lock.release()


def live() -> tuple[Response, int]:
    return jsonify({"status": "ok"}), 200


def ready() -> tuple[Response, int]:
    checks = current_app.extensions[READY_EXTENSION].get()
    degraded = {k: v for k, v in checks.items() if not v.startswith("ok")}
    body = {"status": "degraded" if degraded else "ok", "checks": checks}
    return jsonify(body), (503 if degraded else 200)


def configure(server: Flask, ttl: float = READY_TTL) -> None:
    results = server.extensions[CACHE_EXTENSION]
    server.extensions[READY_EXTENSION] = Readiness(lambda: readiness_checks(results), ttl)
    server.add_url_rule("/health", "health", live)
    server.add_url_rule("/health/ready", "ready", ready)
