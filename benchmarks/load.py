"""``make load``: a bounded load test of ``linflow host --workers 2`` on loopback with locust.

10 simulated users, each changing a control every 2-5 s on the default problem, for
LINFLOW_LOAD_SECONDS (default 300) per level, then 20 and 40. Reports per level p50/p95 latency
over all requests, errors, and the gunicorn workers' resident memory at the start and end; writes
benchmarks/LOAD.md. Traffic goes only to 127.0.0.1.
"""

from __future__ import annotations

import csv
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil

LEVELS = (10, 20, 40)
HERE = Path(__file__).resolve().parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _workers_rss_mb(master: int) -> list[float]:
    try:
        return [round(c.memory_info().rss / 1e6, 1) for c in psutil.Process(master).children()]
    except psutil.Error:
        return []


def main() -> int:
    from benchmarks.__main__ import machine

    seconds = int(os.environ.get("LINFLOW_LOAD_SECONDS", "300"))
    port = _free_port()
    host = f"http://127.0.0.1:{port}"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        # Every simulated user comes from 127.0.0.1: one client, so no per-client limit.
        env = {**os.environ, "LINFLOW_CACHE_DIR": f"{tmp}/cache", "LINFLOW_RATE_PER_MINUTE": "0"}
        env.pop("LINFLOW_REDIS_URL", None)
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "app.cli",
                "host",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{port}",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(300):
                try:
                    urllib.request.urlopen(host + "/health", timeout=2).read()
                    break
                except OSError:
                    time.sleep(0.1)
            for users in LEVELS:
                before = _workers_rss_mb(server.pid)
                prefix = f"{tmp}/level{users}"
                subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "locust",
                        "-f",
                        str(HERE / "locustfile.py"),
                        "--headless",
                        "-u",
                        str(users),
                        "-r",
                        str(users),
                        "-t",
                        f"{seconds}s",
                        "--host",
                        host,
                        "--csv",
                        prefix,
                        "--only-summary",
                    ],
                    check=False,
                    capture_output=True,
                    cwd=HERE.parent,
                    timeout=seconds + 120,
                )
                after = _workers_rss_mb(server.pid)
                with open(f"{prefix}_stats.csv") as fh:
                    total = next(r for r in csv.DictReader(fh) if r["Name"] == "Aggregated")
                rows.append(
                    (
                        users,
                        total["Request Count"],
                        total["Failure Count"],
                        total["50%"],
                        total["95%"],
                        before,
                        after,
                    )
                )
                print(
                    f"{users} users: p50 {total['50%']} ms, p95 {total['95%']} ms, "
                    f"{total['Failure Count']} failures of {total['Request Count']}",
                    flush=True,
                )
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
    lines = [
        "# Load test of a hosted instance",
        "",
        f"Machine: {machine()}. `make load`: `linflow host --workers 2` on 127.0.0.1, "
        f"locust users each changing a control every 2-5 s on the default problem (two posts "
        f"of the explorer's one update callback per change, as the browser sends them: 41 seeds "
        f"x 2 axes, so most states are cached after the first minutes), {seconds} s per level. "
        "Latency is over all "
        "requests; memory is the RSS of each gunicorn worker at the start and end of the "
        "level.",
        "",
        "| users | requests | failures | p50 (ms) | p95 (ms) | worker RSS start (MB) | "
        "worker RSS end (MB) |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {u} | {n} | {f} | {p50} | {p95} | {b} | {a} |" for u, n, f, p50, p95, b, a in rows
    ]
    (HERE / "LOAD.md").write_text("\n".join(lines) + "\n")
    print((HERE / "LOAD.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
