"""Simulated users of a hosted instance: each opens the explorer, then changes a control every
2-5 s and posts what the browser would (the sync callback, then the render callback). Request
bodies are built from the app's own ``/_dash-dependencies``, as Dash's renderer builds them."""

from __future__ import annotations

import random
from typing import Any

from locust import HttpUser, between, task

from app.explorer import ids
from app.explorer.sync import control_values
from app.state import AppState, encode


def _find(deps: list[dict], output: str) -> dict:
    return next(d for d in deps if output in d["output"])


def _payload(dep: dict, values: dict[str, Any], changed: str) -> dict:
    """The body Dash's renderer posts for callback ``dep`` with input/state ``values``."""

    def props(items: list[dict]) -> list[dict]:
        return [
            {
                "id": i["id"],
                "property": i["property"],
                "value": values.get(f"{i['id']}.{i['property']}"),
            }
            for i in items
        ]

    outs = dep["output"].strip(".").split("...")
    return {
        "output": dep["output"],
        "outputs": [{"id": o.rsplit(".", 1)[0], "property": o.rsplit(".", 1)[1]} for o in outs],
        "inputs": props(dep["inputs"]),
        "changedPropIds": [changed],
        "state": props(dep["state"]),
    }


class Explorer(HttpUser):
    wait_time = between(2, 5)

    def on_start(self) -> None:
        self.client.get("/")
        self.client.get("/_dash-layout")
        deps = self.client.get("/_dash-dependencies").json()
        self.sync = _find(deps, f"{ids.STATE_STORE}.data")
        self.render = _find(deps, f"{ids.DRAWN_STORE}.data")
        self.drawn = encode(AppState())

    @task
    def change_a_control(self) -> None:
        state = AppState(
            init_seed=random.randint(0, 40), loss_axis=random.choice(["log", "linear"])
        )
        values = {f"{ids.CONTROL[f]}.value": v for f, v in control_values(state).items()}
        values[f"{ids.URL}.search"] = encode(AppState())
        values[f"{ids.STATE_STORE}.data"] = self.drawn
        self.client.post(
            "/_dash-update-component",
            name="sync (control change)",
            json=_payload(self.sync, values, f"{ids.CONTROL['init_seed']}.value"),
        )
        query = encode(state)
        store = {f"{ids.STATE_STORE}.data": query, f"{ids.DRAWN_STORE}.data": self.drawn}
        self.client.post(
            "/_dash-update-component",
            name="render (every panel that changed)",
            json=_payload(self.render, store, f"{ids.STATE_STORE}.data"),
        )
        self.drawn = query
