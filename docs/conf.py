"""Sphinx configuration of linflow's documentation (``make docs``).

The build is offline: nothing is fetched (no intersphinx, no CDN). Math is typeset by the local
MathJax copy that ``make install`` puts in ``.cache/`` (from npm), copied into the built site;
without it the pages fall back to MathJax's CDN, which only the reader's browser would contact.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

from sphinx.util.docstrings import prepare_docstring  # noqa: E402

import core  # noqa: E402  (after the path set-up, so a source tree builds too)

project = "linflow"
author = "the linflow developers"
copyright = "the linflow developers"
version = release = core.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "notebook_cells",
]

templates_path = ["_templates"]
# The gallery's sources are read by sphinx-gallery, which writes the pages into auto_examples/.
exclude_patterns = ["_build", "examples", "**.ipynb_checkpoints"]
root_doc = "index"
# Plain-text docstrings write absolute values as |lambda|, which reStructuredText reads as a
# substitution: define it as the text itself.
rst_prolog = """
.. |lambda| replace:: \\|lambda\\|
"""

# -- API reference ----------------------------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
# Show these annotations as written, not expanded into numpy's long unions.
autodoc_type_aliases = {name: name for name in ("ArrayLike", "NDArray", "Weights", "Arr")}
ALIAS_REPR = re.compile(r"TypeAliasForwardRef\('([\w.]+)'\)")
numpydoc_show_class_members = False  # members are documented by autodoc below each class
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# -- Gallery ----------------------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "gallery_order.GalleryOrder",
    "abort_on_example_error": True,
    "download_all_examples": False,
    "remove_config_comments": True,
    "write_computation_times": False,
    "show_signature": False,
    "min_reported_time": 1,
    "capture_repr": (),
    "reset_modules": ("matplotlib",),
}

# -- HTML -------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"linflow {release}"
html_static_path = ["_static"]
html_css_files = ["linflow.css"]
html_show_sourcelink = False
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "navbar_align": "left",
    "header_links_before_dropdown": 5,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "secondary_sidebar_items": ["page-toc"],
}
html_context = {"default_mode": "light"}
# The gallery's pages are wide (code and its output): no left sidebar there (the top bar and
# the previous/next links navigate).
html_sidebars = {"auto_examples/*": []}

MATHJAX = ROOT / ".cache" / "node_modules" / "mathjax" / "es5"
# The parts of MathJax the CHTML build needs: the combined file, its fonts, and the TeX
# extensions it loads on demand.
MATHJAX_PARTS = ("tex-chtml.js", "output/chtml/fonts/woff-v2", "input/tex/extensions")
LOCAL_MATHJAX = (MATHJAX / "tex-chtml.js").is_file()
if LOCAL_MATHJAX:
    mathjax_path = "mathjax/tex-chtml.js"


def plain_aliases(
    app: Any, what: str, name: str, obj: Any, options: Any, signature: Any, annotation: Any
) -> tuple[Any, Any]:
    """Write an alias nested in a generic (``TypeAliasForwardRef('ArrayLike')``) by its name."""
    return (
        ALIAS_REPR.sub(r"\1", signature) if signature else signature,
        ALIAS_REPR.sub(r"\1", annotation) if annotation else annotation,
    )


def no_type_docs(app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    """A constant has no docstring of its own: drop its type's (tuple's, str's), which autodoc
    would show in its place."""
    type_doc = getattr(type(obj), "__doc__", None)
    if (
        what == "data"
        and type_doc
        and lines[: len(prepare_docstring(type_doc))] == (prepare_docstring(type_doc))
    ):
        lines.clear()


def copy_mathjax(app: Any, exception: Exception | None) -> None:
    """Copy the local MathJax into the built site's ``_static/mathjax``."""
    if exception is not None or not LOCAL_MATHJAX or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / "mathjax"
    for part in MATHJAX_PARTS:
        src, dst = MATHJAX / part, target / part
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst)


def setup(app: Any) -> None:
    app.connect("autodoc-process-signature", plain_aliases)
    app.connect("autodoc-process-docstring", no_type_docs, priority=100)  # before numpydoc
    app.connect("build-finished", copy_mathjax)
    if not LOCAL_MATHJAX:
        from sphinx.util import logging

        logging.getLogger(__name__).info(
            "no local MathJax in .cache/ (make install puts it there): pages load it from a CDN"
        )
