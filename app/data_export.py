"""The data behind the current view, as CSV and JSON (with the full state to reproduce it)."""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np

from app.compute import VERSION, PointAnalysis, RunResult
from app.state import encode


def view_csv(result: RunResult) -> str:
    """Samples of the run(s): one row per sample; comment lines carry the state."""
    out = io.StringIO()
    out.write(f"# linflow {VERSION}; state: {encode(result.state)}\n")
    tr = result.trajectory
    out.write("run,t,loss,grad_norm,invariant_drift\n")
    for name, traj in (("flow", tr), ("discrete", result.discrete)):
        if traj is None:
            continue
        for row in zip(traj.t, traj.loss, traj.grad_norm, traj.invariant_drift, strict=True):
            out.write(name + "," + ",".join(repr(float(v)) for v in row) + "\n")
    return out.getvalue()


def _traj(traj: Any) -> dict[str, Any] | None:
    if traj is None:
        return None
    return {
        "t": traj.t.tolist(),
        "loss": traj.loss.tolist(),
        "grad_norm": traj.grad_norm.tolist(),
        "invariant_drift": traj.invariant_drift.tolist(),
        "status": traj.status,
        "message": traj.message,
        "method": traj.method,
        "nfev": traj.nfev,
    }


def view_json(result: RunResult, point: PointAnalysis) -> str:
    doc = {
        "linflow_version": VERSION,
        "numpy_version": np.__version__,
        "state": result.state.to_dict(),
        "query": encode(result.state),
        "problem": result.problem.summary(),
        "ladder": [
            {"subset": list(r.subset), "label": r.label, "value": r.value}
            for r in result.ladder.rungs
        ],
        "plateaus": [
            {
                "subset": list(p.subset),
                "rung": p.rung.label,
                "t_enter": p.t_enter,
                "t_exit": p.t_exit,
            }
            for p in result.plateaus
        ],
        "flow": _traj(result.trajectory),
        "discrete": _traj(result.discrete),
        "hessian": {
            "point": point.key,
            "title": point.title,
            "subset": list(point.classification.subset),
            "measured": list(point.split.counts),
            "predicted": list(point.predicted.counts),
            "predicted_source": point.predicted.source,
            "eigenvalues": point.split.eigenvalues.tolist(),
            "rel_tol": point.split.rel_tol,
            "gap": list(point.split.gap),
        },
    }
    return json.dumps(doc, indent=1, allow_nan=True)
