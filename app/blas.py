"""One BLAS thread per computation: the app's work is many small products (Hessian-vector
products, ARPACK's Lanczos steps, dense spectra of a few hundred parameters), for which
OpenBLAS's threads cost more than they give, and far more when the machine is busy. Measured
(benchmarks/RESULTS.md, the app section): a new run's server work at 736 parameters 0.25-0.44 s
with one thread against 0.57-0.79 s with two while another process kept a core busy, and no
slower with one thread on a quiet machine. Requests are the parallelism (threads and workers),
as `linflow host` already had it through OPENBLAS_NUM_THREADS."""

from __future__ import annotations

import os

from core.lazy import scipy_module

THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
BLAS_THREADS = 1


def limit_blas_threads() -> int | None:
    """Limit every loaded BLAS to BLAS_THREADS threads, unless the environment chose a number
    (one of THREAD_VARS set). scipy's own OpenBLAS is loaded first (scipy.linalg is otherwise
    imported on first use), so the limit reaches it. Returns the limit set, or None."""
    if any(os.environ.get(v) for v in THREAD_VARS):
        return None
    from threadpoolctl import threadpool_limits

    scipy_module("linalg")
    threadpool_limits(limits=BLAS_THREADS, user_api="blas")
    return BLAS_THREADS
