"""The explorer's figures and callbacks as functions, without a browser."""

import json

import numpy as np
import plotly.graph_objects as go
import pytest
from dash import no_update

import core
from app.computation import compute
from app.explorer import callbacks, ids, panels, staging, sync
from app.explorer.callbacks import render
from app.explorer.panels import PANEL_FIELDS, changed_panels
from app.figures import drift_figure, hessian_figure, loss_figure
from app.figures.loss import PLOT_PX
from app.hosting.server import create_app
from app.presets import PRESETS
from app.state import AppState, Point, encode


@pytest.fixture(scope="module")
def default_result():
    return compute(AppState())


def _annotations(fig, prefix):
    return {
        a.name.split(" ", 1)[1]: a
        for a in fig.layout.annotations
        if (a.name or "").startswith(prefix)
    }


def test_loss_figure_has_every_rung_and_log_time(default_result):
    r = default_result
    fig = loss_figure(r.trajectory, r.ladder, r.plateaus)
    rung_trace = fig.data[0]
    assert rung_trace.name == "critical values (ladder)"
    # On the log axis the bottom rung L* = 0 cannot be drawn; it is named below the axis.
    assert sum(1 for y in rung_trace.y if y is None) == len(r.ladder) - 1 == 2**3 - 1
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"
    assert fig.layout.xaxis.title.text.startswith("time t")
    assert fig.layout.yaxis.title.text == "loss L(t)"
    assert len(fig.layout.shapes) == len(r.plateaus) == 3  # the saddles visited, shaded
    flow = fig.data[1]
    assert "nearest rung" in flow.hovertemplate and all(flow.x > 0)


@pytest.mark.parametrize("axis", ["log", "linear"])
def test_rung_labels_sit_on_their_rungs(default_result, axis):
    # Plotly places annotations on a log axis at log10 of their y: a label at y = L would sit
    # at 10^L. Every label must be at its own rung's height on both axes.
    r = default_result
    fig = loss_figure(r.trajectory, r.ladder, r.plateaus, loss_axis=axis)
    labels = _annotations(fig, "rung")
    lo, hi = fig.layout.yaxis.range if axis == "log" else (0.0, r.ladder.values.max())
    gap = (hi - lo) * 1.3 * 10 / PLOT_PX  # labels closer than a line of text are merged
    for rung in r.ladder.rungs:
        a = next(
            a for text, a in labels.items() if rung.label in text.replace("<br>", ", ").split(", ")
        )
        if rung.value > 0 or axis == "linear":
            want = np.log10(rung.value) if axis == "log" else rung.value
            assert a.yref == "y" and abs(a.y - want) <= gap, rung.label
        else:
            assert axis == "log" and a.yref == "paper" and "below" in a.text
    assert axis == "linear" or len(labels) < len(r.ladder)  # {} and {3} share one label
    plateaus = _annotations(fig, "plateau")
    assert list(plateaus) == [pl.label for pl in r.plateaus]  # {} included: t = 0 is clamped
    lo, hi = fig.layout.xaxis.range
    assert all(lo <= a.x <= hi for a in plateaus.values())


def test_comparison_runs_are_drawn_on_the_loss_too():
    r = compute(AppState(compare="seeds"))
    fig = loss_figure(r.trajectory, r.ladder, r.plateaus, others=r.others)
    names = [t.name for t in fig.data]
    assert (
        names[1] == "gradient flow (reduced)" and "init seed 1" in names and "init seed 2" in names
    )
    r = compute(PRESETS["flows"].state)
    names = [t.name for t in loss_figure(r.trajectory, r.ladder, others=r.others).data]
    assert "gradient flow (original)" in names and "reduced flow" in names


def test_loss_figure_with_discrete_run(default_result):
    r = default_result
    gd = core.gradient_descent(
        r.problem, core.init_weights(r.problem, 0.01, seed=0), lr=0.05, steps=2000
    )
    fig = loss_figure(r.trajectory, r.ladder, (), gd, discrete_label="gradient descent")
    assert [t.name for t in fig.data][-1] == "gradient descent (t = k eta)"
    mom = core.gradient_descent(
        r.problem, core.init_weights(r.problem, 0.01, seed=0), lr=0.005, steps=2000, momentum=0.9
    )
    fig = loss_figure(r.trajectory, r.ladder, (), mom, discrete_label="heavy-ball momentum")
    assert fig.data[-1].name == "heavy-ball momentum (t = k eta / (1 - beta))"
    assert mom.t[-1] == pytest.approx(2000 * 0.005 / (1 - 0.9))


def test_hessian_figure_colours_by_sign():
    p = core.Problem.from_spectrum([3.0, 2.0], dx=3, widths=(3,))
    Ws = core.critical_point(p, (1,), seed=0)
    split, pred = core.hessian_split(p, Ws), core.predicted_split(p, (1,))
    fig = hessian_figure(split, pred)
    counts = {t.name.split(":")[0]: len(t.x) for t in fig.data if t.name}
    assert counts == {
        "negative": split.n_neg,
        "zero (within tolerance)": split.n_zero,
        "positive": split.n_pos,
    }
    assert fig.layout.yaxis.type == "log"


def test_hessian_indices_tick_at_integers_on_a_short_spectrum():
    """Two eigenvalues (the scalar chain): plotly ticked the index axis 1, 1.2, 1.4, ..."""
    from app.presets import PRESETS
    from app.views import figures

    fig = figures(PRESETS["scalar-chain"].state, ["hessian"])["hessian"]
    xs = [x for t in fig.data for x in t.x]
    assert len(xs) == 2 and fig.layout.xaxis.tick0 == 1 and fig.layout.xaxis.dtick == 1


def words(c) -> str:
    """Every text in a component tree (its repr is truncated)."""
    kids = getattr(c, "children", c)
    if isinstance(kids, str):
        return kids
    return " ".join(words(k) for k in kids) if isinstance(kids, list | tuple) else ""


def test_a_large_net_gets_lanczos_extremes_and_the_panel_says_so(monkeypatch):
    import app.computation as computation
    from app import limits
    from app.explorer.summary import hessian_table
    from app.views import hessian_view

    # A 78-parameter net with the dense and inertia sizes set below it: the Lanczos path.
    monkeypatch.setattr(limits, "DENSE_SPLIT_PARAMS", 10)
    monkeypatch.setattr(limits, "INERTIA_SPLIT_PARAMS", 10)
    state = AppState(spectrum=(4.0, 2.0, 1.0), widths=(6,), t_max=30.0)  # on the {1} plateau
    result = compute(state)
    n = result.problem.n_params
    point = computation.analyse_point(state, result)
    split = point.split
    dense = core.hessian_split(result.problem, point.polished.weights, method="dense")
    assert split.method == "lanczos" and split.n_zero is None
    assert split.eigenvalues[0] == pytest.approx(dense.eigenvalues[0], abs=1e-9 * dense.scale)
    assert split.eigenvalues[-1] == pytest.approx(dense.eigenvalues[-1], rel=1e-9)
    fig = hessian_view(state, result, point)
    xs = np.concatenate([np.asarray(t.x) for t in fig.data if t.name])
    assert xs.max() == n and xs.min() == 1  # the extremes at their own indices
    counts = next(a.text for a in fig.layout.annotations if a.name == "counts")
    assert "Lanczos" in counts and "not computed" in counts
    text = words(hessian_table(point))
    assert "not computed" in text and "only the" in text and "counts up to 10" in text
    # n- is a bound only when Lanczos found negatives (it finds the smallest eigenvalue).
    assert (">= 0" not in text) and ((f">= {split.n_neg}" in text) == (split.n_neg > 0))
    assert ("a negative eigenvalue" in text) == (split.n_neg > 0)


def test_a_net_past_the_dense_size_gets_exact_counts_by_inertia(monkeypatch):
    import app.computation as computation
    from app import limits
    from app.explorer.data_export import view_json
    from app.explorer.summary import hessian_table
    from app.views import hessian_view

    # The same 78-parameter net past the dense size, at the global minimum and ending on a
    # saddle's plateau: the Lanczos extremes drawn, the counts those of every eigenvalue, their
    # gap judged as the dense spectrum's is, and the panel says how it counted.
    monkeypatch.setattr(limits, "DENSE_SPLIT_PARAMS", 10)
    for t_max, clean in ((200.0, True), (30.0, False)):
        state = AppState(spectrum=(4.0, 2.0, 1.0), widths=(6,), t_max=t_max)
        result = compute(state)
        n = result.problem.n_params
        point = computation.analyse_point(state, result)
        split = point.split
        dense = core.hessian_split(result.problem, point.polished.weights, method="dense")
        assert split.method == "inertia" and split.counts == dense.counts
        assert split.clean == dense.clean == clean
        assert split.eigenvalues.size == 2 * core.spectrum.LANCZOS_K < n
        fig = hessian_view(state, result, point)
        # Each drawn extreme sits among its sign's indices, as the counts place them (Lanczos
        # returns the zero cluster once: the smallest positives come after all n0 zeros), and
        # the legend gives each sign's exact count.
        n_neg, n_zero, n_pos = dense.counts
        where = {
            "negative": (1, n_neg),
            "zero (within tolerance)": (n_neg + 1, n_neg + n_zero),
            "positive": (n_neg + n_zero + 1, n),
        }
        for t in fig.data:
            if t.name.startswith("exactly zero"):  # how many are exactly zero is not known
                lo, hi = where["zero (within tolerance)"]
                assert lo <= min(t.x) and max(t.x) <= hi
                continue
            group, count = t.name.rsplit(": ", 1)
            lo, hi = where[group]
            assert lo <= min(t.x) and max(t.x) <= hi, (group, list(t.x))
            assert int(count) == {"negative": n_neg, "positive": n_pos}.get(group, n_zero)
        counts = next(a.text for a in fig.layout.annotations if a.name == "counts")
        assert f"measured (n-, n0, n+) = {dense.counts} by LDL^T inertia" in counts
        text = words(hessian_table(point))
        assert "measured (LDL^T)" in text and "exact" in text
        if clean:
            assert point.classification.is_global_min and "Measured and theory agree" in text
        else:
            assert "the counts depend on the tolerance" in text
        doc = json.loads(view_json(state, result, point))["hessian"]
        assert doc["split_method"] == "inertia" and doc["measured"] == list(dense.counts)
        assert (doc["gap"] == [None, None]) == (not clean)


def test_drift_figure_flow_and_discrete(default_result):
    r = default_result
    gd = core.gradient_descent(
        r.problem, core.init_weights(r.problem, 0.01, seed=0), lr=0.05, steps=2000
    )
    fig = drift_figure(r.trajectory, gd)
    assert len(fig.data) == 2 and fig.layout.yaxis.type == "log"
    assert max(fig.data[0].y) < 1e-5 < max(fig.data[1].y)


def test_sync_state_from_a_link_and_from_the_controls():
    app = create_app(cache_dir=None)
    with app.server.app_context():
        out = sync.sync("?depth=1&widths=3&point=rung-1", {f: None for f in ids.FIELDS}, None, None)
    assert out["notice"] is no_update and out["controls"]["depth"] == "1"  # nothing to say
    assert out["store"] == encode(AppState(depth=1, widths=(3,), point=Point("rung", subset=(1,))))
    state, errors = sync.from_user({"dx": "500"})
    assert state is None and errors == {"dx": "dx must be an integer in [1, 24]; got 500"}
    # Controls that already show their value are left alone (the page renders them once).
    with app.server.app_context():
        shown = sync.control_values(AppState())
        out = sync.sync("?depth=1", shown, None, None)
    moved = {k for k, v in out["controls"].items() if v is not no_update}
    assert moved == {"depth"} and out["controls"]["depth"] == "1"


def test_a_control_without_a_value_keeps_the_current_one():
    # A dropdown whose options have not arrived yet clears itself: that is not the user's choice.
    current = AppState(point=Point("plateau", index=2), init_seed=3)
    values = {**sync.control_values(current), "point": None, "init_seed": "4"}
    state, errors = sync.from_user(values, current)
    assert errors == {} and state.point == Point("plateau", index=2) and state.init_seed == 4


def test_editing_a_preset_clears_its_name():
    state = PRESETS["escape"].state
    values = sync.control_values(state.replace(t_max=61.0))
    new, _ = sync.from_user(values)
    assert new.preset == ""
    again, _ = sync.from_user(sync.control_values(state))
    assert again.preset == "escape"


def test_unknown_presets_and_plateaus_say_so():
    state, notice = sync.from_url("?preset=nonexistent")
    assert state == AppState() and "no preset 'nonexistent'" in notice
    out = render(encode(AppState(point=Point("plateau", index=99))), None)
    assert "plateau 99 does not exist (this run has 3)" in out["point_notice"]


def test_after_a_failed_view_the_next_one_redraws_every_panel(monkeypatch):
    """A failure blanks the panels: the next view, even of the same problem (whose table is
    otherwise not sent again) or the very view drawn before, redraws every one."""
    from app.budget import BudgetExceeded

    base = AppState()
    q = encode(base)
    real = callbacks.get_run

    def over_budget_at_seed_7(state):
        if state.init_seed == 7:
            raise BudgetExceeded("over budget")
        return real(state)

    monkeypatch.setattr(callbacks, "get_run", over_budget_at_seed_7)
    failed = render(encode(base.replace(init_seed=7)), q)
    assert failed["error"] == "over budget" and failed["summary"] == [] and failed["drawn"] == ""
    for query in (encode(base.replace(init_seed=5)), q):
        again = render(query, failed["drawn"])
        assert again["error"] == "" and again["summary"] and again["summary"] is not no_update
        assert all(again[k] is not no_update for k in callbacks.GRAPHS)


def test_only_the_panels_whose_inputs_changed_are_redrawn():
    base = AppState()
    q = encode(base)
    assert changed_panels(q, None) == set(PANEL_FIELDS)
    assert changed_panels(encode(base.replace(loss_axis="linear")), q) == {"loss"}
    assert changed_panels(encode(base.replace(point=Point("plateau", index=1))), q) == {
        "point",
        "slice",
    }
    assert changed_panels(encode(base.replace(slice_kind="surface")), q) == {"slice"}
    # A new run of the same problem keeps the problem's table; a new problem redraws it.
    assert changed_panels(encode(base.replace(init_seed=5)), q) == set(PANEL_FIELDS) - {"problem"}
    assert changed_panels(encode(base.replace(dx=5)), q) == set(PANEL_FIELDS)
    assert changed_panels(encode(base.replace(widths=(5,))), q) == set(PANEL_FIELDS)
    seeded = render(encode(base.replace(init_seed=5)), q)
    assert seeded["summary"] is no_update and seeded["status"] is not no_update
    assert render(encode(base.replace(dx=5)), q)["summary"] is not no_update
    out = render(encode(base.replace(loss_axis="linear")), q)
    assert out["loss"] is not no_update and out["loss"]["layout"]["yaxis"].get("type") != "log"
    assert all(
        out[k] is no_update for k in ("drift", "trajectory", "hessian", "slice", "rate", "summary")
    )


def test_a_setting_visited_before_is_served_without_drawing(tmp_path, monkeypatch):
    app = create_app(cache_dir=str(tmp_path))
    query = encode(AppState(init_seed=3))
    with app.server.app_context():
        first = render(query, None)
    with app.server.app_context():  # the change's second request: the run's end
        end = staging.render_end(first["end_pending"])
    first.update(end["figures"])

    def no_drawing(*args, **kwargs):
        raise AssertionError("the figures of a visited setting were drawn again")

    monkeypatch.setattr(panels, "figures", no_drawing)
    with app.server.app_context():
        again = render(query, None)
    assert again["error"] == "" and again["end_pending"] is no_update  # one request now
    for kind in ("loss", "trajectory", "hessian", "slice", "curvature"):
        assert go.Figure(again[kind]) == go.Figure(first[kind])
    assert again["loss"]["layout"]["meta"]["filename"].endswith("-loss")


def test_render_draws_every_panel_and_states_the_end_truly():
    out = render(encode(AppState()), None)
    assert out["error"] == "" and "reached the global minimum" in out["status"]
    assert {"label": "rung {1}: constructed critical point", "value": "rung-1"} in out[
        "point_options"
    ]
    assert {"label": out["point_options"][1]["label"], "value": "plateau-1"} == out[
        "point_options"
    ][1]
    short = render(encode(AppState(t_max=30.0)), None)
    assert "plateau of the saddle {1}" in short["status"] and "raise t_max" in short["status"]


def test_one_request_syncs_the_state_and_draws_what_changed():
    app = create_app(cache_dir=None)
    shown = sync.control_values(AppState())
    with app.server.app_context():
        first = callbacks.updated("?init_seed=2", shown, None, None, None)
        assert first["store"] == encode(AppState(init_seed=2)) and first["drawn"] == first["store"]
        assert first["controls"]["init_seed"] == "2" and "reached" in first["status"]
        assert all(first[k] is not no_update for k in callbacks.GRAPHS)
        # An edit of a view field: the URL and store follow, one panel is drawn.
        edited = {**shown, "init_seed": "2", "loss_axis": "linear"}
        out = callbacks.updated(
            "?init_seed=2", edited, first["store"], first["drawn"], ids.CONTROL["loss_axis"]
        )
        assert out["url"] == encode(AppState(init_seed=2, loss_axis="linear"))
        assert out["loss"] is not no_update and out["trajectory"] is no_update
        # A refused value: a message at the field, the views untouched and marked stale.
        bad = callbacks.updated(
            out["url"], {**edited, "dx": "500"}, out["store"], out["drawn"], ids.CONTROL["dx"]
        )
    assert "[1, 24]" in bad["errors"]["dx"] and bad["stale"]
    assert all(bad[k] is no_update for k in (*callbacks.GRAPHS, "store", "url"))


def test_hessian_indices_tick_at_integers_in_print_too():
    from app.export import SIZES
    from app.export.style import paper_style
    from app.presets import PRESETS
    from app.views import figures

    fig = figures(PRESETS["scalar-chain"].state, ["hessian"])["hessian"]
    out = paper_style(fig, "hessian", SIZES["single"], math=False)
    assert out.layout.xaxis.dtick >= 1 and float(out.layout.xaxis.tick0).is_integer()


def test_a_non_minimal_saddle_is_held_against_prop_4_iii_not_the_minimal_count():
    """Type {1} with rank Z = 2 > rank R = 1 (H = 2): the panel's theory row says n- >= 1 and
    the measured two negative eigenvalues agree with it (it said 0 and "theory differs")."""
    from app.computation import _analyse
    from app.explorer.summary import hessian_table
    from app.state import Point

    p = core.Problem.from_spectrum([3.0, 2.0, 1.0], dx=4, widths=(5, 5))
    W = [w.copy() for w in core.critical_point(p, (0,), seed=1)]
    rng = np.random.default_rng(0)
    u, v = rng.standard_normal(5), rng.standard_normal(5)
    u -= (u @ W[2][0]) / (W[2][0] @ W[2][0]) * W[2][0]  # W_3 annihilates it
    v -= (v @ W[0][:, 0]) / (W[0][:, 0] @ W[0][:, 0]) * W[0][:, 0]  # outside W_1's range
    W[1] = W[1] + 0.5 * np.outer(u, v) / np.linalg.norm(u) / np.linalg.norm(v)
    point = _analyse(p, Point(), "a saddle", "built", core.polish(p, W), "reduced")
    assert (point.classification.rank_R, point.classification.rank_Z) == (1, 2)

    text = words(hessian_table(point))
    assert ">= 1" in text and "Prop 4 iii" in text and "Measured and theory agree" in text
    fig = hessian_figure(point.split, point.predicted)
    assert any("theory (>= 1" in str(a.text) for a in fig.layout.annotations)


def test_a_printed_hessian_of_extremes_says_so_in_its_legend(monkeypatch):
    """Printing drops the line under the axis: the legend says only the extremes are drawn."""
    import app.computation as computation
    from app import limits
    from app.export.kinds import legend_names, prepare
    from app.views import hessian_view

    monkeypatch.setattr(limits, "DENSE_SPLIT_PARAMS", 10)
    state = AppState(spectrum=(4.0, 2.0, 1.0), widths=(6,))
    result = compute(state)
    point = computation.analyse_point(state, result)
    assert point.split.method == "inertia"
    fig = hessian_view(state, result, point)
    prepare("hessian", fig, math=False)
    assert f"extremes only ({core.spectrum.LANCZOS_K} per end)" in legend_names(fig)
    monkeypatch.setattr(limits, "DENSE_SPLIT_PARAMS", 2000)
    other = state.replace(t_max=150.0)  # not the cached analysis of the same state
    result = compute(other)
    point = computation.analyse_point(other, result)
    assert point.split.method == "dense"
    dense = hessian_view(other, result, point)
    prepare("hessian", dense, math=False)
    assert not any(n.startswith("extremes only") for n in legend_names(dense))


def test_an_exactly_zero_hessian_says_where_it_is_drawn():
    """At W = 0 (H >= 2) every eigenvalue is exactly zero: drawn at the floor, and the legend
    (shown for a single group too) says so, with the count."""
    from app.figures import hessian_figure

    p = core.Problem.from_spectrum([3.0, 2.0, 1.0], dx=4, widths=(4, 4))
    zero = tuple(np.zeros(shape) for shape in p.shapes)
    split = core.hessian_split(p, zero)
    fig = hessian_figure(split, core.predicted_split(p, ()), n_params=p.n_params)
    assert fig.layout.showlegend is True
    assert [t.name for t in fig.data] == [f"exactly zero (drawn at the floor): {p.n_params}"]


def test_a_saddle_of_type_empty_set_away_from_zero_is_held_against_prop_4_iii():
    """Type {} with rank Z > rank R = 0 is not W = 0: theory says n- >= 1, not the zero
    Hessian of Prop 4 ii."""
    p = core.Problem.from_spectrum([3.0, 2.0, 1.0], dx=4, widths=(4, 4))
    assert core.predicted_split(p, (), ranks=(0, 1)).neg_text == ">= 1"
    assert core.predicted_split(p, (), ranks=(0, 0)).counts == (0, p.n_params, 0)
    assert core.predicted_split(p, (0, 1, 2), ranks=(3, 4)).n_neg == 0  # a global minimum


def test_the_slice_legend_and_curvature_marks_say_what_is_not_known(monkeypatch):
    from app import limits
    from app.computation import analyse_point
    from app.figures.curvature import curvature_figure
    from app.slicing import compute_slice
    from app.views import slice_view

    monkeypatch.setattr(limits, "DENSE_SPLIT_PARAMS", 10)
    monkeypatch.setattr(limits, "INERTIA_SPLIT_PARAMS", 10)
    state = AppState(spectrum=(4.0, 2.0, 1.0), widths=(6,), t_max=40.0)
    result = compute(state)
    point = analyse_point(state, result)
    assert point.split.method == "lanczos"
    fig = slice_view(state, result, compute_slice(state, result, point))
    names = " ".join(t.name or "" for t in fig.data)
    assert "None" not in names and ", ?, ?)" in names
    curv = core.curvature_along(
        result.problem, result.trajectory, samples=20, method="lanczos", k=2
    )
    cfig = curvature_figure(curv, (1e-2, 40.0), [])
    marks = next(t for t in cfig.data if (t.name or "").startswith("n−"))
    symbols = list(marks.marker.symbol)
    drawn = np.isin(curv.t, np.asarray(marks.x))  # the samples inside the window
    assert symbols == ["circle" if e else "triangle-up" for e in curv.exact[drawn]]
    assert "triangle-up" in symbols and "▲ n− at least" in cfig.layout.xaxis.title.text
