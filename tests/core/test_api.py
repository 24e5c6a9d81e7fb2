"""The library's face: exactly the public names, front doors that are functions, concise reprs."""

import numpy as np

import core

PUBLIC = {
    "AlignedSolution", "ChunkSpec", "Classification", "Curvature", "EscapeResult", "FAMILIES",
    "FLOWS", "HESSIAN_MAX_PARAMS", "HessianSplit", "HessianTooLargeError", "INIT_KINDS",
    "Ladder", "METHODS", "ModeCoordinates", "PCAProjection", "Plateau", "PlateauExits",
    "Polished", "PredictedSplit", "Problem", "ProblemError", "RateBound", "RunSummary", "Rung",
    "STATUSES", "ScaleStats", "Slice", "StopRule", "SweepResult", "SweepSpec", "Trajectory",
    "Visit", "__version__", "aligned_solution", "classify", "critical_point", "curvature_along",
    "datasets", "direction_to", "end_to_end", "escape_sweep", "exponential_rate", "gradient",
    "gradient_descent", "hessian", "hessian_directions", "hessian_split",
    "hessian_vector_product", "init_weights", "integrate", "invariants", "label", "ladder",
    "loss", "measured_rate", "mode_coordinates", "nearest_critical_point", "pca_projection",
    "plateau_exits", "plateaus", "polish", "predicted_split", "project_onto_plane", "q_count",
    "random_direction", "residual_sq", "sample_grid", "slice_2d", "stable_manifold_init",
    "sweep",
}  # fmt: skip


def test_public_names_are_exactly_all():
    assert set(core.__all__) == PUBLIC and len(core.__all__) == len(PUBLIC)
    for name in core.__all__:
        assert hasattr(core, name), name


def test_front_doors_are_functions_not_shadowed_by_modules():
    import types

    for name in ("integrate", "sweep", "escape_sweep", "plateaus", "ladder", "gradient_descent"):
        assert callable(getattr(core, name)) and not isinstance(
            getattr(core, name), types.ModuleType
        )


def test_version_comes_from_the_distribution():
    from importlib.metadata import version

    assert core.__version__ == version("linflow")


def test_every_result_has_a_concise_repr():
    p = core.Problem.from_spectrum([4.0, 2.0, 1.0], dx=4, widths=(4, 4))
    tr = core.integrate(p, core.init_weights(p, 1e-2, seed=0), 200.0)
    W = tr.final_weights
    plane = core.slice_2d(p, W, *core.hessian_directions(p, W)[:2], n=21)
    results = [
        p,
        tr,
        core.ladder(p),
        core.classify(p, W),
        core.polish(p, W),
        core.hessian_split(p, W),
        core.predicted_split(p, (0,)),
        core.plateaus(p, tr)[0],
        tr.visits[0],
        core.exponential_rate(p, core.init_weights(p, 1e-2, seed=0)),
        core.mode_coordinates(p, tr),
        core.pca_projection(tr),
        plane,
        core.sweep(p, 3, [0.5], t_max=50.0),
        core.sweep(p, 3, [0.5], t_max=50.0).stats[0],
        core.escape_sweep(p, (0,), [1e-3], 2, t_max=20.0),
        core.StopRule.for_problem(p),
        core.curvature_along(p, tr, samples=5),
        core.aligned_solution(p, 1e-3, [0.0, 1.0]),
        core.plateau_exits(p, core.init_weights(p, 1e-2, seed=0)),
        core.datasets.semantic(),
    ]
    for obj in results:
        text = repr(obj)
        assert len(text) < 400 and "array(" not in text and "\n" not in text, text[:200]


def test_results_convert_to_tables():
    pd = __import__("pytest").importorskip("pandas")
    p = core.Problem.from_spectrum([4.0, 2.0, 1.0], dx=4, widths=(4,))
    tr = core.integrate(p, core.init_weights(p, 0.1, seed=0), 20.0)
    frame = tr.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) == tr.n_samples
    np.testing.assert_array_equal(frame["loss"], tr.loss)
    runs = core.sweep(p, 4, [0.1, 1.0], t_max=20.0).to_frame()
    assert len(runs) == 8 and set(runs["subset"]) <= {"{1,2,3}", "{}", "{1}", "{1,2}"}
    assert {"scale", "seed", "status", "path"} <= set(runs.columns)
