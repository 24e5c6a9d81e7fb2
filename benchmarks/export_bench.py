"""Figures for papers: the six standard figures of the default state to PDF, cold exporter
included (the browser starts inside the timed region; the run is computed there too)."""

from __future__ import annotations

import time
from typing import Any

from app.export import FIGURES, build_bundle
from app.export.exporter import close_exporter
from app.state import AppState


def run() -> dict[str, Any]:
    close_exporter()
    t0 = time.perf_counter()
    files = build_bundle(AppState(), FIGURES, "pdf", "single")
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    build_bundle(AppState(), FIGURES, "pdf", "single")
    warm = time.perf_counter() - t0
    close_exporter()
    return {"six_pdfs_cold_seconds": cold, "six_pdfs_warm_seconds": warm, "n_files": len(files)}
