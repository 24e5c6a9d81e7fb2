"""Every component id of the explorer, defined once."""

from __future__ import annotations

from dataclasses import fields

from app.state import AppState

URL = "url"
STATE_STORE = "state-store"  # the canonical query string of the state on screen
DRAWN_STORE = "drawn-store"  # the query string the panels were last drawn for
# A change's second request (app.explorer.staging): the state whose run's end it computes, what
# it sends, the state whose end the page is to show, and the one whose end it shows.
END_PENDING = "end-pending"
END_DATA = "end-data"
END_WANTED = "end-wanted"
END_SHOWN = "end-shown"
NOTICE = "url-notice"
COPY_LINK = "copy-link"
DOWNLOAD = "download"
DOWNLOAD_CSV = "download-csv"
DOWNLOAD_JSON = "download-json"
SUMMARY = "problem-summary"
STATUS = "run-status"
LOSS_GRAPH = "loss-graph"
DRIFT_GRAPH = "drift-graph"
HESSIAN_GRAPH = "hessian-graph"
HESSIAN_TABLE = "hessian-table"
POINT_NOTICE = "point-notice"
VIEW_ERROR = "view-error"
PRESET_TEXT = "preset-text"
TRAJECTORY_GRAPH = "trajectory-graph"
SLICE_GRAPH = "slice-graph"
RATE_GRAPH = "rate-graph"
CURVATURE_GRAPH = "curvature-graph"  # assets/player.js draws the time cursor on it
OUTPUTS_GRAPH = "outputs-graph"  # and on this one


def figure_data(graph_id: str) -> str:
    """The store the server writes a graph's figure to; assets/lazy_graphs.js draws it from
    there once the graph is in view."""
    return f"{graph_id}-data"


RATE_TEXT = "rate-text"
ABOUT = "about-page"
BASIN_LINK = "basin-link"
PAGE = "explorer-page"  # the page's root: its class says "presentation mode"
STALE = "stale-banner"  # shown while a refused field keeps the last valid views on screen
SIDEBAR_TOGGLE = "sidebar-toggle"
STORY_PREV = "story-prev"
STORY_NEXT = "story-next"
# The trajectory player (assets/player.js binds to these)
TRAJ_PLAY = "traj-play"
TRAJ_TIME = "traj-time"
TRAJ_TIME_LABEL = "traj-time-label"

# One control and one error message per state field: ctl-<field>, err-<field>.
FIELDS: tuple[str, ...] = tuple(f.name for f in fields(AppState))
CONTROL = {name: f"ctl-{name}" for name in FIELDS}
ERROR = {name: f"err-{name}" for name in FIELDS}
WRAP = {name: f"wrap-{name}" for name in FIELDS}  # the sidebar field's container (hidden if moot)
WRAP_UPLOAD = "wrap-upload"

# Export for a paper
EXPORT_FIGURES = "export-figures"
EXPORT_FORMAT = "export-format"
EXPORT_SIZE = "export-size"
EXPORT_FONT = "export-font"
EXPORT_DPI = "export-dpi"
EXPORT_TITLE = "export-title"
EXPORT_BUTTON = "export-button"
EXPORT_STATUS = "export-status"
EXPORT_DOWNLOAD = "export-download"

# Uploads
UPLOAD = "upload-data"
UPLOAD_STATUS = "upload-status"
