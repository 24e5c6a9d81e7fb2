"""Pure figure builders: data in, ``go.Figure`` out. No Dash, no cache, no globals touched."""

from app.figures.hessian import hessian_figure
from app.figures.invariants import drift_figure
from app.figures.loss import loss_figure

__all__ = ["drift_figure", "hessian_figure", "loss_figure"]
