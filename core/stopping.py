"""Where a run ends, said truly: the one stopping rule every integrator uses, and the words for
how a run ended.

A run stops early only at the **global minimum**: when its excess loss ``L - L*`` is small
against the ladder (``L* = offset``, the bottom rung) *and* its gradient is small. Near any other
critical value it keeps going: the saddles of deep networks (H >= 2) have Hessians without a
negative eigenvalue (NOTES.md), so a run can sit on their plateaus with a tiny gradient for a
long time (~1/eps) and still leave. A gradient test alone would call those runs "converged".

Statuses (:data:`STATUSES`):

``converged``
    reached the global minimum (the rule above held);
``saddle``
    reached t_max on the plateau of a saddle S (the loss in S's band, the gradient small): it
    may still escape; the subset is reported;
``t_max``
    reached t_max still moving;
``diverged``
    a weight blew up;
``budget``
    stopped by the time budget or the step cap before t_max;
``failed``
    the solver itself failed (step-size underflow).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from core.critical_values import Bands, Ladder, label
from core.problem import Problem

__all__ = ["STATUSES", "StopRule", "end_status", "status_message"]

STATUSES = ("converged", "saddle", "t_max", "diverged", "budget", "failed")
# Converged: ||grad L|| < GTOL max(1, s_1^2) ...
GTOL = 1e-9
# ... and L - L* < LOSS_RTOL x (distance from L* to the nearest other rung, 1/2 s_dy^2). At
# the global minimum L - L* ~ ||grad||^2 / lambda, far below this; at any other rung it is at
# least 1/2 s_dy^2.
LOSS_RTOL = 1e-6
# At t_max a run "sits at a saddle" when its loss is in a non-global rung's band and its gradient
# is below SADDLE_GTOL max(1, s_1^2): transitions between rungs move at gradients ~ s^2, plateaus
# at gradients ~ eps s; this separates a run parked on a plateau from one passing a rung's value.
SADDLE_GTOL = 1e-3


@dataclass(frozen=True)
class StopRule:
    """Stop at the global minimum: ``||grad L|| < gtol`` and ``L - L* < ltol``.

    ``saddle_gtol`` only names a run's end (``saddle`` against ``t_max``); it never stops one.
    Build it with :meth:`for_problem`.
    """

    gtol: float
    ltol: float
    saddle_gtol: float

    def __post_init__(self) -> None:
        for name in ("gtol", "ltol", "saddle_gtol"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v >= 0):
                raise ValueError(f"{name} must be a finite number >= 0; got {v!r}")

    @classmethod
    def for_problem(cls, problem: Problem, *, gtol: float | None = None) -> StopRule:
        """The default rule for ``problem``; ``gtol`` overrides the gradient tolerance."""
        scale = max(1.0, float(problem.singular_values[0]) ** 2)
        s_min = float(problem.singular_values[-1])
        return cls(
            gtol=GTOL * scale if gtol is None else float(gtol),
            ltol=LOSS_RTOL * 0.5 * s_min**2,
            saddle_gtol=SADDLE_GTOL * scale,
        )

    def converged(self, grad_norm: Any, excess: Any) -> Any:
        """The stopping test, for scalars or arrays of ||grad L|| and L - L*."""
        return (grad_norm < self.gtol) & (excess < self.ltol)


def end_status(
    rule: StopRule, bands: Bands | None, ladder: Ladder | None, grad_norm: float, excess: float
) -> tuple[str, tuple[int, ...] | None]:
    """How a run that reached its horizon ended: ``converged`` (the rule holds there),
    ``saddle`` with the saddle's subset (in a non-global band with a gradient below
    ``saddle_gtol``), or ``t_max`` (still moving)."""
    if rule.converged(grad_norm, excess):
        return "converged", None
    if bands is not None and ladder is not None and grad_norm < rule.saddle_gtol:
        b = bands.index(excess)
        if b > 0:  # band 0 is the global minimum's: a run there is converging, not stuck
            return "saddle", ladder.rungs[bands.rung[b]].subset
    return "t_max", None


def status_message(
    status: str,
    t: float,
    *,
    excess: float,
    grad_norm: float,
    subset: tuple[int, ...] | None = None,
    detail: str = "",
) -> str:
    """One sentence on how a run ended, with a hint where one helps."""
    where = f"L - L* = {excess:.3g}, ||grad L|| = {grad_norm:.2g}"
    if status == "converged":
        return f"reached the global minimum at t = {t:.6g} ({where})"
    if status == "saddle":
        return (
            f"at t_max = {t:.6g} the run sits on the plateau of the saddle {label(subset or ())} "
            f"({where}); it may still escape: raise t_max (or the init scale) to see"
        )
    if status == "t_max":
        return f"reached t_max = {t:.6g} still moving ({where}); raise t_max to see where it goes"
    if status == "diverged":
        return f"diverged at t = {t:.6g}{': ' + detail if detail else ''}"
    if status == "budget":
        return f"stopped at t = {t:.6g} before t_max: {detail}"
    return f"the solver failed at t = {t:.6g}: {detail}"
