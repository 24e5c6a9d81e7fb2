"""
The staircase
=============

From a small initialisation a deep linear network learns its target's modes one at a time,
largest first. The loss falls down the ladder of critical values
:math:`L_S = \\tfrac12 \\sum_{i \\notin S} s_i^2`, resting on a plateau near the saddle of each
subset on the way, ``{} -> {1} -> {1,2}``, then converges to the global minimum ``{1,2,3}``.
"""

# %%
# A run
# -----
# Three modes :math:`s = (4, 2, 1)`, two hidden layers of width 4, Gaussian weights of scale
# :math:`10^{-3}`. :func:`core.integrate` stops early only at the global minimum.

import matplotlib.pyplot as plt

import core

p = core.Problem.from_spectrum([4.0, 2.0, 1.0], dx=4, widths=(4, 4))
run = core.integrate(p, core.init_weights(p, 1e-3, seed=0), 1e5)
print(run.message)

# %%
# The ladder and the plateaus
# ---------------------------
# :func:`core.ladder` lists the :math:`2^{d_y} = 8` critical values, from the top (nothing
# learned) to the bottom (the global minimum, here 0: the data are whitened). The plateaus are
# read from the run itself (:func:`core.plateaus`), each labelled with the subset of modes its
# weights had learned.

ladder = core.ladder(p)
plateaus = core.plateaus(p, run)
for rung in ladder.rungs:
    print(f"rung {rung.label:9} L = {rung.value:5.2f}")
for pl in plateaus:
    print(f"plateau {pl.label:9} t = {pl.t_enter:6.1f} to {pl.t_exit:6.1f}")

# %%
# The picture
# -----------
# L(t) against every rung, a dotted line labelled with its subset; every plateau shaded and
# labelled above the plot. The explorer draws the same on log axes, where long runs read
# better; this run is short enough for linear ones.

fig, ax = plt.subplots(figsize=(7.5, 4.8), layout="constrained")
ax.plot(run.t, run.loss, color="#0072B2", lw=2.2, label="L(t), gradient flow")
t_lo, t_hi = 0.0, run.t_end
for rung in ladder.rungs:
    ax.axhline(rung.value, color="0.55", lw=0.8, ls=":")
    ax.annotate(
        rung.label,
        (1.0, rung.value),
        xycoords=("axes fraction", "data"),
        xytext=(4, 0),
        textcoords="offset points",
        va="center",
        fontsize=8,
        color="0.35",
    )
for pl in plateaus:
    ax.axvspan(pl.t_enter, pl.t_exit, color="#E69F00", alpha=0.12, lw=0)
    ax.annotate(
        pl.label,
        ((pl.t_enter + pl.t_exit) / 2, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(0, 3),
        textcoords="offset points",
        ha="center",
        fontsize=8,
        color="#8a5a00",
    )
ax.set_xlim(t_lo, t_hi)
ax.set_ylim(-0.3, 11.2)
ax.set_xlabel("time t")
ax.set_ylabel("loss L(t)")
ax.legend(loc="upper right", bbox_to_anchor=(0.97, 0.9))
plt.show()

# %%
# Smaller starts, longer plateaus
# -------------------------------
# The order of the steps does not depend on the initial scale; their lengths do. For
# :math:`H = 2` a saddle's plateau lasts about ten times longer when the start is ten times
# smaller.

for scale in (1e-2, 1e-3, 1e-4):
    r = core.integrate(p, core.init_weights(p, scale, seed=0), 1e5)
    lengths = ", ".join(f"{pl.label} {pl.duration:7.1f}" for pl in core.plateaus(p, r))
    print(f"scale {scale:.0e}: {lengths}")

# %%
# In the explorer the same picture is the main panel; :func:`app.figures.loss_figure` draws it
# as a plotly figure.
