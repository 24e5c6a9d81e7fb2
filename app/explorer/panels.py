"""The explorer's panels: which view fields each depends on, which graph and figure it has, and
how its figures are drawn from the results. Shared by the one request of a change
(:mod:`app.explorer.callbacks`) and the second request that draws the panels of a run's end
(:mod:`app.explorer.staging`)."""

from __future__ import annotations

import logging

from app.budget import BudgetExceeded
from app.computation import PROBLEM_FIELDS, VIEW_FIELDS, PointAnalysis, Run, RunResult, run_state
from app.explorer import ids
from app.explorer.cache import get_point, get_slice
from app.state import AppState, decode
from app.uploads import UploadError
from app.views import END_FIGURES, figures, view_name

log = logging.getLogger(__name__)

# Which view fields each panel depends on (besides the run itself, which every panel shows).
PANEL_FIELDS: dict[str, tuple[str, ...]] = {
    "loss": ("loss_axis", "present"),
    "drift": ("present",),
    "summary": (),  # the run's status line and its points
    "problem": (),  # the problem's table: redrawn only when the problem changes
    "trajectory": ("projection", "modes", "step", "present"),
    "point": ("point", "present"),
    "slice": ("point", "slice_dirs", "slice_extent", "slice_kind", "present"),
    "rate": ("present",),
    "curvature": ("present",),
    "outputs": ("present",),
    "preset": ("preset", "step"),
}


def changed_panels(query: str, drawn: str | None) -> set[str]:
    """The panels to re-draw when the state goes from ``drawn`` to ``query``."""
    if not drawn:
        return set(PANEL_FIELDS)
    old, new = decode(drawn)[0], decode(query)[0]
    if run_state(old) != run_state(new):
        # A new run of the same problem keeps the problem's table: re-sending its ~30
        # components cost the browser's renderer a dispatch to every component for each.
        same = all(getattr(old, f) == getattr(new, f) for f in PROBLEM_FIELDS)
        return set(PANEL_FIELDS) - ({"problem"} if same else set())
    moved = {f for f in VIEW_FIELDS if getattr(old, f) != getattr(new, f)}
    return {panel for panel, deps in PANEL_FIELDS.items() if moved & set(deps)}


# Panel -> (its figure kinds and graphs); the text outputs are filled beside them.
GRAPHS = {
    "loss": ids.LOSS_GRAPH,
    "drift": ids.DRIFT_GRAPH,
    "trajectory": ids.TRAJECTORY_GRAPH,
    "hessian": ids.HESSIAN_GRAPH,
    "slice": ids.SLICE_GRAPH,
    "rate": ids.RATE_GRAPH,
    "curvature": ids.CURVATURE_GRAPH,
    "outputs": ids.OUTPUTS_GRAPH,
}
PANEL_FIGURES = {
    "loss": "loss",
    "drift": "drift",
    "trajectory": "trajectory",
    "point": "hessian",
    "slice": "slice",
    "rate": "rate",
    "curvature": "curvature",
    "outputs": "outputs",
}
UNTITLED = (
    "loss",
    "drift",
    "curvature",
)  # their panel's heading says it all (exports keep the titles)
# The panels drawn from the run's end (app.computation.RunEnd: the limit's Hessian and the
# curvature along the run; the slice through the analysed point, computed from it). A change
# that needs an end not yet computed draws the others first and these by a second request
# (app.explorer.staging): they are below the fold, and at 2,000-6,000 parameters the end is
# most of a new run's time.
END_PANELS = frozenset(p for p, kind in PANEL_FIGURES.items() if kind in END_FIGURES)


def failure_message(exc: Exception, query: str) -> str:
    """What a panel says of a failed computation of ``query`` (call it in the ``except``): the
    budget's or the expired upload's own words, else that it failed (logged, traceback and
    all; the server stays up)."""
    if isinstance(exc, BudgetExceeded | UploadError):
        return str(exc)
    log.exception("computation failed for %s", query)
    return f"The computation failed: {exc}"


def draw(state: AppState, kinds: list[str], r: Run, point: PointAnalysis | None) -> dict[str, dict]:
    """The explorer's figures ``kinds`` as plotly JSON: the loss and drift untitled (their
    panels' headings say it), each named for its SVG download by the view."""
    sl = None
    if END_FIGURES & set(kinds):
        # The end is fetched (cached, on the request's budget) by the caller, never computed here.
        assert isinstance(r, RunResult)
        if point is None and {"hessian", "slice"} & set(kinds):
            point = get_point(state, r)
        if "slice" in kinds:
            sl = get_slice(state, r)
    out = {}
    for kind, fig in figures(state, kinds, r, point, sl).items():
        if kind in UNTITLED:
            fig.update_layout(title=None)
        # assets/player.js reads meta.filename when the camera button is pressed (a new config
        # prop would make dcc.Graph re-plot).
        fig.update_layout(
            meta={**(fig.layout.meta or {}), "filename": f"{view_name(state)}-{kind}"}
        )
        out[kind] = fig.to_plotly_json()
    return out
