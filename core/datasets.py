"""Data sets from the literature, built in code from tables of facts.

:func:`semantic` is the hierarchy of Saxe, McClelland & Ganguli, *A mathematical theory of
semantic development in deep neural networks* (PNAS 2019): eight items as one-hot inputs, their
properties as outputs. A small-initialisation network learns the singular modes of the
item-property matrix one at a time, broad distinctions first (living things; animals vs plants)
and finer ones later.

The paper's Assumption 1 (m >= dx >= dy) caps the properties at the number of items: with
one-hot items (dx = 8) at most 8 properties, and the explorer draws at most 6 outputs
(2^6 rungs). A table with one property per category and its sibling (can fly / can swim, has bark
/ has petals) breaks Assumption 2 (can move = can fly + can swim) or, without the parents, gives
four equal singular values sqrt(2) (Assumption 3). The default properties, "can grow", "can
move", "can fly", "has petals", "has needles", are five plain facts whose singular values are
distinct (3.41, 1.75, 1.13, 0.89, 0.47) and whose modes are, nearly, the levels of the
hierarchy: :func:`mode_names` reads each off the items' loadings (the cosine says how nearly).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from core.problem import Problem, ProblemError

__all__ = [
    "DATASETS",
    "FACTS",
    "ITEMS",
    "SEMANTIC_PROPERTIES",
    "Dataset",
    "item_loadings",
    "load",
    "mode_names",
    "semantic",
]

ITEMS = ("canary", "robin", "salmon", "sunfish", "oak", "pine", "rose", "daisy")
_BIRDS, _FISH, _TREES, _FLOWERS = ITEMS[0:2], ITEMS[2:4], ITEMS[4:6], ITEMS[6:8]
# The facts: each property and the items that have it.
FACTS: dict[str, tuple[str, ...]] = {
    "can grow": ITEMS,
    "can move": _BIRDS + _FISH,
    "has roots": _TREES + _FLOWERS,
    "can fly": _BIRDS,
    "has feathers": _BIRDS,
    "can swim": _FISH,
    "has gills": _FISH,
    "has bark": _TREES,
    "has branches": _TREES,
    "has petals": _FLOWERS,
    "has needles": ("pine",),
    "has acorns": ("oak",),
    "has thorns": ("rose",),
    "is yellow": ("canary", "sunfish", "daisy"),
    "is red": ("robin", "rose"),
}
SEMANTIC_PROPERTIES = ("can grow", "can move", "can fly", "has petals", "has needles")
# The hierarchy, as (name, children); a leaf is an item.
TREE: tuple[str, tuple[Any, ...]] = (
    "living things",
    (
        ("animals", (("birds", _BIRDS), ("fish", _FISH))),
        ("plants", (("trees", _TREES), ("flowers", _FLOWERS))),
    ),
)
REFERENCE = (
    "Saxe, McClelland & Ganguli, A mathematical theory of semantic development in deep neural "
    "networks, PNAS 116 (2019)"
)


@dataclass(frozen=True, eq=False)
class Dataset:
    """Inputs X (dx, m) and targets Y (dy, m), one name per sample (column) and per output
    (row), and named contrasts between samples (unit vectors, shape (m,)) that
    :func:`mode_names` matches the singular modes against. Unpacks as ``X, Y, item_names,
    property_names``."""

    name: str
    X: NDArray[np.float64]
    Y: NDArray[np.float64]
    item_names: tuple[str, ...]
    property_names: tuple[str, ...]
    contrasts: tuple[tuple[str, NDArray[np.float64]], ...] = ()
    reference: str = ""

    def __post_init__(self) -> None:
        (_, m), (dy, my) = self.X.shape, self.Y.shape
        if my != m or len(self.item_names) != m or len(self.property_names) != dy:
            raise ValueError(
                f"X {self.X.shape} and Y {self.Y.shape} need one item name per column and one "
                "property name per row of Y"
            )
        if any(v.shape != (m,) for _, v in self.contrasts):
            raise ValueError(f"every contrast is a vector over the {m} samples")
        for a in (self.X, self.Y, *(v for _, v in self.contrasts)):
            a.setflags(write=False)

    def __iter__(self) -> Iterator[Any]:
        return iter((self.X, self.Y, self.item_names, self.property_names))

    def problem(self, widths: Sequence[int]) -> Problem:
        """``Problem.from_data(X, Y, widths)`` (checks Assumptions 1-3)."""
        return Problem.from_data(self.X, self.Y, widths)

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}: {self.X.shape[1]} items, {self.Y.shape[0]} properties "
            f"({', '.join(self.property_names)}))"
        )


def _contrasts(tree: tuple[str, tuple[Any, ...]], items: tuple[str, ...]) -> list[Any]:
    """The Haar contrasts of a binary hierarchy: the root (all items), then each node's two
    children against each other, as unit vectors over the items."""

    def leaves(node: Any) -> tuple[str, ...]:
        if isinstance(node, str):
            return (node,)
        return tuple(x for child in node[1] for x in leaves(child))

    def unit(members: tuple[str, ...]) -> NDArray[np.float64]:
        v = np.array([1.0 if it in members else 0.0 for it in items])
        return np.asarray(v / np.linalg.norm(v), dtype=np.float64)

    out: list[Any] = [(tree[0], unit(leaves(tree)))]

    def walk(node: Any) -> None:
        if isinstance(node, str):
            return
        a, b = node[1]
        names = [x if isinstance(x, str) else x[0] for x in (a, b)]
        diff = unit(leaves(a)) - unit(leaves(b))
        out.append((f"{names[0]} vs {names[1]}", diff / np.linalg.norm(diff)))
        walk(a)
        walk(b)

    walk(tree)
    return out


def semantic(properties: Sequence[str] = SEMANTIC_PROPERTIES) -> Dataset:
    """The items and properties of Saxe, McClelland & Ganguli (2019), from :data:`FACTS`.

    X is the 8 x 8 identity (item k is the one-hot input e_k, so X X^T = I: whitened, and both
    flows coincide), Y (len(properties), 8) has ``Y[p, k] = 1`` when item k has property p.
    ``properties`` picks the outputs among :data:`FACTS` (at most 8, Assumption 1).

    Examples
    --------
    >>> import core
    >>> X, Y, items, props = core.datasets.semantic()
    >>> X.shape, Y.shape, props[:2]
    ((8, 8), (5, 8), ('can grow', 'can move'))
    >>> p = core.datasets.semantic().problem(widths=(8,))
    >>> p.singular_values.round(3).tolist(), p.assumption4
    ([3.41, 1.754, 1.132, 0.891, 0.469], True)
    """
    props = tuple(properties)
    unknown = [p for p in props if p not in FACTS]
    if unknown or not props:
        raise ProblemError(
            f"unknown properties {unknown}; choose among {', '.join(FACTS)}"
            if unknown
            else "choose at least one property"
        )
    if len(set(props)) < len(props):
        raise ProblemError(f"properties repeat: {props}")
    if len(props) > len(ITEMS):
        raise ProblemError(
            f"Assumption 1 needs dy <= dx = {len(ITEMS)} (one-hot items); got {len(props)} "
            "properties"
        )
    Y = np.array([[1.0 if item in FACTS[p] else 0.0 for item in ITEMS] for p in props])
    return Dataset(
        "semantic",
        np.eye(len(ITEMS)),
        Y,
        ITEMS,
        props,
        tuple(_contrasts(TREE, ITEMS)),
        REFERENCE,
    )


DATASETS: dict[str, Callable[[], Dataset]] = {"semantic": semantic}


def load(name: str) -> Dataset:
    """The data set ``name`` of :data:`DATASETS`."""
    if name not in DATASETS:
        raise ProblemError(f"there is no data set {name!r}; choose among {', '.join(DATASETS)}")
    return DATASETS[name]()


def item_loadings(problem: Problem) -> NDArray[np.float64]:
    """How much each sample loads on each singular mode, shape (m, dy): column i is
    ``X^T U_X S_X^-1 V_Y[:, i]`` (= V_X^1 V_Y), the response of mode i's input direction to
    each sample. For one-hot items it is the right singular vectors of Y, item by item."""
    right = (np.asarray(problem.u_x) / np.asarray(problem.s_x)) @ np.asarray(problem.v_y)
    return np.asarray(np.asarray(problem.X).T @ right[:, : problem.dy], dtype=np.float64)


def mode_names(problem: Problem, dataset: Dataset) -> tuple[tuple[str, float], ...]:
    """Each singular mode named by the data set's contrast nearest to its item loadings, with
    the absolute cosine between them (1: exactly that contrast). Mode 1 of the semantic data is
    "living things", mode 2 "animals vs plants" (cos 0.90)."""
    L = item_loadings(problem)
    L = L / np.linalg.norm(L, axis=0)
    names, vecs = zip(*dataset.contrasts, strict=True)
    cos = np.abs(np.array(vecs) @ L)  # (contrasts, modes)
    return tuple((names[int(j)], float(cos[j, i])) for i, j in enumerate(np.argmax(cos, axis=0)))
