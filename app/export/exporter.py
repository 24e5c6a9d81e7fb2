"""Static export through kaleido 1.x and Debian's chromium: one persistent exporter per process,
a timeout on each export, clear errors, and no stray browser left behind."""

from __future__ import annotations

import logging
import os
import shutil
import threading
from typing import Any

import plotly.graph_objects as go

from app.export.mathjax import mathjax_path

EXPORT_TIMEOUT = 30.0  # seconds a single figure may take before the export fails
TIMEOUT_ENV = "LINFLOW_EXPORT_TIMEOUT"  # overrides EXPORT_TIMEOUT (seconds)
# kaleido prints PDFs with 0.1 in margins and Chromium shrinks the figure to fit inside them: a
# 3.4 in figure came out 6 % small (8 pt text as 7.5 pt) on a white frame. The page is the
# figure's own size (@page), so the margins are set to zero.
PDF_PARAMS = {
    "printBackground": True,
    "marginTop": 0,
    "marginBottom": 0,
    "marginLeft": 0,
    "marginRight": 0,
    "preferCSSPageSize": True,
    "pageRanges": "1",
}


log = logging.getLogger(__name__)


def _torn_message(record: logging.LogRecord) -> bool:
    """False for choreographer's "JSONError decoding message. Ignoring" (with a traceback): the
    browser's pipe cut mid-message when the exporter stops after a failure; nothing is lost,
    and the command line promises a clear message, never a traceback."""
    return not str(record.msg).startswith("JSONError decoding message")


def _quiet_torn_messages() -> None:
    """Attach :func:`_torn_message` to choreographer's pipe logger (made by its own logging
    package on import: asking ``logging`` for it first would make a plain logger it cannot
    use)."""
    try:
        from choreographer.channels import pipe
    except ImportError:  # another kaleido stack: nothing to quiet
        return
    logger = getattr(pipe, "_logger", None)
    if isinstance(logger, logging.Logger) and _torn_message not in logger.filters:
        logger.addFilter(_torn_message)


class ExportError(RuntimeError):
    """A figure could not be exported (browser missing, timeout, or a rendering error)."""


def _exact_pdf_pages() -> None:
    """Make kaleido print PDFs without margins (PDF_PARAMS), so that the page is the figure at
    its true size. The figure lint (tests/app/export) measures the result."""
    try:
        from kaleido._kaleido_tab import _devtools_utils as dtools
    except ImportError:  # another kaleido layout: its PDFs keep their margins (the lint says so)
        log.warning("kaleido %s: cannot set PDF margins to zero", _kaleido_version())
        return
    if getattr(dtools.print_pdf, "_linflow", False):
        return

    async def print_pdf(tab: Any) -> str:
        response = await tab.send_command("Page.printToPDF", params=PDF_PARAMS)
        dtools._raise_error(response)
        return response.get("result", {}).get("data")

    print_pdf._linflow = True  # type: ignore[attr-defined]
    dtools.print_pdf = print_pdf


def _kaleido_version() -> str:
    from importlib.metadata import version

    return version("kaleido")


_lock = threading.Lock()  # kaleido's sync server is a process-wide singleton


def _ensure_server() -> None:
    import kaleido

    if shutil.which("chromium") is None and shutil.which("chromium-browser") is None:
        raise ExportError(
            "static export needs Debian's chromium (apt-get install chromium); "
            "no browser is downloaded"
        )
    _exact_pdf_pages()
    _quiet_torn_messages()
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
