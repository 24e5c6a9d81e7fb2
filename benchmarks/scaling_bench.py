"""How the engine's cost grows with the network (issue: bigger networks at interactive speed).

Networks from ~1e2 to ~1e5 parameters (widths and depth varied), the same spectrum shape
(dy values from 10 to 4, so the stiffness (H+1) s_1^(2H/(H+1)) is alike), Gaussian init 0.1,
integrated over T_MAX without stopping. Per network: seconds per unit of t for
``core.integrate`` and for scipy's DOP853 on the numpy right-hand side at the same rtol, the
right-hand-side evaluations, and the arithmetic limit: those evaluations' floating-point work
(6 dy n_params per evaluation: three products of dy rows per layer) at this machine's measured
GEMM rate. The cost grows no faster than the arithmetic when ``integrate / arithmetic`` does
not grow with the size.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp

import core
from core._weights import flatten
from core.derivatives import objective

T_MAX = 2.0
RTOL = 1e-7
DOP853_SECONDS = 60.0  # scipy's run is cut to a shorter horizon beyond this estimate
# (dy, dx, width, hidden layers)
NETWORKS = ((4, 8, 6, 2), (8, 16, 24, 2), (16, 32, 48, 3), (32, 64, 96, 3), (64, 128, 192, 3))


def gemm_gflops(n: int = 384, reps: int = 20) -> float:
    """This machine's double-precision GEMM rate (numpy's BLAS, one thread as the kernel)."""
    a, b = np.random.default_rng(0).standard_normal((2, n, n))
    a @ b
    t0 = time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * n**3 * reps / (time.perf_counter() - t0) / 1e9


def network(dy: int, dx: int, width: int, hidden: int) -> core.Problem:
    return core.Problem.from_spectrum(np.linspace(10, 4, dy), dx=dx, widths=(width,) * hidden)


def run() -> dict[str, Any]:
    rate = gemm_gflops()
    rows = []
    for dims in NETWORKS:
        p = network(*dims)
        W0 = core.init_weights(p, 0.1, seed=0)
        core.integrate(p, W0, 0.01, n_samples=2)  # load and warm
        t0 = time.perf_counter()
        tr = core.integrate(p, W0, T_MAX, rtol=RTOL, n_samples=20, stop=False)
        ours = time.perf_counter() - t0
        flops = 6.0 * p.dy * p.n_params * tr.nfev
        # scipy's DOP853 on the numpy right-hand side, over a horizon it finishes in a minute.
        horizon = T_MAX if ours * 5 < DOP853_SECONDS else T_MAX * DOP853_SECONDS / (5 * ours)
        y0 = flatten(W0)
        atol = RTOL * float(np.sqrt(np.mean(y0**2)))
        t0 = time.perf_counter()
        sol = solve_ivp(objective(p).rhs, (0, horizon), y0, "DOP853", rtol=RTOL, atol=atol)
        dop = time.perf_counter() - t0
        rows.append(
            {
                "dims": list(dims),
                "n_params": p.n_params,
                "method": tr.method,
                "nfev": tr.nfev,
                "seconds_per_t": ours / T_MAX,
                "arithmetic_seconds_per_t": flops / (rate * 1e9) / T_MAX,
                "dop853_seconds_per_t": dop / horizon,
                "dop853_nfev_per_t": sol.nfev / horizon,
            }
        )
        print(f"    {p.n_params:7d} params: {ours / T_MAX:.3g} s per unit t", flush=True)
    return {"gemm_gflops": rate, "t_max": T_MAX, "rtol": RTOL, "rows": rows}
