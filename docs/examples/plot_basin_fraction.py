"""
The basin fraction
==================

The conjecture says almost every initialisation converges to a global minimum. A sweep
(:func:`core.sweep`) runs many random starts at each initial scale and reports, per scale, the
fraction of runs that reached the global minimum. This script shows why that fraction is taken
over the **finished** runs only: a run still on a saddle's plateau at :math:`t_{max}` has not
failed, it has not finished yet.
"""

# %%
# A sweep
# -------
# 100 Gaussian starts at each of five scales for the staircase problem of
# :doc:`plot_staircase`, integrated to :math:`t_{max} = 1000`. From a small start the run
# spends a long time on each plateau (about :math:`1/\text{scale}` at :math:`H = 2`), so at
# the smallest scales many runs are still on one when time runs out.

import matplotlib.pyplot as plt
import numpy as np

import core

p = core.Problem.from_spectrum([4.0, 2.0, 1.0], dx=4, widths=(4, 4))
scales = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)
res = core.sweep(p, 100, scales, seed=0, t_max=1000.0)
print(res)

# %%
# Per scale
# ---------
# ``res.stats[k]`` aggregates the runs at scale ``scales[k]``: ``fraction_global`` and its 95%
# Wilson ``interval`` are over the ``n_finished`` runs, and the ``n_unfinished`` ones are
# counted beside them, with how they ended in ``status_counts``. With no finished run the
# fraction is undefined (NaN) and the interval is all of [0, 1]: nothing is known.

for s in res.stats:
    lo, hi = s.interval
    print(
        f"scale {s.scale:6g}: {s.n_global:3d}/{s.n_finished:3d} finished runs global, "
        f"95% CI [{lo:.3f}, {hi:.3f}]; {s.n_unfinished:3d} unfinished {s.status_counts}"
    )

# %%
# The picture
# -----------
# Left, the fraction over finished runs with its Wilson interval, against the misleading
# fraction over *all* runs, which counts every unfinished run as a failure. Right, how the
# runs ended. At scale :math:`10^{-3}` every finished run reached the minimum, but many runs
# are still on a plateau: the naive fraction reports a basin far smaller than the one measured.

x = np.arange(len(scales))
finished = np.array([s.fraction_global for s in res.stats])
lo = np.array([s.interval[0] for s in res.stats])
hi = np.array([s.interval[1] for s in res.stats])
naive = np.array([s.n_global / s.n_runs for s in res.stats])
centre = np.where(np.isnan(finished), (lo + hi) / 2, finished)

fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6), layout="constrained")
left.errorbar(
    x,
    centre,
    yerr=[centre - lo, hi - centre],
    fmt="none",
    ecolor="#0072B2",
    capsize=4,
    label="95% Wilson interval",
)
left.plot(x, finished, "o", color="#0072B2", ms=7, label="global / finished")
left.plot(x, naive, "s", color="#D55E00", mfc="none", ms=7, mew=1.5, label="global / all runs")
for k, s in enumerate(res.stats):
    if s.n_finished == 0:
        left.annotate("no run\nfinished", (k + 0.12, 0.5), ha="left", va="center", fontsize=8)
left.set_xticks(x, [f"{sc:g}" for sc in scales])
left.set_ylim(-0.05, 1.08)
left.set_xlabel("initial scale")
left.set_ylabel("fraction reaching the global minimum")
left.legend(loc="lower right", fontsize=8)

statuses = [("converged", "#009E73"), ("saddle", "#D55E00"), ("t_max", "#999999")]
bottom = np.zeros(len(scales))
for status, color in statuses:
    counts = np.array([s.status_counts.get(status, 0) for s in res.stats])
    right.bar(x, counts, bottom=bottom, color=color, label=status)
    bottom += counts
right.set_xticks(x, [f"{sc:g}" for sc in scales])
right.set_xlabel("initial scale")
right.set_ylabel("runs")
right.set_ylim(0, 125)
right.legend(title="how the runs ended", fontsize=8, title_fontsize=8, loc="upper center", ncols=3)
plt.show()

# %%
# Raising :math:`t_{max}` (or the initial scale) turns unfinished runs into finished ones;
# replaying any single run in full is :func:`core.basins.replay`. The basin lab in the app
# draws the same two charts, live, as the chunks of a sweep come in.
