"""The app computes with one BLAS thread (app.blas) unless the environment chose a number:
two OpenBLAS threads on its small products made a busy machine's views 10-30x slower."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from app.blas import THREAD_VARS

PROBE = """
import json, os, sys
if len(sys.argv) > 2:  # as `linflow worker` does: numpy loaded, then the variable set
    import numpy
    os.environ["OPENBLAS_NUM_THREADS"] = sys.argv[2]
from app.hosting.server import create_app
create_app(cache_dir=sys.argv[1])
assert os.environ.get("OPENBLAS_NUM_THREADS"), "not passed on to processes started afresh"
from threadpoolctl import threadpool_info
print(json.dumps([(i["filepath"], i["num_threads"]) for i in threadpool_info()
                  if i["user_api"] == "blas"]))
"""


def _blas_threads(tmp_path, *late: str, **env: str) -> dict[str, int]:
    clean = {k: v for k, v in os.environ.items() if k not in THREAD_VARS}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "cache"), *late],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_the_server_uses_one_blas_thread_in_every_blas(tmp_path):
    found = _blas_threads(tmp_path)
    # numpy's and scipy's own OpenBLAS (scipy's is loaded for the limit to reach it)
    assert len(found) >= 2 and set(found.values()) == {1}, found


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two cores to tell 2 from 1")
def test_a_number_in_the_environment_is_kept(tmp_path):
    found = _blas_threads(tmp_path, OPENBLAS_NUM_THREADS="2")
    assert set(found.values()) == {2}, found


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two cores to tell 2 from 1")
def test_a_variable_set_after_blas_loaded_still_takes_effect(tmp_path):
    """`linflow worker` sets OPENBLAS_NUM_THREADS after numpy's OpenBLAS has loaded (at the
    machine's cores): the limit is applied in the process all the same."""
    found = _blas_threads(tmp_path, "1")
    assert len(found) >= 2 and set(found.values()) == {1}, found
