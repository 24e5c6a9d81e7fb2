"""The compiled flow kernel (``core/_flownet.c``, ``_flowgemm.c``, ``_flowstage.c``,
``_flowkernel.c``): explicit Runge-Kutta integrators with the deep linear network's right-hand
side in C, loaded with ctypes.

On small networks a numpy right-hand side costs microseconds of interpreter overhead per call
against a few hundred multiply-adds of arithmetic, so every Python-level solver is
overhead-bound; the kernel runs whole stretches of steps without returning to Python. Its steps
are capped by the stability of the method (``STABLE_H_RHO / rho``, rho from Hairer's free
stiffness estimate); ``core.integrate`` chooses it only when that bound keeps the step count
modest. It applies the stopping rule of :mod:`core.stopping` and tracks plateau visits exactly
as :class:`core.visits.VisitTracker` does.

Two methods: "DP5" (Dormand-Prince 5(4); cheapest per step, best while the stability cap sets
the step) and "DOP853" (Hairer's 8th-order method; fewer evaluations when accuracy sets the
step; its tableau is read from scipy). Each runs at ``RTOL_FACTOR[method]`` x the requested
tolerances, so that ``integrate(rtol=r)`` meets about r: DOP853's blended error estimate accepts
steps whose error is far above the tolerance (measured: weights off by up to 1,700 x rtol at face
value, within 20 x at 0.01 rtol), and DP5's 4th-order dense output adds an error its step control
does not see (up to 110 x at face value, within 33 x at 0.1 rtol).
Large networks' products go through BLAS dgemm (scipy.linalg.cython_blas), or, with AVX-512
(:func:`small_products`), the kernel's own up to 4 M multiply-adds (P2's RHS 35 -> 14 us).

The boundary is checked on both sides: every C function has ``argtypes`` and ``restype``, the
network's dims are checked here (:func:`supports`) and again in C (a bad spec returns an error,
never reads out of bounds). Without a build, ``available()`` is False and ``core.integrate``
uses scipy's solvers.
"""

from __future__ import annotations

import ctypes
import functools
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from core._kernel_abi import SIGNATURES as _SIGNATURES
from core._kernel_abi import Out as _Out
from core._kernel_abi import Spec as _Spec
from core._kernel_abi import State as _State
from core.derivatives import Objective
from core.lazy import scipy_module
from core.solve import RawRun, SolveSpec
from core.visits import MAX_VISITS, Visit

__all__ = [
    "Runner",
    "available",
    "compiled_rhs",
    "rhs_seconds",
    "run",
    "small_products",
    "supports",
]

# Above this many parameters the kernel's products go through BLAS dgemm, or through its own
# AVX-512 code where the CPU has it and the product is small (see small_products).
BLAS_MIN_PARAMS = 1000
MAX_LAYERS = 1024  # Must equal LF_MAX_LAYERS in _flownet.h (checked at load).
ABI = 3  # Must equal lf_abi() in _flowkernel.c: bumped whenever an exported signature changes.
# Steps are capped at STABLE_H_RHO[method] / rho, inside each method's stability interval on the
# negative real axis (~3.3 for DP5, ~6.1 for DOP853).
STABLE_H_RHO = {"DP5": 3.0, "DOP853": 5.5}
RTOL_FACTOR = {"DP5": 0.1, "DOP853": 0.01}  # each runs at this x the requested rtol, atol
_METHOD_CODE = {"DP5": 0, "DOP853": 1}
# Steps per call into C (between calls: progress, the time budget, the step cap): about
# CHUNK_WORK / n_params, so a call lasts a few milliseconds whatever the network's size.
CHUNK_WORK = 200_000
CHUNK_STEPS = (20, 2000)
MAX_STEPS = 2_000_000  # A run is stopped (status "budget") after this many steps.
_STATUS = {-1: "bad spec", 0: "t_end", 1: "converged", 2: "diverged", 3: "chunk", 4: "failed"}

_D = ctypes.POINTER(ctypes.c_double)
_I = ctypes.POINTER(ctypes.c_int)


def _load(folder: Path | None = None) -> ctypes.CDLL | None:
    """The built kernel, or None if there is none or it was built from other sources (a stale
    build: the Makefile reinstalls when the C sources change; ``pip install -e .`` does it)."""
    here = folder or Path(__file__).resolve().parent
    for path in sorted(here.glob("_flowkernel*.so")):
        try:
            lib = ctypes.CDLL(str(path))
            lib.lf_abi.argtypes, lib.lf_abi.restype = [], ctypes.c_int
            if lib.lf_abi() != ABI:
                continue
            for name, (args, res) in _SIGNATURES.items():
                fn = getattr(lib, name)
                fn.argtypes, fn.restype = args, res
            if lib.lf_max_layers() != MAX_LAYERS:
                continue
            lib.lf_avx512()  # its CPU check once, here (under the import lock), not in a run
        except (OSError, AttributeError):
            continue
        return lib
    return None


_LIB = _load()


@functools.cache
def _dgemm() -> int | None:
    """The address of BLAS dgemm (Fortran convention) from scipy.linalg.cython_blas, or None."""
    try:
        scipy_module("linalg")
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


def small_products() -> bool:
    """Whether BLAS-sized nets' small products run through the kernel's AVX-512 code."""
    return _LIB is not None and bool(_LIB.lf_avx512())


def supports(obj: Objective) -> bool:
    """Whether the kernel is built and can hold this network (at most MAX_LAYERS layers)."""
    return _LIB is not None and 1 <= len(obj.shapes) <= MAX_LAYERS


@functools.cache
def _dop853_tableau() -> NDArray[np.float64]:
    """DOP853's coefficients (Hairer) in the kernel's layout: A (16 x 16), B, E3, E5, D (4 x 16)."""
    scipy_module("integrate")
    from scipy.integrate._ivp import dop853_coefficients as d

    # The kernel forms y_new and both error vectors before f(y_new): its error weights must be 0.
    if d.E3[12] != 0.0 or d.E5[12] != 0.0:  # pragma: no cover - fixed by the method
        raise RuntimeError("DOP853's error weights changed: the kernel needs E3[12] = E5[12] = 0")
    parts = (d.A[:16, :16], d.B, d.E3, d.E5, d.D)
    tableau = np.ascontiguousarray(np.concatenate([np.ravel(x) for x in parts]), dtype=np.float64)
    tableau.flags.writeable = False  # cached and shared by every run
    return tableau


def _ptr(a: NDArray[Any] | None, kind: type = _D) -> Any:
    return None if a is None else a.ctypes.data_as(kind)


def _library(obj: Objective) -> ctypes.CDLL:
    if _LIB is None:
        raise RuntimeError("the compiled kernel is not built: reinstall linflow (pip install -e .)")
    if not supports(obj):
        raise ValueError(
            f"the compiled kernel holds at most {MAX_LAYERS} layers; this network has "
            f"{len(obj.shapes)}: use a scipy method"
        )
    return _LIB


@dataclass
class _Arrays:
    """Arrays a spec points into; kept alive as long as the spec is used."""

    rows: NDArray[np.intc]
    cols: NDArray[np.intc]
    T: NDArray[np.float64]
    S: NDArray[np.float64] | None
    tableau: NDArray[np.float64]
    grid: NDArray[np.float64]
    band_lo: NDArray[np.float64]
    band_hi: NDArray[np.float64]
    band_half: NDArray[np.float64]


def _spec(
    obj: Objective, method: str = "DP5", solve: SolveSpec | None = None
) -> tuple[_Spec, _Arrays]:
    """The C spec of a network (and, with ``solve``, of a run) and the arrays it points into."""
    S = obj.S
    bands = solve.bands if solve is not None else None
    arrays = _Arrays(
        rows=np.array([r for r, _ in obj.shapes], dtype=np.intc),
        cols=np.array([c for _, c in obj.shapes], dtype=np.intc),
        T=np.ascontiguousarray(obj.target, dtype=np.float64),
        S=None if S is None else np.ascontiguousarray(S, dtype=np.float64),
        tableau=_dop853_tableau() if method == "DOP853" else np.zeros(1),
        grid=np.ascontiguousarray(solve.grid if solve is not None else np.zeros(1)),
        band_lo=np.zeros(1) if bands is None else bands.excess - bands.half_width,
        band_hi=np.zeros(1) if bands is None else bands.excess + bands.half_width,
        band_half=np.zeros(1) if bands is None else np.array(bands.half_width, dtype=np.float64),
    )
    spec = _Spec(
        L=len(obj.shapes),
        rows=_ptr(arrays.rows, _I),
        cols=_ptr(arrays.cols, _I),
        T=_ptr(arrays.T),
        S=_ptr(arrays.S),
        gemm=_dgemm() if obj.n_params > BLAS_MIN_PARAMS else None,
        n=obj.n_params,
        method=_METHOD_CODE[method],
        tableau=_ptr(arrays.tableau),
        stable_h_rho=STABLE_H_RHO[method],
        grid=_ptr(arrays.grid),
        n_grid=0 if solve is None else solve.grid.size,
        band_lo=_ptr(arrays.band_lo),
        band_hi=_ptr(arrays.band_hi),
        band_half=_ptr(arrays.band_half),
        n_bands=0 if bands is None else bands.excess.size,
        max_visits=MAX_VISITS,
    )
    if solve is not None:
        factor = RTOL_FACTOR[method]
        spec.t_end, spec.rtol, spec.atol = solve.t_max, factor * solve.rtol, factor * solve.atol
        spec.max_norm, spec.stop = solve.max_norm, int(solve.stop)
        spec.gtol, spec.ltol = solve.rule.gtol, solve.rule.ltol
    return spec, arrays


def _rhs_repeat(
    obj: Objective, theta: NDArray[np.float64], reps: int
) -> tuple[NDArray[np.float64], float, float]:
    """f = -grad L(theta) and L - L*, evaluated ``reps`` times in C, and seconds per evaluation."""
    lib = _library(obj)
    spec, keep = _spec(obj)
    rows, cols = keep.rows, keep.cols
    work = np.empty(lib.lf_rhs_work(len(rows), _ptr(rows, _I), _ptr(cols, _I)))
    y = np.ascontiguousarray(theta, dtype=np.float64)
    if y.shape != (obj.n_params,):
        raise ValueError(f"theta must have shape ({obj.n_params},); got {y.shape}")
    f, excess = np.empty_like(y), ctypes.c_double(0.0)
    t0 = time.perf_counter()
    if lib.lf_rhs(ctypes.byref(spec), _ptr(y), _ptr(f), ctypes.pointer(excess), _ptr(work), reps):
        raise ValueError("the compiled kernel refused the network's dims")
    return f, excess.value, (time.perf_counter() - t0) / reps


def compiled_rhs(obj: Objective, theta: NDArray[np.float64]) -> NDArray[np.float64]:
    """-grad L(theta) from the kernel (the same quantity as ``obj.rhs``), shape (n_params,)."""
    return _rhs_repeat(obj, theta, 1)[0]


def rhs_seconds(obj: Objective, theta: NDArray[np.float64], reps: int = 1000) -> float:
    """Seconds per compiled right-hand-side evaluation, timed over ``reps`` calls made in C."""
    return _rhs_repeat(obj, theta, reps)[2]


def _visits(
    spec: _Spec, state: _State, out: dict[str, NDArray[Any]], solve: SolveSpec
) -> tuple[Visit, ...]:
    assert solve.bands is not None or state.n_visits == 0
    found = []
    for k in range(state.n_visits):
        b = int(out["v_band"][k])
        found.append(
            Visit(
                band=b,
                rung=solve.bands.rung[b],  # type: ignore[union-attr]
                t_before=float(out["v_before"][k]),
                t_enter=float(out["v_enter"][k]),
                t_exit=float(out["v_exit"][k]),
                t_after=float(out["v_after"][k]),
                g_min=float(out["v_gmin"][k]),
                t_min=float(out["v_tmin"][k]),
                theta_min=np.array(out["v_theta"][k]),
                stall=float(out["v_stall"][k]),
            )
        )
    return tuple(sorted(found, key=lambda v: v.t_enter))


class Runner:
    """The kernel set up for one network and one :class:`SolveSpec`, to run many starts: the C
    spec, work space and output buffers are made once (a sweep's runs of a small network cost
    ~0.3 ms each in C, against ~0.5 ms of per-run setup when each went through :func:`run`).

    ``runner(theta0, atol=...)`` integrates one start (``atol`` overrides ``solve.atol``, as a
    sweep scales it to each start) and returns its :class:`RawRun`.
    """

    def __init__(self, obj: Objective, solve: SolveSpec, method: str = "DP5") -> None:
        if method not in _METHOD_CODE:
            raise ValueError(
                f"compiled method must be one of {sorted(_METHOD_CODE)}; got {method!r}"
            )
        self.lib, self.obj, self.solve, self.method = _library(obj), obj, solve, method
        self.spec, self._arrays = _spec(obj, method, solve)  # _arrays: what spec points into
        self._bare, self._bare_arrays = _spec(obj)  # for the first right-hand side
        rows, cols = self._arrays.rows, self._arrays.cols
        self._rhs_work = np.empty(self.lib.lf_rhs_work(len(rows), _ptr(rows, _I), _ptr(cols, _I)))
        self.work = np.empty(self.lib.lf_work(ctypes.byref(self.spec)))
        n, G = obj.n_params, solve.grid.size
        n_vis = max(MAX_VISITS if solve.bands is not None else 0, 1)
        self.out = {
            "samples": np.full((G, n), np.nan),
            "v_band": np.zeros(n_vis, dtype=np.intc),
            **{k: np.zeros(n_vis) for k in ("v_before", "v_enter", "v_exit", "v_after")},
            **{k: np.zeros(n_vis) for k in ("v_gmin", "v_tmin", "v_stall")},
            "v_theta": np.zeros((n_vis, n)),
            "open_theta": np.zeros(n),
        }
        self.c_out = _Out(**{k: _ptr(v, _I if k == "v_band" else _D) for k, v in self.out.items()})
        self.spec.max_steps = int(np.clip(CHUNK_WORK // max(n, 1), *CHUNK_STEPS))
        self._used = False

    def __call__(
        self, theta0: NDArray[np.float64], *, atol: float | None = None, last: bool = False
    ) -> RawRun:
        """``last``: this runner's final run; its samples are handed over, not copied (a large
        run's samples are most of its memory)."""
        lib, spec, solve, out = self.lib, self.spec, self.solve, self.out
        t_wall = time.perf_counter()
        if atol is not None:
            spec.atol = RTOL_FACTOR[self.method] * atol
        y = np.array(theta0, dtype=np.float64)
        if y.shape != (self.obj.n_params,):
            raise ValueError(f"theta0 must have shape ({self.obj.n_params},); got {y.shape}")
        f, excess = np.empty_like(y), ctypes.c_double(0.0)
        if lib.lf_rhs(
            ctypes.byref(self._bare),
            _ptr(y),
            _ptr(f),
            ctypes.pointer(excess),
            _ptr(self._rhs_work),
            1,
        ):
            raise ValueError("the compiled kernel refused the network's dims")
        if self._used:  # the previous run's samples
            out["samples"].fill(np.nan)
        self._used = True
        # Initial step: Hairer, Norsett & Wanner's first-stage heuristic.
        sc = spec.atol + spec.rtol * np.abs(y)
        d0, d1 = np.sqrt(np.mean((y / sc) ** 2)), np.sqrt(np.mean((f / sc) ** 2))
        h0 = 1e-6 if d0 < 1e-5 or d1 < 1e-5 else 0.01 * d0 / d1
        g = float(np.linalg.norm(f))
        state = _State(t=0.0, h=min(h0, solve.t_max), g=g, excess=excess.value)
        state.band, state.nfev = -1, 1
        c_out = ctypes.byref(self.c_out)
        lib.lf_visit_step(ctypes.byref(spec), ctypes.byref(state), c_out, 0.0, _ptr(y))
        status, detail = "t_max", ""
        if solve.stop and solve.rule.converged(state.g, state.excess):
            status = "converged"  # at the global minimum from the start
        while status == "t_max":
            code = lib.lf_integrate(
                ctypes.byref(spec), ctypes.byref(state), _ptr(y), _ptr(f), c_out, _ptr(self.work)
            )
            outcome = _STATUS[code]
            if solve.progress is not None:
                solve.progress(min(1.0, state.t / solve.t_max))
            if outcome == "t_end":
                break
            if outcome == "bad spec":  # unreachable after the checks above; never read garbage
                raise RuntimeError("the compiled kernel refused the run's specification")
            if outcome in ("converged", "diverged"):
                status = outcome
                if outcome == "diverged":
                    detail = f"a weight exceeded {solve.max_norm:.0e}"
            elif outcome == "failed":
                status, detail = "failed", "the step size underflowed"
            elif state.n_accepted + state.n_rejected >= MAX_STEPS:
                status, detail = "budget", f"{MAX_STEPS} steps (too stiff for this method)"
            elif solve.max_seconds is not None and time.perf_counter() - t_wall > solve.max_seconds:
                status = "budget"
                detail = (
                    f"{solve.max_seconds:g} s of computation (the time budget); lower t_max or "
                    "run it from the command line"
                )
        lib.lf_visit_close(ctypes.byref(spec), ctypes.byref(state), c_out, state.t)
        k = int(state.i_next)
        ts, samples = solve.grid[:k], out["samples"]
        if status not in ("diverged", "t_max") and (k == 0 or ts[-1] < state.t):
            # The final state as one more sample, in the buffer's next row (a run that stopped
            # early has left rows free): no copy of a large run's samples.
            if k < samples.shape[0]:
                samples[k] = y
                ts, ys = np.append(ts, state.t), samples[: k + 1]
            else:
                ts, ys = np.append(ts, state.t), np.vstack([samples[:k], y[None, :]])
        else:
            ys = samples[:k]
        if not last:
            ys = ys.copy()
        if k == 0 and status in ("diverged", "t_max"):  # diverged before the first sample
            ts, ys = np.array([0.0]), np.asarray(theta0, dtype=np.float64)[None, :]
        visits = _visits(spec, state, out, solve)
        return RawRun(ts, ys, status, detail, int(state.nfev), 0, visits)


def run(
    obj: Objective, theta0: NDArray[np.float64], solve: SolveSpec, method: str = "DP5"
) -> RawRun:
    """Integrate d theta/dt = -grad L from theta0 as ``solve`` says, with ``method`` ("DP5" or
    "DOP853"): samples on its grid, the stopping rule, divergence, the time budget and the step
    cap (status "budget"), plateau visits. The final state is appended as a sample when the run
    stopped before t_max."""
    return Runner(obj, solve, method)(theta0, last=True)
