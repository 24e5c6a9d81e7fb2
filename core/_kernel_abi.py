"""The compiled kernel's interface as ctypes sees it: mirrors of the structs in ``_flownet.h``
(field by field, in order) and the signature of every exported C function. Bump ``ABI`` in
``core/kernel.py`` and ``lf_abi()`` in ``_flowkernel.c`` together with any change here."""

from __future__ import annotations

import ctypes

__all__ = ["SIGNATURES", "Out", "Spec", "State"]

_D = ctypes.POINTER(ctypes.c_double)
_I = ctypes.POINTER(ctypes.c_int)


class Spec(ctypes.Structure):
    _fields_ = [
        ("L", ctypes.c_int),
        ("rows", _I),
        ("cols", _I),
        ("T", _D),
        ("S", _D),
        ("gemm", ctypes.c_void_p),
        ("n", ctypes.c_long),
        ("method", ctypes.c_int),
        ("tableau", _D),
        ("stable_h_rho", ctypes.c_double),
        ("t_end", ctypes.c_double),
        ("rtol", ctypes.c_double),
        ("atol", ctypes.c_double),
        ("max_norm", ctypes.c_double),
        ("stop", ctypes.c_int),
        ("gtol", ctypes.c_double),
        ("ltol", ctypes.c_double),
        ("max_steps", ctypes.c_long),
        ("grid", _D),
        ("n_grid", ctypes.c_long),
        ("n_bands", ctypes.c_int),
        ("band_lo", _D),
        ("band_hi", _D),
        ("band_half", _D),
        ("max_visits", ctypes.c_int),
    ]


class State(ctypes.Structure):
    _fields_ = [
        ("t", ctypes.c_double),
        ("h", ctypes.c_double),
        ("g", ctypes.c_double),
        ("excess", ctypes.c_double),
        ("i_next", ctypes.c_long),
        ("nfev", ctypes.c_long),
        ("n_accepted", ctypes.c_long),
        ("n_rejected", ctypes.c_long),
        ("band", ctypes.c_int),
        ("n_visits", ctypes.c_int),
        ("v_before", ctypes.c_double),
        ("v_enter", ctypes.c_double),
        ("v_exit", ctypes.c_double),
        ("v_gmin", ctypes.c_double),
        ("v_tmin", ctypes.c_double),
        ("t_last", ctypes.c_double),
    ]


class Out(ctypes.Structure):
    _fields_ = [
        ("samples", _D),
        ("v_band", _I),
        ("v_before", _D),
        ("v_enter", _D),
        ("v_exit", _D),
        ("v_after", _D),
        ("v_gmin", _D),
        ("v_tmin", _D),
        ("v_stall", _D),
        ("v_theta", _D),
        ("open_theta", _D),
    ]


SIGNATURES = {
    "lf_abi": ([], ctypes.c_int),
    "lf_max_layers": ([], ctypes.c_int),
    "lf_avx512": ([], ctypes.c_int),
    "lf_work": ([ctypes.POINTER(Spec)], ctypes.c_long),
    "lf_rhs_work": ([ctypes.c_int, _I, _I], ctypes.c_long),
    "lf_rhs": ([ctypes.POINTER(Spec), _D, _D, _D, _D, ctypes.c_long], ctypes.c_int),
    "lf_integrate": (
        [ctypes.POINTER(Spec), ctypes.POINTER(State), _D, _D, ctypes.POINTER(Out), _D],
        ctypes.c_int,
    ),
    "lf_visit_step": (
        [ctypes.POINTER(Spec), ctypes.POINTER(State), ctypes.POINTER(Out), ctypes.c_double, _D],
        None,
    ),
    "lf_visit_close": (
        [ctypes.POINTER(Spec), ctypes.POINTER(State), ctypes.POINTER(Out), ctypes.c_double],
        None,
    ),
}
