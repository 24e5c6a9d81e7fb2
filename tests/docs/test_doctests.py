"""The docstring examples of the engine and of the figure builders run, and say what they show.

Every module of ``core`` and of ``app.figures`` is searched for ``>>>`` examples; each module's
examples run in a fresh namespace (its globals), as ``python -m doctest`` would run them.
"""

from __future__ import annotations

import doctest
import importlib
import time
from pathlib import Path
from types import ModuleType

import pytest

import app.figures
import core

PACKAGES = (core, app.figures)
FLAGS = doctest.ELLIPSIS
SLOW_EXAMPLE_SECONDS = 2.0  # each module's examples together must stay quick to read and run


def _modules() -> list[str]:
    """Every Python module of the packages (not the compiled kernel, a ctypes library)."""
    names = []
    for package in PACKAGES:
        names.append(package.__name__)
        for path in sorted(Path(package.__path__[0]).glob("*.py")):
            if path.stem != "__init__":
                names.append(f"{package.__name__}.{path.stem}")
    return sorted(names)


MODULES = _modules()


def _tests(module: ModuleType) -> list[doctest.DocTest]:
    finder = doctest.DocTestFinder(exclude_empty=True)
    return [t for t in finder.find(module) if t.examples]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report: list[str] = []
    start = time.perf_counter()
    for test in _tests(module):
        runner.run(test, out=report.append)
    elapsed = time.perf_counter() - start
    result = runner.summarize(verbose=False)
    assert result.failed == 0, "".join(report)
    assert elapsed < max(1, len(_tests(module))) * SLOW_EXAMPLE_SECONDS, f"{name}: {elapsed:.1f} s"


def test_the_examples_exist() -> None:
    """The front doors that teach by example keep their examples."""
    documented = {t.name for name in MODULES for t in _tests(importlib.import_module(name))}
    for qualname in (
        "core.critical_values.ladder",
        "core.critical_values.label",
        "core.problem.Problem.from_spectrum",
        "core.integration.integrate",
        "core.spectrum.predicted_split",
        "core.basin_stats.wilson_interval",
        "core.curvature.curvature_along",
        "core.aligned.aligned_solution",
        "core.datasets.semantic",
        "app.figures",
    ):
        assert qualname in documented, f"{qualname} lost its >>> examples"
