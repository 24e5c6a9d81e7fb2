"""Plotly's property paths parsed once per string instead of once per use.

Every property plotly.py sets (``update_layout(xaxis_title_text=...)``, ``fig.layout.title``,
``marker_color``) goes through ``plotly.basedatatypes._str_to_dict_path_full``, which splits the
path string anew each time and creates a helper class on every call
(``_plotly_utils.utils.chomp_empty_strings``, plotly 7.1). The parse is a pure function of the
string (and of a class constant), so its result is kept: the explorer's figures of the default
view took 110-185 ms to build and take 60-95 ms with it (measured; a new run builds all eight).
Results are returned as fresh lists where plotly returns lists, so no caller can alter a kept one.
If plotly no longer has the function, nothing is installed and figures are built as before.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import plotly.basedatatypes as _bd

PATHS_KEPT = 8192  # distinct path strings kept (the app uses a few hundred)
_INSTALLED = "_linflow_cached"


def install() -> bool:
    """Put the caching parser in place (once; later calls do nothing). Returns whether it is."""
    parse = getattr(_bd, "_str_to_dict_path_full", None)
    if parse is None:
        return False
    if getattr(parse, _INSTALLED, False):
        return True
    _bd._str_to_dict_path_full = cached(parse)
    return True


def cached(parse: Callable[[str], tuple[Any, Any]]) -> Callable[[Any], tuple[Any, Any]]:
    """``parse`` with its results kept per string (anything else is passed through)."""

    @lru_cache(maxsize=PATHS_KEPT)
    def kept(path: str) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        keys, starts = parse(path)
        return tuple(keys), tuple(starts)

    def parse_path(path: Any) -> tuple[Any, Any]:
        if not isinstance(path, str):
            return parse(path)
        keys, starts = kept(path)
        return keys, list(starts)

    setattr(parse_path, _INSTALLED, True)
    parse_path.original = parse  # type: ignore[attr-defined]
    return parse_path


install()
