"""The compiled flow kernel against the numpy objective and scipy's solvers."""

import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import Problem, init_weights, integrate, invariants, kernel
from core._weights import flatten
from core.derivatives import objective
from core.integration import choose_method


def test_the_kernel_is_built():
    # `make install` builds it; without it every small run would silently fall back to LSODA.
    assert kernel.available()


@settings(max_examples=25, deadline=None)
@given(
    depth=st.integers(1, 4),
    width=st.integers(3, 6),
    seed=st.integers(0, 1000),
    flow=st.sampled_from(["reduced", "original"]),
)
def test_compiled_rhs_equals_numpy(depth, width, seed, flow):
    p = Problem.random(5, 3, 9, (width,) * depth, seed=seed)
    W0 = init_weights(p, 0.7, seed=seed)
    if flow == "original":
        W0 = p.to_original(W0)
    obj = objective(p, flow)
    theta = flatten(W0)
    want = obj.rhs(0.0, theta)
    assert np.allclose(kernel.compiled_rhs(obj, theta), want, rtol=1e-12, atol=1e-13)


KERNELS = ["compiled-DP5", "compiled-DOP853"]


@pytest.mark.parametrize("method", KERNELS)
@pytest.mark.parametrize(
    ("flow", "widths"), [("reduced", (4, 4)), ("original", (4, 4)), ("reduced", (40, 30))]
)
def test_compiled_solution_matches_a_tight_reference(method, flow, widths):
    # (40, 30): 1,450 parameters, products through BLAS dgemm or the kernel's AVX-512 code.
    p = Problem.random(4, 3, 10, widths, seed=3)
    W0 = init_weights(p, 1e-2, seed=1)
    if flow == "original":
        W0 = p.to_original(W0)
    t = np.linspace(0.0, 40.0, 81)
    ref = integrate(p, W0, 40.0, flow=flow, method="LSODA", rtol=1e-12, t_eval=t)
    for rtol in (1e-6, 1e-9):
        run = integrate(p, W0, 40.0, flow=flow, method=method, rtol=rtol, t_eval=t)
        assert run.method == method and run.status == ref.status
        assert np.array_equal(run.t, t)
        err = np.abs(run.loss - ref.loss).max() / ref.loss.max()
        assert err < 20 * rtol, (rtol, err)
        # Invariants drift with the local error, not more.
        assert run.invariant_drift.max() < 10 * rtol


@pytest.mark.parametrize("method", KERNELS)
def test_compiled_stops_like_the_scipy_path(p1, method):
    W0 = init_weights(p1, 1e-3, seed=0)
    a = integrate(p1, W0, 200.0, method=method)
    b = integrate(p1, W0, 200.0, method="LSODA", rtol=1e-10)
    assert a.status == b.status == "converged"
    assert a.t[-1] == pytest.approx(b.t[-1], rel=0.05)  # the same convergence test
    C0, C1 = invariants(tuple(w[0] for w in a.weights)), invariants(tuple(w[-1] for w in a.weights))
    assert max(np.abs(x - y).max() for x, y in zip(C0, C1, strict=True)) < 1e-6
    # Divergence (a small max_norm) keeps the samples before it, as the scipy path does.
    d = integrate(p1, init_weights(p1, 0.5, seed=0), 50.0, method=method, max_norm=0.6)
    assert d.status == "diverged" and d.t.size >= 1 and "diverged" in d.message
    early = integrate(
        p1, init_weights(p1, 0.5, seed=0), 50.0, method=method, max_norm=0.6, t_eval=[40.0, 50.0]
    )  # diverges before its first requested sample
    assert early.status == "diverged" and early.t.size == 1
    # An exact critical point that is not the global minimum is a saddle, never "converged".
    zero = tuple(np.zeros_like(w) for w in W0)
    z = integrate(p1, zero, 10.0, method=method)
    assert z.status == "saddle" and z.saddle == () and z.t[-1] == 10.0
    # The time budget stops it cleanly.
    slow = integrate(p1, W0, 200.0, method=method, rtol=1e-13, max_seconds=0.0)
    assert slow.status == "budget" and "time budget" in slow.message


def test_auto_uses_the_kernel_unless_stiffness_makes_explicit_steps_too_many(p1):
    obj = objective(p1)
    theta = flatten(init_weights(p1, 1e-3, seed=0))
    assert choose_method("auto", p1, obj, theta, 200.0) == "compiled-DP5"
    # s_1 = 300: rho ~ 3 * 300^(4/3) ~ 6,000 at the minimum; 1,000 time units would take
    # ~2 million stability-bound steps: LSODA with the exact Jacobian instead.
    stiff = Problem.from_spectrum([300.0, 10.0, 8.0, 7.0], 8, (6, 6))
    assert choose_method("auto", stiff, objective(stiff), theta, 1000.0) == "LSODA"
    # s_1 = 80 over 600 time units: ~200,000 stability-bound steps, where LSODA is cheaper.
    middling = Problem.from_spectrum([80.0, 10.0, 8.0, 7.0], 8, (6, 6))
    assert choose_method("auto", middling, objective(middling), theta, 600.0) == "LSODA"
    assert choose_method("auto", middling, objective(middling), theta, 20.0) == "compiled-DP5"
    big = Problem.from_spectrum(np.linspace(10, 4, 16), 24, (20, 20))  # 1,200 parameters
    theta_big = flatten(init_weights(big, 1e-2, seed=0))
    assert choose_method("auto", big, objective(big), theta_big, 200.0) == "compiled-DOP853"
    # Stiff and large: LSODA with the exact Jacobian while a dense Hessian fits, then the compiled
    # kernel (accurate, if slow); never RKC, whose error does not follow rtol.
    stiff_big = Problem.from_spectrum(np.linspace(300, 4, 16), 24, (20, 20))
    assert choose_method("auto", stiff_big, objective(stiff_big), theta_big, 1000.0) == "LSODA"
    huge = Problem.from_spectrum(np.linspace(300, 4, 16), 24, (60, 40))  # 4,480 parameters
    theta_huge = flatten(init_weights(huge, 1e-2, seed=0))
    assert choose_method("auto", huge, objective(huge), theta_huge, 1000.0) == "compiled-DOP853"
    assert choose_method("compiled", p1, obj, theta, 1.0) == "compiled-DP5"
    assert choose_method("compiled", big, objective(big), theta_big, 1.0) == "compiled-DOP853"
    with pytest.raises(ValueError, match="method must be 'auto' or one of"):
        choose_method("Euler", p1, obj, theta, 1.0)


@pytest.mark.parametrize(
    "source", ["int lf_abi(void) { return 0; }", "int unrelated(void) { return 1; }"]
)
def test_a_stale_or_foreign_build_is_refused(tmp_path, source):
    import shutil

    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        pytest.skip("no C compiler")
    (tmp_path / "stale.c").write_text(source + "\n")
    subprocess.run(
        [cc, "-shared", "-fPIC", "-o", str(tmp_path / "_flowkernel.so"), str(tmp_path / "stale.c")],
        check=True,
    )
    assert kernel._load(tmp_path) is None  # never called with the wrong arguments


@pytest.mark.parametrize("flow", ["reduced", "original"])
@pytest.mark.parametrize(
    ("dy", "dx", "widths"),
    [
        (32, 64, (48, 48, 48)),  # P2's dims: whole 8 x 16 tiles
        (5, 9, (37, 29, 41)),  # ragged rows (4 + 1) and columns (masked edges)
        (11, 19, (53, 21)),
        (64, 70, (300, 300)),  # 64 x 300 x 300 products: past the small-product limits, dgemm
        (7, 12, (300,)),  # one hidden layer
    ],
)
def test_compiled_rhs_equals_numpy_on_blas_sized_nets(dy, dx, widths, flow):
    # Above kernel.BLAS_MIN_PARAMS: products through dgemm or, with AVX-512, the kernel's own.
    p = Problem.random(dx, dy, dx + 5, widths, seed=dx)
    assert (p.dx, p.dy) == (dx, dy) and p.n_params > kernel.BLAS_MIN_PARAMS
    W0 = init_weights(p, 0.3, seed=1)
    if flow == "original":
        W0 = p.to_original(W0)
    obj = objective(p, flow)
    theta = flatten(W0)
    want = obj.rhs(0.0, theta)
    got = kernel.compiled_rhs(obj, theta)
    # Rounding only: products summed in another order (1e-13 was reached by a random case).
    assert np.abs(got - want).max() <= 1e-12 * np.abs(want).max()


def test_small_products_are_used_where_the_cpu_has_avx512():
    cpuinfo = Path("/proc/cpuinfo")
    flags = cpuinfo.read_text().split() if sys.platform == "linux" and cpuinfo.exists() else []
    if platform.machine() in ("x86_64", "AMD64") and "avx512f" in flags:
        assert kernel.small_products()
    # Either way the kernel's evaluation agrees with numpy (above); on P2 with AVX-512 it is
    # ~2x faster than through dgemm (measured 15 against 35 us, benchmarks/P2_STIFF_STUDY.md).


def test_work_bounds_of_the_step_control(p1):
    # Evaluations on fixed problems (measured: 23,569 and 8,158), so a change to the step
    # control or the stage combinations that costs evaluations fails here.
    run = integrate(p1, init_weights(p1, 1e-3, seed=0), 200.0, method="compiled-DP5")
    assert run.status == "converged" and run.nfev <= 24_000
    big = Problem.from_spectrum(np.linspace(10, 4, 16), 24, (20, 20))  # 1,200 parameters
    run = integrate(big, init_weights(big, 1e-2, seed=0), 100.0, method="compiled-DOP853")
    assert run.status == "converged" and run.nfev <= 8_400


def test_the_portable_path_without_avx512_agrees():
    # LINFLOW_NO_AVX512 makes the kernel take the path of CPUs without AVX-512 (dgemm, plain
    # stage loops); it is read once per process, so the check runs in a fresh one.
    code = """
import numpy as np
from core import Problem, init_weights, integrate, kernel
from core._weights import flatten
from core.derivatives import objective
assert not kernel.small_products()
p = Problem.random(5, 3, 9, (37, 29, 41), seed=1)
obj, theta = objective(p), flatten(init_weights(p, 0.3, seed=0))
want = obj.rhs(0.0, theta)
assert np.abs(kernel.compiled_rhs(obj, theta) - want).max() <= 1e-13 * np.abs(want).max()
q = Problem.random(4, 3, 10, (40, 30), seed=3)
W0, t = init_weights(q, 1e-2, seed=1), np.linspace(0.0, 40.0, 81)
ref = integrate(q, W0, 40.0, method="LSODA", rtol=1e-12, t_eval=t)
run = integrate(q, W0, 40.0, method="compiled-DOP853", rtol=1e-9, t_eval=t)
assert np.abs(run.loss - ref.loss).max() / ref.loss.max() < 20e-9
"""
    env = {**os.environ, "LINFLOW_NO_AVX512": "1"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=300)
