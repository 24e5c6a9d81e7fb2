"""Scale-out: sweeps through real Celery workers on a real redis-server (loopback)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

LINFLOW = [sys.executable, "-m", "app.cli"]
SWEEP = [
    "sweep",
    "--runs",
    "240",
    "--scales",
    "0.001",
    "--t-max",
    "400",
    "--chunk",
    "120",
]  # ~1 s a chunk


def _env(redis_url: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "LINFLOW_REDIS_URL": redis_url, **extra}


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    # Own session: the worker and its pool children form one group, stopped together.
    with log.open("w") as fh:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [*LINFLOW, "worker"],
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _result(folder: Path) -> dict:
    return json.loads((folder / "result.json").read_text())


def _local_result(env: dict[str, str], folder: Path) -> dict:
    """The same sweep in process (no --celery), for comparison."""
    local = subprocess.run(
        [*LINFLOW, *SWEEP, "--out", str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert local.returncode == 0, local.stderr
    return _result(folder)


@pytest.mark.slow
def test_celery_sweep_equals_in_process(redis_url, tmp_path):
    env = _env(redis_url)
    worker = _worker(env, tmp_path / "w.log")
    try:
        remote = subprocess.run(
            [*LINFLOW, *SWEEP, "--celery", "--out", str(tmp_path / "r")],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert remote.returncode == 0, remote.stderr
    finally:
        _stop(worker)
    assert _result(tmp_path / "r") == _local_result(env, tmp_path / "l")
    assert "succeeded" in (tmp_path / "w.log").read_text()


@pytest.mark.slow
def test_a_chunk_whose_worker_is_killed_is_redone(redis_url, tmp_path):
    env = _env(redis_url, LINFLOW_CELERY_VISIBILITY="3")
    first = _worker(env, tmp_path / "w1.log")
    second = None
    try:
        time.sleep(3)
        sweep = subprocess.Popen(
            [*LINFLOW, *SWEEP, "--celery", "--out", str(tmp_path / "k")],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(300):
            if "received" in (tmp_path / "w1.log").read_text():
                break
            time.sleep(0.1)
        _stop(first, signal.SIGKILL)  # the worker dies mid-chunk, its chunk unacknowledged
        second = _worker(env, tmp_path / "w2.log")
        _, err = sweep.communicate(timeout=300)
        assert sweep.returncode == 0, err
        sweep.stderr = None
    finally:
        _stop(first, signal.SIGKILL)
        if second is not None:
            _stop(second)
    log2 = (tmp_path / "w2.log").read_text()
    assert log2.count("succeeded") == 2  # its own chunk and the one the dead worker held
    assert _result(tmp_path / "k") == _local_result(env, tmp_path / "l")
