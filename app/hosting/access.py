"""Who may use a hosted instance, and how much: an optional login and per-client rate limits.

A hosted instance is shared with collaborators, not the world. Login is off unless one of these
is set (both may not be):

- ``LINFLOW_AUTH_FILE``: a file of ``user:hash`` lines, the hashes made by
  ``werkzeug.security.generate_password_hash`` (``linflow passwd USER`` prints a line). Every
  route (pages, assets, ``/_dash-update-component``, hence every download) asks for HTTP Basic
  credentials, except ``/health`` (liveness: answers nothing but "ok"). Basic sends the
  password with every request: serve it over TLS (the reverse proxy). A password is checked
  once per process (hashing is slow on purpose); later requests match a keyed digest of it.
- ``LINFLOW_AUTH_HEADER`` (e.g. ``X-Remote-User``): the reverse proxy logs users in (its own
  basic auth, SSO, a client certificate) and puts the user's name in this header; a request
  without it is refused. Only safe when the app can be reached through the proxy alone (bind
  127.0.0.1) and the proxy sets the header on every request (so a client cannot send its own).

Rate limit: a client (its user when logged in, else its address) may start at most
``LINFLOW_RATE_PER_MINUTE`` computations (callback requests: a new run in the explorer is two,
its runs and its end; polls of a running background job do not count) in a minute, counted in
Redis or the private cache folder so that every worker shares the count; over it the answer is
429 with Retry-After. Behind a proxy without login every client has the proxy's address: limit
per client in the proxy then (nginx ``limit_req``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import time
from pathlib import Path
from typing import Any

from flask import Flask, Response, request

from app import limits
from app.hosting.secret import derived_key, instance_secret
from app.paths import private_dir

log = logging.getLogger(__name__)

AUTH_FILE_ENV = "LINFLOW_AUTH_FILE"
AUTH_HEADER_ENV = "LINFLOW_AUTH_HEADER"
RATE_ENV = "LINFLOW_RATE_PER_MINUTE"
OPEN_PATHS = ("/health",)  # answered without login
CALLBACK_PATH = "/_dash-update-component"
EXTENSION = "linflow_access"
MAX_REMEMBERED = 1000  # checked credentials remembered per process
WINDOW = 60  # seconds of one rate-limit window


class AccessError(RuntimeError):
    """The login configuration cannot be used (the message says why)."""


def read_users(path: str) -> dict[str, str]:
    """``user -> password hash`` from an auth file (blank lines and ``#`` comments skipped)."""
    users: dict[str, str] = {}
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise AccessError(f"{AUTH_FILE_ENV}={path} cannot be read ({exc})") from None
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, hashed = line.partition(":")
        if not sep or not user or "$" not in hashed:
            raise AccessError(
                f"{path}, line {number}: expected user:hash (a hash from `linflow passwd USER`)"
            )
        users[user] = hashed
    if not users:
        raise AccessError(f"{path} lists no users: nobody could log in")
    return users


class RateCounter:
    """Requests per client and window, shared by every process of the instance."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self._redis: Any = None
        self._disk: Any = None

    def count(self, client: str, window: int) -> int:
        name = hashlib.sha256(client.encode()).hexdigest()[:32]
        if self.url:
            if self._redis is None:
                import redis

                self._redis = redis.Redis.from_url(
                    self.url, socket_connect_timeout=1, socket_timeout=1
                )
            key = f"linflow:rate:{name}:{window}"
            pipe = self._redis.pipeline()
            pipe.incr(key)
            pipe.expire(key, 2 * WINDOW)
            return int(pipe.execute()[0])
        if self._disk is None:
            import diskcache

            self._disk = diskcache.Cache(str(private_dir("rate")))
        key = f"{name}:{window}"
        self._disk.add(key, 0, expire=2 * WINDOW)
        return int(self._disk.incr(key))


class Access:
    """The login and the rate limit of one app (held in ``server.extensions``)."""

    def __init__(self, redis_url: str | None) -> None:
        auth_file = os.environ.get(AUTH_FILE_ENV, "")
        self.header = os.environ.get(AUTH_HEADER_ENV, "").strip()
        if auth_file and self.header:
            raise AccessError(f"set {AUTH_FILE_ENV} or {AUTH_HEADER_ENV}, not both")
        self.users = read_users(auth_file) if auth_file else {}
        self.key = derived_key(instance_secret(), "login")
        self.remembered: set[bytes] = set()
        self.per_minute = int(os.environ.get(RATE_ENV, limits.RATE_PER_MINUTE))
        self.counter = RateCounter(redis_url)

    def user(self) -> str | None:
        """The logged-in user of this request, "" when login is off, None when refused."""
        if self.header:
            name = request.headers.get(self.header, "").strip()
            return name or None
        if not self.users:
            return ""
        auth = request.authorization
        if auth is None or auth.type != "basic" or not auth.username:
            return None
        name, password = auth.username, auth.password or ""
        digest = hmac.new(self.key, f"{name}\0{password}".encode(), hashlib.sha256).digest()
        if digest in self.remembered:
            return name
        from werkzeug.security import check_password_hash

        hashed = self.users.get(name)
        if hashed is None or not check_password_hash(hashed, password):
            return None
        if len(self.remembered) >= MAX_REMEMBERED:
            self.remembered.clear()
        self.remembered.add(digest)
        return name

    def limited(self, client: str) -> Response | None:
        """429 when ``client`` has used up this minute's computations, else None."""
        if self.per_minute <= 0:
            return None
        now = time.time()
        window = int(now // WINDOW)
        try:
            n = self.counter.count(client, window)
        except Exception as exc:  # the counter's store is away: do not lock everyone out
            log.warning("rate limit not counted (%s)", type(exc).__name__)
            return None
        if n <= self.per_minute:
            return None
        wait = int(WINDOW * (window + 1) - now) + 1
        return Response(
            f"Too many computations from this client: at most {self.per_minute} a minute "
            f"(LINFLOW_RATE_PER_MINUTE); try again in {wait} s.",
            429,
            {"Retry-After": str(wait)},
            mimetype="text/plain",
        )

    def check(self) -> Response | None:
        """The before-request hook."""
        if request.path in OPEN_PATHS:
            return None
        user = self.user()
        if user is None:
            if self.header:
                return Response(
                    "This instance is reached through its reverse proxy's login.",
                    403,
                    mimetype="text/plain",
                )
            return Response(
                "Log in to use this instance.",
                401,
                {"WWW-Authenticate": 'Basic realm="linflow", charset="UTF-8"'},
                mimetype="text/plain",
            )
        if request.path == CALLBACK_PATH and "cacheKey" not in request.args:
            return self.limited(f"user:{user}" if user else f"addr:{request.remote_addr}")
        return None


def configure(server: Flask, redis_url: str | None) -> None:
    """Login and rate limits on every request of ``server``."""
    access = Access(redis_url)
    server.extensions[EXTENSION] = access
    server.before_request(access.check)


def password_line(user: str, password: str) -> str:
    """A line of an auth file for ``user``."""
    from werkzeug.security import generate_password_hash

    if not user or ":" in user or user != user.strip():
        raise AccessError("a user name must be non-empty, without ':' or surrounding spaces")
    if len(password) < 8:
        raise AccessError("a password must have at least 8 characters")
    return f"{user}:{generate_password_hash(password)}"
