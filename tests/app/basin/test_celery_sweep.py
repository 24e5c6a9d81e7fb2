"""The app's basin sweep scaled out: a browser starts it, a real `linflow worker` on a real
redis-server runs the job, the job runs its chunks as Celery tasks, and Cancel revokes the rest."""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app.basin import ids as bid
from app.basin.jobs import local_chunks, parse_sweep
from app.basin.store import SLOTS_KEY, RedisStore
from app.state import AppState, encode
from tests.app.hosting.test_celery import _env, _stop, _worker

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TIMEOUT = 120_000  # ms; the worker imports the app before it takes the first job
SMALL = AppState(depth=1, widths=(3,), t_max=6.0)


@pytest.fixture
def celery_site(redis_url, tmp_path, monkeypatch) -> Iterator[tuple[str, Path, str]]:
    """The app served in this process with CeleryManager, and one `linflow worker` (both pools)."""
    from app.hosting.server import create_app

    log = tmp_path / "worker.log"
    worker = _worker(_env(redis_url, LINFLOW_CACHE_DIR=str(tmp_path / "w")), log)
    monkeypatch.setenv("LINFLOW_REDIS_URL", redis_url)
    from app.basin.tasks import celery_app

    for _ in range(120):  # both pools answer control messages (Cancel is one)
        if len(celery_app().control.ping(timeout=0.5)) == 2:
            break
    else:
        _stop(worker)
        pytest.fail("linflow worker did not start both pools:\n" + log.read_text()[-2000:])
    app = create_app(redis_url=redis_url, cache_dir=str(tmp_path / "web"))
    health = app.server.test_client().get("/health")
    assert health.status_code == 200, health.get_json()  # both pools answer
    srv = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_port}", log, redis_url
    finally:
        srv.shutdown()
        thread.join(timeout=5)
        _stop(worker)


def _start(page, url: str, state: AppState, runs: str, scales: str) -> None:
    page.goto(url + "/basin" + encode(state))
    page.wait_for_selector(f"#{bid.PROBLEM}:has-text('Problem:')", timeout=TIMEOUT)
    for cid, value in ((bid.RUNS, runs), (bid.SCALES, scales)):
        page.locator(f"#{cid}").fill(value)
        page.locator(f"#{cid}").press("Tab")
    page.click(f"#{bid.START}")


def _succeeded(log: Path, task: str) -> int:
    return len(re.findall(rf"Task {re.escape(task)}\[[^\]]+\] succeeded", log.read_text()))


def test_app_sweep_runs_its_chunks_on_celery_workers(page, celery_site):
    url, log, redis_url = celery_site
    _start(page, url, SMALL, "300", "1e-4, 0.5")
    page.wait_for_selector(f"#{bid.RESULT_NOTE}:has-text('Complete: 600 runs')", timeout=TIMEOUT)
    request, _ = parse_sweep(encode(SMALL), "300", "1e-4, 0.5", "0")
    assert request is not None
    chunks = request.spec.chunks()
    assert len(chunks) == 3
    assert _succeeded(log, "linflow.sweep_chunk") == len(chunks)  # one task per chunk
    assert re.search(r"Task background_callback_\w+\[[^\]]+\] succeeded", log.read_text())
    store = RedisStore(redis_url)
    remote = store.get(f"result:{request.key}")
    local = [r for _, part in local_chunks(request) for r in part]
    assert remote["complete"] and remote["runs"] == json.loads(json.dumps(local))
    assert store.client.zcard(SLOTS_KEY) == 0  # the job slot was released
    store.close()
    assert page.console_errors == []


def test_cancel_revokes_the_chunks_a_celery_job_left(page, celery_site):
    url, log, redis_url = celery_site
    _start(page, url, AppState(t_max=2000.0), "3000", "1e-3, 1e-2")
    # The first chunk is in: the job has sent every chunk and is waiting on the rest.
    page.wait_for_selector(f"#{bid.PROGRESS_TEXT}:has-text('256 / 6000 runs')", timeout=TIMEOUT)
    deadline = time.monotonic() + TIMEOUT / 1000
    page.click(f"#{bid.CANCEL}")
    page.wait_for_selector(f"#{bid.START}:not([disabled])", timeout=TIMEOUT)
    store = RedisStore(redis_url)
    while time.monotonic() < deadline and (
        store.client.zcard(SLOTS_KEY) or "revoked" not in log.read_text()
    ):
        time.sleep(0.2)
    text = log.read_text()
    assert "revoked" in text  # the chunks not yet started were revoked
    assert store.client.zcard(SLOTS_KEY) == 0  # and the cancelled job gave back its slot
    assert _succeeded(log, "linflow.sweep_chunk") < 24  # 6000 runs would be 24 chunks
    store.close()


def _job_process(timeout: float = 60.0) -> int:
    """The PID of the jobs pool's process running the app's job (Celery's own report)."""
    from app.basin.tasks import celery_app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        active = celery_app().control.inspect(timeout=1).active() or {}
        for name, tasks in active.items():
            for task in tasks:
                if name.startswith("jobs-") and task["name"].startswith("background_callback"):
                    return int(task["worker_pid"])
        time.sleep(0.2)
    pytest.fail("no running job found")


def test_a_killed_celery_job_is_redone_and_its_result_shown(page, celery_site):
    """Issue 16: killing a job process wedged both job slots; the job was redelivered and each
    copy waited on the dead one."""
    url, log, redis_url = celery_site
    _start(page, url, AppState(t_max=400.0), "600", "1e-3, 1e-2")
    page.wait_for_selector(f"#{bid.PROGRESS_TEXT}:has-text('/ 1200 runs')", timeout=TIMEOUT)
    os.kill(_job_process(), signal.SIGKILL)
    # The job is redelivered, takes over the dead copy's lease and resumes: the page shows it.
    page.wait_for_selector(
        f"#{bid.RESULT_NOTE}:has-text('Complete: 1200 runs'), #{bid.ERROR}:has-text('stopped')",
        timeout=TIMEOUT,
    )
    assert "Complete: 1200 runs" in page.locator(f"#{bid.RESULT_NOTE}").inner_text()
    assert "SIGKILL" in log.read_text()  # the pool saw its job process die
    store = RedisStore(redis_url)
    assert store.client.zcard(SLOTS_KEY) == 0  # no slot left wedged
    store.close()
