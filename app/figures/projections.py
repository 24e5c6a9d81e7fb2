"""Curves for the trajectory view: each run projected onto 2 or 3 coordinates, plus the landmarks
(critical points' corners, invariant level sets) of that projection, and the frame to show them
in. Pure data, no figures."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import core
from app.computation import Run
from app.figures.theory import THEORY_COLOR
from app.state import AppState

FRAME_MARGIN = 0.08  # The view extends this fraction beyond the flow's path and the landmarks.


@dataclass(frozen=True)
class Curve:
    """One run in the projection: times (n,), points (n, k), the loss (n,), optional per-sample
    note (n,)."""

    label: str
    t: np.ndarray
    points: np.ndarray
    loss: np.ndarray
    note: np.ndarray | None = None
    note_name: str = ""
    color: str | None = None  # default: the run colours in order
    dash: str | None = None  # default: solid for the first run, dashed for the others


@dataclass(frozen=True)
class Projection:
    """What the trajectory view draws. ``bounds`` (k, 2) is the frame: the main flow's path and
    the landmarks with a margin, so a run that leaves (a diverging GD run) does not set it;
    ``clipped`` names the runs that leave it."""

    kind: str
    axis_titles: tuple[str, ...]
    curves: tuple[Curve, ...]
    corners: tuple[tuple[str, np.ndarray], ...] = ()  # (hover label, point (k,))
    level_sets: tuple[tuple[str, np.ndarray], ...] = ()  # (label, polyline (m, 2))
    message: str = ""
    title: str = ""
    bounds: np.ndarray | None = None
    clipped: tuple[str, ...] = ()


def _runs(result: Run) -> list[tuple[str, core.Trajectory]]:
    out = [(f"flow ({result.trajectory.flow})", result.trajectory)]
    if result.discrete is not None:
        step = "t = k eta" if result.discrete.method == "gd" else "t = k eta / (1 - beta)"
        out.append((f"discrete ({step})", result.discrete))
    out.extend(result.others)
    return out


def frame_bounds(main: np.ndarray, landmarks: list[np.ndarray]) -> np.ndarray:
    """(k, 2) axis ranges holding the main path and the landmarks, with FRAME_MARGIN."""
    pts = np.vstack([main, *[np.atleast_2d(p) for p in landmarks]])
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    pad = FRAME_MARGIN * np.maximum(hi - lo, 1e-9)
    return np.stack([lo - pad, hi + pad], axis=1)


def _clipped(curves: list[Curve], bounds: np.ndarray) -> tuple[str, ...]:
    out = []
    for c in curves[1:]:
        inside = np.all((c.points >= bounds[:, 0]) & (c.points <= bounds[:, 1]), axis=1)
        if not inside.all():
            out.append(c.label)
    return tuple(out)


def mode_projection(result: Run, modes: tuple[int, ...]) -> Projection:
    """Mode strengths P_ii of the reduced product for the chosen modes (1-based; the state
    checks they are within dy)."""
    dy = result.problem.dy
    if dy < 2:
        return Projection(
            "modes",
            (),
            (),
            message="With dy = 1 there is a single mode: read it on L(t), or choose 'exact "
            "weights' for a width-1 network.",
        )
    idx = [m - 1 for m in modes]
    curves = []
    for label, traj in _runs(result):
        mc = core.mode_coordinates(result.problem, traj)
        curves.append(
            Curve(label, traj.t, mc.diag[:, idx], traj.loss, mc.offdiag, "off-diagonal mass")
        )
    aligned = result.theory.aligned if result.theory is not None else None
    if aligned is not None:
        curves.append(
            Curve(
                "theory (aligned closed form)",
                aligned.t,
                aligned.strengths[:, idx],
                aligned.loss,
                color=THEORY_COLOR,
                dash="dot",
            )
        )
    s = result.problem.singular_values
    corners = []
    for r in result.ladder.rungs:
        point = np.array([s[i] if i in r.subset else 0.0 for i in idx])
        corners.append((f"S = {r.label}, L = {r.value:.6g}", point))
    titles = tuple(f"P{m}{m} (s{m} = {s[m - 1]:.4g})" for m in modes)
    bounds = frame_bounds(curves[0].points, [p for _, p in corners])
    return Projection(
        "modes",
        titles,
        tuple(curves),
        tuple(corners),
        title="",
        bounds=bounds,
        clipped=_clipped(curves, bounds),
    )


def scalar_projection(result: Run, modes: tuple[int, ...]) -> Projection:
    """Exact weights (w_1, ..., w_{H+1}) of a width-1 network, with the conserved level sets."""
    p = result.problem
    if any(d != 1 for d in p.dims[1:]):
        return Projection(
            "scalar",
            (),
            (),
            message="The exact weight coordinates need a scalar chain: dy = 1 and every "
            "hidden width 1 (try the 'scalar chain' preset).",
        )
    layers = [m - 1 for m in modes]
    curves = []
    for label, traj in _runs(result):
        mc = core.mode_coordinates(p, traj)
        assert mc.scalar is not None
        curves.append(Curve(label, traj.t, mc.scalar[:, layers], traj.loss))
    origin = np.zeros(len(layers))
    bounds = frame_bounds(curves[0].points, [origin])
    levels = []
    first = core.mode_coordinates(p, result.trajectory)
    a, b = layers[0], layers[1]
    if len(layers) == 2 and b == a + 1 and first.levels is not None:
        (x0, x1), (y0, y1) = bounds
        u = np.linspace(x0, x1, 601)
        c = float(first.levels[a])  # w_{b+1}^2 - w_{a+1}^2, conserved
        for sign in (1.0, -1.0):
            inside = c + u**2 >= 0
            branch = np.stack([u[inside], sign * np.sqrt(c + u[inside] ** 2)], axis=1)
            levels.append((f"w{b + 1}² − w{a + 1}² = {c:.3g} (conserved)", _within(branch, y0, y1)))
        if p.depth == 1:
            s = float(p.singular_values[0])
            with np.errstate(divide="ignore"):
                minima = np.stack([u, s / u], axis=1)
            levels.append((f"minima w1 w2 = {s:.3g}", _within(minima, y0, y1)))
    titles = tuple(f"w{layer + 1}" for layer in layers)
    return Projection(
        "scalar",
        titles,
        tuple(curves),
        (("saddle W = 0", origin),),
        tuple(levels),
        title="",
        bounds=bounds,
        clipped=_clipped(curves, bounds),
    )


def _within(line: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """The polyline with points outside [lo, hi] in y replaced by gaps (NaN), so each branch is
    drawn only inside the frame."""
    out = line.copy()
    out[(out[:, 1] < lo) | (out[:, 1] > hi) | ~np.isfinite(out[:, 1])] = np.nan
    return out


def pca_projection(result: Run) -> Projection:
    tr = result.trajectory
    pca = core.pca_projection(tr, k=2)
    curve = Curve("flow", tr.t, pca.coords, tr.loss, pca.distance, "distance to plane")
    ev = ", ".join(f"{100 * e:.1f}%" for e in pca.explained)
    return Projection(
        "pca",
        ("PC 1", "PC 2"),
        (curve,),
        title=f"PCA: variance explained {ev}; max distance to the plane {pca.distance.max():.3g}",
        bounds=frame_bounds(pca.coords, []),
    )


def project(result: Run, state: AppState) -> Projection:
    if state.projection == "scalar":
        return scalar_projection(result, state.modes)
    if state.projection == "pca":
        return pca_projection(result)
    return mode_projection(result, state.modes)
