"""Local folders the app writes: all under LINFLOW_CACHE_DIR (default ./.linflow-cache)."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_CACHE_DIR = ".linflow-cache"
# The explorer's style sheet and scripts (served by the app, inlined by the HTML export): the
# copy a wheel carries (setup.py) when installed from one, else the checkout's assets/ (not a
# folder merely called "assets" beside the package: another distribution may ship one).
_PACKAGED_ASSETS = Path(__file__).resolve().parent / "_assets"
ASSETS = (
    _PACKAGED_ASSETS
    if (_PACKAGED_ASSETS / "lazy_graphs.js").is_file()
    else Path(__file__).resolve().parents[1] / "assets"
)
# plotly.js with only the trace types linflow draws (built by `make plotly-bundle` from
# app/plotly_bundle/): 2 MB against the full bundle's 4.8 MB, whose evaluation was ~1 s of a
# first page load in a new Chromium profile. Served to every page and inlined by the HTML export.
PLOTLY_BUNDLE = "plotly-linflow.min.js"


def private_dir(name: str = "", base: str | None = None) -> Path:
    """``<cache dir>/<name>``, created mode 0700: the caches pickle, so only this user may write
    them (a trust boundary)."""
    root = base or os.environ.get("LINFLOW_CACHE_DIR", DEFAULT_CACHE_DIR)
    path = (Path(root) / name).resolve()
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path
