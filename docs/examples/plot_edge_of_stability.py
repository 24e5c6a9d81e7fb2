"""
The edge of stability
=====================

Gradient descent at step :math:`\\eta` can settle only at a minimum whose sharpness (the top
Hessian eigenvalue :math:`\\lambda_{max}`) is below :math:`2/\\eta`. For a deep linear network
the flattest global minima are the balanced ones, with
:math:`\\lambda_{max} = (H+1)\\, s_1^{2H/(H+1)}`; a step above
:math:`2 / ((H+1)\\, s_1^{2H/(H+1)})` has no minimum it can converge to.
"""

# %%
# The flow's minimum
# ------------------
# :math:`s = (2, 1)`, two hidden layers of width 2, a balanced start. The flow ends at a
# balanced minimum: :func:`core.curvature_along` measures its sharpness along the run.

import matplotlib.pyplot as plt

import core

p = core.Problem.from_spectrum([2.0, 1.0], dx=2, widths=(2, 2))
W0 = core.init_weights(p, 0.1, kind="balanced")
flow = core.integrate(p, W0, 100.0)
H = p.depth
flattest = (H + 1) * p.singular_values[0] ** (2 * H / (H + 1))
curv = core.curvature_along(p, flow, samples=60)
print(curv)
print(f"(H+1) s_1^(2H/(H+1)) = {flattest:.6f}: 2/eta crosses it at eta = {2 / flattest:.4f}")

# %%
# Just below and just above
# -------------------------
# At :math:`\\eta = 0.25` (:math:`2/\\eta = 8`) GD converges to the flow's minimum. At
# :math:`\\eta = 0.28` (:math:`2/\\eta = 7.14`) no global minimum is flat enough: GD falls
# into a period-2 oscillation, its sharpness jumping across :math:`2/\\eta`.

fig, axes = plt.subplots(2, 1, figsize=(7.5, 6.0), sharex=True, layout="constrained")
ax_l, ax_c = axes
ax_l.plot(flow.t, flow.loss, color="#0072B2", lw=2.2, label="gradient flow")
ax_c.plot(curv.t, curv.lambda_max, color="#0072B2", lw=2.2)
for eta, color in ((0.25, "#009E73"), (0.28, "#D55E00")):
    gd = core.gradient_descent(p, W0, lr=eta, steps=int(100 / eta))
    gd_curv = core.curvature_along(p, gd, samples=200)
    print(f"eta = {eta}: {gd.status}, final lambda_max = {gd_curv.lambda_max[-1]:.3f}")
    ax_l.plot(gd.t, gd.loss, color=color, lw=1.2, label=f"GD, eta = {eta}")
    ax_c.plot(gd_curv.t, gd_curv.lambda_max, color=color, lw=1.0)
    ax_c.axhline(2 / eta, color=color, ls="-.", lw=1.0)
    ax_c.annotate(f"2/eta = {2 / eta:.2f}", (0.12, 2 / eta), color=color, fontsize=8, va="bottom")
ax_c.axhline(flattest, color="0.5", ls="--", lw=1.0)
ax_c.annotate(f"balanced minimum {flattest:.2f}", (0.12, flattest), color="0.4", fontsize=8)
ax_l.set_xscale("log")
ax_l.set_yscale("log")
ax_l.set_ylabel("loss L(t)")
ax_l.legend(loc="lower left")
ax_c.set_xlabel("time t = k eta (log scale)")
ax_c.set_ylabel("lambda_max")
ax_c.set_xlim(0.1, 100)
plt.show()

# %%
# In the explorer the preset *Edge of stability* (``?preset=edge-of-stability``) shows the
# same story with :math:`\\lambda_{min}` and the number of negative eigenvalues beside it.
