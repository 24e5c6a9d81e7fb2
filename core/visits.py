"""Plateaus of L(t): where a run lingers near a rung of the ladder (a saddle it visits), read
from the solution itself, not from the sample grid.

Every integrator tracks, at each accepted step, which rung's band (:meth:`Ladder.bands`) the
loss is in, and records each stay in a band as a :class:`Visit`: when it entered and left, and
the state where ||grad L|| was smallest (the run's closest approach to the critical point).
Whatever ``n_samples`` is, no stay longer than one step is missed.

A visit is a **plateau** when the run stalled in the band: had it moved at its slowest speed
(d(L)/dt = -||grad L||^2 at g_min) for the whole stay, it would have crossed less than
``PLATEAU_STALL`` of the band, ``span g_min^2 <= PLATEAU_STALL x width``. A transition that merely
passes through a rung's value moves at about the same speed all through the band and does not
count, and neither does the stay in the global minimum's band (where a converging run ends).
From small initialisations the plateaus are the greedy sequence of NOTES.md:
{} -> {1} -> {1,2} -> ..., up to the last saddle before the minimum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from core import critical_values
from core._weights import Weights, unflatten
from core.critical_values import Bands, Ladder, Rung, label
from core.derivatives import end_to_end
from core.problem import Problem

__all__ = [
    "MAX_VISITS",
    "PLATEAU_STALL",
    "Plateau",
    "Visit",
    "VisitTracker",
    "is_plateau",
    "plateaus",
    "reduced_products",
    "stall",
]

# A stay in a band is a plateau when span x g_min^2 <= PLATEAU_STALL x band width: at its slowest
# the run moved at under 3/4 of the speed it crossed the band with. A run passing a rung's value
# far from any critical point keeps its speed (scores >= 1); measured on 1,000 visits of runs
# from scales 1e-8 to 0.1 (H = 1, 2; six spectra), stays near saddles score 0 to ~0.6.
PLATEAU_STALL = 0.75
# Visits kept per run (each holds one weight vector); beyond it the least stalled are dropped.
MAX_VISITS = 32


def is_plateau(band: int, score: float) -> bool:
    """Whether a stay in band ``band`` (of :meth:`Ladder.bands`, ascending: band 0 is the global
    minimum's) that scored ``score`` (:func:`stall`) is a plateau: the run stalled there, at a
    saddle. The global minimum's band is where a converging run ends, not a plateau."""
    return band != 0 and score <= PLATEAU_STALL


def stall(span: float, g_min: float, half_width: float) -> float:
    """``span g_min^2 / width``: the fraction of its band a stay would cross at its slowest."""
    return span * g_min * g_min / (2.0 * half_width) if half_width > 0 else np.inf


@dataclass(frozen=True, eq=False)
class Visit:
    """One stay of a run in a rung's band.

    ``t_before`` is the last accepted time before entering (0 if the run started in the band),
    ``t_after`` the first after leaving (the run's end if it never left); ``g_min`` the smallest
    ||grad L|| at an accepted step inside, reached at ``t_min`` with flat weights ``theta_min``.
    """

    band: int
    rung: int
    t_before: float
    t_enter: float
    t_exit: float
    t_after: float
    g_min: float
    t_min: float
    theta_min: NDArray[np.float64]
    stall: float

    def __repr__(self) -> str:
        return (
            f"Visit(rung={self.rung}, t=[{self.t_enter:.4g}, {self.t_exit:.4g}], "
            f"g_min={self.g_min:.2g}, stall={self.stall:.2g})"
        )


class VisitTracker:
    """Records :class:`Visit` s along a run advanced by a Python-level solver (the scipy loop,
    gradient descent); the compiled kernel and the batched solver implement the same rule.

    Call :meth:`step` after every accepted step with the new state's time, flat weights, excess
    loss and gradient norm (the first call is the start), then :meth:`finish`.
    """

    def __init__(self, bands: Bands | None, max_visits: int = MAX_VISITS) -> None:
        self.bands, self.max_visits = bands, max_visits
        self.visits: list[Visit] = []
        self._open: dict[str, object] | None = None
        self._t_last = 0.0

    def step(self, t: float, theta: NDArray[np.float64], excess: float, g: float) -> None:
        if self.bands is None:
            return
        b = self.bands.index(excess)
        cur = self._open
        if cur is not None and b == cur["band"]:
            cur["t_exit"] = t
            if g < cur["g_min"]:  # type: ignore[operator]
                cur.update(g_min=g, t_min=t, theta_min=np.array(theta))
        else:
            if cur is not None:
                self._close(t)
            if b >= 0:
                self._open = {
                    "band": b,
                    "t_before": self._t_last,
                    "t_enter": t,
                    "t_exit": t,
                    "g_min": g,
                    "t_min": t,
                    "theta_min": np.array(theta),
                }
        self._t_last = t

    def _close(self, t_after: float) -> None:
        cur, self._open = self._open, None
        assert cur is not None and self.bands is not None
        b = int(cur["band"])  # type: ignore[call-overload]
        span = t_after - float(cur["t_before"])  # type: ignore[arg-type]
        visit = Visit(
            band=b,
            rung=self.bands.rung[b],
            t_before=float(cur["t_before"]),  # type: ignore[arg-type]
            t_enter=float(cur["t_enter"]),  # type: ignore[arg-type]
            t_exit=float(cur["t_exit"]),  # type: ignore[arg-type]
            t_after=t_after,
            g_min=float(cur["g_min"]),  # type: ignore[arg-type]
            t_min=float(cur["t_min"]),  # type: ignore[arg-type]
            theta_min=cur["theta_min"],  # type: ignore[arg-type]
            stall=stall(span, float(cur["g_min"]), float(self.bands.half_width[b])),  # type: ignore[arg-type]
        )
        if len(self.visits) < self.max_visits:
            self.visits.append(visit)
            return
        worst = max(range(len(self.visits)), key=lambda k: self.visits[k].stall)
        if visit.stall < self.visits[worst].stall:
            self.visits[worst] = visit

    def finish(self, t_end: float) -> tuple[Visit, ...]:
        """Close a stay still open at the end and return every visit, in time order."""
        if self._open is not None:
            self._close(t_end)
        return tuple(sorted(self.visits, key=lambda v: v.t_enter))


@dataclass(frozen=True, eq=False)
class Plateau:
    """One plateau: its rung, the subset read from the weights at the closest approach, the
    stay's times, and that point (``t_point``, ``weights``, where ||grad L|| = ``g_min``)."""

    rung: Rung
    subset: tuple[int, ...]
    t_enter: float
    t_exit: float
    t_point: float
    g_min: float
    weights: Weights

    @property
    def label(self) -> str:
        return label(self.subset)

    @property
    def duration(self) -> float:
        return self.t_exit - self.t_enter

    def __repr__(self) -> str:
        return (
            f"Plateau({self.label} on rung {self.rung.label}, t = {self.t_enter:.4g}-"
            f"{self.t_exit:.4g}, g_min = {self.g_min:.2g})"
        )


def reduced_products(problem: Problem, Ws: Weights, flow: str) -> NDArray[np.float64]:
    """The reduced end-to-end product of weights (stacked or not) in ``flow``'s coordinates."""
    return problem.reduced_product(end_to_end(Ws), flow)


def plateaus(
    problem: Problem, trajectory: object, *, ladder: Ladder | None = None
) -> tuple[Plateau, ...]:
    """The plateaus of a :class:`~core.Trajectory`, in time order (see the module docstring);
    none when the ladder is too large to track (dy > ``LADDER_MAX_DY``). ``ladder``: the
    problem's, when the caller has it already."""
    visits = getattr(trajectory, "visits", ())
    if not visits:
        return ()
    lad = critical_values.ladder(problem) if ladder is None else ladder
    out = []
    for v in visits:
        if not is_plateau(v.band, v.stall):
            continue
        Ws = unflatten(v.theta_min, problem.shapes)
        P = reduced_products(problem, Ws, trajectory.flow)  # type: ignore[attr-defined]
        subset = problem.learned(np.diagonal(P)[: problem.dy])
        out.append(Plateau(lad.rungs[v.rung], subset, v.t_enter, v.t_exit, v.t_min, v.g_min, Ws))
    return tuple(out)
