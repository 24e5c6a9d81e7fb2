"""Uploading data in the explorer: checked (app.uploads, then core's assumptions), stored by
content, and the view switched to it through the URL."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State, no_update

from app.explorer import ids
from app.state import decode, encode, from_mapping


def upload_data(
    contents: list[str] | None, names: list[str] | None, search: str | None
) -> list[Any]:
    """Check and store an upload; on success switch the view to it (through the URL)."""
    from app.uploads import UploadError, parse_upload, store
    from core import Problem, ProblemError

    if not contents or not names:
        return [no_update, ""]
    state, _ = decode(search)
    try:
        X, Y = parse_upload(list(zip(names, contents, strict=True)))
        m, dx = X.shape
        dy = Y.shape[1]
        widths = tuple(max(w, dy) for w in state.widths)
        Problem.from_data(X.T, Y.T, widths * (state.depth if len(widths) == 1 else 1))
    except (UploadError, ProblemError) as exc:
        return [no_update, f"Upload refused: {exc}"]
    new, errors = from_mapping(
        {
            "source": "upload",
            "dx": dx,
            "dy": dy,
            "m": m,
            "widths": list(widths),
            "preset": "",
            "point": "limit",
            "data_hash": store(X, Y),
        },
        base=state,
    )
    if new is None:
        return [no_update, "Upload refused: " + "; ".join(errors.values())]
    return [
        encode(new),
        f"Loaded {m} samples, dx = {dx}, dy = {dy} (data {new.data_hash[:12]}...).",
    ]


def register(app: Dash) -> None:
    app.callback(
        [Output(ids.URL, "search", allow_duplicate=True), Output(ids.UPLOAD_STATUS, "children")],
        Input(ids.UPLOAD, "contents"),
        [State(ids.UPLOAD, "filename"), State(ids.URL, "search")],
        prevent_initial_call=True,
    )(upload_data)
