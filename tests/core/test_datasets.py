"""The semantic data set (Saxe, McClelland & Ganguli 2019): the paper's assumptions hold, and
its singular modes are the levels of the hierarchy."""

import itertools

import numpy as np
import pytest

import core
from core.datasets import FACTS, ITEMS, item_loadings, load, mode_names, semantic
from core.problem import GAP_RTOL

ANIMALS, PLANTS = slice(0, 4), slice(4, 8)


def test_the_table_is_the_facts_and_unpacks():
    X, Y, items, props = semantic()
    assert items == ITEMS and X.shape == (8, 8) and Y.shape == (len(props), 8)
    np.testing.assert_array_equal(X, np.eye(8))
    for p, row in zip(props, Y, strict=True):
        assert {ITEMS[k] for k in np.flatnonzero(row)} == set(FACTS[p])
    assert load("semantic").property_names == props
    with pytest.raises(core.ProblemError, match="no data set"):
        load("nope")


def test_assumptions_hold_with_distinct_singular_values():
    p = semantic().problem((8,))  # from_data checks Assumptions 1-3
    s = p.singular_values
    assert p.is_whitened and p.offset == 0.0
    gaps = -np.diff(s) / s[0]
    assert gaps.min() > 0.05 > 1000 * GAP_RTOL  # distinct, by a wide margin
    assert p.assumption4
    sums = sorted(sum(c) for r in range(6) for c in itertools.combinations(s**2, r))
    assert min(np.diff(sums)) > 1e-3 * sum(s**2)


def test_the_first_nontrivial_mode_separates_animals_from_plants_by_sign():
    p = semantic().problem((8,))
    L = item_loadings(p)
    assert np.all(L[:, 0] > 0) or np.all(L[:, 0] < 0)  # mode 1: every item, one sign
    v = L[:, 1] * np.sign(L[0, 1])
    assert np.all(v[ANIMALS] > 0) and np.all(v[PLANTS] < 0)
    names = mode_names(p, semantic())
    assert [n for n, _ in names] == [
        "living things",
        "animals vs plants",
        "trees vs flowers",
        "birds vs fish",
        "oak vs pine",
    ]
    assert all(c > 0.8 for _, c in names) and names[0][1] > 0.95


def test_the_loadings_are_the_modes_of_the_data():
    """On one-hot items the loadings are Y's right singular vectors."""
    p = semantic().problem((8,))
    _, _, vh = np.linalg.svd(semantic().Y)
    L = item_loadings(p)
    np.testing.assert_allclose(np.abs(L.T @ vh[:5].T), np.eye(5), atol=1e-12)


def test_natural_tables_that_break_the_assumptions_say_which():
    with pytest.raises(core.ProblemError, match="Assumption 3"):  # four equal values sqrt(2)
        semantic(("can fly", "can swim", "has bark", "has petals")).problem((4,))
    with pytest.raises(core.ProblemError, match="Assumption 2"):  # move = fly + swim
        semantic(("can grow", "can move", "can fly", "can swim")).problem((4,))
    with pytest.raises(core.ProblemError, match="Assumption 1"):
        semantic(tuple(FACTS)[:9])
    with pytest.raises(core.ProblemError, match="unknown properties"):
        semantic(("can sing",))
