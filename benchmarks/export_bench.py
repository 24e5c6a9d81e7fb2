"""Figures for papers: the six standard figures of a state that has all six (the Proposition 2
preset) to PDF, cold exporter included (the browser starts inside the timed region; the run is
computed there too), then warm; each figure's PDF size; the interactive HTML page of the same
view (time and size: plotly.js is inlined)."""

from __future__ import annotations

import time
from typing import Any

from app.computation import analyse_point, compute
from app.export import ExportOptions, build_bundle
from app.export.exporter import close_exporter
from app.presets import PRESETS
from app.slicing import compute_slice


def run() -> dict[str, Any]:
    state = PRESETS["prop2"].state
    close_exporter()
    t0 = time.perf_counter()
    bundle = build_bundle(state, ExportOptions())
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    build_bundle(state, ExportOptions())
    warm = time.perf_counter() - t0
    r = compute(state)  # the figures alone, the run computed once (as the explorer has it)
    point = analyse_point(state, r)
    sl = compute_slice(state, r, point)
    t0 = time.perf_counter()
    build_bundle(state, ExportOptions(), result=r, point=point, sl=sl)
    figures_only = time.perf_counter() - t0
    close_exporter()
    t0 = time.perf_counter()
    page = build_bundle(state, ExportOptions(fmt="html"), result=r, point=point, sl=sl)
    html = time.perf_counter() - t0
    sizes = {k: len(v) for k, v in bundle.files.items() if k.endswith(".pdf")}
    html_bytes = sum(len(v) for k, v in page.files.items() if k.endswith(".html"))
    return {
        "six_pdfs_cold_seconds": cold,
        "six_pdfs_warm_seconds": warm,
        "six_pdfs_warm_run_cached_seconds": figures_only,
        "n_files": len(bundle.files),
        "pdf_kb": {k: v / 1e3 for k, v in sizes.items()},
        "html_seconds": html,
        "html_kb": html_bytes / 1e3,
    }
