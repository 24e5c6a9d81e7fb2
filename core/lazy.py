"""scipy subpackages that ``import core`` does not need, imported whole on first use.

``import core`` stays fast (0.19 s) by leaving scipy.integrate (~0.3 s) and scipy.sparse.linalg to
the functions that use them. Imported that way from several threads at once (the hosted app's
threaded workers ask for the same view four times), Python's per-module import locks deadlock: one
thread imports ``scipy.integrate._ivp.rk`` while another runs ``scipy/integrate/__init__``, and one
of them fails with ``_DeadlockError`` or ``KeyError: 'scipy.integrate'`` (seen in CI). So every
first use goes through :func:`scipy_module`, which imports the whole package under one lock before
anything reaches into it.
"""

from __future__ import annotations

import importlib
import threading
from types import ModuleType

_IMPORT_LOCK = threading.Lock()


def scipy_module(name: str) -> ModuleType:
    """``scipy.<name>`` ("integrate", "sparse.linalg"), fully imported; call it before importing
    from the package or from a module that imports it at its top (``core.batch``, ``core.rkc``)."""
    with _IMPORT_LOCK:
        return importlib.import_module(f"scipy.{name}")
