"""Figures for papers: the six standard figures of a state that has all six (the Proposition 2
preset) to PDF, cold exporter included (the browser starts inside the timed region; the run is
computed there too), then warm."""

from __future__ import annotations

import time
from typing import Any

from app.export import ExportOptions, build_bundle
from app.export.exporter import close_exporter
from app.presets import PRESETS


def run() -> dict[str, Any]:
    state = PRESETS["prop2"].state
    close_exporter()
    t0 = time.perf_counter()
    bundle = build_bundle(state, ExportOptions())
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    build_bundle(state, ExportOptions())
    warm = time.perf_counter() - t0
    close_exporter()
    sizes = {k: len(v) for k, v in bundle.files.items() if k.endswith(".pdf")}
    return {
        "six_pdfs_cold_seconds": cold,
        "six_pdfs_warm_seconds": warm,
        "n_files": len(bundle.files),
        "pdf_kb": {k: v / 1e3 for k, v in sizes.items()},
    }
