"""Pure figure builders: data in, ``go.Figure`` out. No Dash, no cache, no globals touched.

These are public: a notebook can draw a run the way the explorer does,

>>> import core
>>> from app.figures import loss_figure
>>> p = core.Problem.from_spectrum([4.0, 2.0, 1.0], dx=4, widths=(4, 4))
>>> run = core.integrate(p, core.init_weights(p, 1e-2, seed=0), 200.0)
>>> fig = loss_figure(run, core.ladder(p), core.plateaus(p, run))
>>> [pl.label for pl in core.plateaus(p, run)]
['{}', '{1}', '{1,2}']

The explorer's views (``app.views``) call them with a state's results.
"""

from app.figures import plotly_paths  # noqa: F401  (plotly's path parsing, kept: see there)
from app.figures.basin import fraction_figure, rung_counts_figure, sankey_figure, times_figure
from app.figures.curvature import curvature_figure
from app.figures.hessian import hessian_figure
from app.figures.invariants import drift_figure
from app.figures.loss import loss_figure
from app.figures.outputs import outputs_figure
from app.figures.rate import rate_figure
from app.figures.slice import slice_figure
from app.figures.trajectory import trajectory_figure

__all__ = [
    "curvature_figure",
    "drift_figure",
    "fraction_figure",
    "hessian_figure",
    "loss_figure",
    "outputs_figure",
    "rate_figure",
    "rung_counts_figure",
    "sankey_figure",
    "slice_figure",
    "times_figure",
    "trajectory_figure",
]
