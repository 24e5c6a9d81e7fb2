"""The compiled flow kernel (``core/_flownet.c``, ``core/_flowkernel.c``): explicit Runge-Kutta
integrators with the deep linear network's right-hand side in C, loaded with ctypes.

On small networks a numpy right-hand side costs microseconds of interpreter overhead per call
against a few hundred multiply-adds of arithmetic, so every Python-level solver (scipy's, ours)
is overhead-bound; the kernel runs whole stretches of steps without returning to Python. Its
steps are capped by the stability of the method (``STABLE_H_RHO / rho``, rho from Hairer's free
stiffness estimate), which is where the flow's stiffness (top Hessian eigenvalue ~82 on P1)
binds; ``core.integrate`` chooses it only when that bound keeps the step count modest.

Two methods: "DP5" (Dormand-Prince 5(4); cheapest per step, best while the stability cap sets
the step, as on small networks) and "DOP853" (Hairer's 8th-order method; fewer evaluations when
accuracy sets the step, as on large networks at tight tolerances; its tableau is read from scipy).
Large networks' products go through BLAS dgemm (scipy.linalg.cython_blas), small ones' through
plain loops.

The kernel is built when the package is installed (setup.py); if it is missing, ``available()``
is False and ``core.integrate`` falls back to LSODA.
"""

from __future__ import annotations

import ctypes
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from core.derivatives import Objective

__all__ = ["CompiledRun", "available", "compiled_rhs", "rhs_seconds", "run"]

BLAS_MIN_PARAMS = 1000  # Above this many parameters the kernel's products go through BLAS dgemm.
MAX_LAYERS = 64  # The kernel's fixed per-layer tables.
ABI = 1  # Must equal lf_abi() in _flowkernel.c: bumped whenever an exported signature changes.
# Steps are capped at STABLE_H_RHO[method] / rho, inside each method's stability interval on the
# negative real axis (~3.3 for DP5, ~6.1 for DOP853).
STABLE_H_RHO = {"DP5": 3.0, "DOP853": 5.5}
_METHOD_CODE = {"DP5": 0, "DOP853": 1}
# Steps per call into C (between calls: progress, the time budget, the step cap): about
# CHUNK_WORK / n_params, so a call lasts a few milliseconds whatever the network's size.
CHUNK_WORK = 200_000
CHUNK_STEPS = (20, 2000)
MAX_STEPS = 2_000_000  # A run is stopped as "failed" after this many steps.
_STATUS = {0: "t_end", 1: "converged", 2: "diverged", 3: "chunk", 4: "failed"}

_D = ctypes.POINTER(ctypes.c_double)
_I = ctypes.POINTER(ctypes.c_int)
_L = ctypes.POINTER(ctypes.c_long)


def _load(folder: Path | None = None) -> ctypes.CDLL | None:
    """The built kernel, or None if there is none or it was built from other sources (a stale
    build: the Makefile reinstalls when the C sources change; ``pip install -e .`` does it)."""
    here = folder or Path(__file__).resolve().parent
    for path in sorted(here.glob("_flowkernel*.so")):
        try:
            lib = ctypes.CDLL(str(path))
            lib.lf_abi.restype = ctypes.c_int
            if lib.lf_abi() != ABI:
                continue
        except (OSError, AttributeError):
            continue
        lib.lf_integrate.restype = ctypes.c_int
        lib.lf_work.restype = ctypes.c_long
        lib.lf_rhs_work.restype = ctypes.c_long
        return lib
    return None


_LIB = _load()


@functools.cache
def _dgemm() -> int | None:
    """The address of BLAS dgemm (Fortran convention) from scipy.linalg.cython_blas, or None."""
    try:
        from scipy.linalg import cython_blas
    except ImportError:  # pragma: no cover - scipy always ships it
        return None
    capsule = cython_blas.__pyx_capi__["dgemm"]
    name = ctypes.pythonapi.PyCapsule_GetName
    name.restype, name.argtypes = ctypes.c_char_p, [ctypes.py_object]
    pointer = ctypes.pythonapi.PyCapsule_GetPointer
    pointer.restype, pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    address = pointer(capsule, name(capsule))
    return int(address) if address else None


def available() -> bool:
    """Whether the compiled kernel was built and loads."""
    return _LIB is not None


def supports(obj: Objective) -> bool:
    return _LIB is not None and len(obj.shapes) <= MAX_LAYERS


@functools.cache
def _dop853_tableau() -> NDArray[np.float64]:
    """DOP853's coefficients (Hairer) in the kernel's layout: A (16 x 16), B, E3, E5, D (4 x 16)."""
    from scipy.integrate._ivp import dop853_coefficients as d

    parts = (d.A[:16, :16], d.B, d.E3, d.E5, d.D)
    tableau = np.ascontiguousarray(np.concatenate([np.ravel(x) for x in parts]), dtype=np.float64)
    tableau.flags.writeable = False  # cached and shared by every run
    return tableau


def _ptr(a: NDArray, kind: type = _D) -> ctypes._Pointer:
    return a.ctypes.data_as(kind)


@dataclass(frozen=True)
class _Net:
    """The network in the layout the kernel reads: dims, target T (dy, dx), metric S or None."""

    rows: NDArray[np.intc]
    cols: NDArray[np.intc]
    T: NDArray[np.float64]
    S: NDArray[np.float64] | None
    gemm: int | None  # BLAS dgemm's address for large networks; None: plain loops

    @classmethod
    def of(cls, obj: Objective) -> _Net:
        S = obj.S
        return cls(
            np.array([r for r, _ in obj.shapes], dtype=np.intc),
            np.array([c for _, c in obj.shapes], dtype=np.intc),
            np.ascontiguousarray(obj.target, dtype=np.float64),
            None if S is None else np.ascontiguousarray(S, dtype=np.float64),
            _dgemm() if obj.n_params > BLAS_MIN_PARAMS else None,
        )

    def args(self) -> tuple:
        S = None if self.S is None else _ptr(self.S)
        gemm = None if self.gemm is None else ctypes.c_void_p(self.gemm)
        return (len(self.rows), _ptr(self.rows, _I), _ptr(self.cols, _I), _ptr(self.T), S, gemm)


def _library() -> ctypes.CDLL:
    if _LIB is None:
        raise RuntimeError("the compiled kernel is not built: reinstall linflow (pip install -e .)")
    return _LIB


def _rhs_repeat(
    obj: Objective, theta: NDArray[np.float64], reps: int
) -> tuple[NDArray[np.float64], float]:
    """f = -grad L(theta) evaluated ``reps`` times in C, and the seconds per evaluation."""
    lib, net = _library(), _Net.of(obj)
    work = np.empty(lib.lf_rhs_work(len(net.rows), _ptr(net.rows, _I), _ptr(net.cols, _I)))
    y = np.ascontiguousarray(theta, dtype=np.float64)
    f = np.empty_like(y)
    t0 = time.perf_counter()
    lib.lf_rhs_repeat(*net.args(), _ptr(y), _ptr(f), _ptr(work), ctypes.c_long(reps))
    return f, (time.perf_counter() - t0) / reps


def compiled_rhs(obj: Objective, theta: NDArray[np.float64]) -> NDArray[np.float64]:
    """-grad L(theta) from the kernel (the same quantity as ``obj.rhs``), shape (n_params,)."""
    return _rhs_repeat(obj, theta, 1)[0]


def rhs_seconds(obj: Objective, theta: NDArray[np.float64], reps: int = 1000) -> float:
    """Seconds per compiled right-hand-side evaluation, timed over ``reps`` calls made in C."""
    return _rhs_repeat(obj, theta, reps)[1]


@dataclass(frozen=True)
class CompiledRun:
    """What :func:`run` produced: samples at ``t`` (k,) of ``y`` (k, n_params), and how it ended."""

    t: NDArray[np.float64]
    y: NDArray[np.float64]
    status: str  # "t_max", "converged", "diverged" or "failed"
    message: str
    nfev: int
    n_steps: int


def run(
    obj: Objective,
    theta0: NDArray[np.float64],
    t_max: float,
    grid: NDArray[np.float64],
    rtol: float,
    atol: float,
    gtol: float,
    gtol_drop: float,
    stop_at_convergence: bool,
    max_norm: float,
    progress: Callable[[float], None] | None = None,
    max_seconds: float | None = None,
    method: str = "DP5",
) -> CompiledRun:
    """Integrate d theta/dt = -grad L from theta0 on [0, t_max], sampling at ``grid`` (G,).

    Stops at t_max; on convergence (when ``stop_at_convergence``; the same test as
    ``core.integrate.settled``, the final state appended as a sample); on divergence (the
    samples so far kept); after MAX_STEPS steps or ``max_seconds`` ("failed").
    """
    lib = _library()
    t_wall = time.perf_counter()
    if method not in _METHOD_CODE:
        raise ValueError(f"compiled method must be one of {sorted(_METHOD_CODE)}; got {method!r}")
    code_m = _METHOD_CODE[method]
    tableau = _dop853_tableau() if method == "DOP853" else np.zeros(1)
    net = _Net.of(obj)
    n = theta0.size
    work = np.empty(lib.lf_work(code_m, len(net.rows), _ptr(net.rows, _I), _ptr(net.cols, _I), n))
    y = np.array(theta0, dtype=np.float64)
    f = compiled_rhs(obj, y)
    grid = np.ascontiguousarray(grid, dtype=np.float64)
    samples = np.full((grid.size, n), np.nan)
    # Initial step: Hairer, Norsett & Wanner's first-stage heuristic.
    sc = atol + rtol * np.abs(y)
    d0, d1 = np.sqrt(np.mean((y / sc) ** 2)), np.sqrt(np.mean((f / sc) ** 2))
    h0 = 1e-6 if d0 < 1e-5 or d1 < 1e-5 else 0.01 * d0 / d1
    t, h = ctypes.c_double(0.0), ctypes.c_double(min(h0, t_max))
    gpeak = ctypes.c_double(float(np.linalg.norm(f)))
    i_next = ctypes.c_long(0)
    counts = np.zeros(3, dtype=np.int_)  # evaluations, accepted, rejected steps
    status, message = "t_max", f"reached t_max = {t_max:.6g} without converging"
    g_tol = gtol if stop_at_convergence else 0.0
    chunk = int(np.clip(CHUNK_WORK // max(n, 1), *CHUNK_STEPS))
    if stop_at_convergence and gpeak.value == 0.0:  # an exact critical point: settled at once
        return CompiledRun(
            np.array([0.0]), y[None, :], "converged", "converged at t = 0 (||grad L|| = 0)", 1, 0
        )
    while True:
        code = lib.lf_integrate(
            code_m,
            _ptr(tableau),
            *net.args(),
            ctypes.c_long(n),
            _ptr(y),
            _ptr(f),
            ctypes.byref(t),
            ctypes.byref(h),
            ctypes.c_double(t_max),
            ctypes.c_double(rtol),
            ctypes.c_double(atol),
            ctypes.c_double(g_tol),
            ctypes.c_double(gtol_drop),
            ctypes.byref(gpeak),
            ctypes.c_double(max_norm),
            ctypes.c_double(STABLE_H_RHO[method]),
            _ptr(grid),
            ctypes.c_long(grid.size),
            ctypes.byref(i_next),
            _ptr(samples),
            ctypes.c_long(chunk),
            _ptr(counts, _L),
            _ptr(work),
        )
        outcome = _STATUS[code]
        if progress is not None:
            progress(min(1.0, t.value / t_max))
        if outcome == "t_end":
            break
        if outcome == "converged":
            g = float(np.linalg.norm(f))
            status = "converged"
            message = f"converged at t = {t.value:.6g} (||grad L|| = {g:.2e} < {gtol:.1e})"
            break
        if outcome == "diverged":
            status = "diverged"
            message = f"weights exceeded {max_norm:.0e} (diverged) at t = {t.value:.6g}"
            break
        if outcome == "failed":
            status = "failed"
            message = f"step size underflow at t = {t.value:.6g}"
            break
        if counts[1] + counts[2] >= MAX_STEPS:
            status = "failed"
            message = f"stopped at t = {t.value:.6g} after {MAX_STEPS} steps (too stiff)"
            break
        if max_seconds is not None and time.perf_counter() - t_wall > max_seconds:
            status = "failed"
            message = (
                f"stopped at t = {t.value:.6g} after {max_seconds:g} s of computation (the "
                "time budget); lower t_max or run it from the command line"
            )
            break
    k = int(i_next.value)
    ts, ys = grid[:k], samples[:k]
    if status in ("converged", "failed") and (k == 0 or ts[-1] < t.value):
        ts, ys = np.append(ts, t.value), np.vstack([ys, y[None, :]])
    elif k == 0:  # diverged before the first requested sample: keep the start
        ts, ys = np.array([0.0]), np.asarray(theta0, dtype=np.float64)[None, :]
    return CompiledRun(ts, ys, status, message, int(counts[0]) + 1, int(counts[1] + counts[2]))
