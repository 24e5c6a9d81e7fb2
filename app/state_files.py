"""``state.json``: the state of a view, with what is needed to regenerate and to cite it, and
the ``--state`` argument of the command line (a file, a link, a query string, a preset).

A state file holds the same dataclass as the URL (schema version STATE_SCHEMA) and provenance:
linflow's version (and git commit in a checkout), the Python, numpy, scipy, plotly, kaleido and
chromium versions, and whatever the writer adds (the solver used, export options). Reading one
back checks the versions and reports any that differ.
"""

from __future__ import annotations

import functools
import json
import platform
import shutil
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import core
from app.presets import PRESETS, state_from_query
from app.state import AppState, from_mapping

STATE_SCHEMA = 2  # bump when AppState changes incompatibly; older files are refused by name
VERSIONED = ("linflow", "python", "numpy", "scipy", "plotly", "kaleido", "chromium")


class StateFileError(ValueError):
    """A state file or link that cannot be turned into a state."""


def _package(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


@functools.cache
def _git_commit() -> str | None:
    """The commit of a source checkout (with "+dirty" for local changes), else None."""
    root = Path(__file__).resolve().parents[1]
    if not (root / ".git").exists() or shutil.which("git") is None:
        return None
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5
        )
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if head.returncode != 0:
        return None
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


@functools.cache
def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        return "not installed"
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def versions() -> dict[str, str]:
    """The versions a figure depends on."""
    return {
        "linflow": core.__version__,
        "python": platform.python_version(),
        "numpy": _package("numpy"),
        "scipy": _package("scipy"),
        "plotly": _package("plotly"),
        "kaleido": _package("kaleido"),
        "chromium": _chromium(),
    }


def state_document(state: AppState, **extra: Any) -> dict[str, Any]:
    """The state with its provenance (``extra``: e.g. the solver used, export options)."""
    return {
        "schema": STATE_SCHEMA,
        "versions": versions(),
        "git_commit": _git_commit(),
        "state": state.to_dict(),
        **extra,
    }


def version_mismatches(doc: dict[str, Any]) -> list[str]:
    """The versions in a state file that differ from this installation's."""
    here, there = versions(), doc.get("versions") or {}
    return [
        f"{k} {there[k]} (now {here[k]})" for k in VERSIONED if k in there and there[k] != here[k]
    ]


def read_state(spec: str) -> tuple[AppState, dict[str, Any]]:
    """A state from ``spec``, and the state file's document ({} for links): a ``state.json``
    path, a linflow URL, its query string, ``preset:NAME`` or ``default``."""
    if spec == "default":
        return AppState(), {}
    if spec.startswith("preset:"):
        name = spec[len("preset:") :]
        if name not in PRESETS:
            raise StateFileError(f"unknown preset {name!r}; presets: {', '.join(PRESETS)}")
        return PRESETS[name].state, {}
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
                f"{spec} has state schema {schema!r}; this linflow ({core.__version__}) reads "
                f"schema {STATE_SCHEMA}"
            )
        state, errors = from_mapping(doc.get("state", {}))
        if state is None:
            raise StateFileError(
                f"{spec} is not a valid state: " + "; ".join(f"{k}: {v}" for k, v in errors.items())
            )
        return state, doc
    query = urlparse(spec).query if "://" in spec else spec
    state, notices = state_from_query(query)
    if notices:
        raise StateFileError("the link has unusable parameters: " + "; ".join(notices))
    return state, {}


def load_state_file(spec: str) -> AppState:
    """:func:`read_state` without the document."""
    return read_state(spec)[0]
