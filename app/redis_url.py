"""LINFLOW_REDIS_URL, checked: the one place every Redis user of the app gets its URL from.

Whoever can write to the Redis of an instance can plant cache values and job results, so a URL
without a password is refused: unless its host is this machine (loopback or a Unix socket) and
the operator says so explicitly with ``LINFLOW_REDIS_NO_PASSWORD=1`` (a single-user machine, say).
"""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import parse_qs, urlsplit

REDIS_ENV = "LINFLOW_REDIS_URL"
NO_PASSWORD_ENV = "LINFLOW_REDIS_NO_PASSWORD"
SCHEMES = ("redis", "rediss", "unix")


class RedisURLError(ValueError):
    """A Redis URL the app refuses to use, with the reason and the fix."""


def _loopback(host: str | None) -> bool:
    if host in (None, ""):
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_redis_url(url: str) -> str:
    """``url`` when the app may use it; a :class:`RedisURLError` saying why not otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise RedisURLError(
            f"{REDIS_ENV} must start with redis://, rediss:// or unix://; got {url[:40]!r}"
        )
    if parts.password or parse_qs(parts.query).get("password"):
        return url
    local = parts.scheme == "unix" or _loopback(parts.hostname)
    if local and os.environ.get(NO_PASSWORD_ENV) == "1":
        return url
    where = "on this machine" if local else f"on {parts.hostname}"
    fix = (
        f"add one (redis://:PASSWORD@HOST:PORT/0), or set {NO_PASSWORD_ENV}=1 if nobody else "
        "can reach this Redis"
        if local
        else "add one (redis://:PASSWORD@HOST:PORT/0); a Redis on another machine always needs one"
    )
    raise RedisURLError(
        f"{REDIS_ENV} has no password, and the Redis {where} holds the instance's cache and "
        f"jobs (anyone who can write it can plant values): {fix}"
    )


def redis_url(explicit: str | None = None) -> str | None:
    """The checked Redis URL: ``explicit`` if given (an empty string means none), else
    LINFLOW_REDIS_URL; None when there is none (the embedded, Redis-free defaults)."""
    url = explicit if explicit is not None else os.environ.get(REDIS_ENV, "")
    return check_redis_url(url) if url else None
