"""Reproducible bundles: figures, the data behind each, and ``state.json``.

``state.json`` (``app.state_files``) holds the state, the versions and the commit, the solver
and tolerances the run used, and the export options. Exporting again from it regenerates
identical data (same machine and versions): the computation is seeded and deterministic, and
floats are written with repr.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import plotly.graph_objects as go

from app import limits
from app.computation import PointAnalysis, RunResult, compute
from app.export.exporter import ExportError, export_image, start_exporter
from app.export.html import html_page
from app.export.mathjax import FALLBACK_WARNING, mathjax_path
from app.export.style import FONTS, FORMATS, SIZES, paper_style
from app.slicing import SliceResult
from app.state import AppState, encode
from app.state_files import state_document
from app.views import FIGURES, rate_applies, rate_text, view_name
from app.views import figures as draw_figures


@dataclass(frozen=True)
class ExportOptions:
    """What to export and how: figures, format, size, font, PNG resolution, titles."""

    figures: tuple[str, ...] = FIGURES
    fmt: str = "pdf"
    size: str = "single"
    font: str = "serif"
    dpi: int = 300
    title: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "figures", tuple(dict.fromkeys(self.figures)))
        unknown = [k for k in self.figures if k not in FIGURES]
        if unknown or not self.figures:
            raise ValueError(f"unknown figures {unknown}; choose from {', '.join(FIGURES)}")
        if self.fmt not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}; got {self.fmt!r}")
        if self.size not in SIZES:
            raise ValueError(f"size must be one of {', '.join(SIZES)}; got {self.size!r}")
        if self.font not in FONTS:
            raise ValueError(f"font must be one of {', '.join(FONTS)}; got {self.font!r}")
        lo, hi = limits.DPI_RANGE
        if not lo <= self.dpi <= hi:
            raise ValueError(f"dpi must be an integer in [{lo}, {hi}]; got {self.dpi}")


@dataclass(frozen=True)
class Bundle:
    """The files of an export, the figures skipped with why, warnings (math labels set in
    Unicode), and a name for it."""

    files: dict[str, bytes]
    skipped: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    name: str = "linflow-figures"
    meta: dict[str, Any] = field(default_factory=dict)


def run_record(r: RunResult) -> dict[str, Any]:
    """The solver actually used, its tolerances and how each run ended."""
    tr = r.trajectory
    out: dict[str, Any] = {
        "method": tr.method,
        "rtol": r.state.rtol,
        "nfev": tr.nfev,
        "status": tr.status,
        "message": tr.message,
        "flow": tr.flow,
    }
    if r.discrete is not None:
        out["discrete"] = {"method": r.discrete.method, "status": r.discrete.status}
    return out


def _values(v: Any) -> list[Any]:
    if v is None:
        return []
    arr = np.asarray(v, dtype=object)
    return [
        None if x is None else (float(x) if isinstance(x, int | float | np.number) else x)
        for x in arr.ravel()
    ]


def figure_data(fig: go.Figure) -> tuple[str, list[dict[str, Any]]]:
    """The numbers behind a figure: CSV (trace, x, y, z in long form) and a JSON-able list."""
    rows = ["trace,index,x,y,z"]
    traces = []
    for k, tr in enumerate(fig.data):
        name = str(tr.name or f"trace {k}").replace(",", ";")
        x, y = _values(getattr(tr, "x", None)), _values(getattr(tr, "y", None))
        z = getattr(tr, "z", None)
        zs = np.asarray(z, dtype=float) if z is not None else None
        traces.append(
            {
                "name": name,
                "type": tr.type,
                "x": x,
                "y": y,
                "z": None if zs is None else zs.tolist(),
            }
        )
        if zs is not None and zs.ndim == 2:
            for i, yv in enumerate(y):
                for j, xv in enumerate(x):
                    rows.append(f"{name},{i * len(x) + j},{xv!r},{yv!r},{float(zs[i, j])!r}")
            continue
        zflat = [] if zs is None else zs.ravel().tolist()
        for i in range(max(len(x), len(y))):
            cells = [
                x[i] if i < len(x) else "",
                y[i] if i < len(y) else "",
                zflat[i] if i < len(zflat) else "",
            ]
            rows.append(
                f"{name},{i},"
                + ",".join(
                    ""
                    if c is None
                    else repr(c)
                    if isinstance(c, float)
                    else str(c).replace(",", ";")
                    for c in cells
                )
            )
    return "\n".join(rows) + "\n", traces


def build_bundle(
    state: AppState,
    options: ExportOptions | None = None,
    *,
    deadline: float | None = None,
    result: RunResult | None = None,
    point: PointAnalysis | None = None,
    sl: SliceResult | None = None,
) -> Bundle:
    """The files of an export: ``state.json`` and, per figure, the image, its CSV and its JSON.
    A figure with nothing to show for this state (Proposition 2 when its hypotheses fail) is
    skipped, with the reason in ``Bundle.skipped``. ``fmt="html"`` gives one interactive page
    for the whole view (``NAME.html``) instead of an image per figure."""
    options = options or ExportOptions()
    static = options.fmt != "html"
    if static:
        start_exporter()  # the browser boots in the background while the figures are computed
    r = compute(state) if result is None else result
    kinds, skipped = list(options.figures), []
    if "rate" in kinds and not rate_applies(state, r):
        kinds.remove("rate")
        skipped.append(f"rate: {rate_text(state, r)}")
    meta = {"run": run_record(r), "export": asdict(options)}
    files = {"state.json": json.dumps(state_document(state, **meta), indent=1).encode()}
    math = mathjax_path() is not None
    warnings = () if math or not static else (FALLBACK_WARNING,)
    t0 = time.perf_counter()
    figs = draw_figures(state, kinds, r, point, sl) if kinds else {}
    # The browser draws one figure while the next is styled here (one export at a time: the
    # exporter is a single browser tab); the images are put in their places at the end.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="linflow-export")
    images: dict[str, Future[bytes]] = {}

    def too_long() -> ExportError:
        return ExportError(
            f"the export took longer than {deadline:g} s; export fewer figures "
            "at once, or use `linflow export` from the command line"
        )

    def left() -> float | None:
        """Seconds left of the deadline (None: no deadline)."""
        return None if deadline is None else deadline - (time.perf_counter() - t0)

    try:
        for kind, fig in figs.items():
            if (rest := left()) is not None and rest < 0:
                raise too_long()
            csv, data = figure_data(fig)
            files[f"{kind}.csv"] = csv.encode()
            files[f"{kind}.json"] = json.dumps(
                {"figure": kind, "state": state.to_dict(), "traces": data}, indent=1
            ).encode()
            if not static:
                continue
            styled = paper_style(
                fig, kind, SIZES[options.size], options.font, math=math, title=options.title
            )
            name = f"{kind}.{options.fmt}"
            files[name] = b""  # its place among the figure's files
            images[name] = pool.submit(export_image, styled, options.fmt, options.dpi)
        for name, image in images.items():
            # The deadline covers the drawing too (the figures are queued at once): waiting
            # past it would keep the request beyond the server's worker timeout.
            rest = left()
            try:
                files[name] = image.result(timeout=None if rest is None else max(rest, 0.0))
            except FutureTimeout:
                raise too_long() from None
    finally:
        # Not waiting: past the deadline the figure being drawn finishes in the background
        # (the exporter's one tab keeps the next export behind it); otherwise all are done.
        pool.shutdown(wait=False, cancel_futures=True)
    name = view_name(state)
    if not static:
        files[f"{name}.html"] = html_page(figs, name, tuple(skipped), encode(state))
    return Bundle(files, tuple(skipped), warnings, name, meta)


def zip_bundle(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()
