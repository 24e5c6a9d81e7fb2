import numpy as np
import pytest

from core import Problem


@pytest.fixture(autouse=True)
def _strict_numerics():
    """Floating-point warnings are errors inside core tests."""
    with np.errstate(all="raise"):
        yield


@pytest.fixture
def p1() -> Problem:
    """The benchmark problem P1: four plateaus from small init."""
    return Problem.from_spectrum([12.0, 10.0, 8.0, 7.0], dx=8, widths=(6, 6))
