"""Figures for papers: a paper style over the app's own figure builders, static export through
kaleido (Debian chromium, one persistent exporter per process), and reproducible bundles."""

from app.export.bundle import Bundle, ExportOptions, build_bundle, zip_bundle
from app.export.exporter import ExportError, export_image
from app.export.style import FONTS, FORMATS, SIZES
from app.views import FIGURES

__all__ = [
    "FIGURES",
    "FONTS",
    "FORMATS",
    "SIZES",
    "Bundle",
    "ExportError",
    "ExportOptions",
    "build_bundle",
    "export_image",
    "zip_bundle",
]
