import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import Problem, ProblemError, init_weights, loss


def test_random_problem_reduction_and_least_squares():
    p = Problem.random(6, 3, 20, (4, 5), seed=3)
    assert p.dims == (6, 4, 5, 3) and p.depth == 2 and p.m == 20
    assert np.all(np.diff(p.singular_values) < 0)
    # W_LS solves the normal equations and its loss is the offset.
    np.testing.assert_allclose(p.w_ls @ p.X @ p.X.T, p.Y @ p.X.T, rtol=1e-10, atol=1e-10)
    W = (p.w_ls, np.eye(4)[:, :4][:4], np.eye(5, 4), np.eye(3, 5))
    assert p.offset == pytest.approx(0.5 * np.sum((p.Y - p.w_ls @ p.X) ** 2), rel=1e-12)
    # Sigma_Y = U_Y^T Ybar V_Y with Ybar = Y V_X^1.
    assert p.sigma.shape == (3, 6)
    np.testing.assert_allclose(np.diag(p.sigma[:, :3]), p.singular_values)
    del W


@settings(max_examples=30, deadline=None)
@given(
    dx=st.integers(1, 5),
    extra_x=st.integers(0, 3),
    extra_m=st.integers(0, 6),
    depth=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_reduction_identity_and_round_trip(dx, extra_x, extra_m, depth, seed):
    dy = max(1, dx - extra_x)
    m = dx + extra_m
    p = Problem.random(dx, dy, m, tuple(dy + k % 2 for k in range(depth)), seed=seed)
    Ws = init_weights(p, 1.0, seed=seed + 1)
    P = Ws[0]
    for W in Ws[1:]:
        P = W @ P
    direct = 0.5 * np.sum((p.Y - P @ p.X) ** 2)
    reduced = loss(p, p.to_reduced(Ws), flow="reduced")
    assert reduced == pytest.approx(direct, rel=1e-11, abs=1e-11)
    assert loss(p, Ws, flow="original") == pytest.approx(direct, rel=1e-11, abs=1e-11)
    back = p.to_original(p.to_reduced(Ws))
    for a, b in zip(back, Ws, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


def test_from_spectrum_is_whitened_and_sorted():
    p = Problem.from_spectrum([3.0, 5.0, 1.0], dx=4, widths=(3,))
    np.testing.assert_array_equal(p.singular_values, [5.0, 3.0, 1.0])
    assert p.is_whitened and p.offset == 0.0 and p.m == 4
    np.testing.assert_array_equal(p.w_ls, p.sigma)
    assert p.assumption4 is True


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (
            lambda: Problem.random(5, 2, 3, (2,)),
            "Assumption 1 needs m >= dx >= dy; got m = 3 < dx = 5",
        ),
        (lambda: Problem.random(2, 3, 9, (3,)), "dx = 2 < dy = 3"),
        (
            lambda: Problem.random(4, 3, 9, (3, 2)),
            "Assumption 1 needs min(d_1, ..., d_H) >= dy; got d_2 = 2",
        ),
        (lambda: Problem.random(4, 2, 9, ()), "H = 0"),
        (lambda: Problem.random(4, 2, 9, 3), "widths must be a sequence"),
        (lambda: Problem.from_data(np.ones((3, 5)), np.ones((1, 5)), (1,)), "Assumption 2"),
        (lambda: Problem.from_data(np.eye(3, 5), np.zeros((2, 5)), (2,)), "Assumption 2"),
        (lambda: Problem.from_data(np.eye(3, 5), np.eye(2, 5), (2,)), "Assumption 3"),
        (lambda: Problem.from_spectrum([2.0, 2.0], 3, (2,)), "Assumption 3"),
        (lambda: Problem.from_spectrum([2.0, -1.0], 3, (2,)), "s_i > 0"),
        (lambda: Problem.from_spectrum([2.0, 1.0], 1, (2,)), "dx = 1 < dy = 2"),
        (
            lambda: Problem.from_data(np.ones((3, 5)), np.ones((2, 4)), (2,)),
            "same number of columns",
        ),
        (lambda: Problem.from_data(np.ones(5), np.ones((1, 5)), (1,)), "2-D"),
        (lambda: Problem.from_data([[1.0, np.nan, 2.0]], [[1.0, 2.0, 3.0]], (1,)), "non-finite"),
        (
            lambda: Problem.from_data([[1.0, np.inf, 2.0]], [[1.0, 2.0, 3.0]], (1,)),
            "row 0, column 1",
        ),
        (lambda: Problem.from_data([["a", "b"]], [[1.0, 2.0]], (1,)), "numeric"),
        (lambda: Problem.from_spectrum([np.nan], 3, (2,)), "finite"),
    ],
)
def test_every_problem_error_names_what_is_wrong(call, fragment):
    with pytest.raises(ProblemError) as err:
        call()
    assert fragment in str(err.value)


def test_assumption3_message_states_tolerance():
    with pytest.raises(ProblemError, match=r"tolerance 1e-08"):
        Problem.from_spectrum([2.0, 2.0 * (1 - 1e-12)], 3, (2,))


def test_assumption4_is_a_property_not_an_error():
    # 3^2 + 4^2 = 5^2: subsets {3, 4} and {5} give the same critical value.
    p = Problem.from_spectrum([5.0, 4.0, 3.0], 3, (3,))
    assert p.assumption4 is False
    assert Problem.from_spectrum([5.0, 4.0, 2.0], 3, (3,)).assumption4 is True


def test_weights_shape_is_checked():
    p = Problem.from_spectrum([2.0, 1.0], 3, (2,))
    with pytest.raises(ValueError, match=r"W_1 must have shape \(2, 3\)"):
        loss(p, (np.zeros((3, 2)), np.zeros((2, 2))))
    with pytest.raises(ValueError, match="expected 2 weight matrices"):
        loss(p, (np.zeros((2, 3)),))
    with pytest.raises(ValueError, match="flow must be one of"):
        loss(p, (np.zeros((2, 3)), np.zeros((2, 2))), flow="sideways")
