"""The presets that put theory beside the run: every number their texts state, held against the
computed runs, and the figures they show."""

from __future__ import annotations

import numpy as np
import pytest

from app.computation import analyse_point, compute, point_time
from app.figures.outputs import network_outputs
from app.presets import PRESETS
from app.views import figures

EDGE, SEMANTIC = PRESETS["edge-of-stability"], PRESETS["semantic-development"]
FLATTEST = 3 * 2 ** (4 / 3)  # (H+1) s_1^(2H/(H+1)) for H = 2, s_1 = 2


@pytest.fixture(scope="module")
def edge_runs():
    return [compute(EDGE.at_step(k)) for k in range(1, 4)]


def test_the_edge_presets_numbers(edge_runs):
    below, above, unbalanced = edge_runs
    assert round(FLATTEST, 2) == 7.56 and round(2 / FLATTEST, 3) == 0.265
    # Step 1: eta = 0.25 converges to the flow's (balanced) minimum, below 2/eta = 8.
    assert below.state.eta == 0.25 and below.discrete.status == "converged"
    assert below.curvature.lambda_max[-1] == pytest.approx(FLATTEST, rel=1e-6)
    # GD drifts off balance by O(eta^2): its minimum is a hair sharper, still below 2/eta.
    gd_end = below.discrete_curvature.lambda_max[-1]
    assert gd_end == pytest.approx(FLATTEST, rel=1e-4) and gd_end < 2 / 0.25
    # Step 2: eta = 0.28, 2/eta = 7.14 < 7.56: a period-2 oscillation across 2/eta.
    assert above.state.eta == 0.28 and above.discrete.status == "t_max"
    late = above.discrete_curvature.lambda_max[-8:]
    assert round(late.max(), 1) == 10.0 and round(late.min(), 1) == 4.6
    assert late.min() < 2 / 0.28 < late.max()
    tail = above.discrete.loss[-50:]
    assert 0.05 <= tail.min() and tail.max() <= 0.085
    # Step 3: the unbalanced start's flow ends sharper (12.8); GD at eta = 0.18 flatter (10.2).
    assert unbalanced.state.init_kind == "layered" and unbalanced.discrete.status == "converged"
    assert round(unbalanced.curvature.lambda_max[-1], 1) == 12.8
    assert round(unbalanced.discrete_curvature.lambda_max[-1], 1) == 10.2 < 2 / 0.18


def test_the_edge_presets_curvature_panel(edge_runs):
    state = EDGE.at_step(1)
    fig = figures(state, ["curvature"], edge_runs[0])["curvature"]
    names = [t.name for t in fig.data]
    assert "stability limit 2/η = 8" in names
    assert "flattest minimum 7.56" in names
    assert {"flow", "gradient descent", "λ_min (flow)", "n− (gradient descent)"} <= set(names)
    flow = fig.data[names.index("flow")]
    assert flow.y[-1] == pytest.approx(FLATTEST, rel=1e-6)  # lambda_max, on a linear axis
    assert "dense eigh" in fig.layout.xaxis.title.text  # the method, stated
    assert len(fig.layout.shapes) == len(edge_runs[0].plateaus)  # the plateaus shaded


@pytest.fixture(scope="module")
def semantic_run():
    return compute(SEMANTIC.state)


def test_the_semantic_presets_staircase(semantic_run):
    r = semantic_run
    assert [p.label for p in r.plateaus] == ["{}", "{1}", "{1,2}", "{1,2,3}", "{1,2,3,4}"]
    assert r.trajectory.status == "converged"
    names = [n for n, _ in r.theory.modes]
    assert names == ["living things", "animals vs plants", "trees vs flowers", "birds vs fish",
                     "oak vs pine"]  # fmt: skip
    fig = figures(SEMANTIC.state, ["loss"], r)["loss"]
    notes = [a.text for a in fig.layout.annotations]
    for name in names:
        assert f"+ {name}" in notes, name


def _outputs_at(state, r):
    t = point_time(state, r)
    i = int(np.argmin(np.abs(r.trajectory.t - t)))
    return network_outputs(r.problem, r.trajectory)[i].T  # (items, properties)


def test_the_semantic_stories_outputs(semantic_run):
    r = semantic_run
    out = [_outputs_at(SEMANTIC.at_step(k), r) for k in range(1, 7)]
    animals, plants = slice(0, 4), slice(4, 8)
    grow, move, fly, petals, needles = range(5)
    assert np.abs(out[0]).max() < 0.01
    # The texts round to the digits they print.
    lo_hi = lambda a, d: (round(float(a.min()), d), round(float(a.max()), d))  # noqa: E731
    assert lo_hi(out[1][:, grow], 2)[0] == 0.65 and lo_hi(out[1][:, grow], 1)[1] == 1.3
    assert lo_hi(out[1][:, move], 1) == (0.4, 0.8)
    assert lo_hi(out[2][animals, move], 1) == (0.8, 1.1)
    assert lo_hi(out[2][plants, move], 1)[1] <= 0.2 and round(out[2][6, petals], 2) == 0.76
    assert round(out[3][5, needles], 2) == 0.84 and round(out[3][6, petals], 2) == 0.97
    assert np.round(out[4][:2, fly], 1).tolist() == [1.0, 1.0]
    assert np.round(out[4][2:4, fly], 1).tolist() == [0.0, 0.0]
    assert np.all(np.round(out[4][4, [move, petals, needles]], 1) == 0.2)  # the oak, borrowed
    np.testing.assert_allclose(out[5], r.problem.Y.T, atol=1e-3)
    split = analyse_point(SEMANTIC.at_step(1), r).split
    assert split.counts == (0, 168, 0) and split.clean


def test_the_semantic_presets_outputs_panel(semantic_run):
    fig = figures(SEMANTIC.state, ["outputs"], semantic_run)["outputs"]
    heat, target = fig.data
    assert np.asarray(heat.z).shape == (40, 90) and np.asarray(target.z).shape == (40, 1)
    assert list(fig.layout.yaxis.ticktext) == [
        "canary", "robin", "salmon", "sunfish", "oak", "pine", "rose", "daisy"
    ]  # fmt: skip
    assert fig.layout.xaxis.type == "log"
