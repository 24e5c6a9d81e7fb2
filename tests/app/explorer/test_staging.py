"""A change whose run's end is not computed yet comes in two requests (app.explorer.staging):
the run's panels at once, the end's panels (the limit's Hessian, the slice, the curvature along
the run) from a second request; a change whose end is cached is one request."""

from __future__ import annotations

from dataclasses import replace

import plotly.graph_objects as go
import pytest
from dash import no_update

from app.budget import BudgetExceeded
from app.computation import compute, run_fingerprint
from app.explorer import cache, callbacks, staging
from app.explorer.callbacks import render
from app.explorer.panels import END_PANELS
from app.figures.common import PROJECTOR_FONT
from app.hosting.server import create_app
from app.state import AppState, Point, decode, encode
from app.uploads import UploadError
from app.views import figures

RUN_PANELS = ("loss", "trajectory", "drift", "outputs")


def _words(component) -> str:
    if isinstance(component, str):
        return component
    kids = getattr(component, "children", None)
    if kids is None:
        return ""
    return " ".join(_words(c) for c in (kids if isinstance(kids, list) else [kids]))


def _annotation(fig: dict) -> str:
    return " ".join(a["text"] for a in fig["layout"].get("annotations", ()))


@pytest.fixture
def app(tmp_path):
    return create_app(cache_dir=str(tmp_path))


def test_a_new_run_draws_its_panels_then_its_end(app):
    state = AppState(init_seed=11)
    q = encode(state)
    with app.server.app_context():
        first = render(q, None)
    # The run's panels, drawn and true (the status is the stopping rule's own sentence).
    assert first["error"] == "" and "reached the global minimum" in first["status"]
    assert all(first[k]["data"] for k in RUN_PANELS) and first["rate"] is not no_update
    # The end's panels say they are being computed: not the previous run's, not blank.
    for kind in ("hessian", "slice", "curvature"):
        assert _annotation(first[kind]) == staging.COMPUTING
    assert _words(first["hessian_table"]) == staging.COMPUTING_TEXT
    assert first["end_pending"] == {"query": q, "panels": sorted(END_PANELS)}
    assert first["end_wanted"] == q and first["drawn"] == q

    with app.server.app_context():
        end = staging.render_end(first["end_pending"])
    assert end["query"] == q and set(end["figures"]) == {"hessian", "slice", "curvature"}
    # What the second request sends is the uncached computation's, panel for panel.
    r = compute(state)
    want = figures(state, ["hessian", "curvature"], r)
    for kind in ("hessian", "curvature"):
        got = go.Figure(end["figures"][kind])
        assert [t.name for t in got.data] == [t.name for t in want[kind].data]
    assert f"type S = {r.limit.classification.label}" in _words(end["hessian_table"])

    # Visited again, the state is one request with every panel (its end is cached).
    with app.server.app_context():
        again = render(q, None)
    assert again["end_pending"] is no_update and again["end_wanted"] == q
    assert go.Figure(again["hessian"]) == go.Figure(end["figures"]["hessian"])
    assert "type S" in _words(again["hessian_table"])


def test_in_presentation_mode_the_end_is_computed_in_its_type(app):
    with app.server.app_context():
        out = render(encode(AppState(init_seed=18, present=True)), None)
    note = out["hessian"]["layout"]["annotations"][0]
    assert note["text"] == staging.COMPUTING and note["font"]["size"] >= PROJECTOR_FONT - 2


def test_a_view_change_leaves_an_end_on_its_way_alone(app):
    base = AppState(init_seed=12)
    q = encode(base)
    with app.server.app_context():
        render(q, None)
        out = render(encode(base.replace(loss_axis="linear")), q)
    # Neither the end's panels nor the state whose end the page wants are touched: the end
    # being computed for the same run is still the one to show.
    assert out["loss"] is not no_update
    assert all(out[k] is no_update for k in ("hessian", "slice", "curvature", "hessian_table"))
    assert out["end_wanted"] is no_update and out["end_pending"] is no_update


def test_another_point_before_the_end_is_there_waits_for_it_in_the_second_request(app):
    """The first end is dropped (the page wants the new state's): the second request draws
    every end panel, the curvature too, though only the point changed."""
    base = AppState(init_seed=13)
    q = encode(base)
    plateau = encode(base.replace(point=Point("plateau", index=1)))
    with app.server.app_context():
        render(q, None)  # the end not computed yet
        out = render(plateau, q, "")
    assert out["end_pending"] == {"query": plateau, "panels": sorted(END_PANELS)}
    assert out["end_wanted"] == plateau and _annotation(out["curvature"]) == staging.COMPUTING
    with app.server.app_context():
        end = staging.render_end(out["end_pending"])
    assert set(end["figures"]) == {"hessian", "slice", "curvature"}
    assert "saddle" in _words(end["hessian_table"]) and "plateau 1" in _words(end["hessian_table"])


def test_an_end_that_never_came_is_drawn_by_the_next_change(app):
    """The second request failed (a 429, a dropped connection): the page says no end is shown
    (""), and the next change, a view change, draws the end's panels again."""
    base = AppState(init_seed=16)
    q, linear = encode(base), encode(base.replace(loss_axis="linear"))
    with app.server.app_context():
        first = render(q, None)
        assert first["end_shown"] == ""
        staging.render_end(first["end_pending"])  # computed, but its answer never arrived
        out = render(linear, q, "")
    assert out["loss"] is not no_update and out["end_pending"] is no_update  # cached by now
    assert out["hessian"]["data"] and "type S" in _words(out["hessian_table"])
    assert out["end_shown"] == linear and out["end_wanted"] == linear
    # Shown, a view change leaves the end's panels alone and says the end is still right.
    with app.server.app_context():
        again = render(q, linear, linear)
    assert again["hessian"] is no_update and again["end_shown"] == q


def test_a_failed_view_does_not_take_an_end_still_on_its_way(monkeypatch):
    def over(state):
        raise BudgetExceeded("over budget")

    monkeypatch.setattr(callbacks, "get_run", over)
    out = render(encode(AppState(init_seed=15)), None)
    assert out["error"] == "over budget" and out["end_wanted"] == ""


@pytest.mark.parametrize(
    "pending",
    [None, "?dx=4", {}, {"query": 5}, {"query": None, "panels": ["point"]}, ["point"]],
)
def test_the_second_request_ignores_what_is_not_a_pending_end(pending):
    assert staging.render_end(pending) is no_update


def test_the_second_request_validates_what_it_is_sent(app):
    # Unknown panels and junk are dropped; an invalid field is the state's default.
    pending = {"query": "?dx=abc&init_seed=3", "panels": ["point", "loss", {"x": 1}, 7]}
    with app.server.app_context():
        end = staging.render_end(pending)
    assert set(end["figures"]) == {"hessian"} and "type S" in _words(end["hessian_table"])
    with app.server.app_context():
        none = staging.render_end({"query": "?init_seed=3", "panels": "point"})
    assert none["figures"] == {} and "hessian_table" not in none


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (BudgetExceeded("the end did not fit"), "the end did not fit"),
        (UploadError("the uploaded data have expired"), "the uploaded data have expired"),
        (ZeroDivisionError("boom"), "The computation failed: boom"),
    ],
)
def test_a_failed_end_says_so_in_its_panels(app, monkeypatch, error, said):
    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(staging, "get_result", fail)
    with app.server.app_context():
        end = staging.render_end({"query": "?init_seed=14", "panels": ["point", "curvature"]})
    assert set(end["figures"]) == {"hessian", "curvature"}
    assert all(_annotation(f) == said for f in end["figures"].values())
    assert _words(end["hessian_table"]) == said


def test_an_end_cached_for_another_run_is_not_taken(app, monkeypatch):
    """The run evicted and computed again ended elsewhere (a run stopped by its budget does):
    the cached end is not its end."""
    q = encode(AppState(init_seed=17))
    with app.server.app_context():
        first = render(q, None)
        staging.render_end(first["end_pending"])
        run = cache.get_run(decode(q)[0])
        assert cache.ready_result(decode(q)[0], run) is not None
        moved = replace(run, trajectory=replace(run.trajectory, nfev=run.trajectory.nfev // 2))
        assert cache.ready_result(decode(q)[0], moved) is None
        redone = cache.get_result(decode(q)[0], moved)
    assert redone.end.run == run_fingerprint(moved) != run_fingerprint(run)
