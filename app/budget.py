"""One time budget per request, shared by all the work the request triggers, and the cost of a
view estimated before any of it starts.

A request of the explorer may integrate several runs (the main one, comparison runs, a discrete
run), polish critical points, diagonalise Hessians and evaluate a landscape slice. They all draw
on one :class:`Budget` (``limits.REQUEST_SECONDS``, or LINFLOW_REQUEST_SECONDS): the
integrations share what the fixed costs leave, each stopping with status "budget" past its
share, and polishing stops when the budget is spent. :func:`view_cost` estimates the work
before anything runs; a view whose estimate exceeds the budget is refused with a message saying
what costs most (:class:`BudgetExceeded`). Pure: no flask, no dash.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field

from app import limits
from app.state import AppState
from core.derivatives import DENSE_SMALL_PARAMS

COMPARISON_RUNS = {"none": 0, "seeds": 2, "scales": 2, "flows": 1}


class BudgetExceeded(Exception):
    """The work asked for does not fit in the request's budget; the message says what to do."""


def request_seconds() -> float:
    """The budget of one request: LINFLOW_REQUEST_SECONDS, default limits.REQUEST_SECONDS."""
    return float(os.environ.get("LINFLOW_REQUEST_SECONDS", limits.REQUEST_SECONDS))


@dataclass
class Budget:
    """Seconds of computation left to one request, counted from its start."""

    seconds: float
    started: float = field(default_factory=time.monotonic)

    @property
    def remaining(self) -> float:
        return self.seconds - (time.monotonic() - self.started)

    def share(self, parts: int, reserve: float = 0.0) -> float:
        """Seconds for the next of ``parts`` equal pieces of work, keeping ``reserve`` seconds
        for what comes after them; never less than a tenth of a second (a run stopped at once
        still reports where it started)."""
        return max(0.1, (self.remaining - reserve) / max(1, parts))

    def check(self, what: str) -> None:
        """Raise :class:`BudgetExceeded` if nothing is left for ``what``."""
        if self.remaining <= 0:
            raise BudgetExceeded(
                f"{what} did not fit in this request's {self.seconds:g} s of computation; "
                "lower t_max, the network's size or the comparison runs"
            )


def eigh_seconds(n_params: int) -> float:
    """Estimated seconds of one dense Hessian eigendecomposition."""
    return limits.EIGH_SECONDS_PER_N3 * float(n_params) ** 3


def krylov_seconds(n_params: int) -> float:
    """Estimated seconds of Lanczos extremes or of MINRES polishing on Hessian-vector products."""
    return limits.KRYLOV_SECONDS_PER_PARAM * n_params


def split_method(n_params: int) -> str:
    """How the Hessian panel splits the spectrum of an ``n_params`` net (limits.py says why)."""
    if n_params <= limits.DENSE_SPLIT_PARAMS:
        return "dense"
    return "inertia" if n_params <= limits.INERTIA_SPLIT_PARAMS else "lanczos"


def split_seconds(n_params: int) -> float:
    """Estimated seconds of the Hessian panel's split (:func:`split_method`)."""
    method = split_method(n_params)
    if method == "dense":
        return eigh_seconds(n_params)
    if method == "inertia":
        return limits.INERTIA_SECONDS_PER_N3 * float(n_params) ** 3
    return krylov_seconds(n_params)


def eig_seconds(n_params: int, dense_up_to: int) -> float:
    """An eigen-problem of the Hessian: dense (``eigh``) up to ``dense_up_to`` parameters, on
    Hessian-vector products beyond (polishing steps and the slice's directions: core's
    DENSE_SMALL_PARAMS)."""
    return eigh_seconds(n_params) if n_params <= dense_up_to else krylov_seconds(n_params)


@dataclass(frozen=True)
class Cost:
    """Estimated seconds of a view's work. Integrations cannot be predicted (their steps depend
    on the dynamics), so each counts as the least share it is given; they divide among
    themselves whatever the predictable work leaves."""

    runs: int  # integrations: the main run and the comparison runs
    discrete: float  # the discrete (GD or momentum) run
    analysis: float  # polishing the analysed point and its Hessian spectrum
    slice: float  # the slice's directions and grid

    @property
    def fixed(self) -> float:
        """The predictable work: everything but the integrations."""
        return self.discrete + self.analysis + self.slice

    @property
    def total(self) -> float:
        return self.runs * limits.MIN_RUN_SECONDS + self.fixed


def view_cost(state: AppState) -> Cost:
    """The estimated cost of everything the explorer's panels show for ``state``."""
    n = state.n_params
    discrete = 0.0
    if state.algorithm != "flow":
        discrete = state.discrete_steps * n * limits.GD_SECONDS_PER_UPDATE
    return Cost(
        runs=1 + COMPARISON_RUNS[state.compare],
        discrete=discrete,
        # A Newton step, then the spectrum; the slice's directions, then its grid.
        analysis=eig_seconds(n, DENSE_SMALL_PARAMS) + split_seconds(n),
        slice=eig_seconds(n, DENSE_SMALL_PARAMS) + limits.SLICE_SECONDS,
    )


def check_cost(cost: Cost, budget: Budget) -> None:
    """Refuse (:class:`BudgetExceeded`) a view whose estimated cost exceeds ``budget``."""
    if cost.total <= budget.remaining:
        return
    parts = {
        f"{cost.runs} integration(s) at {limits.MIN_RUN_SECONDS:g} s or more each": (
            cost.runs * limits.MIN_RUN_SECONDS
        ),
        "the discrete run (lower t_max or raise eta)": cost.discrete,
        "Hessians of the analysed point (a smaller network)": cost.analysis,
        "the landscape slice (a smaller network)": cost.slice,
    }
    worst = max(parts, key=lambda k: parts[k])
    raise BudgetExceeded(
        f"This view needs about {cost.total:.0f} s of computation; one request may take "
        f"{budget.seconds:g} s. Most of it: {worst}. Change the settings, or compute it with "
        "`linflow export`, which has no request budget."
    )


def unlimited() -> Budget:
    """No limit: the command line and the exporter outside a request."""
    return Budget(math.inf)
