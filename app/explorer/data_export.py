"""The numbers behind a view, for the "Data (CSV)" and "Data (JSON)" buttons. Subsets are
1-based, as on screen."""

from __future__ import annotations

import io
import json
import math
from typing import Any

import numpy as np

import core
from app.computation import PointAnalysis, RunResult
from app.state import AppState, encode


def view_csv(state: AppState, result: RunResult) -> str:
    """Samples of the run(s): one row per sample; comment lines carry the state."""
    out = io.StringIO()
    out.write(f"# linflow {core.__version__}; state: {encode(state)}\n")
    out.write("run,t,loss,grad_norm,invariant_drift\n")
    runs = [("flow", result.trajectory), ("discrete", result.discrete), *result.others]
    for name, traj in runs:
        if traj is None:
            continue
        name = name.replace(",", ";")
        for row in zip(traj.t, traj.loss, traj.grad_norm, traj.invariant_drift, strict=True):
            out.write(name + "," + ",".join(repr(float(v)) for v in row) + "\n")
    return out.getvalue()


def _traj(traj: core.Trajectory | None) -> dict[str, Any] | None:
    if traj is None:
        return None
    return {
        "t": traj.t.tolist(),
        "loss": traj.loss.tolist(),
        "grad_norm": traj.grad_norm.tolist(),
        "invariant_drift": traj.invariant_drift.tolist(),
        "status": traj.status,
        "saddle": None if traj.saddle is None else core.label(traj.saddle),
        "message": traj.message,
        "method": traj.method,
        "nfev": traj.nfev,
    }


def view_json(state: AppState, result: RunResult, point: PointAnalysis) -> str:
    doc = {
        "linflow_version": core.__version__,
        "numpy_version": np.__version__,
        "state": state.to_dict(),
        "query": encode(state),
        "problem": result.problem.summary(),
        "ladder": [{"subset": r.label, "value": r.value} for r in result.ladder.rungs],
        "plateaus": [
            {"subset": p.label, "rung": p.rung.label, "t_enter": p.t_enter, "t_exit": p.t_exit}
            for p in result.plateaus
        ],
        "flow": _traj(result.trajectory),
        "discrete": _traj(result.discrete),
        "comparisons": {name: _traj(traj) for name, traj in result.others},
        "hessian": {
            "point": str(point.point),
            "title": point.title,
            "how": point.how,
            "subset": point.classification.label,
            "measured": list(point.split.counts),
            "predicted": list(point.predicted.counts),
            "predicted_source": point.predicted.source,
            "eigenvalues": point.split.eigenvalues.tolist(),
            "rel_tol": point.split.rel_tol,
            "split_method": point.split.method,
            # Measured values, or with "inertia" bounds only (and none where not clean).
            "gap_kind": "bounds" if point.split.method == "inertia" else "values",
            "gap": [g if math.isfinite(g) else None for g in point.split.gap],
            "clean_gap": point.split.clean,
        },
    }
    return json.dumps(doc, indent=1, allow_nan=True)
