"""The result cache of an instance: signed values, bounded in bytes, one computation per key.

Values are pickles (runs, analyses and figures are Python objects), so whoever can write the
store could run code in the app: every value is stored with an HMAC-SHA256 over its key and its
bytes, keyed with the instance secret (``app.hosting.secret``), and checked before anything is
unpickled; a value that fails the check is dropped as a miss.

Two backends with one interface (``get``, ``get_many``, ``set``, ``set_many``, ``lease``,
``ping``):

- :class:`DiskResults`: files in ``<cache dir>/results`` (mode 0700), the oldest deleted once
  the folder holds more than ``max_bytes``; leases are ``flock`` locks on one of 256 lock files,
  released by the kernel when their process dies;
- :class:`RedisResults`: keys ``linflow:cache:<key>`` with their sizes accounted in Redis (a
  sorted set by age and a running total, updated atomically by a script), the oldest evicted
  past ``max_bytes``; leases are ``SET NX PX`` keys that expire after ``ttl`` seconds.

A value larger than ``max_entry_bytes`` is not stored (the caller keeps its computed value).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import logging
import os
import pickle
import struct
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MAC_BYTES = 32  # HMAC-SHA256
EXPIRY = struct.Struct(">d")  # unix time after which a disk entry is stale
LOCK_STRIPES = 256  # lock files of the disk store (keys share them by hash)
PRUNE_TO = 0.8  # a full disk store is pruned down to this fraction of its cap
REDIS_PREFIX = "linflow:cache:"
REDIS_INDEX = "linflow:cache-index"  # sorted set: key -> time stored
REDIS_SIZES = "linflow:cache-sizes"  # hash: key -> bytes
REDIS_TOTAL = "linflow:cache-bytes"  # bytes of every accounted entry


class Signer:
    """HMAC-signed pickles: ``seal(key, value)`` -> bytes, ``open(key, blob)`` -> value or None."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret

    def _mac(self, key: str, payload: bytes) -> bytes:
        return hmac.new(self.secret, key.encode() + b"\x00" + payload, hashlib.sha256).digest()

    def seal(self, key: str, value: Any, prefix: bytes = b"") -> bytes:
        payload = prefix + pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        return self._mac(key, payload) + payload

    def open(self, key: str, blob: bytes | None) -> bytes | None:
        """The payload of ``blob`` once its signature is checked; None when missing or not
        signed by this instance for this key."""
        if not blob or len(blob) <= MAC_BYTES:
            return None
        mac, payload = blob[:MAC_BYTES], blob[MAC_BYTES:]
        if not hmac.compare_digest(mac, self._mac(key, payload)):
            log.warning("dropped a cache value with a bad signature (key %.80s)", key)
            return None
        return payload

    @staticmethod
    def load(payload: bytes | None) -> Any:
        """Unpickle a checked payload (None stays None)."""
        if payload is None:
            return None
        try:
            return pickle.loads(payload)
        except Exception:  # signed by us but unreadable (another version's classes): a miss
            return None


class DiskResults:
    """Signed entries in files, pruned by total bytes (see the module docstring)."""

    kind = "disk"

    def __init__(
        self, folder: Path, secret: bytes, *, timeout: float, max_bytes: int, max_entry_bytes: int
    ) -> None:
        self.folder = folder
        self.locks = folder / "locks"
        for path in (folder, self.locks):
            path.mkdir(parents=True, exist_ok=True)
            path.chmod(0o700)
        self.signer = Signer(secret)
        self.timeout, self.max_bytes, self.max_entry_bytes = timeout, max_bytes, max_entry_bytes

    def _path(self, key: str) -> Path:
        return self.folder / hashlib.sha256(key.encode()).hexdigest()

    def get(self, key: str) -> Any:
        path = self._path(key)
        try:
            blob = path.read_bytes()
        except OSError:
            return None
        payload = self.signer.open(key, blob)
        if payload is None or len(payload) < EXPIRY.size:
            return None
        if EXPIRY.unpack_from(payload)[0] < time.time():
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # least recently used goes first
        return self.signer.load(payload[EXPIRY.size :])

    def get_many(self, *keys: str) -> list[Any]:
        return [self.get(k) for k in keys]

    def set(self, key: str, value: Any) -> bool:
        blob = self.signer.seal(key, value, EXPIRY.pack(time.time() + self.timeout))
        if len(blob) > self.max_entry_bytes:
            return False
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob)
            os.replace(tmp, self._path(key))
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            return False
        self.prune()
        return True

    def set_many(self, values: Mapping[str, Any]) -> None:
        for key, value in values.items():
            self.set(key, value)

    def entries(self) -> list[tuple[float, int, Path]]:
        """(last use, bytes, path) of every entry."""
        out = []
        with os.scandir(self.folder) as it:
            for e in it:
                if e.is_file() and not e.name.startswith("."):
                    with contextlib.suppress(OSError):
                        st = e.stat()
                        out.append((st.st_mtime, st.st_size, Path(e.path)))
        return out

    def prune(self) -> None:
        entries = self.entries()
        total = sum(size for _, size, _ in entries)
        if total <= self.max_bytes:
            return
        for _, size, path in sorted(entries):
            with contextlib.suppress(OSError):
                path.unlink()
                total -= size
            if total <= PRUNE_TO * self.max_bytes:
                break

    @contextlib.contextmanager
    def lease(self, key: str, ttl: float) -> Iterator[bool | None]:
        """Hold the computation of ``key`` (True), or learn that another process or thread
        holds it (False); None when no lock can be had (the folder is gone). The kernel drops
        the lock with its process, whatever kills it."""
        stripe = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % LOCK_STRIPES
        try:
            fd = os.open(self.locks / f"{stripe}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            yield None
            return
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)  # closing releases the lock

    def ping(self) -> None:
        if not os.access(self.folder, os.W_OK):
            raise OSError(f"cannot write {self.folder}")


# Store one entry and keep the accounted total under the cap, atomically. KEYS: entry, index,
# sizes, total. ARGV: value, ttl (s), now (s), cap (bytes).
_SET_LUA = """
local ttl, now, cap = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local function forget(k)
  local size = tonumber(redis.call('HGET', KEYS[3], k) or '0')
  redis.call('HDEL', KEYS[3], k)
  redis.call('ZREM', KEYS[2], k)
  redis.call('DECRBY', KEYS[4], size)
end
for _, k in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - ttl)) do forget(k) end
forget(KEYS[1])
redis.call('SET', KEYS[1], ARGV[1], 'EX', ttl)
redis.call('HSET', KEYS[3], KEYS[1], string.len(ARGV[1]))
redis.call('ZADD', KEYS[2], now, KEYS[1])
redis.call('INCRBY', KEYS[4], string.len(ARGV[1]))
while tonumber(redis.call('GET', KEYS[4]) or '0') > cap do
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
  if not oldest or oldest == KEYS[1] then break end
  redis.call('DEL', oldest)
  forget(oldest)
end
return 1
"""
_RELEASE_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisResults:
    """Signed entries in Redis, accounted and evicted by bytes (see the module docstring)."""

    kind = "redis"

    def __init__(
        self, url: str, secret: bytes, *, timeout: float, max_bytes: int, max_entry_bytes: int
    ) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        self.signer = Signer(secret)
        self.timeout, self.max_bytes, self.max_entry_bytes = timeout, max_bytes, max_entry_bytes
        self._set = self.client.register_script(_SET_LUA)
        self._release = self.client.register_script(_RELEASE_LUA)

    def get(self, key: str) -> Any:
        blob: Any = self.client.get(REDIS_PREFIX + key)
        return self.signer.load(self.signer.open(key, blob))

    def get_many(self, *keys: str) -> list[Any]:
        blobs: list[Any] = self.client.mget([REDIS_PREFIX + k for k in keys]) if keys else []
        return [self.signer.load(self.signer.open(k, b)) for k, b in zip(keys, blobs, strict=True)]

    def set(self, key: str, value: Any) -> bool:
        blob = self.signer.seal(key, value)
        if len(blob) > self.max_entry_bytes:
            return False
        keys = [REDIS_PREFIX + key, REDIS_INDEX, REDIS_SIZES, REDIS_TOTAL]
        self._set(keys=keys, args=[blob, int(self.timeout), time.time(), self.max_bytes])
        return True

    def set_many(self, values: Mapping[str, Any]) -> None:
        for key, value in values.items():
            self.set(key, value)

    def stored_bytes(self) -> int:
        return int(self.client.get(REDIS_TOTAL) or 0)

    @contextlib.contextmanager
    def lease(self, key: str, ttl: float) -> Iterator[bool | None]:
        """Hold the computation of ``key`` for at most ``ttl`` seconds (True), or learn that
        another process holds it (False); None when Redis does not answer. A holder that dies
        frees it when the lease expires."""
        name, token = f"linflow:lease:{key}", uuid.uuid4().hex
        try:
            taken = self.client.set(name, token, nx=True, px=max(1, int(ttl * 1000)))
        except Exception:
            yield None
            return
        if not taken:
            yield False
            return
        try:
            yield True
        finally:
            with contextlib.suppress(Exception):
                self._release(keys=[name], args=[token])

    def ping(self) -> None:
        self.client.ping()
