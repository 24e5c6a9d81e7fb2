"""Figures for papers: a paper style over the app's own figure builders, static export through
kaleido (Debian chromium, one persistent exporter per process), and reproducible bundles."""

from app.export.bundle import FIGURES, build_bundle, load_state_file, state_document
from app.export.exporter import ExportError, export_image
from app.export.style import FONTS, FORMATS, SIZES

__all__ = [
    "FIGURES",
    "FONTS",
    "FORMATS",
    "SIZES",
    "ExportError",
    "build_bundle",
    "export_image",
    "load_state_file",
    "state_document",
]
