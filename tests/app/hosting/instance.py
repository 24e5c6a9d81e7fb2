"""A real instance for the fault tests: ``linflow host`` (gunicorn) on a free loopback port,
stopped by its PID."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.app.conftest import free_port


@contextmanager
def hosted(tmp: Path, *args: str, **env: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """``linflow host --workers 2 ARGS`` with LINFLOW_CACHE_DIR and HOME under ``tmp`` and
    ``env`` added; yields (base URL, the gunicorn process) once /health answers."""
    port = free_port()
    full = {
        **os.environ,
        "LINFLOW_CACHE_DIR": str(tmp / "cache"),
        "HOME": str(tmp / "home"),
        **env,
    }
    if "LINFLOW_REDIS_URL" not in env:
        full.pop("LINFLOW_REDIS_URL", None)
    (tmp / "home").mkdir(exist_ok=True)
    argv = [sys.executable, "-m", "app.cli", "host", "--workers", "2"]
    argv += ["--bind", f"127.0.0.1:{port}", *args]
    proc = subprocess.Popen(argv, env=full, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                with urllib.request.urlopen(url + "/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("linflow host did not answer /health within 60 s")
        yield url, proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
