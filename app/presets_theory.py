"""The presets that put a known result beside the run (issue 18): the edge of stability of
gradient descent, and the semantic development of Saxe, McClelland & Ganguli (PNAS 2019).

Every number their texts state is held against the computed runs by
``tests/app/test_presets_theory.py``.
"""

from __future__ import annotations

from app.preset_base import Preset, Stage, preset_state

# A small balanced problem: s = (2, 1), two hidden layers of width 2, a balanced start. Its flow
# ends at a balanced minimum, lambda_max = 3 * 2^(4/3) = 7.56: 2/eta crosses it at eta = 0.265.
EDGE = preset_state(
    "edge-of-stability",
    spectrum=(2.0, 1.0),
    dx=2,
    depth=2,
    widths=(2,),
    init_kind="balanced",
    init_scale=0.1,
    t_max=100.0,
    algorithm="gd",
    eta=0.25,
    focus="curvature",
)
EDGE_STAGES = (
    Stage(
        "eta = 0.25, so 2/eta = 8 lies above the flow's final sharpness 7.56: GD follows the "
        "flow. Its lambda_max rises as the modes are learned and settles at 7.56, under the "
        "dash-dot line 2/eta.",
        "limit",
    ),
    Stage(
        "eta = 0.28, so 2/eta = 7.14 lies below 7.56, and no global minimum is that flat: GD "
        "cannot converge. It falls into a period-2 oscillation, lambda_max jumping between "
        "10.0 and 4.6 on both sides of 2/eta, and L(t) stays between 0.05 and 0.08 instead "
        "of falling to 0.",
        "limit",
        (("eta", 0.28),),
    ),
    Stage(
        "An unbalanced start (layered, scale 2): the flow now ends at a sharper minimum, "
        "lambda_max = 12.8. At eta = 0.18 (2/eta = 11.1) GD cannot settle there and converges "
        "to a flatter minimum instead, lambda_max = 10.2, below 2/eta.",
        "limit",
        (("init_kind", "layered"), ("init_scale", 2.0), ("init_seed", 2), ("eta", 0.18)),
    ),
)

# The semantic data set with two hidden layers from a small start: five plateaus, one mode
# learned at each exit, broad distinctions first.
SEMANTIC = preset_state(
    "semantic-development",
    source="dataset",
    dataset="semantic",
    depth=2,
    widths=(8,),
    init_scale=0.01,
    t_max=200.0,
    focus="outputs",
)
SEMANTIC_STAGES = (
    Stage(
        "Nothing learned yet: every output is about 0. The run sits near W = 0, a saddle whose "
        "Hessian is exactly zero for two hidden layers (168 zero eigenvalues).",
        "plateau-1",
    ),
    Stage(
        "Mode 1, living things: every item gets the same blurred profile, the average item: "
        "'can grow' 0.65 to 1.3 and 'can move' 0.4 to 0.8, the plants included.",
        "plateau-2",
    ),
    Stage(
        "Mode 2, animals vs plants: birds and fish now move (0.8 to 1.1), trees and flowers "
        "hardly (0.2 or less), and the flowers begin to get petals (0.76).",
        "plateau-3",
    ),
    Stage(
        "Mode 3 (nearly trees vs flowers, led by the pine): the pine gets its needles (0.84) "
        "and the flowers their petals (0.97).",
        "plateau-4",
    ),
    Stage("Mode 4, birds vs fish: the birds fly (1.0), the fish no longer do (0.0).", "plateau-5"),
    Stage(
        "Mode 5 (nearly oak vs pine), the last detail: the oak drops the 0.2 of 'can move', "
        "'has petals' and 'has needles' it had borrowed. Every property is learned: the global "
        "minimum.",
        "limit",
    ),
)

THEORY_PRESETS = (
    Preset(
        "Edge of stability: where GD can settle",
        EDGE,
        "Gradient descent at step eta is stable at a minimum only if its sharpness lambda_max "
        "(the top Hessian eigenvalue) is below 2/eta. This balanced start's flow ends at a "
        "balanced minimum, lambda_max = (H+1) s_1^(2H/(H+1)) = 7.56, the flattest of all global "
        "minima; 2/eta crosses it at eta = 0.265. Watch lambda_max against the dash-dot line "
        "2/eta in the curvature panel; press next for a step just above.",
        EDGE_STAGES,
    ),
    Preset(
        "Semantic development (Saxe, McClelland & Ganguli 2019)",
        SEMANTIC,
        "Eight items (canary, robin, salmon, sunfish, oak, pine, rose, daisy) as one-hot inputs "
        "and five of their properties as outputs. From a small start the network learns the "
        "singular modes of the item-property table one plateau at a time, broad distinctions "
        "first: the heat map shows each item's outputs appearing in stages, and L(t) names what "
        "each plateau has just learned. Press next to visit the plateaus.",
        SEMANTIC_STAGES,
    ),
)
