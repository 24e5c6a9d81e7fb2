"""Requests a visitor can make, built from the app's own callback list (``/_dash-dependencies``):
each server callback called with awkward values in each of its inputs, as a browser would send
them, plus hand-made bodies. Shared by the in-process test and the fault suite (real gunicorn).
"""

from __future__ import annotations

import base64
import io
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from app.state import AppState, encode

# What a visitor can type into a text field (or send in its place).
AWKWARD = ["1e999", "inf", "-inf", "nan", "", " ", "-1", "1e308", "0x10", "1,2,3" * 50, None, 1e308]
# An upload link whose data is not on this server (expired, or from another instance).
EXPIRED = AppState(source="upload", dx=3, dy=2, m=10, widths=(2,), data_hash="ab" * 32)
EXPIRED_QUERY = encode(EXPIRED)
# Background jobs start processes: they get fewer values.
BACKGROUND_VALUES = ["1e999", "inf", "nan", ""]
SKIP = ("_pages_",)  # Dash's own page routing


def _outputs(output: str) -> Any:
    """The ``outputs`` field of a request for the callback named ``output``."""
    parts = output.strip(".").split("...") if output.startswith("..") else [output]
    out = []
    for part in parts:
        ident, _, prop = part.partition("@")[0].rpartition(".")
        out.append({"id": ident, "property": prop})
    return out if output.startswith("..") else out[0]


def body(dep: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A callback request for ``dep`` with ``values`` ({"id.property": value}); every other
    input and state is None, and the first input is the trigger."""

    def items(specs: list[dict[str, str]]) -> list[dict[str, Any]]:
        return [{**s, "value": values.get(f"{s['id']}.{s['property']}")} for s in specs]

    first = dep["inputs"][0]
    return {
        "output": dep["output"],
        "outputs": _outputs(dep["output"]),
        "inputs": items(dep["inputs"]),
        "state": items(dep["state"]),
        "changedPropIds": [f"{first['id']}.{first['property']}"],
    }


def _npz(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> str:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return "data:application/octet-stream;base64," + base64.b64encode(buf.getvalue()).decode()


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def malformed_uploads() -> list[tuple[str, str]]:
    """(file name, Dash upload contents) of broken or hostile NPZ files."""
    X, Y = np.ones((10, 3)), np.ones((10, 2))
    good = {"X.npy": _npy(X), "Y.npy": _npy(Y)}
    header = _npy(X)[:128]
    return [
        ("two.npz", _npz({**good, "X": _npy(np.ones((4000, 3)))})),  # X and X.npy
        ("extra.npz", _npz({**good, "Z.npy": _npy(X)})),
        ("bz.npz", _npz(good, zipfile.ZIP_BZIP2)),
        ("lz.npz", _npz(good, zipfile.ZIP_LZMA)),
        ("short.npz", _npz({"X.npy": header, "Y.npy": _npy(Y)})),  # truncated data
        ("magic.npz", _npz({"X.npy": b"\x93NUMPY\x09\x00" + b"x" * 50, "Y.npy": _npy(Y)})),
        ("empty.npz", _npz({})),
        ("notzip.npz", "data:application/octet-stream;base64," + base64.b64encode(b"PK").decode()),
        ("nob64.npz", "data:application/octet-stream;base64,@@@"),
        ("dir.npz", _npz({"X.npy/": b"", "Y.npy": _npy(Y)})),
        ("obj.npz", _npz({"X.npy": _npy(np.array([[None]], dtype=object)), "Y.npy": _npy(Y)})),
    ]


def requests(deps: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(what, body) of every request of the fuzz."""
    for dep in deps:
        if dep.get("clientside_function") or any(s in dep["output"] for s in SKIP):
            continue
        fields = [f"{s['id']}.{s['property']}" for s in dep["inputs"] + dep["state"]]
        background = bool(dep.get("background"))
        base = {f: 1 if f.endswith("n_clicks") else None for f in fields}
        for f in fields:
            if f.endswith("search"):
                base[f] = EXPIRED_QUERY if not background else encode(AppState())
            if f.endswith("state-store.data"):
                base[f] = EXPIRED_QUERY
        yield f"{dep['output'][:40]} with defaults", body(dep, base)
        for f in fields:
            if f.endswith("n_clicks") or f.endswith("search") or f.endswith(".data"):
                continue
            for value in BACKGROUND_VALUES if background else AWKWARD:
                yield f"{dep['output'][:40]} {f}={value!r}", body(dep, {**base, f: value})
        if any(f == "upload-data.contents" for f in fields):
            for name, contents in malformed_uploads():
                values = {**base, "upload-data.contents": [contents]}
                values["upload-data.filename"] = [name]
                yield f"upload {name}", body(dep, values)
    yield "unknown callback", {"output": "nope.children", "inputs": [], "state": []}
    yield "inputs not a list", {"output": deps[0]["output"], "inputs": 3}


def server_errors(post: Callable[[dict[str, Any]], int], deps: list[dict[str, Any]]) -> list[str]:
    """Every fuzz request ``post`` (body -> HTTP status) answered with a 5xx."""
    return [f"{what}: {status}" for what, b in requests(deps) if (status := post(b)) >= 500]
