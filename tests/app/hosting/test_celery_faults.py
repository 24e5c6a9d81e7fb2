"""Jobs against a real ``linflow worker`` and redis-server when things fail: a pool process
killed, Redis restarted (empty) during a sweep, the process computing a sweep killed. A job
ends complete or reported failed, never wedged, and the pools come back by themselves."""

from __future__ import annotations

import contextlib
import functools
import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import psutil
import pytest

from app.basin import jobs
from app.basin.store import job_store
from app.state import AppState, encode
from tests.app.conftest import free_port, redis_url_for, start_redis
from tests.app.hosting.test_celery import _env, _stop, _worker

pytestmark = pytest.mark.slow
QUERY = encode(AppState(t_max=400.0))  # 8 chunks of 256 runs, ~0.7 s each
RUNS, SCALES = "1000", "0.001, 0.01"


class Site:
    """redis-server on a port of its own (so it can be restarted there) and one worker."""

    def __init__(self, tmp) -> None:
        self.port, self.tmp = free_port(), tmp
        self.url = redis_url_for(self.port)
        self.redis = start_redis(self.port)
        self.log = tmp / "worker.log"
        self.worker = _worker(_env(self.url, LINFLOW_CACHE_DIR=str(tmp / "w")), self.log)

    def pools(self) -> list[str]:
        from app.basin.tasks import celery_app

        with contextlib.suppress(Exception):
            return sorted(n for r in celery_app().control.ping(timeout=0.5) for n in r)
        return []

    def wait_pools(self, seconds: float = 90.0, but: tuple[str, ...] = ()) -> list[str]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            names = self.pools()
            if len(names) == 2 and not set(names) & set(but):
                return names
            time.sleep(0.5)
        pytest.fail(f"the pools did not answer: {self.pools()}\n{self.log.read_text()[-3000:]}")

    def restart_redis(self) -> None:
        self.redis.terminate()
        self.redis.wait(timeout=10)
        self.redis = start_redis(self.port)  # empty: no persistence

    def stop(self) -> None:
        _stop(self.worker)
        self.redis.terminate()
        self.redis.wait(timeout=10)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    """One Redis and one worker for the module (the tests leave both running as they found
    them: pools answering, Redis up)."""
    tmp = tmp_path_factory.mktemp("celery-faults")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LINFLOW_CACHE_DIR", str(tmp / "web"))
        s = Site(tmp)
        mp.setenv("LINFLOW_REDIS_URL", s.url)
        try:
            s.wait_pools()
            yield s
        finally:
            s.stop()


@functools.cache
def _whole(seed: str) -> list[dict]:
    """The sweep computed in this process, once."""
    request, _ = jobs.parse_sweep(QUERY, RUNS, SCALES, seed)
    assert request is not None
    return [r for _, part in jobs.local_chunks(request) for r in part]


def test_a_killed_pool_is_started_again(site):
    """Issue 16: a pool that died (inside kombu, after a Redis outage) never came back."""
    names = site.wait_pools()
    jobs_pool = next(
        p
        for p in psutil.Process(site.worker.pid).children()
        if "--role" in p.cmdline() and p.cmdline()[p.cmdline().index("--role") + 1] == "jobs"
    )
    jobs_pool.send_signal(signal.SIGKILL)
    back = site.wait_pools(but=tuple(n for n in names if n.startswith("jobs-")))
    assert any(n.startswith("jobs-") for n in back)
    assert "the jobs pool ended" in site.log.read_text()


# A job computing a sweep in a process of its own (as on a worker; in this process Celery would
# see the app tasks other tests registered): each progress row and the result as a JSON line.
JOB = """
import json, logging, os, signal, sys
from app.basin import jobs
logging.basicConfig(level=logging.WARNING)
die = sys.argv[5] == "die"
def progress(row):
    if die:
        os.kill(os.getpid(), signal.SIGKILL)
    print(json.dumps({"progress": row[1]}), flush=True)
ref, message = jobs.run_sweep(progress, 1, *sys.argv[1:5])
print(json.dumps({"ref": ref if isinstance(ref, dict) else None, "message": message}), flush=True)
"""


def _job(seed: str, then: str = "finish") -> subprocess.Popen:
    argv = [sys.executable, "-c", JOB, QUERY, RUNS, SCALES, seed, then]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _lines(proc: subprocess.Popen) -> Iterator[dict]:
    assert proc.stdout is not None
    for line in proc.stdout:
        yield json.loads(line)


def _complete(last: dict, seed: str) -> None:
    ref = last["ref"]
    assert last["message"] == "" and ref["complete"] and ref["runs"] == 2000, last
    with contextlib.closing(job_store()) as shared:
        assert shared.get(f"result:{ref['key']}")["runs"] == _whole(seed)


def test_a_sweep_survives_a_redis_restart_and_the_pools_come_back(site):
    """Issue 16: a 10 s Redis outage during a sweep killed the jobs pool for good."""
    with _job("0") as proc:
        lines = _lines(proc)
        assert "progress" in next(lines)  # a chunk is in
        site.restart_redis()
        last = list(lines)[-1]
        assert proc.wait(timeout=180) == 0
        assert proc.stderr is not None and "Redis lost its data" in proc.stderr.read()  # resent
    _complete(last, "0")
    site.wait_pools()  # both pools answer again


def test_a_killed_job_is_resumed_by_the_next_request(site, monkeypatch):
    """Issue 16: killing a job process wedged both job slots (each copy waited on the dead
    one)."""
    monkeypatch.setenv("LINFLOW_MAX_JOBS", "1")  # the dead job's slot must be free at once
    with _job("1", "die") as dead:  # not the sweep above
        assert dead.wait(timeout=120) == -signal.SIGKILL
    t0 = time.monotonic()
    with _job("1") as proc:
        rows = list(_lines(proc))
        assert proc.wait(timeout=60) == 0
    assert time.monotonic() - t0 < 60
    first = int(rows[0]["progress"].split(" / ")[0])
    assert first >= 2 * 256  # the dead job's chunk was kept: resumed, not started over
    _complete(rows[-1], "1")
