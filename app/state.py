"""The app's state: one frozen dataclass, validated on construction, round-tripping through the URL.

Every setting lives in the query string. :func:`decode` never fails: a malformed or out-of-range
parameter falls back to its default and yields a notice naming it. :func:`from_controls` is the
server-side check of values sent by the browser (or by anyone over HTTP): it returns the state, or
a message per field naming the allowed range.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import parse_qsl, urlencode

SOURCES = ("spectrum", "random", "upload")
# "layered": Gaussian with layer scales growing towards the output (Proposition 2's regime);
# "manifold": a start on the stable manifold of the saddle of type manifold_subset.
INIT_KINDS = ("gaussian", "balanced", "orthogonal", "layered", "manifold")
PROJECTIONS = ("modes", "scalar", "pca")
COMPARISONS = ("none", "seeds", "scales", "flows")
SLICE_DIRECTIONS = ("hessian", "to_end", "to_minimum", "random")
SLICE_KINDS = ("contour", "surface")
FLOWS = ("reduced", "original")
ALGORITHMS = ("flow", "gd", "momentum")
LOSS_AXES = ("log", "linear")

# Interactive limits, enforced on the server. They keep one request within about a second.
MAX_DY = 6  # 2^6 = 64 rungs on the ladder.
MAX_DX = 24
MAX_M = 2000
MAX_DEPTH = 5
MAX_WIDTH = 32
MAX_PARAMS = 1500  # Dense Hessians of 1,500 parameters take ~0.3 s to diagonalise.
MAX_GD_STEPS = 200_000  # t_max / eta for the discrete runs.
# Work of a discrete run, steps x parameters: one step costs ~3 products per layer, so 2e7 is
# about 5 s on these machines. Estimated before anything is allocated.
MAX_GD_WORK = 20_000_000
MAX_SEED = 2**32 - 1  # seeds spawned by sweeps are 32-bit


class StateError(ValueError):
    """An invalid setting; ``field`` names the control it belongs to."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _int(name: str, lo: int, hi: int) -> Callable[[Any], int]:
    def parse(raw: Any) -> int:
        try:
            val = float(raw)
        except (TypeError, ValueError):
            raise StateError(name, f"{name} must be an integer in [{lo}, {hi}]") from None
        if not math.isfinite(val) or val != int(val) or not lo <= val <= hi:
            raise StateError(name, f"{name} must be an integer in [{lo}, {hi}]; got {raw}")
        return int(val)

    return parse


def _float(name: str, lo: float, hi: float) -> Callable[[Any], float]:
    def parse(raw: Any) -> float:
        try:
            val = float(raw)
        except (TypeError, ValueError):
            raise StateError(name, f"{name} must be a number in [{lo:g}, {hi:g}]") from None
        if not math.isfinite(val) or not lo <= val <= hi:
            raise StateError(name, f"{name} must be a number in [{lo:g}, {hi:g}]; got {raw}")
        return val

    return parse


def _choice(name: str, options: tuple[str, ...]) -> Callable[[Any], str]:
    def parse(raw: Any) -> str:
        if raw not in options:
            raise StateError(name, f"{name} must be one of {', '.join(options)}; got {raw!r}")
        return str(raw)

    return parse


def _list(name: str, item: Callable[[Any], Any], lo: int, hi: int) -> Callable[[Any], tuple]:
    def parse(raw: Any) -> tuple:
        parts = raw if isinstance(raw, list | tuple) else str(raw).replace(";", ",").split(",")
        parts = [p for p in (str(x).strip() for x in parts) if p and p not in "{}"]
        if not lo <= len(parts) <= hi:
            raise StateError(name, f"{name} needs {lo} to {hi} comma-separated values")
        try:
            return tuple(item(p) for p in parts)
        except StateError as err:
            raise StateError(name, f"{name}: {err}") from None

    return parse


def _preset(raw: Any) -> str:
    text = str(raw)
    if len(text) > 40 or not all(c.isalnum() or c in "-_" for c in text):
        raise StateError("preset", "preset must be a preset name")
    return text


def _hash(raw: Any) -> str:
    text = str(raw).strip().lower()
    if text and (len(text) != 64 or any(c not in "0123456789abcdef" for c in text)):
        raise StateError("data_hash", "data must be the SHA-256 (64 hex digits) of an upload")
    return text


def _point(raw: Any) -> str:
    text = str(raw)
    if text == "limit" or text.startswith(("plateau-", "rung-")):
        return text
    raise StateError("point", "point must be 'limit', 'plateau-K' or 'rung-1,2'")


# URL key -> (field name, parser). The URL keys are short; the fields are named for readers.
PARSERS: dict[str, Callable[[Any], Any]] = {
    "source": _choice("source", SOURCES),
    "spectrum": _list("spectrum", _float("s_i", 1e-3, 1e3), 1, MAX_DY),
    "dx": _int("dx", 1, MAX_DX),
    "dy": _int("dy", 1, MAX_DY),
    "m": _int("m", 1, MAX_M),
    "depth": _int("H", 1, MAX_DEPTH),
    "widths": _list("widths", _int("width", 1, MAX_WIDTH), 1, MAX_DEPTH),
    "data_seed": _int("data seed", 0, MAX_SEED),
    "init_kind": _choice("init kind", INIT_KINDS),
    "init_scale": _float("init scale", 1e-8, 10.0),
    "init_seed": _int("init seed", 0, MAX_SEED),
    "flow": _choice("flow", FLOWS),
    "algorithm": _choice("algorithm", ALGORITHMS),
    "eta": _float("eta", 1e-6, 1.0),
    "momentum": _float("momentum", 0.0, 0.99),
    "t_max": _float("t_max", 0.01, 1e5),
    "rtol": _float("rtol", 1e-12, 1e-3),
    "loss_axis": _choice("loss axis", LOSS_AXES),
    "point": _point,
    "projection": _choice("projection", PROJECTIONS),
    "modes": _list("modes", _int("mode", 1, MAX_DY), 2, 3),
    "compare": _choice("compare", COMPARISONS),
    "slice_dirs": _choice("slice directions", SLICE_DIRECTIONS),
    "slice_extent": _float("slice extent", 1e-4, 10.0),
    "slice_kind": _choice("slice kind", SLICE_KINDS),
    "manifold_subset": _list("manifold subset", _int("mode", 1, MAX_DY), 0, MAX_DY),
    "perturbation": _float("perturbation", 0.0, 1.0),
    "preset": _preset,
    "data_hash": _hash,
}


@dataclass(frozen=True)
class AppState:
    """Everything that defines a view. Validated on construction (raises :class:`StateError`)."""

    source: str = "spectrum"
    spectrum: tuple[float, ...] = (4.0, 2.0, 1.0)
    dx: int = 4
    dy: int = 3
    m: int = 20
    depth: int = 2
    widths: tuple[int, ...] = (4,)
    data_seed: int = 0
    init_kind: str = "gaussian"
    init_scale: float = 0.01
    init_seed: int = 0
    flow: str = "reduced"
    algorithm: str = "flow"
    eta: float = 0.02
    momentum: float = 0.9
    t_max: float = 200.0
    rtol: float = 1e-8
    loss_axis: str = "log"
    point: str = "limit"
    projection: str = "modes"
    modes: tuple[int, ...] = (1, 2)
    compare: str = "none"
    slice_dirs: str = "hessian"
    slice_extent: float = 0.5
    slice_kind: str = "contour"
    manifold_subset: tuple[int, ...] = (1,)
    perturbation: float = 0.0
    preset: str = ""
    data_hash: str = ""

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, PARSERS[f.name](getattr(self, f.name)))
        dy = self.effective_dy
        if self.source == "spectrum":
            s = sorted(self.spectrum, reverse=True)
            if any(a - b <= 1e-6 * s[0] for a, b in itertools.pairwise(s)):
                raise StateError("spectrum", "spectrum values must be distinct (Assumption 3)")
        if self.dx < dy:
            raise StateError("dx", f"dx must be in [dy, {MAX_DX}] = [{dy}, {MAX_DX}]")
        if self.source == "upload" and not self.data_hash:
            raise StateError("data_hash", "upload X and Y first (source 'upload' needs data)")
        if self.source != "spectrum" and self.m < self.dx:
            raise StateError("m", f"m must be in [dx, {MAX_M}] = [{self.dx}, {MAX_M}]")
        if len(self.widths) not in (1, self.depth):
            raise StateError("widths", f"give one width or H = {self.depth} widths")
        if min(self.widths) < dy:
            raise StateError(
                "widths",
                f"every width must be in [dy, {MAX_WIDTH}] = [{dy}, {MAX_WIDTH}] (Assumption 1)",
            )
        if any(k > dy for k in self.manifold_subset):
            raise StateError("manifold_subset", f"manifold subset values must be in [1, {dy}]")
        if self.n_params > MAX_PARAMS:
            raise StateError(
                "widths",
                f"the network has {self.n_params} parameters; the "
                f"interactive limit is {MAX_PARAMS}",
            )
        work = self.t_max / self.eta * self.n_params
        if (
            self.algorithm != "flow"
            and work > MAX_GD_WORK
            and self.t_max / self.eta <= MAX_GD_STEPS
        ):
            raise StateError(
                "eta",
                f"the discrete run needs about {work:.2g} step-parameter "
                f"updates; the interactive budget is {MAX_GD_WORK:.0e}: "
                f"raise eta to at least {self.t_max * self.n_params / MAX_GD_WORK:.3g}, "
                "lower t_max, or use a smaller network",
            )
        if self.algorithm != "flow" and self.t_max / self.eta > MAX_GD_STEPS:
            raise StateError(
                "eta",
                f"t_max / eta = {self.t_max / self.eta:.0f} steps; at most "
                f"{MAX_GD_STEPS}: raise eta to at least "
                f"{self.t_max / MAX_GD_STEPS:.3g} or lower t_max",
            )

    @property
    def effective_dy(self) -> int:
        return len(self.spectrum) if self.source == "spectrum" else self.dy

    @property
    def hidden_widths(self) -> tuple[int, ...]:
        return self.widths * self.depth if len(self.widths) == 1 else self.widths

    @property
    def n_params(self) -> int:
        dims = (self.dx, *self.hidden_widths, self.effective_dy)
        return sum(dims[j] * dims[j + 1] for j in range(len(dims) - 1))

    def replace(self, **changes: Any) -> AppState:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v)
            for f in fields(self)
        }


def _to_text(value: Any) -> str:
    if isinstance(value, tuple | list):
        return ",".join(_to_text(v) for v in value)
    return repr(value) if isinstance(value, float) else str(value)


def encode(state: AppState) -> str:
    """The query string (with leading '?') holding every field; floats are exact (repr)."""
    return "?" + urlencode(
        {f.name: _to_text(getattr(state, f.name)) for f in fields(state)}, safe=","
    )


def from_mapping(
    raw: Mapping[str, Any], base: AppState | None = None
) -> tuple[AppState | None, dict[str, str]]:
    """Build a state from raw values (strings or numbers); returns (state or None, errors)."""
    base = base or AppState()
    values = base.to_dict()
    errors: dict[str, str] = {}
    for key, val in raw.items():
        if key not in PARSERS:
            errors[key] = f"unknown setting {key!r}"
            continue
        try:
            values[key] = PARSERS[key](val)
        except StateError as err:
            errors[key] = str(err)
    if errors:
        return None, errors
    try:
        return AppState(**values), {}
    except StateError as err:
        return None, {err.field: str(err)}


def from_controls(raw: Mapping[str, Any]) -> tuple[AppState | None, dict[str, str]]:
    """Server-side validation of control values: the state, or a message per bad field."""
    return from_mapping(raw)


def decode(query: str | None) -> tuple[AppState, list[str]]:
    """Never fails: bad parameters fall back to defaults, each with a notice naming it."""
    pairs = parse_qsl((query or "").lstrip("?"), keep_blank_values=True)
    notices: list[str] = []
    values = AppState().to_dict()
    for key, val in pairs[:64]:
        if key not in PARSERS:
            notices.append(f"ignored unknown parameter {key!r}")
            continue
        try:
            values[key] = PARSERS[key](val)
        except StateError as err:
            notices.append(f"ignored {key}={val[:40]!r}: {err}")
    for _ in range(len(values)):
        try:
            return AppState(**values), notices
        except StateError as err:
            field = err.field if err.field in values else None
            if field is None or values[field] == getattr(AppState(), field):
                break
            notices.append(f"reset {field} to its default: {err}")
            values[field] = getattr(AppState(), field)
    notices.append("the link's settings do not fit together; showing the default view")
    return AppState(), notices
