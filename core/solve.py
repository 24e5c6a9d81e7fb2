"""What every solver path is given and gives back: :class:`SolveSpec` (the horizon, sampling,
tolerances, the stopping rule and the plateau bands) and :class:`RawRun` (samples, how the
solver stopped, counters and plateau visits). ``core.integrate`` builds the one, runs a path
(the compiled kernel or the scipy loop) and turns the other into a ``Trajectory``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from core.critical_values import Bands
from core.stopping import StopRule
from core.visits import Visit

__all__ = ["RAW_STATUSES", "RawRun", "SolveSpec"]

# How a solver path stopped; "t_max" and "converged" are refined by core.stopping.end_status.
RAW_STATUSES = ("t_max", "converged", "diverged", "budget", "failed")


@dataclass(frozen=True, eq=False)
class SolveSpec:
    """One integration on [0, t_max].

    grid : ndarray, shape (G,)
        Sample times, increasing, within [0, t_max].
    rtol, atol : float
        The tolerances the caller asked for (paths may tighten them internally).
    rule : StopRule
        The stopping rule; ``stop`` says whether to stop early when it holds.
    bands : Bands or None
        Plateau bands to track visits in (None when the ladder is too large to enumerate).
    """

    t_max: float
    grid: NDArray[np.float64]
    rtol: float
    atol: float
    rule: StopRule
    stop: bool
    bands: Bands | None
    max_norm: float
    max_seconds: float | None = None
    progress: Callable[[float], None] | None = None

    def __post_init__(self) -> None:
        if not (np.isfinite(self.t_max) and self.t_max > 0):
            raise ValueError(f"t_max must be a positive finite number; got {self.t_max!r}")
        g = self.grid
        if g.ndim != 1 or g.size == 0 or np.any(np.diff(g) <= 0) or g[0] < 0 or g[-1] > self.t_max:
            raise ValueError("sample times must be strictly increasing within [0, t_max]")
        if not (self.rtol > 0 and self.atol > 0):
            raise ValueError(f"rtol and atol must be positive; got {self.rtol!r}, {self.atol!r}")


@dataclass(frozen=True, eq=False)
class RawRun:
    """What a solver path produced: samples ``y`` (k, n_params) at ``t`` (k,), a raw status in
    :data:`RAW_STATUSES` with ``detail`` (why it diverged, ran out of budget or failed), the
    final state's time, counters, and the plateau visits."""

    t: NDArray[np.float64]
    y: NDArray[np.float64]
    status: str
    detail: str
    nfev: int
    njev: int
    visits: tuple[Visit, ...]

    def __post_init__(self) -> None:
        if self.status not in RAW_STATUSES:
            raise ValueError(f"raw status must be one of {RAW_STATUSES}; got {self.status!r}")
