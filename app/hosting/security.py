"""What a hosted instance needs: security headers and a CSP the app's own pages satisfy, a
request size cap, and /health.

Settings (environment variables):
    LINFLOW_MAX_REQUEST_BYTES  largest request body accepted (default 2 MB; uploads included)
    LINFLOW_SECRET_KEY         Flask secret key (default: random per process)
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
from typing import Any

from flask import Flask, Response, current_app, jsonify

from app.limits import MAX_REQUEST_BYTES

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", re.S)
DATA_TYPES = ("application/json",)  # script blocks that hold data, not code

# 'unsafe-eval': plotly.js compiles WebGL shaders (3-D scenes, surfaces) with Function().
# Inline styles: plotly and Dash set style attributes on the fly.
CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-eval' {hashes}; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
    "connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def _script_hashes(html: str) -> list[str]:
    out = []
    for attrs, body in INLINE_SCRIPT.findall(html):
        if any(t in attrs for t in DATA_TYPES) or not body.strip():
            continue
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        out.append(f"'sha256-{digest}'")
    return out


def security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if response.mimetype == "text/html" and not response.direct_passthrough:
        hashes = " ".join(_script_hashes(response.get_data(as_text=True)))
        response.headers["Content-Security-Policy"] = CSP.format(hashes=hashes)
    return response


def health_checks() -> dict[str, str]:
    """Named checks: 'ok', or a sentence saying what is degraded."""
    checks: dict[str, str] = {}
    cache = current_app.extensions.get("linflow_cache")
    if cache is not None and cache.config.get("CACHE_TYPE") == "RedisCache":
        try:
            cache.cache._write_client.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"Redis unreachable ({type(exc).__name__}): results are computed "
            "without the cache"
    url = os.environ.get("LINFLOW_REDIS_URL")
    if url:
        try:
            from app.basin.tasks import celery_app

            checks["workers"] = worker_pools(celery_app().control.ping(timeout=1.0))
        except Exception as exc:
            checks["workers"] = f"cannot reach the job queue ({type(exc).__name__})"
    else:
        checks["workers"] = "ok (local background processes)"
    return checks


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


def health() -> tuple[Response, int]:
    checks = health_checks()
    degraded = {k: v for k, v in checks.items() if not v.startswith("ok")}
    body: dict[str, Any] = {"status": "degraded" if degraded else "ok", "checks": checks}
    return jsonify(body), (503 if degraded else 200)


def configure(server: Flask) -> None:
    server.config["MAX_CONTENT_LENGTH"] = int(
        os.environ.get("LINFLOW_MAX_REQUEST_BYTES", MAX_REQUEST_BYTES)
    )
    server.secret_key = os.environ.get("LINFLOW_SECRET_KEY") or secrets.token_hex(32)
    server.after_request(security_headers)
    server.add_url_rule("/health", "health", health)
