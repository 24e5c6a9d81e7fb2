import itertools
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from app.limits import MAX_PARAMS, MAX_WIDTH
from app.state import AppState, Point, StateError, decode, encode, from_mapping

from_controls = from_mapping

finite = st.floats(allow_nan=False, allow_infinity=False)


@st.composite
def states(draw):
    source = draw(st.sampled_from(["spectrum", "random"]))
    dy = draw(st.integers(1, 4))
    spectrum = tuple(
        sorted(
            draw(st.lists(st.floats(0.01, 100.0), min_size=dy, max_size=dy, unique=True)),
            reverse=True,
        )
    )
    if any(a - b <= 1e-6 * spectrum[0] for a, b in itertools.pairwise(spectrum)):
        spectrum = tuple(float(dy - k) for k in range(dy))
    dx = draw(st.integers(dy, 8))
    depth = draw(st.integers(1, 3))
    widths = tuple(draw(st.lists(st.integers(dy, 8), min_size=1, max_size=1)))
    return AppState(
        source=source,
        spectrum=spectrum,
        dx=dx,
        dy=dy,
        m=draw(st.integers(dx, 50)),
        depth=depth,
        widths=widths,
        data_seed=draw(st.integers(0, 2**31 - 1)),
        init_kind=draw(st.sampled_from(["gaussian", "balanced", "orthogonal"])),
        init_scale=draw(st.floats(1e-8, 10.0)),
        init_seed=draw(st.integers(0, 1000)),
        flow=draw(st.sampled_from(["reduced", "original"])),
        algorithm=draw(st.sampled_from(["flow", "gd", "momentum"])),
        eta=draw(st.floats(0.01, 1.0)),
        momentum=draw(st.floats(0.0, 0.99)),
        t_max=draw(st.floats(0.01, 1000.0)),
        rtol=draw(st.floats(1e-12, 1e-3)),
        loss_axis=draw(st.sampled_from(["log", "linear"])),
        point=draw(st.sampled_from(["limit", "plateau-1", "plateau-7", "rung-1", "rung-"])),
        present=draw(st.booleans()),
    )


@settings(max_examples=200, deadline=None)
@given(states())
def test_url_round_trip_is_exact(state):
    decoded, notices = decode(encode(state))
    assert notices == [] and decoded == state


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_decoding_any_string_yields_a_valid_state(text):
    state, notices = decode(text)
    assert isinstance(state, AppState)
    assert state.n_params <= MAX_PARAMS and state.dx >= state.effective_dy
    assert isinstance(notices, list)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "dx",
                "dy",
                "m",
                "depth",
                "widths",
                "t_max",
                "eta",
                "init_scale",
                "spectrum",
                "rtol",
                "flow",
            ]
        ),
        st.one_of(st.text(max_size=12), finite.map(str), st.integers().map(str)),
        max_size=5,
    )
)
def test_decoding_random_parameters_always_valid(params):
    query = "?" + "&".join(f"{k}={v}" for k, v in params.items())
    state, _ = decode(query)
    AppState(**{k: getattr(state, k) for k in state.to_dict()})  # re-validates


def test_bad_link_notices_name_the_parameter():
    state, notices = decode("?dx=abc&t_max=-1&zzz=1&depth=3")
    assert state.depth == 3 and state.dx == AppState().dx
    text = " ".join(notices)
    assert "dx" in text and "t_max must be a number in [0.01, 100000]" in text and "zzz" in text


def test_inconsistent_link_resets_the_offending_field():
    state, notices = decode("?spectrum=5,4,3,2,1&dx=3")
    assert state.dx >= state.effective_dy and notices


def test_controls_out_of_range_rejected_with_range():
    state, errors = from_controls({"dx": "500"})
    assert state is None and errors["dx"] == "dx must be an integer in [1, 24]; got 500"
    state, errors = from_controls({"widths": "2", "spectrum": "3, 2, 1"})
    assert state is None and f"[3, {MAX_WIDTH}]" in errors["widths"]
    state, errors = from_controls({"widths": str(MAX_WIDTH), "depth": "5", "dx": "24"})
    assert state is None and "interactive limit" in errors["widths"]
    state, errors = from_controls({"algorithm": "gd", "eta": "1e-6"})
    assert state is None and "eta" in errors
    state, errors = from_controls({"init_scale": "nan"})
    assert state is None and "init_scale" in errors
    state, errors = from_controls({"spectrum": "2, 2"})
    assert state is None and "distinct" in errors["spectrum"]


def test_state_validates_on_construction():
    try:
        AppState(dx=0)
    except StateError as err:
        assert err.field == "dx"
    else:
        raise AssertionError("dx = 0 accepted")
    assert math.isclose(AppState().init_scale, 0.01)


def test_discrete_run_cost_is_estimated_and_refused_before_running():
    state, errors = from_controls(
        {
            "algorithm": "gd",
            "eta": "0.001",
            "t_max": "200",
            "widths": "32",
            "dx": "24",
            "depth": "1",
        }
    )
    assert state is None and "interactive budget" in errors["eta"] and "raise eta" in errors["eta"]
    state, errors = from_controls({"algorithm": "gd", "eta": "0.01", "t_max": "200"})
    assert state is not None and errors == {}


def test_points_parse_once_and_refuse_garbage():
    assert Point.parse("limit") == Point()
    assert Point.parse("plateau-3") == Point("plateau", index=3)
    assert Point.parse("rung-3,1") == Point("rung", subset=(1, 3)) and str(Point("rung")) == "rung-"
    for bad in ("plateau-0", "plateau-x", "rung-a", "saddle-1", "limitless", ""):
        try:
            Point.parse(bad)
        except StateError as err:
            assert (err.field == "point" and "point must be" in str(err)) or "start at 1" in str(
                err
            )
        else:
            raise AssertionError(f"accepted {bad!r}")
    state, notices = decode("?point=rung-1,5")  # dy = 3
    assert state.point == Point() and any("point" in n for n in notices)


def test_modes_beyond_dy_are_refused_not_redrawn():
    state, notices = decode("?modes=1,5")
    assert state.modes == (1, 2) and any(
        "modes must be distinct numbers in [1, 3]" in n for n in notices
    )
    state, errors = from_controls({"modes": "1, 5"})
    assert state is None and "modes must be distinct numbers in [1, 3]" in errors["modes"]


def test_momentum_runs_are_costed_on_their_own_time_axis():
    # t = k eta / (1 - beta): reaching t_max = 200 at eta 0.01, beta 0.9 takes 2,000 steps.
    state = AppState(algorithm="momentum", eta=0.01, momentum=0.9, t_max=200.0)
    assert state.discrete_steps == 2000
    assert AppState(algorithm="gd", eta=0.01, t_max=200.0).discrete_steps == 20_000
