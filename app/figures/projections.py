"""Curves for the trajectory view: each run projected onto 2 or 3 coordinates, plus the landmarks
(critical points' corners, invariant level sets) of that projection. Pure data, no figures."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

import core
from app.computation import RunResult
from app.state import AppState


@dataclass(frozen=True)
class Curve:
    """One run in the projection: times (n,), points (n, k), optional per-sample note (n,)."""

    label: str
    t: np.ndarray
    points: np.ndarray
    note: np.ndarray | None = None
    note_name: str = ""


@dataclass(frozen=True)
class Projection:
    kind: str
    axis_titles: tuple[str, ...]
    curves: tuple[Curve, ...]
    corners: tuple[tuple[str, np.ndarray], ...] = ()  # (hover label, point (k,))
    level_sets: tuple[tuple[str, np.ndarray], ...] = ()  # (label, polyline (m, 2))
    message: str = ""
    title: str = ""
    extra: dict = field(default_factory=dict)


def _runs(result: RunResult) -> list[tuple[str, core.Trajectory]]:
    out = [(f"flow ({result.trajectory.flow})", result.trajectory)]
    if result.discrete is not None:
        out.append(("discrete (eta)", result.discrete))
    out.extend(result.others)
    return out


def mode_projection(result: RunResult, modes: tuple[int, ...]) -> Projection:
    """Mode strengths P_ii of the reduced product for the chosen modes (1-based); indices beyond
    dy are dropped, and fewer than two left fall back to modes 1 and 2."""
    dy = result.problem.dy
    if dy < 2:
        return Projection(
            "modes",
            (),
            (),
            message="With dy = 1 there is a single mode: read it "
            "on L(t), or choose 'exact weights' for a width-1 network.",
        )
    modes = tuple(m for m in modes if m <= dy)
    if len(modes) < 2:
        modes = (1, 2)
    idx = [m - 1 for m in modes]
    curves = []
    for label, traj in _runs(result):
        mc = core.mode_coordinates(result.problem, traj)
        curves.append(Curve(label, traj.t, mc.diag[:, idx], mc.offdiag, "off-diagonal mass"))
    corners = []
    for r in result.ladder.rungs:
        point = np.array([result.problem.singular_values[i] if i in r.subset else 0.0 for i in idx])
        corners.append((f"S = {r.label}, L = {r.value:.6g}", point))
    titles = tuple(
        f"mode strength P_{m}{m} (s_{m} = {result.problem.singular_values[m - 1]:.4g})"
        for m in modes
    )
    return Projection(
        "modes",
        titles,
        tuple(curves),
        tuple(corners),
        title="Trajectory in invariant coordinates (mode strengths)",
    )


def scalar_projection(result: RunResult, modes: tuple[int, ...]) -> Projection:
    """Exact weights (w_1, ..., w_{H+1}) of a width-1 network, with the conserved level sets."""
    p = result.problem
    if any(d != 1 for d in p.dims[1:]):
        return Projection(
            "scalar",
            (),
            (),
            message="The exact weight coordinates need a scalar "
            "chain: dy = 1 and every hidden width 1 (try the 'scalar chain' preset).",
        )
    layers = [m - 1 for m in modes if m - 1 <= p.depth]
    if len(layers) < 2:
        layers = [0, 1]
    curves = []
    for label, traj in _runs(result):
        mc = core.mode_coordinates(p, traj)
        assert mc.scalar is not None
        curves.append(Curve(label, traj.t, mc.scalar[:, layers]))
    levels = []
    first = core.mode_coordinates(p, result.trajectory)
    a, b = layers[0], layers[1]
    if len(layers) == 2 and b == a + 1 and first.levels is not None:
        c = float(first.levels[a])  # w_{a+2}^2 - w_{a+1}^2, conserved
        span = float(np.abs(first.scalar).max()) * 1.6 + 0.5 if first.scalar is not None else 3
        u = np.linspace(-span, span, 401)
        for sign in (1.0, -1.0):
            inside = c + u**2 >= 0
            branch = np.stack([u[inside], sign * np.sqrt(c + u[inside] ** 2)], axis=1)
            levels.append((f"level set w_{b + 1}^2 - w_{a + 1}^2 = {c:.3g}", branch))
        if p.depth == 1:
            s = float(p.singular_values[0])
            for sign in (1.0, -1.0):
                u = np.linspace(0.05, span, 300) * sign
                levels.append((f"global minima w_1 w_2 = s = {s:.3g}", np.stack([u, s / u], 1)))
    titles = tuple(f"w_{layer + 1}" for layer in layers)
    return Projection(
        "scalar",
        titles,
        tuple(curves),
        (("saddle W = 0", np.zeros(len(layers))),),
        tuple(levels),
        title="Exact weights of the scalar chain",
    )


def pca_projection(result: RunResult) -> Projection:
    pca = core.pca_projection(result.trajectory, k=2)
    curve = Curve("flow", result.trajectory.t, pca.coords, pca.distance, "distance to plane")
    ev = ", ".join(f"{100 * e:.1f}%" for e in pca.explained)
    return Projection(
        "pca",
        ("PC 1", "PC 2"),
        (curve,),
        title=f"PCA of the trajectory (variance explained {ev}; "
        f"max distance to the plane {pca.distance.max():.3g})",
    )


def project(result: RunResult, state: AppState) -> Projection:
    if state.projection == "scalar":
        return scalar_projection(result, state.modes)
    if state.projection == "pca":
        return pca_projection(result)
    return mode_projection(result, state.modes)
