"""Simulated users of a hosted instance: each opens the explorer, then changes a control every
2-5 s and fetches what the browser would (the sync callback, then every panel's callback)."""

from __future__ import annotations

import random

from locust import HttpUser, between, task

from app import ids
from app.callbacks import control_values
from app.state import AppState, encode


def _prop(cid: str, prop: str, value=None) -> dict:
    return {"id": cid, "property": prop, **({"value": value} if value is not None else {})}


def _payload(outputs: list[tuple[str, str]], inputs: list[dict], changed: str) -> dict:
    """The body Dash's renderer posts (single-output callbacks use a plain 'id.prop' key)."""
    spec: dict | list
    if len(outputs) == 1:
        ((cid, prop),) = outputs
        key, spec = f"{cid}.{prop}", _prop(cid, prop)
    else:
        key = ".." + "...".join(f"{i}.{p}" for i, p in outputs) + ".."
        spec = [_prop(i, p) for i, p in outputs]
    return {
        "output": key,
        "outputs": spec,
        "inputs": inputs,
        "changedPropIds": [changed],
        "state": [],
    }


SYNC_OUT = (
    [(ids.CONTROL[f], "value") for f in ids.FIELDS]
    + [(ids.URL, "search"), (ids.STATE_STORE, "data"), (ids.NOTICE, "children")]
    + [(ids.ERROR[f], "children") for f in ids.FIELDS]
)
VIEWS_OUT = [
    (ids.LOSS_GRAPH, "figure"),
    (ids.DRIFT_GRAPH, "figure"),
    (ids.SUMMARY, "children"),
    (ids.STATUS, "children"),
    (ids.CONTROL["point"], "options"),
    (ids.VIEW_ERROR, "children"),
]
PANELS = [
    [(ids.HESSIAN_GRAPH, "figure"), (ids.HESSIAN_TABLE, "children")],
    [(ids.TRAJECTORY_GRAPH, "figure")],
    [(ids.SLICE_GRAPH, "figure")],
]


class Explorer(HttpUser):
    wait_time = between(2, 5)

    def on_start(self) -> None:
        self.client.get("/")
        self.client.get("/_dash-layout")
        self.client.get("/_dash-dependencies")

    @task
    def change_a_control(self) -> None:
        state = AppState(
            init_seed=random.randint(0, 40), loss_axis=random.choice(["log", "linear"])
        )
        values = control_values(state)
        inputs = [_prop(ids.URL, "search", encode(AppState()))] + [
            _prop(ids.CONTROL[f], "value", v) for f, v in zip(ids.FIELDS, values, strict=True)
        ]
        self.client.post(
            "/_dash-update-component",
            name="sync (control change)",
            json=_payload(SYNC_OUT, inputs, f"{ids.CONTROL['init_seed']}.value"),
        )
        store = [_prop(ids.STATE_STORE, "data", state.to_dict())]
        self.client.post(
            "/_dash-update-component",
            name="L(t), drift, summary",
            json=_payload(VIEWS_OUT, store, f"{ids.STATE_STORE}.data"),
        )
        for outputs in PANELS:
            self.client.post(
                "/_dash-update-component",
                name=f"panel {outputs[0][0]}",
                json=_payload(outputs, store, f"{ids.STATE_STORE}.data"),
            )
