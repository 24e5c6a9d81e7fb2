"""The store basin-lab jobs coordinate through: a diskcache folder on one machine, or Redis when
LINFLOW_REDIS_URL is set (jobs then run on Celery workers, possibly on other machines).

Both stores offer the same small interface: ``get``, ``set(key, value, expire)``, ``delete``,
``close``; leases (``claim`` / ``renew`` / ``release``: who computes a sweep) and job slots
(``acquire_slot`` / ``renew_slot`` / ``release_slot``: at most so many jobs at once). Leases and
slots are held by a process (:func:`holder_id`) and expire ``ttl`` seconds after their last
renewal (a job renews them every few seconds, :class:`Heartbeat`); one held by a process of this
machine that is gone is free at once, whatever killed it (Cancel sends SIGKILL to a local job).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import psutil

from app.paths import private_dir

REDIS_PREFIX = "linflow:basin:"  # every key this module writes in Redis starts with this
SLOTS_KEY = REDIS_PREFIX + "slots"  # sorted set: job slot -> expiry time (unix seconds)
LEASE_TTL = 30.0  # seconds a lease or slot lives after its last renewal
RENEW_EVERY = 5.0  # seconds between a job's renewals

# Atomically: drop expired slots, then take one if fewer than ARGV[2] are held.
_ACQUIRE_LUA = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
return 1
"""
# Renew a lease held by ARGV[1], or take it again if it vanished (Redis restarted empty).
_RENEW_LUA = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if not holder then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0
"""
_RELEASE_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def jobs_dir() -> Path:
    return private_dir("jobs")


def holder_id() -> str:
    """This process, as leases and slots name their holder: host, PID, start time, and a
    random tag (several jobs may run in one process)."""
    started = psutil.Process().create_time()
    return f"{socket.gethostname()}|{os.getpid()}|{started:.3f}|{uuid.uuid4().hex[:8]}"


def holder_alive(holder: str) -> bool | None:
    """Whether the holder's process still runs: True or False on this machine, None (unknown)
    for another machine's (its lease then lives until it expires)."""
    try:
        host, pid, started, _ = holder.split("|")
    except ValueError:
        return False
    if host != socket.gethostname():
        return None
    try:
        proc = psutil.Process(int(pid))
        return abs(proc.create_time() - float(started)) < 0.01 and (
            proc.status() != psutil.STATUS_ZOMBIE
        )
    except (psutil.Error, ValueError):
        return False


def current_task_id() -> str | None:
    """The id of the Celery task this code runs in (a job on a worker), else None."""
    try:
        from celery import current_task
    except ImportError:  # pragma: no cover - celery is a dependency
        return None
    task_id = getattr(getattr(current_task, "request", None), "id", None)
    return str(task_id) if task_id else None


class JobStore(Protocol):
    def get(self, key: str) -> Any: ...
    def set(self, key: str, value: Any, expire: float) -> None: ...
    def delete(self, key: str) -> None: ...
    def claim(self, name: str, holder: str, ttl: float) -> bool: ...
    def renew(self, name: str, holder: str, ttl: float) -> bool: ...
    def release(self, name: str, holder: str) -> None: ...
    def acquire_slot(self, job: str, limit: int, ttl: float) -> bool: ...
    def renew_slot(self, job: str, ttl: float) -> None: ...
    def release_slot(self, job: str) -> None: ...
    def close(self) -> None: ...


def _live(entry: Any, now: float) -> bool:
    """A lease or slot entry ({"holder", "expires"}) that still counts."""
    return (
        isinstance(entry, dict)
        and entry.get("expires", 0) > now
        and holder_alive(str(entry.get("holder"))) is not False
    )


class DiskStore:
    """diskcache under ``jobs_dir()``: shared by the processes of one machine."""

    def __init__(self) -> None:
        import diskcache

        root = jobs_dir()
        self.cache = diskcache.Cache(str(root / "shared"))
        self.leases = diskcache.Cache(str(root / "leases"))
        self.slots = diskcache.Cache(str(root / "slots"))

    def get(self, key: str) -> Any:
        return self.cache.get(key)

    def set(self, key: str, value: Any, expire: float) -> None:
        self.cache.set(key, value, expire=expire)

    def delete(self, key: str) -> None:
        self.cache.delete(key)

    def claim(self, name: str, holder: str, ttl: float) -> bool:
        with self.leases.transact():
            entry = self.leases.get(name)
            if _live(entry, time.time()) and entry["holder"] != holder:
                return False
            self.leases.set(name, {"holder": holder, "expires": time.time() + ttl})
            return True

    def renew(self, name: str, holder: str, ttl: float) -> bool:
        with self.leases.transact():
            entry = self.leases.get(name)
            if isinstance(entry, dict) and entry.get("holder") != holder:
                return False
            self.leases.set(name, {"holder": holder, "expires": time.time() + ttl})
            return True

    def release(self, name: str, holder: str) -> None:
        with self.leases.transact():
            entry = self.leases.get(name)
            if isinstance(entry, dict) and entry.get("holder") == holder:
                self.leases.delete(name)

    def acquire_slot(self, job: str, limit: int, ttl: float) -> bool:
        now = time.time()
        with self.slots.transact():
            held = 0
            for k in list(self.slots.iterkeys()):
                if _live(self.slots.get(k), now):
                    held += 1
                else:
                    self.slots.delete(k)  # expired, or its process is gone
            if held >= limit:
                return False
            self.slots.set(job, {"holder": job, "expires": now + ttl})
            return True

    def renew_slot(self, job: str, ttl: float) -> None:
        self.slots.set(job, {"holder": job, "expires": time.time() + ttl})

    def release_slot(self, job: str) -> None:
        self.slots.delete(job)

    def close(self) -> None:
        for c in (self.cache, self.leases, self.slots):
            c.close()


class RedisStore:
    """Redis: shared by every web and worker process pointing at the same server. Values are
    JSON (sweep payloads are plain dicts, lists and numbers)."""

    def __init__(self, url: str) -> None:
        import redis

        self.client: Any = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=10)

    def get(self, key: str) -> Any:
        raw = self.client.get(REDIS_PREFIX + key)
        return None if raw is None else json.loads(raw)

    def set(self, key: str, value: Any, expire: float) -> None:
        self.client.set(REDIS_PREFIX + key, json.dumps(value), ex=int(expire))

    def delete(self, key: str) -> None:
        self.client.delete(REDIS_PREFIX + key)

    def claim(self, name: str, holder: str, ttl: float) -> bool:
        key, px = REDIS_PREFIX + "lease:" + name, int(ttl * 1000)
        for _ in range(2):
            if self.client.set(key, holder, nx=True, px=px):
                return True
            current = self.client.get(key)
            if current is not None and current.decode() == holder:
                return bool(self.client.eval(_RENEW_LUA, 1, key, holder, px))
            if current is None or holder_alive(current.decode()) is not False:
                return False
            self.client.eval(_RELEASE_LUA, 1, key, current)  # its process is gone: take over
        return False

    def renew(self, name: str, holder: str, ttl: float) -> bool:
        key = REDIS_PREFIX + "lease:" + name
        return bool(self.client.eval(_RENEW_LUA, 1, key, holder, int(ttl * 1000)))

    def release(self, name: str, holder: str) -> None:
        self.client.eval(_RELEASE_LUA, 1, REDIS_PREFIX + "lease:" + name, holder)

    def acquire_slot(self, job: str, limit: int, ttl: float) -> bool:
        for member in self.client.zrange(SLOTS_KEY, 0, -1):
            if holder_alive(member.decode()) is False:
                self.client.zrem(SLOTS_KEY, member)  # its process on this machine is gone
        now = time.time()
        taken = self.client.eval(_ACQUIRE_LUA, 1, SLOTS_KEY, now, limit, now + ttl, job)
        return bool(taken)

    def renew_slot(self, job: str, ttl: float) -> None:
        self.client.zadd(SLOTS_KEY, {job: time.time() + ttl})

    def release_slot(self, job: str) -> None:
        self.client.zrem(SLOTS_KEY, job)

    def close(self) -> None:
        self.client.close()


def job_store() -> JobStore:
    """Redis when LINFLOW_REDIS_URL is set, else the local diskcache store."""
    from app.redis_url import redis_url

    url = redis_url()
    return RedisStore(url) if url else DiskStore()


class JobSlots:
    """One job's claim on a slot: at most ``limit`` jobs at once across every process that
    shares ``store``. The slot is held by this process (``holder``) and lives ``ttl`` seconds
    past its last renewal."""

    def __init__(
        self, store: JobStore, limit: int, ttl: float = LEASE_TTL, holder: str | None = None
    ) -> None:
        self.store, self.limit, self.ttl = store, limit, ttl
        self.job = holder or holder_id()
        self.task = current_task_id()

    def acquire(self) -> bool:
        return self.store.acquire_slot(self.job, self.limit, self.ttl)

    def renew(self) -> None:
        """Renew the slot (and tell the web side a Celery job is alive: its heartbeat)."""
        self.store.renew_slot(self.job, self.ttl)
        if self.task:
            self.store.set(f"alive:{self.task}", 1, expire=self.ttl)

    def release(self) -> None:
        self.store.release_slot(self.job)


@contextlib.contextmanager
def heartbeat(renew: Callable[[], None], every: float = RENEW_EVERY) -> Iterator[None]:
    """Call ``renew`` now and every ``every`` seconds from a thread while the block runs (a
    failing renewal, a Redis blip say, is tried again at the next beat)."""
    stop = threading.Event()

    def beat() -> None:
        while True:
            with contextlib.suppress(Exception):
                renew()
            if stop.wait(every):
                return

    thread = threading.Thread(target=beat, name="linflow-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=every + 1)
