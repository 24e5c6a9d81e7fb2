"""The Dash app class of a hosted instance: pages that do not say which Python, Dash or plotly
versions serve them (a visitor learns nothing to match against vulnerability lists).

Dash puts ``dash_version``, ``python_version`` and ``plotly_version`` in the page's config (read
only by its dev tools, which are off) and the versions of Dash and each component package in
every script URL (``react@18.v4_4_1m1796127498.min.js``: version, then modification time).
The config keys are dropped; in the URLs the version is replaced by a digest of it keyed with the
instance secret, which still changes when a package is upgraded (so browsers fetch the new file)
and which Dash's resource route strips like any fingerprint.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import dash
from dash import Dash

from app.paths import PLOTLY_BUNDLE

DISCLOSING_CONFIG = (
    "dash_version",
    "dash_version_url",  # where dev tools look for a newer Dash
    "python_version",
    "plotly_version",
    "ddk_version",
)
# A fingerprinted resource name: .v<version, non-word characters as _>m<modification time>.
FINGERPRINT = re.compile(r"\.v([\w-]+?)m([0-9a-fA-F]+)\.")
FAVICON_VERSION = re.compile(r"(_favicon\.ico)\?v=[^\"'&]+")


class LinflowDash(Dash):
    """Dash without version disclosure in its pages (see the module docstring), drawing with
    linflow's own plotly.js bundle."""

    def _setup_plotlyjs(self) -> None:
        # Dash would add the full plotly.min.js to dcc's scripts; dcc.Graph uses window.Plotly,
        # which assets/PLOTLY_BUNDLE defines (assets load before the app starts).
        self._plotlyjs_url = self.get_asset_url(PLOTLY_BUNDLE)

    def _opaque(self, version: str) -> str:
        key = str(self.server.secret_key or "")
        return "x" + hashlib.sha256(f"{key}\x00{version}".encode()).hexdigest()[:10]

    def _config(self) -> dict[str, Any]:
        config: dict[str, Any] = super()._config()
        for key in DISCLOSING_CONFIG:
            config.pop(key, None)
        return config

    def interpolate_index(self, **kwargs: Any) -> Any:  # type: ignore[override]
        html = str(super().interpolate_index(**kwargs))
        html = FINGERPRINT.sub(lambda m: f".v{self._opaque(m[1])}m{m[2]}.", html)
        return FAVICON_VERSION.sub(lambda m: f"{m[1]}?v={self._opaque(dash.__version__)}", html)
