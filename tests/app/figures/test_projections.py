"""The explorer's views without a browser: projections, animation, slices, Proposition 2,
presets."""

import numpy as np
import plotly.io as pio
import pytest

import core
from app.computation import compute
from app.explorer.cache import get_slice
from app.figures.projections import Curve, mode_projection, pca_projection, scalar_projection
from app.figures.trajectory import frames, trajectory_figure
from app.presets import PRESETS, state_from_query
from app.state import AppState, decode, encode
from app.views import figures, rate_text


def test_mode_projection_has_every_corner_and_animates():
    r = compute(AppState())
    proj = mode_projection(r, (1, 2))
    assert len(proj.corners) == 2**r.problem.dy
    fig = trajectory_figure(proj)
    corners = next(t for t in fig.data if t.name == "critical points")
    assert len(corners.x) == 8 and any("S = {1,2}" in h for h in corners.hovertext)
    # No controls or plotly frames inside the figure (the page's player moves the marker trace
    # from the positions in meta).
    assert not fig.layout.updatemenus and not fig.layout.sliders and not fig.frames
    meta = fig.layout.meta
    assert len(meta["times"]) == len(meta["positions"]) > 50 and meta["start"] == 0
    assert fig.data[meta["trace"]].name == "now" and np.diff(meta["times"]).min() > 0
    assert list(fig.data[meta["trace"]].x) == [meta["positions"][0][0]]
    three = trajectory_figure(mode_projection(r, (1, 2, 3)))
    assert three.data[0].type == "scatter3d" and len(three.layout.meta["positions"][0]) == 3
    assert three.layout.height >= 500 and three.layout.scene.domain.y == (0, 1)
    assert next(t for t in three.data if t.name == "critical points").marker.symbol == "diamond"


def test_frames_are_spaced_where_the_run_changes_not_in_time():
    # H = 2 from 0.01: the run spends most of its time on plateaus. Frames spaced in log time
    # passed ~80% of playback before anything moved; spaced by progress, the marker moves in
    # (nearly) every frame and the long plateaus take few.
    r = compute(AppState())
    proj = mode_projection(r, (1, 2))
    fig = trajectory_figure(proj)
    pts = np.array(fig.layout.meta["positions"])
    steps = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    width = np.ptp(proj.bounds, axis=1).max()
    assert np.mean(steps > 1e-3 * width) > 0.6
    times = np.array(fig.layout.meta["times"])
    on_first_plateau = np.mean(times < r.plateaus[0].t_exit)
    assert on_first_plateau < 0.3  # the first plateau is ~13% of the time axis and ~0 movement


def test_scalar_chain_hyperbolas_hold_the_run():
    r = compute(PRESETS["scalar-chain"].state)
    proj = scalar_projection(r, (1, 2))
    assert not proj.message
    branches = [line for label, line in proj.level_sets if "(conserved)" in label]
    level = np.vstack([b[np.all(np.isfinite(b), axis=1)] for b in branches])  # inside the frame
    assert level.shape[0] > 50
    c = float(level[0, 1] ** 2 - level[0, 0] ** 2)
    np.testing.assert_allclose(level[:, 1] ** 2 - level[:, 0] ** 2, c, atol=1e-9)
    # The frame holds the run and the saddle, not the far arms of the minima's hyperbola.
    (x0, x1), (y0, y1) = proj.bounds
    assert y1 - y0 < 5 and x1 - x0 < 5
    w = proj.curves[0].points
    np.testing.assert_allclose(w[:, 1] ** 2 - w[:, 0] ** 2, c, atol=1e-6)  # the run stays on it
    assert "need a scalar chain" in scalar_projection(compute(AppState()), (1, 2)).message


def test_pca_projection_reports_distance():
    proj = pca_projection(compute(AppState()))
    assert proj.curves[0].note is not None and proj.curves[0].note_name == "distance to plane"
    assert "variance explained" in proj.title


def test_slice_through_saddle_shows_escape_valley():
    state = PRESETS["stable-manifold"].state
    sl = get_slice(state)
    assert sl.point.split.n_neg >= 1
    c = sl.plane.loss.shape[0] // 2
    row = sl.plane.loss[c]  # along d1 = the most negative eigenvector
    assert row[c] > row[c + 8] and row[c] > row[c - 8]
    fig = figures(state, ["slice"])["slice"]
    assert fig.data[0].type == "contour" and "split" in fig.data[-1].name
    surface = figures(state.replace(slice_kind="surface"), ["slice"])["slice"]
    assert surface.data[0].type == "surface"


def test_proposition2_panel():
    state = PRESETS["prop2"].state
    r = compute(state)
    fig = figures(state, ["rate"], r)["rate"]
    assert rate_text(state, r).startswith("Hypotheses hold") and len(fig.data) == 2
    assert np.all(np.asarray(fig.data[0].y) <= np.asarray(fig.data[1].y) * (1 + 1e-6) + 1e-25)
    text = rate_text(AppState(), compute(AppState()))
    assert text.startswith("Hypotheses do not hold") and "lambda_" in text
    t = np.linspace(0, 10, 50)
    assert core.measured_rate(t, 3.0 * np.exp(-2 * 0.7 * t)) == pytest.approx(0.7)


@pytest.mark.parametrize("level", [1e-30, 1e-28, 3e-28, 1e-26, 1e-20])
def test_measured_rate_of_a_run_that_goes_on_past_round_off(level):
    """Read over the decay, not the floor of round-off a run kept going reaches (its second
    half all noise gave NaN below 1e-28, a rate of ~0 above it)."""
    t = np.linspace(0, 100, 1001)
    floor = level * (1 + 0.5 * np.sin(7 * t))  # round-off: no decay
    assert core.measured_rate(t, np.maximum(3.0 * np.exp(-2 * 0.7 * t), floor)) == pytest.approx(
        0.7, rel=1e-3
    )
    short = np.linspace(0, 3, 30)  # a clean decay of under two decades is not a floor
    assert core.measured_rate(short, 3.0 * np.exp(-2 * 0.7 * short)) == pytest.approx(0.7)


def test_measured_rate_of_a_real_run_past_convergence():
    """1,200 parameters run to t = 30 without stopping: ||M||^2 falls exponentially to ~1e-21 by
    t ~ 6 and then wanders over five decades of round-off; the rate is the decay's (its slope over
    t in [2, 4], well above the floor), not the floor's (~0.01 before)."""
    p = core.Problem.from_spectrum(np.linspace(10, 4, 16), 24, (20, 20))
    tr = core.integrate(p, core.init_weights(p, 0.1, seed=0), 30.0, stop=False)
    m_sq = core.residual_sq(p, tr)
    clean = (tr.t >= 2) & (tr.t <= 4)
    assert np.min(m_sq[clean]) > 1e3 * np.max(m_sq[tr.t >= 8])
    slope = -np.polyfit(tr.t[clean], np.log(m_sq[clean]), 1)[0] / 2
    assert core.measured_rate(tr.t, m_sq) == pytest.approx(slope, rel=0.05)


def test_measured_rate_is_read_from_the_residual_itself():
    # On data with an offset, 2 (L - offset) cancels to round-off near the minimum; ||M||^2
    # computed from Sigma_Y - Pbar does not. The rate is read where ||M||^2 is tiny.
    p = core.Problem.random(4, 2, 12, (3, 2), seed=1)
    W0 = (
        0.02 * np.random.default_rng(0).standard_normal(p.shapes[0]),
        1.0 * np.random.default_rng(1).standard_normal(p.shapes[1]),
        2.0 * np.random.default_rng(2).standard_normal(p.shapes[2]),
    )
    tr = core.integrate(p, W0, 40.0, t_eval=np.linspace(0, 40.0, 401), rtol=1e-11)
    m_sq = core.residual_sq(p, tr)
    P = core.end_to_end(tr.weights)
    direct = np.sum((np.asarray(p.sigma) - P) ** 2, axis=(1, 2))
    np.testing.assert_allclose(m_sq, direct, rtol=1e-12, atol=0)
    assert p.offset > 0.1 and np.min(m_sq) < 1e-20  # converged far past the offset's round-off
    # Where ||M||^2 falls from 1e-18 to round-off (t in [8, 16]) the old way, 2 (L - offset),
    # is round-off already: it cannot give the rate there; ||M||^2 gives the run's own.
    late = (tr.t >= 8) & (tr.t <= 16)
    rate = core.measured_rate(tr.t[late], m_sq[late])
    cancelled = core.measured_rate(tr.t[late], np.maximum(2 * (tr.loss - p.offset), 0.0)[late])
    assert np.max(m_sq[late]) < 1e-17 and rate > 0 and not abs(cancelled - rate) < 0.1 * rate
    assert core.measured_rate(tr.t, m_sq) == pytest.approx(rate, rel=0.05)  # the whole run


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_are_valid_and_round_trip(name):
    state = PRESETS[name].state
    assert state.preset == name
    assert decode(encode(state)) == (state, [])
    assert state_from_query(f"?preset={name}") == (state, [])
    assert len(PRESETS[name].text.split(". ")) >= 2


def test_animation_payload_is_small():
    fig = figures(AppState(compare="seeds"), ["trajectory"])["trajectory"]
    assert len(pio.to_json(fig)) < 2_000_000
    line = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]])
    short = Curve("run", np.array([0.0, 1.0, 2.0]), line, np.array([3.0, 2.0, 1.0]))
    times, points = frames(short, n=5)
    assert times[0] == 0.0 and times[-1] == 2.0 and len(times) == 5
    np.testing.assert_allclose(points[2], [1.0, 0.0])  # half way along the path, at t = 1


def test_slice_towards_a_global_minimum_reaches_it():
    state = PRESETS["stable-manifold"].state.replace(slice_dirs="to_minimum", slice_extent=10.0)
    sl = get_slice(state)
    assert sl.labels[0].startswith("direction to a global minimum")
    # Along d1 the loss falls from the saddle's rung towards the bottom rung (value 0 here).
    row = sl.plane.loss[sl.plane.loss.shape[0] // 2]
    assert row.min() < 0.2 * row[row.size // 2]
