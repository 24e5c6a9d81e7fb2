"""One BLAS thread per computation: the app's work is many small products (Hessian-vector
products, ARPACK's Lanczos steps, dense spectra of a few hundred parameters), for which
OpenBLAS's threads cost more than they give, and far more when the machine is busy. Measured
by `make bench` (the app section; two runs on 2026-12-01, RESULTS.md holds the last): a new
run's server work at 736 parameters 0.25 and 0.44 s with one thread against 0.57 and 0.79 s
with two while another process kept a core busy, and no slower with one thread when quiet.
Requests are the parallelism (threads and workers), as `linflow host` already had it through
OPENBLAS_NUM_THREADS."""

from __future__ import annotations

import os

from core.lazy import scipy_module

THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
BLAS_THREADS = 1


def chosen_threads() -> int:
    """The BLAS threads asked for: OPENBLAS_NUM_THREADS or OMP_NUM_THREADS (what OpenBLAS
    reads) when set to a positive number, else BLAS_THREADS."""
    for var in THREAD_VARS[:2]:
        value = os.environ.get(var, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return BLAS_THREADS


def limit_blas_threads() -> int:
    """Limit every loaded BLAS to :func:`chosen_threads` threads and return the number.

    Applied in this process whatever loaded BLAS first (OpenBLAS reads its variable only when it
    loads: `linflow worker` sets it after numpy is imported), scipy's own OpenBLAS loaded first
    (scipy.linalg is otherwise imported on first use) so that the limit reaches it, and put in
    the environment for processes started afresh (spawn, forkserver), which do not inherit it."""
    from threadpoolctl import threadpool_limits

    n = chosen_threads()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(n))
    scipy_module("linalg")
    threadpool_limits(limits=n, user_api="blas")
    return n
