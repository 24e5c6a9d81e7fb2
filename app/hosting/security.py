"""What a hosted instance needs: security headers and a CSP the app's own pages satisfy, a
request size cap, one secret for every worker, and callback requests checked before Dash sees
them (an unknown callback id is a 400, not a server error).

Settings (environment variables):
    LINFLOW_MAX_REQUEST_BYTES  largest request body accepted (default 2 MB; uploads included)
    LINFLOW_SECRET_KEY         the instance secret (default: made once in the cache folder)
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from typing import Any

from flask import Response, jsonify, request

from app.hosting.secret import instance_secret
from app.limits import MAX_REQUEST_BYTES

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", re.S)
DATA_TYPES = ("application/json",)  # script blocks that hold data, not code
CALLBACK_PATH = "/_dash-update-component"

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


def _well_formed(body: Any) -> bool:
    """Inputs and states as Dash's renderer sends them: lists of {id, property, ...} (or of
    such lists, for pattern-matching ids)."""

    def item(x: Any) -> bool:
        if isinstance(x, list):
            return all(isinstance(y, dict) and "id" in y and "property" in y for y in x)
        return isinstance(x, dict) and "id" in x and "property" in x

    parts = [body.get("inputs", []), body.get("state", [])]
    return all(isinstance(p, list) and all(item(x) for x in p) for p in parts)


def callback_check(app: Any) -> Any:
    """A before-request hook: a callback request must name a callback of this app."""

    def check() -> tuple[Response, int] | None:
        if request.path != CALLBACK_PATH or request.method != "POST":
            return None
        body = request.get_json(silent=True)
        output = body.get("output") if isinstance(body, dict) else None
        if not isinstance(output, str) or output not in app.callback_map or not _well_formed(body):
            return jsonify({"error": "unknown or malformed callback request"}), 400
        return None

    return check


def configure(app: Any) -> None:
    """Headers, the body cap, the instance secret and the callback check on ``app`` (Dash)."""
    server = app.server
    server.config["MAX_CONTENT_LENGTH"] = int(
        os.environ.get("LINFLOW_MAX_REQUEST_BYTES", MAX_REQUEST_BYTES)
    )
    server.secret_key = instance_secret()
    server.after_request(security_headers)
    server.before_request(callback_check(app))
