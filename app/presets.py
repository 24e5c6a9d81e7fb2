"""Teaching presets: each a named state (reachable from the menu and as ``?preset=NAME``) with two
or three sentences on what to look at, and a story: stages a lecturer steps through with "next"
(``step`` in the URL), each moving the time cursor to a point of the run, selecting that point in
the Hessian panel and saying in one sentence what to notice there. A stage may also change
settings of the run (a step size, a start): the story then shows one run after another.

The stages name what the run shows (its plateaus, their saddles, the Hessian's signs); a test
holds every stage against the computed run, so text and picture cannot drift apart.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from app.preset_base import Preset, Stage, preset_state
from app.state import AppState, decode

__all__ = ["PRESETS", "Preset", "Stage", "state_from_query", "still_preset", "story_step"]
_s = preset_state


# The presets that put theory beside the run (issue 18) live in their own module.
from app.presets_theory import THEORY_PRESETS  # noqa: E402

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

STAIRCASE_H1 = (
    Stage(
        "Plateau 1 is the saddle {} at W = 0. With one hidden layer its Hessian has negative "
        "eigenvalues (12 of them here), so the run leaves after about ln(1/eps)/s_1.",
        "plateau-1",
    ),
    Stage(
        "Plateau 2 is the saddle {1}: mode 1 is learned. Its negative eigenvalues (6) are the "
        "ways down to the next rung; the run takes the one of s_2.",
        "plateau-2",
    ),
    Stage(
        "Plateau 3, the saddle {1,2}: two negative eigenvalues left, both pointing at s_3.",
        "plateau-3",
    ),
    Stage(
        "The global minimum {1,2,3}: no negative eigenvalue, and the zero eigenvalues are the "
        "minimum's symmetry directions (the corrected Proposition 5 counts them).",
        "limit",
    ),
)

STAIRCASE_H2 = (
    Stage(
        "Plateau 1, the saddle {} at W = 0: for two hidden layers its Hessian is exactly zero "
        "(44 zero eigenvalues). Nothing second-order pushes the run away.",
        "plateau-1",
    ),
    Stage(
        "Plateau 2, the saddle {1}: no negative eigenvalue at all (n- = 0, as NOTES.md says "
        "for the top saddles of deep networks), so the escape is slow, ~1/eps.",
        "plateau-2",
    ),
    Stage(
        "Plateau 3, the saddle {1,2}: again n- = 0. A gradient test alone would call this "
        "plateau converged; linflow keeps going until the global minimum.",
        "plateau-3",
    ),
    Stage("The global minimum {1,2,3}: the run stops here, and only here.", "limit"),
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
            (
                Stage(
                    "Press play: the marker stays on the dotted hyperbola w2^2 - w1^2 = c, the "
                    "conserved quantity, while the loss falls.",
                    "limit",
                ),
            ),
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
            STAIRCASE_H1,
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
            "ln(1/eps): the saddles {}, {1}, {1,2} have no negative Hessian eigenvalue "
            "(NOTES.md), so nothing pushes the run away quickly. Press next to visit them.",
            STAIRCASE_H2,
        ),
        Preset(
            "Converging to a saddle from its stable manifold",
            ON_MANIFOLD,
            "Row 2 of W_2 and column 2 of W_1 start at zero, an invariant subspace, so the run "
            "converges to the saddle {1,3} and never learns mode 2. Its Hessian has negative "
            "eigenvalues: the basin of a saddle has measure zero.",
            (
                Stage(
                    "The run ends on the saddle {1,3}: the status line names its plateau (a run "
                    "cannot tell that it will never leave), and the Hessian panel its limit: "
                    "2 negative eigenvalues, the ways out it cannot take from here.",
                    "limit",
                ),
            ),
        ),
        Preset(
            "Escaping the saddle with a small kick",
            ON_MANIFOLD.replace(preset="escape", perturbation=1e-4),
            "The same start, kicked off the stable manifold by 1e-4. The run lingers on the "
            "saddle's plateau, then escapes along the negative direction to the global minimum; "
            "the smaller the kick, the longer it lingers (about ln(1/kick)).",
            (
                Stage(
                    "Plateau 1, the saddle {1,3}: 2 negative eigenvalues. The kick grows along "
                    "them until the run leaves.",
                    "plateau-1",
                ),
                Stage("The global minimum {1,2,3}: mode 2 learned after all.", "limit"),
            ),
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
                t_max=400.0,
                point="rung-",
            ),
            "For two or more hidden layers the Hessian at W = 0 vanishes identically: every "
            "eigenvalue is zero, yet W = 0 is a saddle (Proposition 4 ii). Second-order "
            "information cannot see the way down; the slow escape from small inits is why.",
            (
                Stage(
                    "The run's first plateau is that saddle: 12 zero eigenvalues, none "
                    "negative, none positive.",
                    "plateau-1",
                ),
                Stage("Plateau 2, the saddle {1}: no negative eigenvalue either.", "plateau-2"),
                Stage("The global minimum {1,2}.", "limit"),
            ),
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
            "paths and times (both are drawn on L(t) and the trajectory). They coincide when "
            "X X^T = I.",
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
PRESETS.update({p.state.preset: p for p in THEORY_PRESETS})


def still_preset(state: AppState) -> bool:
    """Whether ``state`` is its preset at one of its story's steps (presentation mode aside),
    not a state edited away from it."""
    preset = PRESETS.get(state.preset)
    return preset is not None and preset.at_step(state.step).replace(present=state.present) == state


def story_step(state: AppState, delta: int) -> AppState:
    """The state one step further (``delta`` = 1) or back (-1) in its preset's story."""
    preset = PRESETS.get(state.preset)
    if preset is None or not preset.stages:
        return state
    step = max(0, min(len(preset.stages), state.step + delta))
    return preset.at_step(step).replace(present=state.present)


SHORT_LINK_KEYS = {"preset", "step", "present"}  # a link with only these is a preset's short link


def state_from_query(query: str | None) -> tuple[AppState, list[str]]:
    """A link's state and its notices. ``?preset=NAME`` (with ``step`` and ``present``, if
    any) is a preset's short link: the preset at that step of its story. Anything else is
    decoded field by field (``decode``); a preset name the settings do not match is dropped."""
    pairs = dict(parse_qsl((query or "").lstrip("?"), keep_blank_values=True))
    if "preset" in pairs and set(pairs) <= SHORT_LINK_KEYS:
        name = pairs["preset"]
        if name not in PRESETS:
            return AppState(), [f"there is no preset {name[:40]!r} (presets: {', '.join(PRESETS)})"]
        short, notices = decode("?" + urlencode({k: v for k, v in pairs.items() if k != "preset"}))
        return PRESETS[name].at_step(short.step).replace(present=short.present), notices
    state, notices = decode(query)
    if state.preset and state.preset not in PRESETS:
        notices.append(f"there is no preset {state.preset!r}; the name was dropped")
        state = state.replace(preset="", step=0)
    elif state.preset and not still_preset(state):
        notices.append(f"the link's settings are not those of the preset {state.preset!r}")
        state = state.replace(preset="", step=0)
    return state, notices
