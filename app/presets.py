"""Teaching presets: each a named state (reachable from the menu and as ``?preset=NAME``) with two
or three sentences on what to look at."""

from __future__ import annotations

from dataclasses import dataclass

from app.state import AppState, decode


@dataclass(frozen=True)
class Preset:
    title: str
    state: AppState
    text: str


def _s(name: str, **kw: object) -> AppState:
    return AppState(preset=name, **kw)  # type: ignore[arg-type]


# A start on the stable manifold of the saddle {1,3}; the "escape" preset kicks it off.
ON_MANIFOLD = _s(
    "stable-manifold",
    spectrum=(3.0, 2.0, 1.0),
    dx=3,
    depth=1,
    widths=(3,),
    init_kind="manifold",
    manifold_subset=(1, 3),
    init_scale=0.5,
    t_max=60.0,
    modes=(1, 2, 3),
)

PRESETS: dict[str, Preset] = {
    p.state.preset: p
    for p in (
        Preset(
            "The scalar chain and its hyperbolas",
            _s(
                "scalar-chain",
                spectrum=(2.0,),
                dx=1,
                depth=1,
                widths=(1,),
                init_scale=0.6,
                init_seed=3,
                t_max=20.0,
                projection="scalar",
                modes=(1, 2),
            ),
            "One input, one hidden unit, one output: the weights (w1, w2) are the whole state. "
            "The flow never leaves its hyperbola w2^2 - w1^2 = c (the invariant of Lemma 2.3) "
            "and slides along it to the hyperbola of global minima w1 w2 = s.",
        ),
        Preset(
            "Saddle to saddle, H = 1",
            _s(
                "saddle-to-saddle-h1",
                spectrum=(4.0, 2.0, 1.0),
                dx=4,
                depth=1,
                widths=(4,),
                init_scale=1e-6,
                t_max=40.0,
            ),
            "From a tiny initialisation the loss walks down the ladder one rung at a time: "
            "{} -> {1} -> {1,2} -> {1,2,3}, learning the largest singular value first. For "
            "H = 1 each plateau lasts about ln(1/eps)/s_k: shrink the scale to lengthen them.",
        ),
        Preset(
            "Saddle to saddle, H = 2",
            _s(
                "saddle-to-saddle-h2",
                spectrum=(4.0, 2.0, 1.0),
                dx=4,
                depth=2,
                widths=(4,),
                init_scale=0.01,
                t_max=200.0,
            ),
            "The same staircase with two hidden layers. The plateaus now last about 1/eps, not "
            "ln(1/eps): the saddles {} , {1}, {1,2} have no negative Hessian eigenvalue "
            "(NOTES.md), so nothing pushes the run away quickly. Select a plateau in the "
            "Hessian panel to see it.",
        ),
        Preset(
            "Converging to a saddle from its stable manifold",
            ON_MANIFOLD,
            "Row 2 of W_2 and column 2 of W_1 start at zero, an invariant subspace, so the run "
            "converges to the saddle {1,3} and never learns mode 2. Its Hessian has a negative "
            "eigenvalue: the basin of a saddle has measure zero.",
        ),
        Preset(
            "Escaping the saddle with a small kick",
            ON_MANIFOLD.replace(preset="escape", perturbation=1e-4),
            "The same start, kicked off the stable manifold by 1e-4. The run lingers on the "
            "saddle's plateau, then escapes along the negative direction to the global minimum; "
            "the smaller the kick, the longer it lingers (about ln(1/kick)).",
        ),
        Preset(
            "The zero-Hessian saddle at W = 0 (H >= 2)",
            _s(
                "zero-hessian",
                spectrum=(3.0, 2.0),
                dx=2,
                depth=2,
                widths=(2,),
                init_scale=0.01,
                t_max=200.0,
                point="rung-",
            ),
            "For two or more hidden layers the Hessian at W = 0 vanishes identically: every "
            "eigenvalue is zero, yet W = 0 is a saddle (Proposition 4 ii). Second-order "
            "information cannot see the way down; the slow escape from small inits is why.",
        ),
        Preset(
            "Proposition 2: exponential convergence",
            _s(
                "prop2",
                spectrum=(3.0, 2.0, 1.0),
                dx=4,
                depth=2,
                widths=(6, 4),
                init_kind="layered",
                init_scale=2.0,
                init_seed=0,
                t_max=20.0,
            ),
            "Pyramidal widths 6 >= 4 >= dy = 3 and an initialisation whose invariants C_j have "
            "enough positive eigenvalues: ||M(t)||^2 decays at least as fast as "
            "exp(-2 alpha t). The bound is loose; compare alpha with the measured rate.",
        ),
        Preset(
            "Reduced versus original flow",
            _s(
                "flows",
                source="random",
                dx=4,
                dy=2,
                m=12,
                depth=1,
                widths=(3,),
                init_scale=0.3,
                t_max=30.0,
                flow="original",
                compare="flows",
            ),
            "On non-whitened data the paper's reduced flow (GDD) and the gradient flow of the "
            "original loss are different flows: same critical points and ladder, different "
            "paths and times. They coincide when X X^T = I.",
        ),
        Preset(
            "Discrete GD versus the flow",
            _s(
                "gd-vs-flow",
                spectrum=(4.0, 2.0, 1.0),
                dx=4,
                depth=1,
                widths=(4,),
                init_scale=0.1,
                t_max=20.0,
                algorithm="gd",
                eta=0.2,
            ),
            "Gradient descent at step eta drawn on the flow's time axis (t = k eta). The flow "
            "conserves the invariants to round-off; GD drifts. Raise eta towards 2/lambda_max "
            "(about 0.25 here) and GD leaves the flow behind, then diverges.",
        ),
    )
}


def state_from_query(query: str | None) -> tuple[AppState, list[str]]:
    """A link's state and its notices. ``?preset=NAME`` alone is a preset's short link (an
    unknown name is a notice); anything else is decoded field by field (``decode``)."""
    text = (query or "").lstrip("?")
    if text.startswith("preset=") and "&" not in text:
        name = text[len("preset=") :]
        if name in PRESETS:
            return PRESETS[name].state, []
        return AppState(), [f"there is no preset {name[:40]!r} (presets: {', '.join(PRESETS)})"]
    state, notices = decode(query)
    if state.preset and state.preset not in PRESETS:
        notices.append(f"there is no preset {state.preset!r}; the name was dropped")
        state = state.replace(preset="")
    return state, notices
