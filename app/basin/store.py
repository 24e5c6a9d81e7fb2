"""The store basin-lab jobs coordinate through: a diskcache folder on one machine, or Redis when
LINFLOW_REDIS_URL is set (jobs then run on Celery workers, possibly on other machines).

Both stores offer the same small interface: ``get``, ``set(key, value, expire)``, ``add`` (set
only if absent, atomically; returns whether it did), ``delete``, ``close``, and a counted set of
job slots (``acquire_slot`` / ``release_slot``) whose entries expire, so a job killed without
cleanup frees its slot after ``ttl`` seconds.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any, Protocol

from app.paths import private_dir

REDIS_PREFIX = "linflow:basin:"  # every key this module writes in Redis starts with this
SLOTS_KEY = REDIS_PREFIX + "slots"  # sorted set: job id -> expiry time (unix seconds)

# Atomically: drop expired slots, then take one if fewer than ARGV[2] are held.
_ACQUIRE_LUA = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
return 1
"""


def jobs_dir() -> Path:
    return private_dir("jobs")


class JobStore(Protocol):
    def get(self, key: str) -> Any: ...
    def set(self, key: str, value: Any, expire: float) -> None: ...
    def add(self, key: str, value: Any, expire: float) -> bool: ...
    def delete(self, key: str) -> None: ...
    def acquire_slot(self, job: str, limit: int, ttl: float) -> bool: ...
    def release_slot(self, job: str) -> None: ...
    def close(self) -> None: ...


class DiskStore:
    """diskcache under ``jobs_dir()``: shared by the processes of one machine."""

    def __init__(self) -> None:
        import diskcache

        root = jobs_dir()
        self.cache = diskcache.Cache(str(root / "shared"))
        self.slots = diskcache.Cache(str(root / "slots"))

    def get(self, key: str) -> Any:
        return self.cache.get(key)

    def set(self, key: str, value: Any, expire: float) -> None:
        self.cache.set(key, value, expire=expire)

    def add(self, key: str, value: Any, expire: float) -> bool:
        return bool(self.cache.add(key, value, expire=expire))

    def delete(self, key: str) -> None:
        self.cache.delete(key)

    def acquire_slot(self, job: str, limit: int, ttl: float) -> bool:
        with self.slots.transact():
            self.slots.expire()
            if sum(1 for _ in self.slots.iterkeys()) >= limit:
                return False
            self.slots.set(job, time.time(), expire=ttl)
            return True

    def release_slot(self, job: str) -> None:
        self.slots.delete(job)

    def close(self) -> None:
        self.cache.close()
        self.slots.close()


class RedisStore:
    """Redis: shared by every web and worker process pointing at the same server. Values are
    JSON (sweep payloads are plain dicts, lists and numbers)."""

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url)

    def get(self, key: str) -> Any:
        raw = self.client.get(REDIS_PREFIX + key)
        return None if raw is None else json.loads(raw)

    def set(self, key: str, value: Any, expire: float) -> None:
        self.client.set(REDIS_PREFIX + key, json.dumps(value), ex=int(expire))

    def add(self, key: str, value: Any, expire: float) -> bool:
        return bool(self.client.set(REDIS_PREFIX + key, json.dumps(value), ex=int(expire), nx=True))

    def delete(self, key: str) -> None:
        self.client.delete(REDIS_PREFIX + key)

    def acquire_slot(self, job: str, limit: int, ttl: float) -> bool:
        now = time.time()
        taken = self.client.eval(_ACQUIRE_LUA, 1, SLOTS_KEY, now, limit, now + ttl, job)
        return bool(taken)

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
    """One job's claim on a slot: at most ``limit`` sweeps at once across every process that
    shares ``store``."""

    def __init__(self, store: JobStore, limit: int, ttl: float) -> None:
        self.store, self.limit, self.ttl = store, limit, ttl
        self.job = f"job:{uuid.uuid4().hex}"

    def acquire(self) -> bool:
        return self.store.acquire_slot(self.job, self.limit, self.ttl)

    def release(self) -> None:
        self.store.release_slot(self.job)
