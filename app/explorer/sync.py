"""The state kept in step across the URL, the controls and the state store.

:func:`sync` is the one place where the three meet: a link (the URL) or a preset sets the
controls; an edited control sets the URL and the store. Control values are validated by the
same field parsers as links, state files and the CLI (``app.state``); refused values become
per-field messages and a "stale" banner, and the views keep the last valid state.
"""

from __future__ import annotations

from typing import Any

from dash import no_update

from app.explorer import ids
from app.presets import PRESETS, state_from_query, still_preset
from app.state import AppState, decode, encode, from_mapping

PRESENT_ON = "on"  # the presentation-mode checkbox's value when ticked


def control_value(name: str, v: Any) -> Any:
    """What the control of field ``name`` shows for value ``v``."""
    if name == "present":
        return [PRESENT_ON] if v else []
    if isinstance(v, tuple):
        return ", ".join(f"{x:g}" if isinstance(x, float) else str(x) for x in v)
    if isinstance(v, float):
        return f"{v:g}" if float(f"{v:g}") == v else repr(v)
    return v if isinstance(v, str) else str(v)


def control_values(state: AppState) -> dict[str, Any]:
    return {name: control_value(name, getattr(state, name)) for name in ids.FIELDS}


def changed_controls(state: AppState, controls: dict[str, Any]) -> dict[str, Any]:
    """The control values for ``state``, ``no_update`` where a control already shows its value:
    re-setting forty controls re-renders the whole sidebar (~100 ms on a page load)."""
    return {
        name: no_update if controls.get(name) == value else value
        for name, value in control_values(state).items()
    }


def _from_control(name: str, raw: Any) -> Any:
    if name == "present":
        return bool(raw) and PRESENT_ON in raw
    return raw


def from_url(search: str | None) -> tuple[AppState, str]:
    """URL -> (state, notice). ``?preset=NAME`` alone is a preset's short link."""
    state, notices = state_from_query(search)
    notice = (
        "Some link parameters were not usable and fell back to defaults: " + "; ".join(notices)
        if notices
        else ""
    )
    return state, notice


def from_user(
    values: dict[str, Any], current: AppState | None = None
) -> tuple[AppState | None, dict[str, str]]:
    """Control values -> (state or None, a message per bad field). A control with no value (a
    dropdown whose options are still on their way clears itself) keeps the current state's
    value. A preset edited away from its state is no longer that preset."""
    raw = {k: _from_control(k, v) for k, v in values.items() if v is not None}
    state, errors = from_mapping(raw, base=current)
    if state is None:
        return None, errors
    if state.preset and not still_preset(state):
        state = state.replace(preset="", step=0)
    return state, {}


def page_class(state: AppState) -> str:
    """The page root's class: "present" in presentation mode, "focus-<panel>" when a panel
    other than the trajectory sits beside L(t) (assets/style.css reorders the panels)."""
    out = "page present" if state.present else "page"
    return out + (f" focus-{state.focus}" if state.focus != "trajectory" else "")


STALE_TEXT = "The views show the last valid settings: fix the field marked in red to update them."


def _outputs(
    state: AppState | None,
    url: Any,
    notice: Any,
    errors: dict[str, str],
    controls: Any,
    shown: dict[str, Any],
) -> dict[str, Any]:
    """The sync outputs; ``shown`` holds what the page shows now (the stale banner, the page's
    class), so that nothing already right is sent again: clearing forty error texts and
    re-setting the page's class on every change cost the browser ~30 ms before each render."""
    clean = not errors and not shown.get("stale")
    page: Any = no_update
    classes = shown.get("page")  # from the client: anything may arrive (the fuzz sends lists)
    now = (classes if isinstance(classes, str) and classes else "page").split()
    if state is not None and set(page_class(state).split()) != set(now) - {"sidebar-open"}:
        page = page_class(state) + (" sidebar-open" if "sidebar-open" in now else "")
    return {
        "controls": controls,
        "url": url,
        "store": encode(state) if state is not None else no_update,
        "notice": notice if notice != shown.get("notice", None) else no_update,
        "errors": {name: no_update if clean else errors.get(name, "") for name in ids.FIELDS},
        "stale": no_update if clean else (STALE_TEXT if errors else ""),
        "page": page,
    }


def sync(
    search: str | None,
    controls: dict[str, Any],
    query: str | None,
    trigger: str | None,
    shown: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """:func:`sync_state` for a given trigger (None: the first call; the URL; a control).
    ``shown``: the page's stale banner, class and notice now (None: nothing shown yet)."""
    shown = shown or {"stale": "", "page": "page", "notice": ""}
    unchanged = {name: no_update for name in ids.FIELDS}
    if trigger == ids.CONTROL["preset"] and controls.get("preset") in PRESETS:
        state = PRESETS[controls["preset"]].state.replace(
            present=_from_control("present", controls.get("present"))
        )
        return _outputs(state, encode(state), "", {}, changed_controls(state, controls), shown)
    if trigger in (None, ids.URL):
        state, notice = from_url(search)
        query = encode(state)
        return _outputs(
            state,
            query if query != search else no_update,
            notice,
            {},
            changed_controls(state, controls),
            shown,
        )
    edited, errors = from_user(controls, decode(query)[0] if query else None)
    if edited is None:
        return _outputs(None, no_update, no_update, errors, unchanged, shown)
    out_controls: dict[str, Any] = dict(unchanged)
    if edited.preset != (controls.get("preset") or ""):
        out_controls["preset"] = edited.preset
    return _outputs(edited, encode(edited), "", {}, out_controls, shown)
