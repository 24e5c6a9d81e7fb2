"""``linflow worker``: Celery workers for sweeps, in two pools, kept running.

An app sweep is a Dash background job that sends its chunks as tasks and waits for them. If jobs
and chunks shared one pool, jobs could fill every slot and wait forever for chunks that have no
slot to run in. So the jobs (queue ``celery``) and the chunks (queue ``linflow-chunks``) get a
pool each. ``--role all`` (the default) is a small supervisor: it runs each pool as a child
process and starts it again whenever it ends (a pool that lost Redis for a while can die inside
kombu), with a growing pause between restarts of a pool that keeps failing; it stops both when
it is stopped. ``--role jobs`` or ``--role chunks`` runs one pool in this process (for a process
manager such as systemd to restart).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from types import FrameType

from app.basin.tasks import CHUNK_QUEUE, JOB_QUEUE

PR_SET_PDEATHSIG = 1  # prctl option: signal this process when its parent dies (Linux)
RESTART_PAUSE = (1.0, 30.0)  # seconds before restarting a pool: first, and at most
HEALTHY_AFTER = 60.0  # a pool that ran this long is healthy again (its pause starts over)
POLL = 0.5  # seconds between the supervisor's looks at its pools


def _die_with_parent() -> None:
    """preexec_fn: a pool gets SIGTERM if its supervisor is killed, even with SIGKILL."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the supervisor's cleanup still stops it
        pass


def _celery_argv(queue: str, name: str, concurrency: int, pidfile: str | None) -> list[str]:
    argv = [
        "worker",
        f"--queues={queue}",
        f"--hostname={name}-{os.getpid()}@%h",  # unique: several workers may share a host
        f"--concurrency={concurrency}",
        "--without-gossip",
        "--without-mingle",
        "--loglevel=INFO",
    ]
    if pidfile:
        argv.append(f"--pidfile={pidfile}")
    return argv


class Pool:
    """One pool run as a child process, restarted with a growing pause while it keeps dying."""

    def __init__(self, cmd: list[str], name: str) -> None:
        self.cmd, self.name = cmd, name
        self.proc: subprocess.Popen[bytes] | None = None
        self.started = 0.0
        self.pause = RESTART_PAUSE[0]
        self.due = 0.0  # when to start it (again)
        self.restarts = 0

    def check(self, now: float) -> None:
        if self.proc is not None and self.proc.poll() is None:
            return
        if self.proc is not None:  # it ended: schedule the restart
            code = self.proc.returncode
            self.pause = (
                RESTART_PAUSE[0]
                if now - self.started > HEALTHY_AFTER
                else min(RESTART_PAUSE[1], 2 * self.pause)
            )
            self.due, self.proc = now + self.pause, None
            print(
                f"linflow worker: the {self.name} pool ended (exit {code}); "
                f"restarting it in {self.pause:.0f} s",
                file=sys.stderr,
                flush=True,
            )
        if now >= self.due:
            if self.started:
                self.restarts += 1
            self.proc = subprocess.Popen(self.cmd, preexec_fn=_die_with_parent)
            self.started = now

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def supervise(pools: list[Pool], pidfile: str | None) -> int:
    """Keep ``pools`` running until SIGTERM or SIGINT; then stop them and return 0."""
    stopping: list[int] = []

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.append(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if pidfile:
        with open(pidfile, "w") as fh:
            fh.write(f"{os.getpid()}\n")
    try:
        while not stopping:
            now = time.monotonic()
            for pool in pools:
                pool.check(now)
            time.sleep(POLL)
    finally:
        for pool in pools:
            pool.stop()
        if pidfile:
            with contextlib.suppress(OSError):
                os.unlink(pidfile)
    return 0


def run_worker(role: str, concurrency: int, jobs: int | None, pidfile: str | None) -> int:
    """Run the pool(s) of ``role`` ("all", "chunks" or "jobs") until shut down."""
    from app.blas import limit_blas_threads

    limit_blas_threads()  # here, and through the environment in the pools' processes
    n_jobs = jobs if jobs is not None else int(os.environ.get("LINFLOW_MAX_JOBS", "2"))
    if role == "all":
        base = [sys.executable, "-m", "app.cli", "worker"]
        return supervise(
            [
                Pool([*base, "--role", "jobs", "--jobs", str(n_jobs)], "jobs"),
                Pool([*base, "--role", "chunks", "--concurrency", str(concurrency)], "chunks"),
            ],
            pidfile,
        )
    from app.basin.tasks import celery_app

    if role == "jobs":
        import app.hosting.wsgi  # noqa: F401  (registers the app's background-job tasks)

        argv = _celery_argv(JOB_QUEUE, "jobs", max(1, n_jobs), pidfile)
    else:
        argv = _celery_argv(CHUNK_QUEUE, "chunks", concurrency, pidfile)
    celery_app().worker_main(argv)
    return 0
