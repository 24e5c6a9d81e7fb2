import json

import pytest
from dash import no_update

import core
from app import callbacks, ids
from app.compute import compute, get_result
from app.figures import drift_figure, hessian_figure, loss_figure
from app.server import create_app
from app.state import AppState, encode


@pytest.fixture(scope="module")
def default_result():
    return compute(AppState())


def test_loss_figure_has_every_rung_and_log_time(default_result):
    r = default_result
    fig = loss_figure(r.trajectory, r.ladder, r.plateaus)
    rung_trace = fig.data[0]
    assert rung_trace.name == "critical values (ladder)"
    assert sum(1 for y in rung_trace.y if y is None) == len(r.ladder) == 2**3
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"
    assert fig.layout.xaxis.title.text.startswith("time t")
    assert fig.layout.yaxis.title.text == "loss L(t)"
    labels = {a.text for a in fig.layout.annotations}
    assert {"{}", "{1}", "{1,2}", "{1,2,3}"} <= labels  # rung and plateau labels, 1-based
    shaded = [sh for sh in fig.layout.shapes if sh.name != "time-cursor"]
    assert len(shaded) == len(r.plateaus) == 4
    assert [sh.name for sh in fig.layout.shapes].count("time-cursor") == 1
    flow = fig.data[1]
    assert "nearest rung" in flow.hovertemplate and all(flow.x > 0)
    lin = loss_figure(r.trajectory, r.ladder, r.plateaus, loss_axis="linear")
    assert lin.layout.yaxis.type != "log"


def test_loss_figure_with_discrete_run(default_result):
    r = default_result
    gd = core.gradient_descent(r.problem, core.init_weights(r.problem, 0.01, 0), 0.05, 2000)
    fig = loss_figure(r.trajectory, r.ladder, (), gd, discrete_label="gradient descent")
    assert [t.name for t in fig.data][-1] == "gradient descent"


def test_hessian_figure_colours_by_sign():
    p = core.Problem.from_spectrum([3.0, 2.0], dx=3, widths=(3,))
    Ws = core.critical_point(p, (1,), seed=0)
    split, pred = core.hessian_split(p, Ws), core.predicted_split(p, (1,))
    fig = hessian_figure(split, pred)
    counts = {t.name.split(":")[0]: len(t.x) for t in fig.data}
    assert counts == {
        "negative": split.n_neg,
        "zero (within tolerance)": split.n_zero,
        "positive": split.n_pos,
    }
    assert fig.layout.yaxis.type == "log"


def test_drift_figure_flow_and_discrete(default_result):
    r = default_result
    gd = core.gradient_descent(r.problem, core.init_weights(r.problem, 0.01, 0), 0.05, 2000)
    fig = drift_figure(r.trajectory, gd)
    assert len(fig.data) == 2 and fig.layout.yaxis.type == "log"
    assert max(fig.data[0].y) < 1e-5 < max(fig.data[1].y)


def test_callbacks_as_functions():
    app = create_app(cache_dir=None)
    with app.server.app_context():
        _, _, store, notice = callbacks.from_url("?depth=1&widths=3&point=rung-1")
        assert notice == "" and store["depth"] == 1
        out = callbacks.update_views(store)
        assert out[5] == "" and "Limit: S =" in out[3]
        assert {"label": "rung {1}: constructed critical point", "value": "rung-1"} in out[4]
        fig, _ = callbacks.update_hessian(store)
        state = AppState(depth=1, widths=(3,), point="rung-1")
        split = core.hessian_split(
            get_result(state).problem, core.critical_point(get_result(state).problem, (0,), seed=0)
        )
        assert (
            fig.data
            and split.counts == core.predicted_split(get_result(state).problem, (0,)).counts
        )


def test_server_rejects_out_of_range_values_sent_directly():
    values = callbacks.control_values(AppState())
    values[ids.FIELDS.index("dx")] = "10000"
    store, query, messages = callbacks.from_user(values)
    assert store is None and query is None
    assert messages[ids.FIELDS.index("dx")] == "dx must be an integer in [1, 24]; got 10000"
    # A tampered store is refused before any computation.
    out = callbacks.update_views({**AppState().to_dict(), "t_max": 1e9})
    assert "not valid" in out[5] and out[4] is no_update


def test_http_callback_rejects_out_of_range(tmp_path):
    app = create_app(cache_dir=str(tmp_path))
    client = app.server.test_client()
    assert client.get("/").status_code == 200
    values = callbacks.control_values(AppState())
    values[ids.FIELDS.index("t_max")] = "1e12"
    outputs = (
        [{"id": ids.CONTROL[f], "property": "value"} for f in ids.FIELDS]
        + [
            {"id": ids.URL, "property": "search"},
            {"id": ids.STATE_STORE, "property": "data"},
            {"id": ids.NOTICE, "property": "children"},
        ]
        + [{"id": ids.ERROR[f], "property": "children"} for f in ids.FIELDS]
    )
    body = {
        "output": ".." + "...".join(f"{o['id']}.{o['property']}" for o in outputs) + "..",
        "outputs": outputs,
        "inputs": [{"id": ids.URL, "property": "search", "value": encode(AppState())}]
        + [
            {"id": ids.CONTROL[f], "property": "value", "value": v}
            for f, v in zip(ids.FIELDS, values, strict=True)
        ],
        "changedPropIds": [f"{ids.CONTROL['t_max']}.value"],
        "state": [],
    }
    resp = client.post("/_dash-update-component", json=body)
    assert resp.status_code == 200
    text = json.dumps(resp.get_json())
    assert "t_max must be a number in [0.01, 100000]" in text
    assert "Traceback" not in text


def test_data_exports_carry_the_state(default_result):
    from app.data_export import view_csv, view_json

    csv = view_csv(default_result)
    assert csv.startswith("# linflow") and encode(AppState()) in csv
    assert csv.count("\nflow,") == default_result.trajectory.n_samples
    doc = json.loads(view_json(default_result, default_result.limit))
    assert doc["state"] == AppState().to_dict() and len(doc["ladder"]) == 8
    assert doc["hessian"]["measured"][0] == default_result.limit.split.n_neg
