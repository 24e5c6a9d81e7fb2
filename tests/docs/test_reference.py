"""The API reference lists every public name, so a new front door cannot go undocumented."""

from __future__ import annotations

import re
from pathlib import Path

import app.figures
import core

API = Path(__file__).resolve().parents[2] / "docs" / "api"
# Names on a page: autosummary entries (indented bare names) and autodoc/automodule targets.
ENTRY = re.compile(r"^\s{3}(~?[\w.]+)\s*$|^\.\. auto\w+:: ([\w.]+)", re.MULTILINE)


def _listed(page: str) -> set[str]:
    text = (API / page).read_text(encoding="utf-8")
    return {a or b for a, b in ENTRY.findall(text)}


def test_every_name_of_core_is_in_the_reference() -> None:
    missing = sorted(set(core.__all__) - _listed("core.rst"))
    assert not missing, f"add to docs/api/core.rst: {missing}"


def test_every_figure_builder_is_in_the_reference() -> None:
    missing = sorted(set(app.figures.__all__) - _listed("figures.rst"))
    assert not missing, f"add to docs/api/figures.rst: {missing}"


def test_the_rule_modules_are_documented_in_full() -> None:
    listed = _listed("modules.rst")
    for module in ("core.stopping", "core.visits", "core.basins", "core.basin_stats"):
        assert module in listed


def test_the_limits_quoted_for_operators_are_the_limits_enforced() -> None:
    from app import limits

    root = API.parents[1]
    quoted = (
        f"{limits.MAX_DEPTH} hidden layers of width {limits.MAX_WIDTH}",
        f"{limits.MAX_PARAMS:,} parameters",
        f"{limits.MAX_M:,} samples",
    )
    for doc in (root / "README.md", root / "docs" / "guide" / "hosting.rst"):
        text = " ".join(doc.read_text(encoding="utf-8").split())
        missing = [q for q in quoted if q not in text]
        assert not missing, f"{doc.name} quotes other limits than app/limits.py: {missing}"
