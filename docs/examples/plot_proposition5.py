"""
Proposition 5: counting the Hessian's signs
===========================================

For one hidden layer (:math:`H = 1`) Proposition 5 of the paper counts, at a critical point of
type :math:`S` (the modes it has learned), the negative, zero and positive eigenvalues of the
Hessian. As printed, its counts hold only when the hidden layer is exactly as wide as the
output, :math:`d_1 = d_y`. This script builds a critical point for every subset :math:`S`,
measures the inertia of its exact Hessian, and sets it beside the corrected counts and the
printed ones. With :math:`r = |S|` and :math:`q = q(S)` the number of pairs learned out of
order, the corrected counts are

.. math::

   n_0 = r d_1 + (d_1 - r) r + (d_1 - r)(d_x - d_y), \\qquad
   n_- = q + (d_1 - r)(d_y - r),

and :math:`n_+` the rest; the printed ones have :math:`d_y` where :math:`d_1` stands in the
last two terms of :math:`n_0` and :math:`(d_y - r)^2` negative directions.
"""

# %%
# Measured against predicted
# --------------------------
# :func:`core.critical_point` builds a critical point of type :math:`S` (with ``seed`` it is
# moved to a random point of its symmetry orbit, so nothing is special about it);
# :func:`core.hessian_split` counts the signs of its exact Hessian's eigenvalues;
# :func:`core.predicted_split` gives the corrected counts, with the printed ones in
# ``.printed``.

import itertools

import matplotlib.pyplot as plt
import numpy as np

import core


def inertia_table(p):
    """(label, measured, corrected, printed) for every subset S, by size."""
    subsets = [S for r in range(p.dy + 1) for S in itertools.combinations(range(p.dy), r)]
    rows = []
    for S in subsets:
        measured = core.hessian_split(p, core.critical_point(p, S, seed=0))
        assert measured.clean, "the zero tolerance must sit in a clear spectral gap"
        predicted = core.predicted_split(p, S)
        rows.append((core.label(S), measured.counts, predicted.counts, predicted.printed.counts))
    return rows


shapes = {
    "d1 = 5 > dy = 3": core.Problem.from_spectrum([3.0, 2.0, 1.0], dx=4, widths=(5,)),
    "d1 = 4 > dy = 2": core.Problem.from_spectrum([2.0, 1.0], dx=3, widths=(4,)),
    "d1 = dy = 3": core.Problem.from_spectrum([3.0, 2.0, 1.0], dx=4, widths=(3,)),
}
tables = {name: inertia_table(p) for name, p in shapes.items()}
for name, rows in tables.items():
    print(f"{name}: (n-, n0, n+)")
    print(f"  {'S':8} {'measured':13} {'corrected':13} {'printed':13} printed right?")
    for lab, measured, corrected, printed in rows:
        right = "yes" if printed == measured else "no"
        print(f"  {lab:8} {measured!s:13} {corrected!s:13} {printed!s:13} {right}")
    assert all(m == c for _, m, c, _ in rows), "the corrected counts must match the Hessian"

# %%
# The corrected counts match the measured ones at every critical point of every shape. The
# printed counts are wrong at every critical point when :math:`d_1 > d_y`, the global minimum
# included (its zero count), and right everywhere when :math:`d_1 = d_y`.
#
# The picture
# -----------
# For the first shape: bars are the measured counts, black crosses the corrected theory,
# vermillion circles the printed proposition. Where a circle leaves its bar, the printed count
# is wrong.

name = "d1 = 5 > dy = 3"
rows = tables[name]
labels = [row[0] for row in rows]
x = np.arange(len(rows))
fig, axes = plt.subplots(1, 3, figsize=(9, 3.4), sharey=True, layout="constrained")
for k, (ax, title) in enumerate(
    zip(axes, ("negative  n-", "zero  n0", "positive  n+"), strict=True)
):
    ax.bar(x, [row[1][k] for row in rows], color="#56B4E9", label="measured (Hessian)")
    ax.plot(x, [row[2][k] for row in rows], "kx", ms=8, mew=2, label="corrected theory")
    ax.plot(
        x,
        [row[3][k] for row in rows],
        "o",
        color="#D55E00",
        mfc="none",
        ms=9,
        mew=1.6,
        label="Proposition 5 as printed",
    )
    ax.set_title(title, fontsize=10)
    ax.set_xticks(x, labels, rotation=60, fontsize=8)
    ax.set_xlabel("critical point of type S")
axes[0].set_ylabel("number of eigenvalues")
axes[0].legend(loc="upper right", fontsize=7)
fig.suptitle(f"Hessian inertia at every critical point, H = 1, dx = 4, {name}", fontsize=10)
plt.show()
