"""Static export through kaleido 1.x and Debian's chromium: one persistent exporter per process,
a timeout on each export, clear errors, and no stray browser left behind."""

from __future__ import annotations

import logging
import os
import shutil
import threading
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

EXPORT_TIMEOUT = 30.0  # seconds a single figure may take before the export fails
TIMEOUT_ENV = "LINFLOW_EXPORT_TIMEOUT"  # overrides EXPORT_TIMEOUT (seconds)
MATHJAX_ENV = "LINFLOW_MATHJAX"  # path of a local tex-svg.js; else the project's npm copy
LOCAL_MATHJAX = Path(__file__).resolve().parents[2] / ".cache/node_modules/mathjax/es5/tex-svg.js"


log = logging.getLogger(__name__)


class ExportError(RuntimeError):
    """A figure could not be exported (browser missing, timeout, or a rendering error)."""


def mathjax_path() -> Path | None:
    """The local MathJax (tex-svg.js) used for math labels, or None (Unicode labels then)."""
    env = os.environ.get(MATHJAX_ENV)
    path = Path(env) if env else LOCAL_MATHJAX
    return path if path.is_file() else None


_lock = threading.Lock()  # kaleido's sync server is a process-wide singleton


def _ensure_server() -> None:
    import kaleido

    if shutil.which("chromium") is None and shutil.which("chromium-browser") is None:
        raise ExportError(
            "static export needs Debian's chromium (apt-get install chromium); "
            "no browser is downloaded"
        )
    mj = mathjax_path()
    kaleido.start_sync_server(
        mathjax=str(mj) if mj else False,
        timeout=float(os.environ.get(TIMEOUT_ENV, EXPORT_TIMEOUT)),
        silence_warnings=True,
    )


def export_image(fig: go.Figure, fmt: str, dpi: int = 300) -> bytes:
    """The figure as PDF, SVG or PNG bytes (PNG at ``dpi``; the layout size is in CSS px)."""
    import kaleido

    if fmt not in ("pdf", "svg", "png"):
        raise ExportError(f"format must be pdf, svg or png; got {fmt!r}")
    opts: dict[str, Any] = {
        "format": fmt,
        "width": fig.layout.width,
        "height": fig.layout.height,
        "scale": dpi / 96 if fmt == "png" else 1,
    }
    with _lock:
        _ensure_server()
        try:
            out = kaleido.calc_fig_sync(fig.to_dict(), opts=opts)
        except Exception as exc:  # kaleido raises its own error types; report one clear error
            # A failed render can leave kaleido's executor closed: start afresh next time.
            try:
                kaleido.stop_sync_server(silence_warnings=True)
            except Exception:
                log.warning("could not stop the exporter after a failure", exc_info=True)
            timeout = os.environ.get(TIMEOUT_ENV, EXPORT_TIMEOUT)
            raise ExportError(
                f"exporting a {fmt.upper()} failed (a figure may take at most {timeout} s): {exc}"
            ) from exc
    if not isinstance(out, bytes | bytearray) or not out:
        raise ExportError(f"exporting a {fmt.upper()} returned no data")
    return bytes(out)


def start_exporter() -> None:
    """Start the persistent exporter now (it boots in the background); idempotent."""
    with _lock:
        try:
            _ensure_server()
        except ExportError:
            pass  # reported by the first export


def close_exporter() -> None:
    """Stop the persistent exporter (and its browser)."""
    import kaleido

    with _lock:
        kaleido.stop_sync_server(silence_warnings=True)
