"""The fault suite against a real instance (``linflow host``: gunicorn, two workers): slow
clients, /health pollers and the heavy link do not take it down."""

from __future__ import annotations

import json
import socket
import statistics
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import psutil
import pytest

from app.state import AppState, encode
from tests.app.hosting.fuzz import body
from tests.app.hosting.instance import hosted
from tests.app.test_budget import HEAVY

pytestmark = pytest.mark.slow


def _get(url: str, timeout: float = 10.0) -> tuple[int, float]:
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            r.read()
            return r.status, time.perf_counter() - t0
    except urllib.error.HTTPError as err:
        return err.code, time.perf_counter() - t0


def _post(url: str, payload: dict, timeout: float = 60.0) -> tuple[int, float, bytes]:
    req = urllib.request.Request(
        url, json.dumps(payload).encode(), {"Content-Type": "application/json"}
    )
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, time.perf_counter() - t0, r.read()
    except urllib.error.HTTPError as err:
        return err.code, time.perf_counter() - t0, err.read()


class Pollers:
    """``n`` threads asking ``paths`` in turn until stopped; every answer's status and time."""

    def __init__(self, url: str, paths: list[str], n: int = 4) -> None:
        self.url, self.paths, self.stop = url, paths, threading.Event()
        self.answers: list[tuple[int, float]] = []
        self.threads = [threading.Thread(target=self._poll, daemon=True) for _ in range(n)]

    def _poll(self) -> None:
        i = 0
        while not self.stop.is_set():
            self.answers.append(_get(self.url + self.paths[i % len(self.paths)], timeout=5))
            i += 1
            time.sleep(0.05)

    def __enter__(self) -> Pollers:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=10)


def test_slow_clients_and_health_pollers_do_not_block_requests(tmp_path):
    """Issue 16: four slow connections blocked the sync workers for 75 s, and four /health
    pollers slowed a normal request from 4 ms to 1.5 s."""
    with hosted(tmp_path) as (url, _):
        port = int(url.rsplit(":", 1)[1])
        slow = []
        for _ in range(6):  # more slow clients than workers: each sends half a request
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            slow.append(s)
        try:
            with Pollers(url, ["/health", "/health/ready"]) as pollers:
                time.sleep(1.0)
                pages = [_get(url + "/about") for _ in range(10)]
            assert all(status == 200 for status, _ in pages)
            assert max(t for _, t in pages) < 1.0, pages
            assert statistics.median(t for _, t in pages) < 0.2, pages
            assert len(pollers.answers) > 40 and all(s == 200 for s, _ in pollers.answers)
            assert max(t for _, t in pollers.answers) < 1.0
        finally:
            for s in slow:
                s.close()


def test_the_heavy_link_is_computed_once_within_its_budget_and_health_answers(tmp_path):
    """Issue 16: the heavy link ran 44-70 s (the budget covered only the main run), every panel
    computed the same state at once, gunicorn killed both workers and /health failed."""
    budget = 6.0
    with hosted(tmp_path, LINFLOW_REQUEST_SECONDS=str(budget)) as (url, proc):
        workers = {p.pid for p in psutil.Process(proc.pid).children()}
        deps = json.loads(urllib.request.urlopen(url + "/_dash-dependencies").read())
        dep = next(d for d in deps if d["inputs"][0]["id"] == "url" and "ctl-source" in d["output"])
        update = body(dep, {"url.search": encode(HEAVY)})
        with Pollers(url, ["/health"]) as pollers, ThreadPoolExecutor(4) as pool:
            t0 = time.perf_counter()
            answers = list(
                pool.map(lambda _: _post(url + "/_dash-update-component", update), range(4))
            )
            took = time.perf_counter() - t0
        assert [a[0] for a in answers] == [200] * 4
        # Four requests for one state on two workers: one computation, the others wait for it.
        assert took < 2 * budget + 5, [a[1] for a in answers]
        texts = [a[2].decode() for a in answers]
        # Each answer says what happened: the run's end (finished inside the budget, as it can
        # since polishing and spectra went to Krylov methods, or stopped at it), the part that
        # did not fit, or the view refused before it started with what costs most.
        said = ("the time budget", "did not fit", "needs about", "Flow: ")
        missing = [t[-400:] for t in texts if not any(w in t for w in said)]
        assert not missing, missing
        assert pollers.answers and all(s == 200 for s, _ in pollers.answers)
        assert max(t for _, t in pollers.answers) < 1.0
        assert {p.pid for p in psutil.Process(proc.pid).children()} == workers  # none killed


@pytest.mark.browser
def test_basin_results_arrive_through_two_workers_in_chromium(tmp_path, page):
    """Issue 16: with two workers and no LINFLOW_SECRET_KEY each worker signed job handles with
    its own secret; a poll landing on the other worker got 204: 5 of 6 results lost."""
    from app.basin import ids as bid
    from tests.app.basin.test_browser import _cancel_a_big_sweep, _fill

    with hosted(tmp_path, LINFLOW_RATE_PER_MINUTE="0") as (url, _):
        page.goto(url + "/basin" + encode(AppState(depth=1, widths=(3,), t_max=6.0)))
        page.wait_for_selector(f"#{bid.PROBLEM}:has-text('Problem:')", timeout=60_000)
        scales = page.locator(f"#{bid.SCALES}")
        scales.fill("0.5")
        scales.press("Tab")
        for runs in (11, 12, 13, 14):  # four different sweeps, polled through both workers
            box = page.locator(f"#{bid.RUNS}")
            box.fill(str(runs))
            box.press("Tab")
            page.click(f"#{bid.START}")
            page.wait_for_selector(
                f"#{bid.RESULT_NOTE}:has-text('Complete: {runs} runs')", timeout=60_000
            )
        # Cancel (through either worker) frees the job's slot: LINFLOW_MAX_JOBS cancelled
        # sweeps, then a new one runs.
        page.goto(url + "/basin" + encode(AppState(t_max=400.0)))  # first chunk in ~1 s
        page.wait_for_selector(f"#{bid.PROBLEM}:has-text('Problem:')", timeout=60_000)
        for _ in range(2):
            _cancel_a_big_sweep(page)
        _fill(page, bid.RUNS, "20")
        _fill(page, bid.SCALES, "0.5")
        page.click(f"#{bid.START}")
        page.wait_for_selector(f"#{bid.RESULT_NOTE}:has-text('Complete: 20 runs')", timeout=60_000)
        assert page.console_errors == []
