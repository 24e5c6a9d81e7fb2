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
    ``env`` added; yields (base URL, the gunicorn process) once /health answers. The server's
    output is kept in ``tmp``/host.log and its end printed when the test fails there."""
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
    log_path = tmp / "host.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(argv, env=full, stdout=log, stderr=subprocess.STDOUT)
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
    except BaseException:
        # pytest shows a failing test's stderr: what the server said is the first clue.
        # Its own lines (tracebacks, worker restarts), without the access log's.
        lines = log_path.read_bytes().decode(errors="replace").splitlines()
        said = "\n".join(ln for ln in lines if not ln.startswith("127.0.0.1 - "))[-20_000:]
        sys.stderr.write(f"--- linflow host's log, access lines left out ({log_path}) ---\n")
        sys.stderr.write(said + "\n")
        raise
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()
