"""``linflow worker``: Celery workers for sweeps, in two pools.

An app sweep is a Dash background job that sends its chunks as tasks and waits for them. If jobs
and chunks shared one pool, jobs could fill every slot and wait forever for chunks that have no
slot to run in. So the jobs (queue ``celery``) and the chunks (queue ``linflow-chunks``) get a
pool each; ``--role all`` (the default) runs the jobs pool as a child process beside the chunk
pool, and stops it when the chunk pool stops.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys

from app.basin.tasks import CHUNK_QUEUE, JOB_QUEUE

PR_SET_PDEATHSIG = 1  # prctl option: signal this process when its parent dies (Linux)


def _die_with_parent() -> None:
    """preexec_fn: the jobs pool gets SIGTERM if its parent is killed, even with SIGKILL."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the parent's cleanup still stops it
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


def run_worker(role: str, concurrency: int, jobs: int | None, pidfile: str | None) -> int:
    """Run the pool(s) of ``role`` ("all", "chunks" or "jobs") until shut down."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread per chunk process
    from app.basin.tasks import celery_app

    if role == "jobs":
        import app.hosting.wsgi  # noqa: F401  (registers the app's background-job tasks)

        n_jobs = jobs if jobs is not None else int(os.environ.get("LINFLOW_MAX_JOBS", "2"))
        celery_app().worker_main(_celery_argv(JOB_QUEUE, "jobs", max(1, n_jobs), pidfile))
        return 0
    child = None
    if role == "all":
        cmd = [sys.executable, "-m", "app.cli", "worker", "--role", "jobs"]
        if jobs is not None:
            cmd += ["--jobs", str(jobs)]
        child = subprocess.Popen(cmd, preexec_fn=_die_with_parent)
    try:
        celery_app().worker_main(_celery_argv(CHUNK_QUEUE, "chunks", concurrency, pidfile))
    finally:
        if child is not None and child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
    return 0
