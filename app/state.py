"""The app's state: one frozen dataclass, validated on construction, round-tripping through the URL.

Every setting lives in the query string; the same dataclass is the explorer's store, the
``state.json`` of an export and the ``--state`` of the command line. :func:`decode` never fails:
a malformed or out-of-range parameter falls back to its default with a notice naming it.
:func:`from_mapping` is the server-side check of values sent by the browser (or by anyone over
HTTP): it returns the state, or a message per field naming the allowed range.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import parse_qsl, urlencode

import core
from app import limits
from app.fields import FieldError, Parser, choice, flag, integer, listed, number
from core.descent import time_per_step

__all__ = [
    "ALGORITHMS",
    "COMPARISONS",
    "DATASETS",
    "FOCUS",
    "INIT_KINDS",
    "LOSS_AXES",
    "PROJECTIONS",
    "SLICE_DIRECTIONS",
    "SLICE_KINDS",
    "SOURCES",
    "AppState",
    "Point",
    "StateError",
    "decode",
    "encode",
    "from_mapping",
]

StateError = FieldError  # an invalid setting; ``field`` names the control it belongs to

SOURCES = ("spectrum", "random", "upload", "dataset")
DATASETS = tuple(core.datasets.DATASETS)  # data sets from the literature, by name
# The starts of core.init_weights, and "manifold": a start on the stable manifold of the saddle
# of type manifold_subset (core.stable_manifold_init).
INIT_KINDS = (*core.INIT_KINDS, "manifold")
PROJECTIONS = ("modes", "scalar", "pca")
COMPARISONS = ("none", "seeds", "scales", "flows")
SLICE_DIRECTIONS = ("hessian", "to_end", "to_minimum", "random")
SLICE_KINDS = ("contour", "surface")
ALGORITHMS = ("flow", "gd", "momentum")
LOSS_AXES = ("log", "linear")
# The panel beside L(t) in the first row (the others follow below it).
FOCUS = ("trajectory", "curvature", "outputs")


@dataclass(frozen=True)
class Point:
    """The point the Hessian panel analyses: the run's limit, its plateau number ``index``
    (1-based, in time order), or the constructed critical point of the rung ``subset`` (1-based
    modes). Written ``limit``, ``plateau-2``, ``rung-1,3`` (``rung-`` is the rung {})."""

    kind: str = "limit"
    index: int = 0
    subset: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in ("limit", "plateau", "rung"):
            raise FieldError(
                "point", f"point kind must be limit, plateau or rung; got {self.kind!r}"
            )
        if self.kind == "plateau" and self.index < 1:
            raise FieldError("point", f"plateau numbers start at 1; got {self.index}")
        if self.kind == "rung" and (
            list(self.subset) != sorted(set(self.subset)) or any(i < 1 for i in self.subset)
        ):
            raise FieldError("point", "a rung's modes are distinct 1-based numbers, ascending")

    def __str__(self) -> str:
        if self.kind == "plateau":
            return f"plateau-{self.index}"
        if self.kind == "rung":
            return "rung-" + ",".join(str(i) for i in self.subset)
        return "limit"

    @classmethod
    def parse(cls, raw: Any) -> Point:
        if isinstance(raw, Point):
            return raw
        text = str(raw).strip()
        bad = FieldError(
            "point", "point must be 'limit', 'plateau-K' (K = 1, 2, ...) or 'rung-1,2'"
        )
        if text == "limit":
            return cls()
        kind, sep, rest = text.partition("-")
        if not sep or kind not in ("plateau", "rung"):
            raise bad
        try:
            if kind == "plateau":
                return cls("plateau", index=int(rest))
            modes = tuple(sorted({int(i) for i in rest.split(",") if i.strip()}))
            return cls("rung", subset=modes)
        except ValueError:
            raise bad from None

    @property
    def zero_based(self) -> tuple[int, ...]:
        """The rung's subset as core takes it (0-based)."""
        return tuple(i - 1 for i in self.subset)


def _preset(raw: Any) -> str:
    text = str(raw)
    if len(text) > 40 or not all(c.isalnum() or c in "-_" for c in text):
        raise FieldError("preset", "preset must be a preset name")
    return text


def _hash(raw: Any) -> str:
    text = str(raw).strip().lower()
    if text and (len(text) != 64 or any(c not in "0123456789abcdef" for c in text)):
        raise FieldError("data_hash", "data must be the SHA-256 (64 hex digits) of an upload")
    return text


L = limits
# Field name -> parser. The URL keys are the field names.
PARSERS: dict[str, Parser] = {
    "source": choice("source", SOURCES),
    "spectrum": listed("spectrum", number("s_i", 1e-3, 1e3), 1, L.MAX_DY),
    "dx": integer("dx", 1, L.MAX_DX),
    "dy": integer("dy", 1, L.MAX_DY),
    "m": integer("m", 1, L.MAX_M),
    "depth": integer("H", 1, L.MAX_DEPTH, field="depth"),
    "widths": listed("widths", integer("width", 1, L.MAX_WIDTH), 1, L.MAX_DEPTH),
    "data_seed": integer("data seed", 0, L.MAX_SEED, field="data_seed"),
    "dataset": choice("data set", DATASETS, field="dataset"),
    "init_kind": choice("init kind", INIT_KINDS, field="init_kind"),
    "init_scale": number("init scale", 1e-8, 10.0, field="init_scale"),
    "init_seed": integer("init seed", 0, L.MAX_SEED, field="init_seed"),
    "flow": choice("flow", core.FLOWS),
    "algorithm": choice("algorithm", ALGORITHMS),
    "eta": number("eta", 1e-6, 1.0),
    "momentum": number("momentum", 0.0, 0.99),
    "t_max": number("t_max", 0.01, L.MAX_T),
    "rtol": number("rtol", 1e-12, 1e-3),
    "loss_axis": choice("loss axis", LOSS_AXES, field="loss_axis"),
    "focus": choice("panel beside L(t)", FOCUS, field="focus"),
    "point": Point.parse,
    "projection": choice("projection", PROJECTIONS),
    "modes": listed("modes", integer("mode", 1, L.MAX_DEPTH + 1), 2, 3),
    "compare": choice("compare", COMPARISONS),
    "slice_dirs": choice("slice directions", SLICE_DIRECTIONS, field="slice_dirs"),
    "slice_extent": number("slice extent", 1e-4, 10.0, field="slice_extent"),
    "slice_kind": choice("slice kind", SLICE_KINDS, field="slice_kind"),
    "manifold_subset": listed(
        "manifold subset", integer("mode", 1, L.MAX_DY), 0, L.MAX_DY, field="manifold_subset"
    ),
    "perturbation": number("perturbation", 0.0, 1.0),
    "present": flag("present"),
    "step": integer("step", 0, 20),
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
    dataset: str = "semantic"
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
    focus: str = "trajectory"
    point: Point = Point()
    projection: str = "modes"
    modes: tuple[int, ...] = (1, 2)
    compare: str = "none"
    slice_dirs: str = "hessian"
    slice_extent: float = 0.5
    slice_kind: str = "contour"
    manifold_subset: tuple[int, ...] = (1,)
    perturbation: float = 0.0
    present: bool = False
    step: int = 0
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
        if self.effective_dx < dy:
            raise StateError("dx", f"dx must be in [dy, {L.MAX_DX}] = [{dy}, {L.MAX_DX}]")
        if self.source == "upload" and not self.data_hash:
            raise StateError("data_hash", "upload X and Y first (source 'upload' needs data)")
        if self.source in ("random", "upload") and self.m < self.dx:
            raise StateError("m", f"m must be in [dx, {L.MAX_M}] = [{self.dx}, {L.MAX_M}]")
        if len(self.widths) not in (1, self.depth):
            raise StateError("widths", f"give one width or H = {self.depth} widths")
        if min(self.widths) < dy:
            raise StateError(
                "widths",
                f"every width must be in [dy, {L.MAX_WIDTH}] = [{dy}, {L.MAX_WIDTH}] "
                "(Assumption 1)",
            )
        top = self.depth + 1 if self.projection == "scalar" else dy
        what = "layers" if self.projection == "scalar" else "modes"
        bad = any(k > top for k in self.modes) or len(set(self.modes)) < len(self.modes)
        if bad and top >= 2:  # with one mode there is no pair to choose: the view says so
            raise StateError("modes", f"{what} must be distinct numbers in [1, {top}]")
        if any(k > dy for k in self.manifold_subset):
            raise StateError("manifold_subset", f"manifold subset values must be in [1, {dy}]")
        if self.point.kind == "rung" and any(k > dy for k in self.point.subset):
            raise StateError("point", f"a rung's modes must be in [1, {dy}]")
        if self.n_params > L.MAX_PARAMS:
            raise StateError(
                "widths",
                f"the network has {self.n_params} parameters; the interactive limit is "
                f"{L.MAX_PARAMS}",
            )
        self._check_discrete_cost()

    def _check_discrete_cost(self) -> None:
        if self.algorithm == "flow":
            return
        steps = self.discrete_steps
        if steps > L.MAX_GD_STEPS:
            raise StateError(
                "eta",
                f"the discrete run needs {steps} steps; at most {L.MAX_GD_STEPS}: raise eta to at "
                f"least {self.eta * steps / L.MAX_GD_STEPS:.3g} or lower t_max",
            )
        work = steps * self.n_params
        if work > L.MAX_GD_WORK:
            raise StateError(
                "eta",
                f"the discrete run needs about {work:.2g} step-parameter updates; the interactive "
                f"budget is {L.MAX_GD_WORK:.0e}: raise eta to at least "
                f"{self.eta * work / L.MAX_GD_WORK:.3g}, lower t_max, or use a smaller network",
            )

    @property
    def effective_dy(self) -> int:
        if self.source == "dataset":
            return int(core.datasets.load(self.dataset).Y.shape[0])
        return len(self.spectrum) if self.source == "spectrum" else self.dy

    @property
    def effective_dx(self) -> int:
        """dx of the problem: the data set's own for a data set, else the dx field."""
        if self.source == "dataset":
            return int(core.datasets.load(self.dataset).X.shape[0])
        return self.dx

    @property
    def hidden_widths(self) -> tuple[int, ...]:
        return self.widths * self.depth if len(self.widths) == 1 else self.widths

    @property
    def n_params(self) -> int:
        dims = (self.effective_dx, *self.hidden_widths, self.effective_dy)
        return sum(dims[j] * dims[j + 1] for j in range(len(dims) - 1))

    @property
    def discrete_momentum(self) -> float:
        return self.momentum if self.algorithm == "momentum" else 0.0

    @property
    def discrete_steps(self) -> int:
        """Steps of the discrete run to reach t_max (momentum: t = k eta / (1 - beta))."""
        dt = time_per_step(self.eta, self.discrete_momentum)
        return max(1, round(self.t_max / dt))

    def replace(self, **changes: Any) -> AppState:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (tuples as lists, the point as its text)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = list(v) if isinstance(v, tuple) else str(v) if isinstance(v, Point) else v
        return out


def _to_text(value: Any) -> str:
    if isinstance(value, tuple | list):
        return ",".join(_to_text(v) for v in value)
    if isinstance(value, bool):
        return "1" if value else "0"
    return repr(value) if isinstance(value, float) else str(value)


def encode(state: AppState) -> str:
    """The query string (with leading '?') holding every field; floats are exact (repr)."""
    return "?" + urlencode(
        {f.name: _to_text(getattr(state, f.name)) for f in fields(state)}, safe=","
    )


def from_mapping(
    raw: Mapping[str, Any], base: AppState | None = None
) -> tuple[AppState | None, dict[str, str]]:
    """Build a state from raw values (strings or numbers) over ``base``: (state or None, a
    message per bad field)."""
    values = (base or AppState()).to_dict()
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


def decode(query: str | None) -> tuple[AppState, list[str]]:
    """Never fails: bad parameters fall back to defaults, each with a notice naming it."""
    pairs = parse_qsl((query or "").lstrip("?"), keep_blank_values=True)
    notices: list[str] = []
    default = AppState()
    values = default.to_dict()
    for key, val in pairs[:64]:
        if key not in PARSERS:
            notices.append(f"ignored unknown parameter {key[:40]!r}")
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
            if field is None or values[field] == getattr(default, field):
                break
            notices.append(f"reset {field} to its default: {err}")
            values[field] = getattr(default, field)
    notices.append("the link's settings do not fit together; showing the default view")
    return default, notices
