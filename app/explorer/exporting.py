"""The explorer's "Export for a paper" dialog: a zip of figures, their data and state.json."""

from __future__ import annotations

import logging
from typing import Any

from dash import Dash, Input, Output, State, dcc, no_update

from app import limits
from app.explorer import ids
from app.explorer.cache import get_point, get_result, get_slice
from app.fields import FieldError, integer
from app.state import decode

log = logging.getLogger(__name__)
parse_dpi = integer("dpi", *limits.DPI_RANGE)


def export_zip(
    n_clicks: int | None,
    figures: list[str] | None,
    fmt: str,
    size: str,
    font: str,
    dpi: str,
    title: list[str] | None,
    query: str | None,
) -> list[Any]:
    """The "Export for a paper" button: a zip of figures, data and state.json (checked here)."""
    from app.export import ExportError, build_bundle
    from app.export.bundle import ExportOptions, zip_bundle

    if not query:
        return [no_update, "The settings are not valid; nothing to export."]
    if not figures or not isinstance(figures, list):
        return [no_update, "Choose at least one figure."]
    state, _ = decode(query)
    try:
        options = ExportOptions(
            figures=tuple(figures),
            fmt=fmt,
            size=size,
            font=font,
            dpi=parse_dpi(dpi),
            title=bool(title),
        )
        r = get_result(state)
        point = get_point(state, r) if {"hessian", "slice"} & set(figures) else None
        sl = get_slice(state, r) if "slice" in figures else None
        bundle = build_bundle(
            state, options, deadline=limits.EXPORT_DEADLINE, result=r, point=point, sl=sl
        )
    except (FieldError, ValueError, ExportError) as exc:
        return [no_update, f"Export failed: {exc}"]
    except Exception as exc:
        log.exception("export failed for %s", query)
        return [no_update, f"Export failed: {exc}"]
    names = ", ".join(sorted(bundle.files))
    note = f" Skipped: {'; '.join(bundle.skipped)}." if bundle.skipped else ""
    note += "".join(f" Warning: {w}." for w in bundle.warnings)
    return [
        dcc.send_bytes(zip_bundle(bundle.files), bundle.name + ".zip"),
        f"Exported {len(bundle.files)} files: {names}.{note}",
    ]


def register(app: Dash) -> None:
    app.callback(
        [Output(ids.EXPORT_DOWNLOAD, "data"), Output(ids.EXPORT_STATUS, "children")],
        Input(ids.EXPORT_BUTTON, "n_clicks"),
        [
            State(ids.EXPORT_FIGURES, "value"),
            State(ids.EXPORT_FORMAT, "value"),
            State(ids.EXPORT_SIZE, "value"),
            State(ids.EXPORT_FONT, "value"),
            State(ids.EXPORT_DPI, "value"),
            State(ids.EXPORT_TITLE, "value"),
            State(ids.STATE_STORE, "data"),
        ],
        prevent_initial_call=True,
    )(export_zip)
