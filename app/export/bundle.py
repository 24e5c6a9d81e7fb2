"""Reproducible bundles: figures, the data behind each, and ``state.json``.

``state.json`` holds the same dataclass as the URL (schema version STATE_SCHEMA) and the versions
of linflow, numpy and scipy. Exporting again from it regenerates identical data (same machine and
versions): the computation is seeded and deterministic, and floats are written with repr.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np
import plotly.graph_objects as go
import scipy

from app.compute import VERSION
from app.export.exporter import ExportError, export_image, mathjax_path, start_exporter
from app.export.style import FONTS, FORMATS, SIZES, paper_style
from app.state import AppState, decode, from_mapping
from app.views import VIEWS
from app.views import figures as draw_figures

STATE_SCHEMA = 1  # bump when AppState changes incompatibly; older files are refused by name
FIGURES = tuple(VIEWS)


class StateFileError(ValueError):
    """A state file or link that cannot be turned into a state."""


def state_document(state: AppState) -> dict[str, Any]:
    return {
        "schema": STATE_SCHEMA,
        "linflow_version": VERSION,
        "numpy_version": np.__version__,
        "scipy_version": scipy.__version__,
        "state": state.to_dict(),
    }


def load_state_file(spec: str) -> AppState:
    """A state from a ``state.json`` path, a linflow URL, a query string, or ``default``."""
    if spec == "default":
        return AppState()
    path = Path(spec)
    looks_like_link = spec.startswith("?") or "://" in spec or "=" in spec
    if spec.endswith(".json") or (not looks_like_link and path.is_file()):
        try:
            doc = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise StateFileError(f"cannot read state file {spec}: {exc}") from None
        schema = doc.get("schema") if isinstance(doc, dict) else None
        if schema != STATE_SCHEMA:
            raise StateFileError(
                f"{spec} has state schema {schema!r}; this linflow "
                f"({VERSION}) reads schema {STATE_SCHEMA}"
            )
        state, errors = from_mapping(doc.get("state", {}))
        if state is None:
            raise StateFileError(
                f"{spec} is not a valid state: " + "; ".join(f"{k}: {v}" for k, v in errors.items())
            )
        return state
    query = urlparse(spec).query if "://" in spec else spec
    state, notices = decode(query)
    if notices:
        raise StateFileError("the link has unusable parameters: " + "; ".join(notices))
    return state


def _values(v: Any) -> list[Any]:
    if v is None:
        return []
    arr = np.asarray(v, dtype=object)
    return [
        None if x is None else (float(x) if isinstance(x, int | float | np.number) else x)
        for x in arr.ravel()
    ]


def figure_data(fig: go.Figure) -> tuple[str, list[dict[str, Any]]]:
    """The numbers behind a figure: CSV (trace, x, y, z in long form) and a JSON-able list."""
    rows = ["trace,index,x,y,z"]
    traces = []
    for k, tr in enumerate(fig.data):
        name = str(tr.name or f"trace {k}").replace(",", ";")
        x, y = _values(getattr(tr, "x", None)), _values(getattr(tr, "y", None))
        z = getattr(tr, "z", None)
        zs = np.asarray(z, dtype=float) if z is not None else None
        traces.append(
            {
                "name": name,
                "type": tr.type,
                "x": x,
                "y": y,
                "z": None if zs is None else zs.tolist(),
            }
        )
        if zs is not None and zs.ndim == 2:
            for i, yv in enumerate(y):
                for j, xv in enumerate(x):
                    rows.append(f"{name},{i * len(x) + j},{xv!r},{yv!r},{float(zs[i, j])!r}")
            continue
        zflat = [] if zs is None else zs.ravel().tolist()
        for i in range(max(len(x), len(y))):
            cells = [
                x[i] if i < len(x) else "",
                y[i] if i < len(y) else "",
                zflat[i] if i < len(zflat) else "",
            ]
            rows.append(
                f"{name},{i},"
                + ",".join(
                    ""
                    if c is None
                    else repr(c)
                    if isinstance(c, float)
                    else str(c).replace(",", ";")
                    for c in cells
                )
            )
    return "\n".join(rows) + "\n", traces


def build_bundle(
    state: AppState,
    figures: Iterable[str] = FIGURES,
    fmt: str = "pdf",
    size: str = "single",
    font: str = "serif",
    dpi: int = 300,
    title: bool = False,
    deadline: float | None = None,
) -> dict[str, bytes]:
    """Files of an export: ``state.json`` and, per figure, the image, its CSV and its JSON."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}; got {fmt!r}")
    if size not in SIZES:
        raise ValueError(f"size must be one of {tuple(SIZES)}; got {size!r}")
    if font not in FONTS:
        raise ValueError(f"font must be one of {tuple(FONTS)}; got {font!r}")
    if not 50 <= dpi <= 1200:
        raise ValueError(f"dpi must be in [50, 1200]; got {dpi}")
    kinds = list(dict.fromkeys(figures))
    unknown = [k for k in kinds if k not in VIEWS]
    if unknown:
        raise ValueError(f"unknown figures {unknown}; choose from {FIGURES}")
    start_exporter()  # the browser boots in the background while the figures are computed
    files = {"state.json": json.dumps(state_document(state), indent=1).encode()}
    math = mathjax_path() is not None
    t0 = time.perf_counter()
    for kind, fig in draw_figures(state, kinds).items():
        if deadline is not None and time.perf_counter() - t0 > deadline:
            raise ExportError(
                f"the export took longer than {deadline:g} s; export fewer figures "
                "at once, or use `linflow export` from the command line"
            )
        csv, data = figure_data(fig)
        files[f"{kind}.csv"] = csv.encode()
        files[f"{kind}.json"] = json.dumps(
            {"figure": kind, "state": state.to_dict(), "traces": data}, indent=1
        ).encode()
        styled = paper_style(fig, kind, SIZES[size], font, math=math, title=title)
        files[f"{kind}.{fmt}"] = export_image(styled, fmt, dpi)
    return files


def zip_bundle(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()
