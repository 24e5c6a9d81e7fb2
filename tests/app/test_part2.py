"""Explorer part 2 without a browser: projections, animation, slices, Proposition 2, presets."""

import json

import numpy as np
import plotly.io as pio
import pytest

import core
from app import callbacks
from app.compute import compute, get_slice
from app.figures.rate import measured_rate
from app.figures.trajectory import frame_indices, trajectory_figure
from app.presets import PRESETS
from app.projections import mode_projection, pca_projection, scalar_projection
from app.state import AppState, decode, encode


def test_mode_projection_has_every_corner_and_animates():
    r = compute(AppState())
    proj = mode_projection(r, (1, 2))
    assert len(proj.corners) == 2**r.problem.dy
    fig = trajectory_figure(proj)
    corners = next(t for t in fig.data if t.name == "critical points (corners)")
    assert len(corners.x) == 8 and any("S = {1,2}" in h for h in corners.hovertext)
    assert fig.frames and fig.layout.sliders[0].steps[0].args[0][0] == fig.frames[0].name
    labels = [b.label for b in fig.layout.updatemenus[0].buttons]
    assert labels[:2] == ["▶ play", "❚❚ pause"] and "fast" in labels
    # Frames move one trace (the marker) and their times are log-spaced.
    times = np.array([float(f.name) for f in fig.frames])
    assert all(len(f.data) == 1 for f in fig.frames)
    pos = times[times > 0]
    assert np.median(np.diff(np.log(pos))) == pytest.approx(
        np.log(pos[-1] / pos[0]) / len(pos), rel=0.5
    )
    three = trajectory_figure(mode_projection(r, (1, 2, 3)))
    assert three.data[0].type == "scatter3d"


def test_scalar_chain_hyperbolas_hold_the_run():
    r = compute(PRESETS["scalar-chain"].state)
    proj = scalar_projection(r, (1, 2))
    assert not proj.message
    level = next(line for label, line in proj.level_sets if label.startswith("level set"))
    c = float(level[0, 1] ** 2 - level[0, 0] ** 2)
    np.testing.assert_allclose(level[:, 1] ** 2 - level[:, 0] ** 2, c, atol=1e-9)
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
    fig = callbacks.update_slice(state.to_dict())
    assert fig.data[0].type == "contour" and "split" in fig.data[-1].name
    surface = callbacks.update_slice(state.replace(slice_kind="surface").to_dict())
    assert surface.data[0].type == "surface"


def test_proposition2_panel():
    text, fig = callbacks.update_rate(PRESETS["prop2"].state.to_dict())
    assert text.startswith("Hypotheses hold") and len(fig.data) == 2
    assert np.all(np.asarray(fig.data[0].y) <= np.asarray(fig.data[1].y) * (1 + 1e-6) + 1e-25)
    text, _ = callbacks.update_rate(AppState().to_dict())
    assert text.startswith("Hypotheses do not hold") and "lambda_" in text
    t = np.linspace(0, 10, 50)
    assert measured_rate(t, 3.0 * np.exp(-2 * 0.7 * t)) == pytest.approx(0.7)


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_are_valid_and_round_trip(name):
    state = PRESETS[name].state
    assert state.preset == name
    assert decode(encode(state)) == (state, [])
    _, query, store, notice = callbacks.from_url(f"?preset={name}")
    assert notice == "" and store == state.to_dict() and query == encode(state)
    assert len(PRESETS[name].text.split(". ")) >= 2


def test_editing_a_preset_clears_its_name():
    state = PRESETS["escape"].state
    values = callbacks.control_values(state.replace(t_max=61.0))
    store, _, _ = callbacks.from_user(values)
    assert store["preset"] == ""
    store, _, _ = callbacks.from_user(callbacks.control_values(state))
    assert store["preset"] == "escape"


def test_animation_payload_is_small():
    fig = callbacks.update_trajectory(AppState(compare="seeds").to_dict())
    assert len(pio.to_json(fig)) < 2_000_000
    assert frame_indices(np.array([0.0, 1.0, 2.0]))[0] == 0


def test_about_page_states_the_corrections():
    from app.about_text import ABOUT

    assert "Where the printed paper needed correcting" in ABOUT
    assert "(d_1 - r)(d_y - r)" in ABOUT and "largest" in ABOUT
    json.dumps(ABOUT)
    assert core.predicted_split  # the page's formulas are the ones core checks


def test_slice_towards_a_global_minimum_reaches_it():
    from app.presets import PRESETS

    state = PRESETS["stable-manifold"].state.replace(slice_dirs="to_minimum", slice_extent=10.0)
    sl = get_slice(state)
    assert sl.labels[0].startswith("direction to a global minimum")
    # Along d1 the loss falls from the saddle's rung towards the bottom rung (value 0 here).
    row = sl.plane.loss[sl.plane.loss.shape[0] // 2]
    assert row.min() < 0.2 * row[row.size // 2]
